"""The pieces a large compile leans on: the table walk, the dependency guess,
one parser reused for every model, interned references and columns, and a
worker that can be started ahead of the compile."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
from compiler_helpers import SEED_T, write_project
from sqlglot import exp

from rocky.compiler import CompileOptions, compile_project
from rocky.compiler import worker as worker_mod
from rocky.compiler.graph import ModelNames, guess_deps
from rocky.compiler.lineage import edges_for
from rocky.compiler.packing import Unpacker, front_blob, pack_result
from rocky.compiler.parse import (
    ParseFailure,
    get_dialect,
    parse_prepared,
    table_parts,
    table_references,
)
from rocky.compiler.results import FrontEnd, ModelResult
from rocky.compiler.scope import Rel
from rocky.compiler.vars import prepare
from rocky.ir import Column, ColumnRef, LineageEdge
from rocky.project import load_project
from rocky.types import INT64, STRING, UNKNOWN

# Where worker processes cannot start (no pipes with select), these tests
# have nothing to check.
needs_workers = pytest.mark.skipif(
    not worker_mod.available(), reason="no worker processes on this platform"
)

QUERIES = [
    "SELECT a.id FROM raw.orders AS a JOIN customers c ON a.id = c.id",
    "WITH x AS (SELECT * FROM stg_a) SELECT * FROM x JOIN stg_b USING (id)",
    "SELECT (SELECT MAX(v) FROM lookups) AS m, id FROM base WHERE id IN (SELECT id FROM allow)",
    "SELECT id FROM t1 UNION ALL SELECT id FROM t2 EXCEPT SELECT id FROM cat.sch.t3",
    "SELECT * FROM read_parquet('x.parquet') AS p, LATERAL (SELECT 1 FROM inner_t) AS l",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM flags) THEN 1 END AS f FROM one, two",
    "SELECT * REPLACE ((SELECT 2 FROM deep) AS v) FROM wide",
]


def _parse(sql: str) -> exp.Query:
    parsed = parse_prepared(prepare(sql, {}), get_dialect("duckdb"))
    assert not isinstance(parsed, ParseFailure), parsed
    return parsed


def _reference(query: exp.Query) -> list[tuple[str, ...]]:
    """The tables in the order sqlglot's own breadth-first walk meets them."""
    names = []
    for t in query.find_all(exp.Table):
        if isinstance(t.this, exp.Identifier):
            names.append(tuple(p.this for p in t.parts))
    return names


@pytest.mark.parametrize("sql", QUERIES)
def test_table_walk_finds_what_sqlglot_finds(sql: str) -> None:
    query = _parse(sql)
    found = [r.parts for r in table_references(query)]
    ctes = {c.alias.lower() for c in query.find_all(exp.CTE)}
    expected = [p for p in _reference(query) if len(p) > 1 or p[0].lower() not in ctes]
    assert sorted(found) == sorted(expected)
    offsets = [r.offset for r in table_references(query)]
    assert offsets == sorted(offsets)
    assert table_parts(query) == tuple(dict.fromkeys(found))


def test_tables_without_positions_keep_the_walk_order() -> None:
    # built, not parsed (like a lowered DSL model): no offsets, so the order
    # is the breadth-first one
    query = exp.select("*").from_("zeta").join("alpha", on="zeta.id = alpha.id")
    query = query.where(exp.column("id").isin(exp.select("id").from_("mid")))
    assert table_parts(query) == (("zeta",), ("alpha",), ("mid",))
    assert table_parts(query) == tuple(_reference(query))


def test_table_parts_lists_each_table_once_in_source_order() -> None:
    query = _parse("SELECT * FROM b JOIN a ON a.x = b.x JOIN raw.c ON TRUE JOIN b AS b2 ON TRUE")
    assert table_parts(query) == (("b",), ("a",), ("raw", "c"))


def test_one_parser_serves_a_failure_and_the_next_model() -> None:
    dialect = get_dialect("duckdb")
    first = parse_prepared(prepare("SELECT a, FROM WHERE", {}), dialect)
    assert isinstance(first, ParseFailure)
    second = parse_prepared(prepare("SELECT 1 AS x FROM t", {}), dialect)
    assert isinstance(second, exp.Select)
    assert second.sql(dialect="duckdb") == "SELECT 1 AS x FROM t"
    third = parse_prepared(prepare("SELECT 1; SELECT 2", {}), dialect)
    assert isinstance(third, ParseFailure) and "2 statements" in third.message


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("select * from a join b on true", ["a", "b"]),
        ("select datefrom c", []),  # `from` inside a word is no keyword
        ("select xfrom from a", ["a"]),
        ("select 1 from_x from b", ["b"]),
        ("select éfrom b, 1 from\njoin a", []),
        ("from a", ["a"]),
        ('select * from "b" left join [a] on true', ["b", "a"]),
        ("select * from a.b", ["a"]),
    ],
)
def test_guessed_dependencies_start_at_a_keyword(text: str, reads: list[str]) -> None:
    names = ModelNames(["a", "b", "c", "self"])
    assert guess_deps("self", text, [], names) == reads


