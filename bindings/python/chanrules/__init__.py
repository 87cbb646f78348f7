"""chanrules for Python: classify distributors with a chanrules rule set.

    import chanrules
    rs = chanrules.load("rules/channel-2009")
    classes = rs.classify(df)                  # a DataFrame of Categorical class columns
    rs.explain({"customer_id": "C1", "network": "R", ...})
    rs.check()                                 # the rule set's warnings, as Diagnostics

A thin layer over the C API (include/chanrules/chanrules.h) through the compiled module
``chanrules._chanrules``; ``chanrules.dask`` classifies Dask DataFrames on a cluster.
See docs/bindings.md.
"""

from ._chanrules import version as _version
from ._errors import DataError, Diagnostic, Error, RuleSetError, UsageError
from ._ruleset import (REJECT_COLUMN, REJECT_REASON, ChanrulesWarning, Decision, Field, RuleSet,
                       check, load, loads)

__version__ = _version()

__all__ = [
    "ChanrulesWarning", "DataError", "Decision", "Diagnostic", "Error", "Field",
    "REJECT_COLUMN", "REJECT_REASON", "RuleSet", "RuleSetError", "UsageError", "check", "load",
    "loads",
]
