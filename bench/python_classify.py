#!/usr/bin/python3
"""Benchmarks of the Python bindings (figures in docs/bindings.md).

1. `RuleSet.classify` on a DataFrame of N generated records (scripts/gen_sample_export.py),
   conversion from pandas included, next to the C++ in-memory benchmarks
   (bench/bench_classify: BM_FillAndClassify fills a batch from text cells and classifies;
   BM_Classify classifies a batch already filled);
2. `chanrules.dask.classify` over a folder of CSV exports on a LocalCluster of 1 and of 2
   worker processes (one thread each): read, classify, count the classes.

Run from the top of the repository after ./scripts/build.sh:

    /usr/bin/python3 bench/python_classify.py --rows 1000000 --repeat 5 \\
        --cpp build/bench/bench_classify

Each figure is the best and the median of --repeat runs: on a shared machine wall time
swings, and the best run is the least disturbed one. PYTHONPATH=build/python tests the build
tree instead of the installed package.
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

import chanrules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def generate(rows, path):
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_sample_export.py"),
                    "--rows", str(rows), "--out", path], check=True)


def timed(fn, repeat):
    """(best wall, median wall, best CPU) seconds. CPU time is the process's (all threads):
    for the single-threaded classify it is what the code costs, whatever else runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), statistics.median(walls), min(cpus)


def cpp_figures(binary, repeat):
    out = subprocess.run([binary, "--benchmark_filter=BM_(FillAnd)?Classify",
                          f"--benchmark_repetitions={repeat}", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True)
    runs = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("run_type") == "iteration":  # times in ms
            runs.setdefault(b["run_name"], []).append((b["real_time"] / 1e3, b["cpu_time"] / 1e3))
    return {name: (min(w for w, _ in v), statistics.median(w for w, _ in v), min(c for _, c in v))
            for name, v in runs.items()}


def bench_classify(args, rules):
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "export.csv")
        generate(args.rows, csv)
        text = pd.read_csv(csv, dtype=str, keep_default_na=False, na_filter=False)
        typed = pd.read_csv(csv, dtype={"coolpad_avg_monthly_units": str})
    # The results are checked before timing: the CLI's classes on the same file are the
    # reference (tests do this on the sample; here the two readings must agree).
    a = rules.classify(text)
    b = rules.classify(typed)
    assert a.astype(object).fillna("").equals(b.astype(object).fillna("")), "readings differ"
    rows = {}
    rows["DataFrame of text (dtype=str)"] = timed(lambda: rules.classify(text), args.repeat)
    rows["DataFrame as pandas reads it (floats, NaN)"] = timed(lambda: rules.classify(typed),
                                                              args.repeat)
    rows["same, with rule ids and missing fields"] = timed(
        lambda: rules.classify(typed, rule_ids=True, missing=True), args.repeat)
    return rows


def bench_dask(args, rules):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import chanrules.dask

    with tempfile.TemporaryDirectory() as tmp:
        per_file = args.dask_rows // args.files
        for i in range(args.files):
            generate(per_file, os.path.join(tmp, f"export-{i:02d}.csv"))
        pattern = os.path.join(tmp, "export-*.csv")
        figures = {}
        counts = {}
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                def run():
                    ddf = dd.read_csv(pattern, dtype=str, keep_default_na=False,
                                      na_filter=False, blocksize=None)
                    out = chanrules.dask.classify(ddf, rules, client=client)
                    counts[workers] = out["samsung_class"].value_counts().compute()
                run()  # warm-up: workers import pandas and compile the rule set
                figures[workers] = timed(run, args.repeat)
        assert counts[1].sort_index().equals(counts[2].sort_index())
        return figures


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--cpp", help="build/bench/bench_classify, to run the C++ figures too")
    p.add_argument("--dask-rows", type=int, default=2_000_000)
    p.add_argument("--files", type=int, default=8, help="CSV files for the Dask run")
    p.add_argument("--no-dask", action="store_true")
    args = p.parse_args()

    rules = chanrules.load(os.path.join(ROOT, "rules", "channel-2009"))
    print(f"chanrules {chanrules.__version__} from {os.path.dirname(chanrules.__file__)}; "
          f"{os.cpu_count()} CPUs; best / median of {args.repeat}")
    head = f"  {'':45s} {'wall best':>9s} {'median':>8s} {'CPU best':>9s}"
    print(f"\nclassify() of {args.rows:,} rows, conversion from pandas included:\n{head}")
    for name, (best, median, cpu) in bench_classify(args, rules).items():
        print(f"  {name:45s} {best:8.3f}s {median:7.3f}s {cpu:8.3f}s")
    if args.cpp:
        print(f"\nC++ in-memory (bench_classify, its own 1,000,000 generated records):\n{head}")
        for name, (best, median, cpu) in cpp_figures(args.cpp, args.repeat).items():
            print(f"  {name:45s} {best:8.3f}s {median:7.3f}s {cpu:8.3f}s")
    if not args.no_dask:
        print(f"\nDask: {args.dask_rows:,} rows in {args.files} CSV files, read + classify + "
              "count, LocalCluster:")
        figures = bench_dask(args, rules)
        for workers, (best, median, _) in figures.items():
            print(f"  {workers} worker process(es)                          {best:7.3f} s  "
                  f"{median:7.3f} s (wall)")
        print(f"  speed-up 1 -> 2 workers (best): {figures[1][0] / figures[2][0]:.2f}x")


if __name__ == "__main__":
    main()
