"""`.rocky` models behave exactly like their SQL twins through the product:
``rocky compile`` types them (checked against what the run really built),
``rocky run`` materializes them, their tables hold the twins' rows, and
``rocky lineage`` traces their columns back to the upstream sources.

Projects (tests/dsl_projects/projects/):

- ``shop``: seeds, a SQL view, a DSL aggregate with no sidecar and a
  contract, and a SQL model reading the DSL model;
- ``pipeline_steps``: data/seed.sql sources with NOT NULL columns, and
  ``let``, ``derive`` (inlined), ``group``/``having``, ``join``/``keep``,
  ``select``, ``distinct``, ``sort``/``take``;
- ``null_safe``: NULL statuses against ``!=``, ``==``, ``is null``, a
  ``match`` with ``!=`` arms, and ``sort`` over NULLs with ``take``;
- ``dates_match``: ``@date`` and ``@datetime`` literals, ``match`` arms,
  date arithmetic; DSL models configured by ``_defaults.toml`` alone;
- ``windows``: window functions with partitions, descending sorts and
  frames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dsl_project_helpers import Built, build

from rocky.types import from_warehouse, parse_type

pytestmark = pytest.mark.slow

# (project, DSL model, SQL twin): the DSL model's columns as the type rules
# in docs/compiler.md give them (name, type, nullable).
CASES: dict[tuple[str, str, str], list[tuple[str, str, bool]]] = {
    ("shop", "customer_orders", "customer_orders_sql"): [
        ("customer_id", "Int64", True),  # a group key keeps its nullability
        ("total_revenue", "Decimal(38,2)", True),  # SUM of a nullable Decimal(10,2)
        ("order_count", "Int64", False),  # COUNT is never null
        ("first_order", "Date", True),
    ],
    ("pipeline_steps", "top_customers", "top_customers_sql"): [
        ("customer_id", "Int64", False),  # NOT NULL in data/seed.sql
        ("total_revenue", "Decimal(38,2)", False),  # non-null input, grouped
        ("order_count", "Int64", False),
        ("avg_order_value", "Float64", True),  # `/` on DuckDB may divide by zero
    ],
    ("pipeline_steps", "net_by_customer", "net_by_customer_sql"): [
        ("customer_id", "Int64", False),
        ("net_total", "Decimal(38,2)", True),  # discount is nullable
        ("orders", "Int64", False),
    ],
    ("pipeline_steps", "completed_orders", "completed_orders_sql"): [
        ("order_id", "Int64", False),
        ("customer_id", "Int64", False),
        ("region", "String", True),
        ("amount", "Decimal(10,2)", False),
        ("big_order", "Boolean", False),
    ],
    ("pipeline_steps", "customer_statuses", "customer_statuses_sql"): [
        ("customer_id", "Int64", False),
        ("status", "String", True),
    ],
    ("null_safe", "kept_dsl", "kept_sql"): [
        ("order_id", "Int64", True),
        # IS DISTINCT FROM lets NULL through, so status stays nullable
        # (a plain `!=` would have made it non-null).
        ("status", "String", True),
        ("amount", "Decimal(10,2)", True),
    ],
    ("null_safe", "status_flags", "status_flags_sql"): [
        ("order_id", "Int64", True),
        ("status", "String", True),
        ("amount", "Decimal(10,2)", True),
        ("unknown_status", "Boolean", False),  # IS NULL is never null
        ("is_paid", "Boolean", True),  # `=` on a nullable column
        ("changed", "Boolean", False),  # IS DISTINCT FROM is never null
        ("label", "String", False),  # CASE with an ELSE, literal arms
    ],
    ("null_safe", "first_by_status", "first_by_status_sql"): [
        ("order_id", "Int64", True),
        ("status", "String", True),
        ("amount", "Decimal(10,2)", True),
    ],
    ("dates_match", "tiered_orders", "tiered_orders_sql"): [
        ("order_id", "Int32", False),
        ("amount", "Decimal(10,2)", False),  # `is not null` in the where
        ("ordered_on", "Date", False),
        ("channel", "String", True),
        ("tier", "String", False),
    ],
    ("dates_match", "june_channels", "june_channels_sql"): [
        ("order_id", "Int32", False),
        ("amount", "Decimal(10,2)", True),
        ("ordered_on", "Date", False),
        ("channel", "String", True),
        ("channel_group", "String", False),
        ("days_in", "Int64", False),  # Date - Date
    ],
    ("windows", "window_demo", "window_demo_sql"): [
        ("order_id", "Int64", True),
        ("customer_id", "Int64", True),
        ("amount", "Decimal(10,2)", True),
        ("ordered_on", "Date", True),
        ("running_total", "Decimal(38,2)", True),
        ("moving_total", "Decimal(38,2)", True),
        ("recency_rank", "Int64", False),  # ROW_NUMBER is never null
        ("prev_amount", "Decimal(10,2)", True),  # LAG without a default
        ("customer_total", "Decimal(38,2)", True),
    ],
}

# (project, DSL model, column): edges the column's trace must hold, as
# (source model, source column, transform).
LINEAGE: dict[tuple[str, str, str], set[tuple[str, str, str]]] = {
    ("shop", "customer_orders", "total_revenue"): {
        ("stg_orders", "amount", "aggregation: sum"),
        ("seeds.orders", "amount", "direct"),
    },
    ("pipeline_steps", "top_customers", "avg_order_value"): {
        ("raw_orders", "amount", "aggregation: sum"),
        ("src.orders", "amount", "direct"),
    },
    ("pipeline_steps", "net_by_customer", "net_total"): {
        ("raw_orders", "amount", "aggregation: sum"),
        ("raw_orders", "discount", "aggregation: sum"),
        ("src.orders", "discount", "direct"),
    },
    ("pipeline_steps", "completed_orders", "region"): {
        ("customers", "region", "direct"),
        ("src.customers", "region", "direct"),
    },
    ("pipeline_steps", "completed_orders", "big_order"): {
        ("raw_orders", "amount", "expression"),
    },
    ("pipeline_steps", "customer_statuses", "status"): {
        ("raw_orders", "status", "direct"),
        ("src.orders", "status", "direct"),
    },
    ("null_safe", "kept_dsl", "status"): {
        ("stg_orders", "status", "direct"),
        ("seeds.orders", "status", "direct"),
    },
    ("null_safe", "status_flags", "label"): {
        ("stg_orders", "status", "expression"),
        ("seeds.orders", "status", "direct"),
    },
    ("dates_match", "tiered_orders", "tier"): {
        ("raw_orders", "amount", "expression"),
        ("src.orders", "amount", "direct"),
    },
    ("dates_match", "june_channels", "days_in"): {
        ("raw_orders", "ordered_on", "expression"),
        ("src.orders", "ordered_on", "direct"),
    },
    ("windows", "window_demo", "running_total"): {
        ("stg_orders", "amount", "window: sum"),
        ("stg_orders", "customer_id", "window: sum"),
        ("stg_orders", "ordered_on", "window: sum"),
        ("seeds.orders", "amount", "direct"),
    },
    ("windows", "window_demo", "recency_rank"): {
        ("stg_orders", "customer_id", "window: row_number"),
        ("stg_orders", "ordered_on", "window: row_number"),
    },
}

TWINS = {(p, d): t for (p, d, t) in CASES}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Built]]:
    """``built(name)``: the project copied, loaded, compiled and run (once)."""
    cache: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in cache:
            cache[name] = build(name, tmp_path_factory.mktemp(name))
        return cache[name]

    yield get


PROJECT_NAMES = sorted({p for p, _, _ in CASES})
CASE_IDS = [f"{p}:{d}" for p, d, _ in CASES]


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_project_compiles_and_runs_clean(built: Callable[[str], Built], name: str) -> None:
    project = built(name)
    compiled = project.compiled
    assert compiled["has_errors"] is False
    assert not [d for d in compiled["diagnostics"] if d["severity"] == "Error"]
    kinds = {d["name"]: d for d in compiled["models_detail"]}
    assert project.run_code == 0, project.run_stderr
    assert project.run["status"] == "Success"
    assert project.run["errors"] == []
    landed = {tuple(m["asset_key"]) for m in project.run["materializations"]}
    catalog = project.database.stem
    assert landed == {(catalog, "main", model) for model in kinds}


@pytest.mark.parametrize(("project_name", "dsl", "twin"), list(CASES), ids=CASE_IDS)
def test_dsl_model_is_typed_like_its_twin(
    built: Callable[[str], Built], project_name: str, dsl: str, twin: str
) -> None:
    project = built(project_name)
    assert (project.root / "models" / f"{dsl}.rocky").is_file()
    expected = CASES[(project_name, dsl, twin)]
    assert project.model_columns(dsl) == expected
    assert project.model_columns(twin) == expected


@pytest.mark.parametrize(("project_name", "dsl", "twin"), list(CASES), ids=CASE_IDS)
def test_dsl_table_holds_the_twins_rows(
    built: Callable[[str], Built], project_name: str, dsl: str, twin: str
) -> None:
    project = built(project_name)
    assert project.describe(dsl) == project.describe(twin)
    rows = project.table(dsl)
    assert rows, f"{dsl} built an empty table: the comparison would prove nothing"
    assert rows == project.table(twin)


@pytest.mark.parametrize(("project_name", "dsl", "twin"), list(CASES), ids=CASE_IDS)
def test_compiled_types_hold_in_the_warehouse(
    built: Callable[[str], Built], project_name: str, dsl: str, twin: str
) -> None:
    """What ``rocky compile`` said before the run is what DuckDB built: the
    column types, and no NULL in a column typed non-null."""
    project = built(project_name)
    compiled = project.model_columns(dsl)
    described = project.describe(dsl)
    assert [name for name, _ in described] == [name for name, _, _ in compiled]
    for (name, kind, nullable), (_, warehouse) in zip(compiled, described, strict=True):
        assert from_warehouse(warehouse) == parse_type(kind), (name, warehouse, kind)
        if not nullable:
            nulls = project.query(f'SELECT count(*) FROM "main"."{dsl}" WHERE "{name}" IS NULL')
            assert nulls == [(0,)], f"{dsl}.{name} is typed non-null but holds NULL"


def _trace(project: Built, model: str, column: str) -> list[dict[str, Any]]:
    args = ["lineage", f"{model}.{column}"]
    if project.with_seed:
        args.append("--with-seed")
    data = project.rocky_json(*args)
    assert (data["model"], data["column"], data["direction"]) == (model, column, "upstream")
    trace: list[dict[str, Any]] = data["trace"]
    return trace


def _edges(trace: list[dict[str, Any]], rename: dict[str, str]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for edge in trace:
        src, dst = edge["source"], edge["target"]
        out.add(
            (
                rename.get(src["model"], src["model"]),
                src["column"],
                rename.get(dst["model"], dst["model"]),
                dst["column"],
                edge["transform"],
            )
        )
    return out


@pytest.mark.parametrize(
    ("project_name", "dsl", "column"), list(LINEAGE), ids=[f"{p}:{m}.{c}" for p, m, c in LINEAGE]
)
def test_lineage_traces_dsl_columns_to_their_sources(
    built: Callable[[str], Built], project_name: str, dsl: str, column: str
) -> None:
    project = built(project_name)
    trace = _trace(project, dsl, column)
    found = {(e["source"]["model"], e["source"]["column"], e["transform"]) for e in trace}
    missing = LINEAGE[(project_name, dsl, column)] - found
    assert not missing, f"{dsl}.{column} trace lacks {missing}; it has {sorted(found)}"
    assert any(e["target"] == {"model": dsl, "column": column} for e in trace)
    # The trace reaches a source outside the project's models.
    models = {d["name"] for d in project.compiled["models_detail"]}
    assert any(e["source"]["model"] not in models for e in trace)
    twin = TWINS[(project_name, dsl)]
    assert _edges(trace, {}) == _edges(_trace(project, twin, column), {twin: dsl})


# -- what each project is there to show ----------------------------------------


def test_dsl_not_equal_keeps_the_null_rows_a_sql_not_equal_drops(
    built: Callable[[str], Built],
) -> None:
    project = built("null_safe")
    nulls = project.query("SELECT count(*) FROM main.stg_orders WHERE status IS NULL")[0][0]
    cancelled = project.query("SELECT count(*) FROM main.stg_orders WHERE status = 'cancelled'")
    total = len(project.table("stg_orders"))
    assert nulls > 0 and cancelled[0][0] > 0
    assert len(project.table("kept_dsl")) == total - cancelled[0][0]
    assert len(project.table("naive_sql")) == total - cancelled[0][0] - nulls
    kept_null = project.query("SELECT count(*) FROM main.kept_dsl WHERE status IS NULL")
    assert kept_null == [(nulls,)]
    # The compiler knows it too: the plain `!=` makes status non-null.
    assert ("status", "String", False) in project.model_columns("naive_sql")
    assert ("status", "String", True) in project.model_columns("kept_dsl")


def test_dsl_sort_puts_nulls_where_the_warehouse_does(built: Callable[[str], Built]) -> None:
    project = built("null_safe")
    statuses = [row[0] for row in project.query("SELECT status FROM main.stg_orders")]
    assert sum(s is not None for s in statuses) >= 6 and None in statuses
    first = project.query("SELECT count(*) FROM main.first_by_status WHERE status IS NULL")
    assert first == [(0,)]  # ascending, NULLs last on DuckDB


def test_sql_model_reads_the_dsl_model_and_the_contract_holds(
    built: Callable[[str], Built],
) -> None:
    project = built("shop")
    assert not (project.root / "models" / "customer_orders.toml").exists()
    detail = {d["name"]: d for d in project.compiled["models_detail"]}
    assert detail["customer_orders"]["target"] == {
        "catalog": "shop",
        "schema": "main",
        "table": "customer_orders",
    }
    assert detail["customer_orders"]["strategy"]["type"] == "full_refresh"
    assert detail["customer_orders"].get("contract_source")
    assert detail["revenue_summary"]["depends_on"] == ["customer_orders"]
    summary = project.query(
        "SELECT customer_id, total_revenue, order_count FROM main.revenue_summary"
    )
    expected = project.query(
        "SELECT customer_id, total_revenue, order_count FROM main.customer_orders_sql "
        "WHERE order_count >= 2"
    )
    assert sorted(summary, key=repr) == sorted(expected, key=repr) and summary
    contract = [d for d in project.compiled["diagnostics"] if d["code"].startswith("E01")]
    assert contract == []


def test_stg_view_feeds_the_dsl_model(built: Callable[[str], Built]) -> None:
    project = built("shop")
    kinds = project.query(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' ORDER BY table_name"
    )
    assert ("stg_orders", "VIEW") in kinds
    assert ("customer_orders", "BASE TABLE") in kinds
