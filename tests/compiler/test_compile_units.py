"""Spans, the DAG, @var substitution, the schema providers and the cache."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from compiler_helpers import only, write_project

from rocky.compiler import CompileOptions, compile_project, emit_sql, parse_var_pairs
from rocky.compiler.dag import order_models
from rocky.compiler.schemas import CatalogProvider
from rocky.compiler.vars import prepare
from rocky.errors import RockyError
from rocky.ir import Column, TableRef
from rocky.project import load_project
from rocky.types import from_warehouse

Compile = Callable[..., Any]


# -- spans ------------------------------------------------------------------------------
def test_e005_span_is_the_token_even_after_frontmatter_and_vars(compile_files: Compile) -> None:
    sql = (
        '---toml\n[target]\ncatalog = "wh"\nschema = "main"\n---\n'
        'SELECT @var(k, 1) AS k,\n       "id", t.nope\nFROM t\n'
    )
    result = compile_files(
        {"data/seed.sql": "CREATE TABLE t (id INTEGER);", "models/m.sql": sql}, with_seed=True
    )
    (e005,) = only(result, "E005")
    assert e005.span is not None
    assert (e005.span.file, e005.span.line, e005.span.col) == ("models/m.sql", 7, 14)


def test_parse_error_span_and_join_key_span(compile_files: Compile) -> None:
    result = compile_files({"models/m.sql": "SELECT a\nFROM t\nWHERE (a = 1\n"})
    (e002,) = only(result, "E002")
    assert e002.span is not None and e002.span.line >= 3
    seed = "CREATE TABLE t (id INTEGER); CREATE TABLE s (id VARCHAR);"
    joined = compile_files(
        {"data/seed.sql": seed, "models/m.sql": "SELECT t.id\nFROM t\n  JOIN s ON t.id = s.id"},
        with_seed=True,
    )
    (e001,) = only(joined, "E001")
    assert e001.span is not None and (e001.span.line, e001.span.col) == (3, 13)


def test_unterminated_string_points_at_its_quote(compile_files: Compile) -> None:
    (e002,) = only(compile_files({"models/m.sql": "SELECT 1 AS a,\n  'oops AS b"}), "E002")
    assert e002.span is not None and (e002.span.line, e002.span.col) == (2, 3)


# -- DAG --------------------------------------------------------------------------------
def test_kahn_order_alphabetical_tie_break_and_layers() -> None:
    order = order_models({"d": ["b", "c"], "c": ["a"], "b": ["a"], "a": [], "e": []})
    assert order.order == ["a", "b", "c", "d", "e"]
    assert order.layers == [["a", "e"], ["b", "c"], ["d"]]
    assert order.cycles == []


def test_cycles_are_reported_once_each() -> None:
    order = order_models({"a": ["c"], "b": ["a"], "c": ["b"], "x": ["a"], "y": []})
    assert order.cycles == [["a", "c", "b", "a"]]
    assert order.order[0] == "y" and set(order.layers[-1]) == {"a", "b", "c", "x"}


def test_cte_shadows_model_and_depends_on_merges(compile_files: Compile) -> None:
    result = compile_files(
        {
            "models/orders.sql": "SELECT 1 AS id",
            "models/m.sql": "WITH orders AS (SELECT 2 AS id) "
            "SELECT id FROM orders JOIN raw.x USING (id)",
            "models/n.sql": "SELECT id FROM Orders",
            "models/n.toml": 'depends_on = ["m"]',
        }
    )
    assert result.ir.models["m"].depends_on == ()
    assert result.ir.models["m"].external_refs == ("raw.x",)
    assert result.ir.models["n"].depends_on == ("m", "orders")


# -- vars -------------------------------------------------------------------------------
def test_var_substitution_defaults_and_comments() -> None:
    p = prepare("SELECT @var(a), @var(b, 'x') -- @var(c)\nWHERE s = '@var(a)'", {"a": "1"})
    assert p.text == "SELECT 1, 'x' -- @var(c)\nWHERE s = '1'"
    assert p.missing == ()
    missing = prepare("SELECT @var(zz)", {})
    assert missing.text == "SELECT NULL" and missing.missing == (("zz", 7),)
    placeholders = prepare("WHERE t >= @start_date AND x = '@end_date'", {})
    assert placeholders.uses_start and placeholders.uses_end
    assert "@start_date" in placeholders.text and "__rocky_start_date__" in placeholders.parse_text
    assert placeholders.source_offset(placeholders.parse_text.index("AND")) == 23


def test_parse_var_pairs() -> None:
    assert parse_var_pairs(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(RockyError):
        parse_var_pairs(["novalue"])
    with pytest.raises(RockyError):
        parse_var_pairs(["9bad=1"])


# -- emit-sql -----------------------------------------------------------------------------
def test_emit_sql_transpiles_and_keeps_placeholders(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "models/m.sql": "SELECT a::BIGINT AS a FROM raw.t "
            "WHERE ts >= @start_date AND n > @var(lo)",
            "models/d.rocky": "from raw.t\nwhere a != 1\n",
        },
    )
    project = load_project(root / "rocky.toml")
    out = emit_sql(project, "m", dialect="snowflake", variables={"lo": "5"}, pretty=False)
    assert out == "SELECT CAST(a AS BIGINT) AS a FROM raw.t WHERE ts >= @start_date AND n > 5"
    assert "IS DISTINCT FROM" in emit_sql(project, "d", pretty=False)
    with pytest.raises(RockyError, match="@var\\(lo\\)"):
        emit_sql(project, "m")
    with pytest.raises(RockyError, match="no model"):
        emit_sql(project, "zzz")


# -- schema providers -----------------------------------------------------------------------
class DuckCatalog:
    """A real DuckDB database answering describe_table, counting calls."""

    def __init__(self, path: Path) -> None:
        self.con = duckdb.connect(str(path))
        self.calls = 0

    def describe_table(self, ref: TableRef) -> list[Column] | None:
        self.calls += 1
        rows = self.con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [ref.schema, ref.table],
        ).fetchall()
        if not rows:
            return None
        return [Column(n, from_warehouse(t), nl == "YES") for n, t, nl in rows]


def test_catalog_provider_types_sources_and_caches_in_the_state_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"models/m.sql": "SELECT id, v FROM lake.events"})
    catalog = DuckCatalog(tmp_path / "wh.duckdb")
    catalog.con.execute(
        "CREATE SCHEMA lake; CREATE TABLE lake.events (id BIGINT NOT NULL, v VARCHAR)"
    )
    project = load_project(root / "rocky.toml")
    state = root / ".rocky-state.sqlite"
    ir = compile_project(project, CompileOptions(catalog=catalog, state_path=state, cache=False)).ir
    assert [(c.name, str(c.type), c.nullable) for c in ir.models["m"].columns] == [
        ("id", "Int64", False),
        ("v", "String", True),
    ]
    assert catalog.calls == 1
    compile_project(project, CompileOptions(catalog=catalog, state_path=state, cache=False))
    assert catalog.calls == 1  # served from schema_cache
    compile_project(
        project, CompileOptions(catalog=catalog, state_path=state, cache=False, cache_ttl=0)
    )
    assert catalog.calls == 2
    with sqlite3.connect(state) as db:
        ((key, fetched),) = db.execute("SELECT key, fetched_at FROM schema_cache").fetchall()
    assert key.endswith("lake.events") and fetched.endswith("Z")
    missing = compile_project(
        load_project(
            write_project(tmp_path / "q", {"models/m.sql": "SELECT id FROM lake.nothing"})
            / "rocky.toml"
        ),
        CompileOptions(catalog=catalog, state_path=state, cache=False),
    )
    assert [d.code for d in missing.ir.diagnostics if d.is_error] == ["E003"]
    provider = CatalogProvider(catalog, None, None)
    assert provider.lookup(("lake", "events")) is not None


def test_seed_sql_failure_is_one_clear_error(compile_files: Compile) -> None:
    with pytest.raises(RockyError, match=r"seed\.sql"):
        compile_files(
            {"data/seed.sql": "CREATE TABLE (", "models/m.sql": "SELECT 1 AS x"}, with_seed=True
        )


def test_seeds_csv_type_the_sources(compile_files: Compile) -> None:
    result = compile_files(
        {
            "seeds/people.csv": "id,name,score\n1,ada,2.5\n",
            "models/m.sql": "SELECT id, name, score FROM seeds.people",
        }
    )
    assert [(c.name, str(c.type)) for c in result.ir.models["m"].columns] == [
        ("id", "Int64"),
        ("name", "String"),
        ("score", "Float64"),
    ]


def test_model_option_compiles_the_upstream_closure(compile_files: Compile) -> None:
    result = compile_files(
        {
            "models/a.sql": "SELECT 1 AS x",
            "models/b.sql": "SELECT x FROM a",
            "models/c.sql": "SELECT nope FROM zz WHERE",
        },
        model="b",
    )
    assert list(result.ir.models) == ["a", "b"] and result.ir.diagnostics == []
    with pytest.raises(RockyError):
        compile_files({"models/a.sql": "SELECT 1 AS x"}, model="zz")
