"""Shared pieces of the bad-input tests: a small project that has been
seeded and run once, a way to run ``python -m rocky.cli`` in a child
process with its own HOME and TMPDIR, and the checks that a failure was one
clear line and that nothing on disk was half-written."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from rocky.identity import CI_VARIABLES
from rocky.ledger import Ledger

__all__ = [
    "Done",
    "Sandbox",
    "assert_one_error",
    "baseline_project",
    "copy_project",
    "drop_file_permission_override",
    "file_digest",
    "ledger_state",
    "warehouse_state",
]

ROCKY_TOML = """\
[adapter]
type = "duckdb"
path = "shop.duckdb"

[pipeline.shop]
type = "transformation"
models = "models/**"

[pipeline.shop.target.governance]
auto_create_schemas = true

[pipeline.shop.execution]
concurrency = 2
"""

MODELS = {
    "paid": "SELECT payment_id, amount_cents FROM seeds.payments WHERE state = 'paid'\n",
    "revenue": "SELECT COUNT(*) AS payments, SUM(amount_cents) AS cents FROM paid\n",
}

PAYMENTS_CSV = "payment_id,amount_cents,state\n1,1200,paid\n2,450,refunded\n3,999,paid\n"

CONTRACT = '[[columns]]\nname = "payments"\ntype = "Int64"\n'

GIT = ("git", "-c", "user.name=Shop", "-c", "user.email=shop@example.com")


@dataclass(frozen=True)
class Done:
    """What a finished ``rocky`` child process left behind."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"rocky {' '.join(self.args)} -> {self.returncode}\n"
            f"stderr: {self.stderr!r}\nstdout: {self.stdout[:600]!r}"
        )


@dataclass(frozen=True)
class Sandbox:
    """HOME and TMPDIR for the child processes, away from the real ones."""

    home: Path
    tmp: Path

    @classmethod
    def under(cls, root: Path) -> Sandbox:
        home, tmp = root / "home", root / "tmp"
        home.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(parents=True, exist_ok=True)
        return cls(home, tmp)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        # CI variables would change the recorded trigger; ROCKY_* settings
        # of the machine running the tests must not leak in either.
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in CI_VARIABLES and not k.startswith("ROCKY_")
        }
        env.update(HOME=str(self.home), TMPDIR=str(self.tmp), GIT_CONFIG_NOSYSTEM="1")
        env.update(extra or {})
        return env

    def rocky(
        self,
        *args: str,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
        preexec: Callable[[], None] | None = None,
    ) -> Done:
        done = subprocess.run(
            [sys.executable, "-m", "rocky.cli", *args],
            cwd=cwd,
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=preexec,
            check=False,
        )
        return Done(tuple(args), done.returncode, done.stdout, done.stderr)

    def rocky_all(
        self, commands: Sequence[Sequence[str]], *, cwd: Path, **kwargs: Any
    ) -> list[Done]:
        """Each command in its own child process, as many at a time as there
        are CPUs, results in order. ``preexec`` is not allowed: it is unsafe
        in a threaded parent."""
        assert "preexec" not in kwargs
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            return list(pool.map(lambda args: self.rocky(*args, cwd=cwd, **kwargs), commands))


def assert_one_error(done: Done, *names: str, code: int = 1) -> str:
    """``done`` failed with ``code`` and exactly one stderr line, ``error:
    ...``, that contains every one of ``names`` (a file, a line, the thing to
    do) and no traceback. Returns the line."""
    assert done.returncode == code, done
    assert "Traceback" not in done.stderr, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done
    line = lines[0]
    assert line.startswith("error: "), done
    assert "internal error" not in line, done
    for name in names:
        assert name in line, f"{name!r} missing from {line!r}"
    return line


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        [*GIT, *args], cwd=root, check=True, capture_output=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )


def baseline_project(root: Path, sandbox: Sandbox) -> Path:
    """A project committed to git, seeded and run once: its ledger holds
    one successful run and its warehouse the tables that run built."""
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "contracts").mkdir()
    (root / "rocky.toml").write_text(ROCKY_TOML)
    (root / "models" / "_defaults.toml").write_text('[target]\ncatalog = "shop"\nschema = "main"\n')
    for name, sql in MODELS.items():
        (root / "models" / f"{name}.sql").write_text(sql)
        (root / "models" / f"{name}.toml").write_text('[strategy]\ntype = "full_refresh"\n')
    (root / "seeds" / "payments.csv").write_text(PAYMENTS_CSV)
    (root / "contracts" / "revenue.contract.toml").write_text(CONTRACT)
    (root / ".gitignore").write_text("*.duckdb*\n.rocky*\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "shop")
    for step in (("seed",), ("run",)):
        done = sandbox.rocky("-o", "json", *step, cwd=root)
        assert done.returncode == 0, done
    return root


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def ledger_state(path: Path) -> tuple[list[str], bool]:
    """The run ids a ledger holds, and whether its hash chain verifies."""
    with Ledger(path, readonly=True) as ledger:
        return ledger.run_ids(), ledger.verify_chain().ok


def warehouse_state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a DuckDB file with its rows, sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "ORDER BY table_schema, table_name"
        ).fetchall()
        out: dict[str, list[tuple[Any, ...]]] = {}
        for schema, table in names:
            query = exp.select("*").from_(exp.table_(table, db=schema, quoted=True))
            rows = con.execute(query.sql(dialect="duckdb")).fetchall()
            out[f"{schema}.{table}"] = sorted(rows, key=repr)
    return out


_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _PR_CAPBSET_DROP = 1, 2, 24


def drop_file_permission_override() -> None:
    """For a child process (``preexec``): file modes apply even to root.
    Run as root, a process bypasses read-only modes; dropping these two
    capabilities from its bounding set makes the exec'd rocky honour them,
    as any user's would."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")
