"""Resolving the tables a model reads, the same way in every process.

A one-part name that is a model resolves to that model's inferred schema
(a model reading its own table gets an unknown relation); anything else is
an external source looked up in the schema chain. What differs between the
main process and a worker is only where an upstream model's schema comes
from, so that is a callback.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, Any

from rocky.compiler.scope import Rel, base_rel, unknown_rel
from rocky.ir import ColumnRef
from rocky.types import RockyType

if TYPE_CHECKING:
    from rocky.compiler.infer import TableResolver

__all__ = ["ModelSchemaMissing", "RelCache", "Schema", "table_resolver"]

# A model's compiled schema: (name, type, nullable) per column, and whether
# that list is complete.
Schema = tuple[list[tuple[str, RockyType, bool]], bool]


class ModelSchemaMissing(Exception):
    """An upstream model's schema is not available yet (a worker then hands
    the model back instead of guessing)."""


class RelCache:
    """Upstream relations built on demand from compact schemas, the most
    recently used kept: dependents of a model are usually compiled close
    together, and holding every relation would cost memory for nothing."""

    def __init__(
        self,
        schema: Callable[[str], Schema | None],
        size: int = 128,
        ref: Callable[[str, str], ColumnRef] = ColumnRef,
    ) -> None:
        self._schema = schema
        self._size = size
        self._ref = ref
        self._rels: OrderedDict[str, Rel] = OrderedDict()

    def get(self, name: str) -> Rel | None:
        rel = self._rels.get(name)
        if rel is not None:
            self._rels.move_to_end(name)
            return rel
        found = self._schema(name)
        if found is None:
            return None
        columns, complete = found
        rel = base_rel(name, columns, complete, self._ref)
        self._rels[name] = rel
        if len(self._rels) > self._size:
            self._rels.popitem(last=False)
        return rel

    def forget(self, name: str) -> None:
        self._rels.pop(name, None)


def table_resolver(
    name: str,
    models: Container[str],
    lower: Mapping[str, str],
    model_rel: Callable[[str], Rel],
    chain: Any,
) -> TableResolver:
    """The resolver ``name``'s inference uses. ``model_rel`` gives an
    upstream model's relation (or raises ModelSchemaMissing); ``chain`` is
    the SchemaChain for external sources."""
    external: dict[tuple[str, ...], Rel | None] = {}

    def resolve(parts: tuple[str, ...], node: Any) -> Rel | None:
        if len(parts) == 1:
            target = parts[0] if parts[0] in models else lower.get(parts[0].lower())
            if target is not None:
                if target == name:
                    return unknown_rel(None)  # a model reading its own table
                return model_rel(target)
        if parts in external:
            return external[parts]
        cols = chain.lookup(parts)
        dotted = ".".join(parts)
        rel: Rel | None
        if cols is not None:
            rel = base_rel(dotted, [(c.name, c.type, c.nullable) for c in cols], True)
        elif chain.complete:
            rel = None
        else:
            rel = unknown_rel(dotted)
        external[parts] = rel
        return rel

    return resolve
