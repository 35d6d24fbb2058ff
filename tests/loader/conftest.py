"""Fixtures for the project loader tests: real files in tmp_path, and an
adapter plugin registered through the real plugin manager."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rocky.adapters import Adapter, AdapterConfig, AdapterSpec
from rocky.hookspecs import hookimpl
from rocky.plugins import register_plugin, unregister_plugin

PROJECTS = Path(__file__).parent / "projects"

MINIMAL_TOML = '[adapter]\ntype = "duckdb"\n\n[pipeline.p]\ntype = "transformation"\n'

Writer = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """Write ``{relative path: content}`` under tmp_path; returns tmp_path.
    A project without rocky.toml gets a minimal one."""

    def _write(files: dict[str, str | bytes]) -> Path:
        if "rocky.toml" not in files and not (tmp_path / "rocky.toml").exists():
            (tmp_path / "rocky.toml").write_text(MINIMAL_TOML)
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return _write


@pytest.fixture
def project_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of a fixture project from tests/loader/projects."""

    def _copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(PROJECTS / name, target)
        return target

    return _copy


class LoaderTestConfig(AdapterConfig):
    """Keys of the test adapter: one typed, one secret."""

    path: str | None = None
    port: int = 5432
    password: str | None = None


def _no_connection(config: AdapterConfig, project_dir: Path) -> Adapter:
    raise RuntimeError("the loader tests never connect")


class _LoaderTestPlugin:
    @hookimpl
    def rocky_register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        register(AdapterSpec("loadertest", LoaderTestConfig, _no_connection, dialect="duckdb"))


@pytest.fixture
def test_adapter() -> Iterator[str]:
    """Registers the adapter type ``loadertest`` for the test's duration."""
    register_plugin(_LoaderTestPlugin(), name="loader-test-adapter")
    try:
        yield "loadertest"
    finally:
        unregister_plugin("loader-test-adapter")
