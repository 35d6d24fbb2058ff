"""Time partitions for ``time_interval`` (and ``microbatch``) models.

A partition is a half-open window ``[start, end)`` named by a canonical key:
``2026-04-07T13`` (hour), ``2026-04-07`` (day), ``2026-04`` (month),
``2026`` (year). Which partitions a run computes comes from the CLI
(``--partition``, ``--from/--to``, ``--latest``, ``--missing``); the default
is the latest one, the partition holding "now" (UTC). ``lookback`` adds the
partitions just before the selection; ``batch_size`` merges consecutive
partitions into one window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from rocky.errors import RockyError

__all__ = [
    "Granularity",
    "PartitionSelection",
    "PartitionWindow",
    "format_key",
    "parse_key",
    "plan_windows",
]

Granularity = Literal["hour", "day", "month", "year"]
_FORMATS: dict[str, str] = {
    "hour": "%Y-%m-%dT%H",
    "day": "%Y-%m-%d",
    "month": "%Y-%m",
    "year": "%Y",
}
_SPELLED: dict[str, str] = {
    "hour": "YYYY-MM-DDTHH",
    "day": "YYYY-MM-DD",
    "month": "YYYY-MM",
    "year": "YYYY",
}


@dataclass(frozen=True, slots=True)
class PartitionWindow:
    """``[start, end)`` in UTC; ``batched_with`` lists further keys merged in."""

    key: str
    start: datetime
    end: datetime
    batched_with: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.batched_with)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "start": _literal(self.start),
            "end": _literal(self.end),
            "batched_with": list(self.batched_with),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartitionWindow:
        return cls(
            key=data["key"],
            start=_parse_literal(data["start"]),
            end=_parse_literal(data["end"]),
            batched_with=tuple(data.get("batched_with") or ()),
        )


def _literal(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _parse_literal(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PartitionSelection:
    """What the CLI asked for. All unset means ``--latest``."""

    partition: str | None = None
    from_key: str | None = None
    to_key: str | None = None
    latest: bool = False
    missing: bool = False
    lookback: int | None = None
    now: datetime | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "from": self.from_key,
            "to": self.to_key,
            "latest": self.latest,
            "missing": self.missing,
            "lookback": self.lookback,
        }


def floor(moment: datetime, grain: str) -> datetime:
    moment = moment.astimezone(UTC)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if grain == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def step(moment: datetime, grain: str, count: int = 1) -> datetime:
    """``moment`` moved by ``count`` grains (negative goes back)."""
    if grain == "hour":
        return moment + timedelta(hours=count)
    if grain == "day":
        return moment + timedelta(days=count)
    if grain == "month":
        months = moment.year * 12 + (moment.month - 1) + count
        return moment.replace(year=months // 12, month=months % 12 + 1)
    return moment.replace(year=moment.year + count)


def format_key(moment: datetime, grain: str) -> str:
    return moment.strftime(_FORMATS[grain])


def parse_key(key: str, grain: str, *, model: str = "") -> datetime:
    """The start of the partition named ``key``; keys must be canonical."""
    try:
        moment = datetime.strptime(key, _FORMATS[grain]).replace(tzinfo=UTC)
    except ValueError:
        moment = None
    if moment is None or format_key(moment, grain) != key:
        where = f" of model '{model}'" if model else ""
        raise RockyError(
            f"partition key '{key}'{where} is not a {grain} partition",
            hint=f"use the form {_SPELLED[grain]}",
        )
    return moment


def _keys_between(first: datetime, last: datetime, grain: str) -> list[datetime]:
    out = []
    cursor = first
    while cursor <= last:
        out.append(cursor)
        cursor = step(cursor, grain)
    return out


def plan_windows(
    model: str,
    grain: str,
    selection: PartitionSelection,
    *,
    lookback: int = 0,
    batch_size: int = 1,
    first_partition: str | None = None,
    computed: Iterable[str] = (),
) -> list[PartitionWindow]:
    """The windows to compute, earliest first."""
    now = selection.now or datetime.now(UTC)
    if selection.partition is not None:
        starts = [parse_key(selection.partition, grain, model=model)]
    elif selection.from_key is not None or selection.to_key is not None:
        if selection.from_key is None or selection.to_key is None:
            raise RockyError("--from and --to go together", hint="pass both, or --partition")
        first = parse_key(selection.from_key, grain, model=model)
        last = parse_key(selection.to_key, grain, model=model)
        if first > last:
            raise RockyError(f"--from {selection.from_key} is after --to {selection.to_key}")
        starts = _keys_between(first, last, grain)
    elif selection.missing:
        if first_partition is None:
            raise RockyError(
                f"--missing needs `first_partition` in the [strategy] of model '{model}'",
                hint="add first_partition, or pass --from/--to",
            )
        first = parse_key(first_partition, grain, model=model)
        done = set(computed)
        starts = [
            s for s in _keys_between(first, floor(now, grain), grain)
            if format_key(s, grain) not in done
        ]
    else:
        starts = [floor(now, grain)]
    back = selection.lookback if selection.lookback is not None else lookback
    if starts and back > 0:
        extra = [step(starts[0], grain, -i) for i in range(back, 0, -1)]
        starts = sorted({*extra, *starts})
    return _batch(sorted(set(starts)), grain, max(1, batch_size))


def _batch(starts: list[datetime], grain: str, size: int) -> list[PartitionWindow]:
    windows: list[PartitionWindow] = []
    group: list[datetime] = []

    def flush() -> None:
        if group:
            keys = [format_key(s, grain) for s in group]
            windows.append(
                PartitionWindow(keys[0], group[0], step(group[-1], grain), tuple(keys[1:]))
            )
            group.clear()

    for start in starts:
        contiguous = not group or step(group[-1], grain) == start
        if len(group) >= size or not contiguous:
            flush()
        group.append(start)
    flush()
    return windows
