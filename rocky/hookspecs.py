"""Every extension point of rocky, typed and documented.

Plugins implement these with ``@rocky.hookimpl`` and register under the
entry-point group ``rocky``. The built-in behaviour (``rocky.builtins``) is
registered the same way. Named things (adapters, strategies, drift policies)
use registrar hooks: the plugin calls ``register(spec)`` and the kernel owns
the registry, duplicate detection and error messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from rocky.adapters import Adapter, AdapterSpec
    from rocky.cost import CostModel
    from rocky.diagnostics import Diagnostic
    from rocky.drift import DriftPolicy
    from rocky.governance import GovernanceAdapter
    from rocky.ir import ProjectIR
    from rocky.strategies import StrategySpec

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("rocky")
hookimpl = pluggy.HookimplMarker("rocky")


@hookspec
def rocky_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register warehouse adapter types.

    Fires once, when the registry is first built (the first time a command
    needs an adapter or lists plugins). Call ``register(AdapterSpec(...))``
    once per adapter type. Registering a type name twice is a PluginError
    naming both plugins. Returns nothing.
    """


@hookspec
def rocky_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    """Register materialization strategies (``[strategy] type = ...``).

    Fires once, when the registry is first built. The built-ins register
    ``full_refresh``, ``view``, ``ephemeral``, ``materialized_view``,
    ``incremental``, ``merge``, ``delete_insert``, ``time_interval``,
    ``microbatch`` and ``dynamic_table``; the content-addressed writer
    registers ``content_addressed``. Returns nothing.
    """


@hookspec
def rocky_register_drift_policies(register: Callable[[DriftPolicy], None]) -> None:
    """Register named schema-drift policies (``[drift] policy = ...``).

    Fires once, when the registry is first built. Returns nothing.
    """


@hookspec(firstresult=True)
def rocky_governance(adapter: Adapter) -> GovernanceAdapter | None:
    """Return the GovernanceAdapter for ``adapter`` (grants, tags, masking).

    Fires after a run's DAG has executed, when the project declares
    governance. The first non-None result wins; return None when the plugin
    does not handle this adapter. No result means governance is a no-op.
    """


@hookspec(firstresult=True)
def rocky_cost_model(adapter: Adapter, config: dict[str, Any]) -> CostModel | None:
    """Return how a model execution on ``adapter`` is priced.

    Fires once per run before the first model executes; ``config`` is the
    project's ``[cost]`` table. The first non-None result wins; no result
    means cost is unknown (``cost_usd`` null), never zero.
    """


@hookspec
def rocky_diagnostics(project_ir: ProjectIR, options: dict[str, Any]) -> list[Diagnostic]:
    """Return extra diagnostics (lint rules) for a compiled project.

    Fires at the end of every compile, after type inference and contracts.
    ``options`` holds compile options (``target_dialect``, ``allow``...).
    Every implementation's list is appended; return [] for nothing to say.
    """


@hookspec
def rocky_register_commands(app: Any) -> None:
    """Add CLI commands: ``app`` is the root ``typer.Typer``.

    Fires once when the CLI is built (every invocation except `--version`). Returns
    nothing; commands keep their logic in the plugin's library code.
    """
