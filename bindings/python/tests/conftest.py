"""Shared fixtures of the Python tests (bindings/python/tests), run from scripts/test.sh:

    PYTHONPATH=build/python CHANRULES_CLI=build/src/cli/chanrules /usr/bin/python3 -m pytest \\
        bindings/python/tests

`chanrules` must be importable (the build tree's package on PYTHONPATH, or the installed
one); CHANRULES_CLI names the chanrules binary the results are compared with.
"""

import os
import subprocess

import pandas as pd
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))
RULES = os.path.join(ROOT, "rules", "channel-2009")
SAMPLE = os.path.join(RULES, "sample", "distributors.csv")


@pytest.fixture(scope="session")
def rules():
    import chanrules
    return chanrules.load(RULES)


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("CHANRULES_CLI", os.path.join(ROOT, "build", "src", "cli", "chanrules"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"no chanrules binary at {path} (set CHANRULES_CLI)")
    return path


def read_text_csv(path, **kw):
    """A CSV read the way the CLI reads it: every cell text, empty cells empty."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, **kw)


@pytest.fixture(scope="session")
def sample():
    return read_text_csv(SAMPLE)


def run_cli(cli, *args):
    return subprocess.run([cli, *args], check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def cli_output(cli, tmp_path_factory):
    """The CLI's output on the shipped sample, with --reasons."""
    out = tmp_path_factory.mktemp("cli") / "classified.csv"
    run_cli(cli, "classify", "--rules", RULES, SAMPLE, "-o", str(out), "--reasons", "--quiet")
    return read_text_csv(out)


def as_text(frame):
    """Classes as the CLI writes them: labels, "" where there is none."""
    return frame.astype(object).where(frame.notna(), "")
