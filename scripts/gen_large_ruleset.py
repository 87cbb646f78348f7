#!/usr/bin/env python3
"""Deterministic generator of large chanrules rule sets, for benchmarks and analysis tests.

Writes OUT_DIR/ruleset.yaml and its list files (OUT_DIR/lists/*.csv). The rule set passes
`chanrules check` without errors (every field, list and named set is used once it has about
20 rules), and its rules really get evaluated: each condition tests 3 or 4 different fields
(so it never contradicts itself) and holds for a few percent of records, so a typical record
falls through most of each decision's chain (the 1,000-rule set: about 600 rules tried per
record; the executor stops a chain only when no record of a vector is left). Random
conditions can still make a rule shadowed by earlier ones (`W-unreachable`, 3 of 1,000).

What it holds, for `--rules R --decisions D --list-size L --aliases A`:
  - 14 fields: enum (unordered and ordered), integer (bounded and open), decimal (with a
    negative range), date, boolean and string fields, some required, most optional;
  - lists: `big_list` keyed by customer_id with L entries and 8 value labels, `vip`
    (a membership list of 1,000 customer ids) and `partners` keyed by partner_code
    (200 entries): all lists keyed by one field share one hash table in the compiled program;
  - a named set `account` over customer_name with A aliases (half Chinese, half Latin,
    two per entry);
  - D decisions sharing R rules (the first decisions get one more when R % D != 0); every
    fifth decision from the second on is a helper (`output: false`) that the next decision
    both tests in conditions and copies with `{from: ...}`; later decisions test earlier
    ones' outcomes (decision references, never a cycle);
  - conditions mixing ordered-enum comparisons and `between`, `in [...]` sets, integer and
    decimal ranges, dates, booleans, list values and membership, named-set keys, string
    literals, `is missing`, `or` groups and `not`.

The same arguments (and --seed) always give the same bytes. Python 3 standard library only.

Usage:
  gen_large_ruleset.py [--rules 1000] [--decisions 20] [--list-size 100000] [--aliases 50]
                       [--seed 1] OUT_DIR
"""

import argparse
import os
import random
import sys

