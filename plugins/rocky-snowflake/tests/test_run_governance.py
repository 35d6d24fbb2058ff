"""``rocky run`` applies the project's declared governance after the DAG,
through the CLI in a child process against the stand-in.

The stand-in acknowledges GRANT, REVOKE, SHOW GRANTS and the masking-policy
statements without doing them (``nop_regexes``, a login session parameter
set here through ``[adapter] session_parameters``); it executes CREATE TAG
and every SET TAG form. So the counts and the statement kinds the run
reports are what is checked, with the tables' rows to show that a
governance failure never touches data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rocky_snowflake import SnowflakeAdapter
from sfstandin import Endpoint, open_database

from rocky.ledger import Ledger

ACKNOWLEDGED = [
    r"^GRANT\s",
    r"^REVOKE\s",
    r"^SHOW GRANTS\s",
    r"^CREATE MASKING POLICY\s",
    r"^ALTER TABLE .* MODIFY COLUMN .* (UN)?SET MASKING POLICY",
]

ROCKY_TOML = """\
[adapter]
type = "snowflake"
account = "rocky-gov"
username = "rocky"
password = "${{ROCKY_SF_PASSWORD}}"
host = "{host}"
port = {port}
protocol = "http"
database = "{db}"
timeout_secs = 30
session_parameters = {{ nop_regexes = {nops} }}

[mask]
pii = "hash"
contact = "partial"

[mask.prod]
pii = "none"

[pipeline.main]
type = "transformation"
models = "models/**"

[pipeline.main.target.governance]
auto_create_schemas = true
tags = {{ domain = "sales" }}

[[pipeline.main.target.governance.grants]]
principal = "analyst"
permissions = ["usage"]

[[pipeline.main.target.governance.schema_grants]]
principal = "analyst"
permissions = ["USAGE", "create table"]

[[pipeline.main.target.governance.schema_grants]]
principal = "loader"
permissions = ["MODIFY"]
"""

CUSTOMERS = """\
[target]
catalog = "{db}"
schema = "marts"

[classification]
email = "pii"
phone = "contact"
name = "internal"

[governance.tags]
owner = "data-eng"

[tags]
dagster_only = "yes"
"""

REPORT = """\
[target]
catalog = "{db}"
schema = "marts"

[strategy]
type = "view"

