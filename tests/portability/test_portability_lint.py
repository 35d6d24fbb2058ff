"""The P001 lint on SQL text: catalog, spans, pragma, allow list, rewrites."""

from __future__ import annotations

import pytest

from rocky.diagnostics import Severity
from rocky.errors import RockyError
from rocky.portability import CATALOG, detect, lint, normalize_dialect, parse_pragmas

TARGETS = ["databricks", "snowflake", "bigquery", "duckdb"]


def constructs(sql: str, target: str, source: str = "duckdb") -> list[str]:
    return [i.construct for i in detect(sql, source, target)]


@pytest.mark.parametrize("name", sorted(CATALOG))
@pytest.mark.parametrize("target", TARGETS)
def test_every_catalog_function_follows_the_table(name: str, target: str) -> None:
    args = "day, a, b" if name in ("DATEDIFF", "DATE_DIFF", "DATEADD") else "a, b"
    sql = f"SELECT {name.lower()}({args}) AS x FROM t"
    flagged = name in constructs(sql, target)
    assert flagged == (target not in CATALOG[name]), (name, target)


@pytest.mark.parametrize(
    ("sql", "construct", "native"),
    [
        (
            "SELECT a FROM t QUALIFY row_number() OVER (ORDER BY a) = 1",
            "QUALIFY",
            {"snowflake", "databricks", "bigquery"},
        ),
        ("SELECT a FROM t WHERE a ILIKE 'x%'", "ILIKE", {"snowflake", "duckdb", "databricks"}),
        ("SELECT f.value FROM t, LATERAL FLATTEN(input => t.arr) f", "FLATTEN", {"snowflake"}),
    ],
)
def test_keyword_constructs(sql: str, construct: str, native: set[str]) -> None:
    for target in TARGETS:
        assert (construct in constructs(sql, target)) == (target not in native), target


def test_message_span_and_suggestion_match_the_reference() -> None:
    sql = (
        "-- a comment\nSELECT\n    order_id,\n    NVL(status, 'unknown') AS status\n"
        "FROM raw__orders.orders\n"
    )
    [diag] = lint(sql, "duckdb", "bq", file="models/x.sql", line_offset=3, model="x")
    assert diag.code == "P001" and diag.severity is Severity.ERROR and diag.model == "x"
    assert diag.message == "NVL is not portable to BigQuery (supported by: Snowflake, Databricks)"
    assert (diag.span.file, diag.span.line, diag.span.col) == ("models/x.sql", 7, 5)  # type: ignore[union-attr]
    assert diag.suggestion == (
        "replace NVL(...) with IFNULL(...) or COALESCE(...); "
        "rewritten for BigQuery: COALESCE(status, 'unknown')"
    )


def test_no_false_positives_on_identifiers_and_strings() -> None:
    assert constructs("SELECT nvl, 'NVL(x) QUALIFY ILIKE' AS msg FROM t", "bigquery") == []
    assert constructs("SELECT flatten(x) FROM t", "bigquery") == []  # a scalar, not FLATTEN


def test_unparseable_sql_yields_nothing() -> None:
    assert detect("SELEC BOGUS FROM (", "duckdb", "bigquery") == []


def test_placeholders_keep_spans_exact() -> None:
    sql = "SELECT * FROM t\nWHERE ts >= @start_date AND x = @var(region, 'eu') AND NVL(a, b) = 1"
    [issue] = detect(sql, "duckdb", "bigquery")
    assert sql[issue.offset : issue.offset + 3] == "NVL"


