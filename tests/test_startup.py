"""Start-up cost: `rocky --version` answers before any heavy import, and
listing plugins does not import a warehouse driver."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlglot", "duckdb", "pyarrow")


def _run(argv: list[str], *, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"sys.argv = {argv!r}\n"
        "from rocky.cli.__main__ import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-c", code], capture_output=True, text=True, timeout=120
    )


def _imported(importtime_stderr: str) -> set[str]:
    """Top-level package names from ``python -X importtime`` output."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


def test_version_imports_no_heavy_module() -> None:
    result = _run(["rocky", "--version"], importtime=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("rocky ")
    assert lines[-1] == "HEAVY="
    imported = _imported(result.stderr)
    assert "rocky" in imported  # the measurement saw the imports
    assert not imported & set(HEAVY)
    assert "typer" not in imported and "pluggy" not in imported


def test_short_version_flag_too() -> None:
    result = _run(["rocky", "-V"])
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "HEAVY="


def test_listing_plugins_imports_no_driver() -> None:
    result = _run(["rocky", "plugins", "-o", "json"])
    assert result.returncode == 0, result.stderr
    assert '"duckdb"' in result.stdout  # the duckdb plugin was loaded...
    heavy = result.stdout.splitlines()[-1].removeprefix("HEAVY=").split(",")
    assert "duckdb" not in heavy and "pyarrow" not in heavy  # ...without DuckDB itself
