"""What the ledger records about a run: RunRecord and ModelExecution.

Field names and spellings follow the original tool's run records so that
tooling written against them keeps working. Additions are documented in
docs/ledger.md: ``seq`` and ``prev_hash`` (the hash chain), ``interrupted``,
``git_dirty``, ``adapter_type``, ``vars`` and, per model, ``target``,
``strategy``, ``plan``, ``output_rows``, ``output_columns``, ``cost_usd`` and
``error``.

A record is stored as canonical JSON (sorted keys, no spaces); its hash is
blake3 over those exact bytes. Each record carries the hash of the record
before it, so editing or deleting a past run breaks the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import blake3

from rocky.ir import canonical_json

__all__ = [
    "GENESIS_HASH",
    "HASH_SCHEME",
    "RUN_STATUSES",
    "Attempt",
    "ModelExecution",
    "ModelStatus",
    "RunRecord",
    "RunStatus",
    "Trigger",
    "new_run_id",
    "record_hash",
    "rfc3339",
    "snake_case",
    "sql_hash",
    "utc_now",
]

RunStatus = Literal["Success", "PartialFailure", "Failure", "SkippedIdempotent", "SkippedInFlight"]
Trigger = Literal["Manual", "Sensor", "Schedule", "Ci", "Webhook"]
ModelStatus = Literal["success", "failed", "skipped"]

RUN_STATUSES: Final = (
    "Success",
    "PartialFailure",
    "Failure",
    "SkippedIdempotent",
    "SkippedInFlight",
)
GENESIS_HASH: Final = "0" * 64
HASH_SCHEME: Final = "v1"
STATEMENT_SEPARATOR: Final = ";\n"


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """``2026-04-21T14:24:30.017123Z``: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def new_run_id(moment: datetime) -> str:
    """``run-YYYYMMDD-HHMMSS-mmm`` in UTC."""
    moment = moment.astimezone(UTC)
    return f"run-{moment:%Y%m%d-%H%M%S}-{moment.microsecond // 1000:03d}"


def sql_hash(statements: list[str] | tuple[str, ...]) -> str:
    """blake3 hex over the statements exactly as sent, joined by ``";\\n"``
    (UTF-8, no trailing separator). An auditor recomputes it from the
    ``run_statements`` table; docs/auditing.md shows how."""
    return blake3.blake3(STATEMENT_SEPARATOR.join(statements).encode("utf-8")).hexdigest()


def record_hash(canonical: str) -> str:
    """blake3 hex of a record's canonical JSON text."""
    return blake3.blake3(canonical.encode("utf-8")).hexdigest()


def snake_case(value: str) -> str:
    """``PartialFailure`` -> ``partial_failure`` (history/replay spelling)."""
    out = []
    for i, ch in enumerate(value):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


@dataclass(slots=True)
class Attempt:
    attempt: int
    outcome: Literal["success", "failure"]
    duration_ms: int
    error: str | None = None
    failure_class: str | None = None
    transient_kind: str | None = None
    backoff_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "outcome": self.outcome,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "failure_class": self.failure_class,
            "transient_kind": self.transient_kind,
            "backoff_ms": self.backoff_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(
            attempt=int(data["attempt"]),
            outcome=data["outcome"],
            duration_ms=int(data.get("duration_ms", 0)),
            error=data.get("error"),
            failure_class=data.get("failure_class"),
            transient_kind=data.get("transient_kind"),
            backoff_ms=data.get("backoff_ms"),
        )


@dataclass(slots=True)
class ModelExecution:
    """One model of one run. ``status`` is ``success`` (its statements
    committed), ``failed`` or ``skipped`` (an upstream failed; nothing was
    sent, so ``sql_hash`` is null)."""

    model_name: str
    started_at: str
    finished_at: str
    duration_ms: int
    status: ModelStatus
    sql_hash: str | None
    rows_affected: int | None = None
    bytes_scanned: int | None = None
    bytes_written: int | None = None
    skip_hash: str | None = None
    tenant: str | None = None
    recipe_hash: str | None = None
    input_hash: str | None = None
    input_proof_class: str | None = None
    env_hash: str | None = None
    hash_scheme: str | None = HASH_SCHEME
    attempts: list[Attempt] = field(default_factory=list)
    # additions (docs/ledger.md)
    target: str | None = None
    strategy: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    output_rows: int | None = None
    output_columns: list[dict[str, Any]] | None = None
    cost_usd: float | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": self.duration_ms,
            "rows_affected": self.rows_affected,
            "status": self.status,
            "sql_hash": self.sql_hash,
            "skip_hash": self.skip_hash,
            "bytes_scanned": self.bytes_scanned,
            "bytes_written": self.bytes_written,
            "tenant": self.tenant,
            "recipe_hash": self.recipe_hash,
            "input_hash": self.input_hash,
            "input_proof_class": self.input_proof_class,
            "env_hash": self.env_hash,
            "hash_scheme": self.hash_scheme,
            "attempts": [a.to_json() for a in self.attempts],
            "target": self.target,
            "strategy": self.strategy,
            "plan": self.plan,
            "output_rows": self.output_rows,
            "output_columns": self.output_columns,
            "cost_usd": self.cost_usd,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelExecution:
        return cls(
            model_name=data["model_name"],
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            duration_ms=int(data.get("duration_ms", 0)),
            status=data["status"],
            sql_hash=data.get("sql_hash"),
            rows_affected=data.get("rows_affected"),
            bytes_scanned=data.get("bytes_scanned"),
            bytes_written=data.get("bytes_written"),
            skip_hash=data.get("skip_hash"),
            tenant=data.get("tenant"),
            recipe_hash=data.get("recipe_hash"),
            input_hash=data.get("input_hash"),
            input_proof_class=data.get("input_proof_class"),
            env_hash=data.get("env_hash"),
            hash_scheme=data.get("hash_scheme"),
            attempts=[Attempt.from_json(a) for a in data.get("attempts") or []],
            target=data.get("target"),
            strategy=data.get("strategy"),
            plan=dict(data.get("plan") or {}),
            output_rows=data.get("output_rows"),
            output_columns=data.get("output_columns"),
            cost_usd=data.get("cost_usd"),
            error=data.get("error"),
        )


