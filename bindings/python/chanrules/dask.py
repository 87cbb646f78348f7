"""Classifying a Dask DataFrame on a Dask cluster (dask.distributed), partition by partition.

    import dask.dataframe as dd, chanrules.dask
    ddf = dd.read_csv("exports/*.csv", dtype=str, keep_default_na=False, blocksize=None)
    classes = chanrules.dask.classify(ddf, "rules/channel-2009")   # lazy; .compute() etc.

The rule set travels as its source, not as a compiled object: the YAML text, its test files
and its list files (a few kB to a few MB), read once on the client, hashed, and sent to
every worker once (``Client.scatter(..., broadcast=True)``). Each worker process compiles it
the first time a partition needs it and keeps it, keyed by the content hash, for every later
partition and every later call with the same rule set. The output has the input's
partitions and index, in the same order.

From the command line, a folder of CSV exports (one output file per input file):

    /usr/bin/python3 -m chanrules.dask --rules rules/channel-2009 \\
        --scheduler tcp://HOST:8786 'exports/*.csv' -o 'out/classified-*.csv'
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import sys
import tempfile
import threading
from typing import Dict, Optional, Sequence, Union

import pandas as pd

from ._ruleset import RuleSet, load, loads


@dataclasses.dataclass(frozen=True)
class RuleSource:
    """A rule set's files, as bytes, keyed by their path relative to the rule-set folder."""

    entry: str  # the rule-set YAML among `files`
    files: Dict[str, bytes]
    allow_outside_paths: bool
    digest: str  # sha256 over the names and contents

    @staticmethod
    def of(rules: RuleSet) -> "RuleSource":
        src = rules._source
        paths = rules.source_files()
        if "yaml" in src:  # loaded from a string: the YAML is not a file
            base = src["base_dir"]
            files = {"ruleset.yaml": src["yaml"].encode("utf-8")}
            rest = paths[1:]
        else:
            yaml_path = paths[0]
            base = os.path.dirname(yaml_path) or "."
            files = {}
            rest = paths
        for p in rest:
            rel = os.path.relpath(p, base)
            if rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
                raise ValueError(f"the rule set reads {p}, outside its folder {base}: it cannot "
                                 "be shipped to workers; copy the file into the folder")
            with open(p, "rb") as f:
                files[rel] = f.read()
        entry = "ruleset.yaml" if "yaml" in src else os.path.relpath(paths[0], base)
        h = hashlib.sha256()
        for name in sorted(files):
            h.update(name.encode("utf-8") + b"\0" + len(files[name]).to_bytes(8, "little"))
            h.update(files[name])
        return RuleSource(entry, files, bool(src.get("allow_outside_paths")), h.hexdigest())


# Per process: compiled rule sets by digest (workers keep them between partitions and calls).
_cache: Dict[str, RuleSet] = {}
_cache_lock = threading.Lock()
#: How many times this process compiled a shipped rule set (the tests read it on workers).
load_count = 0


def _rules_for(source: RuleSource) -> RuleSet:
    global load_count
    rules = _cache.get(source.digest)
    if rules is not None:
        return rules
    with _cache_lock:
        rules = _cache.get(source.digest)
        if rules is None:
            folder = tempfile.mkdtemp(prefix="chanrules-rules-")
            for name, data in source.files.items():
                path = os.path.join(folder, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
            rules = load(os.path.join(folder, source.entry),
                         allow_outside_paths=source.allow_outside_paths)
            _cache[source.digest] = rules
            load_count += 1
    return rules


def _classify_partition(df: pd.DataFrame, source: RuleSource, options: dict) -> pd.DataFrame:
    return _rules_for(source).classify(df, **options)


def _client(client):
    if client is not None:
        return client
    try:
        from distributed import get_client
        return get_client()
    except (ImportError, ValueError):
        return None  # no cluster: Dask's local schedulers run the partitions in this process


def classify(ddf, rules: Union[RuleSet, str, os.PathLike], *, client=None,
             decisions: Optional[Sequence[str]] = None, rule_ids: bool = False,
             missing: bool = False, errors: str = "raise", unique: bool = True,
             keep_input: bool = False):
    """Classifies a Dask DataFrame partition by partition: a lazy Dask DataFrame with the
    same partitions, index and order as `ddf` and the columns of
    :meth:`chanrules.RuleSet.classify` (same options). `rules` is a RuleSet or a path.

    With a dask.distributed Client (`client`, or the current one) the rule set's source is
    broadcast to the workers once. Duplicate unique values (`unique`) are found within each
    partition, not across partitions: partition by customer id, or deduplicate first, when
    ids may repeat across files."""
    if not isinstance(rules, RuleSet):
        rules = load(rules)
    options = dict(decisions=decisions, rule_ids=rule_ids, missing=missing, errors=errors,
                   unique=unique, keep_input=keep_input)
    # The output's columns and dtypes: classifying the empty frame Dask keeps as `_meta`
    # (this also checks, here and now, that the required columns are there).
    meta = rules.classify(ddf._meta, **options)
    source = RuleSource.of(rules)
    c = _client(client)
    if c is not None:
        shipped = c.scatter(source, broadcast=True, hash=False)
    else:
        shipped = source
    return ddf.map_partitions(_classify_partition, shipped, options, meta=meta,
                              align_dataframes=False, enforce_metadata=False)


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m chanrules.dask",
        description="Classify CSV exports on a Dask cluster: one output CSV per input file, "
                    "with every input column followed by the class columns.")
    parser.add_argument("inputs", help="input files, a glob such as 'exports/*.csv'")
    parser.add_argument("-o", "--output", required=True,
                        help="output files, with one '*' (replaced by the partition number), "
                             "e.g. 'out/classified-*.csv'")
    parser.add_argument("--rules", required=True, help="rule-set folder or YAML file")
    parser.add_argument("--scheduler", help="scheduler address (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the local cluster (default 2)")
    parser.add_argument("--reasons", action="store_true",
                        help="also <decision>_rule and <decision>_missing columns")
    parser.add_argument("--encoding", default="utf-8-sig", help="input encoding (default UTF-8)")
    args = parser.parse_args(argv)

    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    rules = load(args.rules)
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        # One partition per file (blocksize=None): quoted names may hold line breaks, so a
        # file cannot be cut at arbitrary line ends. Every cell is text, read as the CLI does.
        ddf = dd.read_csv(args.inputs, dtype=str, keep_default_na=False, na_filter=False,
                          blocksize=None, encoding=args.encoding)
        out = classify(ddf, rules, client=client, rule_ids=args.reasons, missing=args.reasons,
                       errors="reject", keep_input=True)
        import dask
        # One pass: the files and the count of rejected rows come from the same partitions.
        files, rejected = dask.compute(out.to_csv(args.output, index=False, compute=False),
                                       out["reject_reason"].notnull().sum())
        print(f"{len(files)} files written ({args.output}); {int(rejected)} rows rejected "
              "(see the reject_column and reject_reason columns)")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    # Run through the imported module, not this __main__ copy: the partition function must
    # pickle by reference (chanrules.dask._classify_partition), so workers import it.
    from chanrules.dask import _main as main
    sys.exit(main())
