"""chanrules.dask on a LocalCluster of 2 worker processes, against single-process results."""

import os
import subprocess
import sys

import pandas as pd
import pytest

import chanrules
import chanrules.dask
from conftest import RULES, SAMPLE, as_text, read_text_csv

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_partitions_row_for_row(client, rules, sample):
    frame = sample.set_index(pd.Index(range(500, 900)))
    ddf = dd.from_pandas(frame, npartitions=5, sort=False)
    lazy = chanrules.dask.classify(ddf, rules, rule_ids=True, missing=True)
    assert lazy.npartitions == 5
    out = lazy.compute()
    ref = rules.classify(frame, rule_ids=True, missing=True)
    assert out.index.equals(ref.index)  # the partitions' order and index are kept
    pd.testing.assert_frame_equal(as_text(out), as_text(ref))
    # Both workers worked, and each compiled the rule set once for all its partitions.
    loads = client.run(lambda: sys.modules["chanrules.dask"].load_count)
    assert sorted(loads.values()) == [1, 1]
    # A second call with the same rule set (here by path) compiles nothing new.
    again = chanrules.dask.classify(ddf, RULES).compute()
    pd.testing.assert_frame_equal(again, ref[rules.outputs])
    assert sorted(client.run(lambda: sys.modules["chanrules.dask"].load_count).values()) == [1, 1]


def test_rule_set_from_text_ships_too(client):
    rs = chanrules.loads("chanrules: 1\nname: n\nversion: '1'\nfields:\n  n: {type: integer}\n"
                         "decisions:\n  size:\n    rules:\n      - {id: big, when: n >= 10, "
                         "then: BIG}\n    default: SMALL\n")
    ddf = dd.from_pandas(pd.DataFrame({"n": range(30)}), npartitions=3)
    out = chanrules.dask.classify(ddf, rs).compute()
    assert list(out["size"]) == ["SMALL"] * 10 + ["BIG"] * 20


def test_errors_in_a_partition_reach_the_caller(client, sample):
    frame = sample.copy()
    frame.loc[350, "network"] = "X"
    ddf = dd.from_pandas(frame, npartitions=4)
    with pytest.raises(chanrules.DataError, match="'X' is not one of"):
        chanrules.dask.classify(ddf, RULES).compute()
    out = chanrules.dask.classify(ddf, RULES, errors="reject").compute()
    assert out[chanrules.REJECT_REASON].notna().sum() == 1


def test_command_line_over_a_folder_of_exports(client, tmp_path, cli_output):
    # The sample split into two exports.
    sample = read_text_csv(SAMPLE)
    (tmp_path / "in").mkdir()
    sample.iloc[:150].to_csv(tmp_path / "in" / "a.csv", index=False)
    sample.iloc[150:].to_csv(tmp_path / "in" / "b.csv", index=False)
    env = dict(os.environ)
    run = subprocess.run(
        [sys.executable, "-m", "chanrules.dask", "--rules", RULES, "--scheduler",
         client.scheduler.address, "--reasons", str(tmp_path / "in" / "*.csv"), "-o",
         str(tmp_path / "out-*.csv")], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "2 files written" in run.stdout and "0 rows rejected" in run.stdout
    got = pd.concat([read_text_csv(tmp_path / f"out-{i}.csv") for i in (0, 1)],
                    ignore_index=True)
    cols = [c for c in cli_output.columns]
    pd.testing.assert_frame_equal(got[cols], cli_output)