def test_unpacked_references_and_columns_are_shared() -> None:
    unpack = Unpacker()
    assert unpack.ref("m", "id") is unpack.ref("m", "id")
    result = ModelResult(
        (Column("id", INT64, False), Column("label", STRING, True)),
        True,
        (
            LineageEdge(ColumnRef("up", "id"), ColumnRef("m", "id"), "direct"),
            LineageEdge(ColumnRef("up", "name"), ColumnRef("m", "label"), "cast"),
            LineageEdge(ColumnRef("up", "id"), ColumnRef("m", "*"), "filter"),
        ),
        (),
    )
    blob = marshal.dumps(pack_result(result))
    one = unpack.result("m", marshal.loads(blob))
    two = unpack.result("m", marshal.loads(blob))
    assert one == result
    assert one.lineage[0].target is unpack.ref("m", "id")
    assert all(a.source is b.source for a, b in zip(one.lineage, two.lineage, strict=True))
    assert one.columns[0] is two.columns[0]


def test_a_front_end_shares_the_model_text_it_equals() -> None:
    text = "SELECT 1 AS id"
    front = FrontEnd(text, (("t",),), False, False, True, False, ())
    blob = front_blob(front)
    source = "".join(["SELECT 1 ", "AS id"])  # equal, another object
    same = Unpacker().front_blob(blob, source)
    assert same == front and same.sql is source
    other = Unpacker().front_blob(blob, "SELECT 2 AS id")
    assert other.sql == text


def test_edges_use_the_given_references() -> None:
    unpack = Unpacker()
    lineage = {ColumnRef("b", "x"): "direct", ColumnRef("a", "x"): "cast"}
    edges = edges_for("m", [("x", lineage), ("y", {})], ref=unpack.ref)
    assert [(e.source.model, e.target.column, e.transform) for e in edges] == [
        ("a", "x", "cast"),
        ("b", "x", "direct"),
    ]
    assert edges[0].target is unpack.ref("m", "x")
    assert edges == edges_for("m", [("x", lineage), ("y", {})])


def test_an_incomplete_relation_answers_each_unlisted_name_once() -> None:
    rel = Rel.of([], False, ("raw.t",))
    first = rel.fallback("amount")
    assert first is rel.fallback("amount")
    assert first.type == UNKNOWN and first.nullable
    assert dict(first.lineage) == {ColumnRef("raw.t", "amount"): "direct"}
    assert rel.fallback("other") is not first
    assert Rel.of([], False).fallback("x").lineage == {}


def test_models_sharing_a_strategy_get_their_own_ir_strategy(tmp_path: Path) -> None:
    files = {
        "data/seed.sql": SEED_T,
        "models/a.sql": "SELECT i FROM raw.t",
        "models/b.sql": "SELECT i FROM a",
    }
    root = write_project(tmp_path / "p", files)
    ir = compile_project(
        load_project(root / "rocky.toml"), CompileOptions(with_seed=True, cache=False)
    ).ir
    a, b = ir.models["a"], ir.models["b"]
    assert a.strategy == b.strategy == {"type": "full_refresh"}
    a.strategy["type"] = "changed"
    assert b.strategy == {"type": "full_refresh"}


@needs_workers
def test_a_started_worker_is_handed_over_and_ends_when_closed() -> None:
    assert worker_mod.prestart()
    try:
        spare = worker_mod._SPARE
        assert spare is not None
        assert worker_mod.prestart()  # idempotent
        assert worker_mod._SPARE is spare
        taken = worker_mod.WorkerClient.take()
        assert taken is spare and worker_mod._SPARE is None
        assert taken.wait_ready(60)
    finally:
        worker_mod.drop_spare()
    taken.close()
    assert taken.proc.returncode == 0
    fresh = worker_mod.WorkerClient.take()  # nothing started ahead: a new one
    try:
        assert fresh is not taken and fresh.wait_ready(60)
    finally:
        fresh.close()


@needs_workers
def test_a_dead_started_worker_is_replaced() -> None:
    assert worker_mod.prestart()
    spare = worker_mod._SPARE
    assert spare is not None
    spare.proc.kill()
    spare.proc.wait()
    taken = worker_mod.WorkerClient.take()
    try:
        assert taken is not spare and taken.wait_ready(60)
    finally:
        taken.close()


@needs_workers
def test_a_started_worker_nobody_takes_can_be_ended() -> None:
    assert worker_mod.prestart()
    spare = worker_mod._SPARE
    assert spare is not None
    worker_mod.drop_spare()
    assert worker_mod._SPARE is None
    assert spare.proc.returncode == 0  # closed and waited for
