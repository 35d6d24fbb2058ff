"""``rocky run`` on a multi-model project against the stand-in, through the
CLI in a child process: the production path, with only host, port and
protocol pointing at 127.0.0.1.

The project uses every strategy Snowflake supports here: full refresh, an
ephemeral CTE, a view, a materialized view, incremental, merge,
delete+insert and time_interval. Its SQL is written the way a Snowflake
user writes it, unquoted and lower case, which Snowflake stores upper case.
The project is run twice over: once with its sidecars naming targets and
strategy columns in lower case too (the runner folds them as Snowflake
folds unquoted names), once with them already in the stored case. The
stand-in resolves names without regard to case, so the stored names
(``list_tables``, ``describe_table``) and the recorded statements are what
show the folding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rocky_snowflake import SnowflakeAdapter
from sfstandin import Endpoint, open_database

from rocky.ir import TableRef
from rocky.ledger import Ledger

RAW = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE OR REPLACE TABLE raw.customers (customer_id INT, name VARCHAR, email VARCHAR)",
    "INSERT INTO raw.customers VALUES (10, 'ada', 'ada@example.com'), "
    "(20, 'bob', 'bob@example.com'), (30, 'cy', 'cy@example.com')",
    "CREATE OR REPLACE TABLE raw.orders (order_id INT, customer_id INT, amount NUMBER(10,2), "
    "status VARCHAR, updated_at TIMESTAMP_NTZ)",
    "INSERT INTO raw.orders VALUES "
    "(1, 10, 12.50, 'paid', '2024-03-01 09:00:00'), "
    "(2, 10, 7.50, 'paid', '2024-03-01 15:30:00'), "
    "(3, 20, 30.00, 'open', '2024-03-02 08:00:00'), "
    "(4, 30, 4.25, 'cancelled', '2024-03-02 11:00:00')",
]

MORE = [
    "INSERT INTO raw.orders VALUES (5, 30, 20.00, 'paid', '2024-03-03 10:00:00')",
    "UPDATE raw.customers SET name = 'ada lovelace' WHERE customer_id = 10",
    "INSERT INTO raw.customers VALUES (40, 'dee', 'dee@example.com')",
]


# name -> (SQL, [strategy] keys). Models land in the session's schema
# (PUBLIC), so a bare model name in SQL is both a DAG edge for rocky and the
# table Snowflake resolves; raw tables are named ``raw.<table>``.
MODELS: dict[str, tuple[str, dict[str, str]]] = {
    "stg_orders": (
        "SELECT order_id, customer_id, amount, status, updated_at\n"
        "FROM raw.orders WHERE status <> 'cancelled'",
        {"type": "full_refresh"},
    ),
    "customer_names": (
        "SELECT customer_id, name FROM raw.customers",
        {"type": "ephemeral"},
    ),
    "fct_revenue": (
        "SELECT c.name, SUM(o.amount) AS amount, COUNT(*) AS orders\n"
        "FROM stg_orders AS o JOIN customer_names AS c ON c.customer_id = o.customer_id\n"
        "GROUP BY c.name",
        {"type": "full_refresh"},
    ),
    "big_orders": (
        "SELECT order_id, amount FROM stg_orders WHERE amount > 10",
        {"type": "view"},
    ),
    "status_counts": (
        "SELECT status, COUNT(*) AS n FROM raw.orders GROUP BY status",
        {"type": "materialized_view"},
    ),
    "order_log": (
        "SELECT order_id, status, updated_at FROM raw.orders",
        {"type": "incremental", "timestamp_column": "updated_at"},
    ),
    "dim_customers": (
        "SELECT customer_id, name, email FROM raw.customers",
        {"type": "merge", "unique_key": "customer_id"},
    ),
    "status_totals": (
        "SELECT status, SUM(amount) AS amount FROM raw.orders GROUP BY status",
        {"type": "delete_insert", "partition_by": "status"},
    ),
    "daily_orders": (
        "SELECT CAST(updated_at AS DATE) AS order_day, COUNT(*) AS n\n"
        "FROM raw.orders\n"
        "WHERE updated_at >= @start_date AND updated_at < @end_date\nGROUP BY 1",
        {"type": "time_interval", "time_column": "order_day", "granularity": "day"},
    ),
}
MATERIALIZED = {name for name, (_, strategy) in MODELS.items() if strategy["type"] != "ephemeral"}
COLUMN_KEYS = ("timestamp_column", "unique_key", "partition_by", "time_column")


def sidecar(name: str, strategy: dict[str, str], *, stored_case: bool) -> str:
    """The model's TOML. ``stored_case`` writes the target table and the
    strategy's column names as Snowflake stores them (upper case)."""
    lines = []
    if stored_case:
        lines.append(f'[target]\ntable = "{name.upper()}"')
    keys = {k: v.upper() if stored_case and k in COLUMN_KEYS else v for k, v in strategy.items()}
    lines.append("[strategy]\n" + "".join(f'{k} = "{v}"\n' for k, v in keys.items()))
    return "\n".join(lines)


