"""``rocky validate``: the report (library) and the command (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rocky.errors import ConfigError
from rocky.validation import dag_problems, validate_project

Writer = Callable[[dict[str, str | bytes]], Path]
PLAYGROUND = Path(__file__).parent / "projects" / "playground"
TARGET = '[target]\ncatalog = "wh"\nschema = "s"\n'


def _codes(report: Any, severity: str) -> list[str]:
    return [m["code"] for m in report.messages if m["severity"] == severity]


def test_valid_project_report(write: Writer, test_adapter: str) -> None:
    root = write(
        {
            "rocky.toml": f'[adapter]\ntype = "{test_adapter}"\n'
            '[pipeline.p]\ntype = "transformation"\n',
            "models/a.sql": "SELECT 1",
            "models/a.toml": TARGET,
            "models/b.sql": "SELECT 1",
            "models/b.toml": 'depends_on = ["a"]\n' + TARGET,
        }
    )
    report = validate_project(root / "rocky.toml")
    assert report.valid, report.messages
    assert report.adapters == [{"name": "default", "adapter_type": test_adapter, "ok": True}]
    assert report.pipelines == [
        {
            "name": "p",
            "pipeline_type": "transformation",
            "strategy": "",
            "ok": True,
            "catalog_template": "",
            "schema_template": "",
        }
    ]
    assert report.models == {"found": True, "count": 2, "dag_valid": True}
    assert _codes(report, "ok") == ["V001", "V010", "V020", "V030", "V031"]


def test_empty_config_warns_about_adapters_and_pipelines(write: Writer) -> None:
    report = validate_project(write({"rocky.toml": ""}) / "rocky.toml")
    assert report.valid
    assert _codes(report, "warn") == ["V010", "V020"]
    assert report.models == {"found": False, "count": 0, "dag_valid": True}


def test_syntax_error_is_v001_and_invalid(write: Writer) -> None:
    report = validate_project(write({"rocky.toml": "[adapter\n"}) / "rocky.toml")
    assert not report.valid
    assert report.messages[0]["code"] == "V001" and report.messages[0]["severity"] == "error"
    assert "invalid TOML" in report.messages[0]["message"]


def test_missing_config_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no rocky\.toml at"):
        validate_project(tmp_path / "rocky.toml")


def test_adapter_problems(write: Writer, test_adapter: str) -> None:
    root = write(
        {
            "rocky.toml": '[adapter.gone]\ntype = "nosuchdb"\n'
            f'[adapter.bad]\ntype = "{test_adapter}"\nport = "x"\n',
        }
    )
    report = validate_project(root / "rocky.toml")
    assert not report.valid
    assert [a["ok"] for a in report.adapters] == [False, False]
    assert _codes(report, "error") == ["V017", "V011"]
    v017 = next(m for m in report.messages if m["code"] == "V017")
    assert "pip install rocky-nosuchdb" in v017["message"] and v017["field"] == "adapter.gone.type"


def test_pipeline_adapter_references_and_models_dir(write: Writer, test_adapter: str) -> None:
    root = write(
        {
            "rocky.toml": f'[adapter.wh]\ntype = "{test_adapter}"\n'
            '[pipeline.t]\ntype = "transformation"\nmodels = "missing/**"\n'
            '[pipeline.t.target]\nadapter = "nope"\n'
            '[pipeline.out]\ntype = "transformation"\nmodels = "../elsewhere/**"\n'
            '[pipeline.out.target]\nadapter = "wh"\n'
            "[pipeline.r.source.schema_pattern]\n"
            'prefix = "src__"\nseparator = "__"\ncomponents = ["source"]\n'
            '[pipeline.r.source.discovery]\nadapter = "fivetran"\n'
            '[pipeline.r.target]\nadapter = "wh"\ncatalog_template = "c"\n'
            'schema_template = "raw_{source}"\n',
        }
    )
    report = validate_project(root / "rocky.toml")
    codes = {m["code"] for m in report.messages if m["severity"] != "ok"}
    assert {"V023", "V025", "V047", "V022", "V024"} <= codes
    rows = {p["name"]: p for p in report.pipelines}
    assert rows["t"]["ok"] is False and rows["out"]["ok"] is False and rows["r"]["ok"] is False
    assert (rows["r"]["strategy"], rows["r"]["schema_template"]) == ("incremental", "raw_{source}")


def test_pipeline_dependency_graph(write: Writer) -> None:
    pipelines = (
        '[pipeline.a]\ntype = "transformation"\ndepends_on = ["b"]\n'
        '[pipeline.b]\ntype = "transformation"\ndepends_on = ["a", "zz"]\n'
    )
    report = validate_project(write({"rocky.toml": pipelines}) / "rocky.toml")
    errors = [m for m in report.messages if m["severity"] == "error"]
    assert [m["code"] for m in errors] == ["V029", "V030"]
    assert "unknown `zz`" in errors[0]["message"] and "cycle" in errors[1]["message"]


def test_model_dag_problems_and_load_errors(write: Writer) -> None:
    root = write(
        {
            "models/a.sql": "SELECT 1",
            "models/a.toml": 'depends_on = ["b", "ghost"]\n' + TARGET,
            "models/b.sql": "SELECT 1",
            "models/b.toml": 'depends_on = ["a"]\n' + TARGET,
        }
    )
    report = validate_project(root / "rocky.toml")
    assert report.models == {"found": True, "count": 2, "dag_valid": False}
    v031 = [m["message"] for m in report.messages if m["code"] == "V031"]
    assert any("unknown `ghost`" in m for m in v031) and any("cycle" in m for m in v031)
    (root / "models/b.toml").write_text("[stratgy]\n")
    report = validate_project(root / "rocky.toml")
    v030 = next(m for m in report.messages if m["code"] == "V030")
    assert v030["severity"] == "error" and "did you mean `strategy`" in v030["message"]
    assert v030["file"] == "models/b.toml"


def test_dag_problems_is_order_independent() -> None:
    assert dag_problems({"a": [], "b": ["a"], "c": ["b", "a"]}) == []
    assert dag_problems({"x": ["x"]}) == ["dependency cycle involving `x`"]


def _rocky(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rocky.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.slow
def test_cli_validate_json_and_exit_codes(project_copy: Callable[[str], Path]) -> None:
    root = project_copy("playground")
    ok = _rocky("validate", "-o", "json", cwd=root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    data = json.loads(ok.stdout)
    assert list(data) == [
        "version",
        "command",
        "valid",
        "adapters",
        "pipelines",
        "models",
        "messages",
    ]
    assert data["command"] == "validate" and data["valid"] is True
    assert data["models"] == {"found": True, "count": 3, "dag_valid": True}
    assert all(set(m) >= {"code", "severity", "message"} for m in data["messages"])

    (root / "models/top_users.toml").write_text('depends_on = ["nobody"]\n' + TARGET)
    bad = _rocky("validate", cwd=root)  # not a TTY: JSON
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["models"]["dag_valid"] is False

    table = _rocky("validate", "-o", "table", cwd=root)
    assert table.returncode == 1
    assert "V031" in table.stdout and "invalid" in table.stdout
    assert "Traceback" not in table.stderr


@pytest.mark.slow
def test_cli_validate_without_rocky_toml(tmp_path: Path) -> None:
    result = _rocky("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: no rocky.toml at {tmp_path.resolve() / 'rocky.toml'}; "
        "run `rocky playground` or pass -c"
    )
