"""Objects kept alive until a short-lived process ends.

``rocky compile`` and ``rocky lineage`` end with ``os._exit`` (see
:mod:`rocky.cli.__main__`): nothing is torn down. Large objects that go out
of scope just before that (a 10,000-model project and its IR) would still be
freed one object at a time, about a tenth of a second of work that nobody
needs. Once :func:`arm` has been called, :func:`keep_until_exit` holds them
instead; otherwise (rocky used as a library, tests, ``--debug``) it does
nothing and they are freed as usual.
"""

from __future__ import annotations

__all__ = ["arm", "keep_until_exit"]

_KEPT: list[object] | None = None


def arm() -> None:
    """Announce that this process will end without tearing down."""
    global _KEPT
    if _KEPT is None:
        _KEPT = []


def keep_until_exit(*objects: object) -> None:
    if _KEPT is not None:
        _KEPT.extend(objects)
