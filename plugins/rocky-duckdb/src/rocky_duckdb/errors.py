"""DuckDB exceptions as one-line AdapterErrors.

DuckDB's messages carry a caret diagram of the statement (``LINE 1: ...``)
under the first line; only the first line is kept, so statement text (and
whatever literal it held) never reaches output. A "Did you mean" line
becomes the hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from rocky.errors import AdapterError

__all__ = ["to_adapter_error"]

_SCHEMA_OR_CATALOG: Final = re.compile(
    r"Schema with name \S+ does not exist"
    r"|is not a catalog or schema"
    r"|because schema \S+ does not exist"
)


def to_adapter_error(
    exc: BaseException,
    *,
    doing: str | None = None,
    catalogs: Sequence[str] = (),
    interrupted: bool = False,
) -> AdapterError:
    """One clear line for ``exc``; ``doing`` names what was attempted."""
    if interrupted:
        return AdapterError("DuckDB statement cancelled")
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    hint = next((line for line in lines[1:] if line.lower().startswith("did you mean")), None)
    if hint is None and "Could not set lock" in first:
        hint = "another process has this database open; close it, or set read_only = true in both"
        first = first.split(": Conflicting lock", 1)[0]
    if hint is None and _SCHEMA_OR_CATALOG.search(first):
        known = ", ".join(catalogs) or "none"
        hint = (
            f"catalogs on this connection: {known}; create the schema first, "
            "or attach another catalog under [adapter.attach]"
        )
    prefix = f"{doing}: " if doing else "duckdb: "
    return AdapterError(prefix + first, hint=hint)
