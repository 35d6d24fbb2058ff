"""A command named on the command line runs in an app holding that command
alone (typer builds every command it holds before parsing); whatever the
user sees must be what the full app shows."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from rocky.cli.app import _dispatcher, _register_commands, app

_register_commands()
NAMES = sorted(c.name for c in app.registered_commands if c.name)


def _shown(target: typer.Typer, argv: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(target, argv, prog_name="rocky")
    return result.exit_code, result.output


def test_every_built_in_command_is_dispatched_alone() -> None:
    assert {"compile", "lineage", "validate", "run"} <= set(NAMES)
    for name in NAMES:
        lean = _dispatcher(["-c", "x/rocky.toml", "-o", "json", name, "--flag"])
        assert lean is not app
        assert [c.name for c in lean.registered_commands] == [name]
        assert lean.registered_callback is app.registered_callback


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["-h", "compile"],
        ["--debug", "--help", "compile"],
        ["comple"],
        ["-c"],
    ],
)
def test_anything_but_a_known_command_goes_to_the_full_app(argv: list[str]) -> None:
    assert _dispatcher(argv) is app


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-such-option", "compile"],
        ["-o", "json", "--state-path", "compile"],
        ["--config=x/rocky.toml", "validate", "--help"],
        ["--", "compile", "--help"],
    ],
)
def test_root_options_before_a_command_read_the_same(argv: list[str]) -> None:
    expected = _shown(app, argv)
    assert _shown(_dispatcher(argv), argv) == expected
    assert expected[1]


@pytest.mark.parametrize("name", NAMES)
def test_a_command_shows_the_same_help_and_errors_alone(name: str) -> None:
    for argv in ([name, "--help"], [name, "-h"], [name, "--no-such-option"]):
        expected = _shown(app, argv)
        assert _shown(_dispatcher(argv), argv) == expected
        assert expected[1]


def test_the_root_help_still_lists_every_command() -> None:
    code, output = _shown(_dispatcher(["--help", "compile"]), ["--help", "compile"])
    assert code == 0
    for name in NAMES:
        assert name in output
