"""check_contracts and explain_nullable over hand-built IR values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rocky.contract_files import ContractColumn, ContractFile
from rocky.contracts import check_contracts, explain_nullable
from rocky.diagnostics import Severity
from rocky.types import INT64, STRING, decimal, parse_type


def contract(
    model: str,
    columns: list[ContractColumn] | None = None,
    required: list[str] | None = None,
    protected: list[str] | None = None,
    path: str | None = None,
) -> ContractFile:
    where = Path(path or f"/proj/contracts/{model}.contract.toml")
    return ContractFile(
        model=model,
        path=where,
        rel_path=f"contracts/{where.name}",
        columns=columns or [],
        required=required or [],
        protected=protected or [],
    )


ORDERS = {
    "orders": (
        [
            "order_id Int64",
            "customer_id Int64 null",
            "amount Decimal(10,2) null",
            "note Unknown null",
        ],
        [
            "shop.orders.id -> order_id : direct",
            "shop.orders.cust -> customer_id : direct",
            "shop.orders.amount -> amount : cast",
        ],
        [],
        "SELECT id AS order_id, cust AS customer_id, CAST(amount AS DECIMAL(10,2)) AS amount, "
        "note FROM shop.orders",
    )
}


def codes(diags: list[Any]) -> list[str]:
    return [d.code for d in diags]


def test_satisfied_contract_is_silent(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(ORDERS, sources={"shop.orders": ["id Int64", "cust Int64 null"]})
    c = contract(
        "orders",
        [
            ContractColumn("order_id", INT64, nullable=False),
            ContractColumn("amount", decimal(), nullable=True),
            ContractColumn("NOTE", STRING),  # Unknown inferred type: E011 skipped
        ],
        required=["order_id", "customer_id"],
        protected=["order_id"],
    )
    assert check_contracts(ir, {"orders": c}) == []


def test_every_code_with_messages_and_suggestions(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(ORDERS)
    c = contract(
        "orders",
        [
            ContractColumn("amount", parse_type("Decimal(18,2)")),
            ContractColumn("customer_id", INT64, nullable=False),
            ContractColumn("status", STRING),
            ContractColumn("region", STRING),
        ],
        required=["region"],
        protected=["legacy_id"],
    )
    diags = check_contracts(ir, {"orders": c, "ghost": contract("ghost")}, root=Path("/proj"))
    assert codes(diags) == ["W011", "E010", "E011", "E012", "W010", "E013"]
    by = {d.code: d for d in diags}
    assert by["E010"].message == "required column 'region' missing from model output"
    assert (
        by["E010"].suggestion == "add `region` to the SELECT, or remove it from `[rules] required`"
    )
    assert by["E011"].message == (
        "column 'amount' type mismatch: contract expects Decimal(18,2), got Decimal(10,2)"
    )
    assert "CAST `amount` to Decimal(18,2)" in (by["E011"].suggestion or "")
    assert by["E012"].message == (
        "column 'customer_id' must be non-nullable per contract, but is nullable"
    )
    assert by["W010"].message == "contract column 'status' not found in model output"
    assert by["E013"].message == "protected column 'legacy_id' has been removed"
    assert by["W011"].span is not None and by["W011"].span.file == "contracts/ghost.contract.toml"
    assert {d.severity for d in diags if d.code.startswith("E")} == {Severity.ERROR}
    assert by["W010"].severity is Severity.WARNING and by["W011"].model == "ghost"


def test_decimal_precision_must_match_exactly(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(ORDERS)
    for spelling, expected in [
        ("Decimal", []),
        ("Decimal(10,2)", []),
        ("Decimal(10)", ["E011"]),
        ("Decimal(12,2)", ["E011"]),
    ]:
        c = contract("orders", [ContractColumn("amount", parse_type(spelling))])
        assert codes(check_contracts(ir, {"orders": c})) == expected, spelling


def test_only_limits_to_one_model(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(ORDERS)
    contracts = {"orders": contract("orders", required=["zzz"]), "ghost": contract("ghost")}
    assert codes(check_contracts(ir, contracts, only="orders")) == ["E010"]


def test_e012_names_the_unknown_source(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(ORDERS)
    why = explain_nullable(ir, "orders", "customer_id")
    assert why == (
        "`customer_id` is nullable because it reads source `shop.orders.cust`, "
        "whose schema is unknown, so it may hold NULLs"
    )
    declared = build_ir(ORDERS, sources={"shop.orders": ["cust Int64 null"]})
    assert explain_nullable(declared, "orders", "customer_id").endswith(
        "which is declared nullable"
    )


JOINED = {
    "customers": (
        ["customer_id Int64", "segment String"],
        ["crm.people.id -> customer_id : direct", "crm.people.seg -> segment : direct"],
        [],
        "SELECT id AS customer_id, seg AS segment FROM crm.people",
    ),
    "orders": (
        ["order_id Int64", "customer_id Int64"],
        ["shop.orders.id -> order_id : direct", "shop.orders.cust -> customer_id : direct"],
        [],
        "SELECT id AS order_id, cust AS customer_id FROM shop.orders",
    ),
    "enriched": (
        ["order_id Int64", "segment String null", "label String null"],
        [
            "orders.order_id -> order_id : direct",
            "customers.segment -> segment : direct",
            "orders.order_id -> label : expression",
        ],
        ["orders", "customers"],
        "WITH c AS (SELECT * FROM customers) SELECT o.order_id, c.segment, "
        "CASE WHEN o.order_id > 1 THEN 'big' END AS label "
        "FROM orders AS o LEFT JOIN c ON o.customer_id = c.customer_id",
    ),
    "report": (
        ["segment String null"],
        ["enriched.segment -> segment : direct"],
        ["enriched"],
        "SELECT segment FROM enriched",
    ),
}
NOT_NULL = {
    "shop.orders": ["id Int64", "cust Int64"],
    "crm.people": ["id Int64", "seg String"],
}


def test_e012_names_the_outer_join(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(JOINED, sources=NOT_NULL)
    assert explain_nullable(ir, "enriched", "segment") == (
        "`segment` is nullable because the LEFT JOIN to `c` in `enriched` yields NULL "
        "where `c` has no matching row"
    )
    # one model further down, the chain leads back to the join
    assert explain_nullable(ir, "report", "segment") == (
        "`segment` is nullable because it reads `enriched.segment`, which is nullable "
        "because the LEFT JOIN to `c` in `enriched` yields NULL where `c` has no matching row"
    )
    # a CASE without ELSE: the inputs are not null, the expression is the cause
    assert "the expression computing it in `enriched` can yield NULL" in explain_nullable(
        ir, "enriched", "label"
    )
    diags = check_contracts(
        ir, {"report": contract("report", [ContractColumn("segment", None, nullable=False)])}
    )
    assert codes(diags) == ["E012"]
    assert "LEFT JOIN to `c` in `enriched`" in (diags[0].suggestion or "")
    assert "WHERE segment IS NOT NULL" in (diags[0].suggestion or "")


def test_right_and_full_joins_expose_the_left_side(build_ir: Callable[..., Any]) -> None:
    for side in ("RIGHT", "FULL OUTER"):
        spec = dict(JOINED)
        spec["enriched"] = (
            ["customer_id Int64 null"],
            ["orders.customer_id -> customer_id : direct"],
            ["orders", "customers"],
            f"SELECT o.customer_id FROM orders o {side} JOIN customers c "
            "ON o.customer_id = c.customer_id",
        )
        ir = build_ir(spec, sources=NOT_NULL)
        word = side.split()[0]
        assert explain_nullable(ir, "enriched", "customer_id").startswith(
            f"`customer_id` is nullable because the {word} JOIN to `orders`"
        )


def test_unknown_contract_type_spelling_is_a_mismatch(build_ir: Callable[..., Any]) -> None:
    ir = build_ir(ORDERS, sources={"shop.orders": ["id Int64", "cust Int64 null"]})
    c = contract(
        "orders",
        [
            ContractColumn("order_id", None, type_name="Utf8"),
            ContractColumn("note", None, type_name="Utf8"),  # Unknown inferred: skipped
        ],
    )
    diags = check_contracts(ir, {"orders": c})
    assert codes(diags) == ["E011"]
    assert "'Utf8'" in diags[0].message and "Int64" in diags[0].message
