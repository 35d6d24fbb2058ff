"""Contracts checked against the inferred schema at compile time.

A ``.contract.toml`` states what a model's output must look like. Against
the compiled ProjectIR:

- E010: a ``[rules] required`` column is missing from the output.
- E011: a column's type differs from the contract's (skipped when the
  inferred type is Unknown; a bare ``Decimal`` matches any precision,
  ``Decimal(p,s)`` must match exactly).
- E012: the contract says ``nullable = false`` but the column can be NULL.
  The suggestion names what makes it nullable: the outer join, or the
  upstream column (followed back to where the NULLs come from).
- E013: a ``[rules] protected`` column is missing.
- W010: a contract column is missing from the output (and not required).
- W011: the contract names no model of the project.

``[rules] no_new_nullable`` is accepted and not checked (as in the original
tool). Pure functions: no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rocky.diagnostics import Diagnostic, Severity, Span
from rocky.ir import ColumnRef, ModelIR, ProjectIR
from rocky.types import RockyType

__all__ = ["ContractColumnLike", "ContractLike", "check_contracts", "explain_nullable"]


class ContractColumnLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> RockyType | None: ...
    @property
    def nullable(self) -> bool | None: ...
    @property
    def type_name(self) -> str | None: ...


class ContractLike(Protocol):
    """What the checks read from a parsed contract (rocky.contract_files)."""

    @property
    def path(self) -> Path: ...
    @property
    def columns(self) -> Sequence[ContractColumnLike]: ...
    @property
    def required(self) -> Sequence[str]: ...
    @property
    def protected(self) -> Sequence[str]: ...


def _diag(code: str, model: str, message: str, suggestion: str | None = None) -> Diagnostic:
    severity = Severity.WARNING if code.startswith("W") else Severity.ERROR
    return Diagnostic(severity, code, message, model=model, suggestion=suggestion)


def check_contracts(
    ir: ProjectIR,
    contracts: Mapping[str, ContractLike],
    *,
    only: str | None = None,
    root: Path | None = None,
) -> list[Diagnostic]:
    """Every contract diagnostic, contracts in model-name order.

    ``only`` restricts the check to one model's contract (and then a contract
    without a model is not reported). ``root`` makes W011's span relative."""
    out: list[Diagnostic] = []
    lowered = {name.lower(): name for name in ir.models}
    for name in sorted(contracts):
        if only is not None and name.lower() != only.lower():
            continue
        contract = contracts[name]
        model_name = name if name in ir.models else lowered.get(name.lower())
        if model_name is None:
            out.append(_orphan(name, contract, list(ir.models), root))
            continue
        out.extend(_check_one(ir, ir.models[model_name], contract))
    return out


def _orphan(name: str, contract: ContractLike, models: list[str], root: Path | None) -> Diagnostic:
    close = difflib.get_close_matches(name, models, n=1)
    fix = (
        f"rename the contract to `{close[0]}.contract.toml`"
        if close
        else "rename it after an existing model"
    )
    diag = _diag(
        "W011",
        name,
        f"contract exists for '{name}' but model was not found in project",
        f"{fix}, or delete the contract",
    )
    path = Path(contract.path)
    if root is not None and path.is_absolute() and path.is_relative_to(root):
        path = path.relative_to(root)
    return Diagnostic(
        diag.severity,
        diag.code,
        diag.message,
        diag.model,
        Span(path.as_posix(), 1, 1),
        diag.suggestion,
    )


