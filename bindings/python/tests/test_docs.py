"""The Python examples of docs/bindings.md run as written (each block after a line
'<!-- tested by bindings/python/tests/test_docs.py -->')."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

MARK = "<!-- tested by bindings/python/tests/test_docs.py -->"


def blocks():
    text = open(os.path.join(ROOT, "docs", "bindings.md"), encoding="utf-8").read()
    found = re.findall(re.escape(MARK) + r"\n```python\n(.*?)\n```", text, re.S)
    assert len(found) == 2, "docs/bindings.md should have two tested Python examples"
    return found


@pytest.mark.parametrize("index", [0, 1])
def test_example_runs(index):
    code = blocks()[index]
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    if index == 0:
        assert "'samsung_class', 'se_class'" in out
        assert "('samsung_class', 'DKA', 'dka')" in out
        assert "W-list-value" in out
        assert "1 network row 1, field 'network'" in out
        assert "x.yaml 9 23 E-unknown-name" in out
    else:
        assert "samsung_class" in out
