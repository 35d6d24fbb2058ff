"""Typed values, relations and name scopes for type inference.

A :class:`Rel` is what a FROM item provides: ordered typed columns, whether
that list is complete, and (when it is not) which upstream an unlisted
column would come from, so lineage still points at the right model. A
:class:`Scope` is one SELECT's FROM clause plus a link to the enclosing
scope for correlated subqueries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rocky.compiler.lineage import EMPTY, Lineage
from rocky.ir import ColumnRef
from rocky.types import UNKNOWN, RockyType

__all__ = ["Entry", "Rel", "Scope", "Typed", "base_rel", "unknown_rel"]


class Typed:
    """The inferred type of one expression. ``null_lit`` marks a bare NULL,
    which takes no part in supertype folding (``CASE ... ELSE NULL``).
    Treated as immutable: the same instance is shared by every reader."""

    __slots__ = ("lineage", "null_lit", "nullable", "type")

    def __init__(
        self, type: RockyType, nullable: bool, lineage: Lineage = EMPTY, null_lit: bool = False
    ) -> None:
        self.type = type
        self.nullable = nullable
        self.lineage = lineage
        self.null_lit = null_lit

    def __repr__(self) -> str:
        return f"Typed({self.type}, nullable={self.nullable})"


@dataclass(slots=True)
class Rel:
    """Columns a FROM item provides. ``known`` is False when the list may be
    missing columns (a source with no schema, ``SELECT *`` over one);
    ``star_sources`` names where such unlisted columns come from. ``keys``
    and ``filters`` are the upstream columns that decide which rows the
    relation has (join conditions; WHERE, HAVING, QUALIFY, FILTER): they
    become the model's ``join_key`` / ``filter`` lineage edges."""

    columns: list[tuple[str, Typed]]
    index: dict[str, int]
    known: bool
    star_sources: tuple[str, ...] = ()
    keys: Lineage = field(default_factory=lambda: EMPTY)
    filters: Lineage = field(default_factory=lambda: EMPTY)
    # fallback() answers by name (an upstream relation serves many readers)
    fallbacks: dict[str, Typed] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        columns: list[tuple[str, Typed]],
        known: bool,
        star_sources: tuple[str, ...] = (),
        keys: Lineage = EMPTY,
        filters: Lineage = EMPTY,
    ) -> Rel:
        index = {name.lower(): i for i, (name, _) in enumerate(columns)}
        if len(index) < len(columns):  # a repeated name: the first one answers
            index = {}
            for i, (name, _) in enumerate(columns):
                index.setdefault(name.lower(), i)
        return cls(columns, index, known, star_sources, keys, filters)

    def get(self, name: str) -> Typed | None:
        i = self.index.get(name.lower())
        return None if i is None else self.columns[i][1]

    def fallback(self, name: str) -> Typed:
        """An unlisted column of an incomplete relation: Unknown, with
        lineage to wherever the relation's unlisted columns come from."""
        if not self.star_sources:
            return _UNKNOWN_NULLABLE
        cache = self.fallbacks
        if cache is None:
            cache = self.fallbacks = {}
        found = cache.get(name)
        if found is None:
            lineage = {ColumnRef(src, name): "direct" for src in self.star_sources}
            found = cache[name] = Typed(UNKNOWN, True, lineage)
        return found


_UNKNOWN_NULLABLE = Typed(UNKNOWN, True)


def base_rel(
    source: str,
    columns: list[tuple[str, RockyType, bool]],
    known: bool,
    ref: Callable[[str, str], ColumnRef] = ColumnRef,
) -> Rel:
    """The relation of an upstream model or external source: each column's
    lineage is itself. ``ref`` makes the column references (a caller
    interning them passes its own)."""
    typed: list[tuple[str, Typed]] = []
    index: dict[str, int] = {}
    for i, (name, t, nullable) in enumerate(columns):
        typed.append((name, Typed(t, nullable, {ref(source, name): "direct"})))
        index.setdefault(name.lower(), i)
    return Rel(typed, index, known, () if known else (source,), EMPTY, EMPTY)


def unknown_rel(source: str | None) -> Rel:
    return Rel([], {}, False, (source,) if source else (), EMPTY, EMPTY)


@dataclass(slots=True)
class Entry:
    """A relation as one FROM clause uses it: under an alias, possibly made
    nullable by an outer join, possibly hidden from ``*`` (semi/anti joins)."""

    alias: str
    rel: Rel
    nullable: bool = False
    hidden: bool = False
    using: frozenset[str] = frozenset()


class Scope:
    """One SELECT's names. A plain class rather than a dataclass: one is
    made per SELECT, and default factories would cost more than the rest."""

    __slots__ = (
        "aliases",
        "ctes",
        "entries",
        "filters",
        "grouped",
        "keys",
        "nonnull",
        "parent",
        "rollup",
    )

    def __init__(
        self,
        entries: dict[str, Entry] | None = None,
        parent: Scope | None = None,
        ctes: Mapping[str, Rel] | None = None,
    ) -> None:
        self.entries: dict[str, Entry] = {} if entries is None else entries
        self.parent = parent
        self.ctes: Mapping[str, Rel] = {} if ctes is None else ctes
        # (alias lower, column lower) proven non-null by WHERE / inner-join keys
        self.nonnull: set[tuple[str, str]] = set()
        # SELECT-list aliases defined so far (lateral column references)
        self.aliases: dict[str, Typed] = {}
        # all GROUP BY groups are non-empty: aggregates of non-null inputs are non-null
        self.grouped = False
        self.rollup = False
        # columns that decide this SELECT's rows, gathered while inferring it
        # (its joins and filters, and those of subqueries in its expressions)
        self.keys: list[Lineage] = []
        self.filters: list[Lineage] = []

    def add(self, entry: Entry) -> None:
        self.entries[entry.alias.lower()] = entry

    def all_known(self) -> bool:
        scope: Scope | None = self
        while scope is not None:
            for e in scope.entries.values():
                if not e.rel.known:
                    return False
            scope = scope.parent
        return True
