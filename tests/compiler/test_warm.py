"""The project snapshot: a compile answered from it, or from an incremental
recompile of the changed models, prints exactly what a full compile prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from compiler_helpers import write_project

from rocky.compiler.report import build_report, render
from rocky.compiler.snapshot import SNAPSHOT_RELPATH, VIEWS_RELPATH, Snapshot
from rocky.compiler.warm import cached_report, compile_and_snapshot, lineage_ir
from rocky.lineage import LineageGraph, column_lineage_json, model_lineage_json

SEED = """\
CREATE SCHEMA raw;
CREATE TABLE raw.orders (id INTEGER NOT NULL, customer_id INTEGER, amount DECIMAL(10,2),
                         status VARCHAR, placed_at TIMESTAMP);
CREATE TABLE raw.customers (id INTEGER NOT NULL, name VARCHAR, country VARCHAR);
"""

FILES = {
    "data/seed.sql": SEED,
    "models/stg_orders.sql": (
        "SELECT id, customer_id, amount, status FROM raw.orders WHERE amount > 10"
    ),
    "models/stg_customers.sql": "SELECT id, name, country FROM raw.customers",
    "models/all_orders.sql": "SELECT * FROM stg_orders",
    "models/big_orders.sql": "SELECT id, amount FROM all_orders WHERE amount > 100",
    "models/by_customer.sql": (
        "SELECT c.id, c.name, COUNT(*) AS n, SUM(o.amount) AS total\n"
        "FROM stg_customers c LEFT JOIN stg_orders o ON o.customer_id = c.id\n"
        "GROUP BY c.id, c.name"
    ),
    "models/by_country.rocky": (
        "from by_customer\n"
        "join stg_customers as s on id\n"
        "group country {\n"
        "    customers: count(),\n"
        "}\n"
    ),
    "models/top.sql": "SELECT id, name, total FROM by_customer WHERE total > 1000",
    "models/broken_dep.sql": "SELECT id FROM stg_orders",
    "models/broken_dep.toml": 'depends_on = ["no_such_model"]\n',
}

Options = Mapping[str, Any]
PLAIN: Options = {"with_seed": True}


def _full(root: Path, **options: Any) -> str:
    """The report of a full compile, written without touching the snapshot."""
    project, result, report, _ = compile_and_snapshot(
        root / "rocky.toml", snapshot=False, cache=False, **options
    )
    del project, result
    return render(report, "v", {})


def _warm(root: Path, **options: Any) -> tuple[str, list[str]] | None:
    found = cached_report(root / "rocky.toml", **options)
    if found is None:
        return None
    return render(found.report, "v", {}), found.recompiled


def _snapshot(root: Path, **options: Any) -> str:
    """A full compile that writes the snapshot; its report."""
    _, _, report, _ = compile_and_snapshot(root / "rocky.toml", **options)
    return render(report, "v", {})


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "p", FILES)
    assert _snapshot(root, **PLAIN) == _full(root, **PLAIN)
    return root


def _same_as_full(root: Path, options: Options = PLAIN) -> list[str]:
    found = _warm(root, **options)
    assert found is not None, "expected an answer from the snapshot"
    text, recompiled = found
    assert text == _full(root, **options)
    return recompiled


def test_an_unchanged_project_is_answered_from_the_snapshot(project: Path) -> None:
    assert (project / SNAPSHOT_RELPATH).is_file() and (project / VIEWS_RELPATH).is_file()
    assert _same_as_full(project) == []
    # errors in the snapshot's report survive the round trip
    found = cached_report(project / "rocky.toml", **PLAIN)
    assert found is not None and found.report.error_count == 1
    assert "E007" in (found.report.first_error() or "")


def test_an_edit_that_keeps_the_schema_recompiles_only_that_model(project: Path) -> None:
    _edit(project / "models/stg_orders.sql", "amount > 10", "amount > 11")
    assert _same_as_full(project) == ["stg_orders"]
    # the snapshot was brought up to date: the next compile recompiles nothing
    assert _same_as_full(project) == []


def test_a_schema_change_travels_to_every_dependent_and_no_further(project: Path) -> None:
    _edit(
        project / "models/stg_orders.sql",
        "amount, status",
        "CAST(amount AS DOUBLE) AS amount, status",
    )
    recompiled = _same_as_full(project)
    assert recompiled[0] == "stg_orders"
    assert {"all_orders", "big_orders", "by_customer"} <= set(recompiled)
    assert "stg_customers" not in recompiled


def test_a_new_column_reaches_the_select_star_blast_radius(project: Path) -> None:
    _edit(project / "models/big_orders.sql", "SELECT id, amount", "SELECT id, amount, status")
    assert _same_as_full(project) == ["big_orders"]
    assert "status" in _full(project, **PLAIN).split('"code":"P002"')[1].split("}")[0]


def test_a_parse_error_and_its_repair(project: Path) -> None:
    _edit(project / "models/stg_customers.sql", "SELECT id,", "SELEC id,")
    recompiled = _same_as_full(project)
    assert "stg_customers" in recompiled
    assert '"code":"E002"' in _full(project, **PLAIN)
    _edit(project / "models/stg_customers.sql", "SELEC id,", "SELECT id,")
    _same_as_full(project)


def test_a_dsl_edit(project: Path) -> None:
    _edit(
        project / "models/by_country.rocky",
        "customers: count(),",
        "customers: count(),\n    people: count(),",
    )
    assert "by_country" in _same_as_full(project)


def test_a_new_dependency_reorders_the_dag(project: Path) -> None:
    # top now also reads stg_orders, through a join
    _edit(
        project / "models/top.sql",
        "FROM by_customer WHERE",
        "FROM by_customer JOIN (SELECT DISTINCT customer_id FROM stg_orders) s "
        "ON s.customer_id = by_customer.id WHERE",
    )
    assert "top" in _same_as_full(project)


def test_a_new_cycle_means_a_full_compile(project: Path) -> None:
    _edit(project / "models/stg_customers.sql", "FROM raw.customers", "FROM raw.customers, top")
    assert _warm(project, **PLAIN) is None
    assert '"code":"E004"' in _full(project, **PLAIN)


@pytest.mark.parametrize(
    "change",
    ["sidecar", "new_model", "removed_model", "rocky_toml", "defaults"],
)
def test_changes_beyond_model_text_mean_a_full_compile(project: Path, change: str) -> None:
    if change == "sidecar":
        (project / "models/top.toml").write_text("tags = { team = 'x' }\n")
    elif change == "new_model":
        (project / "models/extra.sql").write_text("SELECT 1 AS one")
        (project / "models/extra.toml").write_text("")
    elif change == "removed_model":
        (project / "models/top.sql").unlink()
        (project / "models/top.toml").unlink()
    elif change == "rocky_toml":
        with (project / "rocky.toml").open("a") as handle:
            handle.write("\n# a comment\n")
    else:
        with (project / "models/_defaults.toml").open("a") as handle:
            handle.write("\n# a comment\n")
    assert _warm(project, **PLAIN) is None
    # the full compile writes a new snapshot that the next compile uses
    assert _snapshot(project, **PLAIN) == _full(project, **PLAIN)
    assert _same_as_full(project) == []


def test_other_options_do_not_use_the_snapshot(project: Path) -> None:
    assert _warm(project) is None  # without --with-seed
    assert _warm(project, **PLAIN, variables={"x": "1"}) is None
    assert _warm(project, **PLAIN, target_dialect="snowflake") is None


def test_a_same_size_edit_within_the_clock_tick_is_seen(project: Path) -> None:
    path = project / "models/stg_orders.sql"
    before = path.stat()
    _edit(path, "amount > 10", "amount > 12")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert _same_as_full(project) == ["stg_orders"]


def test_an_environment_variable_the_config_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = (
        '[adapter]\ntype = "duckdb"\npath = "${WARM_DB:-a.duckdb}"\n\n'
        '[pipeline.main]\ntype = "transformation"\nmodels = "models/**"\n'
    )
    root = write_project(tmp_path / "p", {"models/m.sql": "SELECT 1 AS one"}, toml=toml)
    monkeypatch.setenv("WARM_DB", "one.duckdb")
    _snapshot(root)
    assert _warm(root) is not None
    monkeypatch.setenv("WARM_DB", "two.duckdb")
    assert _warm(root) is None
    text = (root / SNAPSHOT_RELPATH).read_bytes()
    assert b"one.duckdb" not in text and b"two.duckdb" not in text


def test_a_damaged_or_foreign_snapshot_is_ignored(project: Path) -> None:
    (project / SNAPSHOT_RELPATH).write_bytes(b"\x00garbage")
    assert _warm(project, **PLAIN) is None
    _snapshot(project, **PLAIN)
    (project / VIEWS_RELPATH).write_bytes(b"another snapshot's views")
    assert Snapshot.load(project) is None


def test_a_project_with_contracts_is_answered_but_not_recompiled_in_part(tmp_path: Path) -> None:
    files = {
        **FILES,
        "contracts/top.contract.toml": '[[columns]]\nname = "id"\ntype = "Int32"\n',
    }
    root = write_project(tmp_path / "p", files)
    _snapshot(root, **PLAIN)
    assert _same_as_full(root) == []
    _edit(root / "models/top.sql", "total > 1000", "total > 1001")
    assert _warm(root, **PLAIN) is None


def _lineage_answers(ir: Any, model: str, column: str) -> list[Any]:
    graph = LineageGraph(ir)
    return [
        model_lineage_json(graph, model, "v"),
        column_lineage_json(graph, model, column, downstream=False, version="v"),
        column_lineage_json(graph, model, column, downstream=True, version="v"),
    ]


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("top", "total"),
        ("stg_orders", "amount"),
        ("by_country", "customers"),
        ("BIG_ORDERS", "amount"),
    ],
)
def test_lineage_from_the_snapshot_equals_lineage_from_a_full_compile(
    project: Path, model: str, column: str
) -> None:
    _, result, _, _ = compile_and_snapshot(project / "rocky.toml", snapshot=False, **PLAIN)
    name = next(n for n in result.ir.models if n.lower() == model.lower())
    full = _lineage_answers(result.ir, name, column)
    part = lineage_ir(project / "rocky.toml", model, **PLAIN)
    assert len(part.models) < len(result.ir.models)  # only the closures were decoded
    assert _lineage_answers(part, name, column) == full


def test_lineage_after_an_edit_brings_the_snapshot_up_to_date(project: Path) -> None:
    _edit(
        project / "models/stg_orders.sql", "amount, status", "amount AS amount_usd, amount, status"
    )
    part = lineage_ir(project / "rocky.toml", "all_orders", **PLAIN)
    assert [c.name for c in part.models["all_orders"].columns][:3] == [
        "id",
        "customer_id",
        "amount_usd",
    ]
    assert _warm(project, **PLAIN) is not None and _same_as_full(project) == []


def test_the_report_renders_as_json_dumps_would(project: Path) -> None:
    project_obj, result, report, _ = compile_and_snapshot(
        project / "rocky.toml", snapshot=False, **PLAIN
    )
    text = render(report, "9.9", {"total_ms": 1.23456})
    data = json.loads(text)
    assert text == json.dumps(data, separators=(",", ":"))
    assert data["models"] == len(result.ir.models) and data["has_errors"] is True
    assert [d["name"] for d in data["models_detail"]] == list(result.ir.models)
    # diagnostics are listed model by model in execution order, then the rest
    order = {n: i for i, n in enumerate(result.ir.models)}
    owners = [order.get(d["model"], len(order)) for d in data["diagnostics"]]
    assert owners == sorted(owners)
    assert build_report(project_obj, result.ir).details == report.details


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rocky.cli", "-c", str(root / "rocky.toml"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )


def _without_timings(text: str) -> Any:
    data = json.loads(text)
    data.pop("compile_timings")
    return data


@pytest.mark.slow
def test_the_command_prints_the_same_report_and_error_from_the_snapshot(project: Path) -> None:
    Snapshot.remove(project)
    first = _cli(project, "compile", "--with-seed", "-o", "json")
    assert (project / SNAPSHOT_RELPATH).is_file()
    second = _cli(project, "compile", "--with-seed", "-o", "json")
    _edit(project / "models/top.sql", "total > 1000", "total > 1001")
    third = _cli(project, "compile", "--with-seed", "-o", "json")
    for run in (first, second, third):
        assert run.returncode == 1  # broken_dep's E007
        assert run.stderr.startswith("error: models/broken_dep.sql:1:1: E007 ")
        assert run.stderr == first.stderr
    assert _without_timings(second.stdout) == _without_timings(first.stdout)
    assert _without_timings(third.stdout) == _without_timings(_full_cli(project))
    lineage = _cli(project, "lineage", "top.total", "--with-seed", "-o", "json")
    assert lineage.returncode == 0, lineage.stderr
    assert json.loads(lineage.stdout)["trace"]


def _full_cli(root: Path) -> str:
    run = _cli(root, "compile", "--with-seed", "--no-cache", "-o", "json")
    assert run.returncode == 1
    return run.stdout


def test_a_model_configured_by_frontmatter_is_loaded_in_full(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "models/m.sql": '---toml\nname = "m"\n---\nSELECT 1 AS one',
            "models/n.sql": "SELECT 2 AS two",
        },
    )
    _snapshot(root)
    (root / "models/m.sql").write_text("SELECT 1 AS one")  # the frontmatter is gone
    assert _warm(root) is None
    _edit(root / "models/n.sql", "2 AS two", "3 AS two")
    assert _warm(root) is None  # m's change still stands


def test_the_models_directory_of_rocky_toml_and_of_models_is_walked(tmp_path: Path) -> None:
    toml = (
        '[adapter]\ntype = "duckdb"\n\n'
        '[pipeline.main]\ntype = "transformation"\nmodels = "sql/**"\n'
    )
    root = write_project(tmp_path / "p", {"sql/m.sql": "SELECT 1 AS one"}, toml=toml)
    (root / "sql/m.toml").write_text('[target]\ncatalog = "wh"\nschema = "main"\n')
    _snapshot(root)  # sql/ is found through rocky.toml before the load
    assert _warm(root) is not None
    _edit(root / "sql/m.sql", "1 AS one", "2 AS one")
    assert _same_as_full(root, {}) == ["m"]
    found = _warm(root, models_dir=root / "sql")
    assert found is None  # another --models is another input
    _, _, report, _ = compile_and_snapshot(root / "rocky.toml", models_dir=root / "sql")
    assert report.order == ["m"] and _warm(root, models_dir=root / "sql") is not None


_PROBE = """
import sys
from rocky.cli.app import run
try:
    run(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in ("sqlglot", "pydantic", "duckdb") if m in sys.modules)
