"""The direct conversion of command-line values (rocky.cli.params) gives
what typer's own pydantic conversion gives: the same values of the same
types, and for a value it leaves to typer, typer's own error message.

Each case runs one probe command twice, once under typer's group and once
under rocky's, and compares everything the user sees."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from rocky.cli.app import RockyGroup


def _probe_app(group: type[TyperGroup]) -> typer.Typer:
    app = typer.Typer(cls=group, add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root(
        config: Annotated[Path, typer.Option("-c", readable=False)] = Path("rocky.toml"),
    ) -> None:
        print(f"config={config!r}")

    @app.command()
    def probe(
        name: Annotated[str | None, typer.Option()] = None,
        count: Annotated[int | None, typer.Option()] = None,
        ratio: Annotated[float, typer.Option()] = 30.0,
        path: Annotated[Path | None, typer.Option()] = None,
        must: Annotated[Path | None, typer.Option(exists=True)] = None,
        folder: Annotated[Path | None, typer.Option(file_okay=False)] = None,
        tag: Annotated[list[str] | None, typer.Option()] = None,
        bounded: Annotated[int | None, typer.Option(min=1)] = None,
        flag: Annotated[bool, typer.Option("--flag")] = False,
        files: Annotated[list[Path] | None, typer.Argument()] = None,
    ) -> None:
        for key, value in locals().items():
            shown = [(type(v).__name__, v) for v in value] if isinstance(value, list) else value
            print(f"{key}={type(value).__name__}:{shown!r}")

    return app


def _run(group: type[TyperGroup], argv: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(_probe_app(group), argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.sql").write_text("select 1\n")
    (tmp_path / "models").mkdir()
    return tmp_path


CASES: list[list[str]] = [
    ["probe"],
    ["-c", "other/rocky.toml", "probe"],
    ["-c", "", "probe"],
    ["probe", "--name", "orders"],
    ["probe", "--name", ""],
    ["probe", "--name", "  spaced  "],
    ["probe", "--count", "5"],
    ["probe", "--count", "-5"],
    ["probe", "--count", "007"],
    ["probe", "--count", "+5"],
    ["probe", "--count", " 5"],
    ["probe", "--count", "5_000"],
    ["probe", "--count", "5.0"],
    ["probe", "--count", "99999999999999999999999"],
    ["probe", "--count", "five"],
    ["probe", "--count", ""],
    ["probe", "--ratio", "2.5"],
    ["probe", "--ratio", "-0.125"],
    ["probe", "--ratio", "3"],
    ["probe", "--ratio", "1e3"],
    ["probe", "--ratio", "nan"],
    ["probe", "--ratio", "fast"],
    ["probe", "--path", "a.sql"],
    ["probe", "--path", "no/such/file"],
    ["probe", "--path", ""],
    ["probe", "--path", "models/"],
    ["probe", "--path", "~/x"],
    ["probe", "--path", "a\x00b"],
    ["probe", "--must", "a.sql"],
    ["probe", "--must", "missing.sql"],
    ["probe", "--folder", "models"],
    ["probe", "--folder", "a.sql"],
    ["probe", "--tag", "x"],
    ["probe", "--tag", "x", "--tag", "", "--tag", "x"],
    ["probe", "--bounded", "3"],
    ["probe", "--bounded", "0"],
    ["probe", "--flag"],
    ["probe", "a.sql", "models"],
    ["probe", "a.sql", "missing", "a\x00b"],
    ["probe", "--help"],
    ["-h"],
]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) or "(none)" for c in CASES])
def test_rocky_group_converts_as_typer_does(files: Path, argv: list[str]) -> None:
    expected = _run(TyperGroup, argv)
    assert _run(RockyGroup, argv) == expected
    assert expected[1]  # the probe printed something to compare


def test_the_probe_sees_converted_values(files: Path) -> None:
    code, output = _run(
        RockyGroup,
        ["probe", "--count", "007", "--ratio", "2.5", "--path", "a.sql", "--tag", "x", "m"],
    )
    assert code == 0, output
    assert "count=int:7" in output
    assert "ratio=float:2.5" in output
    assert "path=PosixPath:PosixPath('a.sql')" in output
    assert "tag=list:[('str', 'x')]" in output
    assert "files=list:[('PosixPath', PosixPath('m'))]" in output


def test_a_bad_value_keeps_typers_message(files: Path) -> None:
    code, output = _run(RockyGroup, ["probe", "--count", "five"])
    assert code == 2
    assert "Invalid value for '--count'" in output
    assert "valid integer" in output


def _values(argv: list[str]) -> dict[str, Any]:
    code, output = _run(RockyGroup, argv)
    assert code == 0, output
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def test_defaults_stay_typers(files: Path) -> None:
    values = _values(["probe"])
    assert values["config"] == "PosixPath('rocky.toml')"
    assert values["ratio"] == "float:30.0"
    assert values["tag"] == "NoneType:None"
    assert values["files"] == "NoneType:None"
