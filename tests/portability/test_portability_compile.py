"""P001 through a real compile: target from options or [portability], the
allow list, the pragma, and DSL models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rocky.compiler import CompileOptions, compile_project
from rocky.diagnostics import Diagnostic
from rocky.errors import RockyError
from rocky.project import load_project

PROJECT = Path(__file__).parent / "projects" / "lint"


def p001(root: Path, target: str | None) -> list[Diagnostic]:
    project = load_project(root / "rocky.toml")
    ir = compile_project(project, CompileOptions(target_dialect=target, cache=False)).ir
    return [d for d in ir.diagnostics if d.code == "P001"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "lint"
    shutil.copytree(PROJECT, dest)
    return dest


def where(diags: list[Diagnostic]) -> list[tuple[str | None, str, int, int]]:
    return [(d.model, d.span.file, d.span.line, d.span.col) for d in diags if d.span]


def test_no_target_no_lint(root: Path) -> None:
    assert p001(root, None) == []


def test_bigquery_flags_exactly_the_unsuppressed_nvl(root: Path) -> None:
    diags = p001(root, "bq")
    assert where(diags) == [("with_nvl", "models/with_nvl.sql", 4, 5)]
    [diag] = diags
    assert diag.message == "NVL is not portable to BigQuery (supported by: Snowflake, Databricks)"
    assert diag.suggestion == (
        "replace NVL(...) with IFNULL(...) or COALESCE(...); "
        "rewritten for BigQuery: COALESCE(priority, 'normal')"
    )
    assert diag.is_error


def test_duckdb_target_also_flags_nvl_but_qualify_is_allowed(root: Path) -> None:
    # QUALIFY is not native to DuckDB in the catalog, but the project allows it
    assert where(p001(root, "duckdb")) == [("with_nvl", "models/with_nvl.sql", 4, 5)]
    toml = root / "rocky.toml"
    toml.write_text(toml.read_text().replace('allow = ["QUALIFY"]', "allow = []"))
    assert where(p001(root, "duckdb")) == [
        ("latest_ticket", "models/latest_ticket.sql", 3, 1),
        ("with_nvl", "models/with_nvl.sql", 4, 5),
    ]


def test_dsl_models_are_linted_at_the_dsl_span(root: Path) -> None:
    [diag] = p001(root, "snowflake")
    assert where([diag]) == [("agent_load", "models/agent_load.rocky", 3, 17)]
    assert diag.message == "IFNULL is not portable to Snowflake (supported by: BigQuery, DuckDB)"
    assert (diag.suggestion or "").endswith(
        "rewritten for Snowflake: COALESCE(agent, 'unassigned')"
    )
    dsl = root / "models" / "agent_load.rocky"
    dsl.write_text("-- rocky-allow: ifnull\n" + dsl.read_text())
    assert p001(root, "snowflake") == []


def test_config_target_and_flag_override(root: Path) -> None:
    toml = root / "rocky.toml"
    toml.write_text(
        toml.read_text().replace("[portability]", '[portability]\ntarget_dialect = "bigquery"')
    )
    assert where(p001(root, None)) == [("with_nvl", "models/with_nvl.sql", 4, 5)]
    # the flag wins: NVL is native on Databricks, the DSL model's IFNULL is not
    assert where(p001(root, "dbx")) == [("agent_load", "models/agent_load.rocky", 3, 17)]


def test_project_allow_list_suppresses(root: Path) -> None:
    toml = root / "rocky.toml"
    toml.write_text(toml.read_text().replace('allow = ["QUALIFY"]', 'allow = ["QUALIFY", "nvl"]'))
    assert p001(root, "bq") == []


def test_unknown_target_is_one_clear_error(root: Path) -> None:
    project = load_project(root / "rocky.toml")
    with pytest.raises(RockyError, match="unknown target dialect 'oracle'"):
        compile_project(project, CompileOptions(target_dialect="oracle", cache=False))


def test_disabling_the_plugin_turns_the_lint_off(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rocky import plugins

    monkeypatch.setenv("ROCKY_DISABLED_PLUGINS", "lint")
    plugins.reset()
    try:
        assert p001(root, "bq") == []
    finally:
        monkeypatch.delenv("ROCKY_DISABLED_PLUGINS")
        plugins.reset()
    assert len(p001(root, "bq")) == 1
