"""Whole projects in the shape of the original's example projects: a seeded
SQL + DSL pipeline, layered config with environment variables, and config
groups. Column types and nullability are asserted column by column."""

from __future__ import annotations

from pathlib import Path

from compiler_helpers import ROCKY_TOML, cols, write_project

from rocky.compiler import CompileOptions, compile_project
from rocky.project import load_project

SHOP = {
    "data/seed.sql": """\
        CREATE SCHEMA IF NOT EXISTS raw__shop;
        CREATE OR REPLACE TABLE raw__shop.orders (
            order_id BIGINT NOT NULL,
            customer_id INTEGER NOT NULL,
            sku VARCHAR,
            price DECIMAL(9,2),
            state VARCHAR NOT NULL,
            placed_on DATE NOT NULL,
            synced_at TIMESTAMP
        );
        INSERT INTO raw__shop.orders VALUES (1, 7, 'a', 3.50, 'paid', DATE '2025-01-02', NULL);
        """,
    "models/stg_orders.sql": """\
        SELECT order_id, customer_id, sku, price, state, placed_on
        FROM raw__shop.orders
        """,
    "models/stg_orders.toml": '[strategy]\ntype = "full_refresh"\n',
    "models/customer_totals.rocky": """\
        -- spend per customer
        from stg_orders
        where state != "void"
        group customer_id {
            spend: sum(price),
            orders: count(),
            first_day: min(placed_on)
        }
        where spend > 0
        """,
    "models/customer_totals.toml": 'depends_on = ["stg_orders"]\n',
    "models/spend_report.sql": """\
        SELECT
            customer_id,
            spend,
            orders,
            spend / orders AS avg_spend,
            first_day
        FROM customer_totals
        WHERE orders >= 2
        """,
}


def test_seeded_sql_and_dsl_pipeline(tmp_path: Path) -> None:
    root = write_project(tmp_path, SHOP)
    ir = compile_project(load_project(root / "rocky.toml"), CompileOptions(with_seed=True)).ir
    assert ir.layers == [["stg_orders"], ["customer_totals"], ["spend_report"]]
    assert cols(ir.models["stg_orders"]) == [
        ("order_id", "Int64", False),
        ("customer_id", "Int32", False),
        ("sku", "String", True),
        ("price", "Decimal(9,2)", True),
        ("state", "String", False),
        ("placed_on", "Date", False),
    ]
    assert cols(ir.models["customer_totals"]) == [
        ("customer_id", "Int32", False),
        ("spend", "Decimal(38,2)", True),
        ("orders", "Int64", False),
        ("first_day", "Date", False),
    ]
    assert cols(ir.models["spend_report"]) == [
        ("customer_id", "Int32", False),
        ("spend", "Decimal(38,2)", True),
        ("orders", "Int64", False),
        ("avg_spend", "Float64", True),
        ("first_day", "Date", False),
    ]
    assert ir.sources["raw__shop.orders"][0].name == "order_id"
    edges = {
        (e.source.model, e.source.column, e.target.column, e.transform)
        for e in ir.models["spend_report"].lineage
    }
    assert ("customer_totals", "spend", "avg_spend", "expression") in edges
    assert ("customer_totals", "orders", "avg_spend", "expression") in edges
    dsl_edges = {
        (e.source.model, e.source.column, e.target.column, e.transform)
        for e in ir.models["customer_totals"].lineage
    }
    assert ("stg_orders", "price", "spend", "aggregation: sum") in dsl_edges
    assert not ir.has_errors


def test_without_seed_leaves_are_unknown_but_lineage_reaches_the_source(tmp_path: Path) -> None:
    root = write_project(tmp_path, SHOP)
    ir = compile_project(load_project(root / "rocky.toml"), CompileOptions()).ir
    stg = ir.models["stg_orders"]
    assert {str(c.type) for c in stg.columns} == {"Unknown"}
    assert all(c.nullable for c in stg.columns)
    assert stg.lineage[0].source.model == "raw__shop.orders"
    assert cols(ir.models["customer_totals"])[2] == ("orders", "Int64", False)
    assert not ir.has_errors


