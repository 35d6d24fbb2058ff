"""diff_projects and the markdown, over hand-built base and head IRs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rocky.diagnostics import Diagnostic, Severity, Span
from rocky.lineage_diff import diff_projects, render_markdown

BASE = {
    "stg_orders": (
        ["order_id Int64", "customer_id Int64", "amount Decimal(10,2) null"],
        [
            "shop.orders.id -> order_id : direct",
            "shop.orders.cust -> customer_id : direct",
            "shop.orders.amount -> amount : direct",
        ],
        [],
        "SELECT id AS order_id, cust AS customer_id, amount FROM shop.orders",
    ),
    "fct_revenue": (
        ["customer_id Int64", "total Decimal(38,2) null"],
        [
            "stg_orders.customer_id -> customer_id : direct",
            "stg_orders.amount -> total : aggregation: sum",
        ],
        ["stg_orders"],
        "SELECT customer_id, SUM(amount) AS total FROM stg_orders GROUP BY 1",
    ),
    "legacy": (
        ["x Int64"],
        ["shop.orders.id -> x : direct"],
        [],
        "SELECT id AS x FROM shop.orders",
    ),
    "unchanged": (
        ["y Int64"],
        ["shop.orders.id -> y : direct"],
        [],
        "SELECT id AS y FROM shop.orders",
    ),
}

HEAD = {
    "stg_orders": (
        ["order_id Int64", "customer_id Int64 null", "amount_usd Decimal(12,2) null"],
        [
            "shop.orders.id -> order_id : direct",
            "shop.orders.cust -> customer_id : direct",
            "shop.orders.amount -> amount_usd : cast",
        ],
        [],
        "SELECT ... changed",
    ),
    "fct_revenue": (
        ["customer_id Int64 null", "total_revenue Decimal(38,2) null"],
        [
            "stg_orders.customer_id -> customer_id : direct",
            "stg_orders.amount_usd -> total_revenue : aggregation: sum",
        ],
        ["stg_orders"],
        "SELECT ... changed too",
    ),
    "rpt": (
        ["total_revenue Decimal(38,2) null"],
        ["fct_revenue.total_revenue -> total_revenue : direct"],
        ["fct_revenue"],
        "SELECT total_revenue FROM fct_revenue",
    ),
    "unchanged": (
        ["y Int64"],
        ["shop.orders.id -> y : direct"],
        [],
        "SELECT id AS y FROM shop.orders",
    ),
}


def test_diff_statuses_changes_and_consumers(build_ir: Callable[..., Any]) -> None:
    diff = diff_projects(build_ir(BASE), build_ir(HEAD), "main")
    assert diff.summary == {
        "total_models": 5,
        "unchanged": 1,
        "modified": 2,
        "added": 1,
        "removed": 1,
    }
    by = {r.model_name: r for r in diff.results}
    assert [r.model_name for r in diff.results] == ["fct_revenue", "legacy", "rpt", "stg_orders"]
    assert by["legacy"].status == "removed" and by["rpt"].status == "added"
    stg = [
        (c.column_name, c.change_type, c.old_type, c.new_type)
        for c in by["stg_orders"].column_changes
    ]
    assert stg == [
        ("customer_id", "nullability_changed", "Int64", "Int64"),
        ("amount_usd", "added", None, "Decimal(12,2)"),
        ("amount", "removed", "Decimal(10,2)", None),
    ]
    amount_usd = by["stg_orders"].column_changes[1]
    assert [f"{r.model}.{r.column}" for r in amount_usd.downstream_consumers] == [
        "fct_revenue.total_revenue",
        "rpt.total_revenue",
    ]
    removed = by["stg_orders"].column_changes[2]
    assert removed.downstream_consumers == ()
    assert [f"{r.model}.{r.column}" for r in removed.base_downstream_consumers] == [
        "fct_revenue.total"
    ]


def test_markdown_matches_the_reference_format(build_ir: Callable[..., Any]) -> None:
    diff = diff_projects(build_ir(BASE), build_ir(HEAD), "main")
    md = render_markdown(diff)
    assert md.startswith(
        "### Rocky Lineage Diff\n\n"
        "**4 row(s) changed** (2 modified, 1 added, 1 removed, 1 unchanged)\n\n"
    )
    block = (
        "<details>\n<summary><b>stg_orders</b> — modified (3 column changes)</summary>\n\n"
        "| Column | Change | Old Type | New Type | Downstream consumers |\n"
        "|--------|--------|----------|----------|----------------------|\n"
        "| `customer_id` | nullability changed | Int64 (not null) | Int64 (nullable) "
        "| `fct_revenue.customer_id` |\n"
        "| `amount_usd` | added | - | Decimal(12,2) "
        "| `fct_revenue.total_revenue`, `rpt.total_revenue` |\n"
        "| `amount` | removed | Decimal(10,2) | - | _(removed; not traceable on HEAD)_ |\n"
        "\n</details>\n\n"
    )
    assert block in md
    assert "<summary><b>rpt</b> — added (1 column change)</summary>" in md
    assert "| `total_revenue` | added | - | Decimal(38,2) | _none_ |" in md
    assert md.endswith("</details>\n\n")


def test_json_shape(build_ir: Callable[..., Any]) -> None:
    data = diff_projects(build_ir(BASE), build_ir(HEAD), "main").to_json("1.0")
    assert list(data) == [
        "version",
        "command",
        "base_ref",
        "head_ref",
        "summary",
        "results",
        "markdown",
    ]
    assert data["command"] == "lineage-diff" and data["head_ref"] == "HEAD"
    first = data["results"][0]
    assert first["model_name"] == "fct_revenue"
    removed = next(c for c in first["column_changes"] if c["change_type"] == "removed")
    assert removed == {
        "column_name": "total",
        "change_type": "removed",
        "old_type": "Decimal(38,2)",
        "old_nullable": True,
    }


def test_no_changes(build_ir: Callable[..., Any]) -> None:
    diff = diff_projects(build_ir(BASE), build_ir(BASE), "main")
    assert diff.results == () and diff.summary["unchanged"] == 4
    assert render_markdown(diff) == "### Rocky Lineage Diff\n\nNo data changes detected.\n"


def test_renamed_file_pairs_by_target(build_ir: Callable[..., Any]) -> None:
    base = build_ir(BASE)
    head = build_ir(BASE)
    moved = replace(head.models.pop("legacy"), name="legacy_v2")
    head.models["legacy_v2"] = replace(moved, target=base.models["legacy"].target)
    diff = diff_projects(base, head, "main")
    assert [(r.model_name, r.status, r.renamed_from) for r in diff.results] == [
        ("legacy_v2", "modified", "legacy")
    ]


def test_base_that_does_not_compile_is_reported(build_ir: Callable[..., Any]) -> None:
    diff = diff_projects(None, build_ir(HEAD), "main", base_error="main does not compile: boom")
    data = diff.to_json("1")
    assert data["results"] == [] and data["base_error"] == "main does not compile: boom"
    assert data["markdown"] == (
        "### Rocky Lineage Diff\n\n> **Note:** main does not compile: boom\n\n"
        "No column diff is available: the base ref must compile to be compared.\n"
    )


def test_unparsed_models_are_not_diffed(build_ir: Callable[..., Any]) -> None:
    base = build_ir(BASE)
    broken = replace(base.models["fct_revenue"], columns=(), lineage=())
    base.models["fct_revenue"] = broken
    base.diagnostics.append(
        Diagnostic(
            Severity.ERROR,
            "E002",
            "SQL does not parse",
            "fct_revenue",
            Span("models/fct_revenue.sql", 2, 5),
        )
    )
    diff = diff_projects(base, build_ir(HEAD), "main")
    fct = next(r for r in diff.results if r.model_name == "fct_revenue")
    assert fct.status == "modified" and fct.column_changes == ()
    assert (
        diff.base_error
        == "main does not compile: models/fct_revenue.sql:2:5: E002 SQL does not parse"
    )
    assert "> **Note:** main does not compile" in render_markdown(diff)
