"""One ``rocky run``, end to end: load, compile, lock, plan, execute, report.

The order matters. Compile errors stop the run before the warehouse is
contacted at all. The ledger's run lock is taken before the adapter
connects, so a second run on the same project waits for the first (or
fails with a line naming it) instead of meeting a locked database file.
The run record is written before the first statement, and rewritten after
every model and at the end.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import blake3

from rocky import __version__
from rocky.diagnostics import diagnostic_file as locate
from rocky.errors import RockyError
from rocky.identity import detect_identity
from rocky.ir import canonical_json
from rocky.ledger import Ledger
from rocky.partitions import PartitionSelection
from rocky.records import RunRecord, new_run_id, rfc3339, utc_now
from rocky.runlock import RunLock, lock_holder
from rocky.runner import Executor, RunOptions, exit_code

if TYPE_CHECKING:
    from rocky.adapters import Adapter
    from rocky.diagnostics import Diagnostic
    from rocky.governance_apply import GovernanceOutcome
    from rocky.progress import Progress
    from rocky.project import Project

__all__ = [
    "CompileFailed",
    "RunRequest",
    "RunResult",
    "config_hash",
    "diagnostic_file",
    "env_hash",
    "ledger_path",
    "open_adapter",
    "run_project",
]

DEFAULT_LOCK_TIMEOUT = 30.0
STATE_FILE = ".rocky-state.sqlite"


class CompileFailed(RockyError):
    """The project has compile errors; nothing was run."""

    def __init__(
        self, diagnostics: list[Diagnostic], project: Project | None = None, ir: Any = None
    ) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0]
        where = diagnostic_file(first, project, ir)
        where = f"{where}: " if where else ""
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(
            f"compile failed, nothing was run: {where}{first.code} {first.message}{more}",
            hint="`rocky compile` shows every diagnostic",
        )


def diagnostic_file(d: Diagnostic, project: Project | None, ir: Any = None) -> str | None:
    """Where a diagnostic points (see :func:`rocky.diagnostics.diagnostic_file`)."""
    return locate(d, *_files(project, ir))


def _files(project: Project | None, ir: Any) -> tuple[dict[str, str], dict[str, str]]:
    contracts = {m: c.rel_path for m, c in project.contracts.items()} if project else {}
    models = {name: str(m.file) for name, m in ir.models.items()} if ir is not None else {}
    return contracts, models


@dataclass
class RunRequest:
    config_path: Path = Path("rocky.toml")
    state_path: Path | None = None
    models_dir: Path | None = None
    model: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    pipeline: str | None = None
    partitions: PartitionSelection = field(default_factory=PartitionSelection)
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    progress: Progress | None = None
    env: Mapping[str, str] | None = None


@dataclass
class RunResult:
    record: RunRecord
    report: dict[str, Any]
    ledger_path: Path
    record_hash: str | None

    @property
    def exit_code(self) -> int:
        return exit_code(self.record)


def config_hash(project: Project) -> str:
    """blake3 hex of the raw rocky.toml bytes."""
    return blake3.blake3(project.config_bytes).hexdigest()


def env_hash(adapter: Adapter) -> str:
    """blake3 of canonical ``{adapter, engine_version, exec_config}``."""
    data = {"adapter": adapter.type_name, "engine_version": adapter.engine_version(),
            "exec_config": {}}
    return blake3.blake3(canonical_json(data).encode("utf-8")).hexdigest()


def ledger_path(project_root: Path, state_path: Path | None) -> Path:
    return state_path if state_path is not None else project_root / STATE_FILE


def open_adapter(project: Project) -> Adapter:
    """The project's default adapter, built by its plugin (not connected)."""
    from rocky.config import adapter_config
    from rocky.plugins import get_registry

    spec = get_registry().adapter(project.adapter_type)
    return spec.factory(adapter_config(project, project.default_adapter), project.root)


def _execution(project: Project, pipeline: str | None) -> Any:
    from rocky.config import TransformationPipeline
    from rocky.config_sections import ExecutionConfig

    pipelines = project.config.pipelines
    if pipeline is not None:
        if pipeline not in pipelines:
            known = ", ".join(sorted(pipelines)) or "none"
            raise RockyError(f"no pipeline named '{pipeline}' (configured: {known})")
        return pipelines[pipeline]
    for candidate in pipelines.values():
        if isinstance(candidate, TransformationPipeline):
            return candidate
    return type("Defaults", (), {"execution": ExecutionConfig(), "target": None})()


def concurrency_of(execution: Any) -> int:
    """``adaptive`` is twice the CPU count, at most 32."""
    if execution.concurrency == "adaptive":
        return min(32, (os.cpu_count() or 1) * 2)
    return max(1, int(execution.concurrency))


def _compile(project: Project, request: RunRequest) -> Any:
    from rocky.compiler.driver import CompileOptions, compile_project

    result = compile_project(project, CompileOptions(vars=request.vars, model=request.model))
    errors = [d for d in result.ir.diagnostics if d.is_error]
    if errors:
        raise CompileFailed(errors, project, result.ir)
    return result.ir


