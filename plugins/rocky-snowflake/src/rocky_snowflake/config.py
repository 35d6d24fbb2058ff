"""``[adapter] type = "snowflake"``: the keys the Snowflake adapter accepts.

The keys of the original tool (``account``, ``warehouse``, ``username``,
``password``, ``private_key_path``, ``oauth_token``, ``pat``, ``role``,
``database``) plus ``host``/``port``/``protocol`` for a non-default endpoint
and a few optional ones (documented in docs/adapters/snowflake.md). Secrets
are ``SecretStr``: their ``repr`` and JSON form are masked, so a config
printed, logged or recorded never shows them. Write them as ``${VAR}``.

This module is imported when the plugin registers, so it stays cheap: the
connector is not imported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from rocky.adapters import AdapterConfig, Capability, capabilities
from rocky_snowflake.cost import size_key

__all__ = ["CAPABILITIES", "AuthMethod", "SnowflakeConfig", "SnowflakeCostSettings"]

# Declared once, shared by the AdapterSpec and the adapter class. CANCEL,
# BYTES_SCANNED and BYTES_WRITTEN are left out on purpose: the adapter does
# cancel and does read bytes from query history, but no stand-in can show
# either, and a capability is a promise the conformance kit checks.
CAPABILITIES: Final = capabilities(
    Capability.MERGE,
    Capability.VIEWS,
    Capability.MATERIALIZED_VIEWS,
    Capability.CLONE,
    Capability.TAGS,
    Capability.GRANTS,
    Capability.MASKING,
    Capability.TRANSACTIONS,
    Capability.CREATE_OR_REPLACE,
    Capability.ALTER_COLUMN_TYPE,
)

AuthMethod = Literal["oauth", "keypair", "pat", "password"]

SessionValue = str | int | float | bool | list[str]


class SnowflakeCostSettings(BaseModel):
    """``[adapter.cost]``: what the configured warehouse costs."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    warehouse_size: str | None = Field(
        default=None,
        description="Size of `warehouse` (X-Small ... 6X-Large); overrides [cost] warehouse_size.",
    )
    credits_per_hour: float | None = Field(
        default=None,
        gt=0,
        description="Credits the warehouse burns per hour; overrides the size's rate.",
    )
    usd_per_credit: float | None = Field(
        default=None,
        ge=0,
        description="Price of one credit; overrides [cost] compute_cost_per_dbu.",
    )

    @field_validator("warehouse_size")
    @classmethod
    def _known_size(cls, value: str | None) -> str | None:
        if value is not None and size_key(value) is None:
            raise ValueError(
                f"unknown warehouse size {value!r} (X-Small, Small, Medium, Large, "
                "X-Large, 2X-Large ... 6X-Large)"
            )
        return value


class SnowflakeConfig(AdapterConfig):
    """A Snowflake account, reached with snowflake-connector-python."""

    # Built when an adapter table is first validated, not when the plugin
    # registers: every command loads the plugins, few validate this table.
    model_config = ConfigDict(defer_build=True)

    type: Literal["snowflake"] = "snowflake"
    account: str = Field(min_length=1, description="Account identifier, e.g. 'xy12345.eu-west-1'.")
    username: str | None = Field(default=None, description="Login name.")
    password: SecretStr | None = Field(default=None, description="Password (write ${VAR}).")
    private_key_path: str | None = Field(
        default=None,
        description="PEM private key for key-pair auth; relative to the project directory.",
    )
    private_key_passphrase: SecretStr | None = Field(
        default=None, description="Passphrase of an encrypted private key (write ${VAR})."
    )
    oauth_token: SecretStr | None = Field(
        default=None, description="OAuth access token (write ${VAR})."
    )
    pat: SecretStr | None = Field(
        default=None, description="Programmatic access token (write ${VAR})."
    )
    warehouse: str | None = Field(default=None, description="Virtual warehouse to run on.")
    role: str | None = Field(default=None, description="Role to assume.")
    database: str | None = Field(
        default=None, description="Default database (the catalog of unqualified names)."
    )
    host: str | None = Field(
        default=None, description="Endpoint host (default <account>.snowflakecomputing.com)."
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="Endpoint port.")
    protocol: Literal["https", "http"] = Field(default="https", description="Endpoint scheme.")
    session_parameters: dict[str, SessionValue] = Field(
        default_factory=dict,
        description="Session parameters set at login (QUERY_TAG, TIMEZONE, ...).",
    )
    timeout_secs: int | None = Field(
        default=None,
        ge=1,
        description="Give up logging in, or retrying a failed request, after this many seconds.",
    )
    query_history: bool = Field(
        default=True,
        description="Read bytes scanned/written of each statement from query history.",
    )
    cost: SnowflakeCostSettings = Field(default_factory=SnowflakeCostSettings)

    @field_validator("account", "host")
    @classmethod
    def _no_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> SnowflakeConfig:
        if self.private_key_passphrase is not None and self.private_key_path is None:
            raise ValueError("private_key_passphrase needs private_key_path")
        method = self.auth_method()
        if method != "oauth" and not self.username:
            raise ValueError(f"username is required for {_METHOD_NAMES[method]} authentication")
        return self

    def auth_method(self) -> AuthMethod:
        """Which credential logs in: OAuth, then key pair, then PAT, then
        password (the first one set wins)."""
        if self.oauth_token is not None:
            return "oauth"
        if self.private_key_path is not None:
            return "keypair"
        if self.pat is not None:
            return "pat"
        if self.password is not None:
            return "password"
        raise ValueError(
            "no credentials: set one of password, private_key_path, oauth_token or pat"
        )

    def secret_values(self) -> list[str]:
        """Every secret's value, so error text can be scrubbed of them."""
        secrets = (self.password, self.private_key_passphrase, self.oauth_token, self.pat)
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]

    def key_path(self, project_dir: Path) -> Path | None:
        """``private_key_path`` resolved against the project directory."""
        if self.private_key_path is None:
            return None
        path = Path(self.private_key_path).expanduser()
        return path if path.is_absolute() else project_dir / path


_METHOD_NAMES: Final[dict[str, str]] = {
    "oauth": "OAuth",
    "keypair": "key-pair",
    "pat": "programmatic access token",
    "password": "password",
}
