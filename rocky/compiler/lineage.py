"""Column lineage computed during type inference.

Every typed value carries a small map ``ColumnRef -> transform`` naming the
upstream columns it reads and how. Passing through a CTE, subquery, join or
UNION keeps the map; applying a function composes the transform. When two
transforms stack (``SUM(CAST(x AS INT))``) the more telling one wins, by
rank: ``direct`` < ``cast``/``try_cast`` < ``expression`` < ``window: f`` <
``aggregation: f`` (ties go to the outer one).

Row edges say which columns decide the rows of a model rather than the value
of one column: ``join_key`` (a column in a JOIN's ON or USING) and
``filter`` (a column in WHERE, HAVING, QUALIFY or an aggregate's FILTER),
from anywhere in the query (CTEs and subqueries included). They target the
model as a whole, the pseudo-column ``*`` (:data:`ROWS`), once per source
column: every output column depends on them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from rocky.ir import ColumnRef, LineageEdge

__all__ = [
    "EMPTY",
    "FILTER",
    "JOIN_KEY",
    "ROWS",
    "Lineage",
    "apply",
    "compose",
    "edges_for",
    "merge",
    "rows",
]

Lineage = Mapping[ColumnRef, str]
EMPTY: Final[Mapping[ColumnRef, str]] = {}

# The target column of row edges: the model's rows as a whole.
ROWS: Final = "*"
JOIN_KEY: Final = "join_key"
FILTER: Final = "filter"

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
    if len(lineage) == 1:  # the usual case; lineages are never mutated, so
        for ref, t in lineage.items():  # an unchanged one is shared
            composed = outer if t == "direct" else compose(t, outer)
            return lineage if composed == t else {ref: composed}
    # most sources are still direct: composing onto them is just ``outer``
    return {ref: outer if t == "direct" else compose(t, outer) for ref, t in lineage.items()}


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


def rows(kind: str, parts: Iterable[Lineage]) -> Lineage:
    """The sources of ``parts`` as row edges of one ``kind``."""
    out: dict[ColumnRef, str] | None = None
    for part in parts:
        if part:
            if out is None:
                out = dict.fromkeys(part, kind)
            else:
                for ref in part:
                    out[ref] = kind
    return out if out else EMPTY


def _source_key(kv: tuple[ColumnRef, str]) -> tuple[str, str]:
    return kv[0].model, kv[0].column


def _by_source(lineage: Lineage) -> Iterable[tuple[ColumnRef, str]]:
    if len(lineage) < 2:  # most columns read one source: nothing to sort
        return lineage.items()
    return sorted(lineage.items(), key=_source_key)


def edges_for(
    model: str,
    columns: Iterable[tuple[str, Lineage]],
    keys: Lineage = EMPTY,
    filters: Lineage = EMPTY,
    *,
    ref: Callable[[str, str], ColumnRef] = ColumnRef,
) -> tuple[LineageEdge, ...]:
    """Edges into ``model``'s output columns, in column order with sources
    sorted, then its row edges (join keys, then filters, sources sorted),
    so the IR is stable. ``ref`` makes the target references (a caller
    interning them passes its own)."""
    edges: list[LineageEdge] = []
    add = edges.append
    edge = LineageEdge
    for name, lineage in columns:
        if lineage:
            target = ref(model, name)
            if len(lineage) == 1:  # most columns read one source
                ((source, transform),) = lineage.items()
                add(edge(source, target, transform))
            else:
                for source, transform in sorted(lineage.items(), key=_source_key):
                    add(edge(source, target, transform))
    if keys or filters:
        whole = ref(model, ROWS)
        for kind, lineage in ((JOIN_KEY, keys), (FILTER, filters)):
            for source, _ in _by_source(lineage):
                add(edge(source, whole, kind))
    return tuple(edges)
