"""Snowflake-specific behaviour against the stand-in, over HTTP with the
official connector: sessions, logins, row counts, names, errors, secrets."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rocky_snowflake import SnowflakeAdapter, SnowflakeConfig
from rocky_snowflake.errors import to_adapter_error
from sfstandin import Endpoint, open_database
from snowflake.connector.errors import ProgrammingError

from rocky.errors import AdapterError
from rocky.ir import Column, TableRef
from rocky.plugins import get_registry
from rocky.testing.sql import KitSql
from rocky.types import BOOLEAN, DATE, FLOAT64, STRING, TIMESTAMP_NTZ, decimal


@pytest.fixture
def snow(fakesnow_server: Endpoint) -> Iterator[SnowflakeAdapter]:
    adapter = open_database(fakesnow_server, "ROCKY_LIVE")
    try:
        yield adapter
    finally:
        adapter.close()


@pytest.fixture
def schema(snow: SnowflakeAdapter) -> Iterator[str]:
    name = f"LIVE_{uuid.uuid4().hex[:8].upper()}"
    snow.create_schema(None, name)
    try:
        yield name
    finally:
        snow.execute(KitSql(snow).drop_schema(None, name))


def adapter_for(endpoint: Endpoint, tmp_path: Path, **keys: Any) -> SnowflakeAdapter:
    return SnowflakeAdapter(
        SnowflakeConfig.model_validate(endpoint.settings(**keys)), project_dir=tmp_path
    )


# -- sessions -------------------------------------------------------------------


def test_connect_reads_the_session_context(snow: SnowflakeAdapter) -> None:
    assert snow.default_catalog() == "ROCKY_LIVE"
    assert snow.engine_version() and snow.engine_version() != "unknown"
    assert snow.query_rows("SELECT CURRENT_SCHEMA()") == [("PUBLIC",)]


def test_the_registered_factory_builds_this_adapter(fakesnow_server: Endpoint) -> None:
    spec = get_registry().adapter("snowflake")
    assert (spec.dialect, spec.identifier_case, spec.package) == (
        "snowflake", "upper", "rocky-snowflake",
    )  # fmt: skip
    config = spec.config_model.model_validate(fakesnow_server.settings())
    with spec.factory(config, Path.cwd()) as built:
        assert isinstance(built, SnowflakeAdapter)
        assert built.query_rows("SELECT 40 + 2") == [(42,)]


def test_each_thread_has_its_own_session(snow: SnowflakeAdapter, schema: str) -> None:
    snow.execute(f'CREATE TABLE "{schema}"."T" ("ID" NUMBER)')
    opened, checked = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def writer() -> None:
        snow.execute("BEGIN")
        snow.execute(f'INSERT INTO "{schema}"."T" VALUES (1)')
        seen["inside"] = snow.query_rows(f'SELECT COUNT(*) FROM "{schema}"."T"')
        opened.set()
        checked.wait(30)
        snow.execute("ROLLBACK")

    thread = threading.Thread(target=writer)
    thread.start()
    assert opened.wait(30)
    outside = snow.query_rows(f'SELECT COUNT(*) FROM "{schema}"."T"')
    checked.set()
    thread.join(30)
    assert seen["inside"] == [(1,)]  # the writer's own session sees its row
    assert outside == [(0,)]  # another session does not, before COMMIT
    assert snow.query_rows(f'SELECT COUNT(*) FROM "{schema}"."T"') == [(0,)]


def test_not_connected_is_one_clear_line(fakesnow_server: Endpoint, tmp_path: Path) -> None:
    adapter = adapter_for(fakesnow_server, tmp_path)
    with pytest.raises(AdapterError, match="not connected"):
        adapter.execute("SELECT 1")
    adapter.close()  # closing what never opened is harmless


def test_cancel_with_nothing_running_leaves_the_adapter_usable(snow: SnowflakeAdapter) -> None:
    snow.cancel()
    assert snow.query_rows("SELECT 1") == [(1,)]


# -- statements -----------------------------------------------------------------


def test_rows_affected_per_statement_kind(snow: SnowflakeAdapter, schema: str) -> None:
    table = f'"{schema}"."COUNTS"'
    assert snow.execute(f"CREATE TABLE {table} (ID NUMBER, V VARCHAR)").rows_affected is None
    assert (
        snow.execute(f"INSERT INTO {table} VALUES (1, 'a'), (2, 'b'), (3, 'c')").rows_affected == 3
    )
    assert snow.execute(f"UPDATE {table} SET V = 'z' WHERE ID > 1").rows_affected == 2
    assert snow.execute(f"DELETE FROM {table} WHERE ID = 1").rows_affected == 1
    copy = f'"{schema}"."COPY"'
    assert snow.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table}").rows_affected is None
    assert snow.execute(f"SELECT * FROM {table}").rows_affected is None
    result = snow.execute(f"INSERT INTO {copy} VALUES (9, 'n')")
    assert result.query_id and result.duration_ms >= 0
    # the stand-in keeps no query history: bytes are unknown, never zero
    assert (result.bytes_scanned, result.bytes_written) == (None, None)


def test_query_arrow_types(snow: SnowflakeAdapter, schema: str) -> None:
    snow.execute(
        f'CREATE TABLE "{schema}"."TYPED" (N NUMBER(38,0), M NUMBER(10,2), F FLOAT, S VARCHAR, '
        "B BOOLEAN, D DATE, T TIMESTAMP_NTZ)"
    )
    snow.execute(
        f"INSERT INTO \"{schema}\".\"TYPED\" VALUES (1, 2.50, 0.5, 'x', TRUE, '2024-02-29', "
        "'2024-02-29 23:59:58')"
    )
    table = snow.query_arrow(f'SELECT * FROM "{schema}"."TYPED"')
    assert [str(t) for t in table.schema.types] == [
        "int64", "decimal128(10, 2)", "double", "string", "bool", "date32[day]", "timestamp[us]",
    ]  # fmt: skip
    assert snow.describe_table(TableRef(None, schema, "TYPED")) == [
        Column("N", decimal(38, 0)),
        Column("M", decimal(10, 2)),
        Column("F", FLOAT64),
        Column("S", STRING),
        Column("B", BOOLEAN),
        Column("D", DATE),
        Column("T", TIMESTAMP_NTZ),
    ]


def test_clone_and_widen_through_the_adapter(snow: SnowflakeAdapter, schema: str) -> None:
    source, copy = TableRef(None, schema, "SRC"), TableRef(None, schema, "SRC_CLONE")
    snow.execute(f'CREATE TABLE "{schema}"."SRC" (AMOUNT NUMBER(10,2), CODE VARCHAR(4))')
    snow.execute(f'INSERT INTO "{schema}"."SRC" VALUES (1.5, \'ab\')')
    snow.clone_table(copy, source)
    snow.execute(f'INSERT INTO "{schema}"."SRC" VALUES (2.5, \'cd\')')
    assert snow.query_rows(f'SELECT COUNT(*) FROM "{schema}"."SRC_CLONE"') == [(1,)]
    snow.alter_column_type(copy, "AMOUNT", "NUMBER(20,2)")
    snow.alter_column_type(copy, "CODE", "VARCHAR(50)")
    described = snow.describe_table(copy)
    assert described is not None and described[0].type == decimal(20, 2)
    assert described[1].type == STRING
    assert snow.query_rows(f'SELECT CODE FROM "{schema}"."SRC_CLONE"') == [("ab",)]
    assert snow.warehouse_type(decimal(20, 2)) == "DECIMAL(20, 2)"
    assert snow.rocky_type("NUMBER(20,2)") == decimal(20, 2)


# -- names ----------------------------------------------------------------------


def test_unquoted_names_fold_to_upper_case(snow: SnowflakeAdapter, schema: str) -> None:
    assert snow.normalize_identifier("fct_revenue") == "FCT_REVENUE"
    assert snow.normalize_identifier("with space") == "with space"
    assert snow.normalize_identifier("1abc") == "1abc"
    snow.execute(f'CREATE TABLE "{schema}".fct_revenue (amount NUMBER(10,2))')
    stored = snow.normalize_identifier("fct_revenue")
    assert snow.list_tables(None, schema) == [stored]
    described = snow.describe_table(TableRef(None, schema, stored))
    assert described == [Column(snow.normalize_identifier("amount"), decimal(10, 2))]


def test_absent_database(snow: SnowflakeAdapter) -> None:
    assert snow.list_tables("NO_SUCH_DB", "S") == []
    assert snow.describe_table(TableRef("NO_SUCH_DB", "S", "T")) is None


# -- logins and secrets ---------------------------------------------------------


def _key(tmp_path: Path, passphrase: bytes | None) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    path = tmp_path / "keys" / "rsa_key.p8"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return path


@pytest.mark.parametrize("method", ["oauth", "pat", "keypair", "encrypted keypair"])
def test_every_login_method_reaches_the_server(
    method: str, fakesnow_server: Endpoint, tmp_path: Path
) -> None:
    keys: dict[str, Any] = {"password": None}
    if method == "oauth":
        keys.update(oauth_token="oauth-token-value", username=None)
    elif method == "pat":
        keys["pat"] = "pat-token-value"
    else:
        passphrase = "key-phrase-value" if method.startswith("encrypted") else None
        _key(tmp_path, passphrase.encode() if passphrase else None)
        keys.update(private_key_path="keys/rsa_key.p8", private_key_passphrase=passphrase)
    adapter = adapter_for(fakesnow_server, tmp_path, **keys)
    assert adapter.config.auth_method() == method.split()[-1]
    with adapter:
        assert adapter.query_rows("SELECT 1") == [(1,)]


def test_key_problems_are_one_line_without_the_passphrase(
    fakesnow_server: Endpoint, tmp_path: Path
) -> None:
    _key(tmp_path, b"the-right-phrase")
    wrong = adapter_for(
        fakesnow_server,
        tmp_path,
        private_key_path="keys/rsa_key.p8",
        private_key_passphrase="a-wrong-phrase",
    )
    with pytest.raises(AdapterError) as caught:
        wrong.connect()
    text = str(caught.value)
    assert "cannot load private key" in text and "rsa_key.p8" in text
    assert "a-wrong-phrase" not in text and "\n" not in text

    missing = adapter_for(fakesnow_server, tmp_path, private_key_path="keys/absent.p8")
    with pytest.raises(AdapterError, match=r"cannot read private key .*absent\.p8"):
        missing.connect()


def test_an_unreachable_endpoint_is_one_line_with_a_hint(tmp_path: Path) -> None:
    endpoint = Endpoint("127.0.0.1", 9, 0)  # discard port: nothing answers
    adapter = adapter_for(endpoint, tmp_path, password="unreachable-secret", timeout_secs=5)
    with pytest.raises(AdapterError) as caught:
        adapter.connect()
    text = str(caught.value)
    assert text.startswith("cannot connect to Snowflake account 'rocky-test'")
    assert "check account, host, port and protocol" in text
    assert "unreachable-secret" not in text and "\n" not in text


def test_secrets_reach_neither_logs_nor_errors(
    fakesnow_server: Endpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"log-secret-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    adapter = adapter_for(fakesnow_server, tmp_path, password=secret, database="ROCKY_LIVE")
    with adapter:
        with pytest.raises(AdapterError) as caught:
            adapter.execute("SELECT * FROM NO_SUCH_TABLE")
        assert secret not in str(caught.value)
        assert secret not in repr(adapter.config)
    assert caplog.records, "the connector logged nothing at DEBUG"
    assert secret not in caplog.text


def test_errors_scrub_configured_secrets_and_statement_echo() -> None:
    exc = ProgrammingError(
        msg="SQL compilation error:\nbad value 'sekrit-pw' here\nLINE 1: SELECT 'sekrit-pw'\n"
        "       ^",
        errno=1003,
        sqlstate="42000",
    )
    error = to_adapter_error(exc, secrets=["sekrit-pw"])
    assert str(error) == "snowflake: SQL compilation error: bad value '***' here [001003]"