CONTRACT = """\
[[columns]]
name = "amount"
type = "Decimal"

[[columns]]
name = "name"
type = "String"

[rules]
required = ["name", "amount", "orders"]
"""


ROCKY_TOML = """\
[adapter]
type = "snowflake"
account = "rocky-e2e"
username = "rocky"
password = "${{ROCKY_SF_PASSWORD}}"
host = "{host}"
port = {port}
protocol = "http"
database = "{db}"
timeout_secs = 30

[adapter.cost]
warehouse_size = "X-Small"
usd_per_credit = 3.0

[pipeline.main]
type = "transformation"
models = "models/**"

[pipeline.main.target.governance]
auto_create_schemas = true

[pipeline.main.execution]
concurrency = 2
"""


def write_project(root: Path, endpoint: Endpoint, db: str, *, stored_case: bool) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "rocky.toml").write_text(
        ROCKY_TOML.format(host=endpoint.host, port=endpoint.port, db=db)
    )
    schema = "PUBLIC" if stored_case else "public"
    (root / "models" / "_defaults.toml").write_text(
        f'[target]\ncatalog = "{db}"\nschema = "{schema}"\n'
    )
    (root / "models" / "fct_revenue.contract.toml").write_text(CONTRACT)
    for name, (sql, strategy) in MODELS.items():
        (root / "models" / f"{name}.sql").write_text(sql + "\n")
        (root / "models" / f"{name}.toml").write_text(
            sidecar(name, strategy, stored_case=stored_case)
        )
    return root