# Characters for Chinese aliases and shop names (common in company names).
CJK = ("华迅通讯鑫达手机卖场东方数码商行宏图电器新星科技联创盛恒泰丰源汇金利隆昌明德信"
       "安康永佳百顺和美富嘉祥瑞天宇中兴博远海纳")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rules", type=int, default=1000)
    p.add_argument("--decisions", type=int, default=20)
    p.add_argument("--list-size", type=int, default=100000)
    p.add_argument("--aliases", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("out_dir")
    a = p.parse_args(argv)
    if a.decisions < 1 or a.rules < a.decisions:
        p.error("need at least one decision and at least one rule per decision")
    if a.list_size < 1 or a.aliases < 1:
        p.error("--list-size and --aliases must be at least 1")
    if a.rules > 100000:
        p.error("at most 100000 rules (the loader's default limit)")
    return a


def q(label):
    """A label as a YAML scalar (quoted when it is not a plain name)."""
    if label.replace("_", "").isalnum() and not label[0].isdigit():
        return label
    return '"' + label + '"'


class Generator:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.regions = ["P%02d" % i for i in range(1, 32)]
        self.tiers = ["T%d" % i for i in range(1, 9)]
        self.grades = ["G%d" % i for i in range(1, 6)]
        self.list_labels = ["L%d" % i for i in range(1, 9)]
        self.partner_labels = ["A", "B", "C"]
        self.partner_codes = ["PC-%03d" % i for i in range(1, 401)]
        self.entries = self.make_named_set()
        self.account_keys = [key for key, _ in self.entries]
        self.decisions = []  # (name, is_helper, domain labels)

    # --- named set and lists ------------------------------------------------------------------
    def make_named_set(self):
        rng = self.rng
        n_entries = (self.a.aliases + 1) // 2
        seen = set()
        entries = []
        aliases_left = self.a.aliases
        for i in range(n_entries):
            while True:
                zh = "".join(rng.choice(CJK) for _ in range(rng.choice([2, 3, 3, 4])))
                if zh not in seen and not any(zh in s or s in zh for s in seen):
                    break
            seen.add(zh)
            aliases = [zh]
            if aliases_left >= 2:
                while True:
                    latin = "".join(rng.choice("bcdfgklmnprstvxz") + rng.choice("aeiou")
                                    for _ in range(3)).capitalize() + "x"
                    if latin.lower() not in {s.lower() for s in seen}:
                        break
                seen.add(latin)
                aliases.append(latin)
            aliases_left -= len(aliases)
            entries.append((zh, aliases))
        return entries

    def write_lists(self, out_dir):
        rng = self.rng
        os.makedirs(os.path.join(out_dir, "lists"), exist_ok=True)
        n = self.a.list_size
        # Keys spread over ten times as many ids as listed: generated data that draws
        # ids outside the list misses it.
        ids = rng.sample(range(1, 10 * n + 1001), n)
        with open(os.path.join(out_dir, "lists", "customers.csv"), "w", newline="\n") as f:
            f.write("customer_id,class\n")
            for i in ids:
                f.write("C%08d,%s\n" % (i, rng.choice(self.list_labels)))
        with open(os.path.join(out_dir, "lists", "vip.csv"), "w", newline="\n") as f:
            f.write("customer_id\n")
            for i in rng.sample(range(1, 10 * n + 1001), 1000):
                f.write("C%08d\n" % i)
        with open(os.path.join(out_dir, "lists", "partners.csv"), "w", newline="\n") as f:
            f.write("partner_code,tier\n")
            for code in rng.sample(self.partner_codes, 200):
                f.write("%s,%s\n" % (code, rng.choice(self.partner_labels)))

    # --- conditions ---------------------------------------------------------------------------
    def atom(self, kind, k, used):
        """One predicate of the given kind, for decision k. `used` holds the groups (fields,
        or decisions) the condition already tests: each is tested once, so that no
        condition contradicts itself (every rule can fire)."""
        r = self.rng
        if kind == "channel":
            return "channel == %s" % r.choice("RWSO")
        if kind == "region":
            return "region in [%s]" % ", ".join(sorted(r.sample(self.regions, r.randint(2, 5))))
        if kind == "region_ne":
            return "region != %s" % r.choice(self.regions)
        if kind == "tier":
            op = r.choice(["<=", ">=", "<", ">", "=="])
            return "tier %s %s" % (op, r.choice(self.tiers[1:-1]))
        if kind == "tier_between":
            lo = r.randint(0, 5)
            return "tier between %s and %s" % (self.tiers[lo], self.tiers[lo + r.randint(1, 2)])
        if kind == "grade":
            return "grade %s %s" % (r.choice(["<=", ">="]), r.choice(self.grades[1:-1]))
        if kind == "units":
            return "units %s %d" % (r.choice([">=", "<", ">"]), r.randint(1, 2000))
        if kind == "units_between":
            lo = r.randint(0, 1900)
            return "units between %d and %d" % (lo, lo + r.randint(10, 300))
        if kind == "stores":
            if r.random() < 0.3:
                lo = r.randint(0, 40)
                return "stores in [%d, %d, %d]" % (lo, lo + 1, lo + 2)
            return "stores %s %d" % (r.choice(["<=", ">"]), r.randint(1, 4000))
        if kind == "score":
            return "score %s %d" % (r.choice(["<", ">="]), r.randint(1, 999))
        if kind == "revenue":
            return "revenue %s %d.%02d" % (r.choice([">=", "<"]), r.randint(0, 99999),
                                           r.randint(0, 99))
        if kind == "margin":
            lo = r.randint(-100, 90)
            return "margin between %d.5 and %d.25" % (lo, lo + r.randint(1, 10))
        if kind == "opened":
            return "opened %s %04d-%02d-%02d" % (r.choice([">=", "<"]), r.randint(1995, 2023),
                                                 r.randint(1, 12), r.randint(1, 28))
        if kind == "active":
            return r.choice(["active", "not active", "active == false"])
        if kind == "big_list":
            if r.random() < 0.2:
                return "big_list is missing"
            return "big_list in [%s]" % ", ".join(sorted(r.sample(self.list_labels, r.randint(1, 3))))
        if kind == "vip":
            return r.choice(["vip", "not vip"])
        if kind == "partners":
            return "partners == %s" % r.choice(self.partner_labels)
        if kind == "account":
            if r.random() < 0.2:
                return "account is not missing"
            keys = r.sample(self.account_keys, min(len(self.account_keys), r.randint(1, 3)))
            return "account in [%s]" % ", ".join(q(x) for x in keys)
        if kind == "partner_code":
            return 'partner_code == "%s"' % r.choice(self.partner_codes[:40])
        if kind == "missing":
            free = [f for f in ["units", "tier", "revenue", "opened", "region"] if f not in used]
            field = r.choice(free)
            used.add(field)
            return "%s is missing" % field
        if kind == "decision":
            earlier = [d for d in self.decisions[:k] if d[0] not in used]
            name, _, labels = r.choice(earlier)
            used.add(name)
            picks = r.sample(labels, min(len(labels), r.randint(1, 3)))
            if len(picks) == 1:
                return "%s == %s" % (name, q(picks[0]))
            return "%s in [%s]" % (name, ", ".join(q(x) for x in picks))
        raise ValueError(kind)

    # The field (group) each kind tests; "missing" and "decision" pick theirs in atom().
    GROUP = {"region_ne": "region", "tier_between": "tier", "units_between": "units",
             "partner_code": "partners"}

    KINDS = ["channel", "region", "region_ne", "tier", "tier_between", "grade", "units",
             "units_between", "stores", "score", "revenue", "margin", "opened", "active",
             "big_list", "vip", "partners", "account", "partner_code", "missing"]

    def condition(self, k, first_kind=None, avoid=frozenset()):
        r = self.rng
        kinds = list(self.KINDS)
        if k > 0:
            kinds += ["decision"] * 3
        n = r.choice([3, 3, 4, 4, 4])
        picked = [first_kind] if first_kind else []
        groups = {self.GROUP.get(x, x) for x in picked}
        while len(picked) < n:
            kind = r.choice(kinds)
            group = self.GROUP.get(kind, kind)
            if group in ("missing", "decision"):
                limit = 2 if kind == "missing" else min(2, k - len(avoid))
                if picked.count(kind) < limit:
                    picked.append(kind)
            elif group not in groups:
                groups.add(group)
                picked.append(kind)
        # Fields tested directly go first, so that "missing" picks one of the others.
        used = set(groups) | set(avoid)
        atoms = [self.atom(kind, k, used) for kind in picked]
        shape = r.random()
        if shape < 0.15 and len(atoms) == 3:
            return "(%s or %s) and %s" % tuple(atoms)
        if shape < 0.25:
            atoms[-1] = "not (%s)" % atoms[-1]
        return " and ".join(atoms)

    # --- decisions ----------------------------------------------------------------------------
    def generate(self):
        a = self.a
        r = self.rng
        per = [a.rules // a.decisions + (1 if i < a.rules % a.decisions else 0)
               for i in range(a.decisions)]
        # Every fifth decision from the second on is a helper, used by the next decision.
        helper = [i % 5 == 1 and i + 1 < a.decisions for i in range(a.decisions)]
        coverage = list(self.KINDS)  # the first rules use every kind once: nothing unused
        out = []
        for k in range(a.decisions):
            name = ("h%02d" if helper[k] else "d%02d") % k
            labels = []
            constants = []  # the labels no rule copies from elsewhere

            def label(text, constant=False):
                if text not in labels:
                    labels.append(text)
                if constant and text not in constants:
                    constants.append(text)
                return text

            rules = []
            seen = set()
            prev_helper = k > 0 and helper[k - 1]
            for i in range(per[k]):
                first = coverage.pop(0) if coverage else None
                while True:
                    cond = self.condition(k, first, avoid={self.decisions[k - 1][0]}
                                          if prev_helper and i == 0 else set())
                    if prev_helper and i == 0:
                        # Tested in a condition: the helper runs for every row.
                        hname = self.decisions[k - 1][0]
                        hlabels = self.decisions[k - 1][2]
                        cond = "%s == %s and %s" % (hname, q(hlabels[0]), cond)
                    if cond not in seen:
                        seen.add(cond)
                        break
                roll = r.random()
                if prev_helper and i == 1:
                    then = {"from": self.decisions[k - 1][0]}
                    for l in self.decisions[k - 1][2]:
                        label(l)
                elif roll < 0.10:
                    # A copy: the value must exist whenever the condition holds.
                    source, source_labels = (("account", self.account_keys) if roll < 0.04 else
                                             ("tier", self.tiers) if roll < 0.07 else
                                             ("big_list", self.list_labels))
                    if "%s is missing" % source in cond:
                        then = label("C%02d" % (i % 12 + 1), constant=True)
                    else:
                        if source not in cond:
                            cond = "%s is not missing and %s" % (source, cond)
                        then = {"from": source}
                        for l in source_labels:
                            label(l)
                else:
                    then = label("C%02d" % (i % 12 + 1), constant=True)
                rules.append(("r%03d" % (i + 1), cond, then))
            default = None if r.random() < 0.2 else label("OTHER", constant=True)
            # Conditions on this decision test its constants only: a copied label (an
            # account key, a tier) would tie the condition to the source's value and could
            # contradict another part of it.
            self.decisions.append((name, helper[k], constants or labels))
            out.append((name, helper[k], rules, default))
        return out

    def write(self, out_dir):
        a = self.a
        os.makedirs(out_dir, exist_ok=True)
        self.write_lists(out_dir)
        decisions = self.generate()
        w = []
        w.append("# Generated by scripts/gen_large_ruleset.py --rules %d --decisions %d "
                 "--list-size %d --aliases %d --seed %d" %
                 (a.rules, a.decisions, a.list_size, a.aliases, a.seed))
        w.append("# Do not edit: regenerate instead. Benchmarks and analysis tests use it.")
        w.append("chanrules: 1")
        w.append("name: large-%d" % a.rules)
        w.append('version: "%d.%d.%d.%d"' % (a.rules, a.decisions, a.list_size, a.aliases))
        w.append("effective: 2024-01-01")
        w.append("description: generated rule set for benchmarks")
        w.append("fields:")
        w.append("  customer_id: {type: string, required: true, unique: true}")
        w.append("  customer_name: {type: string, required: true, trim: false}")
        w.append("  channel: {type: enum, values: [R, W, S, O], required: true}")
        w.append("  region: {type: enum, values: [%s]}" % ", ".join(self.regions))
        w.append("  tier: {type: enum, values: [%s], ordered: true}" % ", ".join(self.tiers))
        w.append("  grade: {type: enum, values: [%s], ordered: true}" % ", ".join(self.grades))
        w.append("  units: {type: integer, min: 0}")
        w.append("  stores: {type: integer, min: 0, max: 5000}")
        w.append("  score: {type: integer, min: 0, max: 1000}")
        w.append("  revenue: {type: decimal, min: 0}")
        w.append("  margin: {type: decimal, min: -100, max: 100}")
        w.append("  opened: {type: date, min: 1990-01-01}")
        w.append("  active: {type: boolean}")
        w.append("  partner_code: {type: string}")
        w.append("lists:")
        w.append("  big_list: {file: lists/customers.csv, key: customer_id, value: class, "
                 "values: [%s]}" % ", ".join(self.list_labels))
        w.append("  vip: {file: lists/vip.csv, key: customer_id}")
        w.append("  partners: {file: lists/partners.csv, key: partner_code, value: tier, "
                 "values: [%s]}" % ", ".join(self.partner_labels))
        w.append("named_sets:")
        w.append("  account:")
        w.append("    field: customer_name")
        w.append("    entries:")
        for key, aliases in self.entries:
            w.append("      - {key: %s, aliases: [%s]}" % (q(key), ", ".join(q(x) for x in aliases)))
        w.append("decisions:")
        for name, is_helper, rules, default in decisions:
            w.append("  %s:" % name)
            if is_helper:
                w.append("    output: false")
            w.append("    rules:")
            for rid, cond, then in rules:
                w.append("      - id: %s" % rid)
                w.append("        when: %s" % cond)
                if isinstance(then, dict):
                    w.append("        then: {from: %s}" % then["from"])
                else:
                    w.append("        then: %s" % q(then))
            if default is not None:
                w.append("    default: %s" % q(default))
        with open(os.path.join(out_dir, "ruleset.yaml"), "w", newline="\n") as f:
            f.write("\n".join(w) + "\n")


def main(argv):
    args = parse_args(argv)
    Generator(args).write(args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
