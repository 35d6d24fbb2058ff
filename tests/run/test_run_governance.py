"""Governance applied by ``rocky run`` after the DAG: a no-op on DuckDB, and
the kernel's side (what is applied where, counts, failures, capability
gates) through a governing adapter that keeps its state in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from govduck import GovDuckPlugin
from rocky_duckdb.config import CAPABILITIES
from run_helpers import run_json, write_project

from rocky.adapters import Adapter, Capability
from rocky.governance_apply import statement_kind
from rocky.hookspecs import hookimpl
from rocky.ledger import Ledger
from rocky.plugins import register_plugin, unregister_plugin
from rocky.session import RunRequest, run_project

GOVERNANCE_TOML = """\
[adapter]
type = "{adapter}"
path = "wh.duckdb"

[mask]
pii = "hash"
contact = "partial"

[mask.default]
contact = "redact"

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
permissions = ["SELECT"]
"""

CUSTOMERS_SQL = "SELECT 1 AS id, 'ada@example.com' AS email, '0123456789' AS phone"
CUSTOMERS = """\
[classification]
email = "pii"
phone = "contact"

[governance.tags]
owner = "data-eng"

[tags]
orchestrator_only = "yes"
"""
REPORT = '[strategy]\ntype = "view"\n\n[governance.tags]\ntier = "gold"\n'
BROKEN = '[governance.tags]\ntier = "bronze"\n'


def governed_project(root: Path, adapter: str, **overrides: str) -> Path:
    models = {
        "customers": CUSTOMERS_SQL,
        "report": "SELECT id FROM customers",
        "broken": "SELECT CAST('x' AS INTEGER) AS n",
    }
    sidecars = {"customers": CUSTOMERS, "report": REPORT, "broken": BROKEN, **overrides}
    return write_project(root, models, sidecars,
                         rocky_toml=GOVERNANCE_TOML.format(adapter=adapter))  # fmt: skip


@pytest.fixture
def govduck() -> Iterator[None]:
    register_plugin(GovDuckPlugin(), name="govduck-tests")
    try:
        yield
    finally:
        unregister_plugin("govduck-tests")


def run_in_process(root: Path) -> tuple[int, dict[str, Any]]:
    result = run_project(RunRequest(config_path=root / "rocky.toml", lock_timeout=5))
    return result.exit_code, result.report


def warehouse(root: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / "wh.duckdb"))
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def actions(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["action"], a["target"]): a for a in report["governance"]["actions"]}


# -- DuckDB: nothing to apply ------------------------------------------------------


def test_duckdb_declares_no_governance_so_nothing_is_applied(tmp_path: Path) -> None:
    root = governed_project(tmp_path / "p", "duckdb", broken='[strategy]\ntype = "view"\n')
    (root / "models" / "broken.sql").write_text("SELECT 1 AS n")
    code, report = run_json(root)
    assert code == 0, report.get("errors")
    assert report["status"] == "Success" and report["errors"] == []
    assert report["permissions"] == {
        "grants_added": 0, "grants_revoked": 0, "catalogs_created": 0, "schemas_created": 0,
    }  # fmt: skip
    governance = report["governance"]
    assert governance["supported"] is False and governance["actions"] == []
    assert governance["statements"] == 0 and governance["failed"] == 0
    assert governance["notes"] == [
        "the duckdb adapter has no governance (grants, tags, masking): "
        "the declared governance was not applied"
    ]
    assert list(report).index("governance") == list(report).index("drift") + 1


def test_a_project_declaring_nothing_gets_no_note(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"one": "SELECT 1 AS n"})
    code, report = run_json(root)
    assert code == 0
    governance = report["governance"]
    assert governance["supported"] is None
    assert governance["notes"] == [] and governance["actions"] == []


# -- a governing adapter --------------------------------------------------------------


def test_a_run_applies_governance_to_what_it_built(tmp_path: Path, govduck: None) -> None:
    root = governed_project(tmp_path / "p", "govduck")
    code, report = run_in_process(root)
    # broken fails at run time; the others are built and governed.
    assert code == 2 and report["tables_failed"] == 1
    assert [e["asset_key"] for e in report["errors"]] == [["wh", "main", "broken"]]
    assert report["permissions"]["grants_added"] == 2
    assert report["permissions"]["grants_revoked"] == 0
    done = actions(report)
    assert list(done) == [
        ("tags", "wh"), ("grants", "wh"), ("tags", "wh.main"), ("schema_grants", "wh.main"),
        ("classification", "wh.main.customers"), ("tags", "wh.main.customers"),
        ("tags", "wh.main.report"),
    ]  # fmt: skip
    assert done[("tags", "wh.main.report")]["kind"] == "VIEW"
    assert done[("grants", "wh")] == {
        "action": "grants", "target": "wh", "kind": "DATABASE", "statements": ["GRANT"],
        "granted": 1, "revoked": 0, "ok": True,
    }  # fmt: skip
    assert report["governance"]["failed"] == 0
    assert warehouse(root, "SELECT object, kind, name, value FROM rocky_gov.tags") == [
        ("wh", "DATABASE", "domain", "sales"),
        ("wh.main", "SCHEMA", "domain", "sales"),
        ("wh.main.customers", "TABLE", "owner", "data-eng"),
        ("wh.main.report", "VIEW", "tier", "gold"),
    ]
    assert warehouse(root, "SELECT * FROM rocky_gov.grants") == [
        ("wh", "analyst", "USAGE"), ("wh.main", "analyst", "SELECT"),
    ]  # fmt: skip
    # [mask.default] wins over [mask] for a run; [tags] never reaches the warehouse.
    assert warehouse(root, "SELECT column_name, strategy FROM rocky_gov.masks") == [
        ("email", "hash"), ("phone", "redact"),
    ]  # fmt: skip

    # Grants are reconciled: a managed grant no longer declared is revoked,
    # one rocky does not manage is left alone.
    warehouse(root, "INSERT INTO rocky_gov.grants VALUES ('wh', 'intern', 'MODIFY'), "
                    "('wh', 'admin', 'OWNERSHIP')")  # fmt: skip
    code, again = run_in_process(root)
    assert again["permissions"]["grants_added"] == 0
    assert again["permissions"]["grants_revoked"] == 1
    assert actions(again)[("grants", "wh")]["statements"] == ["REVOKE"]
    assert warehouse(root, "SELECT * FROM rocky_gov.grants WHERE object = 'wh'") == [
        ("wh", "admin", "OWNERSHIP"), ("wh", "analyst", "USAGE"),
    ]  # fmt: skip


def test_a_governance_failure_makes_a_partial_failure_and_keeps_data(
    tmp_path: Path, govduck: None
) -> None:
    root = governed_project(tmp_path / "p", "govduck",
                            customers=CUSTOMERS.replace("phone =", "ssn ="))  # fmt: skip
    (root / "models" / "broken.sql").write_text("SELECT 1 AS n")
    code, report = run_in_process(root)
    assert code == 2
    assert report["status"] == "PartialFailure"
    assert report["tables_copied"] == 3 and report["tables_failed"] == 0
    assert report["errors"] == [{
        "asset_key": ["wh", "main", "customers"],
        "error": "governance classification on wh.main.customers: cannot classify column "
                 "'ssn' of wh.main.customers: no such column",
    }]  # fmt: skip
    assert report["governance"]["failed"] == 1
    # The rest was applied, and the data is there.
    assert actions(report)[("tags", "wh.main.customers")]["ok"] is True
    assert warehouse(root, "SELECT COUNT(*) FROM wh.main.customers") == [(1,)]
    with Ledger(root / ".rocky-state.sqlite") as ledger:
        [record] = ledger.runs()
    assert record.status == "PartialFailure"
    assert record.error == (
        "governance: 1 action(s) failed; the first, classification on wh.main.customers: "
        "cannot classify column 'ssn' of wh.main.customers: no such column"
    )


def test_an_undeclared_capability_is_not_used(tmp_path: Path) -> None:
    register_plugin(GovDuckPlugin(CAPABILITIES | {Capability.TAGS}), name="govduck-tests")
    try:
        root = governed_project(tmp_path / "p", "govduck", broken=BROKEN)
        (root / "models" / "broken.sql").write_text("SELECT 1 AS n")
        code, report = run_in_process(root)
    finally:
        unregister_plugin("govduck-tests")
    assert code == 0, report["errors"]
    assert report["permissions"]["grants_added"] == 0
    assert report["governance"]["notes"] == [
        "the govduck adapter does not declare 'grants': "
        "that part of the declared governance was not applied",
        "the govduck adapter does not declare 'masking': "
        "that part of the declared governance was not applied",
    ]
    assert {a for a, _ in actions(report)} == {"tags", "classification"}
    # Without masking, classified columns are only labelled.
    assert warehouse(root, "SELECT column_name, label FROM rocky_gov.labels") == [
        ("email", "pii"), ("phone", "contact"),
    ]  # fmt: skip
    assert warehouse(root, "SELECT COUNT(*) FROM rocky_gov.masks") == [(0,)]


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ('CREATE TAG IF NOT EXISTS "D"."S"."OWNER"', "CREATE TAG"),
        ("ALTER TABLE \"D\".\"S\".\"T\" SET TAG \"D\".\"S\".\"K\" = 'secret value'",
         "ALTER TABLE SET TAG"),
        ('GRANT SELECT ON TABLE "D"."S"."T" TO ROLE "ANALYST"', "GRANT"),
        ('REVOKE USAGE ON SCHEMA "D"."S" FROM ROLE "X"', "REVOKE"),
        ('CREATE MASKING POLICY IF NOT EXISTS "P" AS ("VAL" VARCHAR) RETURNS VARCHAR -> '
         'SHA2("VAL", 256)', "CREATE MASKING POLICY"),
        ("ALTER TABLE c.s.TABLE SET TAGS ('k' = 'v')", "ALTER TABLE SET TAGS"),
        ("DELETE FROM x", "statement"),
    ],
)  # fmt: skip
def test_statement_kinds_keep_keywords_only(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind


def test_the_governance_output_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "governance.md").read_text()
    from rocky.governance_apply import GovernanceAction, GovernanceOutcome

    outcome = GovernanceOutcome("x", True)
    action = GovernanceAction("grants", "db", "DATABASE", ["db"], error="e")
    keys = set(outcome.to_json()) | set(action.to_json())
    assert not sorted(k for k in keys if f"`{k}`" not in doc and f"`actions[].{k}`" not in doc)
    for name in ("tags", "grants", "schema_grants", "classification"):
        assert f"`{name}`" in doc, name
    for kind in ("DATABASE", "SCHEMA", "TABLE", "VIEW"):
        assert f"`{kind}`" in doc, kind


class _FailingGovernance:
    @hookimpl
    def rocky_governance(self, adapter: Adapter) -> None:
        raise RuntimeError("governance plugin exploded\nwith a second line")


def test_a_failing_governance_hook_is_reported_not_raised(tmp_path: Path) -> None:
    root = governed_project(tmp_path / "p", "duckdb", broken=BROKEN)
    (root / "models" / "broken.sql").write_text("SELECT 1 AS n")
    register_plugin(_FailingGovernance(), name="failing-governance")
    try:
        code, report = run_in_process(root)
    finally:
        unregister_plugin("failing-governance")
    assert code == 2 and report["status"] == "PartialFailure"
    assert report["tables_copied"] == 3
    assert report["errors"] == [{
        "asset_key": [], "error": "governance setup on duckdb: governance plugin exploded",
    }]  # fmt: skip
    assert report["governance"]["supported"] is None
