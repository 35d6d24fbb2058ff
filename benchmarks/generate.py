"""Generate the benchmark workload: a rocky project and its dbt twin.

The workload is a layered DAG whose shape follows the original tool's
benchmark (30 % sources, 30 % staging, 25 % intermediate, the rest marts;
fan-in and strategies chosen by index, so the output is deterministic at any
scale). Every model is valid SQL on DuckDB, both tools build the same models
with the same dependencies, and a seed script creates the raw tables that the
source models read, so that both projects can really run.

Layout decision: every model lands in the ``main`` schema of the DuckDB file.
Bare model names in SQL are not rewritten at run time, so they resolve only
where DuckDB looks by default (``<db>.main``); dbt-duckdb uses the same schema.

Usage::

    python benchmarks/generate.py --scale 1000 --out benchmarks/workloads
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DB_FILE",
    "LAYERS",
    "ModelSpec",
    "Workload",
    "dbt_model_sql",
    "main",
    "model_sql",
    "plan_workload",
    "rocky_model_text",
    "seed_sql",
    "write_dbt_project",
    "write_rocky_project",
    "write_workload",
]

DB_FILE = "bench.duckdb"
CATALOG = "bench"  # DuckDB names the catalog after the file stem
SCHEMA = "main"
LAYERS = ("sources", "staging", "intermediate", "marts")
DEFAULT_ROWS = 40
# Rows per id in the raw tables: joins and aggregates then see real fan-out.
ROWS_PER_ID = 4

Ref = Callable[[str], str]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the workload, the same for both tools."""

    name: str
    layer: str
    index: int
    deps: tuple[str, ...]
    strategy: str
    dsl: bool = False
    ncols: int = 0

    @property
    def unique_key(self) -> tuple[str, ...]:
        # Staging keeps every row per id (rn numbers them); intermediates
        # aggregate to one row per id.
        return ("id", "rn") if self.layer == "staging" else ("id",)


@dataclass(frozen=True)
class Workload:
    """Where a generated workload was written."""

    scale: int
    models: tuple[ModelSpec, ...]
    rocky_dir: Path | None
    dbt_dir: Path | None


def _strategy(index: int) -> str:
    r = index % 20
    if r <= 15:
        return "full_refresh"
    if r <= 18:
        return "incremental"
    return "merge"


def plan_workload(scale: int, *, dsl: bool = True) -> list[ModelSpec]:
    """The DAG of ``scale`` models; ``dsl=False`` writes every model as SQL."""
    if scale < 10:
        raise ValueError("scale must be at least 10 models")
    n_src = int(scale * 0.30)
    n_stg = int(scale * 0.30)
    n_int = int(scale * 0.25)
    n_fct = scale - n_src - n_stg - n_int
    models: list[ModelSpec] = []
    src: list[str] = []
    stg: list[str] = []
    ints: list[str] = []
    idx = 0
    for _ in range(n_src):
        name = f"src_{idx:05d}"
        models.append(ModelSpec(name, "sources", idx, (), "full_refresh", ncols=7 + idx % 9))
        src.append(name)
        idx += 1
    for i in range(n_stg):
        name = f"stg_{idx:05d}"
        spec = ModelSpec(
            name, "staging", idx, (src[i % n_src],), _strategy(idx), dsl and i % 5 == 0
        )
        models.append(spec)
        stg.append(name)
        idx += 1
    for i in range(n_int):
        name = f"int_{idx:05d}"
        deps = [stg[i % n_stg], stg[(i + 1) % n_stg]]
        if i % 10 == 0 and n_stg > 2:
            deps.append(stg[(i + 2) % n_stg])
        spec = ModelSpec(name, "intermediate", idx, tuple(deps), _strategy(idx), dsl and i % 5 == 1)
        models.append(spec)
        ints.append(name)
        idx += 1
    for i in range(n_fct):
        name = f"fct_{idx:05d}"
        deps_f = (ints[i % n_int], stg[i % n_stg])
        models.append(ModelSpec(name, "marts", idx, deps_f, "full_refresh"))
        idx += 1
    return models


# -- SQL bodies, shared by both tools; `ref` spells a reference to a model ---


def _plain(name: str) -> str:
    return name


def _dbt_ref(name: str) -> str:
    return "{{ ref('" + name + "') }}"


