"""The ledger file: named migrations, WAL, canonical records and the hash
chain that makes an edited or deleted run detectable."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import blake3
import pytest

from rocky.ir import canonical_json
from rocky.ledger import Ledger, LedgerError, StateWrite
from rocky.migrations import MIGRATIONS
from rocky.records import (
    GENESIS_HASH,
    ModelExecution,
    RunRecord,
    new_run_id,
    rfc3339,
    sql_hash,
    utc_now,
)


def _run(ledger: Ledger, n: int, status: str = "Success") -> RunRecord:
    now = utc_now()
    record = RunRecord(run_id=f"{new_run_id(now)}-{n}", started_at=rfc3339(now))
    ledger.begin_run(record)
    record.models_executed.append(
        ModelExecution(
            model_name=f"m{n}", started_at=record.started_at, finished_at=rfc3339(utc_now()),
            duration_ms=1, status="success", sql_hash=sql_hash([f"SELECT {n}"]),
        )
    )
    record.status = status  # type: ignore[assignment]
    record.interrupted = False
    record.finished_at = rfc3339(utc_now())
    ledger.save_run(record)
    return record


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / ".rocky-state.sqlite"


@pytest.fixture
def three_runs(path: Path) -> list[RunRecord]:
    with Ledger(path) as ledger:
        return [_run(ledger, n) for n in range(3)]


def _sql(path: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    with sqlite3.connect(path) as con:
        con.execute(statement, params)


def test_schema_comes_from_named_migrations_applied_once(path: Path) -> None:
    Ledger(path).close()
    Ledger(path).close()
    with sqlite3.connect(path) as con:
        applied = [r[0] for r in con.execute("SELECT name FROM _rocky_migrations ORDER BY rowid")]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    assert applied == [name for name, _ in MIGRATIONS.steps]
    assert {"run_history", "output_artifacts", "branches", "input_index", "input_provenance",
            "watermarks", "grace_periods", "partitions", "run_statements"} <= tables
    assert mode == "wal"


def test_records_are_canonical_json_and_chained(path: Path, three_runs: list[RunRecord]) -> None:
    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT seq, record, record_hash, prev_hash FROM run_history ORDER BY seq"
        ).fetchall()
    previous = GENESIS_HASH
    for seq, text, digest, prev in rows:
        assert canonical_json(json.loads(text)) == text
        assert blake3.blake3(text.encode()).hexdigest() == digest
        assert prev == previous == json.loads(text)["prev_hash"]
        assert json.loads(text)["seq"] == seq
        previous = digest
    with Ledger(path) as ledger:
        report = ledger.verify_chain()
    assert report.ok and report.runs_checked == 3 and report.head_hash == previous


def test_an_edited_record_is_detected(path: Path, three_runs: list[RunRecord]) -> None:
    _sql(path, "UPDATE run_history SET record = json_set(record, '$.status', 'Failure') "
               "WHERE seq = 2")
    with Ledger(path) as ledger:
        report = ledger.verify_chain()
    assert not report.ok
    assert [(p.seq, p.problem) for p in report.problems] == [
        (2, "record was modified: its hash no longer matches record_hash")
    ]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    path: Path, three_runs: list[RunRecord]
) -> None:
    with sqlite3.connect(path) as con:
        text = con.execute("SELECT record FROM run_history WHERE seq = 1").fetchone()[0]
        data = json.loads(text)
        data["triggering_identity"] = "someone-else@example.com"
        forged = canonical_json(data)
        con.execute(
            "UPDATE run_history SET record = ?, record_hash = ? WHERE seq = 1",
            (forged, blake3.blake3(forged.encode()).hexdigest()),
        )
    with Ledger(path) as ledger:
        report = ledger.verify_chain()
    assert [(p.seq, p.problem) for p in report.problems] == [
        (2, "broken link: prev_hash does not match the previous record's hash")
    ]


def test_a_deleted_record_is_detected(path: Path, three_runs: list[RunRecord]) -> None:
    _sql(path, "DELETE FROM run_history WHERE seq = 2")
    with Ledger(path) as ledger:
        problems = [p.problem for p in ledger.verify_chain().problems]
    assert "sequence gap: expected record 2, found 3" in problems
    assert "broken link: prev_hash does not match the previous record's hash" in problems


def test_deleting_the_latest_record_is_detected_by_the_head(
    path: Path, three_runs: list[RunRecord]
) -> None:
    _sql(path, "DELETE FROM run_history WHERE seq = 3")
    with Ledger(path) as ledger:
        report = ledger.verify_chain()
    assert not report.ok
    assert "the latest run was deleted or edited" in report.problems[0].problem


def test_only_the_newest_run_can_be_rewritten(path: Path) -> None:
    with Ledger(path) as ledger:
        old = _run(ledger, 1)
        _run(ledger, 2)
        old.status = "Failure"
        with pytest.raises(LedgerError, match="no longer the newest record"):
            ledger.save_run(old)
        assert ledger.get_run(old.run_id).status == "Success"


def test_runs_read_back_newest_first(path: Path, three_runs: list[RunRecord]) -> None:
    with Ledger(path) as ledger:
        assert [r.run_id for r in ledger.runs()] == [r.run_id for r in reversed(three_runs)]
        assert ledger.get_run("latest").run_id == three_runs[-1].run_id
        again = ledger.get_run(three_runs[0].run_id)
    assert again.to_json() == three_runs[0].to_json()


def test_state_writes_land_with_the_run_update(path: Path) -> None:
    with Ledger(path) as ledger:
        now = utc_now()
        record = RunRecord(run_id=new_run_id(now), started_at=rfc3339(now))
        ledger.begin_run(record)
        ledger.save_run(record, [
            StateWrite("watermarks", {"table_key": "c.s.t"}, {"last_value": "2026-01-01"}),
            StateWrite("partitions", {"model": "m", "key": "2026-01-01"}, {"status": "computed"}),
        ])
        assert ledger.watermark("c.s.t") == "2026-01-01"
        assert ledger.rows("partitions", model="m") == [
            {"status": "computed", "model": "m", "key": "2026-01-01"}
        ]
        with pytest.raises(LedgerError, match="unknown state table"):
            ledger.put(StateWrite("nope", {"key": "x"}, {}))


def test_a_file_that_is_not_a_ledger_is_one_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(LedgerError, match="cannot open the ledger"):
        Ledger(junk)
    with pytest.raises(LedgerError, match="no ledger here yet"):
        Ledger.open_existing(tmp_path / "absent.sqlite")


def test_an_unfinished_run_is_recorded_as_interrupted_failure(path: Path) -> None:
    with Ledger(path) as ledger:
        now = utc_now()
        ledger.begin_run(RunRecord(run_id=new_run_id(now), started_at=rfc3339(now)))
    with sqlite3.connect(path) as con:
        status, interrupted, finished = con.execute(
            "SELECT json_extract(record, '$.status'), json_extract(record, '$.interrupted'), "
            "json_extract(record, '$.finished_at') FROM run_history"
        ).fetchone()
    assert (status, interrupted, finished) == ("Failure", 1, None)


def test_sql_hash_is_blake3_of_the_statements_joined() -> None:
    statements = ["BEGIN", "DELETE FROM t", "COMMIT"]
    expected = blake3.blake3(b"BEGIN;\nDELETE FROM t;\nCOMMIT").hexdigest()
    assert sql_hash(statements) == expected


def test_inspection_opens_read_only(path: Path, three_runs: list[RunRecord]) -> None:
    before = path.read_bytes()
    with Ledger.open_existing(path) as ledger:
        assert ledger.readonly
        assert ledger.verify_chain().ok
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            ledger.put(StateWrite("loaded_files", {"key": "x"}, {}))
    assert path.read_bytes() == before
