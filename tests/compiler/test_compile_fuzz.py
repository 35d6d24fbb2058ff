"""Random edits of valid SQL never crash the compiler: every failure is a
diagnostic (or, for a broken project file, a RockyError)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from compiler_helpers import write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rocky.compiler import CompileOptions, compile_project
from rocky.errors import RockyError
from rocky.project import load_project

BASE = (
    "WITH c AS (SELECT id, SUM(amount) AS total FROM src GROUP BY id)\n"
    "SELECT c.id, total / 2 AS half, CASE WHEN total > 1 THEN 'a' END AS tag,\n"
    "  ROW_NUMBER() OVER (ORDER BY total) AS rn, @var(k, 1) AS k\n"
    "FROM c LEFT JOIN src s ON c.id = s.id WHERE s.amount IS NOT NULL\n"
)
TOKENS = [
    "(",
    ")",
    ",",
    "'",
    '"',
    "SELECT",
    "FROM",
    "*",
    "@var(",
    "@start_date",
    "--",
    "/*",
    "JOIN",
    "::",
    "CAST(",
    "AS",
    "1",
    ".",
    ";",
    "UNION",
    "OVER (",
    "\n",
    "`",
]


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 6)), max_size=3),
    inserts=st.lists(st.tuples(st.integers(0, len(BASE)), st.sampled_from(TOKENS)), max_size=3),
)
def test_random_edits_are_diagnostics(
    tmp_path: Path, cuts: list[tuple[int, int]], inserts: list[tuple[int, str]]
) -> None:
    sql = BASE
    for pos, n in cuts:
        sql = sql[:pos] + sql[pos + n :]
    for pos, tok in inserts:
        sql = sql[:pos] + tok + sql[pos:]
    root = tmp_path / "fz"
    shutil.rmtree(root, ignore_errors=True)
    write_project(
        root,
        {
            "data/seed.sql": "CREATE TABLE src (id INTEGER NOT NULL, amount DECIMAL(10,2));",
            "models/m.sql": sql,
            "models/n.sql": "SELECT * FROM m",
        },
    )
    try:
        result = compile_project(
            load_project(root / "rocky.toml"), CompileOptions(with_seed=True, cache=False)
        )
    except RockyError:
        return
    for d in result.ir.diagnostics:
        assert d.code and d.message and d.span is not None
        assert d.span.line >= 1 and d.span.col >= 1
    assert set(result.ir.models) == {"m", "n"}
