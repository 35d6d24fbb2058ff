"""The benchmark workload generator: deterministic, shaped, valid, and twinned."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

ROOT = Path(__file__).resolve().parents[2]
SCALE = 100


def _load_generator() -> ModuleType:
    # benchmarks/ is a scripts folder, not a package: load the file itself.
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks/generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return gen.write_workload(SCALE, tmp_path_factory.mktemp("wl"))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_output_is_byte_for_byte_deterministic(tmp_path: Path, workload: Any) -> None:
    again = gen.write_workload(SCALE, tmp_path)
    assert _files(again.rocky_dir) == _files(workload.rocky_dir)
    assert _files(again.dbt_dir) == _files(workload.dbt_dir)


@pytest.mark.parametrize("scale", [100, 1000, 10_000])
def test_layer_shares_and_fan_in(scale: int) -> None:
    models = gen.plan_workload(scale)
    counts = Counter(m.layer for m in models)
    assert counts["sources"] == int(scale * 0.30)
    assert counts["staging"] == int(scale * 0.30)
    assert counts["intermediate"] == int(scale * 0.25)
    assert sum(counts.values()) == scale
    assert len({m.name for m in models}) == scale
    dsl_share = sum(m.dsl for m in models) / scale
    assert 0.09 <= dsl_share <= 0.12
    by_name = {m.name: m for m in models}
    for m in models:
        dep_layers = [by_name[d].layer for d in m.deps]
        if m.layer == "sources":
            assert dep_layers == []
        elif m.layer == "staging":
            assert dep_layers == ["sources"]
        elif m.layer == "intermediate":
            assert dep_layers in (["staging"] * 2, ["staging"] * 3)
        else:
            assert dep_layers == ["intermediate", "staging"]
    ints = [m for m in models if m.layer == "intermediate"]
    assert sum(len(m.deps) == 3 for m in ints) == len(range(0, len(ints), 10))


def test_strategies_follow_the_index() -> None:
    for m in gen.plan_workload(1000):
        if m.layer in ("sources", "marts"):
            assert m.strategy == "full_refresh"
        else:
            expected = ["full_refresh"] * 16 + ["incremental"] * 3 + ["merge"]
            assert m.strategy == expected[m.index % 20]


def test_without_dsl_every_model_is_sql() -> None:
    assert not any(m.dsl for m in gen.plan_workload(SCALE, dsl=False))


def _one_part_tables(tree: exp.Expr) -> set[str]:
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if not t.args.get("db") and t.name not in ctes}


def test_every_rocky_sql_model_parses_and_reads_exactly_its_deps(workload: Any) -> None:
    models_dir = workload.rocky_dir / "models"
    sql_files = sorted(models_dir.glob("*.sql"))
    assert len(sql_files) + len(list(models_dir.glob("*.rocky"))) == SCALE
    for path in sql_files:
        tree = sqlglot.parse_one(path.read_text(), dialect="duckdb")
        assert isinstance(tree, exp.Select), path.name
        aliases = [e.alias_or_name for e in tree.expressions]
        assert len(aliases) == len(set(aliases)), f"{path.name} repeats a column name"
        sidecar = tomllib.loads(path.with_suffix(".toml").read_text())
        assert _one_part_tables(tree) == set(sidecar.get("depends_on", [])), path.name


def test_every_dsl_model_reads_every_declared_dep(workload: Any) -> None:
    dsl_files = sorted((workload.rocky_dir / "models").glob("*.rocky"))
    assert dsl_files
    for path in dsl_files:
        read = set(
            re.findall(r"^(?:let \w+ = )?(?:from|join|left join) (\w+)", path.read_text(), re.M)
        )
        read.discard("base")
        sidecar = tomllib.loads(path.with_suffix(".toml").read_text())
        assert read == set(sidecar["depends_on"]), path.name


_REF = re.compile(r"\{\{ ref\('(\w+)'\) \}\}")


def _render_dbt(text: str) -> str:
    """What dbt sends on a first build: refs resolved, config and incremental blocks gone."""
    text = re.sub(r"\{\{ config\(.*?\) \}\}", "", text)
    text = re.sub(r"\{% if is_incremental\(\) %\}.*?\{% endif %\}", "", text, flags=re.S)
    return _REF.sub(r"\1", text)


def test_dbt_twin_has_the_same_models_and_dependencies(workload: Any) -> None:
    rocky_models = workload.rocky_dir / "models"
    rocky_deps = {
        p.stem: set(tomllib.loads(p.read_text()).get("depends_on", []))
        for p in rocky_models.glob("*.toml")
    }
    dbt_files = list((workload.dbt_dir / "models").rglob("*.sql"))
    dbt_deps = {p.stem: set(_REF.findall(p.read_text())) for p in dbt_files}
    assert dbt_deps == rocky_deps
    for path in dbt_files:
        tree = sqlglot.parse_one(_render_dbt(path.read_text()), dialect="duckdb")
        assert _one_part_tables(tree) == dbt_deps[path.stem], path.name
    for layer in gen.LAYERS:
        schema = (workload.dbt_dir / "models" / layer / "schema.yml").read_text()
        names = re.findall(r"^  - name: (\w+)$", schema, re.M)
        assert sorted(names) == sorted(p.stem for p in dbt_files if p.parent.name == layer)


def test_sidecars_carry_strategy_and_target(workload: Any) -> None:
    for m in workload.models:
        side = tomllib.loads((workload.rocky_dir / "models" / f"{m.name}.toml").read_text())
        assert side["name"] == m.name
        assert side["strategy"]["type"] == m.strategy
        assert side["target"] == {"catalog": "bench", "schema": "main", "table": m.name}
        if m.strategy == "incremental":
            assert side["strategy"]["timestamp_column"] == "updated_at"
        if m.strategy == "merge":
            assert side["strategy"]["unique_key"] == list(m.unique_key)


def test_seeded_workload_builds_on_duckdb_with_rows_in_every_mart(tmp_path: Path) -> None:
    models = gen.plan_workload(SCALE)
    con = duckdb.connect(str(tmp_path / gen.DB_FILE))
    try:
        con.execute(gen.seed_sql(models))
        # plan_workload lists models layer by layer, so upstreams come first.
        for m in models:
            con.sql(gen.model_sql(m)).create(m.name)
        for m in models:
            table = con.table(m.name)
            assert len(table) > 0, m.name
            if m.strategy == "incremental":
                assert "updated_at" in table.columns, m.name
            if m.strategy == "merge":
                keys = ", ".join(m.unique_key)
                per_key = table.aggregate(f"{keys}, COUNT(*) AS n", keys)
                assert per_key.filter("n > 1").fetchall() == [], f"{m.name}: {keys} not unique"
    finally:
        con.close()


def test_cli_writes_both_projects_and_refuses_foreign_dirs(tmp_path: Path) -> None:
    assert gen.main(["--scale", "20", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "rocky_20" / "rocky.toml").is_file()
    assert (tmp_path / "dbt_20" / "profiles.yml").is_file()
    assert gen.main(["--scale", "20", "--out", str(tmp_path), "--tool", "rocky"]) == 0
    foreign = tmp_path / "rocky_30"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not a generated project"):
        gen.main(["--scale", "30", "--out", str(tmp_path)])
    assert (foreign / "keep.txt").read_text() == "mine"
    assert gen.main(["--scale", "5", "--out", str(tmp_path)]) == 1


def test_dsl_models_mean_what_their_dbt_twins_say() -> None:
    from rocky.dsl import compile_dsl

    dsl_models = [m for m in gen.plan_workload(SCALE) if m.dsl]
    assert dsl_models
    for m in dsl_models:
        suffix, text = gen.rocky_model_text(m)
        assert suffix == ".rocky"
        lowered = compile_dsl(text, f"{m.name}.rocky", dialect="duckdb").sql(dialect="duckdb")
        twin = sqlglot.parse_one(gen.model_sql(m), dialect="duckdb").sql(dialect="duckdb")
        assert lowered == twin, m.name
