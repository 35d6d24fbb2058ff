"""Render the CLI reference (docs/cli.md) from the command definitions, so
the documentation cannot drift from the code. Regenerate with
``python -m rocky.cli.reference > docs/cli.md``; a test compares them."""

from __future__ import annotations

from typing import Any

import typer.main

HEADER = """# CLI reference

Generated from the command definitions by `python -m rocky.cli.reference`;
a test fails when this file and the code disagree.

Every command prints a table on a terminal and JSON otherwise (`-o json` or
`-o table` forces one). Whatever goes wrong ends as one `error: ...` line on
stderr that names the file (and line) and says what to do: exit 1 for bad
input or a failed run, 2 for a usage error or a run that partly failed, 130
when interrupted. A report the command prints (compile diagnostics, validate
messages, a run's errors) still goes to stdout in full. `--debug` shows the
traceback instead.
"""


# Typer may bundle its own click, so parameters are told apart by their
# declared kind rather than by isinstance checks against click's classes.
def _params(command: Any) -> list[str]:
    lines = []
    for param in command.params:
        if param.param_type_name == "argument":
            lines.append(f"- `{(param.name or '').upper()}` (argument)")
            continue
        if param.param_type_name != "option" or param.hidden:
            continue
        names = ", ".join(f"`{n}`" for n in (*param.opts, *param.secondary_opts))
        help_text = (param.help or "").strip()
        lines.append(f"- {names}: {help_text}" if help_text else f"- {names}")
    return lines


def _walk(command: Any, path: str) -> list[str]:
    out = [f"## `{path}`", ""]
    doc = (command.help or "").strip()
    if doc:
        out += [doc.split("\n\n")[0].replace("\n", " "), ""]
    params = _params(command)
    if params:
        out += [*params, ""]
    subcommands = getattr(command, "commands", None) or {}
    for name in sorted(subcommands):
        out += _walk(subcommands[name], f"{path} {name}")
    return out


def render_reference() -> str:
    from rocky.cli.app import _register_commands, app

    _register_commands()
    root = typer.main.get_command(app)
    return HEADER + "\n" + "\n".join(_walk(root, "rocky")).rstrip() + "\n"


if __name__ == "__main__":
    print(render_reference(), end="")
