"""Helpers for the projects that pair each `.rocky` model with a SQL twin, built
through the real CLI: a copy of the project in tmp, its data loaded
(``rocky seed`` for seeds/*.csv, data/seed.sql run into the DuckDB file),
``rocky compile`` and ``rocky run`` in child processes with HOME and
TMPDIR pointing at tmp directories, and the DuckDB file read afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rocky.identity import CI_VARIABLES

PROJECTS = Path(__file__).parent / "projects"


@dataclass
class Built:
    """A project copied, loaded, compiled and run."""

    root: Path
    database: Path
    env: dict[str, str]
    with_seed: bool
    compiled: dict[str, Any] = field(default_factory=dict)
    run_code: int = -1
    run: dict[str, Any] = field(default_factory=dict)
    run_stderr: str = ""

    def rocky(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``rocky -c <copy>/rocky.toml -o json <args>`` in a child process."""
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "rocky.cli",
                "-c",
                str(self.root / "rocky.toml"),
                "-o",
                "json",
                *args,
            ],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def rocky_json(self, *args: str) -> dict[str, Any]:
        done = self.rocky(*args)
        assert done.returncode == 0, f"rocky {' '.join(args)}: {done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    def model_columns(self, model: str) -> list[tuple[str, str, bool]]:
        """``(name, type, nullable)`` of a model as ``rocky compile`` typed it."""
        for detail in self.compiled["models_detail"]:
            if detail["name"] == model:
                return [(c["name"], c["type"], c["nullable"]) for c in detail["columns"]]
        raise AssertionError(f"{model} is not in the compile output")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def table(self, model: str) -> list[tuple[Any, ...]]:
        """Every row of the model's table, in a stable order."""
        return sorted(self.query(f'SELECT * FROM "main"."{model}"'), key=repr)

    def describe(self, model: str) -> list[tuple[str, str]]:
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = 'main' AND table_name = '{model}' ORDER BY ordinal_position"
        )
        return [(str(name), str(kind)) for name, kind in rows]


def _environment(tmp: Path) -> dict[str, str]:
    home, scratch = tmp / "home", tmp / "tmp"
    home.mkdir()
    scratch.mkdir()
    # CI variables are dropped so a run records the same trigger everywhere.
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env.update({"HOME": str(home), "TMPDIR": str(scratch), "NO_COLOR": "1"})
    return env


def build(name: str, tmp: Path) -> Built:
    """Copy ``projects/<name>``, load its data, compile and run it."""
    import duckdb

    root = tmp / name
    shutil.copytree(PROJECTS / name, root)
    with (root / "rocky.toml").open("rb") as handle:
        database = root / tomllib.load(handle)["adapter"]["path"]
    seed_sql = root / "data" / "seed.sql"
    built = Built(root, database, _environment(tmp), with_seed=seed_sql.is_file())
    if built.with_seed:
        with duckdb.connect(str(database)) as con:
            con.execute(seed_sql.read_text())
    if (root / "seeds").is_dir():
        seeded = built.rocky_json("seed")
        assert seeded["total_rows"] > 0
    built.compiled = built.rocky_json("compile", *(["--with-seed"] if built.with_seed else []))
    done = built.rocky("run")
    built.run_code, built.run_stderr = done.returncode, done.stderr
    built.run = json.loads(done.stdout) if done.stdout.strip() else {}
    return built
