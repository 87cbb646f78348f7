"""classify() on DataFrames and dicts of arrays, compared with the CLI on the sample export."""

import threading

import numpy as np
import pandas as pd
import pytest

import chanrules
from conftest import RULES, SAMPLE, as_text, read_text_csv, run_cli


def decision_columns(rules, reasons):
    cols = []
    for d in rules.outputs:
        cols += [d, d + "_rule", d + "_missing"] if reasons else [d]
    return cols


def test_sample_equals_cli(rules, sample, cli_output):
    """Every class, rule and missing-field cell of the sample, as the CLI writes them."""
    out = rules.classify(sample, rule_ids=True, missing=True)
    cols = decision_columns(rules, True)
    assert list(out.columns) == cols
    assert len(out) == len(cli_output) == 400
    pd.testing.assert_frame_equal(as_text(out), cli_output[cols].astype(object))


def test_typed_frame_equals_cli(rules, cli_output):
    """pandas' own reading (floats with NaN, bools): the same classes. The decimal column
    stays text: a float cannot hold 4.9999999999999999, which the sample has on purpose."""
    typed = pd.read_csv(SAMPLE, dtype={"coolpad_avg_monthly_units": str})
    assert typed["local_rank"].dtype == np.float64
    out = rules.classify(typed, rule_ids=True, missing=True)
    cols = decision_columns(rules, True)
    pd.testing.assert_frame_equal(as_text(out), cli_output[cols].astype(object))
    # With floats the one value off by 1e-16 changes class, as documented.
    floats = rules.classify(pd.read_csv(SAMPLE))
    diff = floats["coolpad_class"].astype(object) != out["coolpad_class"].astype(object)
    assert typed.loc[diff, "coolpad_avg_monthly_units"].tolist() == ["4.9999999999999999"]


