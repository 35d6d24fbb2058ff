"""Compiling with a worker process gives exactly the single-process IR, and
the streaming schedule frees parse trees and survives wrong guesses."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from compiler_helpers import write_project
from sqlglot import exp

from rocky.compiler import CompileOptions, CompileResult, compile_project
from rocky.compiler import worker as worker_mod
from rocky.ir import ProjectIR, canonical_json
from rocky.project import load_project

N_SOURCES = 12


def _layered_files(n_stg: int = 40, n_int: int = 30, n_fct: int = 20) -> dict[str, str]:
    """A layered project over seeded raw tables, with the odd cases mixed in:
    a DSL model, a parse error, an unknown table, a cycle, a comma join (its
    second table is not guessed before parsing) and an @var."""
    seed = ["CREATE SCHEMA raw;"]
    for i in range(N_SOURCES):
        seed.append(
            f"CREATE TABLE raw.t{i} (id INTEGER NOT NULL, amount DECIMAL(10,2), "
            f"label VARCHAR, ts TIMESTAMP);"
        )
    files = {"data/seed.sql": "\n".join(seed)}
    for i in range(n_stg):
        files[f"models/stg_{i:03d}.sql"] = (
            f"SELECT id, CAST(amount AS DOUBLE) AS amount, UPPER(label) AS label, ts,\n"
            f"       ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts) AS rn\n"
            f"FROM raw.t{i % N_SOURCES} WHERE amount > @var(floor, 0)"
        )
    for i in range(n_int):
        a, b = f"stg_{i:03d}", f"stg_{(i + 1) % n_stg:03d}"
        files[f"models/int_{i:03d}.sql"] = (
            f"WITH base AS (\n"
            f"  SELECT x.id, x.amount, y.label FROM {a} AS x LEFT JOIN {b} AS y ON x.id = y.id\n"
            f"  WHERE x.rn = 1\n"
            f")\n"
            f"SELECT id, SUM(amount) AS total, MAX(label) AS label, COUNT(*) AS n\n"
            f"FROM base GROUP BY id HAVING COUNT(*) > 0"
        )
    for i in range(n_fct):
        files[f"models/fct_{i:03d}.sql"] = (
            f"SELECT i.id, i.total, s.label, RANK() OVER (ORDER BY i.total DESC) AS r\n"
            f"FROM int_{i % n_int:03d} AS i JOIN stg_{i % n_stg:03d} AS s USING (id)"
        )
    files["models/dsl_one.rocky"] = "from stg_000\nwhere amount > 1\nselect { id, amount }\n"
    files["models/broken.sql"] = "SELECT id, FROM WHERE"
    files["models/lost.sql"] = "SELECT id FROM raw.nowhere"
    files["models/cyc_a.sql"] = "SELECT id FROM cyc_b"
    files["models/cyc_b.sql"] = "SELECT id FROM cyc_a"
    files["models/a_comma.sql"] = "SELECT s.id, z.total FROM raw.t0 AS s, zz_last AS z"
    files["models/zz_last.sql"] = "SELECT id, total FROM int_000"
    return files


def _ir_json(ir: ProjectIR) -> str:
    return canonical_json(
        {
            "models": [m.to_json() for m in ir.models.values()],
            "layers": ir.layers,
            "diagnostics": [d.to_json() for d in ir.diagnostics],
            "sources": {k: [c.to_json() for c in v] for k, v in ir.sources.items()},
        }
    )


def _compile(root: Path, **options: Any) -> CompileResult:
    options.setdefault("with_seed", True)
    options.setdefault("vars", {"floor": "0"})
    return compile_project(load_project(root / "rocky.toml"), CompileOptions(**options))


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("layered"), _layered_files())


@pytest.fixture(scope="module")
def single(layered: Path) -> CompileResult:
    return _compile(layered, workers=0, cache=False)


def test_single_process_compile_is_what_the_project_says(single: CompileResult) -> None:
    ir = single.ir
    assert single.worker_models == []
    assert str(ir.models["fct_003"].column("total").type) == "Float64"  # type: ignore[union-attr]
    # the comma join read zz_last although it was not guessed before parsing
    assert "zz_last" in ir.models["a_comma"].depends_on
    assert str(ir.models["a_comma"].column("total").type) == "Float64"  # type: ignore[union-attr]
    by_code = {d.code for d in ir.diagnostics}
    assert {"E002", "E003", "E004"} <= by_code
    assert ir.layers[-1] == ["cyc_a", "cyc_b"]


def test_worker_compile_equals_single_process(layered: Path, single: CompileResult) -> None:
    parallel = _compile(layered, workers=1, cache=False)
    assert parallel.worker_models, "the worker compiled nothing"
    # models in a cycle are always compiled by the main process, last
    assert {"cyc_a", "cyc_b"} <= set(parallel.inferred) - set(parallel.worker_models)
    assert _ir_json(parallel.ir) == _ir_json(single.ir)
    assert parallel.parsed == single.parsed and parallel.inferred == single.inferred


def test_a_worker_that_dies_is_taken_over(
    layered: Path, single: CompileResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = worker_mod.WorkerClient.send
    sent = [0]

    def send_then_die(self: worker_mod.WorkerClient, message: Any) -> None:
        real_send(self, message)
        if message[0] == "work":
            sent[0] += 1
            if sent[0] == 2:
                self.proc.kill()

    monkeypatch.setattr(worker_mod.WorkerClient, "send", send_then_die)
    result = _compile(layered, workers=1, cache=False)
    assert sent[0] >= 2
    assert _ir_json(result.ir) == _ir_json(single.ir)


def test_worker_results_fill_the_cache(tmp_path: Path, single: CompileResult) -> None:
    root = write_project(tmp_path / "p", _layered_files())
    cold = _compile(root, workers=1)
    assert cold.worker_models
    warm = _compile(root, workers=0)
    assert warm.parsed == [] and warm.inferred == []
    assert _ir_json(warm.ir) == _ir_json(cold.ir) == _ir_json(single.ir)


def test_small_projects_stay_in_one_process(layered: Path) -> None:
    result = _compile(layered, cache=False)  # workers=None: automatic
    assert result.worker_models == []


def _live_trees() -> int:
    gc.unfreeze()  # a compile freezes what is alive at its end: count that too
    return sum(1 for o in gc.get_objects() if isinstance(o, exp.Select))


def test_parse_trees_are_freed_during_a_compile(layered: Path) -> None:
    project = load_project(layered / "rocky.toml")
    gc.collect()
    before = _live_trees()
    result = compile_project(
        project, CompileOptions(with_seed=True, vars={"floor": "0"}, cache=False, workers=0)
    )
    after = _live_trees()  # no gc.collect(): the compile must have freed them itself
    assert len(result.parsed) > 90
    assert after - before < 5


def test_guessed_cycle_and_missed_guess_compile_like_any_order(tmp_path: Path) -> None:
    files = {
        "data/seed.sql": "CREATE TABLE src (id INTEGER NOT NULL, v VARCHAR);",
        # a comment makes the guess think a reads b, while b really reads a
        "models/a.sql": "-- rows copied from b later\nSELECT id, v FROM src",
        "models/b.sql": "SELECT id, LENGTH(v) AS n FROM a",
        # comma join: c's second table is only known once c is parsed
        "models/c.sql": "SELECT s.id, d.n FROM src AS s, d WHERE s.id = d.id",
        "models/d.sql": "SELECT id, n FROM b",
    }
    root = write_project(tmp_path / "p", files)
    result = _compile(root, cache=False, vars={})
    ir = result.ir
    assert not ir.has_errors, ir.diagnostics
    assert [c.name for c in ir.models["c"].columns] == ["id", "n"]
    assert str(ir.models["c"].columns[1].type) == "Int64"
    assert list(ir.models) == ["a", "b", "d", "c"]
    assert result.parsed == ["a", "b", "d", "c"]  # each listed once, execution order
