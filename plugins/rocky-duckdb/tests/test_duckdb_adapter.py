"""DuckDB-specific behaviour: files and catalogs, attach, read-only, threads,
row counts, errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError
from rocky_duckdb import DuckDBAdapter, DuckDBConfig
from sqlglot import exp

from rocky.errors import AdapterError
from rocky.ir import Column, TableRef
from rocky.testing import KitSql
from rocky.types import INT32, INT64, STRING


def open_adapter(tmp_path: Path, **keys: object) -> DuckDBAdapter:
    adapter = DuckDBAdapter(
        DuckDBConfig.model_validate({"type": "duckdb", **keys}), project_dir=tmp_path
    )
    adapter.connect()
    return adapter


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[DuckDBAdapter]:
    adapter = open_adapter(tmp_path)
    yield adapter
    adapter.close()


# -- configuration -----------------------------------------------------------


def test_config_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValidationError, match="databse"):
        DuckDBConfig.model_validate({"type": "duckdb", "databse": "x.duckdb"})
    with pytest.raises(ValidationError, match="read_only needs a database file"):
        DuckDBConfig(read_only=True)
    with pytest.raises(ValidationError, match="not a plain name"):
        DuckDBConfig(extensions=["json; DROP TABLE x"])
    with pytest.raises(ValidationError, match="not a size"):
        DuckDBConfig(memory_limit="lots")
    with pytest.raises(ValidationError):
        DuckDBConfig(threads=0)
    with pytest.raises(ValidationError):
        DuckDBConfig.model_validate({"type": "snowflake"})


def test_paths_resolve_against_the_project_dir(tmp_path: Path) -> None:
    config = DuckDBConfig(
        path="data/playground.duckdb", attach={"other": "side.duckdb", "mem": ":memory:"}
    )
    assert config.database_path(tmp_path) == tmp_path / "data" / "playground.duckdb"
    assert config.attached_paths(tmp_path) == {"other": tmp_path / "side.duckdb", "mem": None}
    assert DuckDBConfig().database_path(tmp_path) is None
    assert DuckDBConfig(path=":memory:").database_path(tmp_path) is None
    absolute = tmp_path / "abs.duckdb"
    assert DuckDBConfig(path=str(absolute)).database_path(Path("/elsewhere")) == absolute


# -- files and catalogs --------------------------------------------------------


def test_file_database_catalog_is_the_file_stem_and_data_persists(tmp_path: Path) -> None:
    adapter = DuckDBAdapter(DuckDBConfig(path="nested/dir/playground.duckdb"), project_dir=tmp_path)
    assert adapter.default_catalog() == "playground"  # known before connecting
    adapter.connect()
    try:
        assert adapter.default_catalog() == "playground"
        adapter.create_schema("playground", "main")
        adapter.execute("CREATE TABLE playground.main.orders AS SELECT 1 AS id, 'a' AS label")
    finally:
        adapter.close()
    assert (tmp_path / "nested" / "dir" / "playground.duckdb").is_file()
    reopened = open_adapter(tmp_path, path="nested/dir/playground.duckdb")
    try:
        assert reopened.describe_table(TableRef("playground", "main", "orders")) == [
            Column("id", INT32, True),
            Column("label", STRING, True),
        ]
        assert reopened.query_rows("SELECT id, label FROM orders") == [(1, "a")]
    finally:
        reopened.close()


def test_in_memory_catalog_is_memory(memory: DuckDBAdapter) -> None:
    assert memory.default_catalog() == "memory"
    memory.execute("CREATE TABLE t (x BIGINT NOT NULL)")
    assert memory.describe_table(TableRef("memory", "main", "t")) == [Column("x", INT64, False)]
    assert memory.describe_table(TableRef(None, None, "T")) == [Column("x", INT64, False)]


def test_attached_catalogs_sit_beside_the_main_file(tmp_path: Path) -> None:
    adapter = open_adapter(
        tmp_path, path="wh.duckdb", attach={"poc": "poc.duckdb", "scratch": ":memory:"}
    )
    kit = KitSql(adapter)
    try:
        for catalog in ("poc", "scratch"):
            adapter.create_schema(catalog, "demo")
            ref = TableRef(catalog, "demo", "t")
            answer = exp.select(exp.alias_(exp.Literal.number(42), "answer"))
            adapter.execute(kit.ctas(ref, answer))
            assert adapter.list_tables(catalog, "demo") == ["t"]
            assert adapter.query_rows(kit.render(kit.select(ref, ["answer"]))) == [(42,)]
        assert adapter.list_tables(None, "demo") == []
    finally:
        adapter.close()
    assert (tmp_path / "poc.duckdb").is_file()


def test_unattached_catalog_is_one_line_with_a_hint(memory: DuckDBAdapter) -> None:
    with pytest.raises(AdapterError) as caught:
        memory.create_schema("poc", "demo")
    text = str(caught.value)
    assert "\n" not in text
    assert "catalogs on this connection: memory" in text
    assert "[adapter.attach]" in text


def test_read_only_reads_but_refuses_writes(tmp_path: Path) -> None:
    writer = open_adapter(tmp_path, path="ro.duckdb")
    writer.execute("CREATE TABLE t AS SELECT 1 AS x")
    writer.close()
    reader = open_adapter(tmp_path, path="ro.duckdb", read_only=True)
    try:
        assert reader.query_rows("SELECT x FROM t") == [(1,)]
        with pytest.raises(AdapterError, match="read-only"):
            reader.execute("INSERT INTO t VALUES (2)")
    finally:
        reader.close()


def test_settings_reach_duckdb(tmp_path: Path) -> None:
    adapter = open_adapter(tmp_path, threads=3, memory_limit="512MiB", extensions=["json"])
    try:
        rows = adapter.query_rows("SELECT current_setting('threads'), json_valid('{\"a\": 1}')")
        assert rows == [(3, True)]
    finally:
        adapter.close()


def test_missing_extension_names_the_install_step(tmp_path: Path) -> None:
    adapter = DuckDBAdapter(DuckDBConfig(extensions=["rocky_no_such_ext"]), project_dir=tmp_path)
    with pytest.raises(AdapterError) as caught:
        adapter.connect()
    assert "cannot load DuckDB extension 'rocky_no_such_ext'" in str(caught.value)
    assert "INSTALL rocky_no_such_ext" in str(caught.value)
    with pytest.raises(AdapterError, match="not connected"):
        adapter.execute("SELECT 1")


def test_locked_file_is_one_line_with_a_hint(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            str(tmp_path / "busy.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        adapter = DuckDBAdapter(DuckDBConfig(path="busy.duckdb"), project_dir=tmp_path)
        with pytest.raises(AdapterError) as caught:
            adapter.connect()
        text = str(caught.value)
        assert text.startswith("cannot open DuckDB database ")
        assert "Could not set lock" in text and "another process has this database open" in text
        assert "\n" not in text and "PID" not in text
    finally:
        holder.kill()
        holder.communicate()  # reaps the process and closes its pipes


# -- statements ----------------------------------------------------------------


def test_rows_affected_per_statement(memory: DuckDBAdapter) -> None:
    assert memory.execute("CREATE TABLE t AS SELECT range AS id FROM range(10)").rows_affected == 10
    assert memory.execute("INSERT INTO t SELECT range FROM range(3)").rows_affected == 3
    assert memory.execute("UPDATE t SET id = id + 100 WHERE id < 2").rows_affected == 4
    assert memory.execute("DELETE FROM t WHERE id >= 100").rows_affected == 4
    merge = (
        "MERGE INTO t USING (SELECT 5 AS id UNION ALL SELECT 500) AS s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)"
    )
    assert memory.execute(merge).rows_affected == 2
    assert memory.execute("CREATE SCHEMA s").rows_affected is None
    assert memory.execute("SELECT * FROM t").rows_affected is None


def test_errors_are_one_line_with_did_you_mean(memory: DuckDBAdapter) -> None:
    memory.execute("CREATE TABLE orders (id INT)")
    with pytest.raises(AdapterError) as caught:
        memory.execute("SELECT * FROM order_s")
    text = str(caught.value)
    assert text.startswith("duckdb: Catalog Error: Table with name order_s does not exist!")
    assert "Did you mean" in text and "\n" not in text and "LINE 1" not in text
    with pytest.raises(AdapterError, match=r"^duckdb: Parser Error: syntax error"):
        memory.execute("SELEC 1")
    with pytest.raises(AdapterError, match="Conversion Error"):
        memory.query_arrow("SELECT CAST('abc' AS INT)")


def test_query_arrow_of_a_statement_without_rows(memory: DuckDBAdapter) -> None:
    table = memory.query_arrow("CREATE TABLE t (x INT)")
    assert table.num_rows == 0
    assert memory.table_exists(TableRef(None, "main", "t"))


def test_each_thread_has_its_own_cursor_and_transaction(memory: DuckDBAdapter) -> None:
    memory.execute("CREATE TABLE t (x INT)")
    began = threading.Event()
    checked = threading.Event()
    seen: dict[str, object] = {}

    def writer() -> None:
        memory.execute("BEGIN")
        memory.execute("INSERT INTO t VALUES (1)")
        began.set()
        checked.wait(10)
        memory.execute("COMMIT")

    thread = threading.Thread(target=writer)
    thread.start()
    assert began.wait(10)
    seen["during"] = memory.query_rows("SELECT count(*) FROM t")  # another cursor
    checked.set()
    thread.join(10)
    assert seen["during"] == [(0,)]
    assert memory.query_rows("SELECT count(*) FROM t") == [(1,)]


def test_models_run_concurrently_from_worker_threads(tmp_path: Path) -> None:
    adapter = open_adapter(tmp_path, path="concurrent.duckdb")
    kit = KitSql(adapter)
    errors: list[BaseException] = []

    def build(i: int) -> None:
        try:
            numbers = exp.select(exp.alias_(exp.column("range"), "n")).from_(
                exp.func("range", exp.Literal.number(i * 100))
            )
            result = adapter.execute(kit.ctas(TableRef(None, "main", f"model_{i}"), numbers))
            assert result.rows_affected == i * 100
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert errors == []
        assert len(adapter.list_tables(None, "main")) == 8
    finally:
        adapter.close()


def test_close_is_safe_twice_and_cancel_when_idle(memory: DuckDBAdapter) -> None:
    memory.cancel()  # nothing running: nothing happens
    assert memory.query_rows("SELECT 1") == [(1,)]
    memory.close()
    memory.close()
    with pytest.raises(AdapterError, match="not connected"):
        memory.query_rows("SELECT 1")


def test_engine_version_is_the_duckdb_library(memory: DuckDBAdapter) -> None:
    assert memory.engine_version() == duckdb.__version__
