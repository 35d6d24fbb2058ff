"""Fixtures: compile a real project directory written from a dict of files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from compiler_helpers import ROCKY_TOML, SEED_T, Compile, cols, write_project

from rocky.compiler import CompileOptions, CompileResult, compile_project
from rocky.project import load_project


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