def _check_one(ir: ProjectIR, model: ModelIR, contract: ContractLike) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    name = model.name
    required = list(contract.required)
    for col in required:
        if model.column(col) is None:
            out.append(
                _diag(
                    "E010",
                    name,
                    f"required column '{col}' missing from model output",
                    f"add `{col}` to the SELECT, or remove it from `[rules] required`",
                )
            )
    required_lower = {c.lower() for c in required}
    for declared in contract.columns:
        inferred = model.column(declared.name)
        if inferred is None:
            if declared.name.lower() not in required_lower:
                out.append(
                    _diag(
                        "W010",
                        name,
                        f"contract column '{declared.name}' not found in model output",
                        f"add `{declared.name}` to the SELECT, or remove it from the "
                        "contract's [[columns]]",
                    )
                )
            continue
        expected = declared.type
        unknown_spelling = declared.type_name
        if expected is None and unknown_spelling and not inferred.type.is_unknown:
            # A type rocky does not know can match nothing it infers.
            out.append(
                _diag(
                    "E011",
                    name,
                    f"column '{declared.name}' type mismatch: contract expects "
                    f"'{unknown_spelling}', which is not a rocky type, got {inferred.type}",
                    f"write the contract type as a rocky type (for example {inferred.type})",
                )
            )
        if expected is not None and not inferred.type.matches(expected):
            out.append(
                _diag(
                    "E011",
                    name,
                    f"column '{declared.name}' type mismatch: contract expects {expected}, "
                    f"got {inferred.type}",
                    f"CAST `{declared.name}` to {expected} in the SELECT, or update the "
                    "contract's expected type",
                )
            )
        if declared.nullable is False and inferred.nullable:
            why = explain_nullable(ir, name, inferred.name)
            out.append(
                _diag(
                    "E012",
                    name,
                    f"column '{declared.name}' must be non-nullable per contract, but is nullable",
                    f"{why}; filter out NULLs (`WHERE {inferred.name} IS NOT NULL`) or COALESCE "
                    f"`{inferred.name}` to a default, or relax `nullable = true` in the contract",
                )
            )
    for col in contract.protected:
        if model.column(col) is None:
            out.append(
                _diag(
                    "E013",
                    name,
                    f"protected column '{col}' has been removed",
                    f"restore `{col}` in the SELECT, or remove it from `[rules] protected`",
                )
            )
    return out


# --- why is a column nullable? ----------------------------------------------

_NOT_VALUE = ("join_key", "filter")


def _value_edges(ir: ProjectIR, ref: ColumnRef) -> list[Any]:
    model = ir.models.get(ref.model)
    if model is None:
        return []
    lowered = ref.column.lower()
    return [
        e
        for e in model.lineage
        if e.target.column.lower() == lowered and e.transform not in _NOT_VALUE
    ]


def _source_nullable(ir: ProjectIR, ref: ColumnRef) -> bool | None:
    """Nullability of an external source column; None when its schema is unknown."""
    for key, columns in ir.sources.items():
        if key.lower() == ref.model.lower():
            for col in columns:
                if col.name.lower() == ref.column.lower():
                    return col.nullable
            return None
    return None


def _nullable(ir: ProjectIR, ref: ColumnRef) -> bool:
    model = ir.models.get(ref.model)
    if model is not None:
        col = model.column(ref.column)
        return True if col is None else col.nullable
    known = _source_nullable(ir, ref)
    return True if known is None else known


def explain_nullable(ir: ProjectIR, model: str, column: str) -> str:
    """One clause naming what makes ``model.column`` nullable: an outer join
    in ``model``, or the upstream column the NULLs come from."""
    sources = [e.source for e in _value_edges(ir, ColumnRef(model, column))]
    join = _outer_join(ir, model, sources)
    if join is not None:
        return f"`{column}` is nullable because {join}"
    if not sources:
        return f"`{column}` is nullable because the expression computing it can yield NULL"
    nullable = [s for s in sources if _nullable(ir, s)]
    if not nullable:
        return (
            f"`{column}` is nullable because the expression computing it in `{model}` can "
            f"yield NULL although its inputs ({', '.join(_label(ir, s) for s in sources)}) "
            "are not null"
        )
    return f"`{column}` is nullable because {_origin(ir, nullable[0])}"


