"""A bad ledger, a bad warehouse, a failing warehouse, secrets: each problem
is one ``error:`` line naming the file and what to do, exit 1 (2 for a run
that partly failed), no traceback, and the ledger and the tables of the
earlier good run survive intact."""

from __future__ import annotations

import json
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bad_input_helpers import (
    Sandbox,
    assert_one_error,
    baseline_project,
    copy_project,
    drop_file_permission_override,
    file_digest,
    ledger_state,
    warehouse_state,
)

from rocky.runlock import RunLock

STATE = ".rocky-state.sqlite"
WAREHOUSE = "shop.duckdb"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return Sandbox.under(tmp_path_factory.mktemp("sandbox"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox) -> Path:
    return baseline_project(tmp_path_factory.mktemp("baseline") / "shop", sandbox)


@pytest.fixture
def shop(tmp_path: Path, baseline: Path) -> Path:
    return copy_project(baseline, tmp_path / "shop")


def _set_warehouse(root: Path, path: str) -> None:
    toml = root / "rocky.toml"
    toml.write_text(toml.read_text().replace('"shop.duckdb"', f'"{path}"'))


@contextmanager
def _holding(script: str, *args: str) -> Iterator[None]:
    """Another process runs ``script`` (which prints one line once it holds
    what it holds) and keeps holding until the block ends."""
    with subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding"
        try:
            yield
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
    assert holder.returncode == 0


HOLD_SQLITE = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.read()
con.execute("ROLLBACK")
"""

HOLD_DUCKDB = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
con.close()
"""


# -- the ledger -----------------------------------------------------------------


@pytest.mark.parametrize("command", [("run",), ("history",), ("replay", "latest")])
def test_state_path_is_a_directory(sandbox: Sandbox, shop: Path, command: tuple[str, ...]) -> None:
    states = shop / "states"
    states.mkdir()
    done = sandbox.rocky("--state-path", str(states), *command, cwd=shop)
    assert_one_error(done, str(states), "is a directory", "--state-path")
    assert list(states.iterdir()) == []


def test_state_path_under_a_file(sandbox: Sandbox, shop: Path) -> None:
    done = sandbox.rocky("--state-path", "rocky.toml/ledger.sqlite", "run", cwd=shop)
    assert_one_error(done, "rocky.toml", "is a file where a directory is needed")
    assert (shop / "rocky.toml").is_file()
    assert file_digest(shop / STATE) is not None and len(ledger_state(shop / STATE)[0]) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_ledger_that_is_not_sqlite_is_left_alone(
    sandbox: Sandbox, shop: Path, damage: str
) -> None:
    state = shop / STATE
    if damage == "garbage":
        state.write_bytes(bytes(range(256)) * 40)
    else:
        state.write_bytes(state.read_bytes()[:6000])
    before = file_digest(state), file_digest(shop / WAREHOUSE)
    reason = "not a database" if damage == "garbage" else "malformed"
    commands = [("run",), ("history",), ("replay", "latest", "--verify")]
    for done in sandbox.rocky_all(commands, cwd=shop):
        assert_one_error(done, str(state), reason, "--state-path")
    assert (file_digest(state), file_digest(shop / WAREHOUSE)) == before


def test_a_read_only_ledger_can_be_read_but_not_run_into(sandbox: Sandbox, shop: Path) -> None:
    state = shop / STATE
    state.chmod(0o444)
    before = file_digest(state), file_digest(shop / WAREHOUSE)
    history = sandbox.rocky(
        "-o", "json", "history", cwd=shop, preexec=drop_file_permission_override
    )
    assert history.returncode == 0, history
    assert json.loads(history.stdout)["count"] == 1
    run = sandbox.rocky("run", cwd=shop, preexec=drop_file_permission_override)
    assert_one_error(run, str(state), "readonly", "writable")
    assert (file_digest(state), file_digest(shop / WAREHOUSE)) == before


def test_a_ledger_in_a_read_only_directory(sandbox: Sandbox, shop: Path) -> None:
    """An auditor's read-only copy: history and replay read it; a run says
    which file it could not create."""
    vault = shop / "vault"
    vault.mkdir()
    state = vault / "ledger.sqlite"
    (shop / STATE).rename(state)
    vault.chmod(0o555)
    digest = file_digest(state)
    opts = ("-o", "json", "--state-path", str(state))
    for command in (("history",), ("replay", "latest")):
        done = sandbox.rocky(*opts, *command, cwd=shop, preexec=drop_file_permission_override)
        assert done.returncode == 0, done
    run = sandbox.rocky(*opts, "run", cwd=shop, preexec=drop_file_permission_override)
    assert_one_error(run, f"{state}.lock", "Permission denied")
    assert sorted(p.name for p in vault.iterdir()) == ["ledger.sqlite"]
    assert file_digest(state) == digest


def test_a_ledger_from_a_newer_rocky_is_neither_read_nor_written(
    sandbox: Sandbox, shop: Path
) -> None:
    state = shop / STATE
    with sqlite3.connect(state) as con:
        con.execute(
            "INSERT INTO _rocky_migrations (migration_set, name, applied_at) "
            "VALUES ('rocky', 'm900_from_the_future', '2031-01-01T00:00:00+00:00')"
        )
    con.close()
    before = file_digest(state), file_digest(shop / WAREHOUSE)
    for done in sandbox.rocky_all([("run",), ("history",)], cwd=shop):
        assert_one_error(done, str(state), "newer rocky", "m900_from_the_future", "upgrade rocky")
    assert (file_digest(state), file_digest(shop / WAREHOUSE)) == before


def test_a_run_waits_out_a_short_lock_by_another_process(sandbox: Sandbox, shop: Path) -> None:
    state = shop / STATE
    with _holding(HOLD_SQLITE, str(state)):
        run = subprocess.Popen(
            [sys.executable, "-m", "rocky.cli", "-o", "json", "run"],
            cwd=shop, env=sandbox.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while RunLock.held_by(state) is None:  # past the run lock, at the ledger
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        assert run.poll() is None, run.communicate()
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    runs, chain_ok = ledger_state(state)
    assert chain_ok and runs[-1] == json.loads(out)["run_id"] and len(runs) == 2


def test_a_ledger_another_process_keeps_locked(sandbox: Sandbox, shop: Path) -> None:
    """Readers still read (WAL); a run gives up after --lock-timeout with
    one line, and the ledger is as it was."""
    state = shop / STATE
    before = file_digest(shop / WAREHOUSE)
    with _holding(HOLD_SQLITE, str(state)):
        history = sandbox.rocky("-o", "json", "history", cwd=shop)
        assert history.returncode == 0, history
        started = time.monotonic()
        try:
            run = sandbox.rocky("run", "--lock-timeout", "1", cwd=shop, timeout=8)
        except subprocess.TimeoutExpired:
            pytest.fail("`rocky run --lock-timeout 1` still waited on the locked ledger after 8s")
        assert time.monotonic() - started < 8
    assert_one_error(run, str(state), "locked", "another process")
    runs, chain_ok = ledger_state(state)
    assert len(runs) == 1 and chain_ok
    assert file_digest(shop / WAREHOUSE) == before


def test_a_damaged_run_record_is_named_not_a_crash(sandbox: Sandbox, shop: Path) -> None:
    state = shop / STATE
    with sqlite3.connect(state) as con:
        con.execute("UPDATE run_history SET record = substr(record, 1, 40) WHERE seq = 1")
    con.close()
    for done in sandbox.rocky_all([("history",), ("replay", "latest")], cwd=shop):
        assert_one_error(done, str(state), "run record 1 is damaged", "sqlite3")


def test_replay_of_an_unknown_run(sandbox: Sandbox, shop: Path) -> None:
    done = sandbox.rocky("replay", "run-19700101-000000-000", cwd=shop)
    assert_one_error(done, str(shop / STATE), "no run 'run-19700101-000000-000'", "rocky history")


def test_inspecting_a_project_that_never_ran(sandbox: Sandbox, shop: Path) -> None:
    (shop / STATE).unlink()
    for done in sandbox.rocky_all([("history",), ("replay", "latest")], cwd=shop):
        assert_one_error(done, str(shop / STATE), "no ledger here yet", "rocky run")
    assert not (shop / STATE).exists()


# -- the warehouse ----------------------------------------------------------------


def test_a_warehouse_file_that_is_not_duckdb(sandbox: Sandbox, shop: Path) -> None:
    broken = shop / "broken.duckdb"
    broken.write_bytes(bytes(range(256)) * 40)
    _set_warehouse(shop, "broken.duckdb")
    for done in sandbox.rocky_all([("run",), ("seed",)], cwd=shop):
        assert_one_error(done, str(broken), "not a valid DuckDB database")
    assert broken.read_bytes() == bytes(range(256)) * 40
    runs, chain_ok = ledger_state(shop / STATE)
    assert len(runs) == 1 and chain_ok


def test_a_warehouse_another_process_holds(sandbox: Sandbox, shop: Path) -> None:
    before = warehouse_state(shop / WAREHOUSE)
    with _holding(HOLD_DUCKDB, str(shop / WAREHOUSE)):
        commands = [("run",), ("seed",), ("compile", "--catalog")]
        for done in sandbox.rocky_all(commands, cwd=shop):
            assert_one_error(done, str(shop / WAREHOUSE), "another process has this database open")
    assert warehouse_state(shop / WAREHOUSE) == before
    runs, chain_ok = ledger_state(shop / STATE)
    assert len(runs) == 1 and chain_ok


def test_a_warehouse_path_under_a_file(sandbox: Sandbox, shop: Path) -> None:
    _set_warehouse(shop, "seeds/payments.csv/shop.duckdb")
    done = sandbox.rocky("run", cwd=shop)
    assert_one_error(done, str(shop / "seeds" / "payments.csv"))
    assert (shop / "seeds" / "payments.csv").is_file()


def test_a_warehouse_in_a_directory_rocky_may_not_write(sandbox: Sandbox, shop: Path) -> None:
    locked = shop / "locked"
    locked.mkdir(mode=0o555)
    _set_warehouse(shop, "locked/shop.duckdb")
    done = sandbox.rocky("seed", cwd=shop, preexec=drop_file_permission_override)
    assert_one_error(done, str(locked / "shop.duckdb"), "Permission denied")
    assert list(locked.iterdir()) == []


def test_a_warehouse_in_a_missing_directory_is_created(sandbox: Sandbox, shop: Path) -> None:
    """Documented for the DuckDB adapter: missing parent directories are
    created, so this is not an error."""
    _set_warehouse(shop, "data/new/shop.duckdb")
    done = sandbox.rocky("-o", "json", "seed", cwd=shop)
    assert done.returncode == 0, done
    assert warehouse_state(shop / "data" / "new" / "shop.duckdb")["seeds.payments"]


def _disk_fills_at(limit: int) -> None:
    """``preexec``: files may not grow past ``limit`` bytes, as on a full
    disk; the write fails with EFBIG instead of killing the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_the_warehouse_disk_fills_up_mid_run(sandbox: Sandbox, shop: Path) -> None:
    """The warehouse stops accepting writes part way through a run: the
    model that hit it fails, its dependents are skipped, the rest carries
    on, the run is recorded as a partial failure with a hash chain that
    verifies, and no table is left half-built."""
    models = shop / "models"
    (models / "wide.sql").write_text(
        "SELECT range AS n, md5(CAST(range AS VARCHAR)) AS h FROM range(3000000)\n"
    )
    (models / "wide_count.sql").write_text("SELECT COUNT(*) AS n FROM wide\n")
    for name in ("wide", "wide_count"):
        (models / f"{name}.toml").write_text('[strategy]\ntype = "full_refresh"\n')
    before = warehouse_state(shop / WAREHOUSE)
    limit = 4 * (shop / WAREHOUSE).stat().st_size + (2 << 20)

    done = sandbox.rocky("-o", "json", "run", cwd=shop, preexec=lambda: _disk_fills_at(limit))
    line = assert_one_error(done, "partial_failure", "shop.main.wide", "rocky replay", code=2)
    assert "File too large" in line
    report = json.loads(done.stdout)
    decisions = {m["asset_key"][-1] for m in report["materializations"]}
    assert decisions == {"paid", "revenue"}

    runs, chain_ok = ledger_state(shop / STATE)
    assert chain_ok and len(runs) == 2
    after = warehouse_state(shop / WAREHOUSE)
    assert after == before  # rebuilt to the same rows; wide never appeared
    replay = sandbox.rocky("-o", "json", "replay", report["run_id"], "--verify", cwd=shop)
    assert replay.returncode == 0, replay
    statuses = {m["model_name"]: m["status"] for m in json.loads(replay.stdout)["models"]}
    assert statuses == {
        "paid": "success", "revenue": "success", "wide": "failed", "wide_count": "skipped"
    }


# -- secrets ----------------------------------------------------------------------

SNOWFLAKE_TOML = """\
[adapter]
type = "snowflake"
account = "shop"
username = "loader"
password = "${{SHOP_SNOWFLAKE_PASSWORD}}"
host = "127.0.0.1"
port = {port}
protocol = "http"
timeout_secs = 1
warehouse = "compute"
database = "shop"

[pipeline.shop]
type = "transformation"
models = "models/**"
"""

SECRET = "s3cr3t-Pa55w0rd-that-must-not-leak"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_snowflake_never_shows_the_password(
    tmp_path: Path, sandbox: Sandbox, shop: Path
) -> None:
    (shop / "rocky.toml").write_text(SNOWFLAKE_TOML.format(port=_closed_port()))
    env = {"SHOP_SNOWFLAKE_PASSWORD": SECRET}
    validate = sandbox.rocky("-o", "json", "validate", cwd=shop, env=env)
    assert validate.returncode == 0, validate
    run = sandbox.rocky("-o", "json", "run", cwd=shop, env=env)
    assert_one_error(run, "Snowflake account 'shop'", "[adapter]")
    for done in (validate, run):
        assert SECRET not in done.stdout + done.stderr
    # Nothing written anywhere (ledger, its WAL, caches, HOME, TMPDIR) holds it.
    needle = SECRET.encode()
    for where in (shop, sandbox.home, sandbox.tmp):
        for path in where.rglob("*"):
            if path.is_file():
                assert needle not in path.read_bytes(), path


# -- playground -------------------------------------------------------------------


def test_playground_where_it_cannot_write(tmp_path: Path, sandbox: Sandbox) -> None:
    parent = tmp_path / "shared"
    parent.mkdir(mode=0o555)
    done = sandbox.rocky(
        "playground", "shared/demo", cwd=tmp_path, preexec=drop_file_permission_override
    )
    assert_one_error(done, "shared/demo", "Permission denied", "a directory you can write")
    assert list(parent.iterdir()) == []


def test_playground_over_a_file(tmp_path: Path, sandbox: Sandbox) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    done = sandbox.rocky("playground", "notes.txt", cwd=tmp_path)
    assert_one_error(done, "notes.txt", "not a directory", "new directory")
    assert (tmp_path / "notes.txt").read_text() == "keep me"
