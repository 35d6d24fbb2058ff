"""Lowering: one test per production, checked against SQL parsed by sqlglot.

Most tests assert tree equality with ``sqlglot.parse_one`` of the SQL the
original tool emits for the same file: the lowered tree is the one the
compiler would have parsed from that text.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from rocky.dsl import DslSyntaxError, compile_dsl, lower, parse


def assert_lowers(text: str, expected_sql: str, *, dialect: str | None = None) -> None:
    got = compile_dsl(text, dialect=dialect)
    expected = sqlglot.parse_one(expected_sql, read=dialect)
    assert got.sql(dialect) == expected.sql(dialect)
    assert got == expected


CANONICAL = """\
from raw_orders
where status != "cancelled"
group customer_id { rev: sum(amount), n: count() }
where rev > 0
"""
CANONICAL_SQL = """\
SELECT customer_id, SUM(amount) AS rev, COUNT() AS n
FROM raw_orders
WHERE status IS DISTINCT FROM 'cancelled'
GROUP BY customer_id
HAVING rev > 0"""


def test_the_reference_example() -> None:
    query = compile_dsl(CANONICAL)
    assert isinstance(query, exp.Query)
    assert query == sqlglot.parse_one(CANONICAL_SQL)
    assert query.sql(dialect="duckdb") == sqlglot.parse_one(CANONICAL_SQL).sql(dialect="duckdb")
    assert query.sql(dialect="duckdb") == (
        "SELECT customer_id, SUM(amount) AS rev, COUNT() AS n FROM raw_orders "
        "WHERE status IS DISTINCT FROM 'cancelled' GROUP BY customer_id HAVING rev > 0"
    )


def test_lower_takes_a_parsed_program() -> None:
    assert lower(parse(CANONICAL)) == compile_dsl(CANONICAL)


# --- from, where, group ------------------------------------------------------


def test_from() -> None:
    assert_lowers("from orders", "SELECT * FROM orders")
    assert_lowers("from orders as o", "SELECT * FROM orders o")
    assert_lowers("from cat.sch.orders", "SELECT * FROM cat.sch.orders")
    assert_lowers("from a.b.c.d", "SELECT * FROM a.b.c.d")


def test_where_steps_combine_with_and() -> None:
    assert_lowers("from t | where a > 1 | where b", "SELECT * FROM t WHERE a > 1 AND b")


def test_where_with_or_keeps_its_meaning_when_combined() -> None:
    assert_lowers("from t | where a or b | where c", "SELECT * FROM t WHERE (a OR b) AND c")


def test_group_projects_keys_then_aggregates() -> None:
    assert_lowers(
        "from t | group k1, k2 { s: sum(x), n: count() }",
        "SELECT k1, k2, SUM(x) AS s, COUNT() AS n FROM t GROUP BY k1, k2",
    )


def test_group_without_keys_has_no_group_by() -> None:
    assert_lowers("from t | group { s: sum(x) }", "SELECT SUM(x) AS s FROM t")


def test_where_after_group_is_having() -> None:
    assert_lowers(
        "from t | where a | group k { s: sum(x) } | where s > 1 | where k != 2",
        "SELECT k, SUM(x) AS s FROM t WHERE a GROUP BY k HAVING s > 1 AND k IS DISTINCT FROM 2",
    )


# --- derive and select -------------------------------------------------------


def test_derive_as_last_step_keeps_all_columns() -> None:
    assert_lowers(
        "from t | derive { total: a * b, label: 'x' }",
        "SELECT *, a * b AS total, 'x' AS label FROM t",
    )


def test_derive_before_group_is_inlined() -> None:
    assert_lowers(
        "from orders | derive { total: amount * quantity } | group c { revenue: sum(total) }",
        "SELECT c, SUM(amount * quantity) AS revenue FROM orders GROUP BY c",
    )


def test_derive_inlines_into_where_and_later_derives() -> None:
    assert_lowers(
        "from t | derive { base: a * 2 } | derive { bumped: base + 1 } | where bumped > 3",
        "SELECT *, a * 2 AS base, a * 2 + 1 AS bumped FROM t WHERE a * 2 + 1 > 3",
    )


def test_inlining_parenthesises_by_precedence() -> None:
    assert_lowers(
        "from t | derive { s: a + b } | derive { d: s * 2 }",
        "SELECT *, a + b AS s, (a + b) * 2 AS d FROM t",
    )


def test_inlining_skips_qualified_names() -> None:
    assert_lowers(
        "from t as x | derive { a: 1 } | where x.a == a",
        "SELECT *, 1 AS a FROM t x WHERE x.a = 1",
    )


def test_derive_after_group_is_projected() -> None:
    assert_lowers(
        "from t | group c { rev: sum(x), cost: sum(y) } | derive { margin: rev - cost }",
        "SELECT c, SUM(x) AS rev, SUM(y) AS cost, rev - cost AS margin FROM t GROUP BY c",
    )


def test_select_replaces_the_projection() -> None:
    assert_lowers("from t | select { a, t.b, * }", "SELECT a, t.b, * FROM t")
    assert_lowers("from t | select {}", "SELECT * FROM t")


def test_select_of_a_derived_name_projects_its_expression() -> None:
    assert_lowers(
        "from t | derive { doubled: amount * 2 } | select { id, doubled }",
        "SELECT id, amount * 2 AS doubled FROM t",
    )


def test_group_keys_are_column_names_not_inlined() -> None:
    # As in the original: only expressions inline, keys stay names.
    assert_lowers(
        "from t | derive { y: a } | group y { n: count() }",
        "SELECT y, COUNT() AS n FROM t GROUP BY y",
    )


# --- join ----------------------------------------------------------------------


def test_join_uses_the_from_alias() -> None:
    assert_lowers(
        "from orders as o | join customers as c on customer_id { keep c.name, c.email }",
        "SELECT c.name, c.email FROM orders o JOIN customers AS c ON o.customer_id = c.customer_id",
    )


def test_join_without_aliases_uses_the_names() -> None:
    assert_lowers(
        "from sch.orders | join customers on customer_id, region",
        "SELECT * FROM sch.orders JOIN customers AS customers "
        "ON sch.orders.customer_id = customers.customer_id "
        "AND sch.orders.region = customers.region",
    )


@pytest.mark.parametrize(
    ("dsl", "sql"),
    [
        ("left join", "LEFT JOIN"),
        ("left_join", "LEFT JOIN"),
        ("right join", "RIGHT JOIN"),
        ("right_join", "RIGHT JOIN"),
        ("full join", "FULL JOIN"),
        ("full_join", "FULL JOIN"),
    ],
)
def test_outer_joins(dsl: str, sql: str) -> None:
    assert_lowers(
        f"from t as a | {dsl} m as b on k", f"SELECT * FROM t a {sql} m AS b ON a.k = b.k"
    )


def test_cross_join() -> None:
    assert_lowers("from t | cross join dates as d", "SELECT * FROM t CROSS JOIN dates AS d")
    assert_lowers("from t | cross_join dates", "SELECT * FROM t CROSS JOIN dates AS dates")


def test_keep_follows_a_terminal_derive() -> None:
    assert_lowers(
        "from o | join c on k { keep c.n } | derive { x: 1 }",
        "SELECT *, 1 AS x, c.n FROM o JOIN c AS c ON o.k = c.k",
    )


# --- sort, take, distinct, replicate, let --------------------------------------


def test_sort() -> None:
    assert_lowers("from t | sort a desc, b asc | sort c", "SELECT * FROM t ORDER BY a DESC, b, c")
    sql = compile_dsl("from t | sort a").sql()
    assert "ASC" not in sql


def test_take_distinct() -> None:
    assert_lowers("from t | take 1_000 | distinct", "SELECT DISTINCT * FROM t LIMIT 1000")
    assert_lowers("from t | take 5 | take 7", "SELECT * FROM t LIMIT 7")


def test_replicate_discards_everything_else() -> None:
    assert_lowers(
        "from src.fivetran.orders as o | where x | replicate | take 3",
        "SELECT * FROM src.fivetran.orders",
    )


def test_let_becomes_a_cte() -> None:
    assert_lowers(
        "let active = from users | where is_active == true\n"
        "let big = from orders | where amount > 100\n"
        "from active | join big on user_id | select { id, name }",
        "WITH active AS (SELECT * FROM users WHERE is_active = TRUE), "
        "big AS (SELECT * FROM orders WHERE amount > 100) "
        "SELECT id, name FROM active JOIN big AS big ON active.user_id = big.user_id",
    )


# --- expressions -----------------------------------------------------------------


def w(condition: str) -> str:
    return f"from t | where {condition}"


def test_literals() -> None:
    assert_lowers(w("x == 1_000_000.5"), "SELECT * FROM t WHERE x = 1000000.5")
    assert_lowers(w('x == "it\'s"'), "SELECT * FROM t WHERE x = 'it''s'")
    assert_lowers(w("x == 'plain'"), "SELECT * FROM t WHERE x = 'plain'")
    assert_lowers(w("x == true or y == false"), "SELECT * FROM t WHERE x = TRUE OR y = FALSE")
    assert_lowers(w("x == null"), "SELECT * FROM t WHERE x = NULL")


def test_dates_are_date_literals_even_with_a_time() -> None:
    assert_lowers(w("d >= @2025-01-01"), "SELECT * FROM t WHERE d >= DATE '2025-01-01'")
    assert_lowers(
        w("d < @2025-06-15T12:00:00Z"), "SELECT * FROM t WHERE d < DATE '2025-06-15T12:00:00Z'"
    )


def test_string_quotes_are_escaped_per_dialect() -> None:
    query = compile_dsl(w('x == "it\'s"'))
    assert "'it''s'" in query.sql("duckdb")
    assert "'it\\'s'" in query.sql("bigquery")


@pytest.mark.parametrize(
    ("dsl", "sql"),
    [
        ("a == b", "a = b"),
        ("a != b", "a IS DISTINCT FROM b"),
        ("a < b", "a < b"),
        ("a <= b", "a <= b"),
        ("a > b", "a > b"),
        ("a >= b", "a >= b"),
        ("a + b - c", "a + b - c"),
        ("a * b / c % d", "a * b / c % d"),
        ("a and b or c", "a AND b OR c"),
        ("not a", "NOT a"),
        ("-a > 1", "-a > 1"),
        ("a is null", "a IS NULL"),
        ("a is not null", "a IS NOT NULL"),
    ],
)
def test_operators(dsl: str, sql: str) -> None:
    assert_lowers(w(dsl), f"SELECT * FROM t WHERE {sql}")


@pytest.mark.parametrize(
    ("dsl", "sql"),
    [
        ("(a + b) * c > 0", "(a + b) * c > 0"),
        ("a - (b - c) > 0", "a - (b - c) > 0"),
        ("-(a + b) > 0", "-(a + b) > 0"),
        ("- -a > 0", "- -a > 0"),
        ("not (a and b)", "NOT (a AND b)"),
        ("not (a == b)", "NOT (a = b)"),
        ("not a == b", "(NOT a) = b"),
        ("not a is null", "(NOT a) IS NULL"),
        ("(a == b) == c", "(a = b) = c"),
        ("a and (b or c)", "a AND (b OR c)"),
    ],
)
def test_parentheses_follow_the_dsl_precedence(dsl: str, sql: str) -> None:
    assert_lowers(w(dsl), f"SELECT * FROM t WHERE {sql}")


def test_calls_are_upper_cased_and_typed_when_known() -> None:
    assert_lowers(
        'from t | derive { a: coalesce(email, "unknown"), b: my_udf(x, 1), c: count() }',
        "SELECT *, COALESCE(email, 'unknown') AS a, MY_UDF(x, 1) AS b, COUNT() AS c FROM t",
    )
    projection = compile_dsl("from t | group { s: sum(x) }").expressions
    assert isinstance(projection[0].this, exp.Sum)


def test_a_call_known_functions_reject_stays_anonymous() -> None:
    assert compile_dsl("from t | group { s: sum() }").sql() == "SELECT SUM() AS s FROM t"


def test_window_functions() -> None:
    assert_lowers(
        "from t | derive {"
        " rn: row_number() over (partition c, sort -d),"
        " run: sum(x) over (partition c, sort d, rows unbounded..current),"
        " mv: avg(x) over (sort d, range 3..2),"
        " tail: sum(x) over (rows current..unbounded),"
        " all: count() over () }",
        "SELECT *,"
        " ROW_NUMBER() OVER (PARTITION BY c ORDER BY d DESC) AS rn,"
        " SUM(x) OVER (PARTITION BY c ORDER BY d"
        " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run,"
        " AVG(x) OVER (ORDER BY d RANGE BETWEEN 3 PRECEDING AND 2 FOLLOWING) AS mv,"
        " SUM(x) OVER (ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS tail,"
        " COUNT() OVER () AS all FROM t",
    )


def test_match_is_case_when() -> None:
    assert_lowers(
        'from t | derive { tier: match amount { > 10 => "x", 5 => "y", != 3 => "z", _ => "w" } }',
        "SELECT *, CASE WHEN amount > 10 THEN 'x' WHEN amount = 5 THEN 'y'"
        " WHEN amount IS DISTINCT FROM 3 THEN 'z' ELSE 'w' END AS tier FROM t",
    )


def test_match_without_default_has_no_else() -> None:
    assert_lowers(
        "from t | derive { f: match p { > 5 => true, <= 5 => false } }",
        "SELECT *, CASE WHEN p > 5 THEN TRUE WHEN p <= 5 THEN FALSE END AS f FROM t",
    )


def test_match_of_only_a_default_is_the_default() -> None:
    assert_lowers("from t | derive { f: match p { _ => 1 + 2 } }", "SELECT *, 1 + 2 AS f FROM t")


def test_match_on_an_expression() -> None:
    assert_lowers(
        'from t | derive { f: match a * b { > 1000 => "big", _ => "small" } }',
        "SELECT *, CASE WHEN a * b > 1000 THEN 'big' ELSE 'small' END AS f FROM t",
    )


# --- dialects and errors ---------------------------------------------------------


def test_the_dialect_decides_null_ordering_like_its_parser() -> None:
    text = "from t | sort a, b desc | derive { r: rank() over (sort -c) }"
    sql = "SELECT *, RANK() OVER (ORDER BY c DESC) AS r FROM t ORDER BY a, b DESC"
    for dialect in ("duckdb", "snowflake", "postgres", "bigquery"):
        assert_lowers(text, sql, dialect=dialect)
    assert "NULLS" not in compile_dsl(text, dialect="duckdb").sql("duckdb")


def test_a_pipeline_needs_a_from() -> None:
    with pytest.raises(DslSyntaxError) as info:
        compile_dsl("\n  where x > 1\n  take 3", "m.rocky")
    err = info.value
    assert err.message == "pipeline must start with 'from'"
    assert (err.file, err.line, err.col, err.expected) == ("m.rocky", 2, 3, "from")
    assert err.hint is not None


def test_a_let_needs_a_from() -> None:
    with pytest.raises(DslSyntaxError, match="pipeline must start with 'from'") as info:
        compile_dsl("let a = where x\nlet b = from t\nfrom b")
    assert (info.value.line, info.value.col) == (1, 1)


def test_only_lets_and_no_main_pipeline() -> None:
    with pytest.raises(DslSyntaxError, match="pipeline must start with 'from'") as info:
        compile_dsl("let a = from t\n")
    assert (info.value.line, info.value.col) == (2, 1)


def test_join_before_from() -> None:
    with pytest.raises(DslSyntaxError, match="join before 'from'") as info:
        compile_dsl("join c on k\nfrom t")
    assert (info.value.line, info.value.col) == (1, 1)
