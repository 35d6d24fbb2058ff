"""Columns declared on a sidecar's ``[[sources]]`` entries: loading,
located errors, agreement between sidecars, and the compiler typing a
model from them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rocky.errors import ConfigError
from rocky.ir import Column
from rocky.project import load_project
from rocky.types import INT64, STRING, TIMESTAMP, UNKNOWN, decimal, parse_type

Writer = Callable[[dict[str, str | bytes]], Path]

HEAD = '[target]\ncatalog = ""\nschema = "main"\n\n'

ORDERS = """[[sources]]
catalog = ""
schema = "raw"
table = "orders"
columns = [
    { name = "id", type = "Int64", nullable = false },
    { name = "amount", type = "Decimal(10,2)" },
    { name = "placed_at", type = "TIMESTAMP", nullable = false },
    { name = "note" },
]
"""


def _error(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_project(root)
    return info.value


def test_declared_columns_load_typed(write: Writer) -> None:
    root = write({"models/a.sql": "SELECT 1", "models/a.toml": HEAD + ORDERS})
    (source,) = load_project(root).models["a"].config.sources
    assert source.ref.key == "raw.orders"
    assert [c.column for c in source.columns] == [
        Column("id", INT64, False),
        Column("amount", decimal(10, 2), True),
        Column("placed_at", TIMESTAMP, False),
        Column("note", UNKNOWN, True),
    ]


def test_array_of_tables_form_and_frontmatter(write: Writer) -> None:
    sql = (
        "---toml\n" + HEAD + '[[sources]]\ncatalog = "wh"\nschema = "raw"\ntable = "t"\n'
        '[[sources.columns]]\nname = "code"\ntype = "VARCHAR"\n'
        '[[sources.columns]]\nname = "n"\ntype = "Int32"\nnullable = false\n---\nSELECT 1\n'
    )
    root = write({"models/a.sql": sql})
    (source,) = load_project(root).models["a"].config.sources
    assert [(c.name, c.type, c.nullable) for c in source.columns] == [
        ("code", STRING, True),
        ("n", parse_type("Int32"), False),
    ]


def test_sources_without_columns_dump_as_before(write: Writer) -> None:
    plain = '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "orders"\n'
    root = write({"models/a.sql": "SELECT 1", "models/a.toml": HEAD + plain})
    config = load_project(root).models["a"].config
    assert config.model_dump(mode="json", by_alias=True)["sources"] == [
        {"catalog": "", "schema": "raw", "table": "orders"}
    ]
    assert config.sources[0].columns == []


def test_columns_serialize_with_rocky_spellings(write: Writer) -> None:
    root = write({"models/a.sql": "SELECT 1", "models/a.toml": HEAD + ORDERS})
    dumped = load_project(root).models["a"].config.model_dump(mode="json", by_alias=True)
    assert dumped["sources"][0]["columns"][:3] == [
        {"name": "id", "type": "Int64", "nullable": False},
        {"name": "amount", "type": "Decimal(10,2)", "nullable": True},
        {"name": "placed_at", "type": "Timestamp", "nullable": False},
    ]
    json.dumps(dumped)  # plain data all the way down


@pytest.mark.parametrize(
    ("column", "message", "line"),
    [
        (
            '{ name = "amount", type = "Decimal(10,x" }',
            "models/a.toml: `[[sources]] columns`: column `amount` of `raw.orders` "
            "has unknown type `Decimal(10,x` (line 11); write a rocky type such as `Int64`",
            11,
        ),
        (
            '{ name = "amount", type = "Money" }',
            "column `amount` of `raw.orders` has unknown type `Money` (line 11)",
            11,
        ),
        (
            '{ name = "amount", type = 5 }',
            "the `type` of column `amount` of `raw.orders` must be a string, got integer",
            11,
        ),
        (
            '{ name = "amount", nullable = "no" }',
            "`nullable` of column `amount` of `raw.orders` must be a boolean, got string",
            11,
        ),
        (
            '{ name = "amount", nulable = false }',
            "unknown key `nulable` in [sources.columns] in models/a.toml (line 11); "
            "did you mean `nullable`?",
            11,
        ),
        (
            '{ type = "Int64" }',
            "`[[sources]] columns` element 2 of `raw.orders` needs a `name` (a string), "
            "got nothing",
            9,
        ),
        (
            '{ name = "", type = "Int64" }',
            "needs a `name` (a string), got an empty string",
            9,
        ),
        (
            '{ name = "ID", type = "Int64" }',
            "column `ID` of `raw.orders` is declared twice",
            11,
        ),
        ('"amount"', "element 2 of `raw.orders` must be a table, got string", 9),
    ],
)
def test_malformed_column_is_located(write: Writer, column: str, message: str, line: int) -> None:
    sidecar = (
        HEAD
        + '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "orders"\ncolumns = [\n'
        + '    { name = "id", type = "Int64" },\n'
        + f"    {column},\n]\n"
    )
    err = _error(write({"models/a.sql": "SELECT 1", "models/a.toml": sidecar}))
    assert message in str(err)
    assert (err.file, err.line) == ("models/a.toml", line)
    assert "\n" not in str(err)


def test_error_points_into_the_right_sources_entry(write: Writer) -> None:
    sidecar = (
        HEAD
        + '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "customers"\n'
        + 'columns = [{ name = "amount", type = "Int64" }]\n\n'
        + '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "orders"\n'
        + '[[sources.columns]]\nname = "id"\ntype = "Int64"\n'
        + '[[sources.columns]]\nname = "amount"\ntype = "Nope(3)"\n'
        + '\n[strategy]\ntype = "full_refresh"\n'
    )
    err = _error(write({"models/a.sql": "SELECT 1", "models/a.toml": sidecar}))
    assert "column `amount` of `raw.orders` has unknown type `Nope(3)`" in str(err)
    assert err.line == 19  # the `name = "amount"` of the second entry


def test_error_line_counts_frontmatter_offset(write: Writer) -> None:
    sql = (
        "\n---toml\n" + HEAD + '[[sources]]\ncatalog = ""\nschema = "raw"\n'
        'table = "t"\ncolumns = [{ name = "x", type = "Nope" }]\n---\nSELECT 1\n'
    )
    err = _error(write({"models/a.sql": sql}))
    assert (err.file, err.line) == ("models/a.sql", 11)


def test_columns_must_be_a_list(write: Writer) -> None:
    sidecar = HEAD + '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "t"\ncolumns = "id"\n'
    err = _error(write({"models/a.sql": "SELECT 1", "models/a.toml": sidecar}))
    assert "`[[sources]] columns` of `raw.t` must be a list of tables, got string" in str(err)
    assert err.line == 9


def test_two_sidecars_declaring_a_table_must_agree(write: Writer) -> None:
    other = ORDERS.replace('type = "Decimal(10,2)"', 'type = "Float64"')
    root = write(
        {
            "models/a.sql": "SELECT 1",
            "models/a.toml": HEAD + ORDERS,
            "models/b.sql": "SELECT 1",
            "models/b.toml": HEAD + other,
        }
    )
    err = _error(root)
    assert str(err).startswith(
        "models/b.toml: declares the columns of source `raw.orders` differently from models/a.toml"
    )
    (root / "models/b.toml").write_text(HEAD + ORDERS.replace("orders", "ORDERS"))
    project = load_project(root)  # the same declaration, spelt in another case
    assert len(project.models["b"].config.sources[0].columns) == 4


def test_declared_columns_change_the_content_hash(write: Writer) -> None:
    plain = '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "orders"\n'
    root = write({"models/a.sql": "SELECT 1", "models/a.toml": HEAD + plain})
    before = load_project(root).models["a"].content_hash
    (root / "models/a.toml").write_text(HEAD + ORDERS)
    assert load_project(root).models["a"].content_hash != before


# -- through the compiler -------------------------------------------------------


def _compiled_columns(root: Path) -> dict[str, list[tuple[str, str, bool]]]:
    from rocky.compiler import CompileOptions, compile_project

    result = compile_project(load_project(root), CompileOptions(cache=False))
    return {
        name: [(c.name, str(c.type), c.nullable) for c in model.columns]
        for name, model in result.ir.models.items()
    }


def test_compiler_types_a_model_from_declared_columns(write: Writer) -> None:
    root = write(
        {
            "models/a.sql": "SELECT id, amount * 2 AS doubled, placed_at, note FROM raw.orders",
            "models/a.toml": HEAD + ORDERS,
        }
    )
    assert _compiled_columns(root)["a"] == [
        ("id", "Int64", False),
        ("doubled", "Decimal(18,2)", True),
        ("placed_at", "Timestamp", False),
        ("note", "Unknown", True),
    ]


def test_compiler_types_a_table_two_sidecars_declare_alike(write: Writer) -> None:
    root = write(
        {
            "models/a.sql": "SELECT id FROM raw.orders",
            "models/a.toml": HEAD + ORDERS,
            "models/b.sql": "SELECT amount FROM raw.orders",
            "models/b.toml": HEAD + ORDERS,
        }
    )
    columns = _compiled_columns(root)
    assert columns["a"] == [("id", "Int64", False)]
    assert columns["b"] == [("amount", "Decimal(10,2)", True)]
