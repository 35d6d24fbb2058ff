"""Lowered DSL run on a real engine: in-memory DuckDB, own data.

Each test is a small equivalent of one of the original's example projects
(aggregation, the full pipeline, NULL-safe `!=`, dates and `match`, windows,
a two-model lineage chain) and compares the rows the lowered SQL returns with
those of SQL written by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from rocky.dsl import compile_dsl

SEED = """
CREATE TABLE shipments AS
SELECT * FROM (VALUES
    (1, 10, 12.5, 'delivered',  DATE '2025-01-03', 'north'),
    (2, 10, 40.0, 'lost',       DATE '2025-01-04', 'north'),
    (3, 11,  7.25, NULL,        DATE '2025-02-10', 'south'),
    (4, 11, 99.0, 'delivered',  DATE '2025-03-01', 'south'),
    (5, 12,  3.0, 'in_transit', DATE '2025-03-02', 'east'),
    (6, 12, NULL, 'delivered',  DATE '2025-03-05', 'east'),
    (7, 10, 55.5, NULL,         DATE '2025-04-11', 'north'),
    (8, 13,  0.0, 'lost',       DATE '2025-04-12', 'west'),
    (9, 11, 20.0, 'delivered',  DATE '2025-05-20', 'south'),
    (10, 14, 600.0, 'delivered', DATE '2025-06-01', 'north'),
    (11, 14, 150.0, 'in_transit', DATE '2025-06-02', 'north')
) AS v(shipment_id, carrier_id, weight, state, ship_date, region);