def _source_sql(m: ModelSpec) -> str:
    cols = [
        "col_0 AS id",
        "col_1 AS name",
        "CAST(col_2 AS VARCHAR) AS category",
        "ROUND(CAST(col_3 AS DECIMAL(10, 2)), 2) AS amount",
        "col_4 AS status",
        "col_5 AS created_at",
        "col_6 AS updated_at",
    ]
    cols += [f"col_{c} AS attr_{c:02d}" for c in range(7, m.ncols)]
    body = ",\n    ".join(cols)
    return f"SELECT\n    {body}\nFROM raw_data.source_{m.index:05d}\n"


def _staging_sql(m: ModelSpec, ref: Ref) -> str:
    return (
        "SELECT\n"
        "    id,\n"
        "    UPPER(TRIM(name)) AS name_clean,\n"
        "    COALESCE(category, 'unknown') AS category_clean,\n"
        "    amount,\n"
        "    LOWER(status) AS status,\n"
        "    created_at,\n"
        "    updated_at,\n"
        "    ROW_NUMBER() OVER (PARTITION BY id ORDER BY updated_at DESC) AS rn\n"
        f"FROM {ref(m.deps[0])}\n"
        "WHERE status <> 'deleted'\n"
        "  AND amount > 0\n"
    )


def _staging_dsl(m: ModelSpec) -> str:
    dep = m.deps[0]
    return (
        f"-- Staging: clean {dep}\n"
        f"from {dep}\n"
        'where status != "deleted"\n'
        "where amount > 0\n"
        "derive {\n"
        "    name_clean: upper(trim(name)),\n"
        '    category_clean: coalesce(category, "unknown"),\n'
        "    rn: row_number() over (partition id, sort -updated_at)\n"
        "}\n"
    )


def _staging_dsl_as_sql(m: ModelSpec, ref: Ref) -> str:
    """What the DSL staging model means, written as SQL for dbt."""
    return (
        "SELECT\n"
        "    *,\n"
        "    UPPER(TRIM(name)) AS name_clean,\n"
        "    COALESCE(category, 'unknown') AS category_clean,\n"
        "    ROW_NUMBER() OVER (PARTITION BY id ORDER BY updated_at DESC) AS rn\n"
        f"FROM {ref(m.deps[0])}\n"
        "WHERE status IS DISTINCT FROM 'deleted'\n"
        "  AND amount > 0\n"
    )


_AGGREGATES = (
    ("record_count", "COUNT(*)", "count(1)"),
    ("total_amount", "SUM(amount)", "sum(amount)"),
    ("avg_amount", "AVG(amount)", "avg(amount)"),
    ("first_seen", "MIN(created_at)", "min(created_at)"),
    ("last_seen", "MAX(created_at)", "max(created_at)"),
    ("updated_at", "MAX(updated_at)", "max(updated_at)"),
)


def _intermediate_sql(m: ModelSpec, ref: Ref) -> str:
    three = len(m.deps) > 2
    category = (
        "COALESCE(c.category_clean, b.category_clean) AS category_clean"
        if three
        else "b.category_clean"
    )
    extra_col = ",\n        c.rn AS matched_rn" if three else ""
    extra_join = f"\n    LEFT JOIN {ref(m.deps[2])} AS c ON a.id = c.id" if three else ""
    aggs = [f"{sql} AS {name}" for name, sql, _ in _AGGREGATES]
    if three:
        aggs.append("COUNT(matched_rn) AS matched_rows")
    agg_text = ",\n    ".join(aggs)
    return (
        "WITH base AS (\n"
        "    SELECT\n"
        "        a.id,\n"
        "        a.name_clean,\n"
        "        a.amount,\n"
        "        a.created_at,\n"
        "        a.updated_at,\n"
        f"        {category}{extra_col}\n"
        f"    FROM {ref(m.deps[0])} AS a\n"
        f"    JOIN {ref(m.deps[1])} AS b ON a.id = b.id{extra_join}\n"
        "    WHERE a.rn = 1\n"
        ")\n"
        "SELECT\n"
        "    id,\n"
        "    name_clean,\n"
        "    category_clean,\n"
        f"    {agg_text}\n"
        "FROM base\n"
        "GROUP BY id, name_clean, category_clean\n"
    )


