#!/usr/bin/env python3
"""Checks that chanrules and the DuckDB peer did the same job: the same rows accepted, in
the same order, with the same classes; the same rows rejected (line, column, reason)."""
import csv
import sys

CLASSES = ['samsung_class', 'se_class', 'coolpad_class', 'account_group', 'channel_family']


def read(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


ours, theirs = read(sys.argv[1]), read(sys.argv[2])
our_rej, their_rej = read(sys.argv[3]), read(sys.argv[4])
problems = []
if len(ours) != len(theirs):
    problems.append(f'accepted rows: chanrules {len(ours)}, duckdb {len(theirs)}')
for n, (a, b) in enumerate(zip(ours, theirs)):
    ka = [a['customer_id']] + [a[c] for c in CLASSES]
    kb = [b['customer_id']] + [b[c] for c in CLASSES]
    if ka != kb:
        problems.append(f'row {n + 1}: chanrules {ka} duckdb {kb}')
        if len(problems) > 10:
            break
ra = [(r['line'], r['column'], r['reason']) for r in our_rej]
rb = [(r['line'], r['column'], r['reason']) for r in their_rej]
if ra != rb:
    problems.append(f'rejects differ: chanrules {len(ra)}, duckdb {len(rb)}; first difference: ' +
                    str(next(((x, y) for x, y in zip(ra, rb) if x != y), 'in length')))
if problems:
    print('outputs DIFFER:')
    for p in problems[:12]:
        print('  ' + p)
    sys.exit(1)
print(f'outputs agree: {len(ours)} rows with the same classes in the same order, '
      f'{len(ra)} rejects with the same line, column and reason')
