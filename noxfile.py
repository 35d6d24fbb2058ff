"""Developer and CI sessions. `nox` with no arguments runs every default
session; each installs what it needs from the package index."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "conformance"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYTHON = "3.11"
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "hatchling>=1.21"]

# Adapters whose conformance suite runs against a real engine here. Each entry
# names a plugin directory; a plugin whose engine needs a server or a virtual
# environment of its own ships `noxsession.py` with `conformance_<adapter>`.
ADAPTERS = [nox.param(name, id=name) for name in ("duckdb", "snowflake")]
sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from nox_session import bench as _bench  # noqa: E402

PLUGIN_SOURCES = ["plugins/rocky-duckdb/src", "plugins/rocky-snowflake/src"]


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install(
        "mypy>=1.11", "-e", ".", "-e", "plugins/rocky-duckdb", "-e", "plugins/rocky-snowflake",
        *TEST_DEPS,
    )
    session.run("mypy", "rocky", *PLUGIN_SOURCES)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    # The kernel tests prove that secrets stay out of errors for a real
    # Snowflake configuration, so both plugins are installed.
    session.install(
        "-e", ".", "-e", "plugins/rocky-duckdb", "-e", "plugins/rocky-snowflake", *TEST_DEPS
    )
    tmp = session.create_tmp()
    session.run(
        "pytest",
        "tests",
        *session.posargs,
        env={"HOME": tmp, "TMPDIR": tmp},
    )


@nox.session(python=PYTHON)
@nox.parametrize("adapter", ADAPTERS)
def conformance(session: nox.Session, adapter: str) -> None:
    custom = ROOT / "plugins" / f"rocky-{adapter}" / "noxsession.py"
    if custom.exists():
        getattr(_load(custom), f"conformance_{adapter}")(session)
        return
    plugin = f"plugins/rocky-{adapter}"
    session.install("-e", ".", "-e", plugin, *TEST_DEPS)
    tmp = session.create_tmp()
    session.run("pytest", f"{plugin}/tests", *session.posargs, env={"HOME": tmp, "TMPDIR": tmp})


def _load(path: Path) -> ModuleType:
    """Import a plugin's nox helper by path (plugin directories are not packages)."""
    spec = importlib.util.spec_from_file_location(f"noxsession_{path.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Side-by-side speed and memory against dbt (not a default session)."""
    _bench(session)
