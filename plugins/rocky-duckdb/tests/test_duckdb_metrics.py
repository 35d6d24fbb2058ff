"""bytes_scanned / bytes_written as DuckDB's profiler reports them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rocky_duckdb import DuckDBAdapter, DuckDBConfig
from rocky_duckdb.metrics import metrics_from_profile
from sqlglot import exp


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[DuckDBAdapter]:
    adapter = DuckDBAdapter(DuckDBConfig(path="m.duckdb"), project_dir=tmp_path)
    adapter.connect()
    adapter.execute(
        "CREATE TABLE t AS SELECT range AS id, range::VARCHAR AS label FROM range(5000)"
    )
    yield adapter
    adapter.close()


def test_ctas_reports_bytes_read_and_written(adapter: DuckDBAdapter) -> None:
    result = adapter.execute("CREATE TABLE copy AS SELECT id, label FROM t")
    assert result.rows_affected == 5000
    assert result.bytes_scanned is not None and result.bytes_scanned > 0
    assert result.bytes_written is not None and result.bytes_written > 0
    # every row that was scanned was written
    assert result.bytes_written == result.bytes_scanned


def test_filters_reduce_bytes_scanned(adapter: DuckDBAdapter) -> None:
    everything = adapter.execute("SELECT id, label FROM t")
    some = adapter.execute("SELECT id, label FROM t WHERE id < 100")
    assert everything.bytes_scanned is not None and some.bytes_scanned is not None
    assert 0 < some.bytes_scanned < everything.bytes_scanned
    assert everything.bytes_written is None  # a query writes nothing


def test_generated_rows_scan_nothing(adapter: DuckDBAdapter) -> None:
    result = adapter.execute("CREATE TABLE gen AS SELECT range AS n FROM range(1000)")
    assert result.bytes_scanned == 0
    assert result.bytes_written is not None and result.bytes_written > 0
    assert adapter.execute("SELECT 1").bytes_scanned == 0


def test_statements_without_figures_report_none(adapter: DuckDBAdapter) -> None:
    ddl = adapter.execute("CREATE SCHEMA extra")
    assert (ddl.bytes_scanned, ddl.bytes_written) == (None, None)
    alter = adapter.execute("ALTER TABLE t ALTER COLUMN id SET DATA TYPE HUGEINT")
    assert (alter.bytes_scanned, alter.bytes_written) == (None, None)
    delete = adapter.execute("DELETE FROM t WHERE id < 10")
    assert delete.rows_affected == 10
    assert delete.bytes_written is None  # deletion markers are not measured


def test_merge_counts_its_insert_and_update_actions(adapter: DuckDBAdapter) -> None:
    adapter.execute("CREATE TABLE target (id BIGINT, label VARCHAR)")
    adapter.execute("INSERT INTO target SELECT id, label FROM t WHERE id < 10")
    merge = adapter.execute(
        "MERGE INTO target USING (SELECT id, label FROM t WHERE id < 20) AS s ON target.id = s.id "
        "WHEN MATCHED THEN UPDATE SET label = s.label "
        "WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.label)"
    )
    assert merge.rows_affected == 20
    assert merge.bytes_written is not None and merge.bytes_written > 0


def test_copy_and_file_scans(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    copy = exp.Copy(
        this=exp.to_table("t"),
        kind=False,
        files=[exp.Literal.string(str(out))],
        params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))],
    )
    copied = adapter.execute(copy.sql(dialect="duckdb"))
    assert copied.bytes_written is not None and copied.bytes_written > 0
    scan = exp.select("label").from_(exp.func("read_parquet", exp.Literal.string(str(out))))
    read = adapter.execute(scan.sql(dialect="duckdb"))
    assert read.bytes_scanned is not None and read.bytes_scanned > 0


@pytest.mark.parametrize(
    "profile", ["", "not json", "[]", '{"operator": "x"}', '{"result": "disabled"}']
)
def test_unreadable_profiles_give_unknown_figures(profile: str) -> None:
    figures = metrics_from_profile(profile)
    assert (figures.bytes_scanned, figures.bytes_written) == (None, None)