LAYERED_TOML = """\
[adapter]
type = "duckdb"
path = "${LAYER_DB:-poc.duckdb}"

[pipeline.layered]
type = "transformation"
"""


def _layered(tmp_path: Path) -> Path:
    return write_project(
        tmp_path,
        {
            "models/_defaults.toml": '[target]\ncatalog = "${LAYER_CATALOG:-wh_default}"\n'
            'schema = "${LAYER_SCHEMA:-public}"\n[strategy]\ntype = "full_refresh"\n',
            "models/people.sql": "WITH base AS (SELECT 1 AS person_id, 'ada' AS handle)\n"
            "SELECT person_id, handle FROM base\n",
            "models/people.toml": '[target]\ncatalog = "${PEOPLE_CATALOG:-people_wh}"\n'
            'schema = "marts"\ntable = "${PEOPLE_TABLE:-people}"\n',
            "models/tallies.sql": "SELECT 1 AS tally_id, 100 AS amount\n",
        },
        toml=LAYERED_TOML,
        defaults=False,
    )


def test_config_layering_defaults_and_overrides(tmp_path: Path) -> None:
    root = _layered(tmp_path)
    ir = compile_project(load_project(root / "rocky.toml", env={}), CompileOptions()).ir
    assert ir.models["tallies"].target.key == "wh_default.public.tallies"
    assert ir.models["people"].target.key == "people_wh.marts.people"
    assert cols(ir.models["people"]) == [("person_id", "Int32", False), ("handle", "String", False)]
    assert cols(ir.models["tallies"]) == [("tally_id", "Int32", False), ("amount", "Int32", False)]
    env = {"LAYER_CATALOG": "prod", "LAYER_SCHEMA": "silver", "PEOPLE_TABLE": "people_v2"}
    ir2 = compile_project(
        load_project(root / "rocky.toml", env=env), CompileOptions(cache=False)
    ).ir
    assert ir2.models["tallies"].target.key == "prod.silver.tallies"
    assert ir2.models["people"].target.key == "people_wh.marts.people_v2"
    assert ir.diagnostics == [] and ir2.diagnostics == []


def test_config_groups_fan_out(tmp_path: Path) -> None:
    member = 'group = "regional"\n[target]\ncatalog = "wh"\n[args]\nregion = "{}"\n'
    root = write_project(
        tmp_path,
        {
            "models/groups/regional.toml": 'schema_template = "mart_{region}"\n[strategy]\n'
            'type = "full_refresh"\n[tags]\ndomain = "sales"\ntier = "gold"\n',
            "models/sales_north.sql": "SELECT 1 AS sale_id, 'acme' AS buyer, 10 AS qty\n",
            "models/sales_north.toml": member.format("north"),
            "models/sales_south.sql": "SELECT 2 AS sale_id, 'zeta' AS buyer, 2.5 AS qty\n",
            "models/sales_south.toml": member.format("south") + '[tags]\ntier = "silver"\n',
        },
        toml=ROCKY_TOML,
        defaults=False,
    )
    ir = compile_project(load_project(root / "rocky.toml"), CompileOptions()).ir
    assert ir.models["sales_north"].target.key == "wh.mart_north.sales_north"
    assert ir.models["sales_south"].target.key == "wh.mart_south.sales_south"
    assert ir.models["sales_south"].config["tags"] == {"domain": "sales", "tier": "silver"}
    assert cols(ir.models["sales_north"]) == [
        ("sale_id", "Int32", False),
        ("buyer", "String", False),
        ("qty", "Int32", False),
    ]
    assert cols(ir.models["sales_south"])[2] == ("qty", "Decimal(2,1)", False)
    assert not ir.has_errors
