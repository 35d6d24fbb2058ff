"""A live progress line for runs on a terminal: models done / total and the
ones running now. It appears only once a run has taken longer than a moment
(``delay`` seconds), writes to stderr, and is off in JSON mode or when
stderr is not a terminal."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.live import Live

__all__ = ["NullProgress", "Progress", "RunProgress"]


class Progress:
    """What the runner reports; this base class shows nothing."""

    def start(self, total: int) -> None:
        """The run has ``total`` models to execute."""

    def model_started(self, name: str) -> None:
        """``name`` was handed to a worker (called from that worker's thread)."""

    def model_finished(self, name: str, status: str) -> None:
        """``name`` ended with ``status`` (success, failed, skipped)."""

    def tick(self) -> None:
        """Called a few times a second by the runner's main loop."""

    def stop(self) -> None:
        """The run is over; clear the display."""


NullProgress = Progress


class RunProgress(Progress):
    """A rich live display on stderr."""

    def __init__(self, delay: float = 0.5) -> None:
        self.delay = delay
        self.total = 0
        self.done = 0
        self.failed = 0
        self.running: list[str] = []
        self._started = time.monotonic()
        self._live: Live | None = None
        self._lock = threading.Lock()  # workers report starts; the main thread draws

    @staticmethod
    def wanted(output: str) -> bool:
        return output != "json" and sys.stderr.isatty()

    def start(self, total: int) -> None:
        self.total = total
        self._started = time.monotonic()

    def model_started(self, name: str) -> None:
        with self._lock:
            self.running.append(name)

    def model_finished(self, name: str, status: str) -> None:
        with self._lock:
            if name in self.running:
                self.running.remove(name)
            self.done += 1
            if status != "success":
                self.failed += 1
        self._refresh()

    def tick(self) -> None:
        if self._live is None and time.monotonic() - self._started >= self.delay:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                self._render(), console=Console(stderr=True), transient=True,
                refresh_per_second=8,
            )
            self._live.start()
        self._refresh()

    def _render(self) -> str:
        with self._lock:
            names = list(self.running)
        running = ", ".join(names[:6])
        if len(names) > 6:
            running += f" (+{len(names) - 6})"
        failed = f", {self.failed} failed" if self.failed else ""
        line = f"[bold]rocky run[/bold] {self.done}/{self.total} models{failed}"
        return f"{line}  running: {running}" if running else line

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._render())

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
