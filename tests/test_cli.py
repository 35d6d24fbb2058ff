"""The CLI root: version, error reporting, output selection, generated docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rocky(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rocky.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_version() -> None:
    result = rocky("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("rocky ")


def test_plugins_json_lists_the_builtins() -> None:
    result = rocky("plugins", "-o", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["command"] == "plugins"
    names = {p["name"] for p in data["plugins"]}
    assert "builtins" in names
    assert data["strategies"]["full_refresh"] == "builtins"


def test_unknown_output_format_is_one_line_exit_1() -> None:
    result = rocky("-o", "yaml", "plugins")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: unknown output format 'yaml' (use json or table)"
    ]
    assert "Traceback" not in result.stderr


def test_debug_reraises_with_traceback() -> None:
    result = rocky("--debug", "-o", "yaml", "plugins")
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    result = rocky("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_cli_reference_matches_the_code() -> None:
    from rocky.cli.reference import render_reference

    documented = (ROOT / "docs" / "cli.md").read_text()
    assert documented == render_reference(), (
        "docs/cli.md is stale: run `python -m rocky.cli.reference > docs/cli.md`"
    )
