"""Each diagnostic code fires on a project made to trigger it, and stays
quiet on a near miss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compiler_helpers import codes, only

from rocky.diagnostics import Severity

Compile = Callable[..., Any]
SEED = (
    "CREATE TABLE t (id INTEGER NOT NULL, big BIGINT NOT NULL, name VARCHAR,"
    " ts TIMESTAMP NOT NULL, d DATE NOT NULL, tn TIMESTAMP);\n"
)


def _ti(compile_files: Compile, sql: str, strategy: str) -> list[str]:
    result = compile_files(
        {
            "data/seed.sql": SEED,
            "models/m.sql": sql,
            "models/m.toml": f'[strategy]\ntype = "time_interval"\n{strategy}\n',
        },
        with_seed=True,
    )
    return [c for c in codes(result, "m") if c != "W005"]


GOOD_WINDOW = "SELECT ts, id FROM t WHERE ts >= @start_date AND ts < @end_date"


def test_e001_and_w001_join_keys(compile_files: Compile) -> None:
    seed = SEED + "CREATE TABLE s (id VARCHAR, n BIGINT, m INTEGER);\n"
    bad = compile_files(
        {"data/seed.sql": seed, "models/m.sql": "SELECT t.id FROM t JOIN s ON t.id = s.id"},
        with_seed=True,
    )
    (e001,) = only(bad, "E001")
    assert e001.severity is Severity.ERROR and "Int32" in e001.message and "String" in e001.message
    warn = compile_files(
        {"data/seed.sql": seed, "models/m.sql": "SELECT t.id FROM t JOIN s ON t.id = s.n"},
        with_seed=True,
    )
    assert codes(warn, "m").count("W001") == 1 and "E001" not in codes(warn)
    same = compile_files(
        {"data/seed.sql": seed, "models/m.sql": "SELECT t.id FROM t JOIN s ON t.id = s.m"},
        with_seed=True,
    )
    assert not {"E001", "W001"} & set(codes(same))
    using = compile_files(
        {
            "data/seed.sql": seed + "CREATE TABLE v (id VARCHAR);",
            "models/m.sql": "SELECT * FROM t JOIN v USING (id)",
        },
        with_seed=True,
    )
    assert "E001" in codes(using)


def test_e002_parse_error_and_non_select(compile_files: Compile) -> None:
    result = compile_files(
        {"models/m.sql": "SELECT a,\n  (b FROM t", "models/ok.sql": "SELECT 1 AS x"}
    )
    (e002,) = only(result, "E002")
    assert e002.model == "m" and e002.span is not None and e002.span.line == 2
    assert "E002" not in codes(result, "ok")
    ddl = compile_files({"models/m.sql": "CREATE TABLE x (a INT)"})
    assert codes(ddl, "m") == ["E002"]
    two = compile_files({"models/m.sql": "SELECT 1; SELECT 2"})
    assert codes(two, "m") == ["E002"]


def test_e003_only_when_the_catalog_is_complete(compile_files: Compile) -> None:
    files = {"data/seed.sql": SEED, "models/m.sql": "SELECT * FROM raw.missing"}
    assert "E003" in codes(compile_files(files, with_seed=True), "m")
    assert "E003" not in codes(compile_files(files), "m")
    fine = compile_files(
        {"data/seed.sql": SEED, "models/m.sql": "SELECT id FROM t"}, with_seed=True
    )
    assert "E003" not in codes(fine)


def test_e004_cycle_names_the_path(compile_files: Compile) -> None:
    result = compile_files(
        {
            "models/a.sql": "SELECT x FROM b",
            "models/b.sql": "SELECT x FROM a",
            "models/c.sql": "SELECT x FROM a",
        }
    )
    e004 = only(result, "E004")
    assert {d.model for d in e004} == {"a", "b"}
    assert all("a -> b -> a" in d.message for d in e004)
    assert list(result.ir.models) == ["a", "b", "c"]
    ok = compile_files({"models/a.sql": "SELECT 1 AS x", "models/b.sql": "SELECT x FROM a"})
    assert "E004" not in codes(ok)


def test_e005_unknown_column_only_with_a_known_schema(compile_files: Compile) -> None:
    result = compile_files(
        {"data/seed.sql": SEED, "models/m.sql": "SELECT id, nmae FROM t"}, with_seed=True
    )
    (e005,) = only(result, "E005")
    assert "nmae" in e005.message and e005.suggestion == "did you mean 'name'?"
    unknown = compile_files({"models/m.sql": "SELECT id, nmae FROM raw.t"})
    assert "E005" not in codes(unknown)
    alias = compile_files(
        {
            "data/seed.sql": SEED,
            "models/m.sql": "SELECT id * 2 AS twice FROM t WHERE twice > 2 ORDER BY twice",
        },
        with_seed=True,
    )
    assert "E005" not in codes(alias)


def test_e006_dsl_error_points_at_the_token(compile_files: Compile) -> None:
    result = compile_files({"models/m.rocky": "from orders\nwhere ==\n"})
    (e006,) = only(result, "E006")
    assert e006.span is not None and e006.span.line == 2
    ok = compile_files({"models/m.rocky": "from orders\nwhere a == 1\n"})
    assert "E006" not in codes(ok)


def test_e007_depends_on_unknown_model(compile_files: Compile) -> None:
    result = compile_files(
        {"models/m.sql": "SELECT 1 AS x", "models/m.toml": 'depends_on = ["nope"]'}
    )
    (e007,) = only(result, "E007")
    assert e007.severity is Severity.ERROR and "nope" in e007.message
    ok = compile_files(
        {
            "models/a.sql": "SELECT 1 AS x",
            "models/m.sql": "SELECT 1 AS x",
            "models/m.toml": 'depends_on = ["a"]',
        }
    )
    assert "E007" not in codes(ok) and ok.ir.models["m"].depends_on == ("a",)


def test_e020_to_e026_and_w003(compile_files: Compile) -> None:
    day = 'time_column = "ts"\ngranularity = "day"'
    assert _ti(compile_files, GOOD_WINDOW, day) == []
    assert "E020" in _ti(compile_files, GOOD_WINDOW, 'time_column = "nope"\ngranularity = "day"')
    assert "E021" in _ti(
        compile_files,
        GOOD_WINDOW.replace("ts, id", "ts, id, name"),
        'time_column = "name"\ngranularity = "day"',
    )
    assert "E022" in _ti(
        compile_files,
        GOOD_WINDOW.replace("ts, id", "tn, ts"),
        'time_column = "tn"\ngranularity = "day"',
    )
    assert "E022" not in _ti(
        compile_files,
        GOOD_WINDOW.replace("ts, id", "tn, ts") + " AND tn IS NOT NULL",
        'time_column = "tn"\ngranularity = "day"',
    )
    assert "E023" in _ti(compile_files, GOOD_WINDOW, 'time_column = "t s"\ngranularity = "day"')
    assert "E024" in _ti(compile_files, "SELECT ts FROM t", day)
    assert "W003" in _ti(compile_files, "SELECT ts FROM t WHERE ts >= @start_date", day)
    assert "E025" in _ti(
        compile_files,
        GOOD_WINDOW.replace("ts, id", "d, ts"),
        'time_column = "d"\ngranularity = "hour"',
    )
    assert "E025" not in _ti(
        compile_files,
        GOOD_WINDOW.replace("ts, id", "d, ts"),
        'time_column = "d"\ngranularity = "day"',
    )
    assert "E026" in _ti(compile_files, GOOD_WINDOW, day + '\nfirst_partition = "2024-1-5"')
    assert "E026" not in _ti(compile_files, GOOD_WINDOW, day + '\nfirst_partition = "2024-01-05"')


def test_e028_unbound_var_points_at_it(compile_files: Compile) -> None:
    files = {"models/m.sql": "SELECT 1 AS x\nWHERE 1 > @var(min_amount)"}
    (e028,) = only(compile_files(files), "E028")
    assert e028.span is not None and (e028.span.line, e028.span.col) == (2, 11)
    assert "E028" not in codes(compile_files(files, vars={"min_amount": "5"}))
    assert "E028" not in codes(compile_files({"models/m.sql": "SELECT @var(n, 3) AS x"}))


def test_e036_shared_target_once_per_model(compile_files: Compile) -> None:
    sidecar = '[target]\ncatalog = "wh"\nschema = "main"\ntable = "Shared"\n'
    result = compile_files(
        {
            "models/a.sql": "SELECT 1 AS x",
            "models/a.toml": sidecar,
            "models/b.sql": "SELECT 1 AS x",
            "models/b.toml": sidecar.replace("Shared", "shared"),
        }
    )
    assert sorted(d.model for d in only(result, "E036")) == ["a", "b"]
    ok = compile_files({"models/a.sql": "SELECT 1 AS x", "models/b.sql": "SELECT 1 AS x"})
    assert "E036" not in codes(ok)


def test_w002_and_i001_select_star(compile_files: Compile) -> None:
    unknown = compile_files({"models/m.sql": "SELECT * FROM raw.t"})
    assert "W002" in codes(unknown, "m") and not unknown.ir.models["m"].schema_complete
    known = compile_files(
        {"data/seed.sql": SEED, "models/m.sql": "SELECT * FROM t"}, with_seed=True
    )
    assert "I001" in codes(known, "m") and "W002" not in codes(known)
    plain = compile_files(
        {"data/seed.sql": SEED, "models/m.sql": "SELECT id FROM t"}, with_seed=True
    )
    assert not {"I001", "W002"} & set(codes(plain))


def test_w005_freshness(compile_files: Compile) -> None:
    sql = "SELECT ts FROM t"
    base = {"data/seed.sql": SEED, "models/m.sql": sql}
    assert "W005" in codes(compile_files(base, with_seed=True), "m")
    fresh = {**base, "models/m.toml": "[freshness]\nmax_lag_seconds = 3600\n"}
    assert "W005" not in codes(compile_files(fresh, with_seed=True))
    view = {**base, "models/m.toml": '[strategy]\ntype = "view"\n'}
    assert "W005" not in codes(compile_files(view, with_seed=True))


def test_w006_merge_unique_key(compile_files: Compile) -> None:
    merge = '[strategy]\ntype = "merge"\nunique_key = ["{}"]\n'
    bad = compile_files(
        {
            "data/seed.sql": SEED,
            "models/m.sql": "SELECT id FROM t",
            "models/m.toml": merge.format("key"),
        },
        with_seed=True,
    )
    assert "W006" in codes(bad, "m")
    good = compile_files(
        {
            "data/seed.sql": SEED,
            "models/m.sql": "SELECT id FROM t",
            "models/m.toml": merge.format("ID"),
        },
        with_seed=True,
    )
    assert "W006" not in codes(good)


def test_i002_lists_unknown_columns(compile_files: Compile) -> None:
    result = compile_files({"models/m.sql": "SELECT a, 1 AS one FROM raw.t"})
    (i002,) = only(result, "I002")
    assert i002.severity is Severity.INFO and "a" in i002.message and "one" not in i002.message
    assert "I002" not in codes(compile_files({"models/m.sql": "SELECT 1 AS one"}))


def test_p002_select_star_with_named_consumers(compile_files: Compile) -> None:
    files = {
        "data/seed.sql": SEED,
        "models/a.sql": "SELECT * FROM t",
        "models/b.sql": "SELECT id, name FROM a",
    }
    (p002,) = only(compile_files(files, with_seed=True), "P002")
    assert p002.model == "a" and "`b` (id, name)" in p002.message
    lonely = {"data/seed.sql": SEED, "models/a.sql": "SELECT * FROM t"}
    assert "P002" not in codes(compile_files(lonely, with_seed=True))


def test_exit_relevant_has_errors(compile_files: Compile) -> None:
    assert compile_files({"models/m.sql": "SELEC"}).has_errors
    assert not compile_files({"models/m.sql": "SELECT 1 AS x"}).has_errors
