"""Run one command and measure its wall time and peak memory (Linux).

Peak memory is the larger of two readings: the kernel's ``ru_maxrss`` for the
child (the largest single process, exact) and the sum of resident memory over
the whole process tree, sampled every few milliseconds (catches worker
processes that are alive at the same time).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["CommandFailed", "Sample", "measure", "median", "summarize"]

_PAGE = os.sysconf("SC_PAGE_SIZE")
_SAMPLE_EVERY_S = 0.01


@dataclass(frozen=True)
class Sample:
    """One timed run of a command."""

    wall_s: float
    peak_rss_mb: float
    user_s: float
    sys_s: float


class CommandFailed(Exception):
    """The measured command exited non-zero."""

    def __init__(self, argv: Sequence[str], code: int, tail: str) -> None:
        super().__init__(f"{' '.join(argv)} exited {code}: {tail}")
        self.code = code
        self.tail = tail


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return out


def _tree_rss_bytes(root: int) -> int:
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(pid)
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))
            self._stop_event.wait(_SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


_BOX = str.maketrans("", "", "│╭╮╰╯─")


def _tail(path: Path, lines: int = 5) -> str:
    """The last lines of a log, on one line (box drawing from rich removed)."""
    try:
        text = path.read_text(errors="replace").translate(_BOX).splitlines()
    except OSError:
        return ""
    kept = [" ".join(line.split()) for line in text if line.strip()]
    return " | ".join(kept[-lines:])


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    log_stem: Path | None = None,
    timeout_s: float = 3600.0,
) -> Sample:
    """Run ``argv`` in ``cwd``; raise CommandFailed on a non-zero exit.

    Output goes to ``<log_stem>.out`` / ``.err`` (or is discarded) so that a
    terminal never slows the measured tool down.
    """
    out_path = err_path = Path(os.devnull)
    if log_stem is not None:
        log_stem.parent.mkdir(parents=True, exist_ok=True)
        out_path = log_stem.with_suffix(".out")
        err_path = log_stem.with_suffix(".err")
    run_env = dict(os.environ if env is None else env)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=run_env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        watchdog = threading.Timer(timeout_s, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
            sampler.stop()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise CommandFailed(argv, proc.returncode, _tail(err_path) or _tail(out_path))
    peak = max(usage.ru_maxrss * 1024, sampler.peak)
    return Sample(
        wall_s=wall,
        peak_rss_mb=peak / 2**20,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
    )


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def summarize(samples: Sequence[Sample]) -> dict[str, Any]:
    """Median wall and CPU time, the highest peak memory, and every run.

    CPU time (user + system) is the steadier figure on a shared machine; wall
    time is what a user waits for.
    """
    return {
        "median_s": round(median([s.wall_s for s in samples]), 4),
        "median_cpu_s": round(median([s.user_s + s.sys_s for s in samples]), 4),
        "min_s": round(min(s.wall_s for s in samples), 4),
        "peak_rss_mb": round(max(s.peak_rss_mb for s in samples), 1),
        "repeats": len(samples),
        "runs": [{k: round(v, 4) for k, v in asdict(s).items()} for s in samples],
    }