def _label(ir: ProjectIR, ref: ColumnRef) -> str:
    kind = "" if ref.model in ir.models else "source "
    return f"{kind}`{ref.model}.{ref.column}`"


def _origin(ir: ProjectIR, start: ColumnRef) -> str:
    """Follow nullable inputs upstream to where the NULLs enter."""
    path = [start]
    seen = {(start.model.lower(), start.column.lower())}
    current = start
    while current.model in ir.models:
        chain = "it reads " + " <- ".join(_label(ir, r) for r in path)
        sources = [e.source for e in _value_edges(ir, current)]
        join = _outer_join(ir, current.model, sources)
        if join is not None:
            return f"{chain}, which is nullable because {join}"
        candidates = [
            s
            for s in sources
            if _nullable(ir, s) and (s.model.lower(), s.column.lower()) not in seen
        ]
        if not candidates:
            return (
                f"{chain}, which can be NULL (the expression computing it in "
                f"`{current.model}` can yield NULL)"
            )
        current = candidates[0]
        seen.add((current.model.lower(), current.column.lower()))
        path.append(current)
    chain = "it reads " + " <- ".join(_label(ir, r) for r in path)
    if _source_nullable(ir, current) is None:
        return f"{chain}, whose schema is unknown, so it may hold NULLs"
    return f"{chain}, which is declared nullable"


# --- outer joins --------------------------------------------------------------


@lru_cache(maxsize=256)
def _parsed(sql: str, dialect: str) -> Any | None:
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        return sqlglot.parse_one(sql, read=dialect or None)
    except (SqlglotError, ValueError):
        return None


def _outer_join(ir: ProjectIR, model: str, sources: Sequence[ColumnRef]) -> str | None:
    """The outer join in ``model``'s SQL that puts one of ``sources`` on its
    nullable side, described for a message; None when there is none."""
    from sqlglot import exp

    ir_model = ir.models.get(model)
    if ir_model is None or not sources:
        return None
    tree = _parsed(ir_model.sql, ir.dialect)
    if tree is None:
        return None
    names = _source_names(ir, sources)
    ctes = {c.alias_or_name.lower(): c.this for c in tree.find_all(exp.CTE)}
    for select in tree.find_all(exp.Select):
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is None:
            continue
        joins = select.args.get("joins") or []
        items = [from_.this, *(j.this for j in joins)]
        for i, join in enumerate(joins):
            side = (join.side or "").upper()
            if side == "LEFT":
                exposed = [items[i + 1]]
            elif side == "RIGHT":
                exposed = items[: i + 1]
            elif side == "FULL":
                exposed = items[: i + 2]
            else:
                continue
            for item in exposed:
                if _reads(item, names, ctes):
                    shown = item.name if isinstance(item, exp.Table) else item.alias_or_name
                    return (
                        f"the {side} JOIN to `{shown}` in `{model}` yields NULL where "
                        f"`{shown}` has no matching row"
                    )
    return None


def _source_names(ir: ProjectIR, sources: Sequence[ColumnRef]) -> set[str]:
    """Every spelling a FROM clause may use for the models/sources read."""
    names: set[str] = set()
    for ref in sources:
        names.add(ref.model.lower())
        names.add(ref.model.rsplit(".", 1)[-1].lower())
        upstream = ir.models.get(ref.model)
        if upstream is not None:
            names.add(upstream.target.table.lower())
    return names


def _reads(item: Any, names: set[str], ctes: Mapping[str, Any], depth: int = 0) -> bool:
    from sqlglot import exp

    if depth > 8:
        return False
    tables = [item] if isinstance(item, exp.Table) else list(item.find_all(exp.Table))
    for table in tables:
        name = table.name.lower()
        dotted = ".".join(p.name for p in table.parts).lower()
        if name in ctes and not table.db:
            if _reads(ctes[name], names, ctes, depth + 1):
                return True
            continue
        if name in names or dotted in names:
            return True
    return False
