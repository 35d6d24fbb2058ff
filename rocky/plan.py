"""Planning a run: from the compiled ProjectIR to the statements each model
will execute, before anything is written.

Planning reads the warehouse (does each target exist, with which columns;
the incremental high-water mark) and the ledger (watermarks, computed
partitions) but never writes. Ephemeral models are inlined into their
consumers as CTEs here and drop out of the execution layers.

Everything a model's statements depend on besides the compiled SQL is kept
in ``ModelPlan.inputs``; the run records it so that ``rocky replay --verify``
can rebuild the same statements from the code at the run's commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import blake3
from sqlglot import exp

from rocky.errors import RockyError
from rocky.identifiers import Normalize, StoredNames, stored_names
from rocky.ir import Column, ModelIR, ProjectIR, TableRef, canonical_json
from rocky.materialize import (
    Materialization,
    MaterializeRequest,
    bind_placeholders,
    column_types,
    materialize,
    parse_query,
    table_expr,
)
from rocky.partitions import PartitionSelection, PartitionWindow, plan_windows

if TYPE_CHECKING:
    from rocky.adapters import Adapter, Capability
    from rocky.ledger import Ledger

__all__ = [
    "ModelPlan",
    "Plan",
    "Unit",
    "build_plan",
    "inline_ephemerals",
    "max_value",
    "plan_model",
    "recipe_hash",
    "replan_model",
]

TIME_STRATEGIES = ("time_interval", "microbatch")
EPHEMERAL_PREFIX = "_rocky_ephemeral_"
@dataclass(frozen=True, slots=True)
class Unit:
    """One atomic piece of a model's work: the whole model, or one time
    partition of it."""

    statements: tuple[str, ...]
    mode: str
    rows_statement: int | None
    window: PartitionWindow | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ModelPlan:
    """One model's work. ``target`` and ``strategy_config`` hold the names
    as the engine stores them (see :func:`stored_names`)."""

    name: str
    model: ModelIR
    strategy: str
    target: TableRef
    units: list[Unit]
    upstream: tuple[str, ...]
    inputs: dict[str, Any]
    recipe_hash: str
    strategy_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.strategy_config:
            self.strategy_config = dict(self.model.strategy)

    @property
    def statements(self) -> list[str]:
        return [s for unit in self.units for s in unit.statements]

    @property
    def materializes_table(self) -> bool:
        return self.strategy not in ("view", "ephemeral", "materialized_view")


@dataclass(slots=True)
class Plan:
    dialect: str
    models: dict[str, ModelPlan]
    layers: list[list[str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "layers": self.layers,
            "models": {
                name: {
                    "strategy": p.strategy,
                    "target": p.target.key,
                    "upstream": list(p.upstream),
                    "statements": p.statements,
                }
                for name, p in self.models.items()
            },
        }


def recipe_hash(model: ModelIR) -> str:
    """blake3 of the model's canonical IR JSON: the program's identity."""
    return blake3.blake3(canonical_json(model.to_json()).encode("utf-8")).hexdigest()


def _ephemeral_closure(name: str, ir: ProjectIR) -> list[str]:
    """Ephemeral models ``name`` reads, directly or through other
    ephemerals, in dependency order (deepest first)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(model: str) -> None:
        for dep in ir.models[model].depends_on:
            upstream = ir.models.get(dep)
            if upstream is None or upstream.strategy_type != "ephemeral" or dep in seen:
                continue
            seen.add(dep)
            visit(dep)
            order.append(dep)

    visit(name)
    return order


def _rename_refs(query: exp.Query, names: set[str]) -> exp.Query:
    """Point one-part table references to ephemeral models at their CTEs."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in names:
            alias = node.alias or node.name
            renamed = exp.table_(EPHEMERAL_PREFIX + node.name, quoted=True)
            renamed.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
            return renamed
        return node

    return query.transform(swap, copy=True)  # type: ignore[return-value]


def _query_text(model: ModelIR) -> str:
    if model.strategy_type in TIME_STRATEGIES:
        return bind_placeholders(model.sql)
    return model.sql


def inline_ephemerals(model: ModelIR, ir: ProjectIR) -> exp.Query:
    """The model's SELECT with every ephemeral upstream as a leading CTE."""
    query = parse_query(_query_text(model), ir.dialect, model=model.name)
    chain = _ephemeral_closure(model.name, ir)
    if not chain:
        return query
    names = set(chain)
    ctes = []
    for dep in chain:
        body = parse_query(_query_text(ir.models[dep]), ir.dialect, model=dep)
        ctes.append(exp.CTE(this=_rename_refs(body, names), alias=exp.TableAlias(
            this=exp.to_identifier(EPHEMERAL_PREFIX + dep, quoted=True)
        )))
    query = _rename_refs(query, names)
    existing = query.args.get("with_")
    if isinstance(existing, exp.With):
        existing.set("expressions", [*ctes, *existing.expressions])
    else:
        query.set("with_", exp.With(expressions=ctes))
    return query


def _upstream(name: str, ir: ProjectIR) -> tuple[str, ...]:
    """Materialized models ``name`` reads, looking through ephemerals."""
    out: list[str] = []

    def visit(model: str) -> None:
        for dep in ir.models[model].depends_on:
            upstream = ir.models.get(dep)
            if upstream is None:
                continue
            if upstream.strategy_type == "ephemeral":
                visit(dep)
            elif dep not in out:
                out.append(dep)

    visit(name)
    return tuple(out)