def _intermediate_dsl(m: ModelSpec) -> str:
    three = len(m.deps) > 2
    joins = f"join {m.deps[1]} as b on id\n"
    picked = "a.id, a.name_clean, a.amount, a.created_at, a.updated_at, b.category_clean"
    aggs = [f"    {name}: {dsl}" for name, _, dsl in _AGGREGATES]
    if three:
        joins += f"left join {m.deps[2]} as c on id\n"
        picked += ", c.rn"
        aggs.append("    matched_rows: count(rn)")
    agg_text = ",\n".join(aggs)
    return (
        f"-- Intermediate: {' joined with '.join(m.deps)}\n"
        f"let base = from {m.deps[0]} as a\n"
        f"{joins}"
        "where a.rn == 1\n"
        f"select {{ {picked} }}\n"
        "\n"
        "from base\n"
        "group id, name_clean, category_clean {\n"
        f"{agg_text}\n"
        "}\n"
    )


def _intermediate_dsl_as_sql(m: ModelSpec, ref: Ref) -> str:
    """What the DSL intermediate model means, written as SQL for dbt."""
    three = len(m.deps) > 2
    picked = "a.id, a.name_clean, a.amount, a.created_at, a.updated_at, b.category_clean"
    joins = f"    JOIN {ref(m.deps[1])} AS b ON a.id = b.id\n"
    aggs = [f"{sql.replace('COUNT(*)', 'COUNT(1)')} AS {name}" for name, sql, _ in _AGGREGATES]
    if three:
        picked += ", c.rn"
        joins += f"    LEFT JOIN {ref(m.deps[2])} AS c ON a.id = c.id\n"
        aggs.append("COUNT(rn) AS matched_rows")
    agg_text = ",\n    ".join(aggs)
    return (
        "WITH base AS (\n"
        f"    SELECT {picked}\n"
        f"    FROM {ref(m.deps[0])} AS a\n"
        f"{joins}"
        "    WHERE a.rn = 1\n"
        ")\n"
        "SELECT\n"
        "    id,\n"
        "    name_clean,\n"
        "    category_clean,\n"
        f"    {agg_text}\n"
        "FROM base\n"
        "GROUP BY id, name_clean, category_clean\n"
    )


def _mart_sql(m: ModelSpec, ref: Ref) -> str:
    int_dep, stg_dep = m.deps
    return (
        "SELECT\n"
        "    i.id,\n"
        "    i.name_clean,\n"
        "    i.category_clean,\n"
        "    i.total_amount,\n"
        "    i.record_count,\n"
        "    i.avg_amount,\n"
        "    CASE\n"
        "        WHEN i.total_amount > 10000 THEN 'high'\n"
        "        WHEN i.total_amount > 1000 THEN 'medium'\n"
        "        ELSE 'low'\n"
        "    END AS tier,\n"
        "    SUM(i.total_amount) OVER (\n"
        "        ORDER BY i.first_seen ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW\n"
        "    ) AS cumulative_total,\n"
        "    RANK() OVER (ORDER BY i.total_amount DESC) AS amount_rank,\n"
        "    s.status AS latest_status\n"
        f"FROM {ref(int_dep)} AS i\n"
        f"LEFT JOIN {ref(stg_dep)} AS s ON i.id = s.id AND s.rn = 1\n"
        "WHERE i.record_count >= 2\n"
    )


def _sql_body(m: ModelSpec, ref: Ref) -> str:
    """The query of ``m``; for a DSL model, what its pipeline means."""
    if m.layer == "sources":
        return _source_sql(m)
    if m.layer == "staging":
        return _staging_dsl_as_sql(m, ref) if m.dsl else _staging_sql(m, ref)
    if m.layer == "intermediate":
        return _intermediate_dsl_as_sql(m, ref) if m.dsl else _intermediate_sql(m, ref)
    return _mart_sql(m, ref)


def model_sql(m: ModelSpec) -> str:
    """The query of ``m`` as plain SQL with bare model names (DSL models included)."""
    return _sql_body(m, _plain)


def rocky_model_text(m: ModelSpec) -> tuple[str, str]:
    """(file suffix, text) of the rocky model: ``.rocky`` DSL or ``.sql``."""
    if m.dsl and m.layer == "staging":
        return ".rocky", _staging_dsl(m)
    if m.dsl and m.layer == "intermediate":
        return ".rocky", _intermediate_dsl(m)
    return ".sql", model_sql(m)


