"""Turning a pandas DataFrame (or a dict of NumPy arrays) into the columns the C API takes.

Each field of the rule set found among the data's columns becomes a tuple
``(name, kind, values, validity)`` for ``_chanrules.RuleSet.classify``:

- ``int64``, ``float64``, ``bool``: a contiguous NumPy array passed by pointer (no copy when
  the data already has that dtype);
- ``codes``: an enum field given as a pandas Categorical whose categories are all labels of
  the field: the category codes mapped once to the field's codes (uint16);
- ``object``: anything else (str, mixed, pandas' string dtype), read value by value in the
  extension (str as text, None/NaN/pd.NA as missing);

``validity`` is an Arrow bitmap (bit set = present) from the data's missing-value mask, or
None when nothing is missing.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np
import pandas as pd

NO_CODE = 0xFFFF

# Objects that mean "missing" in object columns, besides None and NaN.
MISSING = (pd.NA, pd.NaT)


def _validity(mask) -> Any:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    return np.packbits(~mask, bitorder="little")


def _numeric(name: str, values: np.ndarray, mask=None):
    kind = values.dtype.kind
    validity = None if mask is None else _validity(mask)
    if kind == "b":
        return (name, "bool", np.ascontiguousarray(values, dtype=np.bool_), validity)
    if kind == "i" or (kind == "u" and values.dtype.itemsize < 8):
        return (name, "int64", np.ascontiguousarray(values, dtype=np.int64), validity)
    if kind == "u":
        if values.size and values.max() > np.iinfo(np.int64).max:
            return (name, "object", values.astype(object), validity)
        return (name, "int64", np.ascontiguousarray(values, dtype=np.int64), validity)
    if kind == "f":
        return (name, "float64", np.ascontiguousarray(values, dtype=np.float64), validity)
    if kind == "M":
        nat = np.isnat(values)
        days = values.astype("datetime64[D]").astype(np.int64)
        if mask is not None:
            nat = nat | np.asarray(mask, dtype=bool)
        return (name, "int64", np.ascontiguousarray(days), _validity(nat))
    if kind in "USO":
        return (name, "object", np.ascontiguousarray(values, dtype=object), validity)
    raise TypeError(f"column '{name}' has the dtype {values.dtype}, which chanrules cannot read")


def _series_column(name: str, s: pd.Series, field) -> Tuple:
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if field.type == "enum":
            codes_of = field._codes
            table = np.array([codes_of.get(c, -1) if isinstance(c, str) else -1
                              for c in dtype.categories], dtype=np.int64)
            if not (table < 0).any():
                cat_codes = s.cat.codes.to_numpy()
                mapped = np.full(len(cat_codes), NO_CODE, dtype=np.uint16)
                present = cat_codes >= 0
                mapped[present] = table[cat_codes[present]]
                return (name, "codes", mapped, None)
        # Categories that are not labels: read as text, so the rows say why.
        return (name, "object", s.astype(object).to_numpy(), None)
    if pd.api.types.is_extension_array_dtype(dtype):
        mask = s.isna().to_numpy()
        kind = getattr(dtype, "kind", "O")
        if kind in "iu":
            return _numeric(name, s.to_numpy(dtype="int64", na_value=0), mask)
        if kind == "f":
            return _numeric(name, s.to_numpy(dtype="float64", na_value=np.nan), mask)
        if kind == "b":
            return _numeric(name, s.to_numpy(dtype="bool", na_value=False), mask)
        return (name, "object", s.to_numpy(dtype=object, na_value=None), None)
    values = s.to_numpy()
    if values.dtype.kind == "M":
        return _numeric(name, values)
    return _numeric(name, values)


def columns_of(data, rules) -> Tuple[List[Tuple], Any, int]:
    """The columns for the fields of `rules` found in `data`, its index and its length."""
    if isinstance(data, pd.DataFrame):
        if not data.columns.is_unique:
            dup = data.columns[data.columns.duplicated()].tolist()
            raise ValueError(f"the DataFrame has duplicate columns: {dup}")
        cols = []
        for f in rules.fields:
            if f.name in data.columns:
                cols.append(_series_column(f.name, data[f.name], f))
        return cols, data.index, len(data)
    if isinstance(data, Mapping):
        n = None
        cols = []
        by_name = {f.name: f for f in rules.fields}
        for key, v in data.items():
            arr = v if isinstance(v, np.ndarray) else np.asarray(v)
            if arr.ndim != 1:
                raise ValueError(f"column '{key}' is not one-dimensional")
            if n is None:
                n = len(arr)
            elif len(arr) != n:
                raise ValueError(f"column '{key}' has {len(arr)} values; the others have {n}")
            if key not in by_name:
                continue
            if isinstance(v, pd.Series):
                cols.append(_series_column(key, v, by_name[key]))
            elif isinstance(arr, np.ma.MaskedArray):
                cols.append(_numeric(key, arr.data, np.ma.getmaskarray(arr)))
            else:
                cols.append(_numeric(key, arr))
        n = n or 0
        return cols, pd.RangeIndex(n), n
    raise TypeError("classify() takes a pandas DataFrame or a dict of NumPy arrays, not "
                    f"{type(data).__name__}")