@dataclass(slots=True)
class RunRecord:
    """One ``rocky run``.

    It is written when the run starts with ``status = "Failure"``,
    ``interrupted = true`` and ``finished_at = null``, and rewritten as each
    model finishes and when the run ends. A process killed mid-run therefore
    leaves a record that already says it did not finish: nothing is ever
    recorded as a success before it happened.
    """

    run_id: str
    started_at: str
    status: RunStatus = "Failure"
    finished_at: str | None = None
    models_executed: list[ModelExecution] = field(default_factory=list)
    trigger: Trigger = "Manual"
    config_hash: str = ""
    triggering_identity: str | None = None
    session_source: str = "cli"
    git_commit: str | None = None
    git_branch: str | None = None
    idempotency_key: str | None = None
    target_catalog: str | None = None
    hostname: str = "unknown"
    rocky_version: str = "<pre-audit>"
    check_outcomes: list[dict[str, Any]] = field(default_factory=list)
    pipeline: str | None = None
    submission_id: str | None = None
    # additions (docs/ledger.md)
    interrupted: bool = True
    git_dirty: bool | None = None
    adapter_type: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    seq: int = 0
    prev_hash: str = GENESIS_HASH

    @property
    def duration_ms(self) -> int:
        if self.finished_at is None:
            return 0
        delta = parse_rfc3339(self.finished_at) - parse_rfc3339(self.started_at)
        return max(0, int(delta.total_seconds() * 1000))

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def model(self, name: str) -> ModelExecution | None:
        for execution in self.models_executed:
            if execution.model_name == name:
                return execution
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "models_executed": [m.to_json() for m in self.models_executed],
            "trigger": self.trigger,
            "config_hash": self.config_hash,
            "triggering_identity": self.triggering_identity,
            "session_source": self.session_source,
            "git_commit": self.git_commit,
            "git_branch": self.git_branch,
            "idempotency_key": self.idempotency_key,
            "target_catalog": self.target_catalog,
            "hostname": self.hostname,
            "rocky_version": self.rocky_version,
            "check_outcomes": self.check_outcomes,
            "pipeline": self.pipeline,
            "submission_id": self.submission_id,
            "interrupted": self.interrupted,
            "git_dirty": self.git_dirty,
            "adapter_type": self.adapter_type,
            "vars": self.vars,
            "error": self.error,
            "seq": self.seq,
            "prev_hash": self.prev_hash,
        }

    def canonical(self) -> str:
        return canonical_json(self.to_json())

    def hash(self) -> str:
        return record_hash(self.canonical())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        return cls(
            run_id=data["run_id"],
            started_at=data["started_at"],
            finished_at=data.get("finished_at"),
            status=data["status"],
            models_executed=[ModelExecution.from_json(m) for m in data.get("models_executed", [])],
            trigger=data.get("trigger", "Manual"),
            config_hash=data.get("config_hash", ""),
            triggering_identity=data.get("triggering_identity"),
            session_source=data.get("session_source", "cli"),
            git_commit=data.get("git_commit"),
            git_branch=data.get("git_branch"),
            idempotency_key=data.get("idempotency_key"),
            target_catalog=data.get("target_catalog"),
            hostname=data.get("hostname", "unknown"),
            rocky_version=data.get("rocky_version", "<pre-audit>"),
            check_outcomes=list(data.get("check_outcomes") or []),
            pipeline=data.get("pipeline"),
            submission_id=data.get("submission_id"),
            interrupted=bool(data.get("interrupted", False)),
            git_dirty=data.get("git_dirty"),
            adapter_type=data.get("adapter_type"),
            vars=dict(data.get("vars") or {}),
            error=data.get("error"),
            seq=int(data.get("seq", 0)),
            prev_hash=data.get("prev_hash", GENESIS_HASH),
        )