def rocky(root: Path, *args: str, secret: str | None = None) -> tuple[int, dict[str, Any], str]:
    """``rocky -o json <args>`` in a child process, the password in its
    environment; neither output may contain it."""
    secret = secret or f"run-secret-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKY_")}
    env["ROCKY_SF_PASSWORD"] = secret
    done = subprocess.run(
        [sys.executable, "-m", "rocky.cli", "-o", "json", *args],
        cwd=root, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    assert secret not in done.stdout and secret not in done.stderr
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


@pytest.fixture
def warehouse(fakesnow_server: Endpoint) -> Iterator[tuple[SnowflakeAdapter, str]]:
    db = f"ROCKY_E2E_{uuid.uuid4().hex[:8].upper()}"
    adapter = open_database(fakesnow_server, db)
    try:
        for statement in RAW:
            adapter.execute(statement)
        yield adapter, db
    finally:
        adapter.close()


def rows(adapter: SnowflakeAdapter, sql: str) -> list[tuple[Any, ...]]:
    return sorted(adapter.query_rows(sql), key=repr)


def test_a_multi_model_project_runs_and_reruns(
    warehouse: tuple[SnowflakeAdapter, str], fakesnow_server: Endpoint, tmp_path: Path
) -> None:
    adapter, db = warehouse
    root = write_project(tmp_path / "shop", fakesnow_server, db, stored_case=True)
    secret = f"e2e-secret-{uuid.uuid4().hex}"

    code, report, stderr = rocky(root, "run", "--partition", "2024-03-01", secret=secret)
    assert code == 0, (stderr, report.get("errors"))
    assert report["status"] == "Success"
    built = {m["asset_key"][-1].lower(): m for m in report["materializations"]}
    assert set(built) == MATERIALIZED
    assert adapter.list_tables(db, "PUBLIC") == sorted(name.upper() for name in MATERIALIZED)

    public = f"{db}.public"
    assert rows(adapter, f"SELECT name, amount, orders FROM {public}.fct_revenue") == [
        ("ada", Decimal("20.00"), 2),
        ("bob", Decimal("30.00"), 1),
    ]
    assert rows(adapter, f"SELECT order_id FROM {public}.big_orders") == [(1,), (3,)]
    assert rows(adapter, f"SELECT status, n FROM {public}.status_counts") == [
        ("cancelled", 1), ("open", 1), ("paid", 2),
    ]  # fmt: skip
    assert rows(adapter, f"SELECT COUNT(*) FROM {public}.order_log") == [(4,)]
    assert rows(adapter, f"SELECT customer_id, name FROM {public}.dim_customers") == [
        (10, "ada"), (20, "bob"), (30, "cy"),
    ]  # fmt: skip
    assert rows(adapter, f"SELECT n FROM {public}.daily_orders") == [(2,)]

    # Cost: warehouse time at 1 credit/hour (X-Small) and $3 a credit.
    cost = report["cost_summary"]
    assert cost["adapter_type"] == "snowflake"
    assert cost["total_cost_usd"] > 0
    total_ms = sum(m["duration_ms"] for m in report["materializations"])
    assert cost["total_cost_usd"] <= total_ms / 3.6e6 * 1 * 3.0 + 1e-12

    for statement in MORE:
        adapter.execute(statement)
    code, again, stderr = rocky(root, "run", "--partition", "2024-03-03", secret=secret)
    assert code == 0, (stderr, again.get("errors"))
    assert rows(adapter, f"SELECT name, amount FROM {public}.fct_revenue") == [
        ("ada lovelace", Decimal("20.00")), ("bob", Decimal("30.00")), ("cy", Decimal("20.00")),
    ]  # fmt: skip
    # incremental appended only the order past the watermark
    assert rows(adapter, f"SELECT order_id FROM {public}.order_log") == [
        (1,), (2,), (3,), (4,), (5,),
    ]  # fmt: skip
    # merge updated a name and inserted the new customer
    assert rows(adapter, f"SELECT customer_id, name FROM {public}.dim_customers") == [
        (10, "ada lovelace"), (20, "bob"), (30, "cy"), (40, "dee"),
    ]  # fmt: skip
    # delete_insert replaced the partitions it computed
    assert rows(adapter, f"SELECT status, amount FROM {public}.status_totals") == [
        ("cancelled", Decimal("4.25")), ("open", Decimal("30.00")), ("paid", Decimal("40.00")),
    ]  # fmt: skip
    # time_interval added the new day beside the old one
    assert rows(adapter, f"SELECT order_day, n FROM {public}.daily_orders") == sorted(
        adapter.query_rows(
            f"SELECT CAST(updated_at AS DATE), COUNT(*) FROM {db}.raw.orders "
            "WHERE updated_at < '2024-03-02' OR updated_at >= '2024-03-03' GROUP BY 1"
        ),
        key=repr,
    )

    # The secret never reached the ledger or any file of the project.
    for path in root.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_lower_case_names_are_stored_as_snowflake_folds_them(
    warehouse: tuple[SnowflakeAdapter, str], fakesnow_server: Endpoint, tmp_path: Path
) -> None:
    adapter, db = warehouse
    root = write_project(tmp_path / "shop", fakesnow_server, db, stored_case=False)
    code, report, stderr = rocky(root, "run", "--partition", "2024-03-01")
    assert code == 0, (stderr, report.get("errors"))
    fold = adapter.normalize_identifier

    # Stored: every table and column upper case, as unquoted SQL names them.
    assert adapter.list_tables(db, "PUBLIC") == sorted(fold(m) for m in MATERIALIZED)
    described = adapter.describe_table(TableRef(db, "PUBLIC", "FCT_REVENUE"))
    assert described is not None
    assert [c.name for c in described] == ["NAME", "AMOUNT", "ORDERS"]
    built = sorted(tuple(m["asset_key"]) for m in report["materializations"])
    assert built == sorted((db, "PUBLIC", fold(m)) for m in MATERIALIZED)

    with Ledger(root / ".rocky-state.sqlite") as ledger:
        [create] = ledger.statements(report["run_id"], "fct_revenue") or []
    assert create.startswith(f'CREATE OR REPLACE TABLE "{db}"."PUBLIC"."FCT_REVENUE" AS')

    # A second run reads the stored tables back: watermark, merge, partitions.
    for statement in MORE:
        adapter.execute(statement)
    code, again, stderr = rocky(root, "run", "--partition", "2024-03-03")
    assert code == 0, (stderr, again.get("errors"))
    public = f"{db}.public"
    assert rows(adapter, f"SELECT order_id FROM {public}.order_log") == [
        (1,), (2,), (3,), (4,), (5,),
    ]  # fmt: skip
    assert rows(adapter, f"SELECT customer_id, name FROM {public}.dim_customers") == [
        (10, "ada lovelace"), (20, "bob"), (30, "cy"), (40, "dee"),
    ]  # fmt: skip
    watermark = next(
        m["metadata"]["watermark"] for m in again["materializations"]
        if m["asset_key"][-1] == "ORDER_LOG"
    )  # fmt: skip
    assert watermark == "2024-03-02 11:00:00"

    # The statements quote the folded names: the merge key, the columns the
    # runner lists itself, and the aliases it declares unquoted.
    with Ledger(root / ".rocky-state.sqlite") as ledger:
        [merge] = ledger.statements(again["run_id"], "dim_customers") or []
        [insert] = ledger.statements(again["run_id"], "order_log") or []
    assert merge.startswith(f'MERGE INTO "{db}"."PUBLIC"."DIM_CUSTOMERS" AS t USING')
    assert 'ON "T"."CUSTOMER_ID" = "_ROCKY_SRC"."CUSTOMER_ID"' in merge
    assert 'INSERT ("CUSTOMER_ID", "NAME", "EMAIL")' in merge
    assert '"customer_id"' not in merge
    assert insert.endswith(
        "WHERE \"_ROCKY_SRC\".\"UPDATED_AT\" > CAST('2024-03-02 11:00:00' AS TIMESTAMP)"
    )

    # Lineage and contracts of the lower-case model, with source schemas
    # read from the stand-in's catalog.
    code, compiled, stderr = rocky(root, "compile", "--catalog")
    assert code == 0, stderr
    assert not [d for d in compiled["diagnostics"] if d["severity"] == "Error"]
    code, lineage, stderr = rocky(root, "lineage", "fct_revenue", "--column", "amount")
    assert code == 0, stderr
    sources = {(e["source"]["model"], e["source"]["column"]) for e in lineage["trace"]}
    assert ("stg_orders", "amount") in sources
    code, validated, stderr = rocky(root, "validate")
    assert code == 0, stderr
    assert [a["adapter_type"] for a in validated["adapters"]] == ["snowflake"]


def test_a_rejected_key_does_not_echo_the_secret_in_it(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    (root / "models").mkdir(parents=True)
    (root / "rocky.toml").write_text(
        '[adapter]\ntype = "snowflake"\naccount = "a"\nusername = "u"\n'
        'password = "${ROCKY_SF_PASSWORD}"\ntimeout_secs = "${ROCKY_SF_PASSWORD}"\n'
    )
    (root / "models" / "one.sql").write_text("SELECT 1 AS n\n")
    (root / "models" / "one.toml").write_text('[target]\ncatalog = "DB"\nschema = "PUBLIC"\n')
    code, report, _stderr = rocky(root, "validate")
    assert code == 1 and report["valid"] is False
    assert [a["ok"] for a in report["adapters"]] == [False]
    code, _report, stderr = rocky(root, "run")
    assert code == 1
    assert stderr.startswith("error: ") and "timeout_secs" in stderr
    assert len(stderr.strip().splitlines()) == 1