def run_project(request: RunRequest) -> RunResult:
    from rocky.plan import build_plan
    from rocky.plugins import get_plugin_manager
    from rocky.project import load_project
    from rocky.run_report import run_report

    project = load_project(request.config_path, models_dir=request.models_dir, env=request.env)
    ir = _compile(project, request)
    pipeline = _execution(project, request.pipeline)
    execution = pipeline.execution
    governance = getattr(getattr(pipeline, "target", None), "governance", None)
    path = ledger_path(project.root, request.state_path)
    identity = detect_identity(project.root, request.env)
    adapter = open_adapter(project)

    started = utc_now()
    record = RunRecord(run_id=new_run_id(started), started_at=rfc3339(started))
    with RunLock(path, timeout=request.lock_timeout) as lock:
        lock.acquire(lock_holder(record.run_id))
        with Ledger(path, busy_timeout=request.lock_timeout) as ledger:
            adapter.connect()
            try:
                select = [request.model] if request.model else None
                plan = build_plan(ir, adapter, ledger, select=select,
                                  partitions=request.partitions)
                schemas = _create_schemas(adapter, plan, governance)
                cost_model = get_plugin_manager().hook.rocky_cost_model(
                    adapter=adapter, config=project.config.cost.model_dump(mode="json")
                )
                _fill_record(record, project, adapter, identity, request, plan)
                ledger.begin_run(record)
                options = RunOptions(
                    concurrency=concurrency_of(execution),
                    fail_fast=execution.fail_fast,
                    table_retries=execution.table_retries,
                    progress=request.progress,
                    cost_model=cost_model,
                    env_hash=env_hash(adapter),
                )
                Executor(plan, adapter, ledger, record, options).run()
                governed = _govern(adapter, plan, record, governance, project, ledger)
                digest = ledger.record_hash_of(record.run_id)
            finally:
                adapter.close()
    report = run_report(
        record, adapter_type=project.adapter_type, concurrency=options.concurrency,
        adaptive=execution.concurrency == "adaptive", schemas_created=schemas,
        governance=governed,
        ledger={"path": str(path), "seq": record.seq, "record_hash": digest},
    )
    return RunResult(record, report, path, digest)


def _fill_record(record: RunRecord, project: Project, adapter: Adapter, identity: Any,
                 request: RunRequest, plan: Any) -> None:
    catalogs = sorted({p.target.catalog for p in plan.models.values() if p.target.catalog})
    record.trigger = identity.trigger
    record.config_hash = config_hash(project)
    record.triggering_identity = identity.triggering_identity
    record.git_commit = identity.git_commit
    record.git_branch = identity.git_branch
    record.git_dirty = identity.git_dirty
    record.hostname = identity.hostname
    record.rocky_version = __version__
    record.target_catalog = catalogs[0] if catalogs else adapter.default_catalog()
    record.pipeline = request.pipeline
    record.adapter_type = project.adapter_type
    record.vars = dict(request.vars)


def _govern(adapter: Adapter, plan: Any, record: RunRecord, governance: Any,
            project: Project, ledger: Ledger) -> GovernanceOutcome:
    """Apply the declared governance to what the run built (best-effort).
    A failed action is one of the run's errors: a run whose models all
    succeeded becomes a PartialFailure, and nothing is rolled back."""
    from rocky.governance_apply import (
        DeclaredGovernance,
        GovernanceAction,
        GovernanceOutcome,
        apply_governance,
        declares_governance,
    )
    from rocky.plugins import get_plugin_manager

    if record.interrupted:
        outcome = GovernanceOutcome(adapter.type_name, None)
        outcome.notes.append("the run was interrupted: no governance was applied")
        return outcome
    declared = DeclaredGovernance.from_config(governance, project.config.mask)
    if not declares_governance(declared, plan, record):
        return GovernanceOutcome(adapter.type_name, None)
    try:
        hook = get_plugin_manager().hook.rocky_governance(adapter=adapter)
    except Exception as exc:  # a plugin's failure is the run's error, not a crash
        outcome = GovernanceOutcome(adapter.type_name, None)
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        outcome.actions.append(
            GovernanceAction("setup", adapter.type_name, "ADAPTER", [], error=first)
        )
    else:
        outcome = apply_governance(adapter, hook, plan, record, declared)
    failed = outcome.failed
    if failed:
        first_failed = failed[0]
        record.error = (
            f"governance: {len(failed)} action(s) failed; the first, {first_failed.action} on "
            f"{first_failed.target}: {first_failed.error}"
        )
        if record.status == "Success":
            record.status = "PartialFailure"
        ledger.save_run(record)
    return outcome


def _create_schemas(adapter: Adapter, plan: Any, governance: Any) -> int:
    """``auto_create_schemas``: create every target schema not yet there."""
    if governance is None or not governance.auto_create_schemas:
        return 0
    created = 0
    seen: set[tuple[str | None, str]] = set()
    for model in plan.models.values():
        catalog, schema = model.target.catalog, model.target.schema
        if schema is None or (catalog, schema) in seen:
            continue
        seen.add((catalog, schema))
        if _schema_exists(adapter, catalog, schema):
            continue
        adapter.create_schema(catalog, schema)
        created += 1
    return created


def _schema_exists(adapter: Adapter, catalog: str | None, schema: str) -> bool:
    """Ask ``information_schema.schemata``; where an engine lacks it, a
    schema with tables certainly exists and an empty one is created again
    (``IF NOT EXISTS``)."""
    from sqlglot import exp

    from rocky.errors import AdapterError

    conditions: list[exp.Expression] = [exp.column("schema_name").eq(exp.Literal.string(schema))]
    if catalog is not None:
        conditions.append(exp.column("catalog_name").eq(exp.Literal.string(catalog)))
    query = exp.select("schema_name").from_(
        exp.table_("schemata", db="information_schema")
    ).where(exp.and_(*conditions))
    try:
        return bool(adapter.query_rows(query.sql(dialect=adapter.dialect)))
    except AdapterError:
        return bool(adapter.list_tables(catalog, schema))
