"""Hand-built ProjectIR values, project copies and the CLI, for the lineage tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECTS = Path(__file__).parent / "projects"


def copy_project(name: str, dest: Path) -> Path:
    """tests/lineage/projects/<name> copied under ``dest`` (compiles write a
    cache beside rocky.toml); returns its root."""
    root = dest / name
    shutil.copytree(PROJECTS / name, root)
    return root


def rocky_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rocky.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="session")
def project_copy() -> Callable[[str, Path], Path]:
    return copy_project


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return rocky_cli
