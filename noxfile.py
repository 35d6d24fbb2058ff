"""Developer and CI sessions. `nox` with no arguments runs every default
session; each installs what it needs from the package index."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "conformance"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYTHON = "3.11"
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "hatchling>=1.21"]

# Adapters whose conformance suite runs against a real engine here. Each entry
# names the plugin directory; an adapter that needs a server or a separate
# virtual environment gets its own session function below.
ADAPTERS = ["duckdb"]


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("mypy>=1.11", "-e", ".", "-e", "plugins/rocky-duckdb", *TEST_DEPS)
    session.run("mypy", "rocky")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    session.install("-e", ".", "-e", "plugins/rocky-duckdb", *TEST_DEPS)
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
    plugin = f"plugins/rocky-{adapter}"
    session.install("-e", ".", "-e", plugin, *TEST_DEPS)
    tmp = session.create_tmp()
    session.run("pytest", f"{plugin}/tests", *session.posargs, env={"HOME": tmp, "TMPDIR": tmp})
