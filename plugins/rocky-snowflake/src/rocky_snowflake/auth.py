"""The arguments ``snowflake.connector.connect`` is called with.

One credential logs in (``SnowflakeConfig.auth_method``): an OAuth token,
a key pair (the PEM key is read and decrypted here, so a wrong path or
passphrase is one clear line), a programmatic access token (which
Snowflake accepts in place of a password) or a password. The same
arguments go to Snowflake and to a stand-in; only host, port and protocol
differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from rocky.errors import AdapterError
from rocky_snowflake.config import SnowflakeConfig
from rocky_snowflake.errors import to_adapter_error

__all__ = ["APPLICATION", "DEFAULT_SCHEMA", "login_arguments", "private_key_der"]

# Shown as the client application in Snowflake's query history.
APPLICATION: Final = "rocky"
DEFAULT_SCHEMA: Final = "PUBLIC"


def private_key_der(path: Path, passphrase: str | None) -> bytes:
    """The PEM private key at ``path`` as unencrypted PKCS#8 DER, the form
    the connector takes for key-pair login."""
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise AdapterError(
            f"cannot read private key {path}: {reason}",
            hint="private_key_path is relative to the project directory",
        ) from None
    try:
        key = serialization.load_pem_private_key(
            data, password=passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        secrets = [passphrase] if passphrase else []
        raise to_adapter_error(
            exc, doing=f"cannot load private key {path}", secrets=secrets
        ) from None
    return key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def login_arguments(config: SnowflakeConfig, project_dir: Path) -> dict[str, Any]:
    """Keyword arguments for ``snowflake.connector.connect``."""
    arguments: dict[str, Any] = {
        "account": config.account,
        "application": APPLICATION,
        # Bind parameters travel as ``?`` placeholders, bound by the server.
        "paramstyle": "qmark",
    }
    optional = {
        "user": config.username,
        "warehouse": config.warehouse,
        "role": config.role,
        "database": config.database,
        "host": config.host,
        "port": config.port,
        "login_timeout": config.timeout_secs,
        "network_timeout": config.timeout_secs,
    }
    arguments.update({k: v for k, v in optional.items() if v is not None})
    if config.database:
        # Snowflake's own default schema, named so that every session (one
        # per thread) starts in the same place on Snowflake and on a stand-in.
        arguments["schema"] = DEFAULT_SCHEMA
    arguments["protocol"] = config.protocol
    if config.session_parameters:
        arguments["session_parameters"] = dict(config.session_parameters)
    method = config.auth_method()
    if method == "oauth" and config.oauth_token is not None:
        arguments["authenticator"] = "oauth"
        arguments["token"] = config.oauth_token.get_secret_value()
    elif method == "keypair":
        path = config.key_path(project_dir)
        assert path is not None  # auth_method() said a key is configured
        passphrase = config.private_key_passphrase
        arguments["authenticator"] = "SNOWFLAKE_JWT"
        arguments["private_key"] = private_key_der(
            path, passphrase.get_secret_value() if passphrase else None
        )
    elif method == "pat" and config.pat is not None:
        arguments["password"] = config.pat.get_secret_value()
    elif config.password is not None:
        arguments["password"] = config.password.get_secret_value()
    return arguments
