"""Inference paths that have a fast common case and a general one: both
must give the same answer (columns resolved through joins, repeated output
names, node kinds classified on first sight, shared lineage, literal types)."""

from __future__ import annotations

from collections.abc import Callable

from compiler_helpers import SEED_T, Compile, cols
from sqlglot import exp

from rocky.compiler.sqltypes import literal_type
from rocky.ir import ModelIR

Infer = Callable[[str], list[tuple[str, str, bool]]]


def _edges(model: ModelIR) -> list[tuple[str, str, str, str]]:
    return [(e.source.model, e.source.column, e.target.column, e.transform) for e in model.lineage]


def test_qualified_columns_of_an_outer_join_are_nullable_unless_filtered(infer: Infer) -> None:
    sql = "SELECT a.i AS ai, b.i AS bi, b.amount FROM raw.t AS a LEFT JOIN raw.u AS b ON a.i = b.i"
    assert infer(sql) == [
        ("ai", "Int32", False),
        ("bi", "Int32", True),
        ("amount", "Decimal(12,4)", True),
    ]
    filtered = sql + " WHERE b.amount IS NOT NULL"
    assert infer(filtered)[2] == ("amount", "Decimal(12,4)", False)


def test_unqualified_columns_through_joins(infer: Infer) -> None:
    # one table has the column: it is found there, with the join's nullability
    assert infer("SELECT s, name FROM raw.t AS a LEFT JOIN raw.u AS b ON a.i = b.i") == [
        ("s", "String", False),
        ("name", "String", True),
    ]
    # a USING key is one column, non-null when both sides are
    assert infer("SELECT i FROM raw.t JOIN raw.u USING (i)") == [("i", "Int32", False)]


def test_a_column_both_joined_tables_have_keeps_their_type(compile_files: Compile) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED_T,
            "models/m.sql": "SELECT i FROM raw.t AS a JOIN raw.u AS b ON a.i = b.i",
        },
        with_seed=True,
    )
    # both tables have i: the column is still typed (same type on both sides)
    assert cols(result.ir.models["m"]) == [("i", "Int32", False)]


def test_lateral_alias_and_outer_reference(infer: Infer) -> None:
    assert infer("SELECT i + 1 AS j, j * 2 AS k FROM raw.t") == [
        ("j", "Int32", False),
        ("k", "Int32", False),
    ]
    got = infer(
        "SELECT i, (SELECT MAX(u.amount) FROM raw.u AS u WHERE u.i = t.i) AS top FROM raw.t"
    )
    assert got == [("i", "Int32", False), ("top", "Decimal(12,4)", True)]


def test_repeated_output_names_resolve_to_the_first(compile_files: Compile) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED_T,
            "models/a.sql": "SELECT i AS x, s AS x FROM raw.t",
            "models/b.sql": "SELECT x FROM a",
        },
        with_seed=True,
    )
    assert cols(result.ir.models["b"]) == [("x", "Int32", False)]


def test_node_kinds_classified_on_first_sight(infer: Infer) -> None:
    got = infer(
        "SELECT b IS DISTINCT FROM i AS d, i % 3 AS m, NOT bo AS n, "
        "EXISTS (SELECT 1 FROM raw.u) AS e, b BETWEEN 1 AND 2 AS btw FROM raw.t"
    )
    assert got == [
        ("d", "Boolean", False),
        ("m", "Int32", False),  # a non-zero literal divisor
        ("n", "Boolean", True),
        ("e", "Boolean", False),
        ("btw", "Boolean", True),
    ]


def test_lineage_transforms_stack_without_touching_shared_sources(
    compile_files: Compile,
) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED_T,
            "models/m.sql": (
                "SELECT s, UPPER(TRIM(s)) AS u, CAST(i AS BIGINT) AS c, "
                "SUM(CAST(i AS BIGINT)) OVER () AS w, i + b AS ib FROM raw.t"
            ),
        },
        with_seed=True,
    )
    assert _edges(result.ir.models["m"]) == [
        ("raw.t", "s", "s", "direct"),
        ("raw.t", "s", "u", "expression"),
        ("raw.t", "i", "c", "cast"),
        ("raw.t", "i", "w", "window: sum"),
        ("raw.t", "b", "ib", "expression"),
        ("raw.t", "i", "ib", "expression"),
    ]


def test_row_edges_come_once_per_source(compile_files: Compile) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED_T,
            "models/m.sql": (
                "SELECT a.s FROM raw.t AS a JOIN raw.u AS b ON a.i = b.i "
                "WHERE a.i > 0 AND b.i < 10 AND a.sn IS NOT NULL"
            ),
        },
        with_seed=True,
    )
    rows = [e for e in _edges(result.ir.models["m"]) if e[2] == "*"]
    assert rows == [
        ("raw.t", "i", "*", "join_key"),
        ("raw.u", "i", "*", "join_key"),
        ("raw.t", "i", "*", "filter"),
        ("raw.t", "sn", "*", "filter"),
        ("raw.u", "i", "*", "filter"),
    ]


def test_literal_types_stay_right_past_the_remembered_ones() -> None:
    def typed(text: str) -> str:
        return str(literal_type(exp.Literal.number(text)))

    assert typed("1.50") == "Decimal(3,2)"
    assert typed("1.50") == "Decimal(3,2)"  # remembered: same answer
    for n in range(5000):  # more spellings than are remembered
        assert typed(str(2**31 + n)) == "Int64"
    assert typed("12.345") == "Decimal(5,3)"
    assert typed("2147483647") == "Int32"
    assert typed("1e3") == "Float64"
