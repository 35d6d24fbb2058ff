"""Conformance classes about the catalog: describe_table and the type table,
schemas, and identifiers that need quoting."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import ClassVar

from sqlglot import exp

from rocky.adapters import Adapter
from rocky.errors import AdapterError
from rocky.ir import TableRef
from rocky.testing.fixtures import AdapterFixtures, seed_table
from rocky.testing.sql import ColumnSpec, KitSql
from rocky.testing.typecases import REFERENCE_TYPES, TypeCase
from rocky.types import STRING

__all__ = ["BaseDescribe", "BaseQuoting", "BaseSchemas"]


class BaseDescribe(AdapterFixtures):
    """describe_table maps the reference type table exactly, with nullability."""

    # Rows of the type table the engine cannot express, label -> why. Each is
    # still checked: it must fail to create or describe as something else.
    # (A row the engine expresses with another RockyType belongs in
    # ``expected_types`` instead.)
    inexpressible_types: ClassVar[Mapping[str, str]] = {}
    # The adapter's own extra cases (engine-specific types).
    extra_type_cases: ClassVar[Sequence[TypeCase]] = ()

    def _cases(self) -> list[TypeCase]:
        cases = [
            dataclasses.replace(c, expected=self.expected_type(c.sql_type))
            for c in REFERENCE_TYPES
            if c.label not in self.inexpressible_types
        ]
        return cases + list(self.extra_type_cases)

    def test_reference_types_map_exactly(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        cases = self._cases()
        ref = TableRef(None, scratch_schema, kit.name("typed"))
        names = [kit.name(f"c{i}") for i in range(len(cases))]
        adapter.execute(
            kit.create_table(ref, [c.column(n) for c, n in zip(cases, names, strict=True)])
        )
        described = adapter.describe_table(ref)
        assert described is not None
        got = {c.label: str(col.type) for c, col in zip(cases, described, strict=True)}
        assert got == {c.label: str(c.expected) for c in cases}
        assert [col.type for col in described] == [c.expected for c in cases]
        assert [col.name for col in described] == names

    def test_declared_inexpressible_types_really_are(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        labels = {c.label: c for c in REFERENCE_TYPES}
        unknown = sorted(set(self.inexpressible_types) - set(labels))
        assert not unknown, f"inexpressible_types names rows the type table lacks: {unknown}"
        for i, label in enumerate(sorted(self.inexpressible_types)):
            case = labels[label]
            ref = TableRef(None, scratch_schema, kit.name(f"inexpressible_{i}"))
            try:
                adapter.execute(kit.create_table(ref, [case.column(kit.name("c"))]))
            except AdapterError:
                continue
            described = adapter.describe_table(ref)
            assert described is not None
            assert described[0].type != case.expected, (
                f"{label} maps exactly: remove it from inexpressible_types"
            )

    def test_not_null_columns_are_not_nullable(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("nullability"))
        columns = [
            ColumnSpec(kit.name("required"), "BIGINT", not_null=True),
            ColumnSpec(kit.name("optional"), "BIGINT"),
            ColumnSpec(kit.name("required_text"), "VARCHAR", not_null=True),
            ColumnSpec(kit.name("optional_text"), "VARCHAR"),
        ]
        adapter.execute(kit.create_table(ref, columns))
        described = adapter.describe_table(ref)
        assert described is not None
        assert [c.type for c in described] == [self.expected_type(c.sql_type) for c in columns]
        assert [(c.name, c.nullable) for c in described] == [
            (kit.name("required"), False),
            (kit.name("optional"), True),
            (kit.name("required_text"), False),
            (kit.name("optional_text"), True),
        ]
        # NOT NULL changes nullability only, never the type
        assert described[0].type == described[1].type
        assert described[2].type == described[3].type == STRING

    def test_absent_tables_and_schemas(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        missing = TableRef(None, scratch_schema, kit.name("absent"))
        assert adapter.describe_table(missing) is None
        assert adapter.table_exists(missing) is False
        no_schema = kit.unique("rocky_kit_absent")
        assert adapter.describe_table(TableRef(None, no_schema, kit.name("t"))) is None
        assert adapter.list_tables(None, no_schema) == []

    def test_list_tables_and_default_catalog(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        first = TableRef(None, scratch_schema, kit.name("b_table"))
        second = TableRef(None, scratch_schema, kit.name("a_table"))
        for ref in (first, second):
            seed_table(adapter, kit, ref, 1)
        assert sorted(adapter.list_tables(None, scratch_schema)) == sorted(
            [first.table, second.table]
        )
        assert adapter.table_exists(first)
        catalog = adapter.default_catalog()
        if catalog is not None:
            explicit = TableRef(catalog, scratch_schema, first.table)
            assert adapter.describe_table(explicit) == adapter.describe_table(first)
            assert sorted(adapter.list_tables(catalog, scratch_schema)) == sorted(
                [first.table, second.table]
            )


class BaseSchemas(AdapterFixtures):
    """create_schema is CREATE SCHEMA IF NOT EXISTS."""

    def test_create_schema_twice(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        adapter.create_schema(None, scratch_schema)
        adapter.create_schema(adapter.default_catalog(), scratch_schema)
        assert adapter.list_tables(None, scratch_schema) == []

    def test_schemas_keep_tables_apart(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        other = kit.unique("rocky_kit_other")
        adapter.create_schema(None, other)
        try:
            seed_table(adapter, kit, TableRef(None, scratch_schema, kit.name("only_here")), 2)
            seed_table(adapter, kit, TableRef(None, other, kit.name("only_there")), 3)
            assert adapter.list_tables(None, scratch_schema) == [kit.name("only_here")]
            assert adapter.list_tables(None, other) == [kit.name("only_there")]
            assert adapter.describe_table(TableRef(None, other, kit.name("only_here"))) is None
        finally:
            adapter.execute(kit.drop_schema(None, other))


class BaseQuoting(AdapterFixtures):
    """Awkward identifiers survive quoting; unquoted ones follow identifier_case."""

    awkward_identifiers: ClassVar[Sequence[str]] = (
        "with space",
        "MixedCase",
        'has"quote',
        "select",
        "ünïcødé",
        "dot.inside",
        "1starts_with_digit",
    )

    def test_awkward_column_names(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        ref = TableRef(None, scratch_schema, kit.name("awkward_columns"))
        columns = [ColumnSpec(name, "BIGINT") for name in self.awkward_identifiers]
        adapter.execute(kit.create_table(ref, columns))
        values = tuple(range(len(columns)))
        adapter.execute(kit.insert(ref, columns, [values]))
        described = adapter.describe_table(ref)
        assert described is not None
        assert [c.name for c in described] == list(self.awkward_identifiers)
        assert adapter.query_rows(kit.render(kit.select(ref, list(self.awkward_identifiers)))) == [
            values
        ]

    def test_awkward_table_names(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        for name in self.awkward_identifiers:
            seed_table(adapter, kit, TableRef(None, scratch_schema, name), 1)
        assert sorted(adapter.list_tables(None, scratch_schema)) == sorted(self.awkward_identifiers)
        for name in self.awkward_identifiers:
            ref = TableRef(None, scratch_schema, name)
            assert adapter.table_exists(ref), name
            assert adapter.query_rows(kit.count(ref)) == [(1,)]

    def test_awkward_schema_name(self, adapter: Adapter, kit: KitSql) -> None:
        schema = f"kit schema {uuid.uuid4().hex[:6]} ü"
        adapter.create_schema(None, schema)
        try:
            ref = TableRef(None, schema, "Odd Table")
            seed_table(adapter, kit, ref, 2)
            assert adapter.list_tables(None, schema) == ["Odd Table"]
            assert adapter.query_rows(kit.count(ref)) == [(2,)]
        finally:
            adapter.execute(kit.drop_schema(None, schema))

    def test_unquoted_identifiers_follow_identifier_case(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        table = exp.Table(
            this=exp.Identifier(this="KitPlain", quoted=False), db=kit.ident(scratch_schema)
        )
        column = exp.ColumnDef(
            this=exp.Identifier(this="MixedCol", quoted=False), kind=exp.DataType.build("BIGINT")
        )
        adapter.execute(
            kit.render(exp.Create(kind="TABLE", this=exp.Schema(this=table, expressions=[column])))
        )
        stored = adapter.normalize_identifier("KitPlain")
        assert adapter.list_tables(None, scratch_schema) == [stored]
        described = adapter.describe_table(TableRef(None, scratch_schema, stored))
        assert described is not None and [c.name for c in described] == [
            adapter.normalize_identifier("MixedCol")
        ]
