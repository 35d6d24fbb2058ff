"""Type and nullability inference, one construct at a time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Infer = Callable[[str], list[tuple[str, str, bool]]]


def one(infer: Infer, expr: str, frm: str = "raw.t") -> tuple[str, bool]:
    (_, t, n), *_ = infer(f"SELECT {expr} AS x FROM {frm}")
    return t, n


def test_column_refs_carry_source_types_and_nullability(infer: Infer) -> None:
    assert infer("SELECT i, b, d, s, dt FROM raw.t") == [
        ("i", "Int32", False),
        ("b", "Int64", True),
        ("d", "Decimal(10,2)", True),
        ("s", "String", False),
        ("dt", "Date", False),
    ]


def test_table_alias_and_qualified_refs(infer: Infer) -> None:
    assert infer("SELECT x.i AS a, x.s FROM raw.t AS x") == [
        ("a", "Int32", False),
        ("s", "String", False),
    ]


def test_output_name_takes_the_upstream_spelling(infer: Infer) -> None:
    assert infer("SELECT I, S FROM raw.t")[0][0] == "i"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1", ("Int32", False)),
        ("3000000000", ("Int64", False)),
        ("1.50", ("Decimal(3,2)", False)),
        ("1e3", ("Float64", False)),
        ("'x'", ("String", False)),
        ("TRUE", ("Boolean", False)),
        ("NULL", ("Unknown", True)),
        ("DATE '2024-01-01'", ("Date", False)),
        ("TIMESTAMP '2024-01-01 00:00:00'", ("Timestamp", False)),
    ],
)
def test_literals(infer: Infer, expr: str, expected: tuple[str, bool]) -> None:
    assert one(infer, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("CAST(s AS INTEGER)", ("Int32", False)),
        ("CAST(sn AS BIGINT)", ("Int64", True)),
        ("TRY_CAST(s AS INTEGER)", ("Int32", True)),
        ("s::DATE", ("Date", False)),
        ("CAST(i AS DECIMAL(12,3))", ("Decimal(12,3)", False)),
        ("CAST(i AS DECIMAL)", ("Decimal(18,3)", False)),
        ("CAST(NULL AS VARCHAR)", ("String", True)),
    ],
)
def test_casts(infer: Infer, expr: str, expected: tuple[str, bool]) -> None:
    assert one(infer, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("i + 1", ("Int32", False)),
        ("i + b", ("Int64", True)),
        ("i * f", ("Float64", True)),
        ("i / i", ("Float64", True)),  # DuckDB: int / int is DOUBLE, NULL on a zero divisor
        ("i / 2", ("Float64", False)),
        ("i // 2", ("Int32", False)),
        ("d + d", ("Decimal(11,2)", True)),
        ("d + i", ("Decimal(13,2)", True)),
        ("d * d", ("Decimal(18,4)", True)),
        ("i * 1.5", ("Decimal(12,1)", False)),
        ("-i", ("Int32", False)),
        ("dt + 1", ("Date", False)),
        ("dt - dt", ("Int64", False)),
        ("dt + INTERVAL 1 DAY", ("Timestamp", False)),
        ("ts + INTERVAL 1 HOUR", ("Timestamp", True)),
        ("s || 'x'", ("String", False)),
        ("sn || 'x'", ("String", True)),
    ],
)
def test_arithmetic(infer: Infer, expr: str, expected: tuple[str, bool]) -> None:
    assert one(infer, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("i = 1", ("Boolean", False)),
        ("b > 1", ("Boolean", True)),
        ("i > 1 AND s = 'x'", ("Boolean", False)),
        ("NOT bo", ("Boolean", True)),
        ("i IN (1, 2)", ("Boolean", False)),
        ("b BETWEEN 1 AND 2", ("Boolean", True)),
        ("s LIKE 'a%'", ("Boolean", False)),
        ("sn IS NULL", ("Boolean", False)),
        ("sn IS NOT NULL", ("Boolean", False)),
        ("sn IS DISTINCT FROM 'x'", ("Boolean", False)),
    ],
)
def test_predicates(infer: Infer, expr: str, expected: tuple[str, bool]) -> None:
    assert one(infer, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("CASE WHEN i > 1 THEN i ELSE b END", ("Int64", True)),
        ("CASE WHEN i > 1 THEN i ELSE 0 END", ("Int32", False)),
        ("CASE WHEN i > 1 THEN i END", ("Int32", True)),
        ("CASE WHEN i > 1 THEN d ELSE NULL END", ("Decimal(10,2)", True)),
        ("CASE WHEN i > 1 THEN 'a' ELSE 'b' END", ("String", False)),
        ("COALESCE(sn, s)", ("String", False)),
        ("COALESCE(sn, b)", ("String", True)),
        ("COALESCE(b, 0)", ("Int64", False)),
        ("IFNULL(sn, 'x')", ("String", False)),
        ("NULLIF(i, 0)", ("Int32", True)),
        ("GREATEST(i, b)", ("Int64", True)),
    ],
)
def test_conditionals(infer: Infer, expr: str, expected: tuple[str, bool]) -> None:
    assert one(infer, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("UPPER(s)", ("String", False)),
        ("LOWER(sn)", ("String", True)),
        ("TRIM(s)", ("String", False)),
        ("CONCAT(sn, s)", ("String", False)),  # DuckDB's CONCAT skips NULLs
        ("SUBSTRING(s, 1, 2)", ("String", False)),
        ("LENGTH(s)", ("Int64", False)),
        ("REPLACE(sn, 'a', 'b')", ("String", True)),
        ("DATE_TRUNC('month', dt)", ("Timestamp", False)),
        ("DATE_TRUNC('month', ts)", ("Timestamp", True)),
        ("EXTRACT(year FROM dt)", ("Int64", False)),
        ("YEAR(dt)", ("Int64", False)),
        ("DATE_DIFF('day', dt, dt)", ("Int64", False)),
        ("CURRENT_DATE", ("Date", False)),
        ("CURRENT_TIMESTAMP", ("Timestamp", False)),
        ("NOW()", ("Timestamp", False)),
        ("ROUND(d, 1)", ("Decimal(10,1)", True)),
        ("ROUND(f)", ("Float64", True)),
        ("ABS(i)", ("Int32", False)),
        ("CEIL(d)", ("Decimal(10,0)", True)),
        ("SQRT(i)", ("Float64", False)),
        ("my_udf(i)", ("Unknown", True)),
    ],
)
def test_functions(infer: Infer, expr: str, expected: tuple[str, bool]) -> None:
    assert one(infer, expr) == expected


def test_aggregates_global_are_nullable_except_count(infer: Infer) -> None:
    assert infer(
        "SELECT COUNT(*) AS n, COUNT(b) AS nb, SUM(i) AS si, SUM(d) AS sd, AVG(i) AS ai, "
        "AVG(d) AS ad, MIN(s) AS mn, MAX(dt) AS mx FROM raw.t"
    ) == [
        ("n", "Int64", False),
        ("nb", "Int64", False),
        ("si", "Int64", True),
        ("sd", "Decimal(38,2)", True),
        ("ai", "Float64", True),
        ("ad", "Float64", True),
        ("mn", "String", True),
        ("mx", "Date", True),
    ]


def test_aggregates_under_group_by_keep_non_null_inputs_non_null(infer: Infer) -> None:
    assert infer("SELECT s, SUM(i) AS si, SUM(b) AS sb, MIN(dt) AS mn FROM raw.t GROUP BY s") == [
        ("s", "String", False),
        ("si", "Int64", False),
        ("sb", "Int64", True),
        ("mn", "Date", False),
    ]


def test_rollup_makes_every_output_nullable(infer: Infer) -> None:
    assert infer("SELECT s, SUM(i) AS si FROM raw.t GROUP BY ROLLUP (s)") == [
        ("s", "String", True),
        ("si", "Int64", True),
    ]


def test_filter_clause_makes_an_aggregate_nullable(infer: Infer) -> None:
    assert one(infer, "SUM(i) FILTER (WHERE i > 1)", "raw.t GROUP BY s") == ("Int64", True)


def test_window_functions(infer: Infer) -> None:
    assert infer(
        "SELECT ROW_NUMBER() OVER (PARTITION BY s ORDER BY dt) AS rn, "
        "RANK() OVER (ORDER BY i) AS rk, DENSE_RANK() OVER (ORDER BY i) AS dr, "
        "NTILE(4) OVER (ORDER BY i) AS nt, LAG(i) OVER (ORDER BY dt) AS lg, "
        "LEAD(i, 1, 0) OVER (ORDER BY dt) AS ld, SUM(i) OVER (PARTITION BY s) AS sm, "
        "SUM(i) OVER (ORDER BY dt ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) AS ahead, "
        "PERCENT_RANK() OVER (ORDER BY i) AS pr FROM raw.t"
    ) == [
        ("rn", "Int64", False),
        ("rk", "Int64", False),
        ("dr", "Int64", False),
        ("nt", "Int64", False),
        ("lg", "Int32", True),
        ("ld", "Int32", False),
        ("sm", "Int64", False),
        ("ahead", "Int64", True),
        ("pr", "Float64", False),
    ]


def test_joins_make_the_outer_side_nullable(infer: Infer) -> None:
    base = "SELECT t.i AS ti, u.i AS ui FROM raw.t t {} JOIN raw.u u ON t.i = u.i"
    assert infer(base.format("INNER")) == [("ti", "Int32", False), ("ui", "Int32", False)]
    assert infer(base.format("LEFT")) == [("ti", "Int32", False), ("ui", "Int32", True)]
    assert infer(base.format("RIGHT")) == [("ti", "Int32", True), ("ui", "Int32", False)]
    assert infer(base.format("FULL")) == [("ti", "Int32", True), ("ui", "Int32", True)]


def test_inner_join_keys_become_non_null(infer: Infer) -> None:
    assert infer("SELECT t.b FROM raw.t t JOIN raw.u u ON t.b = u.i") == [("b", "Int64", False)]


def test_where_is_not_null_and_comparisons_prove_non_null(infer: Infer) -> None:
    assert infer("SELECT sn, b, ts FROM raw.t WHERE sn IS NOT NULL AND b > 0") == [
        ("sn", "String", False),
        ("b", "Int64", False),
        ("ts", "Timestamp", True),
    ]


def test_ctes_chained_and_derived_tables(infer: Infer) -> None:
    sql = """
        WITH a AS (SELECT i, d FROM raw.t),
             b AS (SELECT i, d * 2 AS dd FROM a)
        SELECT x.i, x.dd, y.total
        FROM b AS x
        JOIN (SELECT i, SUM(amount) AS total FROM raw.u GROUP BY i) AS y ON x.i = y.i
    """
    assert infer(sql) == [
        ("i", "Int32", False),
        ("dd", "Decimal(18,2)", True),
        ("total", "Decimal(38,4)", False),
    ]


def test_cte_column_aliases_and_recursive_cte(infer: Infer) -> None:
    assert infer("WITH c(a, b) AS (SELECT i, s FROM raw.t) SELECT a, b FROM c") == [
        ("a", "Int32", False),
        ("b", "String", False),
    ]
    rec = (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3)"
        " SELECT n FROM r"
    )
    assert infer(rec) == [("n", "Int32", False)]


def test_scalar_subquery_and_exists(infer: Infer) -> None:
    assert infer(
        "SELECT (SELECT MAX(amount) FROM raw.u) AS top, "
        "EXISTS (SELECT 1 FROM raw.u WHERE u.i = t.i) AS has_u FROM raw.t"
    ) == [("top", "Decimal(12,4)", True), ("has_u", "Boolean", False)]


def test_set_operations_take_positional_supertypes(infer: Infer) -> None:
    assert infer("SELECT i AS k, s FROM raw.t UNION ALL SELECT b, sn FROM raw.t") == [
        ("k", "Int64", True),
        ("s", "String", True),
    ]
    assert infer("SELECT i FROM raw.t INTERSECT SELECT i FROM raw.u") == [("i", "Int32", False)]
    assert infer("SELECT b FROM raw.t EXCEPT SELECT i FROM raw.u") == [("b", "Int64", True)]


def test_select_star_expands_known_schemas(infer: Infer) -> None:
    assert infer("SELECT * FROM raw.u") == [
        ("i", "Int32", False),
        ("name", "String", True),
        ("amount", "Decimal(12,4)", False),
    ]
    assert infer("SELECT u.*, t.s FROM raw.t t JOIN raw.u u ON t.i = u.i")[-1] == (
        "s",
        "String",
        False,
    )
    assert [c[0] for c in infer("SELECT * EXCLUDE (name) FROM raw.u")] == ["i", "amount"]
    assert infer("SELECT * REPLACE (amount * 2 AS amount) FROM raw.u")[2] == (
        "amount",
        "Decimal(18,4)",
        False,
    )
    using = infer("SELECT * FROM raw.u a JOIN raw.u b USING (i)")
    assert [c[0] for c in using] == ["i", "name", "amount", "name", "amount"]


def test_lateral_alias_and_values(infer: Infer) -> None:
    assert infer("SELECT i * 2 AS twice, twice + 1 AS more FROM raw.t") == [
        ("twice", "Int32", False),
        ("more", "Int32", False),
    ]
    assert infer("SELECT a, b FROM (VALUES (1, 'x'), (2, NULL)) AS v(a, b)") == [
        ("a", "Int32", False),
        ("b", "String", True),
    ]


def test_unaliased_expression_is_named_by_its_sql(infer: Infer) -> None:
    assert infer("SELECT i + 1 FROM raw.t")[0][0] == "i + 1"


def test_placeholders_type_as_timestamps(compile_files) -> None:  # type: ignore[no-untyped-def]
    result = compile_files(
        {
            "data/seed.sql": "CREATE TABLE e (ts TIMESTAMP NOT NULL, v INTEGER);",
            "models/m.sql": "SELECT ts, @start_date AS lo, @end_date AS hi FROM e "
            "WHERE ts >= @start_date AND ts < @end_date",
        },
        with_seed=True,
    )
    m = result.ir.models["m"]
    assert [(c.name, str(c.type), c.nullable) for c in m.columns] == [
        ("ts", "Timestamp", False),
        ("lo", "Timestamp", False),
        ("hi", "Timestamp", False),
    ]
    assert "@start_date" in m.sql and "__rocky" not in m.sql
