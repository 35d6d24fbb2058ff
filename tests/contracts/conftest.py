"""Hand-built ProjectIR values, and compiled copies of tests/contracts/projects."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rocky.ir import ProjectIR

PROJECTS = Path(__file__).parent / "projects"


def compile_copy(name: str, tmp_path: Path, **options: Any) -> tuple[ProjectIR, Path]:
    """Copy tests/contracts/projects/<name> to tmp_path and compile it there
    (the compiler writes its cache beside rocky.toml)."""
    from rocky.compiler import CompileOptions, compile_project
    from rocky.project import load_project

    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    load_args = {k: options.pop(k) for k in ("contracts_dir",) if k in options}
    if "contracts_dir" in load_args and load_args["contracts_dir"] is not None:
        load_args["contracts_dir"] = root / load_args["contracts_dir"]
    project = load_project(root / "rocky.toml", **load_args)
    result = compile_project(project, CompileOptions(**options))
    return result.ir, root


@pytest.fixture
def compiled() -> Callable[..., Any]:
    return compile_copy
