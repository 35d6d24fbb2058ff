"""The JSON a run prints, in the original tool's ``run`` shape (keys in its
struct order), built from the finished RunRecord and its plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rocky import __version__
from rocky.records import ModelExecution, RunRecord

if TYPE_CHECKING:
    from rocky.governance_apply import GovernanceOutcome

__all__ = ["run_report"]


def _asset_key(execution: ModelExecution) -> list[str]:
    return (execution.target or execution.model_name).split(".")


def _modes(execution: ModelExecution) -> str:
    """What the build did: ``full_refresh: full_build``, ``incremental: insert``..."""
    modes = sorted(set(execution.plan.get("modes") or []))
    return f"{execution.strategy}: {', '.join(modes)}" if modes else str(execution.strategy)


def _materialization(execution: ModelExecution) -> dict[str, Any]:
    windows = execution.plan.get("windows") or []
    data: dict[str, Any] = {
        "asset_key": _asset_key(execution),
        "duration_ms": execution.duration_ms,
        "started_at": execution.started_at,
        "metadata": {
            "strategy": execution.strategy,
            "target_table_full_name": execution.target,
            "sql_hash": execution.sql_hash,
            "watermark": execution.plan.get("watermark"),
            "column_count": len(execution.output_columns or []) or None,
        },
        "rows_copied": execution.rows_affected,
        "bytes_scanned": execution.bytes_scanned,
        "bytes_written": execution.bytes_written,
        "cost_usd": execution.cost_usd,
        "attempts": [a.to_json() for a in execution.attempts],
    }
    if windows:
        data["partition"] = {"key": windows[0]["key"], "start": windows[0]["start"],
                             "end": windows[-1]["end"],
                             "batched_with": [w["key"] for w in windows[1:]]}
    return data


def run_report(
    record: RunRecord,
    *,
    adapter_type: str,
    concurrency: int,
    adaptive: bool,
    schemas_created: int = 0,
    governance: GovernanceOutcome | None = None,
    ledger: dict[str, Any] | None = None,
) -> dict[str, Any]:
    executions = record.models_executed
    succeeded = [m for m in executions if m.status == "success"]
    failed = [m for m in executions if m.status == "failed"]
    skipped = [m for m in executions if m.status == "skipped"]
    costs = [m.cost_usd for m in succeeded]
    scanned = [m.bytes_scanned for m in succeeded if m.bytes_scanned is not None]
    report: dict[str, Any] = {
        "version": __version__,
        "command": "run",
        "run_id": record.run_id,
        "status": record.status,
        "filter": "",
        "duration_ms": record.duration_ms,
        "tables_copied": len(succeeded),
        "tables_failed": len(failed),
        "tables_skipped": len(skipped),
        "materializations": [_materialization(m) for m in succeeded],
        "model_decisions": [
            {
                "model": m.model_name,
                "decision": "skip" if m.status == "skipped" else "build",
                "reason": m.error if m.status == "skipped" else _modes(m),
            }
            for m in executions
        ],
        "check_results": [],
        "errors": [{"asset_key": _asset_key(m), "error": m.error} for m in failed]
        + (governance.errors() if governance is not None else []),
        "execution": {
            "concurrency": concurrency,
            "adaptive_concurrency": adaptive,
            "tables_processed": len(succeeded) + len(failed),
            "tables_failed": len(failed),
        },
        "permissions": {
            "grants_added": governance.grants_added if governance is not None else 0,
            "grants_revoked": governance.grants_revoked if governance is not None else 0,
            "catalogs_created": 0,
            "schemas_created": schemas_created,
        },
        "drift": {"tables_checked": 0, "tables_drifted": 0, "actions_taken": []},
    }
    if governance is not None:
        report["governance"] = governance.to_json()
    summaries = _partition_summaries(executions)
    if summaries:
        report["partition_summaries"] = summaries
    report["interrupted"] = record.interrupted
    report["cost_summary"] = {
        "total_cost_usd": None if any(c is None for c in costs) else float(sum(costs)),  # type: ignore[arg-type]
        "total_duration_ms": sum(m.duration_ms for m in succeeded),
        "total_bytes_scanned": sum(scanned) if scanned else None,
        "per_model": [
            {"asset_key": _asset_key(m), "duration_ms": m.duration_ms, "cost_usd": m.cost_usd}
            for m in succeeded
        ],
        "adapter_type": adapter_type,
    }
    if ledger is not None:
        report["ledger"] = ledger
    return report


def _partition_summaries(executions: list[ModelExecution]) -> list[dict[str, Any]]:
    out = []
    for m in executions:
        windows = m.plan.get("windows")
        if windows is None:
            continue
        planned = sum(1 + len(w.get("batched_with") or []) for w in windows)
        succeeded = len(m.plan.get("partitions_computed") or [])
        out.append({
            "model": m.model_name,
            "partitions_planned": planned,
            "partitions_succeeded": succeeded,
            "partitions_failed": planned - succeeded if m.status == "failed" else 0,
            "partitions_skipped": planned if m.status == "skipped" else 0,
        })
    return out
