"""The SQL the adapter and its governance send, exactly as rendered in the
``snowflake`` dialect, and that every statement parses back as Snowflake."""

from __future__ import annotations

import pytest
import sqlglot
from rocky_snowflake import governance_sql as g
from rocky_snowflake import sql
from sqlglot import exp

AWKWARD = 'we"ird name'


def parses(statement: str) -> None:
    """sqlglot reads the statement back in the Snowflake dialect."""
    sqlglot.parse_one(statement, read="snowflake")


def test_catalog_statements() -> None:
    assert sql.current_context() == "SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()"
    assert sql.current_version() == "SELECT CURRENT_VERSION()"
    assert sql.describe_table("T", "S", "DB") == 'DESCRIBE TABLE "DB"."S"."T"'
    assert sql.describe_table("t", None, None) == 'DESCRIBE TABLE "t"'
    assert sql.list_tables("DB") == (
        'SELECT "TABLE_NAME" FROM "DB"."INFORMATION_SCHEMA"."TABLES" WHERE "TABLE_SCHEMA" = ? '
        'UNION SELECT "TABLE_NAME" FROM "DB"."INFORMATION_SCHEMA"."VIEWS" '
        'WHERE "TABLE_SCHEMA" = ? ORDER BY 1'
    )
    assert sql.create_schema("S", "DB") == 'CREATE SCHEMA IF NOT EXISTS "DB"."S"'
    assert sql.create_database("DB") == 'CREATE DATABASE IF NOT EXISTS "DB"'
    assert sql.drop_database("DB") == 'DROP DATABASE IF EXISTS "DB"'
    for statement in (sql.describe_table("T", "S", "DB"), sql.list_tables(None)):
        parses(statement)


def test_names_are_quoted_exactly_as_given() -> None:
    assert sql.describe_table(AWKWARD, "my schema", "db") == (
        'DESCRIBE TABLE "db"."my schema"."we""ird name"'
    )
    assert sql.create_schema("lower", None) == 'CREATE SCHEMA IF NOT EXISTS "lower"'


def test_clone_and_alter_column_type() -> None:
    target, source = sql.table("T2", "S", "DB"), sql.table("T", "S", "DB")
    assert sql.clone_table(target, source) == 'CREATE TABLE "DB"."S"."T2" CLONE "DB"."S"."T"'
    assert sql.clone_table(target, source, replace=True) == (
        'CREATE OR REPLACE TABLE "DB"."S"."T2" CLONE "DB"."S"."T"'
    )
    widened = exp.DataType.build("NUMBER(20,2)", dialect="snowflake")
    assert sql.alter_column_type(source, "AMOUNT", widened) == (
        'ALTER TABLE "DB"."S"."T" ALTER COLUMN "AMOUNT" SET DATA TYPE DECIMAL(20, 2)'
    )


def test_query_history_and_cancel() -> None:
    assert sql.query_history() == (
        'SELECT "BYTES_SCANNED", "BYTES_WRITTEN" FROM '
        'TABLE("INFORMATION_SCHEMA".QUERY_HISTORY_BY_SESSION(RESULT_LIMIT => 1000)) '
        'WHERE "QUERY_ID" = ?'
    )
    parses(sql.query_history())
    assert sql.cancel_session_queries(1234) == "SELECT SYSTEM$CANCEL_ALL_QUERIES(1234)"


TABLE = g.Securable("TABLE", ("DB", "S", "ORDERS"))
TAG = g.tag_ref("DB", "S", "PII")


def test_grants_and_revokes() -> None:
    assert g.grant(TABLE, "select", "ANALYST") == (
        'GRANT SELECT ON TABLE "DB"."S"."ORDERS" TO ROLE "ANALYST"'
    )
    schema = g.Securable.from_key("DB.S")
    assert g.revoke(schema, "create   table", "ANALYST") == (
        'REVOKE CREATE TABLE ON SCHEMA "DB"."S" FROM ROLE "ANALYST"'
    )
    database = g.Securable.from_key("DB")
    assert g.grant(database, "USAGE", 'odd"role') == (
        'GRANT USAGE ON DATABASE "DB" TO ROLE "odd""role"'
    )
    assert g.show_grants(TABLE) == 'SHOW GRANTS ON TABLE "DB"."S"."ORDERS"'
    assert g.show_grants(schema) == 'SHOW GRANTS ON SCHEMA "DB"."S"'


