"""Row lineage: ``join_key`` and ``filter`` edges into the model as a whole
(target column ``*``), next to the value edges of each output column."""

from __future__ import annotations

from pathlib import Path

from compiler_helpers import Compile, write_project

from rocky.compiler import CompileOptions, compile_project
from rocky.ir import ModelIR, canonical_json
from rocky.lineage import LineageGraph
from rocky.project import load_project

SEED = """\
CREATE TABLE orders (id INTEGER NOT NULL, customer_id INTEGER, amount DECIMAL(10,2),
                     status VARCHAR, ts TIMESTAMP);
CREATE TABLE customers (id INTEGER NOT NULL, name VARCHAR, region VARCHAR);
"""


def _rows(model: ModelIR) -> list[tuple[str, str]]:
    """(source, transform) of the model's row edges, in IR order."""
    out = []
    for e in model.lineage:
        if e.target.column == "*":
            assert e.target.model == model.name
            out.append((f"{e.source.model}.{e.source.column}", e.transform))
    return out


def _values(model: ModelIR) -> list[tuple[str, str, str]]:
    return [
        (f"{e.source.model}.{e.source.column}", e.target.column, e.transform)
        for e in model.lineage
        if e.target.column != "*"
    ]


def test_join_keys_and_filters_of_one_select(compile_files: Compile) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED,
            "models/m.sql": """
                SELECT o.id, c.name, o.amount
                FROM orders AS o
                JOIN customers AS c ON o.customer_id = c.id AND c.region = 'EU'
                WHERE o.status <> 'void'
            """,
        },
        with_seed=True,
    )
    m = result.ir.models["m"]
    assert _values(m) == [
        ("orders.id", "id", "direct"),
        ("customers.name", "name", "direct"),
        ("orders.amount", "amount", "direct"),
    ]
    assert _rows(m) == [
        ("customers.id", "join_key"),
        ("customers.region", "join_key"),
        ("orders.customer_id", "join_key"),
        ("orders.status", "filter"),
    ]


def test_using_having_qualify_and_aggregate_filter(compile_files: Compile) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED,
            "models/m.sql": """
                SELECT id, SUM(amount) FILTER (WHERE status = 'paid') AS paid
                FROM orders JOIN customers USING (id)
                GROUP BY id
                HAVING COUNT(*) > 1
                QUALIFY ROW_NUMBER() OVER (ORDER BY MAX(ts) DESC) <= 10
            """,
        },
        with_seed=True,
    )
    m = result.ir.models["m"]
    assert not result.ir.has_errors, result.ir.diagnostics
    assert _rows(m) == [
        ("customers.id", "join_key"),
        ("orders.id", "join_key"),
        ("orders.status", "filter"),
        ("orders.ts", "filter"),
    ]
    # FILTER (WHERE ...) and QUALIFY columns are not value lineage
    assert _values(m) == [
        ("orders.id", "id", "direct"),
        ("orders.amount", "paid", "aggregation: sum"),
    ]


def test_row_edges_reach_through_ctes_and_subqueries_to_upstreams(compile_files: Compile) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED,
            "models/stg.sql": "SELECT id, customer_id, amount, status, ts FROM orders",
            "models/m.sql": """
                WITH paid AS (SELECT id, customer_id, amount FROM stg WHERE status = 'paid'),
                     unused AS (SELECT id FROM stg WHERE ts IS NULL)
                SELECT p.id, p.amount
                FROM paid AS p
                WHERE EXISTS (SELECT 1 FROM customers AS c WHERE c.id = p.customer_id)
                  AND p.id IN (SELECT id FROM stg WHERE amount > 0)
            """,
        },
        with_seed=True,
    )
    m = result.ir.models["m"]
    # the CTE's filter column is the upstream model's column; the unused CTE
    # adds nothing; EXISTS / IN subqueries add their own filters
    assert _rows(m) == [
        ("customers.id", "filter"),
        ("stg.amount", "filter"),
        ("stg.customer_id", "filter"),
        ("stg.id", "filter"),
        ("stg.status", "filter"),
    ]
    assert m.depends_on == ("stg",)


def test_union_branches_both_count_and_plain_selects_have_no_row_edges(
    compile_files: Compile,
) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED,
            "models/u.sql": """
                SELECT id FROM orders WHERE status = 'a'
                UNION ALL
                SELECT id FROM customers WHERE region = 'b'
            """,
            "models/plain.sql": "SELECT id, amount * 2 AS doubled FROM orders",
        },
        with_seed=True,
    )
    assert _rows(result.ir.models["u"]) == [
        ("customers.region", "filter"),
        ("orders.status", "filter"),
    ]
    assert _rows(result.ir.models["plain"]) == []


def test_row_edges_survive_the_cache(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "data/seed.sql": SEED,
            "models/m.sql": (
                "SELECT o.id FROM orders o JOIN customers c ON o.customer_id = c.id "
                "WHERE c.region = 'x'"
            ),
        },
    )

    def run() -> str:
        result = compile_project(load_project(root / "rocky.toml"), CompileOptions(with_seed=True))
        return canonical_json([e.to_json() for e in result.ir.models["m"].lineage])

    cold = run()
    assert '"transform":"join_key"' in cold and '"transform":"filter"' in cold
    assert run() == cold


def test_column_traces_stay_value_only_and_blast_radius_names_the_model(
    compile_files: Compile,
) -> None:
    result = compile_files(
        {
            "data/seed.sql": SEED,
            "models/stg.sql": "SELECT id, customer_id, amount FROM orders",
            "models/fct.sql": """
                SELECT s.id, s.amount, c.name
                FROM stg AS s JOIN customers AS c ON s.customer_id = c.id
            """,
        },
        with_seed=True,
    )
    graph = LineageGraph(result.ir)
    trace = graph.trace_upstream("fct", "amount")
    assert [(e.source.model, e.source.column, e.transform) for e in trace] == [
        ("stg", "amount", "direct"),
        ("orders", "amount", "direct"),
    ]
    # stg.customer_id feeds no output column, but fct's rows depend on it
    assert [(r.model, r.column) for r in graph.consumers("stg", "customer_id")] == [("fct", "*")]
