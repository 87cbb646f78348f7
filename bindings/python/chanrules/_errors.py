"""Exceptions and diagnostics of chanrules.

Every failure of the library reaches Python as a subclass of :class:`chanrules.Error`. The
C API's status (see include/chanrules/chanrules.h) is turned into one here, by
``_from_status``, which the extension module calls.
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional

# The C API's codes (chanrules_code).
_INVALID_ARGUMENT = 1
_RULE_ERRORS = 2
_DATA_ERROR = 3
_IO_ERROR = 4
_OUT_OF_MEMORY = 5


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One problem in a rule set, as ``chanrules check`` reports it."""

    severity: str  # "error", "warning" or "note"
    code: str  # stable identifier, e.g. "E-unknown-name"
    file: str  # "" when unknown
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based, in code points; 0 when unknown
    message: str
    hint: str
    source_line: str
    caret_length: int
    formatted: str  # location, message, source line, caret and hint, as the CLI prints it

    def __str__(self) -> str:
        return self.formatted.rstrip("\n")


class Error(Exception):
    """Base class of every chanrules error."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RuleSetError(Error):
    """The rule set cannot be loaded: it has errors, or its file cannot be read.

    ``file``, ``line`` and ``column`` locate the first error (line and column are 1-based;
    0 when unknown); ``diagnostics`` holds all of them, warnings included.
    """

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0,
                 diagnostics: Optional[List[Diagnostic]] = None):
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.diagnostics = list(diagnostics or [])

    @property
    def errors(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class DataError(Error, ValueError):
    """The data cannot be classified: ``row`` (0-based position in the input, or -1) and
    ``column`` (the field, or "") say where; with ``errors="raise"`` the first row that
    would have been rejected."""

    def __init__(self, message: str, row: int = -1, column: str = ""):
        super().__init__(message)
        self.row = row
        self.column = column


class UsageError(Error, ValueError):
    """The call itself is wrong (a column of a type its field does not take, ...)."""


def _diagnostic(t) -> Diagnostic:
    return Diagnostic(*t)


def _from_status(code, message, file, line, column, row, field, diagnostics):
    diags = [_diagnostic(d) for d in diagnostics]
    if code == _RULE_ERRORS or (code == _IO_ERROR and (diags or file)):
        return RuleSetError(message, file, line, column, diags)
    if code == _DATA_ERROR:
        return DataError(message, row, field)
    if code == _INVALID_ARGUMENT:
        return UsageError(message)
    if code == _OUT_OF_MEMORY:
        return MemoryError(message)
    return Error(message)
