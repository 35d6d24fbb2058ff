"""The inferred type of each expression matches what DuckDB itself reports."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from compiler_helpers import SEED_T

from rocky.types import from_warehouse

EXPRESSIONS = [
    "i",
    "b",
    "d",
    "i + b",
    "i - 1",
    "i * b",
    "i / b",
    "d / i",
    "i // 2",
    "b % 3",
    "d + d",
    "d - i",
    "d * d",
    "d * 2",
    "i * 1.5",
    "b + d",
    "b * d",
    "d * d * d",
    "f * i",
    "-d",
    "1",
    "1.50",
    "0.5",
    "'x'",
    "TRUE",
    "DATE '2024-01-01'",
    "TIMESTAMP '2024-01-01'",
    "CAST(s AS INTEGER)",
    "CAST(i AS DECIMAL)",
    "CAST(i AS DECIMAL(5,1))",
    "s::DATE",
    "TRY_CAST(s AS BIGINT)",
    "CAST(i AS FLOAT)",
    "CAST(i AS DOUBLE)",
    "CAST(s AS TIMESTAMP)",
    "UPPER(s)",
    "LOWER(s)",
    "TRIM(s)",
    "CONCAT(s, i)",
    "s || 'a'",
    "SUBSTRING(s, 1, 2)",
    "LENGTH(s)",
    "REPLACE(s, 'a', 'b')",
    "LEFT(s, 2)",
    "MD5(s)",
    "DATE_TRUNC('month', dt)",
    "DATE_TRUNC('day', ts)",
    "EXTRACT(year FROM dt)",
    "YEAR(ts)",
    "DATE_DIFF('day', dt, dt)",
    "dt + 1",
    "dt - dt",
    "dt + INTERVAL 1 DAY",
    "ts + INTERVAL 1 HOUR",
    "CURRENT_DATE",
    "strftime(dt, '%Y')",
    "ROUND(d, 1)",
    "ROUND(f)",
    "ROUND(i)",
    "ABS(i)",
    "CEIL(d)",
    "FLOOR(f)",
    "SQRT(i)",
    "SIGN(d)",
    "LN(f)",
    "POWER(f, 2)",
    "COALESCE(i, d)",
    "COALESCE(b, 0)",
    "NULLIF(s, 'x')",
    "GREATEST(i, b)",
    "CASE WHEN bo THEN i ELSE d END",
    "CASE WHEN bo THEN 'a' END",
    "i = 1",
    "i IN (1, 2)",
    "s LIKE 'a%'",
    "b IS NULL",
    "NOT bo",
    "COUNT(*)",
    "COUNT(b)",
    "SUM(d)",
    "SUM(f)",
    "AVG(i)",
    "AVG(d)",
    "MIN(s)",
    "MAX(ts)",
    "STRING_AGG(s, ',')",
    "MEDIAN(i)",
    "STDDEV(i)",
    "BOOL_AND(bo)",
    "ROW_NUMBER() OVER ()",
    "RANK() OVER (ORDER BY i)",
    "NTILE(2) OVER ()",
    "PERCENT_RANK() OVER (ORDER BY i)",
    "LAG(i) OVER (ORDER BY i)",
    "SUM(d) OVER ()",
]
# Deliberate: SUM / COUNT_IF of integers is Int64 here (DuckDB widens to HUGEINT).
DELIBERATE = {"SUM(i)", "SUM(b)"}


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_inferred_type_matches_duckdb(
    infer: Callable[[str], list[tuple[str, str, bool]]], expr: str
) -> None:
    assert expr not in DELIBERATE
    con = duckdb.connect()
    try:
        con.execute(SEED_T)
        actual = con.execute(f"DESCRIBE SELECT {expr} AS x FROM raw.t").fetchall()[0][1]
    finally:
        con.close()
    ((_, inferred, _),) = infer(f"SELECT {expr} AS x FROM raw.t")
    assert inferred == str(from_warehouse(actual)), f"{expr}: DuckDB says {actual}"
