#!/usr/bin/env python3
"""Turns some rows of a generated export bad, in place, so that both classifiers in the
benchmark must reject them: a bad tier, a bad number, a missing network, a bad boolean, a
number below its minimum, and a reused customer id (every 2,000th row, in turn)."""
import csv
import sys

path = sys.argv[1]
with open(path, newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
col = {name: i for i, name in enumerate(header)}
changes = [
    ('market_tier', 'T9'),
    ('local_rank', '1x'),
    ('network', ''),
    ('coolpad_continuous_pickup', 'maybe'),
    ('local_rank', '0'),
    ('customer_id', None),  # the id of the row before
]
for n, i in enumerate(range(1000, len(body), 2000)):
    column, value = changes[n % len(changes)]
    body[i][col[column]] = body[i - 1][col['customer_id']] if value is None else value
with open(path, 'w', newline='', encoding='utf-8') as f:
    w = csv.writer(f, lineterminator='\n')
    w.writerow(header)
    w.writerows(body)
