"""rocky's built-in behaviour, registered through the same hooks (and the
same entry-point group) as any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable

from rocky.hookspecs import hookimpl
from rocky.strategies import BUILTIN_STRATEGIES, StrategySpec


@hookimpl
def rocky_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    for spec in BUILTIN_STRATEGIES:
        register(spec)
