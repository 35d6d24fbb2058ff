"""Helpers: write a real project directory, load it, compile it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from compiler_helpers import SEED_T

from rocky.compiler import CompileOptions, CompileResult, compile_project
from rocky.diagnostics import Diagnostic
from rocky.ir import ModelIR
from rocky.project import Project, load_project

ROCKY_TOML = """\
[adapter]
type = "duckdb"

[pipeline.main]
type = "transformation"
models = "models/**"
"""
DEFAULTS = '[target]\ncatalog = "wh"\nschema = "main"\n'


def write_project(
    root: Path, files: Mapping[str, str], *, toml: str = ROCKY_TOML, defaults: bool = True
) -> Path:
    """Write ``files`` (relative path -> text) under ``root``. A ``models/x.sql``
    without its own sidecar gets an empty one so ``_defaults.toml`` applies."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "rocky.toml").write_text(toml)
    if defaults:
        (root / "models").mkdir(exist_ok=True)
        (root / "models" / "_defaults.toml").write_text(DEFAULTS)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for rel in files:
        if rel.startswith("models/") and rel.endswith((".sql", ".rocky")):
            sidecar = root / (rel.rsplit(".", 1)[0] + ".toml")
            if not sidecar.exists() and not (root / rel).read_text().startswith("---toml"):
                sidecar.write_text("")
    return root


Compile = Callable[..., CompileResult]


@pytest.fixture
def compile_files(tmp_path: Path) -> Compile:
    """``compile_files({"models/a.sql": "..."}, with_seed=True)`` -> CompileResult."""
    counter = [0]

    def run(files: Mapping[str, str], *, toml: str = ROCKY_TOML, **options: Any) -> CompileResult:
        counter[0] += 1
        root = write_project(tmp_path / f"p{counter[0]}", files, toml=toml)
        options.setdefault("cache", False)
        return compile_project(load_project(root / "rocky.toml"), CompileOptions(**options))

    return run


def load(root: Path) -> Project:
    return load_project(root / "rocky.toml")


def cols(model: ModelIR) -> list[tuple[str, str, bool]]:
    return [(c.name, str(c.type), c.nullable) for c in model.columns]


def codes(result: CompileResult, model: str | None = None) -> list[str]:
    return [d.code for d in result.ir.diagnostics if model is None or d.model == model]


def only(result: CompileResult, code: str) -> list[Diagnostic]:
    return [d for d in result.ir.diagnostics if d.code == code]


@pytest.fixture
def infer(compile_files: Compile) -> Callable[[str], list[tuple[str, str, bool]]]:
    """Compile one model ``m`` over the seeded ``raw.t``/``raw.u`` and return
    its columns as (name, type, nullable)."""

    def run(sql: str) -> list[tuple[str, str, bool]]:
        result = compile_files({"data/seed.sql": SEED_T, "models/m.sql": sql}, with_seed=True)
        errors = [d for d in result.ir.diagnostics if d.is_error]
        assert not errors, errors
        return cols(result.ir.models["m"])

    return run
