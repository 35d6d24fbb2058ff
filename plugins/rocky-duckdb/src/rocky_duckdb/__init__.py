"""rocky-duckdb: the embedded DuckDB adapter for rocky.

Importing this package does not import DuckDB: the adapter module is loaded
on first use (``from rocky_duckdb import DuckDBAdapter``) or by the factory
the plugin registers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rocky_duckdb.config import CAPABILITIES, DuckDBConfig

if TYPE_CHECKING:
    from rocky_duckdb.adapter import DuckDBAdapter

__version__ = "0.1.0"

__all__ = ["CAPABILITIES", "DuckDBAdapter", "DuckDBConfig", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "DuckDBAdapter":
        from rocky_duckdb.adapter import DuckDBAdapter

        return DuckDBAdapter
    raise AttributeError(f"module 'rocky_duckdb' has no attribute {name!r}")
