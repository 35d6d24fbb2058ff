"""The body of the ``bench`` nox session.

rocky (with sqlglotc and the DuckDB plugin) goes into the session's own
virtualenv; dbt-core + dbt-duckdb go into a second one beside it, so that
neither tool's pins bend the other's and each starts up as a user's would.

dbt-core is installed without its dependencies and then given each of them
explicitly, leaving out ``dbt-core-experimental-parser``: that package fetches
a binary from outside the package index while installing, and dbt uses it only
with ``--use-v2-parser``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nox

__all__ = ["bench", "install_dbt"]

ROOT = Path(__file__).resolve().parents[1]
DBT_PACKAGES = ("dbt-core", "dbt-duckdb")
# Not installed: downloads a binary at install time; optional at run time.
SKIPPED = ("dbt-core-experimental-parser",)

# Runs inside the dbt virtualenv: prints the requirements of the dbt packages,
# one a line, without extras, without the dbt packages themselves, without SKIPPED.
_REQUIREMENTS = """
import re, sys
from importlib.metadata import requires
skip = {n.lower() for n in sys.argv[1:]}
seen = set()
for dist in ("dbt-core", "dbt-duckdb"):
    for req in requires(dist) or []:
        if "extra ==" in req:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", req).group(0).lower().replace("_", "-")
        if name in skip or req in seen:
            continue
        seen.add(req)
        print(req)
"""


def install_dbt(session: nox.Session) -> Path:
    """Create (or reuse) the dbt virtualenv beside the session's; return its ``dbt``."""
    venv = Path(str(session.virtualenv.location)).with_name("bench-dbt")
    python = venv / "bin" / "python"
    if not python.exists():
        session.run("python", "-m", "venv", str(venv))
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    session.run(*pip, "--upgrade", "--no-deps", *DBT_PACKAGES, external=True)
    skip = [*DBT_PACKAGES, *SKIPPED]
    listed = session.run(str(python), "-c", _REQUIREMENTS, *skip, silent=True, external=True)
    requirements = [line for line in str(listed).splitlines() if line.strip()]
    session.run(*pip, *requirements, external=True)
    return venv / "bin" / "dbt"


def bench(session: nox.Session) -> None:
    """Install both tools and run ``benchmarks/run.py`` (arguments after ``--`` pass on)."""
    session.install("-e", str(ROOT))
    plugin = ROOT / "plugins" / "rocky-duckdb"
    if plugin.is_dir():
        session.install("-e", str(plugin))
    session.install("matplotlib", "pyinstrument", "py-spy")
    dbt = install_dbt(session)
    rocky = Path(str(session.bin)) / "rocky"
    session.run(
        "python",
        str(ROOT / "benchmarks" / "run.py"),
        "--rocky",
        str(rocky),
        "--dbt",
        str(dbt),
        *session.posargs,
        env={"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