def max_value(adapter: Adapter, target: TableRef, column: str, dialect: str) -> str | None:
    """``MAX(column)`` of ``target`` as text (the incremental high-water mark)."""
    query = exp.select(exp.func("MAX", exp.column(column, quoted=True))).from_(table_expr(target))
    rows = adapter.query_rows(query.sql(dialect=dialect))
    value = rows[0][0] if rows else None
    return None if value is None else str(value)


def plan_model(
    model: ModelIR,
    ir: ProjectIR,
    *,
    capabilities: frozenset[Capability],
    existing: tuple[Column, ...] | None,
    watermark: str | None,
    windows: list[PartitionWindow],
    normalize: Normalize | None = None,
) -> list[Unit]:
    """The units for one model given the state it meets. Pure: the same
    inputs give the same statements (replay --verify relies on it).
    ``normalize`` is the adapter's ``normalize_identifier`` (None: names
    are used as written)."""
    query = inline_ephemerals(model, ir)
    return _plan_units(
        model, ir, query, stored_names(model, query, normalize),
        capabilities=capabilities, existing=existing, watermark=watermark, windows=windows,
    )


def _plan_units(
    model: ModelIR,
    ir: ProjectIR,
    query: exp.Query,
    names: StoredNames,
    *,
    capabilities: frozenset[Capability],
    existing: tuple[Column, ...] | None,
    watermark: str | None,
    windows: list[PartitionWindow],
) -> list[Unit]:
    base = MaterializeRequest(
        model=model.name,
        query=query,
        target=names.target,
        strategy=names.strategy,
        dialect=ir.dialect,
        capabilities=capabilities,
        columns=names.columns,
        existing=existing,
        watermark=watermark,
        normalize=names.fold,
    )
    if model.strategy_type not in TIME_STRATEGIES:
        built = materialize(base)
        return [_unit(built, None)]
    units = []
    current = existing
    for window in windows:
        request = dataclasses.replace(base, existing=current, watermark=None, window=window)
        units.append(_unit(materialize(request), window))
        if current is None:
            current = names.columns or ()
    return units


def _unit(built: Materialization, window: PartitionWindow | None) -> Unit:
    return Unit(built.statements, built.mode, built.rows_statement, window, dict(built.details))


def _columns_json(columns: Iterable[Column] | None) -> list[dict[str, Any]] | None:
    return None if columns is None else [c.to_json() for c in columns]


def replan_model(model: ModelIR, ir: ProjectIR, inputs: dict[str, Any],
                 capabilities: frozenset[Capability],
                 normalize: Normalize | None = None) -> list[Unit]:
    """Rebuild a model's units from recorded plan inputs (replay --verify)."""
    existing_json = inputs.get("existing_columns")
    existing = None if existing_json is None else column_types(existing_json)
    windows = [PartitionWindow.from_json(w) for w in inputs.get("windows") or []]
    return plan_model(
        model, ir, capabilities=capabilities, existing=existing,
        watermark=inputs.get("watermark"), windows=windows, normalize=normalize,
    )


def build_plan(
    ir: ProjectIR,
    adapter: Adapter,
    ledger: Ledger | None,
    *,
    select: Iterable[str] | None = None,
    partitions: PartitionSelection | None = None,
) -> Plan:
    """Plan every materialized model of ``ir`` (or only ``select``)."""
    wanted = set(select) if select is not None else None
    if wanted is not None:
        unknown = sorted(wanted - set(ir.models))
        if unknown:
            raise RockyError(
                f"no model named '{unknown[0]}'",
                hint="`rocky compile` lists the project's models",
            )
    selection = partitions or PartitionSelection()
    normalize = adapter.normalize_identifier
    plans: dict[str, ModelPlan] = {}
    for name, model in ir.models.items():
        if model.strategy_type == "ephemeral" or (wanted is not None and name not in wanted):
            continue
        query = inline_ephemerals(model, ir)
        names = stored_names(model, query, normalize)
        target = names.target
        described = adapter.describe_table(target)
        existing = None if described is None else tuple(described)
        inputs: dict[str, Any] = {
            "target_existed": existing is not None,
            "existing_columns": _columns_json(existing),
        }
        watermark = None
        windows: list[PartitionWindow] = []
        strategy = model.strategy_type
        if strategy == "incremental" and existing is not None:
            column = str(names.strategy["timestamp_column"])
            recorded = ledger.watermark(target.key) if ledger is not None else None
            observed = max_value(adapter, target, column, ir.dialect)
            # The table is the truth: after a crash between the insert's
            # commit and the ledger write, it is ahead of the ledger.
            watermark = observed
            inputs["watermark_recorded"] = recorded
        elif strategy in TIME_STRATEGIES:
            cfg = model.strategy
            computed = [
                row["key"] for row in (ledger.rows("partitions", model=name) if ledger else [])
                if row.get("status") == "computed"
            ]
            windows = plan_windows(
                name,
                str(cfg.get("granularity", "hour")),
                selection,
                lookback=int(cfg.get("lookback", 0) or 0),
                batch_size=int(cfg.get("batch_size", 1) or 1),
                first_partition=cfg.get("first_partition"),
                computed=computed,
            )
            inputs["windows"] = [w.to_json() for w in windows]
        inputs["watermark"] = watermark
        units = _plan_units(
            model, ir, query, names, capabilities=adapter.capabilities, existing=existing,
            watermark=watermark, windows=windows,
        )
        plans[name] = ModelPlan(
            name=name,
            model=model,
            strategy=strategy,
            target=target,
            units=units,
            upstream=_upstream(name, ir),
            inputs=inputs,
            recipe_hash=recipe_hash(model),
            strategy_config=names.strategy,
        )
    layers = [[m for m in layer if m in plans] for layer in ir.layers]
    return Plan(ir.dialect, plans, [layer for layer in layers if layer])
