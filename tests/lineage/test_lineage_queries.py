"""LineageGraph and the `rocky lineage` JSON/DOT shapes over a hand-built IR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rocky.errors import RockyError
from rocky.ir import ColumnRef
from rocky.lineage import (
    LineageGraph,
    column_lineage_json,
    dot_edges,
    model_lineage_json,
    split_target,
    to_dot,
)

SPEC = {
    "stg_orders": (
        ["order_id Int64", "customer_id Int64 null", "amount Decimal(10,2) null"],
        [
            "shop.orders.id -> order_id : direct",
            "shop.orders.customer_id -> customer_id : cast",
            "shop.orders.amount -> amount : direct",
        ],
        [],
        "SELECT id AS order_id FROM shop.orders",
    ),
    "dim_customers": (
        ["customer_id Int64", "segment String null"],
        ["shop.customers.id -> customer_id : direct", "shop.customers.seg -> segment : expression"],
        [],
        "SELECT 1",
    ),
    "fct_revenue": (
        ["customer_id Int64 null", "total Decimal(38,2) null", "orders Int64"],
        [
            "stg_orders.customer_id -> customer_id : direct",
            "stg_orders.amount -> total : aggregation: sum",
            "stg_orders.order_id -> orders : aggregation: count",
        ],
        ["stg_orders"],
        "SELECT 1",
    ),
    "rpt_segments": (
        ["segment String null", "revenue Unknown null"],
        [
            "dim_customers.segment -> segment : direct",
            "fct_revenue.total -> revenue : aggregation: sum",
        ],
        ["dim_customers", "fct_revenue"],
        "SELECT 1",
    ),
}


@pytest.fixture
def graph(build_ir: Callable[..., Any]) -> LineageGraph:
    return LineageGraph(build_ir(SPEC))


def pairs(edges: list[Any]) -> list[tuple[str, str, str]]:
    return [
        (f"{e.source.model}.{e.source.column}", f"{e.target.model}.{e.target.column}", e.transform)
        for e in edges
    ]


def test_upstream_trace_reaches_the_source_nearest_first(graph: LineageGraph) -> None:
    assert pairs(graph.trace_upstream("rpt_segments", "revenue")) == [
        ("fct_revenue.total", "rpt_segments.revenue", "aggregation: sum"),
        ("stg_orders.amount", "fct_revenue.total", "aggregation: sum"),
        ("shop.orders.amount", "stg_orders.amount", "direct"),
    ]


def test_downstream_trace_and_consumers_are_transitive(graph: LineageGraph) -> None:
    assert pairs(graph.trace_downstream("shop.orders", "amount")) == [
        ("shop.orders.amount", "stg_orders.amount", "direct"),
        ("stg_orders.amount", "fct_revenue.total", "aggregation: sum"),
        ("fct_revenue.total", "rpt_segments.revenue", "aggregation: sum"),
    ]
    assert graph.consumers("stg_orders", "amount") == [
        ColumnRef("fct_revenue", "total"),
        ColumnRef("rpt_segments", "revenue"),
    ]
    assert graph.consumers("rpt_segments", "revenue") == []


def test_names_resolve_case_insensitively_with_hints(graph: LineageGraph) -> None:
    assert graph.resolve_model("FCT_Revenue") == "fct_revenue"
    assert graph.resolve_column("fct_revenue", "TOTAL") == "total"
    with pytest.raises(RockyError, match="model 'fct_revenu' not found") as err:
        graph.resolve_model("fct_revenu")
    assert "fct_revenue" in str(err.value)
    with pytest.raises(RockyError, match="column 'totl' not found in model 'fct_revenue'"):
        graph.resolve_column("fct_revenue", "totl")


def test_model_json_shape(graph: LineageGraph) -> None:
    data = model_lineage_json(graph, "fct_revenue", "9.9.9")
    assert list(data) == [
        "version",
        "command",
        "model",
        "columns",
        "upstream",
        "downstream",
        "edges",
        "nodes",
    ]
    assert data["columns"] == [
        {"name": "customer_id", "data_type": "Int64", "nullable": True},
        {"name": "total", "data_type": "Decimal(38,2)", "nullable": True},
        {"name": "orders", "data_type": "Int64", "nullable": False},
    ]
    assert data["upstream"] == ["stg_orders"]
    assert data["downstream"] == ["rpt_segments"]
    # incoming edges then the outgoing one, in execution order
    assert [(e["source"]["column"], e["target"]["model"]) for e in data["edges"]] == [
        ("customer_id", "fct_revenue"),
        ("amount", "fct_revenue"),
        ("order_id", "fct_revenue"),
        ("total", "rpt_segments"),
    ]
    assert data["nodes"][0] == {"model": "fct_revenue", "target_schema": "analytics"}


def test_unknown_types_have_no_data_type_and_sources_are_nodes(graph: LineageGraph) -> None:
    data = model_lineage_json(graph, "rpt_segments", "1")
    assert data["columns"][1] == {"name": "revenue", "nullable": True}
    stg = model_lineage_json(graph, "stg_orders", "1")
    assert {"model": "shop.orders", "source_id": "shop.orders"} in stg["nodes"]


def test_column_json_upstream_carries_consumers(graph: LineageGraph) -> None:
    data = column_lineage_json(graph, "stg_orders", "amount", downstream=False, version="1")
    assert data["direction"] == "upstream"
    assert [e["source"] for e in data["trace"]] == [{"model": "shop.orders", "column": "amount"}]
    assert data["downstream_consumers"] == [
        {"model": "fct_revenue", "column": "total"},
        {"model": "rpt_segments", "column": "revenue"},
    ]
    leaf = column_lineage_json(graph, "rpt_segments", "segment", downstream=True, version="1")
    assert leaf["trace"] == [] and "downstream_consumers" not in leaf


def test_dot_rendering_is_exact(graph: LineageGraph) -> None:
    text = to_dot(dot_edges(graph, "fct_revenue", "total", downstream=False))
    assert text == (
        "digraph lineage {\n"
        "  rankdir=LR;\n"
        '  "stg_orders.amount" -> "fct_revenue.total";\n'
        '  "shop.orders.amount" -> "stg_orders.amount";\n'
        "}\n"
    )
    downstream = to_dot(dot_edges(graph, "stg_orders", None, downstream=True))
    assert '"stg_orders.amount" -> "fct_revenue.total";' in downstream
    assert "shop.orders" not in downstream


def test_dot_escapes_quotes() -> None:
    from rocky.ir import LineageEdge

    edge = LineageEdge(ColumnRef('we"ird', "c"), ColumnRef("m", "c"), "direct")
    assert '"we\\"ird.c" -> "m.c";' in to_dot([edge])


def test_split_target() -> None:
    assert split_target("fct") == ("fct", None)
    assert split_target("fct.total") == ("fct", "total")
    assert split_target("fct.a.b") == ("fct", "a.b")
    assert split_target("fct", "x") == ("fct", "x")


def test_cycles_and_diamonds_terminate(build_ir: Callable[..., Any]) -> None:
    spec: dict[str, tuple[list[str], list[str], list[str], str]] = {
        "a": (["x Int64"], ["b.x -> x : direct"], [], "SELECT 1"),
        "b": (["x Int64"], ["a.x -> x : direct"], [], "SELECT 1"),
    }
    graph = LineageGraph(build_ir(spec))
    assert len(graph.trace_upstream("a", "x")) == 2
    assert graph.consumers("a", "x") == [ColumnRef("a", "x"), ColumnRef("b", "x")]
