"""The plugin manager and the registries it fills.

Plugins are found through the entry-point group ``rocky``; the built-ins
(``rocky.builtins``) come through the same group. Environment:

- ``ROCKY_DISABLED_PLUGINS=a,b``: entry-point names not to load.
- ``ROCKY_TRACE_PLUGINS=1``: print every hook call and result to stderr.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from rocky import hookspecs
from rocky.errors import PluginError

if TYPE_CHECKING:
    from rocky.adapters import AdapterSpec
    from rocky.drift import DriftPolicy
    from rocky.strategies import StrategySpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "KNOWN_PACKAGES",
    "PluginInfo",
    "Registry",
    "get_plugin_manager",
    "get_registry",
    "reset",
]

ENTRY_POINT_GROUP = "rocky"

# Adapter types we know the package for, so a missing one says what to install.
KNOWN_PACKAGES = {
    "duckdb": "rocky-duckdb",
    "snowflake": "rocky-snowflake",
    "bigquery": "rocky-bigquery",
    "databricks": "rocky-databricks",
}


@dataclass
class PluginInfo:
    name: str
    version: str
    hooks: list[str]
    module: str
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "version": self.version, "hooks": self.hooks}
        data["module"] = self.module
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class Registry:
    """Named things registered through the registrar hooks."""

    adapters: dict[str, AdapterSpec] = field(default_factory=dict)
    strategies: dict[str, StrategySpec] = field(default_factory=dict)
    drift_policies: dict[str, DriftPolicy] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)

    def adapter(self, type_name: str) -> AdapterSpec:
        spec = self.adapters.get(type_name)
        if spec is not None:
            return spec
        broken = [p for p in _load_errors if type_name in p.name]
        if broken:
            raise PluginError(
                f"adapter type '{type_name}' is unavailable: plugin '{broken[0].name}' "
                f"failed to load: {broken[0].error}"
            )
        package = KNOWN_PACKAGES.get(type_name, f"rocky-{type_name}")
        known = ", ".join(sorted(self.adapters)) or "none"
        raise PluginError(
            f"no adapter plugin for type '{type_name}' is installed "
            f"(installed: {known})",
            hint=f"pip install {package}",
        )

    def strategy(self, name: str) -> StrategySpec:
        spec = self.strategies.get(name)
        if spec is None:
            known = ", ".join(sorted(self.strategies))
            raise PluginError(f"unknown strategy type '{name}' (known: {known})")
        return spec


_pm: pluggy.PluginManager | None = None
_registry: Registry | None = None
_load_errors: list[PluginInfo] = []
# Entry-point name -> its distribution, whose version is read (a metadata
# file parsed) only when `rocky plugins` shows it.
_dist_of: dict[str, metadata.Distribution | None] = {}


def _tracing() -> bool:
    return bool(os.environ.get("ROCKY_TRACE_PLUGINS"))


def _one_line(exc: BaseException) -> str:
    """pluggy's messages span lines; rocky's errors are one line."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _disabled() -> set[str]:
    raw = os.environ.get("ROCKY_DISABLED_PLUGINS", "")
    return {p.strip() for p in raw.split(",") if p.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    disabled = _disabled()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in disabled or pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take rocky down
            message = f"{type(exc).__name__}: {exc}".splitlines()[0]
            version = _version(ep.dist)
            _load_errors.append(PluginInfo(ep.name, version, [], ep.value, message))
            print(
                f"rocky: plugin '{ep.name}' ({_dist_name(ep)}) failed to load: {message}",
                file=sys.stderr,
            )
            continue
        try:
            pm.register(plugin, name=ep.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"plugin '{ep.name}' ({_dist_name(ep)}) has an invalid hook: {_one_line(exc)}"
            ) from None
        _dist_of[ep.name] = ep.dist


def _dist_name(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist else ep.name


def _version(dist: metadata.Distribution | None) -> str:
    return dist.version if dist else "unknown"


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loaded on first use."""
    global _pm
    if _pm is None:
        # A failed earlier attempt must not leave its load errors behind.
        _load_errors.clear()
        _dist_of.clear()
        pm = pluggy.PluginManager("rocky")
        pm.add_hookspecs(hookspecs)
        _load_entry_points(pm)
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"a plugin implements an unknown hook: {_one_line(exc)}") from None
        if _tracing():
            pm.trace.root.setwriter(lambda text: print(text, end="", file=sys.stderr))
            pm.enable_tracing()
        _pm = pm
    return _pm


def register_plugin(plugin: object, name: str) -> None:
    """Register a plugin object at run time (tests, embedding). Rebuilds the
    registry on next use."""
    global _registry
    pm = get_plugin_manager()
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{name}' has an invalid hook: {_one_line(exc)}") from None
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(name=name)
        raise PluginError(f"plugin '{name}' implements an unknown hook: {_one_line(exc)}") from None
    _registry = None


def unregister_plugin(name: str) -> None:
    global _registry
    pm = get_plugin_manager()
    if pm.has_plugin(name):
        pm.unregister(name=name)
    _registry = None


def _registrar(registry: Registry, kind: str, table: dict[str, Any], plugin: str):  # type: ignore[no-untyped-def]
    def register(spec: Any) -> None:
        name = getattr(spec, "type_name", None) or spec.name
        if name in table:
            first = registry.owners.get((kind, name), "?")
            raise PluginError(
                f"{kind} '{name}' is registered twice: by plugin '{first}' and by '{plugin}'",
                hint="uninstall one of them or disable it with ROCKY_DISABLED_PLUGINS",
            )
        table[name] = spec
        registry.owners[(kind, name)] = plugin
        if _tracing():
            print(f"      registered {kind} '{name}'", file=sys.stderr)

    return register


def get_registry() -> Registry:
    """Adapters, strategies and drift policies from every plugin."""
    global _registry
    if _registry is not None:
        return _registry
    pm = get_plugin_manager()
    registry = Registry()
    hooks = (
        ("adapter", "rocky_register_adapters", registry.adapters),
        ("strategy", "rocky_register_strategies", registry.strategies),
        ("drift policy", "rocky_register_drift_policies", registry.drift_policies),
    )
    for kind, hook_name, table in hooks:
        caller = getattr(pm.hook, hook_name)
        # Each implementation is called on its own (not through the hook
        # caller) so that the registry knows which plugin registered what;
        # tracing is therefore done here.
        for impl in caller.get_hookimpls():
            register = _registrar(registry, kind, table, impl.plugin_name)
            if _tracing():
                print(f"  {hook_name} [{impl.plugin_name}]", file=sys.stderr)
            try:
                impl.function(register)
            except PluginError:
                raise
            except Exception as exc:  # a plugin bug must not become a traceback
                raise PluginError(
                    f"plugin '{impl.plugin_name}' failed in {hook_name}: "
                    f"{type(exc).__name__}: {_one_line(exc)}"
                ) from None
    _registry = registry
    return registry


def plugin_infos() -> list[PluginInfo]:
    """Name, distribution version and implemented hooks of every plugin."""
    pm = get_plugin_manager()
    infos = []
    for name, plugin in pm.list_name_plugin():
        if name is None:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        version = _version(_dist_of.get(name))
        module = getattr(plugin, "__name__", type(plugin).__name__)
        infos.append(PluginInfo(name, version, hooks, module))
    infos.extend(_load_errors)
    return sorted(infos, key=lambda p: p.name)


def reset() -> None:
    """Forget the loaded plugins (tests)."""
    global _pm, _registry
    _pm = None
    _registry = None
    _load_errors.clear()
    _dist_of.clear()