def test_privileges_are_checked_before_they_are_rendered() -> None:
    with pytest.raises(ValueError, match="not a table privilege"):
        g.grant(TABLE, "SELECT ON TABLE X TO ROLE Y; DROP", "R")
    with pytest.raises(ValueError, match="not a schema privilege"):
        g.grant(g.Securable.from_key("DB.S"), "SELECT", "R")
    with pytest.raises(ValueError, match="not a view privilege"):
        g.privilege_name("VIEW", "ownership")
    assert g.privilege_name("SCHEMA", " create  view ") == "CREATE VIEW"


def test_tags() -> None:
    assert g.create_tag(TAG) == 'CREATE TAG IF NOT EXISTS "DB"."S"."PII"'
    values = {TAG: "yes", g.tag_ref("DB", "S", "OWNER"): "it's \\ mine"}
    assert g.set_tags(TABLE, values) == (
        'ALTER TABLE "DB"."S"."ORDERS" SET TAG "DB"."S"."PII" = \'yes\', '
        '"DB"."S"."OWNER" = \'it\\\'s \\\\ mine\''
    )
    view = g.Securable("VIEW", ("DB", "S", "V"))
    assert g.set_tags(view, {TAG: "y"}).startswith('ALTER VIEW "DB"."S"."V" SET TAG')
    assert g.set_tags(g.Securable.from_key("DB"), {TAG: "y"}).startswith(
        'ALTER DATABASE "DB" SET TAG'
    )
    assert g.set_column_tag(TABLE, "EMAIL", TAG, "pii") == (
        'ALTER TABLE "DB"."S"."ORDERS" MODIFY COLUMN "EMAIL" SET TAG "DB"."S"."PII" = \'pii\''
    )


def test_tag_values_cannot_break_out_of_their_literal() -> None:
    hostile = "x'; DROP TABLE t; --"
    statement = g.set_tags(TABLE, {TAG: hostile})
    parsed = sqlglot.parse_one(statement, read="snowflake")
    literals = [lit.this for lit in parsed.find_all(exp.Literal)]
    assert literals == [hostile]


def test_masking_policies() -> None:
    policy = g.tag_ref("DB", "S", "ROCKY_MASK_HASH_DEFAULT")
    assert g.create_masking_policy(policy, "hash") == (
        'CREATE MASKING POLICY IF NOT EXISTS "DB"."S"."ROCKY_MASK_HASH_DEFAULT" '
        'AS ("VAL" VARCHAR) RETURNS VARCHAR -> SHA2("VAL", 256)'
    )
    assert g.create_masking_policy(policy, "redact").endswith("-> '***'")
    assert g.create_masking_policy(policy, "partial").endswith(
        """-> CASE WHEN "VAL" IS NULL THEN NULL WHEN LENGTH("VAL") < 5 THEN '***' """
        """ELSE CONCAT(SUBSTRING("VAL", 1, 2), '***', SUBSTRING("VAL", LENGTH("VAL") - 1, 2)) """
        "END"
    )
    assert g.set_masking_policy(TABLE, "EMAIL", policy) == (
        'ALTER TABLE "DB"."S"."ORDERS" MODIFY COLUMN "EMAIL" '
        'SET MASKING POLICY "DB"."S"."ROCKY_MASK_HASH_DEFAULT" FORCE'
    )
    assert g.unset_masking_policy(TABLE, AWKWARD) == (
        'ALTER TABLE "DB"."S"."ORDERS" MODIFY COLUMN "we""ird name" UNSET MASKING POLICY'
    )
    with pytest.raises(ValueError, match="unknown masking strategy"):
        g.create_masking_policy(policy, "scramble")


def test_mask_bodies_are_snowflake_expressions() -> None:
    value = exp.column("V")
    for strategy in ("hash", "redact", "partial"):
        body = g.mask_body(strategy, value).sql(dialect="snowflake")
        assert sqlglot.parse_one(body, read="snowflake").sql(dialect="snowflake") == body


def test_securables() -> None:
    assert g.Securable.from_key("DB.S.T").kind == "TABLE"
    assert g.Securable.from_key("DB.S.T", "VIEW").kind == "VIEW"
    assert g.Securable.from_key("DB").schema_parts == ("DB", "PUBLIC")
    assert g.Securable.from_key("DB.S.T").schema_parts == ("DB", "S")
    with pytest.raises(ValueError, match="3 part"):
        g.Securable("TABLE", ("DB", "S"))
