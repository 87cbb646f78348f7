"""chanrules.RuleSet: a loaded rule set, classifying pandas data."""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from . import _chanrules
from ._errors import Diagnostic, _diagnostic
from ._frames import MISSING, columns_of

#: Column names added by ``classify(..., errors="reject")``.
REJECT_COLUMN = "reject_column"
REJECT_REASON = "reject_reason"


class ChanrulesWarning(UserWarning):
    """A note about the input as a whole (e.g. an optional field without a column)."""


@dataclasses.dataclass(frozen=True)
class Field:
    """An input column the rule set reads."""

    name: str
    type: str  # string, enum, boolean, integer, date, decimal
    required: bool
    unique: bool
    values: List[str]  # an enum's labels, in order (their codes are their positions)

    @property
    def _codes(self) -> Dict[str, int]:
        return {label: i for i, label in enumerate(self.values)}


@dataclasses.dataclass(frozen=True)
class Decision:
    """A decision of the rule set: an output column, or a helper other decisions use."""

    name: str
    output: bool
    outcomes: List[str]  # its labels, in order
    rules: List[str]  # its rule ids, in order


class RuleSet:
    """A loaded, checked and compiled rule set (see :func:`chanrules.load`).

    Immutable and safe to share between threads: ``classify`` releases the GIL while it
    classifies, so threads classify in parallel.
    """

    def __init__(self, handle: "_chanrules.RuleSet", source: Optional[dict] = None):
        self._rs = handle
        fields = []
        for f in handle.fields():
            fields.append(Field(f[0], f[1], f[2], f[3], list(f[4])))
        self._fields = fields
        self._decisions = [Decision(d[0], d[1], list(d[2]), list(d[3])) for d in handle.decisions()]
        self._decision_index = {d.name: i for i, d in enumerate(self._decisions)}
        # For shipping the rule set to other processes (chanrules.dask): how it was loaded.
        self._source = source or {}

    # ---- what the rule set declares ----

    @property
    def name(self) -> str:
        return self._rs.name

    @property
    def version(self) -> str:
        return self._rs.version

    @property
    def fields(self) -> List[Field]:
        return list(self._fields)

    @property
    def decisions(self) -> List[Decision]:
        return list(self._decisions)

    @property
    def outputs(self) -> List[str]:
        """Names of the output decisions (the class columns), in declaration order."""
        return [d.name for d in self._decisions if d.output]

    def check(self) -> List[Diagnostic]:
        """The warnings found while loading (a rule set with errors does not load)."""
        return [_diagnostic(d) for d in self._rs.diagnostics()]

    def source_files(self) -> List[str]:
        """The files the rule set was read from: its YAML, test files and list files."""
        return self._rs.source_files()

    def __repr__(self) -> str:
        return f"<chanrules.RuleSet {self.name} {self.version}>"

    # ---- classifying ----

    def classify(self, data, *, decisions: Optional[Sequence[str]] = None,
                 rule_ids: bool = False, missing: bool = False, errors: str = "raise",
                 unique: bool = True, keep_input: bool = False) -> pd.DataFrame:
        """Classifies every row of `data` (a DataFrame, or a dict of NumPy arrays).

        Columns are matched to the rule set's fields by name; other columns are ignored and a
        field without a column is missing in every row (a ChanrulesWarning). Values are read
        as ``chanrules classify`` reads CSV cells: text by the field's type, numbers, booleans
        and pandas Categoricals directly; None, NaN, pd.NA and "" are missing.

        Returns a DataFrame with the same index: one Categorical column per decision (the
        output decisions unless `decisions` names others; NaN where there is no class), with
        `rule_ids` a ``<decision>_rule`` column (the rule that fired, or "default"), with
        `missing` a ``<decision>_missing`` column (the fields whose missing values made a
        condition unknown, ";"-separated). With `keep_input` the input columns come first.

        Rows are judged like CSV records: a value the field does not take, a required value
        missing, or (with `unique`) a repeated unique value. ``errors="raise"`` raises
        DataError for the first such row; ``errors="reject"`` gives those rows no class and
        fills the ``reject_column`` and ``reject_reason`` columns (None for other rows).
        """
        if errors not in ("raise", "reject"):
            raise ValueError("errors must be 'raise' or 'reject'")
        chosen = list(decisions) if decisions is not None else self.outputs
        for d in chosen:
            if d not in self._decision_index:
                raise ValueError(f"the rule set {self.name} has no decision '{d}'")
        columns, index, rows = columns_of(data, self)
        flags = 0
        if errors == "raise":
            flags |= _chanrules.CLASSIFY_STRICT
        if not unique:
            flags |= _chanrules.CLASSIFY_NO_UNIQUE_CHECK
        result = self._rs.classify(columns, rows, flags, MISSING)
        for w in result.warnings():
            warnings.warn(w, ChanrulesWarning, stacklevel=2)

        out: Dict[str, Any] = {}
        for name in chosen:
            d = self._decisions[self._decision_index[name]]
            out[name] = pd.Categorical.from_codes(result.outcome_codes(self._decision_index[name]),
                                                  categories=d.outcomes)
            if rule_ids:
                codes = result.rule_codes(self._decision_index[name])
                labels = d.rules + ["default"]
                if len(set(labels)) == len(labels):
                    out[name + "_rule"] = pd.Categorical.from_codes(codes, categories=labels)
                else:  # a rule named "default": plain strings keep the two apart
                    table = np.array(labels + [None], dtype=object)
                    out[name + "_rule"] = table[codes]
            if missing:
                out[name + "_missing"] = result.missing(self._decision_index[name])
        frame = pd.DataFrame(out, index=index)
        if errors == "reject":
            where, fields, reasons = result.rejects()
            column = np.full(rows, None, dtype=object)
            reason = np.full(rows, None, dtype=object)
            column[where] = fields
            reason[where] = reasons
            frame[REJECT_COLUMN] = column
            frame[REJECT_REASON] = reason
        if keep_input:
            if not isinstance(data, pd.DataFrame):
                data = pd.DataFrame(data, index=index)
            clash = [c for c in frame.columns if c in data.columns]
            if clash:
                raise ValueError(f"the input already has the columns {clash}")
            frame = pd.concat([data, frame], axis=1, copy=False)
        return frame

    def explain(self, record: Mapping[str, Any]) -> dict:
        """Why one record gets its classes: the ``chanrules explain --json`` document as a
        dict (``problems``, and per decision its outcome, rule, missing fields and the
        rules tried with each condition's value and result). Values are read like CSV cells;
        None and NaN are missing."""
        names, values = [], []
        for k, v in record.items():
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                continue
            names.append(str(k))
            if isinstance(v, bool):
                values.append("true" if v else "false")
            elif isinstance(v, float) and v.is_integer():
                values.append(str(int(v)))
            else:
                values.append(str(v))
        return json.loads(self._rs.explain_json(names, values))

    def classify_csv(self, data: bytes, *, reasons: bool = False, excel_safe: bool = False,
                     decisions: Sequence[str] = (), max_field_size: Optional[int] = None,
                     max_record_size: Optional[int] = None, max_fields: Optional[int] = None):
        """Classifies a CSV export held in memory exactly as ``chanrules classify`` does a
        file. Returns ``(output, rejects, summary)``: the two CSV documents as bytes and a
        dict with rows_in, rows_out, rows_rejected, rows_with_missing and encoding.

        ``max_field_size``, ``max_record_size`` (bytes) and ``max_fields`` replace the
        record limits (defaults 1 MiB, 16 MiB and 65536; ``--max-field-bytes`` and the like
        of the CLI): a record over one is rejected with a reason that names it."""
        flags = (_chanrules.CSV_REASONS if reasons else 0) | (
            _chanrules.CSV_EXCEL_SAFE if excel_safe else 0)
        limits = (max_field_size, max_record_size, max_fields)
        if any(v is not None for v in limits):
            flags |= _chanrules.CSV_LIMITS
        defaults = (1 << 20, 16 << 20, 1 << 16)
        limits = tuple(d if v is None else int(v) for v, d in zip(limits, defaults))
        if any(v < 1 for v in limits):
            raise ValueError("CSV limits must be at least 1")
        out, rej, s, warns = self._rs.classify_csv(bytes(data), flags, list(decisions), limits)
        for w in warns:
            warnings.warn(w, ChanrulesWarning, stacklevel=2)
        summary = dict(zip(("rows_in", "rows_out", "rows_rejected", "rows_with_missing",
                            "encoding"), s))
        return out, rej, summary


def load(path, *, allow_outside_paths: bool = False) -> RuleSet:
    """Loads a rule set: a folder holding ruleset.yaml, or a YAML file. Raises
    RuleSetError (with file, line, column and every diagnostic) when it has errors."""
    path = os.fspath(path)
    handle = _chanrules.RuleSet.load(path, allow_outside_paths)
    return RuleSet(handle, {"path": path, "allow_outside_paths": allow_outside_paths})


def loads(yaml: str, *, name: str = "<string>", base_dir=".",
          allow_outside_paths: bool = False) -> RuleSet:
    """Loads a rule set from YAML text; list and test files are looked up in `base_dir`."""
    base_dir = os.fspath(base_dir)
    handle = _chanrules.RuleSet.load_string(yaml, name, base_dir, allow_outside_paths)
    return RuleSet(handle, {"yaml": yaml, "name": name, "base_dir": base_dir,
                            "allow_outside_paths": allow_outside_paths})


def check(path, *, allow_outside_paths: bool = False) -> List[Diagnostic]:
    """Every diagnostic of a rule set (errors and warnings), whether or not it loads."""
    return [_diagnostic(d) for d in _chanrules.check(os.fspath(path), allow_outside_paths)]
