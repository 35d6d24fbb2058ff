"""Which sqlglot dialect a project compiles in (no sqlglot import here)."""

from __future__ import annotations

from typing import Final

__all__ = ["builtin_dialect", "dialect_for", "normalize_dialect"]

# Adapter type -> sqlglot dialect, for the adapters rocky knows by name.
_ADAPTER_DIALECTS: Final = {
    "duckdb": "duckdb",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "spark": "spark",
    "postgres": "postgres",
    "trino": "trino",
}
# CLI spellings of --target-dialect / --dialect.
_ALIASES: Final = {"dbx": "databricks", "sf": "snowflake", "bq": "bigquery"}


def builtin_dialect(adapter_type: str) -> str | None:
    """The sqlglot dialect of an adapter type rocky knows by name (it
    compiles without the adapter's plugin installed); None otherwise."""
    return _ADAPTER_DIALECTS.get(adapter_type)


def dialect_for(adapter_type: str) -> str:
    """The sqlglot dialect for an adapter type; a plugin adapter's declared
    dialect when rocky does not know the type by name. A loaded project's
    type is known to resolve: :func:`rocky.project.load_project` checks it
    and names rocky.toml when no plugin provides it."""
    known = builtin_dialect(adapter_type)
    if known is not None:
        return known
    from rocky.plugins import get_registry

    return get_registry().adapter(adapter_type).dialect


def normalize_dialect(name: str) -> str:
    lowered = name.strip().lower()
    return _ALIASES.get(lowered, lowered)
