"""The IR round-trips through canonical JSON without losing anything."""

from __future__ import annotations

import json

from rocky.diagnostics import Diagnostic, Severity, Span
from rocky.ir import Column, ColumnRef, LineageEdge, ModelIR, TableRef, canonical_json
from rocky.types import INT64, STRING, decimal


def _model() -> ModelIR:
    return ModelIR(
        name="fct",
        file="models/fct.sql",
        kind="sql",
        sql="SELECT a FROM stg",
        target=TableRef("wh", "marts", "fct"),
        strategy={"type": "merge", "unique_key": ["a"]},
        depends_on=("stg",),
        external_refs=(),
        columns=(Column("a", INT64, False), Column("b", decimal(38, 2)), Column("c", STRING)),
        lineage=(LineageEdge(ColumnRef("stg", "a"), ColumnRef("fct", "a"), "direct"),),
        config={"name": "fct"},
        content_hash="abc",
    )


def test_model_ir_round_trip() -> None:
    model = _model()
    data = json.loads(canonical_json(model.to_json()))
    assert ModelIR.from_json(data) == model
    assert model.strategy_type == "merge"
    assert model.column("B") == Column("b", decimal(38, 2), True)
    assert model.target.key == "wh.marts.fct"


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'


def test_diagnostic_json_shape() -> None:
    diag = Diagnostic(Severity.ERROR, "E010", "missing", "m", Span("models/m.sql", 3, 7), "add it")
    data = diag.to_json()
    assert list(data) == ["severity", "code", "message", "span", "model", "suggestion"]
    assert data["span"] == {"file": "models/m.sql", "line": 3, "col": 7}
    assert Diagnostic.from_json(data) == diag
