"""The ``rocky compile`` report as JSON fragments, one per model.

The report is assembled from pieces that each belong to one model (its
``models_detail`` entry and its diagnostics) plus the diagnostics of no
model, so that a compile which reuses most models from the project
snapshot (:mod:`rocky.compiler.snapshot`) prints exactly what a full
compile prints: it swaps the fragments of the models it recompiled and
keeps the rest as bytes. Diagnostics are therefore listed model by model,
in execution order (each model's in the order the compiler found them),
then those of no model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from rocky.diagnostics import Diagnostic, diagnostic_file
from rocky.ir import Column, ModelIR, ProjectIR

__all__ = [
    "TIMING_KEYS",
    "CompileReport",
    "ModelErrors",
    "ReportEncoder",
    "build_report",
    "diagnostic_line",
    "encode_fragment",
    "model_detail",
    "render",
]

# The encoder json.dumps(..., separators=(",", ":")) uses: a fragment is
# byte for byte what it would be inside one dumps of the whole report.
encode_fragment = json.JSONEncoder(separators=(",", ":"), default=str).encode
_string = json.encoder.encode_basestring_ascii

# The keys of ``compile_timings``, in the order the report lists them.
TIMING_KEYS: Final = (
    "total_ms",
    "project_load_ms",
    "semantic_graph_ms",
    "typecheck_ms",
    "typecheck_join_keys_ms",
    "contracts_ms",
)

# (number of errors, the one-line form of the first) for one model.
ModelErrors = tuple[int, str]


@dataclass
class CompileReport:
    """``details`` and ``diags`` map each model to its encoded pieces
    (``diags`` only for models that have diagnostics); ``tail`` holds the
    diagnostics of no model; ``errors`` the error count and first error
    line of each model with errors (``None`` for the tail's)."""

    order: list[str]
    layers: int
    details: dict[str, str]
    diags: dict[str, list[str]] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)
    errors: dict[str | None, ModelErrors] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(n for n, _ in self.errors.values())

    def first_error(self) -> str | None:
        for name in self.order:
            found = self.errors.get(name)
            if found is not None:
                return found[1]
        tail = self.errors.get(None)
        return tail[1] if tail is not None else None


def _detail_head(project: Any, m: ModelIR) -> dict[str, Any]:
    """A ``models_detail`` entry without its columns (always the last key)."""
    detail: dict[str, Any] = {
        "name": m.name,
        "strategy": m.strategy,
        "target": m.target.to_json(),
    }
    config = project.models[m.name].config
    if config.freshness is not None:
        detail["freshness"] = config.freshness.model_dump(mode="json", exclude_none=True)
    contract = project.contracts.get(m.name)
    if contract is not None:
        detail["contract_source"] = contract.rel_path
    if m.depends_on:
        detail["depends_on"] = list(m.depends_on)
    if config.tags:
        detail["tags"] = dict(config.tags)
    return detail


def model_detail(project: Any, m: ModelIR) -> dict[str, Any]:
    """One ``models_detail`` entry: the reference's keys, then the columns."""
    detail = _detail_head(project, m)
    detail["columns"] = [c.to_json() for c in m.columns]
    return detail


class ReportEncoder:
    """Encodes ``models_detail`` entries and diagnostics as
    :func:`encode_fragment` would, each object once (by identity, holding
    the object so its id stays unique), and each distinct Column once: the
    same column objects recur across a project (one per distinct name, type
    and nullability), and encoding the columns is most of a detail's cost.
    A compile encodes each model's pieces as the model compiles; the
    report then finds them here."""

    def __init__(self, project: Any) -> None:
        self.project = project
        self._columns: dict[int, tuple[Column, str]] = {}
        self._details: dict[int, tuple[ModelIR, str]] = {}
        self._diagnostics: dict[int, tuple[Diagnostic, str]] = {}

    def _column(self, c: Column) -> str:
        found = self._columns.get(id(c))
        if found is None:
            # the C string encoder json.dumps uses (ensure_ascii)
            text = (
                f'{{"name":{_string(c.name)},"type":{_string(str(c.type))},'
                f'"nullable":{"true" if c.nullable else "false"}}}'
            )
            found = self._columns[id(c)] = (c, text)
        return found[1]

    def detail(self, m: ModelIR) -> str:
        found = self._details.get(id(m))
        if found is None:
            head = encode_fragment(_detail_head(self.project, m))
            columns = ",".join([self._column(c) for c in m.columns])
            found = self._details[id(m)] = (m, f'{head[:-1]},"columns":[{columns}]}}')
        return found[1]

    def diagnostic(self, d: Diagnostic) -> str:
        found = self._diagnostics.get(id(d))
        if found is None:
            found = self._diagnostics[id(d)] = (d, encode_fragment(d.to_json()))
        return found[1]


def diagnostic_line(
    d: Diagnostic, contract_files: Mapping[str, str], model_files: Mapping[str, str]
) -> str:
    """``file:line:col: CODE message``; a diagnostic without a span names
    the file it is about (see :func:`rocky.diagnostics.diagnostic_file`)."""
    where = diagnostic_file(d, contract_files, model_files, with_col=True)
    model = f"model {d.model}: " if d.model and not d.span else ""
    return f"{where}: {model}{d.code} {d.message}" if where else f"{model}{d.code} {d.message}"


def build_report(
    project: Any,
    ir: ProjectIR,
    only: Iterable[str] | None = None,
    encoder: ReportEncoder | None = None,
) -> CompileReport:
    """The report's fragments for ``ir`` (for the models in ``only`` when
    given: the rest are the caller's). ``encoder``: one that has already
    encoded some of the pieces (as the models compiled)."""
    names = list(ir.models) if only is None else [n for n in only if n in ir.models]
    report = CompileReport(order=list(ir.models), layers=len(ir.layers), details={})
    encode = encoder if encoder is not None else ReportEncoder(project)
    for name in names:
        report.details[name] = encode.detail(ir.models[name])
    contracts = {m: c.rel_path for m, c in project.contracts.items()}
    files = {name: str(m.file) for name, m in ir.models.items()}
    wanted = set(names)
    for d in ir.diagnostics:
        owner = d.model if d.model in ir.models else None
        if owner is not None and owner not in wanted:
            continue
        text = encode.diagnostic(d)
        if owner is None:
            report.tail.append(text)
        else:
            report.diags.setdefault(owner, []).append(text)
        if d.is_error:
            count, line = report.errors.get(owner, (0, ""))
            if count == 0:
                line = diagnostic_line(d, contracts, files)
            report.errors[owner] = (count + 1, line)
    return report


def render(report: CompileReport, version: str, timings: Mapping[str, float]) -> str:
    """The compact JSON text of the report, as ``json.dumps`` of the whole
    document with ``separators=(",", ":")`` would write it."""
    diags: list[str] = []
    for name in report.order:
        found = report.diags.get(name)
        if found:
            diags.extend(found)
    diags.extend(report.tail)
    head = encode_fragment(
        {
            "version": version,
            "command": "compile",
            "models": len(report.order),
            "execution_layers": report.layers,
        }
    )
    rest = encode_fragment(
        {
            "has_errors": report.error_count > 0,
            "compile_timings": {k: round(v, 3) for k, v in timings.items()},
        }
    )
    details = ",".join(report.details[n] for n in report.order)
    return (
        f'{head[:-1]},"diagnostics":[{",".join(diags)}],{rest[1:-1]},"models_detail":[{details}]}}'
    )