def dbt_model_sql(m: ModelSpec) -> str:
    """The dbt twin: the same query with ``ref()`` and a config block."""
    body = _sql_body(m, _dbt_ref)
    if m.strategy == "incremental":
        return (
            "{{ config(materialized='incremental', incremental_strategy='append') }}\n\n"
            f"SELECT * FROM (\n{body}) AS model_rows\n"
            "{% if is_incremental() %}\n"
            "WHERE updated_at > (SELECT MAX(updated_at) FROM {{ this }})\n"
            "{% endif %}\n"
        )
    if m.strategy == "merge":
        keys = ", ".join(f"'{k}'" for k in m.unique_key)
        return (
            "{{ config(materialized='incremental', incremental_strategy='delete+insert', "
            f"unique_key=[{keys}]) }}}}\n\n{body}"
        )
    return "{{ config(materialized='table') }}\n\n" + body


def _sidecar(m: ModelSpec) -> str:
    lines = [f'name = "{m.name}"']
    if m.deps:
        lines.append("depends_on = [" + ", ".join(f'"{d}"' for d in m.deps) + "]")
    lines += ["", "[strategy]", f'type = "{m.strategy}"']
    if m.strategy == "incremental":
        lines.append('timestamp_column = "updated_at"')
    elif m.strategy == "merge":
        lines.append("unique_key = [" + ", ".join(f'"{k}"' for k in m.unique_key) + "]")
    lines += ["", "[target]", f'catalog = "{CATALOG}"', f'schema = "{SCHEMA}"']
    lines.append(f'table = "{m.name}"')
    return "\n".join(lines) + "\n"


