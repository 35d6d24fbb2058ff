"""Contracts checked during a real compile (loader + compiler + lint plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rocky.diagnostics import Diagnostic


def contract_diags(ir: Any) -> list[Diagnostic]:
    return [d for d in ir.diagnostics if d.code[:3] in ("E01", "W01")]


def test_strict_project_raises_exactly_e010_e012_e013(
    compiled: Callable[..., Any], tmp_path: Path
) -> None:
    ir, _ = compiled("strict", tmp_path)
    diags = contract_diags(ir)
    assert [(d.model, d.code, d.message) for d in diags] == [
        ("shipments_broken", "E010", "required column 'carrier_id' missing from model output"),
        (
            "shipments_broken",
            "E012",
            "column 'shipment_id' must be non-nullable per contract, but is nullable",
        ),
        ("shipments_broken", "E013", "protected column 'carrier_id' has been removed"),
    ]
    assert ir.has_errors
    e012 = diags[1].suggestion or ""
    # the NULLs come from a source whose schema the compile does not know
    assert e012.startswith(
        "`shipment_id` is nullable because it reads `base_shipments.shipment_id` <- source "
        "`landing.shipments.shipment_id`, whose schema is unknown"
    )
    assert all(d.suggestion for d in diags)


def test_explicit_contracts_dir_wins(compiled: Callable[..., Any], tmp_path: Path) -> None:
    ir, _ = compiled("strict", tmp_path, contracts_dir="contracts")
    assert [d.code for d in contract_diags(ir)] == ["E010", "E012", "E013"]


def test_contracts_dir_option_reaches_the_plugin(
    compiled: Callable[..., Any], tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "shipments_ok.contract.toml").write_text('[rules]\nrequired = ["volume_m3"]\n')
    ir, _ = compiled("strict", tmp_path, contracts_dir=None)
    assert "E010" not in [d.code for d in contract_diags(ir) if d.model == "shipments_ok"]
    from rocky.compiler import CompileOptions, compile_project
    from rocky.project import load_project

    project = load_project(tmp_path / "strict" / "rocky.toml")
    ir = compile_project(project, CompileOptions(contracts_dir=other, cache=False)).ir
    ok = [d for d in contract_diags(ir) if d.model == "shipments_ok"]
    assert [(d.code, d.message) for d in ok] == [
        ("E010", "required column 'volume_m3' missing from model output")
    ]


def test_model_filter_checks_only_that_contract(
    compiled: Callable[..., Any], tmp_path: Path
) -> None:
    ir, _ = compiled("strict", tmp_path, model="shipments_ok")
    assert contract_diags(ir) == []


def test_with_seed_the_source_schema_is_known(compiled: Callable[..., Any], tmp_path: Path) -> None:
    ir, _ = compiled("strict", tmp_path, with_seed=True)
    e012 = next(d for d in contract_diags(ir) if d.code == "E012")
    # seed.sql creates the table without NOT NULL: the source says nullable
    assert (e012.suggestion or "").startswith(
        "`shipment_id` is nullable because it reads `base_shipments.shipment_id` <- source "
        "`landing.shipments.shipment_id`, which is declared nullable; filter out NULLs"
    )


def test_join_project_every_code_and_the_join_named(
    compiled: Callable[..., Any], tmp_path: Path
) -> None:
    ir, _ = compiled("joins", tmp_path, with_seed=True)
    got = [(d.model, d.code, d.message) for d in contract_diags(ir)]
    assert got == [
        (
            "invoice_tiers",
            "E011",
            "column 'total' type mismatch: contract expects Decimal(12,2), got Decimal(10,2)",
        ),
        (
            "invoice_tiers",
            "E012",
            "column 'tier' must be non-nullable per contract, but is nullable",
        ),
        ("invoice_tiers", "W010", "contract column 'currency' not found in model output"),
        (
            "tier_revenue",
            "E012",
            "column 'tier' must be non-nullable per contract, but is nullable",
        ),
        (
            "tier_revnue",
            "W011",
            "contract exists for 'tier_revnue' but model was not found in project",
        ),
    ]
    by = {(d.model, d.code): d for d in contract_diags(ir)}
    join = (
        "the LEFT JOIN to `accounts` in `invoice_tiers` yields NULL where `accounts` has no "
        "matching row"
    )
    assert (by["invoice_tiers", "E012"].suggestion or "").startswith(
        f"`tier` is nullable because {join}; "
    )
    assert (by["tier_revenue", "E012"].suggestion or "").startswith(
        "`tier` is nullable because it reads `invoice_tiers.tier`, which is nullable "
        f"because {join}"
    )
    w011 = by["tier_revnue", "W011"]
    assert w011.span is not None and w011.span.file == "contracts/tier_revnue.contract.toml"
    assert "`tier_revenue.contract.toml`" in (w011.suggestion or "")
    # the invoice_id contract (Int64, not null) is met: no diagnostic names it
    assert not [d for d in contract_diags(ir) if "invoice_id" in d.message]


def test_unknown_types_skip_e011(compiled: Callable[..., Any], tmp_path: Path) -> None:
    ir, _ = compiled("joins", tmp_path)  # no seed: source columns are Unknown
    codes = [(d.model, d.code) for d in contract_diags(ir)]
    assert ("invoice_tiers", "E011") not in codes
    assert ("invoice_tiers", "W010") in codes
