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
from rocky.lineage import (
    LineageGraph,
    column_lineage_json,
    dot_edges,
    model_lineage_json,
    to_dot,
)
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

# model -> [(source, transform), ...]: the row edges, into ``<model>.*``.
# Join keys and filters decide which rows a model has, so they target the
# model as a whole rather than any one column.
ROW_EDGES: dict[str, list[tuple[str, str]]] = {
    "raw_customers": [],
    "raw_orders": [],
    "raw_refunds": [],
    "stg_customers": [],  # the CTE neither joins nor filters
    "stg_orders": [("raw_orders.status", "filter")],  # where status != "cancelled"
    "int_events": [],
    "int_order_facts": [
        # JOIN stg_customers ON c.customer_id = o.customer_id
        ("stg_customers.customer_id", "join_key"),
        ("stg_orders.customer_id", "join_key"),
        # LEFT JOIN (... FROM raw_refunds GROUP BY order_id) ON r.order_id = o.order_id:
        # resolved through the derived table to the upstream model
        ("raw_refunds.order_id", "join_key"),
        ("stg_orders.order_id", "join_key"),
    ],
    "fct_customer_revenue": [],  # GROUP BY keys are not row edges
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
        rows = [
            (f"{e.source.model}.{e.source.column}", e.transform) for e in graph.incoming(model, "*")
        ]
        assert sorted(rows) == sorted(ROW_EDGES[model]), f"{model}.*"
        # no edge into the model that the tables do not list
        listed = sum(len(s) for _, _, s in columns.values()) + len(ROW_EDGES[model])
        assert len(compiled.lineage) == listed, model
        # value edges first, then join keys, then filters, each sorted by source
        row = [e for e in compiled.lineage if e.target.column == "*"]
        assert list(compiled.lineage[len(compiled.lineage) - len(row) :]) == row, model
        order = ("join_key", "filter")
        assert row == sorted(
            row, key=lambda e: (order.index(e.transform), e.source.model, e.source.column)
        ), model


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


def _ref(text: str) -> dict[str, str]:
    model, column = text.rsplit(".", 1)
    return {"model": model, "column": column}


def test_row_edges_in_model_json_not_in_value_traces(retail: tuple[ProjectIR, Path]) -> None:
    graph = LineageGraph(retail[0])
    data = model_lineage_json(graph, "int_order_facts", "1")
    row_edges = [e for e in data["edges"] if e["target"]["column"] == "*"]
    assert row_edges == [
        {"source": _ref(src), "target": _ref("int_order_facts.*"), "transform": "join_key"}
        for src in (
            "raw_refunds.order_id",
            "stg_customers.customer_id",
            "stg_orders.customer_id",
            "stg_orders.order_id",
        )
    ]
    # the whole-model target is not a column of the model
    assert "*" not in [c["name"] for c in data["columns"]]
    # every endpoint of a row edge is a node; the model appears once
    nodes = [n["model"] for n in data["nodes"]]
    assert {e["source"]["model"] for e in row_edges} <= set(nodes)
    assert nodes.count("int_order_facts") == 1
    # a column's upstream trace is the values it is computed from, and no more
    for col in ("order_id", "net_amount", "order_seq"):
        trace = column_lineage_json(graph, "int_order_facts", col, downstream=False, version="1")
        assert trace["trace"], col
        assert {e["transform"] for e in trace["trace"]}.isdisjoint({"join_key", "filter"}), col
    up = column_lineage_json(graph, "stg_orders", "status", downstream=False, version="1")
    assert up["trace"] == [
        {
            "source": _ref("raw_orders.status"),
            "target": _ref("stg_orders.status"),
            "transform": "direct",
        },
        {
            "source": _ref("shop.orders.status"),
            "target": _ref("raw_orders.status"),
            "transform": "direct",
        },
    ]
    # forward, a filter column reaches the model whose rows it decides
    down = column_lineage_json(graph, "raw_orders", "status", downstream=True, version="1")
    assert down["downstream_consumers"] == [_ref("stg_orders.*"), _ref("stg_orders.status")]


def test_dot_dashes_row_edges(retail: tuple[ProjectIR, Path]) -> None:
    graph = LineageGraph(retail[0])
    dot = to_dot(dot_edges(graph, "stg_orders", None, downstream=False))
    assert dot.splitlines()[-2:] == [
        '  "raw_orders.status" -> "stg_orders.*" [style=dashed, label="filter"];',
        "}",
    ]
    assert dot.count("style=dashed") == 1


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
    table = cli("lineage", "stg_orders", "--with-seed", "-o", "table", cwd=root)
    assert table.returncode == 0, table.stderr
    value_part, row_part = table.stdout.split("row lineage")
    assert "amount_cents" in value_part and "raw_orders.amount (expression)" in value_part
    assert "(filter)" not in value_part  # row edges are not any column's reads
    [row] = [line for line in row_part.splitlines() if "raw_orders" in line]
    assert row.split() == ["│", "raw_orders.status", "│", "filter", "│"]
    no_rows = cli("lineage", "stg_customers", "-o", "table", cwd=root)
    assert no_rows.returncode == 0 and "row lineage" not in no_rows.stdout
    missing = cli("lineage", "fct_revenue", cwd=root)
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "error: model 'fct_revenue' not found (did you mean fct_customer_revenue?)"
    )