def _raw_table_sql(m: ModelSpec, rows: int) -> str:
    ids = max(rows // ROWS_PER_ID, 1)
    cols = [
        f"CAST(i % {ids} AS BIGINT) AS col_0",
        f"'  name ' || CAST(i % {ids} AS VARCHAR) AS col_1",
        f"CAST(i % {ids} % 7 AS INTEGER) AS col_2",
        "CAST((i * 37) % 1000 AS DOUBLE) / 4 - 10 AS col_3",
        "CASE i % 5 WHEN 0 THEN 'deleted' WHEN 1 THEN 'pending' ELSE 'active' END AS col_4",
        "TIMESTAMP '2024-01-01 00:00:00' + TO_HOURS(i) AS col_5",
        "TIMESTAMP '2024-01-01 00:30:00' + TO_HOURS(i) AS col_6",
    ]
    for c in range(7, m.ncols):
        cols.append(
            f"i * {c} AS col_{c}" if c % 2 else f"'v' || CAST(i * {c} AS VARCHAR) AS col_{c}"
        )
    body = ",\n    ".join(cols)
    return (
        f"CREATE OR REPLACE TABLE raw_data.source_{m.index:05d} AS\n"
        f"SELECT\n    {body}\nFROM range({rows}) AS t(i);\n"
    )


def seed_sql(models: Sequence[ModelSpec], rows: int = DEFAULT_ROWS) -> str:
    """The DuckDB script that creates every raw table the source models read."""
    parts = ["CREATE SCHEMA IF NOT EXISTS raw_data;\n"]
    parts += [_raw_table_sql(m, rows) for m in models if m.layer == "sources"]
    return "\n".join(parts)


_ROCKY_TOML = f"""\
[adapter]
type = "duckdb"
path = "{DB_FILE}"

[pipeline.bench]
type = "transformation"
models = "models/**"

[pipeline.bench.execution]
concurrency = {{threads}}
"""


def _prepare(path: Path, marker: str) -> None:
    """Replace a previous output of ours; refuse to touch anything else."""
    if path.exists():
        if not (path / marker).is_file():
            raise SystemExit(f"error: {path} exists and is not a generated project; remove it")
        shutil.rmtree(path)
    path.mkdir(parents=True)


def write_rocky_project(
    models: Sequence[ModelSpec], path: Path, *, rows: int = DEFAULT_ROWS, threads: int = 4
) -> None:
    """Write ``rocky.toml``, ``models/`` (SQL or DSL + sidecars) and ``data/seed.sql``."""
    _prepare(path, "rocky.toml")
    (path / "rocky.toml").write_text(_ROCKY_TOML.format(threads=threads))
    models_dir = path / "models"
    models_dir.mkdir()
    for m in models:
        suffix, text = rocky_model_text(m)
        (models_dir / f"{m.name}{suffix}").write_text(text)
        (models_dir / f"{m.name}.toml").write_text(_sidecar(m))
    (path / "data").mkdir()
    (path / "data" / "seed.sql").write_text(seed_sql(models, rows))


_COLUMNS = {
    "sources": ("id", "name", "category", "amount", "status", "created_at", "updated_at"),
    "staging": ("id", "name_clean", "category_clean", "amount", "created_at", "updated_at", "rn"),
    "intermediate": ("id", "name_clean", "category_clean", "record_count", "total_amount"),
    "marts": ("id", "tier", "cumulative_total", "amount_rank"),
}


def _schema_yml(layer: str, models: Sequence[ModelSpec]) -> str:
    lines = ["version: 2", "", "models:"]
    for m in models:
        lines.append(f"  - name: {m.name}")
        reads = ", ".join(m.deps) if m.deps else f"raw_data.source_{m.index:05d}"
        lines.append(f'    description: "{layer} model {m.index} (reads {reads})"')
        lines.append("    columns:")
        lines += [f"      - name: {c}" for c in _COLUMNS[layer]]
    return "\n".join(lines) + "\n"


def write_dbt_project(
    models: Sequence[ModelSpec], path: Path, *, rows: int = DEFAULT_ROWS, threads: int = 4
) -> None:
    """Write the dbt-duckdb twin: ``dbt_project.yml``, ``profiles.yml``, models per layer."""
    _prepare(path, "dbt_project.yml")
    (path / "dbt_project.yml").write_text(
        "name: rocky_bench\n"
        "version: '1.0.0'\n"
        "config-version: 2\n"
        "profile: rocky_bench\n"
        "model-paths: ['models']\n"
        "seed-paths: ['seeds']\n"
        "models:\n"
        "  rocky_bench:\n"
        "    +materialized: table\n"
    )
    (path / "profiles.yml").write_text(
        "rocky_bench:\n"
        "  target: dev\n"
        "  outputs:\n"
        "    dev:\n"
        "      type: duckdb\n"
        f"      path: {DB_FILE}\n"
        f"      schema: {SCHEMA}\n"
        f"      threads: {threads}\n"
    )
    for layer in LAYERS:
        layer_dir = path / "models" / layer
        layer_dir.mkdir(parents=True)
        in_layer = [m for m in models if m.layer == layer]
        for m in in_layer:
            (layer_dir / f"{m.name}.sql").write_text(dbt_model_sql(m))
        (layer_dir / "schema.yml").write_text(_schema_yml(layer, in_layer))
    (path / "data").mkdir()
    (path / "data" / "seed.sql").write_text(seed_sql(models, rows))


def write_workload(
    scale: int,
    out: Path,
    *,
    tool: str = "both",
    dsl: bool = True,
    rows: int = DEFAULT_ROWS,
    threads: int = 4,
) -> Workload:
    """Plan and write ``<out>/rocky_<scale>`` and/or ``<out>/dbt_<scale>``."""
    models = plan_workload(scale, dsl=dsl)
    rocky_dir = dbt_dir = None
    if tool in ("rocky", "both"):
        rocky_dir = out / f"rocky_{scale}"
        write_rocky_project(models, rocky_dir, rows=rows, threads=threads)
    if tool in ("dbt", "both"):
        dbt_dir = out / f"dbt_{scale}"
        write_dbt_project(models, dbt_dir, rows=rows, threads=threads)
    return Workload(scale, tuple(models), rocky_dir, dbt_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, required=True, help="number of models")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "workloads")
    parser.add_argument("--tool", choices=("rocky", "dbt", "both"), default="both")
    parser.add_argument("--no-dsl", action="store_true", help="write every model as SQL")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per raw table")
    parser.add_argument("--threads", type=int, default=4, help="dbt threads / rocky concurrency")
    args = parser.parse_args(argv)
    try:
        w = write_workload(
            args.scale,
            args.out,
            tool=args.tool,
            dsl=not args.no_dsl,
            rows=args.rows,
            threads=args.threads,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    n_dsl = sum(m.dsl for m in w.models)
    print(f"{len(w.models)} models ({n_dsl} DSL)")
    for d in (w.rocky_dir, w.dbt_dir):
        if d is not None:
            print(f"  {d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
