"""Executing a plan: layer by layer, ``concurrency`` models at a time,
recording every model in the ledger as it finishes.

A model is recorded as ``success`` only after its statements returned (and
so committed); a failed model's dependents are recorded as ``skipped`` and
the rest of the DAG carries on. Ctrl-C (or SIGTERM) cancels the running
statements through the adapter, records the run as interrupted and stops.
Workers only talk to the warehouse; the ledger is written from the main
thread.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from rocky.records import (
    Attempt,
    ModelExecution,
    ModelStatus,
    RunRecord,
    RunStatus,
    rfc3339,
    sql_hash,
    utc_now,
)

if TYPE_CHECKING:
    from rocky.adapters import Adapter, ExecResult
    from rocky.cost import CostModel
    from rocky.ledger import Ledger, StateWrite
    from rocky.plan import ModelPlan, Plan, Unit
    from rocky.progress import Progress

__all__ = ["Executor", "ModelOutcome", "RunOptions", "exit_code", "run_status"]

CANCEL_GRACE_SECONDS = 30.0
FLUSH_INTERVAL_SECONDS = 0.25


@dataclass
class RunOptions:
    concurrency: int = 4
    fail_fast: bool = False
    table_retries: int = 0
    progress: Progress | None = None
    cost_model: CostModel | None = None
    env_hash: str | None = None


@dataclass
class ModelOutcome:
    plan: ModelPlan
    execution: ModelExecution
    statements: list[str] = field(default_factory=list)
    results: list[ExecResult] = field(default_factory=list)
    partitions_done: list[str] = field(default_factory=list)
    watermark: str | None = None


class _Interrupted(Exception):
    """The run was cancelled before this statement was sent."""


def run_status(record: RunRecord) -> RunStatus:
    statuses = [m.status for m in record.models_executed]
    if record.interrupted:
        return "Failure"
    if all(s == "success" for s in statuses):
        return "Success"
    if any(s == "success" for s in statuses):
        return "PartialFailure"
    return "Failure"


def exit_code(record: RunRecord) -> int:
    """0 success, 1 failure, 2 partial failure, 130 interrupted."""
    if record.interrupted:
        return 130
    return {"Success": 0, "PartialFailure": 2}.get(record.status, 1)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class Executor:
    """Runs one plan against one adapter and records it in one ledger run."""

    def __init__(
        self,
        plan: Plan,
        adapter: Adapter,
        ledger: Ledger,
        record: RunRecord,
        options: RunOptions | None = None,
    ) -> None:
        self.plan = plan
        self.adapter = adapter
        self.ledger = ledger
        self.record = record
        self.options = options or RunOptions()
        self.progress = self.options.progress
        self.outcomes: dict[str, ModelOutcome] = {}
        self._cancel = threading.Event()
        self._stop_new = threading.Event()  # fail_fast: hand out no more work
        self._pending_writes: list[StateWrite] = []
        self._dirty = False
        self._last_flush = 0.0
        dialect = plan.dialect
        self._begin = exp.Transaction().sql(dialect=dialect)
        self._rollback = exp.Rollback().sql(dialect=dialect)

    # -- the main loop (main thread) ---------------------------------------------
    def run(self) -> RunRecord:
        if self.progress is not None:
            self.progress.start(len(self.plan.models))
        try:
            with _sigterm_as_interrupt():
                for layer in self.plan.layers:
                    if self._cancel.is_set():
                        break
                    ready = [name for name in layer if self._runnable(name)]
                    self._run_layer(ready)
        except KeyboardInterrupt:
            self._interrupt()
        finally:
            if self.progress is not None:
                self.progress.stop()
        reason = "run interrupted" if self._cancel.is_set() else None
        for name in self.plan.models:
            if name not in self.outcomes:
                self._skip(name, reason or "not run")
        self.record.interrupted = self._cancel.is_set()
        self.record.finished_at = rfc3339(utc_now())
        self.record.status = run_status(self.record)
        self._flush(force=True)
        return self.record

    def _flush(self, *, min_interval: float = 0.0, force: bool = False) -> None:
        """Rewrite the run record with what finished since the last flush.

        Rewriting it after every model made a large run quadratic (the whole
        record is canonical JSON), so finished models are batched: written
        when the main loop would otherwise wait, at most every
        ``min_interval`` seconds, and at every layer's end. A model is only
        ever recorded as successful after its statements committed."""
        if not (force or self._dirty):
            return
        if not force and time.monotonic() - self._last_flush < min_interval:
            return
        self.ledger.save_run(self.record, self._pending_writes)
        self._pending_writes = []
        self._dirty = False
        self._last_flush = time.monotonic()

    def _runnable(self, name: str) -> bool:
        plan = self.plan.models[name]
        broken = [
            u for u in plan.upstream
            if u in self.outcomes and self.outcomes[u].execution.status != "success"
        ]
        if broken:
            self._skip(name, f"upstream '{broken[0]}' did not succeed")
            return False
        failed = any(o.execution.status == "failed" for o in self.outcomes.values())
        if self.options.fail_fast and failed:
            self._skip(name, "fail_fast: an earlier model failed")
            return False
        return True

    def _run_layer(self, names: list[str]) -> None:
        if not names:
            return
        todo: queue.Queue[str] = queue.Queue()
        for name in names:
            todo.put(name)
        done: queue.Queue[ModelOutcome] = queue.Queue()
        workers = max(1, min(self.options.concurrency, len(names)))
        for i in range(workers):
            threading.Thread(
                target=self._worker, args=(todo, done), name=f"rocky-worker-{i}", daemon=True
            ).start()
        pending = len(names)
        try:
            while pending:
                try:
                    outcome = done.get_nowait()
                except queue.Empty:
                    # Nothing to record: a good moment to make finished models durable.
                    self._flush(min_interval=FLUSH_INTERVAL_SECONDS)
                    try:
                        outcome = done.get(timeout=0.2)
                    except queue.Empty:
                        if self.progress is not None:
                            self.progress.tick()
                        continue
                pending -= 1
                self._record(outcome)
        except KeyboardInterrupt:
            self._interrupt()
            self._drain(done, pending)
            raise
        finally:
            self._flush()

    def _drain(self, done: queue.Queue[ModelOutcome], pending: int) -> None:
        """After a cancel: wait (bounded) for models already running, and
        record what they did. A second Ctrl-C stops waiting."""
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS
        with contextlib.suppress(KeyboardInterrupt):
            while pending and time.monotonic() < deadline:
                try:
                    outcome = done.get(timeout=0.2)
                except queue.Empty:
                    continue
                pending -= 1
                self._record(outcome)

    def _interrupt(self) -> None:
        if not self._cancel.is_set():
            self._cancel.set()
            with contextlib.suppress(Exception):
                self.adapter.cancel()

    def _worker(self, todo: queue.Queue[str], done: queue.Queue[ModelOutcome]) -> None:
        while not (self._cancel.is_set() or self._stop_new.is_set()):
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            if self.progress is not None:
                self.progress.model_started(name)
            try:
                outcome = self.execute_model(self.plan.models[name])
            except Exception as exc:  # a bug must not leave the main loop waiting forever
                outcome = self._skipped_outcome(name, f"internal error: {_one_line(exc)}")
                outcome.execution.status = "failed"
            if outcome.execution.status == "failed" and self.options.fail_fast:
                self._stop_new.set()
            done.put(outcome)
        # Stopped: hand back what was never started, so the main loop stops counting.
        reason = (
            "run interrupted" if self._cancel.is_set() else "fail_fast: an earlier model failed"
        )
        while True:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            done.put(self._skipped_outcome(name, reason))

    # -- recording (main thread) ---------------------------------------------------
    def _record(self, outcome: ModelOutcome) -> None:
        from rocky.ledger import StateWrite

        name = outcome.plan.name
        self.outcomes[name] = outcome
        execution = outcome.execution
        self.record.models_executed.append(execution)
        writes: list[StateWrite] = []
        if outcome.statements:
            writes.append(
                StateWrite(
                    "run_statements",
                    {"run_id": self.record.run_id, "model": name},
                    {"statements": outcome.statements, "sql_hash": execution.sql_hash},
                )
            )
        now = rfc3339(utc_now())
        if outcome.watermark is not None:
            writes.append(
                StateWrite(
                    "watermarks",
                    {"table_key": outcome.plan.target.key},
                    {
                        "last_value": outcome.watermark,
                        "updated_at": now,
                        "run_id": self.record.run_id,
                        "model": name,
                        "column": outcome.plan.strategy_config.get("timestamp_column"),
                    },
                )
            )
        windows = {u.window.key: u.window for u in outcome.plan.units if u.window is not None}
        for key in outcome.partitions_done:
            window = windows.get(key)
            writes.append(
                StateWrite(
                    "partitions",
                    {"model": name, "key": key},
                    {
                        "status": "computed",
                        "computed_at": now,
                        "run_id": self.record.run_id,
                        "window": window.to_json() if window is not None else None,
                    },
                )
            )
        self._pending_writes.extend(writes)
        self._dirty = True
        if self.progress is not None:
            self.progress.model_finished(name, execution.status)

    def _skipped_outcome(self, name: str, reason: str) -> ModelOutcome:
        plan = self.plan.models[name]
        now = rfc3339(utc_now())
        execution = ModelExecution(
            model_name=name, started_at=now, finished_at=now, duration_ms=0,
            status="skipped", sql_hash=None, recipe_hash=plan.recipe_hash,
            env_hash=self.options.env_hash, target=plan.target.key, strategy=plan.strategy,
            plan=self._plan_json(plan), error=reason,
        )
        return ModelOutcome(plan, execution)

    def _skip(self, name: str, reason: str) -> None:
        self._record(self._skipped_outcome(name, reason))

    @staticmethod
    def _plan_json(plan: ModelPlan) -> dict[str, Any]:
        return {**plan.inputs, "modes": [u.mode for u in plan.units]}

    # -- one model (worker thread) ---------------------------------------------------
    def execute_model(self, plan: ModelPlan) -> ModelOutcome:
        started = utc_now()
        t0 = time.monotonic()
        attempts: list[Attempt] = []
        sent: list[str] = []
        results: list[ExecResult] = []
        rows: list[int | None] = []
        partitions: list[str] = []
        error: str | None = None
        for number in range(1, self.options.table_retries + 2):
            a0 = time.monotonic()
            sent, results, rows = [], [], []
            try:
                for unit in plan.units:
                    rows.append(self._run_unit(unit, sent, results))
                    # A unit's partitions are committed even if a later unit fails.
                    for key in unit.window.keys if unit.window is not None else ():
                        if key not in partitions:
                            partitions.append(key)
            except Exception as exc:  # the warehouse's error, recorded verbatim (one line)
                error = _one_line(exc)
                attempts.append(
                    Attempt(number, "failure", _ms(a0), error=error,
                            failure_class=type(exc).__name__)
                )
                if self._cancel.is_set() or not getattr(exc, "transient", False):
                    break
                continue
            error = None
            attempts.append(Attempt(number, "success", _ms(a0)))
            break
        status: ModelStatus = "success" if error is None else "failed"
        execution = ModelExecution(
            model_name=plan.name,
            started_at=rfc3339(started),
            finished_at=rfc3339(utc_now()),
            duration_ms=_ms(t0),
            status=status,
            sql_hash=sql_hash(sent) if sent else None,
            rows_affected=_sum(rows),
            bytes_scanned=_sum([r.bytes_scanned for r in results]),
            bytes_written=_sum([r.bytes_written for r in results]),
            recipe_hash=plan.recipe_hash,
            env_hash=self.options.env_hash,
            attempts=attempts,
            target=plan.target.key,
            strategy=plan.strategy,
            plan=self._plan_json(plan),
            cost_usd=self._cost(results),
            error=error,
        )
        if any(u.window is not None for u in plan.units):
            execution.plan["partitions_computed"] = list(partitions)
        outcome = ModelOutcome(plan, execution, sent, results, partitions)
        if status == "success":
            self._observe(outcome)
        return outcome

    def _run_unit(self, unit: Unit, sent: list[str], results: list[ExecResult]) -> int | None:
        """Send one unit's statements; roll back an open transaction on
        failure. Returns the unit's rows affected."""
        in_transaction = False
        rows: int | None = None
        for index, statement in enumerate(unit.statements):
            if self._cancel.is_set():
                raise _Interrupted("run interrupted")
            sent.append(statement)
            try:
                result = self.adapter.execute(statement)
            except BaseException:
                if in_transaction:
                    with contextlib.suppress(Exception):
                        self.adapter.execute(self._rollback)
                raise
            if index == 0 and statement == self._begin:
                in_transaction = True
            results.append(result)
            if index == unit.rows_statement:
                rows = result.rows_affected
        return rows

    def _observe(self, outcome: ModelOutcome) -> None:
        """What the model left behind: its columns, row count and (for an
        incremental model) the new high-water mark. These reads are not part
        of ``sql_hash``; a failure here leaves the figures null."""
        from rocky.plan import max_value

        plan, execution = outcome.plan, outcome.execution
        dialect = self.plan.dialect
        with contextlib.suppress(Exception):
            columns = self.adapter.describe_table(plan.target)
            execution.output_columns = None if columns is None else [c.to_json() for c in columns]
        if plan.materializes_table:
            with contextlib.suppress(Exception):
                execution.output_rows = count_rows(self.adapter, plan.target, dialect)
        if plan.strategy == "incremental":
            column = str(plan.strategy_config["timestamp_column"])
            with contextlib.suppress(Exception):
                outcome.watermark = max_value(self.adapter, plan.target, column, dialect)

    def _cost(self, results: list[ExecResult]) -> float | None:
        model = self.options.cost_model
        if model is None:
            return None
        costs = [model.cost_usd(r) for r in results]
        if any(c is None for c in costs):
            return None
        return float(sum(c for c in costs if c is not None))


def count_rows(adapter: Adapter, target: Any, dialect: str) -> int | None:
    from rocky.materialize import table_expr

    query = exp.select(exp.func("COUNT", exp.Star())).from_(table_expr(target))
    rows = adapter.query_rows(query.sql(dialect=dialect))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run the way Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
