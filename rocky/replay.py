"""Reading runs back from the ledger: ``rocky history`` and ``rocky replay``.

Statuses and triggers are printed in lowercase snake_case (``success``,
``partial_failure``, ``manual``) as the original tool does in these
commands. A record whose run never finished reads as ``running`` while its
process still holds the run lock, and as an interrupted ``failure`` once it
does not (the process crashed or was killed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rocky import __version__
from rocky.ledger import Ledger
from rocky.records import ModelExecution, RunRecord, snake_case
from rocky.runlock import RunLock

__all__ = ["display_status", "history_json", "live_run_id", "model_json", "replay_json"]


def live_run_id(ledger_path: Path) -> str | None:
    """The run id holding the run lock right now, if any (None too when the
    lock file cannot be opened: an auditor may read a ledger they cannot
    write)."""
    try:
        holder = RunLock.held_by(ledger_path)
    except OSError:
        return None
    if holder is None:
        return None
    run_id = holder.get("run_id")
    return str(run_id) if run_id else None


def display_status(record: RunRecord, live: str | None) -> str:
    if record.finished_at is None and record.run_id == live:
        return "running"
    return snake_case(record.status)


def model_json(execution: ModelExecution) -> dict[str, Any]:
    """One model in replay's shape."""
    return {
        "model_name": execution.model_name,
        "status": execution.status,
        "started_at": execution.started_at,
        "finished_at": execution.finished_at,
        "duration_ms": execution.duration_ms,
        "sql_hash": execution.sql_hash,
        "rows_affected": execution.rows_affected,
        "bytes_scanned": execution.bytes_scanned,
        "bytes_written": execution.bytes_written,
        "target": execution.target,
        "strategy": execution.strategy,
        "output_rows": execution.output_rows,
        "error": execution.error,
    }


def replay_json(record: RunRecord, *, live: str | None, record_hash: str | None) -> dict[str, Any]:
    return {
        "version": __version__,
        "command": "replay",
        "run_id": record.run_id,
        "status": display_status(record, live),
        "trigger": snake_case(record.trigger),
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "config_hash": record.config_hash,
        "models": [model_json(m) for m in record.models_executed],
        "interrupted": record.interrupted and record.run_id != live,
        "triggering_identity": record.triggering_identity,
        "git_commit": record.git_commit,
        "git_branch": record.git_branch,
        "git_dirty": record.git_dirty,
        "hostname": record.hostname,
        "rocky_version": record.rocky_version,
        "target_catalog": record.target_catalog,
        "seq": record.seq,
        "prev_hash": record.prev_hash,
        "record_hash": record_hash,
    }


def _history_run(record: RunRecord, live: str | None, audit: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run_id": record.run_id,
        "status": display_status(record, live),
        "trigger": snake_case(record.trigger),
        "started_at": record.started_at,
        "duration_ms": record.duration_ms,
        "models_executed": len(record.models_executed),
        "models": [
            {
                "model_name": m.model_name,
                "status": m.status,
                "duration_ms": m.duration_ms,
                "rows_affected": m.rows_affected,
                "recipe_identity": {
                    "recipe_hash": m.recipe_hash,
                    "env_hash": m.env_hash,
                    "hash_scheme": m.hash_scheme,
                    "input_hash": m.input_hash,
                    "input_proof_class": m.input_proof_class,
                },
            }
            for m in record.models_executed
        ],
        "interrupted": record.interrupted and record.run_id != live,
    }
    if record.pipeline is not None:
        data["pipeline"] = record.pipeline
    if audit:
        data.update(
            {
                "triggering_identity": record.triggering_identity,
                "session_source": record.session_source,
                "git_commit": record.git_commit,
                "git_branch": record.git_branch,
                "idempotency_key": record.idempotency_key,
                "target_catalog": record.target_catalog,
                "hostname": record.hostname,
                "rocky_version": record.rocky_version,
            }
        )
    return data


def history_json(
    ledger: Ledger, *, limit: int | None = None, audit: bool = False, model: str | None = None
) -> dict[str, Any]:
    """Recorded runs, newest first; ``model`` keeps runs that touched it."""
    live = live_run_id(ledger.path)
    records = ledger.runs()
    if model is not None:
        records = [r for r in records if r.model(model) is not None]
    if limit is not None:
        records = records[:limit]
    runs = [_history_run(r, live, audit) for r in records]
    return {"version": __version__, "command": "history", "count": len(runs), "runs": runs}
