"""Grants, tags, classification and masking.

The reconciliation and the SQL are checked exactly; every statement is also
sent to the stand-in. fakesnow accepts CREATE TAG and the SET TAG forms
itself; it rejects GRANT, REVOKE, SHOW GRANTS and the masking-policy
statements, so the governance session tells it to acknowledge those
(``nop_regexes``, a login session parameter it reads) without doing them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rocky_snowflake import SnowflakeGovernance
from rocky_snowflake.governance import GrantPlan, parse_show_grants, plan_grants
from sfstandin import Endpoint, open_database

from rocky.errors import AdapterError, ConfigError
from rocky.ir import TableRef
from rocky.plugins import get_plugin_manager

ACKNOWLEDGED = [
    r"^GRANT\s",
    r"^REVOKE\s",
    r"^SHOW GRANTS\s",
    r"^CREATE MASKING POLICY\s",
    r"^ALTER TABLE .* MODIFY COLUMN .* (UN)?SET MASKING POLICY",
]

SHOW_GRANTS_HEADERS = [
    "created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name",
    "grant_option", "granted_by",
]  # fmt: skip


def grant_row(privilege: str, to: str, grantee: str) -> tuple[Any, ...]:
    return ("2024-01-01", privilege, "TABLE", "DB.S.T", to, grantee, "false", "SYSADMIN")


# -- reconciliation -------------------------------------------------------------


def test_show_grants_rows_become_role_privilege_pairs() -> None:
    rows = [
        grant_row("SELECT", "ROLE", "ANALYST"),
        grant_row("OWNERSHIP", "ROLE", "SYSADMIN"),
        grant_row("INSERT", "ROLE", "LOADER"),
        grant_row("SELECT", "SHARE", "PARTNER_SHARE"),
        grant_row("SELECT", "USER", "ALICE"),
    ]
    assert parse_show_grants(SHOW_GRANTS_HEADERS, rows) == {
        ("ANALYST", "SELECT"),
        ("LOADER", "INSERT"),
    }
    assert parse_show_grants(["status"], [("Statement executed successfully.",)]) == set()


def test_plan_grants_adds_missing_and_revokes_only_managed() -> None:
    current = {("ANALYST", "SELECT"), ("LOADER", "INSERT"), ("AUDITOR", "APPLYBUDGET")}
    desired = {("ANALYST", "SELECT"), ("REPORTER", "SELECT")}
    assert plan_grants(current, desired, "TABLE") == GrantPlan(
        to_grant=[("REPORTER", "SELECT")],
        to_revoke=[("LOADER", "INSERT")],
    )
    assert plan_grants(desired, desired, "TABLE") == GrantPlan()


# -- against the stand-in -------------------------------------------------------


@pytest.fixture
def governed(fakesnow_server: Endpoint) -> Iterator[tuple[SnowflakeGovernance, TableRef]]:
    adapter = open_database(
        fakesnow_server, "ROCKY_GOV", session_parameters={"nop_regexes": ACKNOWLEDGED}
    )
    schema = f"GOV_{uuid.uuid4().hex[:8].upper()}"
    try:
        adapter.create_schema(None, schema)
        adapter.execute(
            f'CREATE TABLE "{schema}"."CUSTOMERS" (ID NUMBER, EMAIL VARCHAR, PHONE VARCHAR)'
        )
        hook = get_plugin_manager().hook.rocky_governance(adapter=adapter)
        assert isinstance(hook, SnowflakeGovernance)
        yield hook, TableRef("ROCKY_GOV", schema, "CUSTOMERS")
    finally:
        adapter.close()


def test_table_tags(governed: tuple[SnowflakeGovernance, TableRef]) -> None:
    gov, ref = governed
    s = ref.schema
    assert gov.set_tags(ref, {"cost_center": "finance", "owner": "data-eng"}) == [
        f'CREATE TAG IF NOT EXISTS "ROCKY_GOV"."{s}"."COST_CENTER"',
        f'CREATE TAG IF NOT EXISTS "ROCKY_GOV"."{s}"."OWNER"',
        f'ALTER TABLE "ROCKY_GOV"."{s}"."CUSTOMERS" SET TAG "ROCKY_GOV"."{s}"."COST_CENTER" = '
        f'\'finance\', "ROCKY_GOV"."{s}"."OWNER" = \'data-eng\'',
    ]
    assert gov.set_tags(ref, {}) == []


def test_schema_and_database_tags(governed: tuple[SnowflakeGovernance, TableRef]) -> None:
    gov, ref = governed
    on_schema = gov.set_object_tags(f"ROCKY_GOV.{ref.schema}", {"domain": "sales"})
    assert on_schema[-1] == (
        f'ALTER SCHEMA "ROCKY_GOV"."{ref.schema}" SET TAG '
        f'"ROCKY_GOV"."{ref.schema}"."DOMAIN" = \'sales\''
    )
    gov.adapter.create_schema("ROCKY_GOV", "PUBLIC")
    on_database = gov.set_object_tags("ROCKY_GOV", {"domain": "sales"})
    assert on_database == [
        'CREATE TAG IF NOT EXISTS "ROCKY_GOV"."PUBLIC"."DOMAIN"',
        'ALTER DATABASE "ROCKY_GOV" SET TAG "ROCKY_GOV"."PUBLIC"."DOMAIN" = \'sales\'',
    ]


def test_grant_reconciliation(governed: tuple[SnowflakeGovernance, TableRef]) -> None:
    gov, ref = governed
    key = ref.key
    plan = gov.reconcile_grants(key, {("analyst", "select"), ("loader", "Insert")})
    # The stand-in only acknowledges SHOW GRANTS, so nothing is granted yet.
    assert plan == GrantPlan(to_grant=[("ANALYST", "SELECT"), ("LOADER", "INSERT")])
    assert gov.revoke_grants(key, {("loader", "insert")}) == [
        f'REVOKE INSERT ON TABLE "ROCKY_GOV"."{ref.schema}"."CUSTOMERS" FROM ROLE "LOADER"'
    ]
    assert gov.apply_grants(f"ROCKY_GOV.{ref.schema}", {("analyst", "usage")}) == [
        f'GRANT USAGE ON SCHEMA "ROCKY_GOV"."{ref.schema}" TO ROLE "ANALYST"'
    ]
    with pytest.raises(ConfigError, match="'BROWSE' is not a table privilege"):
        gov.apply_grants(key, {("analyst", "BROWSE")})


def test_classification_tags_and_masking(governed: tuple[SnowflakeGovernance, TableRef]) -> None:
    gov, ref = governed
    table, s = f'"ROCKY_GOV"."{ref.schema}"."CUSTOMERS"', f'"ROCKY_GOV"."{ref.schema}"'
    mask = {"pii": "hash", "contact": "partial", "prod": {"contact": "redact"}}
    statements = gov.apply_masking_policy(ref, {"email": "pii", "phone": "contact"}, mask)
    assert statements == [
        f'CREATE TAG IF NOT EXISTS {s}."CLASSIFICATION"',
        f'ALTER TABLE {table} MODIFY COLUMN "EMAIL" SET TAG {s}."CLASSIFICATION" = \'pii\'',
        f'ALTER TABLE {table} MODIFY COLUMN "PHONE" SET TAG {s}."CLASSIFICATION" = \'contact\'',
        f'CREATE MASKING POLICY IF NOT EXISTS {s}."ROCKY_MASK_HASH_DEFAULT" AS ("VAL" VARCHAR) '
        'RETURNS VARCHAR -> SHA2("VAL", 256)',
        f'ALTER TABLE {table} MODIFY COLUMN "EMAIL" SET MASKING POLICY '
        f'{s}."ROCKY_MASK_HASH_DEFAULT" FORCE',
        statements[5],
        f'ALTER TABLE {table} MODIFY COLUMN "PHONE" SET MASKING POLICY '
        f'{s}."ROCKY_MASK_PARTIAL_DEFAULT" FORCE',
    ]
    assert statements[5].startswith(
        f'CREATE MASKING POLICY IF NOT EXISTS {s}."ROCKY_MASK_PARTIAL_DEFAULT"'
    )
    prod = gov.apply_masking_policy(ref, {"phone": "contact"}, mask, env="prod")
    assert f'{s}."ROCKY_MASK_REDACT_PROD" FORCE' in prod[-1]
    released = gov.apply_masking_policy(ref, {"email": "pii"}, {"pii": "none"})
    assert released[-1] == f'ALTER TABLE {table} MODIFY COLUMN "EMAIL" UNSET MASKING POLICY'
    untouched = gov.apply_masking_policy(ref, {"email": "internal"}, mask)
    assert len(untouched) == 2  # the tag is set; no strategy, so no policy


def test_masking_refusals(governed: tuple[SnowflakeGovernance, TableRef]) -> None:
    gov, ref = governed
    with pytest.raises(AdapterError, match=r"cannot mask column 'ID'.*Decimal"):
        gov.apply_masking_policy(ref, {"id": "pii"}, {"pii": "hash"})
    with pytest.raises(AdapterError, match="no such column"):
        gov.apply_column_tags(ref, {"ssn": "pii"})
    with pytest.raises(ConfigError, match="'scramble' is not a masking strategy"):
        gov.apply_masking_policy(ref, {"email": "pii"}, {"pii": "scramble"})
    missing = TableRef(ref.catalog, ref.schema, "NOT_THERE")
    with pytest.raises(AdapterError, match="does not exist"):
        gov.apply_column_tags(missing, {"email": "pii"})
