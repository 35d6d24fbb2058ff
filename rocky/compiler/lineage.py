"""Column lineage computed during type inference.

Every typed value carries a small map ``ColumnRef -> transform`` naming the
upstream columns it reads and how. Passing through a CTE, subquery, join or
UNION keeps the map; applying a function composes the transform. When two
transforms stack (``SUM(CAST(x AS INT))``) the more telling one wins, by
rank: ``direct`` < ``cast``/``try_cast`` < ``expression`` < ``window: f`` <
``aggregation: f`` (ties go to the outer one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from rocky.ir import ColumnRef, LineageEdge

__all__ = ["EMPTY", "Lineage", "apply", "compose", "edges_for", "merge"]

Lineage = Mapping[ColumnRef, str]
EMPTY: Final[Mapping[ColumnRef, str]] = {}

_RANK: Final = {"direct": 0, "cast": 1, "try_cast": 1, "expression": 2}


def _rank(transform: str) -> int:
    found = _RANK.get(transform)
    if found is not None:
        return found
    return 4 if transform.startswith("aggregation") else 3


def compose(inner: str, outer: str) -> str:
    """The transform of ``outer(inner(x))``."""
    if outer == "direct":
        return inner
    if inner == "direct":
        return outer
    return outer if _rank(outer) >= _rank(inner) else inner


def apply(lineage: Lineage, outer: str) -> Lineage:
    """Wrap every source of ``lineage`` in ``outer``."""
    if not lineage or outer == "direct":
        return lineage
    return {ref: compose(t, outer) for ref, t in lineage.items()}


def merge(parts: Iterable[Lineage]) -> Lineage:
    """Union of several lineages (the stronger transform wins on overlap)."""
    out: dict[ColumnRef, str] | None = None
    first: Lineage = EMPTY
    for part in parts:
        if not part:
            continue
        if out is None:
            if not first:
                first = part
                continue
            out = dict(first)
        for ref, t in part.items():
            prev = out.get(ref)
            out[ref] = t if prev is None else compose(prev, t)
    return out if out is not None else first


def edges_for(model: str, columns: Iterable[tuple[str, Lineage]]) -> tuple[LineageEdge, ...]:
    """Edges into ``model``'s output columns: in column order, sources sorted,
    so the IR is stable."""
    edges: list[LineageEdge] = []
    for name, lineage in columns:
        target = ColumnRef(model, name)
        for ref, transform in sorted(lineage.items(), key=lambda kv: (kv[0].model, kv[0].column)):
            edges.append(LineageEdge(ref, target, transform))
    return tuple(edges)