CREATE TABLE carriers AS
SELECT * FROM (VALUES
    (10, 'Albatross', 'north'),
    (11, 'Badger', 'south'),
    (12, 'Cormorant', 'east'),
    (15, 'Dormouse', 'west')
) AS v(carrier_id, carrier_name, region);
"""


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    connection.execute(SEED)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def run_dsl(con: duckdb.DuckDBPyConnection, text: str) -> list[tuple[Any, ...]]:
    return rows(con, compile_dsl(text, dialect="duckdb").sql(dialect="duckdb"))


def unordered(result: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(result, key=repr)


def test_aggregation_with_having(con: duckdb.DuckDBPyConnection) -> None:
    dsl = """
    -- totals per carrier, lost shipments excluded
    from shipments
    where state != "lost"
    group carrier_id {
        total_weight: sum(weight),
        shipment_count: count(),
        first_ship: min(ship_date)
    }
    where total_weight > 0
    """
    expected = """
    SELECT carrier_id, SUM(weight) AS total_weight, COUNT(*) AS shipment_count,
           MIN(ship_date) AS first_ship
    FROM shipments
    WHERE state IS DISTINCT FROM 'lost'
    GROUP BY carrier_id
    HAVING SUM(weight) > 0
    """
    got = run_dsl(con, dsl)
    assert unordered(got) == unordered(rows(con, expected))
    assert len(got) == 4


def test_a_sql_model_reads_a_dsl_model(con: duckdb.DuckDBPyConnection) -> None:
    dsl = "from shipments | group carrier_id { total: sum(weight), n: count() }"
    con.execute(f"CREATE VIEW carrier_totals AS {compile_dsl(dsl, dialect='duckdb').sql('duckdb')}")
    got = rows(con, "SELECT carrier_id, total / n FROM carrier_totals WHERE n >= 2")
    expected = rows(
        con,
        "SELECT carrier_id, SUM(weight) / COUNT(*) FROM shipments "
        "GROUP BY carrier_id HAVING COUNT(*) >= 2",
    )
    assert unordered(got) == unordered(expected)


def test_full_pipeline_sorted_and_limited(con: duckdb.DuckDBPyConnection) -> None:
    dsl = """
    from shipments
    where state != "lost"
    group carrier_id {
        total_weight: sum(weight),
        shipment_count: count(),
        avg_weight: sum(weight) / count()
    }
    where total_weight > 10
    sort total_weight desc
    take 2
    """
    expected = """
    SELECT carrier_id, SUM(weight) AS total_weight, COUNT(*) AS shipment_count,
           SUM(weight) / COUNT(*) AS avg_weight
    FROM shipments
    WHERE state IS DISTINCT FROM 'lost'
    GROUP BY carrier_id
    HAVING SUM(weight) > 10
    ORDER BY total_weight DESC
    LIMIT 2
    """
    assert run_dsl(con, dsl) == rows(con, expected)
    assert [r[0] for r in run_dsl(con, dsl)] == [14, 11]


def test_not_equal_keeps_null_rows(con: duckdb.DuckDBPyConnection) -> None:
    dsl = 'from shipments\nwhere state != "lost"'
    got = run_dsl(con, dsl)
    null_safe = rows(con, "SELECT * FROM shipments WHERE state IS DISTINCT FROM 'lost'")
    null_blind = rows(con, "SELECT * FROM shipments WHERE state != 'lost'")
    assert unordered(got) == unordered(null_safe)
    assert len(got) == 9
    assert len(null_blind) == 7  # plain SQL drops the two NULL-state rows


def test_dates_and_match(con: duckdb.DuckDBPyConnection) -> None:
    dsl = """
    from shipments
    where ship_date >= @2025-03-01
    where weight is not null
    derive {
      band: match weight {
        > 500 => "heavy",
        > 50 => "medium",
        0.0 => "empty",
        != 3 => "light",
        _ => "three"
      },
      late: ship_date > @2025-05-01T00:00:00Z
    }
    """
    expected = """
    SELECT *,
           CASE WHEN weight > 500 THEN 'heavy'
                WHEN weight > 50 THEN 'medium'
                WHEN weight = 0.0 THEN 'empty'
                WHEN weight IS DISTINCT FROM 3 THEN 'light'
                ELSE 'three' END AS band,
           ship_date > DATE '2025-05-01' AS late
    FROM shipments
    WHERE ship_date >= DATE '2025-03-01' AND weight IS NOT NULL
    """
    got = run_dsl(con, dsl)
    assert unordered(got) == unordered(rows(con, expected))
    assert {r[-2] for r in got} == {"heavy", "medium", "empty", "light", "three"}


def test_window_functions(con: duckdb.DuckDBPyConnection) -> None:
    dsl = """
    from shipments
    derive {
        running_weight: sum(weight)
            over (partition carrier_id, sort ship_date, rows unbounded..current),
        latest_first: row_number() over (partition carrier_id, sort -ship_date),
        prev_weight: lag(weight, 1) over (partition carrier_id, sort ship_date),
        moving: avg(weight) over (sort ship_date, rows 1..1)
    }
    """
    expected = """
    SELECT *,
        SUM(weight) OVER (PARTITION BY carrier_id ORDER BY ship_date
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_weight,
        ROW_NUMBER() OVER (PARTITION BY carrier_id ORDER BY ship_date DESC) AS latest_first,
        LAG(weight, 1) OVER (PARTITION BY carrier_id ORDER BY ship_date) AS prev_weight,
        AVG(weight) OVER (ORDER BY ship_date ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS moving
    FROM shipments
    """
    assert unordered(run_dsl(con, dsl)) == unordered(rows(con, expected))


def test_two_dsl_models_in_a_chain(con: duckdb.DuckDBPyConnection) -> None:
    staging = 'from shipments\nwhere state != "lost"'
    facts = "from stg_shipments\ngroup carrier_id {\n    total: sum(weight)\n}"
    con.execute(
        f"CREATE VIEW stg_shipments AS {compile_dsl(staging, dialect='duckdb').sql('duckdb')}"
    )
    expected = """
    SELECT carrier_id, SUM(weight) AS total FROM shipments
    WHERE state IS DISTINCT FROM 'lost' GROUP BY carrier_id
    """
    assert unordered(run_dsl(con, facts)) == unordered(rows(con, expected))


def test_joins_lets_and_derived_columns(con: duckdb.DuckDBPyConnection) -> None:
    dsl = """
    let named = from carriers as c
        where carrier_name != "Dormouse"

    from shipments as s
    left join named as n on carrier_id {
        keep n.carrier_name
    }
    derive { kg: weight * 1000 }
    where kg > 5000 or s.state is null
    select { s.shipment_id, n.carrier_name, kg }
    sort shipment_id
    """
    expected = """
    WITH named AS (SELECT * FROM carriers c WHERE carrier_name IS DISTINCT FROM 'Dormouse')
    SELECT s.shipment_id, n.carrier_name, s.weight * 1000 AS kg
    FROM shipments s LEFT JOIN named n ON s.carrier_id = n.carrier_id
    WHERE s.weight * 1000 > 5000 OR s.state IS NULL
    ORDER BY s.shipment_id
    """
    got = run_dsl(con, dsl)
    assert got == rows(con, expected)
    assert (10, None, 600000.0) in got


def test_inner_and_cross_joins_distinct_replicate(con: duckdb.DuckDBPyConnection) -> None:
    inner = run_dsl(con, "from shipments as s | join carriers as c on carrier_id, region")
    assert unordered(inner) == unordered(
        rows(
            con,
            "SELECT * FROM shipments s JOIN carriers c "
            "ON s.carrier_id = c.carrier_id AND s.region = c.region",
        )
    )
    crossed = run_dsl(con, "from carriers | cross join carriers as other | distinct")
    assert len(crossed) == 16
    regions = run_dsl(con, "from shipments | select { region } | distinct | sort region")
    assert regions == rows(con, "SELECT DISTINCT region FROM shipments ORDER BY region")
    assert unordered(run_dsl(con, "from shipments | replicate")) == unordered(
        rows(con, "SELECT * FROM shipments")
    )


def test_prefix_not_binds_tighter_than_is_null(con: duckdb.DuckDBPyConnection) -> None:
    # `(not (weight > 50)) is null`: true only where weight is null. Read as
    # SQL text without parentheses it would mean the opposite.
    dsl = "from shipments | where not (weight > 50) is null | select { shipment_id }"
    assert run_dsl(con, dsl) == [(6,)]