def test_pragmas_and_allow_list_are_case_insensitive() -> None:
    assert parse_pragmas("-- rocky-allow: nvl, Qualify\n  -- ROCKY-ALLOW : ilike,,\nSELECT 1") == {
        "NVL",
        "QUALIFY",
        "ILIKE",
    }
    assert parse_pragmas("-- rocky-allow NVL\nSELECT '-- rocky-allow: NVL'") == frozenset()
    sql = "SELECT NVL(a, b), LEN(s) FROM t WHERE s ILIKE 'x'"
    assert [d.message.split()[0] for d in lint(sql, "duckdb", "bigquery")] == [
        "NVL",
        "LEN",
        "ILIKE",
    ]
    assert [
        d.message.split()[0] for d in lint(sql, "duckdb", "bigquery", allow=["len", "ILike"])
    ] == ["NVL"]
    assert lint("-- rocky-allow: NVL, len, ilike\n" + sql, "duckdb", "bigquery") == []


def test_rewrites_are_offered_only_when_faithful() -> None:
    [dateadd] = lint("SELECT DATEADD(day, 1, ts) FROM t", "duckdb", "bigquery")
    # DuckDB does not know DATEADD; the call is read as Snowflake SQL to rewrite it
    assert dateadd.suggestion is not None
    assert dateadd.suggestion.endswith("rewritten for BigQuery: DATE_ADD(ts, INTERVAL 1 DAY)")
    [to_char] = lint("SELECT TO_CHAR(ts, 'YYYY') FROM t", "duckdb", "bigquery")
    assert "rewritten" not in (to_char.suggestion or "")  # the format would be lost
    [qualify] = lint(
        "SELECT a FROM t QUALIFY row_number() OVER (ORDER BY a) = 1", "duckdb", "duckdb"
    )
    assert (
        "rewritten for DuckDB: SELECT a FROM (SELECT a, ROW_NUMBER() OVER (ORDER BY a) AS _w"
        in (qualify.suggestion or "")
    )
    [ilike] = lint("SELECT a FROM t WHERE a ILIKE 'x%'", "duckdb", "bigquery")
    assert (ilike.suggestion or "").endswith("rewritten for BigQuery: LOWER(a) LIKE LOWER('x%')")


def test_constructs_sqlglot_cannot_transpile_are_flagged() -> None:
    sql = "SELECT id,\n  string_agg(name, ',' ORDER BY name) AS names FROM t GROUP BY id"
    [diag] = lint(sql, "duckdb", "bigquery", file="m.sql")
    assert diag.message == (
        "STRING_AGG is not portable to BigQuery (supported by: Databricks, Snowflake, DuckDB)"
    )
    assert (diag.span.line, diag.span.col) == (2, 3)  # type: ignore[union-attr]
    assert "NULLS LAST" in (diag.suggestion or "")
    assert lint(sql, "duckdb", "snowflake") == []


def test_dialect_spellings() -> None:
    assert [normalize_dialect(n) for n in ("dbx", "SF", "bq", "duckdb", "BigQuery")] == [
        "databricks",
        "snowflake",
        "bigquery",
        "duckdb",
        "bigquery",
    ]
    with pytest.raises(RockyError, match="unknown target dialect 'oracle'"):
        normalize_dialect("oracle")


@pytest.mark.parametrize("target", TARGETS)
def test_ordinary_analytics_sql_is_clean_everywhere(target: str) -> None:
    sql = """
    WITH o AS (
        SELECT order_id, customer_id, CAST(amount AS DECIMAL(10,2)) AS amount, ordered_at
        FROM shop.orders WHERE status <> 'void'
    )
    SELECT c.customer_id, COUNT(*) AS n, SUM(o.amount) AS total, MAX(o.ordered_at) AS last_at,
           CASE WHEN SUM(o.amount) > 100 THEN 'big' ELSE 'small' END AS size,
           ROW_NUMBER() OVER (PARTITION BY c.country ORDER BY SUM(o.amount) DESC) AS rk,
           COALESCE(c.country, 'unknown') AS country, UPPER(c.name) AS name
    FROM o
    JOIN shop.customers AS c ON c.customer_id = o.customer_id
    LEFT JOIN shop.flags AS f ON f.customer_id = c.customer_id
    GROUP BY c.customer_id, c.country, c.name
    HAVING COUNT(*) > 1
    """
    assert detect(sql, "duckdb", target) == []
