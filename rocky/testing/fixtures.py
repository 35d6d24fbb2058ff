"""Fixtures every conformance class shares, and the capability gate.

An adapter package provides one fixture, ``adapter`` (a connected
:class:`~rocky.adapters.Adapter`), usually as a method of its test class.
``scratch_schema`` (a fresh schema, dropped afterwards) and ``kit`` (the
statement builders) come from here; override ``scratch_schema`` when the
engine needs something else (an existing dataset, a fixed prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Final, TypeVar

import pytest

from rocky.adapters import Adapter, Capability
from rocky.ir import TableRef
from rocky.testing.sql import ColumnSpec, KitSql
from rocky.testing.typecases import reference_type
from rocky.types import RockyType

__all__ = ["REQUIRES_ATTR", "AdapterFixtures", "requires", "seed_table"]

REQUIRES_ATTR: Final = "__rocky_requires__"

T = TypeVar("T")


def requires(capability: Capability) -> Callable[[T], T]:
    """Mark a test, or every test defined in a class body, as needing
    ``capability``. Unmarked adapters skip it with a reason naming the
    capability; the decision never looks at the adapter's name."""

    def mark(target: T) -> T:
        if isinstance(target, type):
            for name, member in vars(target).items():
                if name.startswith("test_") and callable(member):
                    setattr(member, REQUIRES_ATTR, capability)
        else:
            setattr(target, REQUIRES_ATTR, capability)
        return target

    return mark


def seed_table(adapter: Adapter, kit: KitSql, ref: TableRef, count: int) -> list[ColumnSpec]:
    """Create ``ref`` as (id BIGINT NOT NULL, label VARCHAR) holding rows
    ``(i, "row i")`` for i in 1..count; return its columns."""
    columns = [
        ColumnSpec(kit.name("id"), "BIGINT", not_null=True),
        ColumnSpec(kit.name("label"), "VARCHAR"),
    ]
    adapter.execute(kit.create_table(ref, columns))
    rows = [(i, f"row {i}") for i in range(1, count + 1)]
    for start in range(0, len(rows), 500):
        adapter.execute(kit.insert(ref, columns, rows[start : start + 500]))
    return columns


class AdapterFixtures:
    """The fixtures of the kit, inherited by every ``Base*`` class, and the
    type answers every class checks describe_table against."""

    # Where the engine's answer differs from the reference type table: a
    # type spelling (as the kit writes it, e.g. "BIGINT", "INT", "FLOAT")
    # or a row label of the table -> the RockyType describe_table reports
    # for a column created with it. Snowflake, which stores every integer
    # type as NUMBER(38,0), maps the integer spellings to Decimal(38,0).
    expected_types: ClassVar[Mapping[str, RockyType]] = {}

    def expected_type(self, spelling: str) -> RockyType:
        """What a column created as ``spelling`` must describe as on this
        adapter: ``expected_types``, else the reference type table."""
        return reference_type(spelling, self.expected_types)

    @pytest.fixture
    def adapter(self) -> Adapter:
        pytest.fail(
            "the conformance kit needs an `adapter` fixture: define it on your test "
            "class (or in conftest.py) and return a connected Adapter"
        )

    @pytest.fixture
    def kit(self, adapter: Adapter) -> KitSql:
        return KitSql(adapter)

    @pytest.fixture
    def scratch_schema(self, adapter: Adapter, kit: KitSql) -> Iterator[str]:
        """A new, empty schema in the default catalog, dropped afterwards."""
        name = kit.unique("rocky_kit")
        adapter.create_schema(None, name)
        try:
            yield name
        finally:
            adapter.execute(kit.drop_schema(None, name))

    @pytest.fixture(autouse=True)
    def _rocky_capability_gate(self, request: pytest.FixtureRequest) -> None:
        capability = getattr(request.function, REQUIRES_ATTR, None)
        if capability is None:
            return
        adapter: Any = request.getfixturevalue("adapter")
        if not adapter.supports(capability):
            pytest.skip(
                f"needs capability '{capability.value}', which this adapter does not declare"
            )
