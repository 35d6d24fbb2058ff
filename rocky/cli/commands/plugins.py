"""``rocky plugins``: what is installed and which hooks it implements."""

from __future__ import annotations

from typing import Any

import typer

from rocky.cli.common import OutputOpt, emit


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)


def plugins(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List plugins: name, version, hooks, and the adapters/strategies they add."""
    from rocky.plugins import get_registry, plugin_infos

    registry = get_registry()
    infos = plugin_infos()
    data = {
        "version": _version(),
        "command": "plugins",
        "plugins": [i.to_json() for i in infos],
        "adapters": {
            name: {
                "plugin": registry.owners.get(("adapter", name)),
                "dialect": spec.dialect,
                "capabilities": spec.capability_names(),
            }
            for name, spec in sorted(registry.adapters.items())
        },
        "strategies": {
            name: registry.owners.get(("strategy", name)) for name in sorted(registry.strategies)
        },
    }
    emit(ctx, data, _table, output)


def _version() -> str:
    from rocky import __version__

    return __version__


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("plugin", "version", "hooks")
    for p in data["plugins"]:
        hooks = ", ".join(p["hooks"]) if not p.get("error") else f"[red]failed: {p['error']}"
        table.add_row(p["name"], p["version"], hooks)
    console = Console()
    console.print(table)
    if data["adapters"]:
        console.print("adapters: " + ", ".join(data["adapters"]))