[governance.tags]
tier = "gold"
"""


def write_project(root: Path, endpoint: Endpoint, db: str) -> Path:
    (root / "models").mkdir(parents=True)
    nops = json.dumps(ACKNOWLEDGED)
    (root / "rocky.toml").write_text(
        ROCKY_TOML.format(host=endpoint.host, port=endpoint.port, db=db, nops=nops)
    )
    (root / "models" / "customers.sql").write_text(
        "SELECT customer_id, name, email, phone FROM raw.customers\n"
    )
    (root / "models" / "customers.toml").write_text(CUSTOMERS.format(db=db))
    (root / "models" / "customer_report.sql").write_text(
        "SELECT customer_id, name FROM customers\n"
    )
    (root / "models" / "customer_report.toml").write_text(REPORT.format(db=db))
    return root


def run(root: Path) -> tuple[int, dict[str, Any], str]:
    secret = f"gov-secret-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKY_")}
    env["ROCKY_SF_PASSWORD"] = secret
    done = subprocess.run(
        [sys.executable, "-m", "rocky.cli", "-o", "json", "run"],
        cwd=root, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    assert secret not in done.stdout and secret not in done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.fixture
def warehouse(fakesnow_server: Endpoint) -> Iterator[tuple[SnowflakeAdapter, str]]:
    db = f"ROCKY_GOV_{uuid.uuid4().hex[:8].upper()}"
    adapter = open_database(fakesnow_server, db)
    try:
        adapter.execute("CREATE SCHEMA IF NOT EXISTS raw")
        adapter.execute(
            "CREATE OR REPLACE TABLE raw.customers "
            "(customer_id INT, name VARCHAR, email VARCHAR, phone VARCHAR)"
        )
        adapter.execute(
            "INSERT INTO raw.customers VALUES (1, 'ada', 'ada@example.com', '0123456789'), "
            "(2, 'bob', 'bob@example.com', '9876543210')"
        )
        adapter.create_schema(db, "PUBLIC")  # a database's tags live in its PUBLIC schema
        yield adapter, db
    finally:
        adapter.close()


def actions(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["action"], a["target"]): a for a in report["governance"]["actions"]}


def test_a_run_applies_the_declared_governance(
    warehouse: tuple[SnowflakeAdapter, str], fakesnow_server: Endpoint, tmp_path: Path
) -> None:
    adapter, db = warehouse
    root = write_project(tmp_path / "gov", fakesnow_server, db)
    code, report, stderr = run(root)
    assert code == 0, (stderr, report.get("errors"))
    assert report["status"] == "Success" and report["errors"] == []

    # The stand-in reports no grants, so every desired one is added: USAGE on
    # the database, USAGE and CREATE TABLE (analyst) and MODIFY (loader) on
    # the schema. Nothing is revoked.
    assert report["permissions"] == {
        "grants_added": 4, "grants_revoked": 0, "catalogs_created": 0, "schemas_created": 1,
    }  # fmt: skip
    governance = report["governance"]
    assert governance["supported"] is True and governance["env"] == "default"
    assert governance["failed"] == 0 and governance["notes"] == []
    done = actions(report)
    table, view = f"{db}.MARTS.CUSTOMERS", f"{db}.MARTS.CUSTOMER_REPORT"
    assert list(done) == [
        ("tags", db), ("grants", db),
        ("tags", f"{db}.MARTS"), ("schema_grants", f"{db}.MARTS"),
        ("classification", table), ("tags", table),
        ("tags", view),
    ]  # fmt: skip
    assert done[("grants", db)]["statements"] == ["GRANT"]
    assert done[("schema_grants", f"{db}.MARTS")]["granted"] == 3
    assert done[("tags", db)]["statements"] == ["CREATE TAG", "ALTER DATABASE SET TAG"]
    assert done[("tags", f"{db}.MARTS")]["kind"] == "SCHEMA"
    assert done[("tags", view)] == {
        "action": "tags", "target": view, "kind": "VIEW",
        "statements": ["CREATE TAG", "ALTER VIEW SET TAG"], "ok": True,
    }  # fmt: skip
    # Three labels tagged; pii hashed, contact partially masked (env default);
    # "internal" has no strategy, so it is only tagged.
    assert done[("classification", table)]["statements"] == [
        "CREATE TAG",
        "ALTER TABLE MODIFY COLUMN SET TAG",
        "ALTER TABLE MODIFY COLUMN SET TAG",
        "ALTER TABLE MODIFY COLUMN SET TAG",
        "CREATE MASKING POLICY",
        "ALTER TABLE MODIFY COLUMN SET MASKING POLICY",
        "CREATE MASKING POLICY",
        "ALTER TABLE MODIFY COLUMN SET MASKING POLICY",
    ]
    # [tags] is orchestrator metadata, never a warehouse tag; no values and
    # no names reach the output.
    text = json.dumps(governance)
    assert "dagster_only" not in text and "data-eng" not in text and "EMAIL" not in text
    assert adapter.query_rows(f"SELECT COUNT(*) FROM {db}.marts.customers") == [(2,)]


def test_a_governance_failure_is_reported_and_keeps_the_data(
    warehouse: tuple[SnowflakeAdapter, str], fakesnow_server: Endpoint, tmp_path: Path
) -> None:
    adapter, db = warehouse
    root = write_project(tmp_path / "gov", fakesnow_server, db)
    sidecar = root / "models" / "customers.toml"
    sidecar.write_text(sidecar.read_text().replace('name = "internal"', 'ssn = "pii"'))
    toml = root / "rocky.toml"
    toml.write_text(toml.read_text().replace('permissions = ["usage"]', 'permissions = ["BROWSE"]'))

    code, report, _stderr = run(root)
    assert code == 2
    assert report["status"] == "PartialFailure"
    assert report["tables_copied"] == 2 and report["tables_failed"] == 0
    errors = {tuple(e["asset_key"]): e["error"] for e in report["errors"]}
    assert set(errors) == {(db,), (db, "MARTS", "CUSTOMERS")}
    assert "'BROWSE' is not a database privilege" in errors[(db,)]
    assert "cannot classify column 'ssn'" in errors[(db, "MARTS", "CUSTOMERS")]
    done = actions(report)
    assert done[("grants", db)]["ok"] is False
    # Everything else was still applied, and the data is there.
    assert report["governance"]["failed"] == 2
    assert done[("schema_grants", f"{db}.MARTS")]["ok"] is True
    assert done[("tags", f"{db}.MARTS.CUSTOMERS")]["ok"] is True
    assert report["permissions"]["grants_added"] == 3
    assert adapter.query_rows(f"SELECT COUNT(*) FROM {db}.marts.customer_report") == [(2,)]

    with Ledger(root / ".rocky-state.sqlite") as ledger:
        [recorded] = ledger.runs()
    assert recorded.status == "PartialFailure"
    assert recorded.error is not None
    assert recorded.error.startswith("governance: 2 action(s) failed; the first, grants on")
    assert all(m.status == "success" for m in recorded.models_executed)
