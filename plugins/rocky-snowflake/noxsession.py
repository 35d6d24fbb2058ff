"""The ``conformance(snowflake)`` nox session, called from the repository's
noxfile (the plugin directory is not a package, so load the file by path)::

    import importlib.util

    def _load(path: str, name: str):
        spec = importlib.util.spec_from_file_location(name, ROOT / path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    @nox.session(python=PYTHON, name="conformance(snowflake)")
    def conformance_snowflake(session: nox.Session) -> None:
        _load("plugins/rocky-snowflake/noxsession.py", "snowflake_nox").conformance_snowflake(
            session
        )

The stand-in server, fakesnow, pins its own duckdb and sqlglot and needs a
4.x connector, so it gets a virtual environment of its own beside the
session's. The session installs rocky, this plugin and the test
dependencies, then runs the plugin's tests with ``ROCKY_FAKESNOW`` naming
the stand-in's executable: the tests start the server on a free port of
127.0.0.1, reach it over HTTP with the official connector, and stop it by
its PID.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nox

__all__ = ["FAKESNOW", "conformance_snowflake"]

PLUGIN = Path(__file__).resolve().parent
ROOT = PLUGIN.parent.parent
FAKESNOW = ("fakesnow[server]==0.12.1", "snowflake-connector-python<5")
TEST_DEPS = ("pytest>=8",)


def _bin(venv: Path, name: str) -> Path:
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    return venv / scripts / name


def conformance_snowflake(session: nox.Session) -> None:
    stand_in = Path(session.create_tmp()) / "fakesnow-venv"
    if not _bin(stand_in, "python").exists():
        session.run("python", "-m", "venv", str(stand_in))
    python = str(_bin(stand_in, "python"))
    session.run(python, "-m", "pip", "install", "--quiet", *FAKESNOW, external=True)

    session.install("-e", str(ROOT), "-e", str(PLUGIN), *TEST_DEPS)
    tmp = Path(session.create_tmp()) / "run"
    tmp.mkdir(exist_ok=True)
    session.run(
        "pytest",
        str(PLUGIN / "tests"),
        *session.posargs,
        env={
            "ROCKY_FAKESNOW": str(_bin(stand_in, "fakesnow")),
            "HOME": str(tmp),
            "TMPDIR": str(tmp),
        },
    )
