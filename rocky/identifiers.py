"""Names as the engine stores them.

A warehouse folds identifiers written without quotes: Snowflake stores
``fct_revenue`` as ``FCT_REVENUE``; DuckDB keeps the spelling and matches
without regard to case. rocky quotes every name it puts in SQL, so a name
that comes from configuration (a model's target, the columns a
``[strategy]`` names) or from an unquoted identifier in a model's SELECT
is folded by the adapter's rules (``Adapter.normalize_identifier``) before
it is quoted; the quoted name then names the object the model's own
(unquoted, engine-folded) SQL refers to. A name that cannot be written
unquoted (a space, a quote, a leading digit) keeps its spelling, and so
does an output column the SELECT names with a quoted identifier.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from rocky.ir import Column, ModelIR, TableRef

if TYPE_CHECKING:
    from rocky.adapters import IdentifierCase

__all__ = [
    "COLUMN_KEYS",
    "Normalize",
    "StoredNames",
    "case_normalizer",
    "fold_ref",
    "identifier_folder",
    "stored_names",
]

# ``[strategy]`` keys that name columns of the model (one name or a list).
COLUMN_KEYS = ("unique_key", "update_columns", "timestamp_column", "partition_by", "time_column")
# A name that can be written without quotes: only these are folded.
_UNQUOTED = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")

Normalize = Callable[[str], str]


def _same(name: str) -> str:
    return name


def identifier_folder(normalize: Normalize | None) -> Normalize:
    """How a name from configuration (or an unquoted identifier in SQL) is
    stored: ``normalize`` (the adapter's ``normalize_identifier``) applied to
    names that can be written unquoted; any other name (a space, a quote, a
    leading digit) keeps its spelling, as it must be quoted in SQL anyway."""
    if normalize is None:
        return _same

    def fold(name: str) -> str:
        return normalize(name) if _UNQUOTED.match(name) else name

    return fold


def case_normalizer(case: IdentifierCase) -> Normalize:
    """``identifier_folder`` for an adapter type known only by its declared
    ``identifier_case`` (no live adapter at hand)."""
    if case == "upper":
        return identifier_folder(str.upper)
    if case == "lower":
        return identifier_folder(str.lower)
    return _same


@dataclass(frozen=True, slots=True)
class StoredNames:
    """A model's names as the engine stores them: its target, its
    ``[strategy]`` table with column names folded, and its compiled
    columns; ``fold`` folds any further name the same way."""

    target: TableRef
    strategy: dict[str, Any]
    columns: tuple[Column, ...]
    fold: Normalize


def _quoted_outputs(query: exp.Query) -> frozenset[str]:
    """Output columns the SELECT names with a quoted identifier: the engine
    keeps their spelling, so they are never folded."""
    quoted: set[str] = set()
    for projection in query.selects:
        node = projection.args.get("alias") if isinstance(projection, exp.Alias) else projection
        if isinstance(node, exp.TableAlias):
            node = node.this
        if isinstance(node, exp.Column):
            node = node.this
        if isinstance(node, exp.Identifier) and node.quoted:
            quoted.add(node.name)
    return frozenset(quoted)


def fold_ref(ref: TableRef, fold: Normalize) -> TableRef:
    """``ref`` with each part folded."""
    return TableRef(
        None if ref.catalog is None else fold(ref.catalog),
        None if ref.schema is None else fold(ref.schema),
        fold(ref.table),
    )


def stored_names(model: ModelIR, query: exp.Query, normalize: Normalize | None) -> StoredNames:
    """Fold the model's target, strategy columns and compiled columns with
    ``normalize`` (see :func:`identifier_folder`)."""
    if normalize is None:
        return StoredNames(model.target, dict(model.strategy), model.columns, _same)
    fold_plain = identifier_folder(normalize)
    keep = _quoted_outputs(query)

    def fold(name: str) -> str:
        return name if name in keep else fold_plain(name)

    target = fold_ref(model.target, fold_plain)
    strategy = dict(model.strategy)
    for key in COLUMN_KEYS:
        value = strategy.get(key)
        if isinstance(value, str):
            strategy[key] = fold(value)
        elif isinstance(value, list | tuple):
            strategy[key] = [fold(str(v)) for v in value]
    columns = tuple(dataclasses.replace(c, name=fold(c.name)) for c in model.columns)
    return StoredNames(target, strategy, columns, fold)
