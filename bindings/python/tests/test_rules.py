"""Loading, metadata, diagnostics, errors and explain through the Python package."""

import os
import textwrap

import pytest

import chanrules
from conftest import RULES

TINY = textwrap.dedent("""\
    chanrules: 1
    name: tiny
    version: "1"
    fields:
      id: {type: string, required: true}
      n: {type: integer}
    decisions:
      size:
        rules:
          - id: big
            when: n >= 10
            then: BIG
        default: SMALL
    """)


def test_import_and_version():
    assert chanrules.__version__ == "0.1.0"
    assert chanrules.load is not None


def test_metadata(rules):
    assert rules.name == "channel-2009"
    assert rules.outputs == ["samsung_class", "se_class", "coolpad_class", "account_group",
                             "channel_family"]
    fields = {f.name: f for f in rules.fields}
    assert len(fields) == 13
    assert fields["network"].type == "enum" and fields["network"].values == ["S", "W", "R", "O"]
    assert fields["customer_id"].required and fields["customer_id"].unique
    assert fields["coolpad_avg_monthly_units"].type == "decimal"
    helpers = [d.name for d in rules.decisions if not d.output]
    assert helpers == ["s_class", "o_class"]
    assert [os.path.basename(p) for p in rules.source_files()] == [
        "ruleset.yaml", "tests.yaml", "samsung.csv", "sony_ericsson.csv"]


def test_check_gives_the_warnings_as_objects(rules):
    diags = rules.check()
    assert [d.code for d in diags] == ["W-list-value", "W-list-value"]
    d = diags[0]
    assert d.severity == "warning" and d.file.endswith("samsung.csv")
    assert (d.line, d.column) == (28, 1)
    assert "row ignored" in d.message and "samsung_list" in d.hint
    assert str(d).startswith(f"{d.file}:28:1: warning: row ignored")


def test_errors_carry_their_location(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("n >= 10", "m >= 10"))
    with pytest.raises(chanrules.RuleSetError) as info:
        chanrules.load(bad)
    e = info.value
    assert (e.file, e.line, e.column) == (str(bad), 11, 15)
    assert "unknown name 'm' [E-unknown-name]" in str(e)
    assert [d.code for d in e.errors] == ["E-unknown-name"]
    assert e.diagnostics[0].hint == "did you mean 'n'?"
    # check() reports instead of raising.
    assert [d.code for d in chanrules.check(bad)] == ["E-unknown-name"]


def test_missing_rule_set_is_an_error_naming_the_file():
    with pytest.raises(chanrules.RuleSetError) as info:
        chanrules.load("/no/such/rules")
    assert "cannot read the rule set" in str(info.value)
    assert info.value.file.startswith("/no/such/rules")


def test_loads_from_text():
    rs = chanrules.loads(TINY, name="tiny.yaml")
    out = rs.classify({"id": ["a", "b", "c"], "n": [3, 10, 99]})
    assert list(out["size"]) == ["SMALL", "BIG", "BIG"]
    with pytest.raises(chanrules.RuleSetError) as info:
        chanrules.loads("a: [", name="broken.yaml")
    assert info.value.file == "broken.yaml" and info.value.line >= 1


def test_explain(rules):
    e = rules.explain({"customer_id": "C1", "network": "R", "market_tier": "T3",
                       "local_rank": 2, "gsm_monthly_units": 650.0, "segment": None,
                       "nosuch": 1})
    assert e["problems"] == ["unknown field 'nosuch'"]
    samsung = next(d for d in e["decisions"] if d["name"] == "samsung_class")
    assert (samsung["outcome"], samsung["rule"]) == ("DKA", "dka")
    assert samsung["rules"][-1]["fired"] is True


def test_explain_agrees_with_the_cli(rules, cli):
    import json
    from conftest import run_cli
    record = {"customer_id": "C9", "customer_name": "x", "network": "R", "coolpad_coop_months":
              "12", "coolpad_continuous_pickup": "true", "coolpad_avg_monthly_units": "5"}
    out = run_cli(cli, "explain", RULES, "--json", *[f"{k}={v}" for k, v in record.items()])
    assert rules.explain(record) == json.loads(out.stdout)
