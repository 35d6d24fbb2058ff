"""Every column of the four-layer retail project, edge by edge, as compiled
(with source schemas from data/seed.sql)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rocky.compiler import CompileOptions, compile_project
from rocky.ir import ProjectIR
from rocky.lineage import LineageGraph, column_lineage_json, model_lineage_json
from rocky.project import load_project

# model -> column -> (type, nullable, [(source, transform), ...])
EXPECTED: dict[str, dict[str, tuple[str, bool, list[tuple[str, str]]]]] = {
    "raw_customers": {
        "customer_id": ("Int64", False, [("shop.customers.customer_id", "direct")]),
        "name": ("String", False, [("shop.customers.name", "direct")]),
        "country": ("String", True, [("shop.customers.country", "direct")]),
    },
    "raw_orders": {  # SELECT * expanded from the source schema
        "order_id": ("Int64", False, [("shop.orders.order_id", "direct")]),
        "customer_id": ("Int64", False, [("shop.orders.customer_id", "direct")]),
        "amount": ("Decimal(10,2)", False, [("shop.orders.amount", "direct")]),
        "status": ("String", False, [("shop.orders.status", "direct")]),
        "ordered_at": ("Timestamp", False, [("shop.orders.ordered_at", "direct")]),
    },
    "raw_refunds": {  # ephemeral
        "order_id": ("Int64", False, [("shop.refunds.order_id", "direct")]),
        "refunded": ("Decimal(10,2)", False, [("shop.refunds.refunded", "direct")]),
    },
    "stg_customers": {  # through a CTE
        "customer_id": ("Int64", False, [("raw_customers.customer_id", "direct")]),
        "name": ("String", False, [("raw_customers.name", "expression")]),
        # COALESCE removes the NULLs of the source column
        "country": ("String", False, [("raw_customers.country", "expression")]),
    },
    "stg_orders": {  # a DSL model: from / where / derive
        "order_id": ("Int64", False, [("raw_orders.order_id", "direct")]),
        "customer_id": ("Int64", False, [("raw_orders.customer_id", "direct")]),
        "amount": ("Decimal(10,2)", False, [("raw_orders.amount", "direct")]),
        "status": ("String", False, [("raw_orders.status", "direct")]),
        "ordered_at": ("Timestamp", False, [("raw_orders.ordered_at", "direct")]),
        "amount_cents": ("Decimal(18,2)", False, [("raw_orders.amount", "expression")]),
    },
    "int_events": {  # UNION ALL: both branches feed the column
        "event_id": (
            "Int64",
            False,
            [("raw_refunds.order_id", "direct"), ("stg_orders.order_id", "direct")],
        ),
        "kind": ("String", False, []),
    },
    "int_order_facts": {  # inner join, LEFT JOIN to a subquery, a window
        "order_id": ("Int64", False, [("stg_orders.order_id", "direct")]),
        "customer_id": ("Int64", False, [("stg_orders.customer_id", "direct")]),
        "country": ("String", False, [("stg_customers.country", "direct")]),
        "amount": ("Decimal(10,2)", False, [("stg_orders.amount", "direct")]),
        # NOT NULL upstream, nullable here: the LEFT JOIN
        "refunded": ("Decimal(38,2)", True, [("raw_refunds.refunded", "aggregation: sum")]),
        "net_amount": (
            "Decimal(38,2)",
            False,
            [("raw_refunds.refunded", "aggregation: sum"), ("stg_orders.amount", "expression")],
        ),
        "order_seq": (
            "Int64",
            False,
            [
                ("stg_orders.customer_id", "window: row_number"),
                ("stg_orders.ordered_at", "window: row_number"),
            ],
        ),
    },
    "fct_customer_revenue": {
        "customer_id": ("Int64", False, [("int_order_facts.customer_id", "direct")]),
        "country": ("String", False, [("int_order_facts.country", "direct")]),
        "revenue": ("Decimal(38,2)", False, [("int_order_facts.net_amount", "aggregation: sum")]),
        "orders": ("Int64", False, []),
        "max_refund": ("Decimal(38,2)", True, [("int_order_facts.refunded", "aggregation: max")]),
        "last_seq": ("Int32", False, [("int_order_facts.order_seq", "aggregation: max")]),
    },
}


@pytest.fixture(scope="module")
def retail(
    tmp_path_factory: pytest.TempPathFactory, project_copy: Callable[[str, Path], Path]
) -> tuple[ProjectIR, Path]:
    root = project_copy("retail", tmp_path_factory.mktemp("retail"))
    project = load_project(root / "rocky.toml")
    return compile_project(project, CompileOptions(with_seed=True)).ir, root


def test_every_column_and_edge(retail: tuple[ProjectIR, Path]) -> None:
    ir, _ = retail
    graph = LineageGraph(ir)
    assert sorted(ir.models) == sorted(EXPECTED)
    for model, columns in EXPECTED.items():
        compiled = ir.models[model]
        assert [c.name for c in compiled.columns] == list(columns), model
        for col in compiled.columns:
            type_name, nullable, sources = columns[col.name]
            assert (str(col.type), col.nullable) == (type_name, nullable), f"{model}.{col.name}"
            got = [
                (f"{e.source.model}.{e.source.column}", e.transform)
                for e in graph.incoming(model, col.name)
            ]
            assert sorted(got) == sorted(sources), f"{model}.{col.name}"
        # no edge into the model that the table does not list
        listed = sum(len(s) for _, _, s in columns.values())
        assert len(compiled.lineage) == listed, model


def test_trace_to_sources_through_every_layer(retail: tuple[ProjectIR, Path]) -> None:
    graph = LineageGraph(retail[0])
    sources = {
        f"{e.source.model}.{e.source.column}"
        for e in graph.trace_upstream("fct_customer_revenue", "revenue")
        if e.source.model not in retail[0].models
    }
    assert sources == {"shop.orders.amount", "shop.refunds.refunded"}
    consumers = [f"{r.model}.{r.column}" for r in graph.consumers("raw_orders", "amount")]
    assert consumers == [
        "fct_customer_revenue.revenue",
        "int_order_facts.amount",
        "int_order_facts.net_amount",
        "stg_orders.amount",
        "stg_orders.amount_cents",
    ]


def test_model_and_column_json(retail: tuple[ProjectIR, Path]) -> None:
    graph = LineageGraph(retail[0])
    data = model_lineage_json(graph, "int_order_facts", "1")
    assert data["upstream"] == ["stg_orders", "stg_customers", "raw_refunds"]
    assert data["downstream"] == ["fct_customer_revenue"]
    assert {"name": "refunded", "data_type": "Decimal(38,2)", "nullable": True} in data["columns"]
    col = column_lineage_json(graph, "int_order_facts", "refunded", downstream=True, version="1")
    assert col["trace"] == [
        {
            "source": {"model": "int_order_facts", "column": "refunded"},
            "target": {"model": "fct_customer_revenue", "column": "max_refund"},
            "transform": "aggregation: max",
        }
    ]


@pytest.mark.slow
def test_cli_lineage_outputs(retail: tuple[ProjectIR, Path], cli: Callable[..., Any]) -> None:
    _, root = retail
    done = cli("lineage", "fct_customer_revenue.revenue", "--with-seed", "-o", "json", cwd=root)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["command"] == "lineage" and data["direction"] == "upstream"
    assert data["trace"][0]["source"] == {"model": "int_order_facts", "column": "net_amount"}
    dot = cli("lineage", "stg_customers", "--format", "dot", cwd=root)
    assert dot.stdout == (
        "digraph lineage {\n"
        "  rankdir=LR;\n"
        '  "raw_customers.customer_id" -> "stg_customers.customer_id";\n'
        '  "raw_customers.name" -> "stg_customers.name";\n'
        '  "raw_customers.country" -> "stg_customers.country";\n'
        "}\n"
    )
    down = cli("lineage", "stg_customers", "--column", "country", "--downstream", cwd=root)
    assert json.loads(down.stdout)["downstream_consumers"] == [
        {"model": "fct_customer_revenue", "column": "country"},
        {"model": "int_order_facts", "column": "country"},
    ]
    missing = cli("lineage", "fct_revenue", cwd=root)
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "error: model 'fct_revenue' not found (did you mean fct_customer_revenue?)"
    )
