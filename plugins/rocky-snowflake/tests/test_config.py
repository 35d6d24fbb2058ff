"""``[adapter] type = "snowflake"``: keys, credentials, secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from rocky_snowflake import SnowflakeConfig

BASE: dict[str, Any] = {"type": "snowflake", "account": "xy12345", "username": "etl"}


def config(**keys: Any) -> SnowflakeConfig:
    return SnowflakeConfig.model_validate({**BASE, **keys})


def test_the_reference_keys_are_accepted() -> None:
    cfg = config(
        password="pw",
        warehouse="TRANSFORMING",
        role="TRANSFORMER",
        database="ANALYTICS",
        host="127.0.0.1",
        port=8080,
        protocol="http",
    )
    assert (cfg.warehouse, cfg.role, cfg.database) == ("TRANSFORMING", "TRANSFORMER", "ANALYTICS")
    assert (cfg.host, cfg.port, cfg.protocol) == ("127.0.0.1", 8080, "http")
    assert config(password="pw").protocol == "https"


@pytest.mark.parametrize(
    ("keys", "needle"),
    [
        ({"password": "pw", "schema": "PUBLIC"}, "schema"),
        ({"password": "pw", "passwrd": "x"}, "passwrd"),
        ({"password": "pw", "protocol": "ftp"}, "protocol"),
        ({"password": "pw", "port": 0}, "port"),
        ({"password": "pw", "account": " "}, "blank"),
        ({}, "no credentials"),
        ({"password": "pw", "username": None}, "username is required for password"),
        ({"private_key_passphrase": "x", "password": "pw"}, "needs private_key_path"),
        ({"password": "pw", "cost": {"warehouse_size": "Gigantic"}}, "unknown warehouse size"),
        ({"password": "pw", "cost": {"credits_per_hour": 0}}, "credits_per_hour"),
        ({"password": "pw", "cost": {"usd": 1}}, "usd"),
        ({"password": "pw", "timeout_secs": 0}, "timeout_secs"),
    ],
)
def test_bad_keys_are_rejected_by_name(keys: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        config(**keys)


def test_oauth_needs_no_username() -> None:
    cfg = SnowflakeConfig.model_validate(
        {"type": "snowflake", "account": "xy12345", "oauth_token": "tok"}
    )
    assert cfg.auth_method() == "oauth"


def test_the_first_credential_set_wins() -> None:
    assert config(password="pw").auth_method() == "password"
    assert config(password="pw", pat="p").auth_method() == "pat"
    assert config(password="pw", pat="p", private_key_path="k.p8").auth_method() == "keypair"
    everything = config(password="pw", pat="p", private_key_path="k.p8", oauth_token="t")
    assert everything.auth_method() == "oauth"


def test_secrets_are_masked_in_repr_and_json() -> None:
    cfg = config(
        password="hunter2-pw",
        oauth_token="tok-123456",
        pat="pat-654321",
        private_key_path="k.p8",
        private_key_passphrase="phrase-999",
    )
    shown = repr(cfg) + str(cfg) + cfg.model_dump_json()
    for secret in ("hunter2-pw", "tok-123456", "pat-654321", "phrase-999"):
        assert secret not in shown
    assert sorted(cfg.secret_values()) == ["hunter2-pw", "pat-654321", "phrase-999", "tok-123456"]


def test_model_dump_round_trips() -> None:
    cfg = config(
        password="pw", session_parameters={"QUERY_TAG": "rocky"}, cost={"usd_per_credit": 3}
    )
    assert SnowflakeConfig.model_validate(cfg.model_dump()) == cfg


def test_key_path_resolves_against_the_project(tmp_path: Path) -> None:
    assert config(private_key_path="keys/rsa.p8").key_path(tmp_path) == tmp_path / "keys/rsa.p8"
    assert config(private_key_path="/abs/rsa.p8").key_path(tmp_path) == Path("/abs/rsa.p8")
    assert config(password="pw").key_path(tmp_path) is None


def test_warehouse_sizes_are_spelled_any_way_snowflake_does() -> None:
    for size in ("X-Small", "XSMALL", "x_small", "2X-Large", "XXLARGE", "X2LARGE", "6X-Large"):
        assert config(password="pw", cost={"warehouse_size": size}).cost.warehouse_size == size
