"""Turning compiled models into the ProjectIR: dependency diagnostics,
cycles, one ModelIR per model in execution order, cross-model checks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rocky.compiler import checks
from rocky.compiler.dag import DagOrder
from rocky.compiler.graph import Deps
from rocky.compiler.results import PackedDiag
from rocky.compiler.schedule import CompileState
from rocky.diagnostics import Diagnostic, Span
from rocky.ir import ModelIR, ProjectIR

__all__ = [
    "cycle_diagnostics",
    "dependency_diagnostics",
    "model_dependency_diagnostics",
    "model_ir",
    "own_diagnostics",
    "packed_diagnostic",
    "project_ir",
]


def _span(src: Any, line: int | None, col: int | None) -> Span:
    return _span_at(src.rel_path, src.line_offset, line, col)


def _span_at(rel_path: str, line_offset: int, line: int | None, col: int | None) -> Span:
    if line is None:
        return Span(rel_path, line_offset + 1, 1)
    return Span(rel_path, line, col or 1)


def packed_diagnostic(name: str, rel_path: str, line_offset: int, packed: PackedDiag) -> Diagnostic:
    """A diagnostic of model ``name`` (file ``rel_path``) from its packed form."""
    code, message, line, col, suggestion = packed
    return checks.diagnostic(
        code, message, name, _span_at(rel_path, line_offset, line, col), suggestion
    )


def _diag(src: Any, packed: PackedDiag) -> Diagnostic:
    return packed_diagnostic(src.name, src.rel_path, src.line_offset, packed)


def model_dependency_diagnostics(name: str, found: Deps, span: Span) -> list[Diagnostic]:
    """E007 for each ``depends_on`` entry that is not a model, E004 when the
    model names itself."""
    out = [
        checks.diagnostic(
            "E007",
            f"depends_on names '{dep}', which is not a model",
            name,
            span,
            "fix the name or remove it from depends_on",
        )
        for dep in found.unknown
    ]
    if found.self_dep:
        out.append(
            checks.diagnostic(
                "E004",
                f"dependency cycle: {name} -> {name}",
                name,
                span,
                "a model cannot depend on itself",
            )
        )
    return out


def dependency_diagnostics(
    state: CompileState, models: Mapping[str, Any]
) -> tuple[list[Diagnostic], dict[str, list[str]]]:
    """E007 / E004 for ``depends_on`` entries, and every compiled model's
    upstream models (for the DAG)."""
    diagnostics: list[Diagnostic] = []
    deps: dict[str, list[str]] = {}
    for name in state.names:
        found = state.deps_of(name)
        if found.unknown or found.self_dep:
            span = _span(models[name], None, None)
            diagnostics.extend(model_dependency_diagnostics(name, found, span))
        deps[name] = list(found.models)
    return diagnostics, deps


def cycle_diagnostics(cycles: list[list[str]], models: Mapping[str, Any]) -> list[Diagnostic]:
    """E004 once per member of each cycle."""
    out: list[Diagnostic] = []
    for cycle in cycles:
        path = " -> ".join(cycle)
        for member in sorted(set(cycle)):
            out.append(
                checks.diagnostic(
                    "E004",
                    f"dependency cycle: {path}",
                    member,
                    _span(models[member], None, None),
                    "remove one of these references or depends_on entries",
                )
            )
    return out


def model_ir(state: CompileState, src: Any, config: dict[str, Any]) -> ModelIR:
    """The IR of a model that has its result (``state.results``)."""
    name = src.name
    front = state.fronts[name]
    result = state.results[name]
    deps = state.deps_of(name)
    return ModelIR(
        name=name,
        file=src.rel_path,
        kind=src.kind,
        sql=front.sql,
        target=src.config.target.ref,
        strategy=dict(state.strategy_of(name)),
        depends_on=deps.models,
        external_refs=tuple(".".join(p) for p in deps.externals),
        columns=result.columns,
        lineage=result.lineage,
        config=config,
        content_hash=src.content_hash,
        schema_complete=result.complete,
        select_star=front.select_star,
    )


def own_diagnostics(state: CompileState, src: Any) -> list[Diagnostic]:
    """The diagnostics of a compiled model's own parse and inference."""
    name = src.name
    out = [_diag(src, d) for d in state.fronts[name].diags]
    out.extend(_diag(src, d) for d in state.results[name].diags)
    return out


class _ModelSpans(Mapping[str, Span]):
    """The span a model-level diagnostic points at, made when asked for
    (cross-model checks name few models)."""

    def __init__(self, models: Mapping[str, Any]) -> None:
        self._models = models

    def __getitem__(self, name: str) -> Span:
        return _span(self._models[name], None, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)


def project_ir(
    state: CompileState,
    chain: Any,
    models: Mapping[str, Any],
    dialect: str,
    dag: DagOrder,
    diagnostics: list[Diagnostic],
    built: Mapping[str, ModelIR],
    own: Mapping[str, list[Diagnostic]],
    *,
    only: str | None,
) -> ProjectIR:
    """The IR of every compiled model, in execution order. ``built`` and
    ``own`` hold each model's ModelIR and own diagnostics, made as it was
    compiled (:func:`model_ir`, :func:`own_diagnostics`). ``only``: keep
    just that model's diagnostics (``--model``)."""
    model_irs: dict[str, ModelIR] = {}
    sources: dict[str, Any] = {}
    star_models: list[str] = []
    for name in dag.order:
        front = state.fronts[name]
        for parts in state.deps_of(name).externals:
            cols = chain.lookup(parts)
            if cols is not None:
                sources[".".join(parts)] = cols
        if front.select_star:
            star_models.append(name)
        model_irs[name] = built[name]
        diagnostics.extend(own[name])
    spans = _ModelSpans({n: models[n] for n in model_irs})
    diagnostics.extend(checks.target_collisions(model_irs.values(), spans))
    diagnostics.extend(checks.select_star_blast_radius(model_irs, star_models, spans))
    if only is not None:
        diagnostics = [d for d in diagnostics if d.model == only]
    return ProjectIR(dialect, model_irs, dag.layers, diagnostics, sources)
