"""The incremental cache: a warm compile equals a cold one, and only what
changed is parsed and inferred again."""

from __future__ import annotations

from pathlib import Path

from compiler_helpers import write_project

from rocky.compiler import CompileOptions, compile_project
from rocky.ir import ProjectIR, canonical_json
from rocky.project import load_project

FILES = {
    "data/seed.sql": "CREATE TABLE src (id INTEGER NOT NULL, amount DECIMAL(10,2), label VARCHAR);",
    "models/a.sql": "SELECT id, amount FROM src",
    "models/b.sql": "SELECT id, amount * 2 AS doubled FROM a",
    "models/c.sql": "SELECT id, UPPER(label) AS label FROM src",
    "models/d.sql": "SELECT b.id, doubled, c.label FROM b JOIN c ON b.id = c.id",
}


def _json(ir: ProjectIR) -> str:
    return canonical_json(
        {
            "models": [m.to_json() for m in ir.models.values()],
            "layers": ir.layers,
            "diagnostics": [d.to_json() for d in ir.diagnostics],
            "sources": {k: [c.to_json() for c in v] for k, v in ir.sources.items()},
        }
    )


def _compile(root: Path, cache: bool = True) -> tuple[str, list[str], list[str]]:
    result = compile_project(
        load_project(root / "rocky.toml"), CompileOptions(with_seed=True, cache=cache)
    )
    return _json(result.ir), result.parsed, result.inferred


def test_warm_compile_equals_cold_and_skips_untouched_models(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES)
    cold, parsed, inferred = _compile(root)
    assert sorted(parsed) == ["a", "b", "c", "d"] and sorted(inferred) == ["a", "b", "c", "d"]
    assert (root / ".rocky" / "cache" / "compile.bin").is_file()

    warm, parsed, inferred = _compile(root)
    assert warm == cold and parsed == [] and inferred == []

    # A change that keeps a's schema: only a is parsed and inferred again.
    (root / "models/a.sql").write_text("SELECT id, amount FROM src WHERE id > 0")
    warm, parsed, inferred = _compile(root)
    assert parsed == ["a"] and inferred == ["a"]
    assert warm == _compile(root, cache=False)[0]

    # A change to a's schema re-infers its dependents (b, then d), never c.
    (root / "models/a.sql").write_text("SELECT id, CAST(amount AS DOUBLE) AS amount FROM src")
    warm, parsed, inferred = _compile(root)
    assert parsed == ["a", "b", "d"]  # b and d re-parse: their trees are never cached
    assert "c" not in parsed and sorted(inferred) == ["a", "b", "d"]
    assert warm == _compile(root, cache=False)[0]
    assert '"Float64"' in warm


def test_var_values_are_part_of_the_key(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"models/m.sql": "SELECT @var(n, 1) AS n"})
    project = load_project(root / "rocky.toml")
    first = compile_project(project, CompileOptions(vars={"n": "1"}))
    second = compile_project(project, CompileOptions(vars={"n": "'x'"}))
    assert str(first.ir.models["m"].columns[0].type) == "Int32"
    assert str(second.ir.models["m"].columns[0].type) == "String"
    assert second.parsed == ["m"]


def test_a_damaged_cache_file_is_ignored(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES)
    cold = _compile(root)[0]
    (root / ".rocky" / "cache" / "compile.bin").write_bytes(b"\x00garbage")
    warm, parsed, _ = _compile(root)
    assert warm == cold and len(parsed) == 4