def test_categoricals_nullable_ints_and_dicts(rules, sample, cli_output):
    frame = sample.copy()
    for f in ("network", "market_tier", "segment", "operator", "operator_role"):
        frame[f] = frame[f].replace("", None).astype("category")
    for f in ("local_rank", "gsm_monthly_units", "coolpad_coop_months"):
        frame[f] = pd.to_numeric(frame[f].replace("", None)).astype("Int64")
    frame["coolpad_continuous_pickup"] = frame["coolpad_continuous_pickup"].map(
        {"true": True, "1": True, "是": True, "Y": True, "false": False, "0": False, "否": False,
         "N": False, "": None}).astype("boolean")
    assert frame["coolpad_continuous_pickup"].notna().sum() == (sample[
        "coolpad_continuous_pickup"] != "").sum()
    out = rules.classify(frame)
    pd.testing.assert_frame_equal(as_text(out), cli_output[rules.outputs].astype(object))
    # A dict of NumPy arrays, object and numeric.
    arrays = {c: sample[c].to_numpy() for c in sample.columns}
    arrays["local_rank"] = np.array([float(v) if v else np.nan for v in sample["local_rank"]])
    out = rules.classify(arrays)
    assert isinstance(out.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(as_text(out), cli_output[rules.outputs].astype(object))


def test_index_is_kept_and_keep_input(rules, sample):
    frame = sample.iloc[::-1].set_index(pd.Index(range(1000, 1400)))
    out = rules.classify(frame, keep_input=True)
    assert out.index.equals(frame.index)
    assert list(out.columns) == list(frame.columns) + rules.outputs
    with pytest.raises(ValueError, match="already has the columns"):
        rules.classify(out, keep_input=True)


def test_bad_rows_raise_or_are_rejected_like_the_cli(rules, cli, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("customer_id,customer_name,network,local_rank\n"
                   "C1,a,R,2\n"
                   "C2,b,X,\n"
                   "C1,c,W,\n"
                   "C3,,R,\n"
                   "C4,d,R,0\n")
    frame = read_text_csv(csv)
    with pytest.raises(chanrules.DataError) as info:
        rules.classify(frame)
    assert (info.value.row, info.value.column) == (1, "network")
    assert "'X' is not one of: S W R O" in str(info.value)

    with pytest.warns(chanrules.ChanrulesWarning):
        out = rules.classify(frame, errors="reject")
    run_cli(cli, "classify", "--rules", RULES, str(csv), "-o", str(tmp_path / "out.csv"),
            "--quiet")
    rejects = read_text_csv(tmp_path / "out.csv.rejects.csv")
    got = out.dropna(subset=[chanrules.REJECT_REASON])
    assert [int(l) - 2 for l in rejects["line"]] == list(got.index)
    assert list(rejects["column"]) == list(got[chanrules.REJECT_COLUMN])
    cli_reasons = [r.replace("on line 2", "in row 0") for r in rejects["reason"]]
    assert list(got[chanrules.REJECT_REASON]) == cli_reasons
    assert out.loc[0, "samsung_class"] == "DSA" and pd.isna(out.loc[1, "samsung_class"])
    # Without the unique check, row 2 is classified.
    with pytest.warns(chanrules.ChanrulesWarning):
        out = rules.classify(frame, errors="reject", unique=False)
    assert out.loc[2, "channel_family"] == "traditional"


def test_wrong_input(rules, sample):
    with pytest.raises(TypeError):
        rules.classify([1, 2, 3])
    with pytest.raises(chanrules.DataError, match="requires"):
        rules.classify(sample.drop(columns=["customer_id"]))
    with pytest.raises(ValueError, match="the others have 2"):
        rules.classify({"customer_id": np.array(["a", "b"]), "network": np.array(["R"])})
    with pytest.raises(chanrules.UsageError, match="BOOL8"):
        rules.classify({"customer_id": ["a"], "customer_name": ["b"], "network": ["R"],
                        "local_rank": np.array([True])})
    with pytest.raises(ValueError, match="no decision"):
        rules.classify(sample, decisions=["nosuch"])


def test_helpers_on_request(rules, sample):
    out = rules.classify(sample, decisions=["o_class", "samsung_class"])
    assert list(out.columns) == ["o_class", "samsung_class"]
    o_rows = sample["network"] == "O"
    assert out.loc[o_rows, "o_class"].notna().all()
    assert out.loc[~o_rows, "o_class"].isna().all()


def test_classify_csv_bytes_equals_cli(rules, cli, tmp_path):
    data = open(SAMPLE, "rb").read()
    out, rejects, summary = rules.classify_csv(data, reasons=True)
    run_cli(cli, "classify", "--rules", RULES, SAMPLE, "-o", str(tmp_path / "o.csv"), "--reasons",
            "--quiet")
    assert out == (tmp_path / "o.csv").read_bytes()
    assert summary["rows_in"] == 400 and summary["rows_rejected"] == 0
    assert rejects == b"line,column,reason,record\n"


def test_gil_is_released_while_classifying():
    """A thread classifying a large batch lets the main thread run meanwhile."""
    rs = chanrules.loads("chanrules: 1\nname: n\nversion: '1'\nfields:\n  n: {type: integer}\n"
                         "decisions:\n  size:\n    rules:\n      - {id: big, when: n >= 10, "
                         "then: BIG}\n    default: SMALL\n")
    n = np.arange(4_000_000, dtype=np.int64) % 20
    done = threading.Event()
    counts = []

    def work():
        rs.classify({"n": n})
        done.set()

    t = threading.Thread(target=work)
    t.start()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    counts.append(spins)
    assert spins > 1000, "the main thread did not run while the other classified"


def test_threads_share_one_rule_set(rules, sample):
    ref = rules.classify(sample, rule_ids=True)
    results = [None] * 4

    def work(i):
        results[i] = rules.classify(sample, rule_ids=True)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        pd.testing.assert_frame_equal(r, ref)


def test_enum_strings_are_read_like_cells(rules, sample):
    """Enum columns of str go to codes in C++; blanks are trimmed as in a CSV cell, and a
    value that is not a label falls back to text so the library says why."""
    frame = sample.head(50).copy()
    ref = rules.classify(frame)
    frame["network"] = " " + frame["network"] + "\t"
    frame.loc[frame.index[3], "market_tier"] = None
    expected = rules.classify(frame.assign(market_tier=frame["market_tier"].fillna("")))
    pd.testing.assert_frame_equal(rules.classify(frame), expected)
    assert rules.classify(frame)["channel_family"].equals(ref["channel_family"])
    frame.loc[frame.index[7], "network"] = "r"
    out = rules.classify(frame, errors="reject")
    assert out.loc[frame.index[7], chanrules.REJECT_REASON] == "'r' is not one of: S W R O"


def test_classify_csv_record_limits_are_the_callers():
    rs = chanrules.loads("chanrules: 1\nname: n\nversion: '1'\nfields:\n"
                         "  id: {type: string, required: true}\n  note: {type: string}\n"
                         "decisions:\n  has_note:\n    rules:\n"
                         "      - {id: yes, when: note is not missing, then: Y}\n"
                         "    default: N\n")
    data = b"id,note\na," + b"x" * 300 + b"\nb,short\n"
    out, rejects, summary = rs.classify_csv(data, max_field_size=100)
    assert summary["rows_in"] == 2 and summary["rows_out"] == 1
    assert summary["rows_rejected"] == 1
    assert b"longer than max_field_size (100 bytes)" in rejects
    assert b"--max-field-bytes" in rejects
    out, rejects, summary = rs.classify_csv(data, max_field_size=1000)
    assert summary["rows_out"] == 2 and summary["rows_rejected"] == 0
    # The defaults hold when no limit is given, and a limit below 1 is refused.
    assert rs.classify_csv(data)[2]["rows_out"] == 2
    with pytest.raises(ValueError):
        rs.classify_csv(data, max_fields=0)
