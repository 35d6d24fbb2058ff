"""Bad project files through every command that reads them: each failure is
one ``error:`` line on stderr naming the file (and line) and what to do,
exit 1, no traceback, and the ledger and warehouse of an earlier good run
are left exactly as they were.

Every (breakage, command) pair runs in its own ``python -m rocky.cli``
child process; as many run at once as there are CPUs, so the matrix stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_input_helpers import (
    ROCKY_TOML,
    Done,
    Sandbox,
    assert_one_error,
    baseline_project,
    copy_project,
    drop_file_permission_override,
    file_digest,
    ledger_state,
    warehouse_state,
)

STATE = ".rocky-state.sqlite"
WAREHOUSE = "shop.duckdb"


def _rewrite_toml(old: str, new: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        text = (root / "rocky.toml").read_text()
        assert old in text
        (root / "rocky.toml").write_text(text.replace(old, new))

    return breaks


def _write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / rel
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return breaks


def _no_toml(root: Path) -> None:
    (root / "rocky.toml").unlink()


def _models_is_a_file(root: Path) -> None:
    shutil.rmtree(root / "models")
    (root / "models").write_text("SELECT 1\n")


def _dsl_model(root: Path) -> None:
    (root / "models" / "extra.rocky").write_text("from paid\nwhere (amount_cents > \n")
    (root / "models" / "extra.toml").write_text('[strategy]\ntype = "full_refresh"\n')


LOADING = ("validate", "compile", "emit-sql", "run", "seed", "lineage", "lineage-diff")
COMPILING = ("compile", "emit-sql", "run", "lineage", "lineage-diff")


@dataclass(frozen=True)
class Breakage:
    breaks: Callable[[Path], None]
    names: tuple[str, ...]  # what the error line must contain
    commands: tuple[str, ...] = LOADING
    model: str = "revenue"


BREAKAGES: dict[str, Breakage] = {
    "no-rocky-toml": Breakage(_no_toml, ("rocky.toml", "-c")),
    "truncated-toml": Breakage(
        _write("rocky.toml", ROCKY_TOML[:42]), ("rocky.toml", "line 3", "invalid TOML")
    ),
    "binary-toml": Breakage(
        _write("rocky.toml", bytes(range(256)) * 8), ("rocky.toml", "UTF-8")
    ),
    "wrong-type": Breakage(
        _rewrite_toml("concurrency = 2", 'concurrency = "fast"'),
        ("rocky.toml", "concurrency", "line 13", "positive integer"),
    ),
    "unknown-adapter": Breakage(
        _rewrite_toml('type = "duckdb"', 'type = "oracle9"'),
        ("rocky.toml", "oracle9", "pip install rocky-oracle9"),
    ),
    "unset-variable": Breakage(
        _rewrite_toml('"shop.duckdb"', '"${SHOP_UNSET_DB_PATH}"'),
        ("rocky.toml", "SHOP_UNSET_DB_PATH", "line 3", "export it"),
    ),
    "models-dir-is-a-file": Breakage(_models_is_a_file, ("models", "not a directory")),
    "sidecar-unknown-key": Breakage(
        _write("models/revenue.toml", '[strategy]\ntype = "full_refresh"\nstratgy = 1\n'),
        ("models/revenue.toml", "line 3", "stratgy"),
    ),
    "contract-malformed": Breakage(
        _write("contracts/revenue.contract.toml", '[[columns]\nname = "payments"\n'),
        ("contracts/revenue.contract.toml", "line 1"),
    ),
    "contract-violated": Breakage(
        _write(
            "contracts/revenue.contract.toml",
            '[[columns]]\nname = "payments"\ntype = "String"\n',
        ),
        ("contracts/revenue.contract.toml", "E011", "payments"),
        commands=("compile", "run"),
    ),
    "seed-not-utf8": Breakage(
        _write("seeds/payments.csv", b"payment_id,amount_cents,state\n1,\xff\xfe12,paid\n"),
        ("seeds/payments.csv", "line 2", "UTF-8"),
        # emit-sql prints one model's SQL: it never reads the seeds.
        commands=("compile", "run", "lineage", "lineage-diff", "seed"),
    ),
    "seed-ragged-rows": Breakage(
        _write("seeds/payments.csv", "payment_id,amount_cents,state\n7,1,paid\n8,2,paid,x,y\n"),
        ("seeds/payments.csv:3", "header names 3 columns"),
        commands=("seed",),
    ),
    "seed-unclosed-quote": Breakage(
        _write("seeds/payments.csv", 'payment_id,amount_cents,state\n7,"100,paid\n8,200,paid\n'),
        ("seeds/payments.csv", "line"),
        commands=("seed",),
    ),
    "seed-bad-declared-type": Breakage(
        _write("seeds/payments.toml", '[column_types]\namount_cents = "DECIMAL(12"\n'),
        ("seeds/payments.toml", "amount_cents", "not a SQL type"),
        commands=("seed",),
    ),
    "seed-failing-pre-hook": Breakage(
        _write("seeds/payments.toml", 'pre_hook = ["SELEC 1"]\n'),
        ("seeds/payments.toml", "pre_hook", "nothing was loaded"),
        commands=("seed",),
    ),
    "broken-sql": Breakage(
        _write("models/revenue.sql", "SELECT COUNT(* AS payments FROM paid\n"),
        ("models/revenue.sql:1", "E002"),
        commands=COMPILING,
    ),
    "dsl-not-utf8": Breakage(
        _write("models/extra.rocky", b"from paid\nwhere amount_cents > \xff\n"),
        ("extra.rocky", "UTF-8"),
        commands=("compile", "run", "fmt"),
    ),
    "dsl-syntax-error": Breakage(
        _dsl_model, ("models/extra.rocky:", "expected"), commands=(*COMPILING, "fmt"),
        model="extra",
    ),
}


def _args(command: str, model: str) -> tuple[str, ...]:
    return {
        "emit-sql": ("emit-sql", model),
        "lineage": ("lineage", model),
        "lineage-diff": ("lineage-diff", "main"),
    }.get(command, (command,))


CELLS = [(name, command) for name, b in BREAKAGES.items() for command in b.commands]


@dataclass
class Matrix:
    sandbox: Sandbox
    roots: dict[str, Path]
    before: dict[str, tuple[str | None, str | None]]  # warehouse, ledger digests
    done: dict[tuple[str, str], Done]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return Sandbox.under(tmp_path_factory.mktemp("sandbox"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox) -> Path:
    return baseline_project(tmp_path_factory.mktemp("baseline") / "shop", sandbox)


@pytest.fixture(scope="module")
def matrix(
    tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox, baseline: Path
) -> Iterator[Matrix]:
    roots: dict[str, Path] = {}
    before: dict[str, tuple[str | None, str | None]] = {}
    for name, breakage in BREAKAGES.items():
        root = copy_project(baseline, tmp_path_factory.mktemp(name) / "shop")
        breakage.breaks(root)
        roots[name] = root
        before[name] = (file_digest(root / WAREHOUSE), file_digest(root / STATE))

    def one(cell: tuple[str, str]) -> Done:
        name, command = cell
        args = _args(command, BREAKAGES[name].model)
        return sandbox.rocky("-o", "json", *args, cwd=roots[name])

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        done = dict(zip(CELLS, pool.map(one, CELLS), strict=True))
    yield Matrix(sandbox, roots, before, done)


@pytest.mark.parametrize(("breakage", "command"), CELLS, ids=[f"{b}-{c}" for b, c in CELLS])
def test_bad_input_is_one_line_naming_the_file(
    matrix: Matrix, breakage: str, command: str
) -> None:
    assert_one_error(matrix.done[breakage, command], *BREAKAGES[breakage].names)


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_nothing_on_disk_changed(matrix: Matrix, breakage: str) -> None:
    """No command touched the warehouse or the ledger of the earlier run."""
    root = matrix.roots[breakage]
    assert (file_digest(root / WAREHOUSE), file_digest(root / STATE)) == matrix.before[breakage]
    runs, chain_ok = ledger_state(root / STATE)
    assert len(runs) == 1 and chain_ok
    assert warehouse_state(root / WAREHOUSE)["main.revenue"] == [(2, 2199)]


def test_compile_still_reports_every_diagnostic(matrix: Matrix) -> None:
    """The one line on stderr sums up; the report on stdout has it all."""
    done = matrix.done["broken-sql", "compile"]
    diagnostics = json.loads(done.stdout)["diagnostics"]
    parse = [d for d in diagnostics if d["code"] == "E002"]
    assert parse and parse[0]["span"]["file"] == "models/revenue.sql"
    assert parse[0]["span"]["line"] == 1


def test_a_broken_config_still_lets_the_ledger_be_read(matrix: Matrix) -> None:
    root = matrix.roots["truncated-toml"]
    history = matrix.sandbox.rocky("-o", "json", "history", cwd=root)
    assert history.returncode == 0, history
    assert [r["status"] for r in json.loads(history.stdout)["runs"]] == ["success"]
    replay = matrix.sandbox.rocky("-o", "json", "replay", "latest", "--verify", cwd=root)
    report = json.loads(replay.stdout)
    assert report["chain"]["ok"]
    # The live tables could not be compared: it says why, and claims nothing
    # was verified.
    assert replay.returncode == 1, replay
    assert report["verified"] is False
    assert "rocky.toml" in report["reason"] and "invalid TOML" in report["reason"]
    assert any("rocky.toml" in note and "invalid TOML" in note for note in report["notes"])
    assert all("rows" not in v["checks"] for v in report["verdicts"])


def test_an_empty_rocky_toml_is_the_minimal_config(
    tmp_path: Path, sandbox: Sandbox, baseline: Path
) -> None:
    """The original's defaults: no adapter is an in-memory DuckDB, no
    pipeline is models/. validate warns, compile works; a run on that
    in-memory DuckDB fails in one line and is recorded as failed."""
    root = copy_project(baseline, tmp_path / "shop")
    (root / "rocky.toml").write_text("")
    warehouse = file_digest(root / WAREHOUSE)

    validate = sandbox.rocky("-o", "json", "validate", cwd=root)
    assert validate.returncode == 0, validate
    codes = {(m["code"], m["severity"]) for m in json.loads(validate.stdout)["messages"]}
    assert {("V010", "warn"), ("V020", "warn")} <= codes
    compiled = sandbox.rocky("-o", "json", "compile", cwd=root)
    assert compiled.returncode == 0, compiled
    assert json.loads(compiled.stdout)["models"] == 2

    run = sandbox.rocky("-o", "json", "run", cwd=root)
    line = assert_one_error(run, "failure", "shop.main.paid", "rocky replay")
    assert "Catalog Error" in line
    runs, chain_ok = ledger_state(root / STATE)
    assert len(runs) == 2 and chain_ok
    assert json.loads(run.stdout)["run_id"] == runs[-1]
    assert file_digest(root / WAREHOUSE) == warehouse


def test_fmt_refuses_a_file_that_is_not_dsl(tmp_path: Path, sandbox: Sandbox) -> None:
    sql = tmp_path / "model.sql"
    sql.write_text("SELECT 1\n")
    done = sandbox.rocky("fmt", str(sql), cwd=tmp_path)
    assert_one_error(done, str(sql), "not a .rocky file")
    assert sql.read_text() == "SELECT 1\n"


def test_an_unreadable_rocky_toml(tmp_path: Path, sandbox: Sandbox, baseline: Path) -> None:
    """Named by the loader, not refused by option parsing: commands that do
    not read rocky.toml still work."""
    root = copy_project(baseline, tmp_path / "shop")
    (root / "rocky.toml").chmod(0o200)
    done = sandbox.rocky(
        "-o", "json", "compile", cwd=root, preexec=drop_file_permission_override
    )
    assert_one_error(done, "rocky.toml", "cannot read", "Permission denied")
    history = sandbox.rocky(
        "-o", "json", "history", cwd=root, preexec=drop_file_permission_override
    )
    assert history.returncode == 0, history


USAGE = [
    (("frobnicate",), "No such command", "`rocky --help`"),
    (("emit-sql",), "Missing argument", "`rocky emit-sql --help`"),
    (("run", "--bogus"), "No such option: --bogus", "`rocky run --help`"),
    (("history", "--limit", "many"), "--limit", "`rocky history --help`"),
]


@pytest.mark.parametrize(("args", "says", "help_hint"), USAGE, ids=[u[0][0] for u in USAGE])
def test_usage_errors_are_one_line_exit_2(
    tmp_path: Path, sandbox: Sandbox, args: tuple[str, ...], says: str, help_hint: str
) -> None:
    assert_one_error(sandbox.rocky(*args, cwd=tmp_path), says, help_hint, code=2)
