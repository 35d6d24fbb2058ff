"""Reaching the stand-in server from a test: its endpoint and a connected
adapter on a database of one's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # conftest imports this module before it points HOME at a scratch
    # directory; the connector is imported only once a test runs.
    from rocky_snowflake import SnowflakeAdapter

__all__ = ["Endpoint", "open_database"]


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    pid: int

    def settings(self, **keys: Any) -> dict[str, Any]:
        """``[adapter]`` keys reaching this server (any credentials work)."""
        base: dict[str, Any] = {
            "type": "snowflake",
            "account": "rocky-test",
            "username": "rocky",
            "password": "stand-in-password",
            "host": self.host,
            "port": self.port,
            "protocol": "http",
            "timeout_secs": 30,
        }
        return {**base, **keys}


def open_database(endpoint: Endpoint, name: str, **keys: Any) -> SnowflakeAdapter:
    """A connected adapter on database ``name``, created first if absent."""
    from rocky_snowflake import SnowflakeAdapter, SnowflakeConfig
    from rocky_snowflake.sql import create_database

    with SnowflakeAdapter(SnowflakeConfig.model_validate(endpoint.settings())) as admin:
        admin.execute(create_database(name))
    adapter = SnowflakeAdapter(
        SnowflakeConfig.model_validate(endpoint.settings(database=name, **keys))
    )
    adapter.connect()
    return adapter
