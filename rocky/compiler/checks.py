"""Model-level checks run on an inferred schema, and the few checks that
look across models (shared targets, ``SELECT *`` blast radius).

Per-model checks return :class:`RawDiag` (positions still in the parse
text); cross-model checks return finished Diagnostics.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from rocky.compiler.results import RawDiag
from rocky.diagnostics import CODES, Diagnostic, Severity, Span
from rocky.ir import Column, ModelIR

__all__ = [
    "NO_FRESHNESS_STRATEGIES",
    "diagnostic",
    "merge_checks",
    "schema_checks",
    "select_star_blast_radius",
    "target_collisions",
    "time_interval_checks",
]

_IDENT: Final = re.compile(r"^[A-Za-z0-9_]+$")
_PARTITION_FORMATS: Final = {
    "hour": ("%Y-%m-%dT%H", "YYYY-MM-DDTHH"),
    "day": ("%Y-%m-%d", "YYYY-MM-DD"),
    "month": ("%Y-%m", "YYYY-MM"),
    "year": ("%Y", "YYYY"),
}
_TEMPORAL_KINDS: Final = frozenset({"Date", "Timestamp", "TimestampNtz"})
# Strategies that write no table of their own: no freshness to watch.
NO_FRESHNESS_STRATEGIES: Final = frozenset({"ephemeral", "view"})


def diagnostic(
    code: str, message: str, model: str | None, span: Span | None, suggestion: str | None = None
) -> Diagnostic:
    severity = CODES[code][0] if code in CODES else Severity.ERROR
    return Diagnostic(severity, code, message, model, span, suggestion)


def _strategy_field(strategy: Any, key: str) -> Any:
    if isinstance(strategy, dict):
        return strategy.get(key)
    return getattr(strategy, key, None)


def _partition_key_ok(granularity: str, key: str) -> bool:
    fmt = _PARTITION_FORMATS.get(granularity)
    if fmt is None:
        return False
    try:
        parsed = dt.datetime.strptime(key, fmt[0])
    except ValueError:
        return False
    return parsed.strftime(fmt[0]) == key


def time_interval_checks(
    strategy: Any, columns: Sequence[Column], complete: bool, uses_start: bool, uses_end: bool
) -> list[RawDiag]:
    """E020-E026 and W003 for a ``time_interval`` model."""
    out: list[RawDiag] = []
    time_column = str(_strategy_field(strategy, "time_column") or "")
    granularity = str(_strategy_field(strategy, "granularity") or "")
    first_partition = _strategy_field(strategy, "first_partition")
    if not _IDENT.match(time_column):
        out.append(
            RawDiag(
                "E023",
                f"time_column '{time_column}' is not a valid identifier",
                suggestion="use a plain column name of letters, digits and underscores",
            )
        )
    col = next((c for c in columns if c.name.lower() == time_column.lower()), None)
    if col is None:
        if complete:
            names = ", ".join(c.name for c in columns) or "none"
            out.append(
                RawDiag(
                    "E020",
                    f"time_column '{time_column}' is not an output column",
                    suggestion=f"output columns: {names}",
                )
            )
    elif not col.type.is_unknown:
        if not col.type.is_temporal:
            out.append(
                RawDiag(
                    "E021",
                    f"time_column '{time_column}' is {col.type}, not a date or timestamp",
                    suggestion="CAST it to DATE or TIMESTAMP, or pick another time_column",
                )
            )
        if col.nullable:
            out.append(
                RawDiag(
                    "E022",
                    f"time_column '{time_column}' is nullable; partition keys cannot be NULL",
                    suggestion="wrap it in COALESCE(...) or filter NULLs out with IS NOT NULL",
                )
            )
        if granularity == "hour" and col.type.kind == "Date":
            out.append(
                RawDiag(
                    "E025",
                    f"granularity 'hour' needs a timestamp, but '{time_column}' is a Date",
                    suggestion='use granularity = "day" or make the column a TIMESTAMP',
                )
            )
    if not uses_start and not uses_end:
        out.append(
            RawDiag(
                "E024",
                "time_interval model uses neither @start_date nor @end_date",
                suggestion=f"add WHERE {time_column} >= @start_date AND {time_column} < @end_date",
            )
        )
    elif uses_start != uses_end:
        missing = "@end_date" if uses_start else "@start_date"
        out.append(
            RawDiag(
                "W003",
                f"time_interval model does not use {missing}: the partition window is open",
                suggestion=f"bound the window with {missing}",
            )
        )
    if first_partition is not None and not _partition_key_ok(granularity, str(first_partition)):
        expected = _PARTITION_FORMATS.get(granularity, ("", "?"))[1]
        out.append(
            RawDiag(
                "E026",
                f"first_partition '{first_partition}' is not a valid {granularity} key",
                suggestion=f"write it as {expected}",
            )
        )
    return out


def merge_checks(strategy: Any, columns: Sequence[Column], complete: bool) -> list[RawDiag]:
    """W006: a merge ``unique_key`` column the output does not have."""
    if not complete:
        return []
    names = {c.name.lower() for c in columns}
    out = []
    for key in _strategy_field(strategy, "unique_key") or []:
        if str(key).lower() not in names:
            out.append(
                RawDiag(
                    "W006",
                    f"unique_key '{key}' is not an output column",
                    suggestion="output columns: " + ", ".join(c.name for c in columns),
                )
            )
    return out


def schema_checks(
    strategy_type: str,
    columns: Sequence[Column],
    *,
    has_freshness: bool,
    project_freshness: bool,
    star_known: bool,
    star_unknown: bool,
) -> list[RawDiag]:
    """W002 / I001 (``SELECT *``), I002 (unknown types), W005 (freshness)."""
    out: list[RawDiag] = []
    if star_unknown:
        out.append(
            RawDiag(
                "W002",
                "SELECT * over an upstream whose columns are unknown: the output "
                "columns cannot all be listed or typed",
                suggestion="list the columns explicitly, or give the source a schema "
                "(seeds, data/seed.sql with --with-seed, or [[sources]] columns)",
            )
        )
    elif star_known:
        out.append(
            RawDiag(
                "I001",
                "SELECT * expanded from the upstream schema",
                suggestion="an explicit column list keeps upstream changes from flowing through",
            )
        )
    unknown = [c.name for c in columns if c.type.kind == "Unknown"]
    if unknown:
        out.append(
            RawDiag(
                "I002",
                f"{len(unknown)} column type(s) unknown: {', '.join(unknown)}",
                suggestion="give the sources a schema or CAST the columns",
            )
        )
    if not has_freshness and not project_freshness and strategy_type not in NO_FRESHNESS_STRATEGIES:
        temporal = [c.name for c in columns if c.type.kind in _TEMPORAL_KINDS]
        if temporal:
            out.append(
                RawDiag(
                    "W005",
                    f"temporal column(s) {', '.join(temporal)} but no [freshness] declared",
                    suggestion=(
                        f'add [freshness] max_lag_seconds = 86400, time_column = "{temporal[0]}"'
                    ),
                )
            )
    return out


def target_collisions(models: Iterable[ModelIR], spans: Mapping[str, Span]) -> list[Diagnostic]:
    """E036, once per model whose target another model also writes."""
    groups: dict[str, list[ModelIR]] = {}
    for m in models:
        if m.strategy_type == "ephemeral":
            continue
        groups.setdefault(m.target.key.lower(), []).append(m)
    out: list[Diagnostic] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        names = ", ".join(sorted(m.name for m in members))
        for m in sorted(members, key=lambda x: x.name):
            out.append(
                diagnostic(
                    "E036",
                    f"models [{names}] all write '{m.target.key}': which one survives "
                    "depends on execution order",
                    m.name,
                    spans.get(m.name),
                    "give each model its own [target] table, or remove the duplicate",
                )
            )
    return out


def select_star_blast_radius(
    models: Mapping[str, ModelIR], star_models: Iterable[str], spans: Mapping[str, Span]
) -> list[Diagnostic]:
    """P002: a ``SELECT *`` model whose downstream models name its columns."""
    star = set(star_models)
    if not star:
        return []
    consumers: dict[str, dict[str, list[str]]] = {}
    for m in models.values():
        # a model's lineage only names tables it reads: skip the many models
        # that read no SELECT * model without walking their edges
        if star.isdisjoint(m.depends_on) and star.isdisjoint(m.external_refs):
            continue
        for edge in m.lineage:
            if edge.source.model in star and edge.source.model != m.name:
                cols = consumers.setdefault(edge.source.model, {}).setdefault(m.name, [])
                if edge.source.column not in cols:
                    cols.append(edge.source.column)
    out: list[Diagnostic] = []
    for name in sorted(consumers):
        parts = []
        for down, cols in sorted(consumers[name].items()):
            preview = ", ".join(cols[:3]) + (f", +{len(cols) - 3} more" if len(cols) > 3 else "")
            parts.append(f"`{down}` ({preview})")
        n = len(parts)
        out.append(
            diagnostic(
                "P002",
                f"SELECT * passes upstream schema changes on to {n} downstream "
                f"consumer{'s' if n != 1 else ''}: {', '.join(parts)}",
                name,
                spans.get(name),
                "replace SELECT * with an explicit column list",
            )
        )
    return out