print("HEAVY", heavy, file=sys.stderr)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [["compile", "--with-seed"], ["lineage", "top.total", "--with-seed"]]
)
def test_answers_from_the_snapshot_import_no_parser_and_no_pydantic(
    project: Path, command: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "-c", str(project / "rocky.toml"), *command, "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "HEAVY []" in done.stderr, done.stderr
    assert json.loads(done.stdout)["version"]


def test_a_snapshot_replaced_by_a_concurrent_compile_is_noticed(project: Path) -> None:
    from rocky.compiler.incremental import recompile
    from rocky.compiler.snapshot import StaleSnapshot

    old = Snapshot.load(project)
    assert old is not None
    name = next(iter(old.models))
    assert old.view_blob(name)
    _snapshot(project, **PLAIN)  # another compile replaces the snapshot meanwhile
    with pytest.raises(StaleSnapshot):
        old.view_blob(name)
    _edit(project / "models/stg_orders.sql", "amount > 10", "amount > 11")
    assert recompile(old, old.changes(), {}, started=0.0) is None
    assert _same_as_full(project) == ["stg_orders"]  # the current snapshot still works


def test_a_cache_directory_that_cannot_be_written_costs_only_the_snapshot(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path / "p", FILES)
    (root / ".rocky").write_text("a file where the cache directory would go")
    assert _snapshot(root, **PLAIN) == _full(root, **PLAIN)
    assert (root / ".rocky").read_text().startswith("a file")
    assert _warm(root, **PLAIN) is None


def test_the_views_file_is_written_under_a_temporary_name_and_renamed(project: Path) -> None:
    cache_dir = (project / VIEWS_RELPATH).parent
    token = (project / VIEWS_RELPATH).read_bytes()[:16]
    (project / "models" / "new_model.sql").write_text("SELECT id FROM stg_orders")
    (project / "models" / "new_model.toml").write_text("")
    assert _warm(project, **PLAIN) is None  # a new file: a full compile is needed
    _snapshot(project, **PLAIN)
    assert (project / VIEWS_RELPATH).read_bytes()[:16] != token
    assert sorted(p.name for p in cache_dir.iterdir()) == [
        "compile.bin",
        "project-views.bin",
        "project.bin",
    ]
    assert _same_as_full(project) == []
