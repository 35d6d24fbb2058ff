"""Choosing time partitions: keys, ranges, lookback, batches, --missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rocky.errors import RockyError
from rocky.partitions import PartitionSelection, parse_key, plan_windows

NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)


def keys(grain: str, selection: PartitionSelection, **kw: object) -> list[list[str]]:
    windows = plan_windows("m", grain, selection, **kw)  # type: ignore[arg-type]
    return [list(w.keys) for w in windows]


@pytest.mark.parametrize(
    ("grain", "key"),
    [("hour", "2026-03-15T10"), ("day", "2026-03-15"), ("month", "2026-03"), ("year", "2026")],
)
def test_latest_is_the_partition_holding_now(grain: str, key: str) -> None:
    assert keys(grain, PartitionSelection(now=NOW)) == [[key]]
    assert keys(grain, PartitionSelection(latest=True, now=NOW)) == [[key]]


def test_keys_must_be_canonical() -> None:
    assert parse_key("2026-02-28", "day") == datetime(2026, 2, 28, tzinfo=UTC)
    for bad, grain in (("2026-2-28", "day"), ("2026-02", "day"), ("2026-02-30", "day"),
                       ("2026-03-15T1", "hour")):
        with pytest.raises(RockyError, match="is not a"):
            parse_key(bad, grain)


def test_range_lookback_and_month_arithmetic() -> None:
    sel = PartitionSelection(from_key="2025-11", to_key="2026-01")
    assert keys("month", sel) == [["2025-11"], ["2025-12"], ["2026-01"]]
    back = PartitionSelection(partition="2026-01", lookback=2)
    assert keys("month", back) == [["2025-11"], ["2025-12"], ["2026-01"]]
    # The model's lookback applies unless the CLI overrides it.
    assert keys("day", PartitionSelection(partition="2026-03-01"), lookback=1) == [
        ["2026-02-28"], ["2026-03-01"]
    ]
    assert keys("day", PartitionSelection(partition="2026-03-01", lookback=0), lookback=3) == [
        ["2026-03-01"]
    ]


def test_batches_merge_consecutive_partitions() -> None:
    sel = PartitionSelection(from_key="2026-03-01", to_key="2026-03-05")
    windows = plan_windows("m", "day", sel, batch_size=2)
    assert [list(w.keys) for w in windows] == [
        ["2026-03-01", "2026-03-02"], ["2026-03-03", "2026-03-04"], ["2026-03-05"]
    ]
    assert windows[0].end == datetime(2026, 3, 3, tzinfo=UTC)


def test_missing_skips_computed_and_needs_a_first_partition() -> None:
    sel = PartitionSelection(missing=True, now=datetime(2026, 3, 4, 1, tzinfo=UTC))
    assert keys("day", sel, first_partition="2026-03-01", computed=["2026-03-02"]) == [
        ["2026-03-01"], ["2026-03-03"], ["2026-03-04"]
    ]
    with pytest.raises(RockyError, match="needs `first_partition`"):
        keys("day", sel)


def test_bad_ranges_are_one_line_errors() -> None:
    with pytest.raises(RockyError, match="is after --to"):
        keys("day", PartitionSelection(from_key="2026-03-02", to_key="2026-03-01"))
    with pytest.raises(RockyError, match="--from and --to go together"):
        keys("day", PartitionSelection(from_key="2026-03-02"))
