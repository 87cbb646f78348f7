#!/usr/bin/python3
"""Scaling table and plot from the JSON files of bench/scaling.sh.

usage: plot_scaling.py OUT_DIR IMAGE      (writes OUT_DIR/scaling.md, IMAGE.png, IMAGE.svg)

Reads OUT_DIR/rules-*.json, decisions-*.json, list-*.json (written by `chanrules bench
--json`) and batch-*.json (bench_stages' BM_Classify). Figures are medians over the
repetitions, per record, from CPU time. The 1,000-rule, 20-decision, 100,000-entry rule set
is rules-1000 and also the middle point of the decision and list-size series.
"""
import glob
import json
import os
import re
import statistics
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def median_of(doc, name, key):
    """Median of a key over the repetitions (iteration runs) of a benchmark."""
    values = [b[key] for b in doc["benchmarks"]
              if b.get("run_name") == name and b.get("run_type") == "iteration" and key in b]
    return statistics.median(values) if values else None


def seconds(value, unit):
    return value * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def bench_point(path):
    doc = load(path)
    ctx = doc["context"]
    version = ctx["rules_version"].split(".")  # rules.decisions.list.aliases (generator)
    compile_s = [seconds(b["cpu_time"], b["time_unit"]) for b in doc["benchmarks"]
                 if b.get("run_name") == "compile" and b.get("run_type") == "iteration"]
    return {
        "rules": int(version[0]),
        "decisions": int(version[1]),
        "list": int(version[2]),
        "tried": float(ctx.get("rules_tried_per_record", "nan")),
        "compile_ms": statistics.median(compile_s) * 1e3,
        "fill_ns": 1e9 / median_of(doc, "fill", "records_per_s"),
        "classify_ns": 1e9 / median_of(doc, "classify", "records_per_s"),
        "bytes": median_of(doc, "classify", "bytes_per_record"),
    }


def batch_points(path):
    doc = load(path)
    points = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        m = re.match(r"BM_Classify/(\w+)/(\d+)$", b["run_name"])
        if m:
            points.setdefault(int(m.group(2)), []).append(1e9 / b["items_per_second"])
    return {size: statistics.median(v) for size, v in sorted(points.items())}


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    out_dir, image = argv[1], argv[2]
    points = {}
    for path in glob.glob(os.path.join(out_dir, "*.json")):
        name = os.path.basename(path)[:-5]
        if not name.startswith("batch-"):
            points[name] = bench_point(path)
    base = points.get("rules-1000")
    series = {
        "rules": sorted((p for n, p in points.items() if n.startswith("rules-")),
                        key=lambda p: p["rules"]),
        "decisions": sorted([p for n, p in points.items() if n.startswith("decisions-")] +
                            ([base] if base else []), key=lambda p: p["decisions"]),
        "list": sorted([p for n, p in points.items() if n.startswith("list-")] +
                       ([base] if base else []), key=lambda p: p["list"]),
    }
    batches = {os.path.basename(p)[6:-5]: batch_points(p)
               for p in glob.glob(os.path.join(out_dir, "batch-*.json"))}

    lines = []
    header = ("| rules | decisions | list entries | rules tried / record | compile | "
              "fill ns/record | classify ns/record | classify ns / rule tried | memory B/record |")
    for title, key in (("Rules (20 decisions, 100,000-entry list)", "rules"),
                       ("Decisions (1,000 rules)", "decisions"),
                       ("List size (1,000 rules, 20 decisions)", "list")):
        lines += ["", "**%s**" % title, "", header, "|---:" * 9 + "|"]
        for p in series[key]:
            lines.append("| %d | %d | %s | %.0f | %.0f ms | %.0f | %.0f | %.2f | %.0f |" % (
                p["rules"], p["decisions"], format(p["list"], ","), p["tried"], p["compile_ms"],
                p["fill_ns"], p["classify_ns"], p["classify_ns"] / p["tried"], p["bytes"]))
    if batches:
        sizes = sorted({s for b in batches.values() for s in b})
        lines += ["", "**Batch size (classify ns/record; 262,144 records in batches)**", "",
                  "| rule set | " + " | ".join(format(s, ",") for s in sizes) + " |",
                  "|---" + "|---:" * len(sizes) + "|"]
        for name, b in sorted(batches.items()):
            lines.append("| %s | " % name + " | ".join(
                "%.0f" % b[s] if s in b else "" for s in sizes) + " |")
    with open(os.path.join(out_dir, "scaling.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines).lstrip("\n") + "\n")
    print("\n".join(lines))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    p = series["rules"]
    if p:
        a = ax[0][0]
        a.plot([x["rules"] for x in p], [x["classify_ns"] for x in p], "o-", label="classify")
        a.plot([x["rules"] for x in p], [x["fill_ns"] for x in p], "s--", label="fill")
        for x in p:
            a.annotate("%.0f tried" % x["tried"], (x["rules"], x["classify_ns"]),
                       textcoords="offset points", xytext=(4, -12), fontsize=8)
        a.set_xlabel("rules in the rule set (annotated: rules tried per record, mean)")
        a.set_ylabel("ns per record")
        a.set_title("Rules (20 decisions)")
        a.set_xlim(left=0)
        a.set_ylim(bottom=0)
        a.legend()
    p = series["decisions"]
    if p:
        a = ax[0][1]
        a.plot([x["decisions"] for x in p], [x["classify_ns"] for x in p], "o-", label="classify")
        a.plot([x["decisions"] for x in p], [x["fill_ns"] for x in p], "s--", label="fill")
        a.set_xscale("log")
        a.set_xlabel("decisions (1,000 rules spread over them)")
        a.set_ylabel("ns per record")
        a.set_title("Decisions")
        a.set_ylim(bottom=0)
        a.legend()
    p = series["list"]
    if p:
        a = ax[1][0]
        a.plot([x["list"] for x in p], [x["classify_ns"] for x in p], "o-", label="classify")
        a.plot([x["list"] for x in p], [x["fill_ns"] for x in p], "s--",
               label="fill (looks the key up)")
        a.set_xscale("log")
        a.set_xlabel("list entries")
        a.set_ylabel("ns per record")
        a.set_title("List size (1,000 rules)")
        a.set_ylim(bottom=0)
        a.legend()
    if batches:
        a = ax[1][1]
        for name, b in sorted(batches.items()):
            a.plot(list(b), list(b.values()), "o-", label=name)
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("batch size (rows)")
        a.set_ylabel("classify ns per record")
        a.set_title("Batch size")
        a.legend()
    fig.suptitle("chanrules: cost per record (CPU time, one thread, medians of 3 runs)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(image) or ".", exist_ok=True)
    fig.savefig(image + ".png", dpi=100)
    # No creation date in the SVG, so that an unchanged plot is an unchanged file.
    fig.savefig(image + ".svg", metadata={"Date": None})


if __name__ == "__main__":
    main(sys.argv)
