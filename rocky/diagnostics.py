"""Diagnostics with stable codes: the compiler's only way of reporting.

Codes and severities follow the original tool's registry so CI greps keep
working. JSON shape: ``{severity, code, message, span{file,line,col}|null,
model, suggestion|null}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = ["CODES", "CONTRACT_CODES", "Diagnostic", "Severity", "Span", "diagnostic_file"]


class Severity(StrEnum):
    ERROR = "Error"
    WARNING = "Warning"
    INFO = "Info"


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    line: int
    col: int

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "col": self.col}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    model: str | None = None
    span: Span | None = None
    suggestion: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "span": self.span.to_json() if self.span else None,
            "model": self.model,
            "suggestion": self.suggestion,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        span = data.get("span")
        return cls(
            severity=Severity(data["severity"]),
            code=data["code"],
            message=data["message"],
            model=data.get("model"),
            span=Span(**span) if span else None,
            suggestion=data.get("suggestion"),
        )


# code -> (default severity, one-line meaning). Documented in docs/diagnostics.md.
CODES: Final[dict[str, tuple[Severity, str]]] = {
    "E001": (Severity.ERROR, "join keys have incompatible types"),
    "E002": (Severity.ERROR, "SQL does not parse"),
    "E003": (Severity.ERROR, "reference to an unknown table when the catalog is complete"),
    "E004": (Severity.ERROR, "dependency cycle"),
    "E005": (Severity.ERROR, "unknown column"),
    "E006": (Severity.ERROR, "DSL does not parse"),
    "E007": (Severity.ERROR, "depends_on names an unknown model"),
    "E010": (Severity.ERROR, "contract: required column missing"),
    "E011": (Severity.ERROR, "contract: column type mismatch"),
    "E012": (Severity.ERROR, "contract: column is nullable but the contract forbids it"),
    "E013": (Severity.ERROR, "contract: protected column removed"),
    "E020": (Severity.ERROR, "time_interval: time_column missing from output"),
    "E021": (Severity.ERROR, "time_interval: time_column is not a date or timestamp"),
    "E022": (Severity.ERROR, "time_interval: time_column is nullable"),
    "E023": (Severity.ERROR, "time_interval: time_column is not a valid identifier"),
    "E024": (Severity.ERROR, "time_interval: neither @start_date nor @end_date used"),
    "E025": (Severity.ERROR, "time_interval: hour granularity on a DATE column"),
    "E026": (Severity.ERROR, "time_interval: first_partition does not fit the granularity"),
    "E027": (Severity.ERROR, "estimated cost exceeds the model's budget"),
    "E028": (Severity.ERROR, "@var has no value and no default"),
    "E035": (Severity.ERROR, "iceberg_table with partition_by and cluster_by, or write.format.*"),
    "E036": (Severity.ERROR, "two or more models share a target"),
    "P001": (Severity.ERROR, "construct is not portable to the target dialect"),
    "W001": (Severity.WARNING, "join keys need a coercion"),
    "W002": (Severity.WARNING, "SELECT * over an upstream whose columns are unknown"),
    "W003": (Severity.WARNING, "only one of @start_date / @end_date is used"),
    "W004": (Severity.WARNING, "classification tag has no [mask] entry"),
    "W005": (Severity.WARNING, "temporal column but no freshness declared"),
    "W006": (Severity.WARNING, "merge unique_key column missing from the output"),
    "W010": (Severity.WARNING, "contract column missing from the output"),
    "W011": (Severity.WARNING, "contract has no matching model"),
    "P002": (Severity.WARNING, "SELECT * whose consumers name specific columns"),
    "I001": (Severity.INFO, "SELECT * over a known upstream was expanded"),
    "I002": (Severity.INFO, "some column types are unknown"),
}


# Contract checks are about the model's contract file and carry no span.
CONTRACT_CODES: Final = frozenset({"E010", "E011", "E012", "E013", "W010"})


def diagnostic_file(
    d: Diagnostic,
    contract_files: Mapping[str, str],
    model_files: Mapping[str, str],
    *,
    with_col: bool = False,
) -> str | None:
    """Where a diagnostic points, for a one-line error: ``file:line`` (and
    ``:col``) of its span; without one, the model's contract file for a
    contract check, else the model's own file."""
    if d.span:
        where = f"{d.span.file}:{d.span.line}"
        return f"{where}:{d.span.col}" if with_col else where
    if d.model is None:
        return None
    if d.code in CONTRACT_CODES and d.model in contract_files:
        return contract_files[d.model]
    return model_files.get(d.model)
