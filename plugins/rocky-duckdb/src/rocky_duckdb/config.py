"""``[adapter] type = "duckdb"``: the keys the DuckDB adapter accepts.

This module is imported when the plugin registers, so it stays cheap: no
DuckDB import here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from rocky.adapters import AdapterConfig, Capability, capabilities

__all__ = ["CAPABILITIES", "MEMORY", "DuckDBConfig"]

MEMORY: Final = ":memory:"

# Declared once, shared by the AdapterSpec and the adapter class.
CAPABILITIES: Final = capabilities(
    Capability.MERGE,
    Capability.VIEWS,
    Capability.TRANSACTIONS,
    Capability.CREATE_OR_REPLACE,
    Capability.ALTER_COLUMN_TYPE,
    Capability.CANCEL,
    Capability.ARROW,
    Capability.BYTES_SCANNED,
    Capability.BYTES_WRITTEN,
)

_EXTENSION = re.compile(r"^[A-Za-z0-9_]+$")
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class DuckDBConfig(AdapterConfig):
    """An embedded DuckDB database: a file, or memory when ``path`` is unset."""

    # Built when an adapter table is first validated (a run, `rocky
    # validate`), not when the plugin registers: most commands never do.
    model_config = ConfigDict(defer_build=True)

    type: Literal["duckdb"] = "duckdb"
    path: str | None = Field(
        default=None,
        description=(
            "Database file. Relative paths resolve against the project directory; "
            "unset or ':memory:' means an in-memory database. The catalog is the "
            "name DuckDB gives the file (its name up to the first dot)."
        ),
    )
    read_only: bool = Field(
        default=False,
        description="Open the file read-only (several processes may then share it).",
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        description="DuckDB worker threads per statement (default: one per core).",
    )
    memory_limit: str | None = Field(
        default=None,
        description="DuckDB's memory limit, e.g. '4GB' (default: 80% of RAM).",
    )
    extensions: list[str] = Field(
        default_factory=list,
        description="Extensions to LOAD on connect (already installed, e.g. 'json').",
    )
    attach: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra catalogs: name -> database file (relative to the project "
            "directory) or ':memory:'. Attached on connect."
        ),
    )

    @field_validator("extensions")
    @classmethod
    def _extension_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _EXTENSION.match(name):
                raise ValueError(f"extension name {name!r} is not a plain name")
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory_limit(cls, value: str | None) -> str | None:
        if value is not None and not _SIZE.match(value):
            raise ValueError(f"memory_limit {value!r} is not a size such as '4GB' or '512MiB'")
        return value

    @field_validator("attach")
    @classmethod
    def _attach_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, target in value.items():
            if not name.strip():
                raise ValueError("an attached catalog needs a name")
            if not target.strip():
                raise ValueError(f"attached catalog {name!r} needs a path or ':memory:'")
        return value

    @model_validator(mode="after")
    def _read_only_needs_a_file(self) -> DuckDBConfig:
        if self.read_only and self.in_memory:
            raise ValueError("read_only needs a database file: set path")
        return self

    @property
    def in_memory(self) -> bool:
        return self.path is None or self.path.strip() in ("", MEMORY)

    def database_path(self, project_dir: Path) -> Path | None:
        """The database file, resolved against ``project_dir``; None in memory."""
        if self.in_memory or self.path is None:
            return None
        return _resolve(self.path, project_dir)

    def attached_paths(self, project_dir: Path) -> dict[str, Path | None]:
        """Attached catalogs by name; None for an in-memory one."""
        return {
            name: None if target.strip() == MEMORY else _resolve(target, project_dir)
            for name, target in self.attach.items()
        }


def _resolve(path: str, project_dir: Path) -> Path:
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = project_dir / candidate
    return candidate
