"""Schema drift: policies decide what to do when a source's columns change
under a materialized model. Policies come through
``rocky_register_drift_policies``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rocky.ir import Column

__all__ = ["DriftAction", "DriftPolicy"]


@dataclass(frozen=True, slots=True)
class DriftAction:
    table: str
    action: str  # "ignore" | "add_columns" | "alter_column_types" | "drop_and_recreate"
    reason: str


class DriftPolicy(Protocol):
    name: str

    def decide(
        self, table: str, desired: list[Column], existing: list[Column]
    ) -> DriftAction: ...
