"""The plain data compiling one model takes and gives.

No sqlglot here: the driver, the cache and a warm compile (where nothing is
parsed) use these without importing the parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rocky.ir import Column, LineageEdge

__all__ = [
    "COMPILER_VERSION",
    "FrontEnd",
    "ModelInput",
    "ModelResult",
    "PackedDiag",
    "RawDiag",
]

# Bump whenever inference or diagnostics change: it is part of every cache key.
COMPILER_VERSION: Final = "2"

# (code, message, line, col, suggestion); line/col None = the model's first line.
PackedDiag = tuple[str, str, int | None, int | None, str | None]


@dataclass(frozen=True, slots=True)
class ModelInput:
    """What compiling one model needs from its ModelSource, as plain data
    (a worker process receives exactly this)."""

    name: str
    text: str
    kind: str
    path: str
    line_offset: int
    strategy: Mapping[str, Any]
    has_freshness: bool

    @classmethod
    def of(cls, src: Any, strategy: Mapping[str, Any] | None = None) -> ModelInput:
        """From a rocky.project.ModelSource; ``strategy`` is its strategy
        config as JSON data when the caller already has it."""
        config = src.config
        return cls(
            src.name,
            src.text,
            src.kind,
            str(src.path),
            src.line_offset,
            strategy if strategy is not None else config.strategy.model_dump(mode="json"),
            config.freshness is not None,
        )


@dataclass(frozen=True, slots=True)
class FrontEnd:
    """What parsing a model yields, minus the tree: the SQL the model runs
    (after ``@var``), the tables it names, placeholder use, parse findings."""

    sql: str
    refs: tuple[tuple[str, ...], ...]
    uses_start: bool
    uses_end: bool
    ok: bool
    select_star: bool
    diags: tuple[PackedDiag, ...]


@dataclass(frozen=True, slots=True)
class ModelResult:
    columns: tuple[Column, ...]
    complete: bool
    lineage: tuple[LineageEdge, ...]
    diags: tuple[PackedDiag, ...]
    join_ns: int = 0


@dataclass(frozen=True, slots=True)
class RawDiag:
    """A finding before it has a file span: ``offset`` is in the parse text."""

    code: str
    message: str
    offset: int | None = None
    suggestion: str | None = None
