"""What a command pays for before it starts: each check runs in a fresh
interpreter and looks at what got imported or built (sys.modules, the
pydantic models' build state), never at a clock."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

# Nothing the command line itself needs: the configuration models, the
# plugin machinery and the heavy libraries are the commands' business.
NOT_FOR_THE_CLI = (
    "pydantic",
    "pydantic_core",
    "rocky.config",
    "rocky.config_sections",
    "rocky.model_config",
    "rocky.strategies",
    "rocky.plugins",
    "pluggy",
    "importlib.metadata",
    "sqlglot",
    "rich",
)


def _python(code: str, cwd: Path | None = None) -> Any:
    """Run ``code`` in a fresh interpreter; it prints one JSON value."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_cli_imports_no_model_or_plugin_module() -> None:
    loaded = _python(
        f"""
        import json, sys
        from rocky.cli.app import _register_commands
        _register_commands()
        print(json.dumps(sorted(m for m in {NOT_FOR_THE_CLI!r} if m in sys.modules)))
        """
    )
    assert loaded == []


# Every option of every built-in command given a value of its type, then
# none at all: parsing them all must not need pydantic.
PARSE_EVERY_COMMAND = """
    import json, sys
    import typer.main
    from rocky.cli.app import _register_commands, app

    SAMPLE = {str: ["x"], int: ["3"], float: ["1.5"]}

    def values(param):
        annotation = param.type_descriptor.annotation
        item = getattr(annotation, "__args__", (annotation,))[0]
        return SAMPLE.get(item, ["."])

    _register_commands()
    group = typer.main.get_command(app)
    ctx = group.make_context("rocky", ["-c", "rocky.toml", "-o", "json", "--debug"])
    parsed = []
    for name in sorted(group.commands):
        _, command, _ = group.resolve_command(ctx, [name])
        every, required = [], []
        for param in command.params:
            if param.param_type_name == "argument":
                given = values(param) * (2 if param.nargs == -1 else 1)
                every += given
                required += given if param.required else []
            elif param.is_flag:
                every.append(param.opts[0])
            else:
                for _ in range(2 if param.multiple else 1):
                    every += [param.opts[0], *values(param)]
        for argv in (every, required):
            command.make_context(name, list(argv), parent=ctx)
        parsed.append(name)
    print(json.dumps([parsed, "pydantic" in sys.modules]))
"""


def test_parsing_every_command_needs_no_pydantic(tmp_path: Path) -> None:
    parsed, pydantic_loaded = _python(PARSE_EVERY_COMMAND, cwd=tmp_path)
    assert {"compile", "lineage", "validate", "run"} <= set(parsed)
    # A new option whose type rocky.cli.params does not convert brings
    # pydantic back into every start-up: convert it there.
    assert pydantic_loaded is False


CONFIG = """
[adapter]
type = "duckdb"

[pipeline.main]
type = "transformation"
models = "models/**"
"""

REPLICATION = """
[pipeline.raw]
type = "replication"
source = { schema_pattern = { prefix = "src__", separator = "__", components = ["client"] } }
target = { catalog_template = "wh", schema_template = "raw_{client}" }
"""

BUILT = """
    import json, sys
    from pydantic import BaseModel

    def built():
        seen, todo = {}, [BaseModel]
        while todo:
            for sub in todo.pop().__subclasses__():
                seen[sub.__name__] = bool(sub.__dict__.get("__pydantic_complete__"))
                todo.append(sub)
        return seen
"""


def test_a_config_builds_only_the_tables_it_uses() -> None:
    state = _python(
        BUILT
        + f"""
    from rocky.config import parse_config
    config = parse_config({CONFIG!r})
    assert type(config.pipelines["main"]).__name__ == "TransformationPipeline"
    print(json.dumps(built()))
    """
    )
    assert state["RockyConfig"] and state["TransformationPipeline"]
    for rare in ("ReplicationPipeline", "SnapshotPipeline", "QualityPipeline", "LoadPipeline"):
        assert state[rare] is False
    assert state["Merge"] is False and state["TimeInterval"] is False


def test_a_rare_table_is_built_and_checked_when_used() -> None:
    state = _python(
        BUILT
        + f"""
    from rocky.config import parse_config
    from rocky.errors import ConfigError
    config = parse_config({REPLICATION!r})
    pipeline = config.pipelines["raw"]
    bad = {REPLICATION.replace('"wh"', "7")!r}
    try:
        parse_config(bad)
        message = None
    except ConfigError as err:
        message = str(err)
    print(json.dumps([type(pipeline).__name__, pipeline.source.schema_pattern.prefix,
                      pipeline.target.catalog_template, message, built()]))
    """
    )
    kind, prefix, catalog, message, built = state
    assert (kind, prefix, catalog) == ("ReplicationPipeline", "src__", "wh")
    assert message is not None and "catalog_template" in message and "rocky.toml:" in message
    assert built["ReplicationPipeline"] is True
    assert built["SnapshotPipeline"] is False


def test_loading_the_plugins_builds_no_adapter_config() -> None:
    state = _python(
        BUILT
        + """
    from rocky.plugins import get_registry
    registry = get_registry()
    spec = registry.adapter("duckdb")
    before = built()[spec.config_model.__name__]
    config = spec.config_model.model_validate({"type": "duckdb", "path": "w.duckdb"})
    print(json.dumps([sorted(registry.strategies), before, config.path,
                      built()[spec.config_model.__name__]]))
    """
    )
    strategies, built_at_registration, path, built_after = state
    assert {"full_refresh", "incremental", "merge"} <= set(strategies)
    assert built_at_registration is False
    assert (path, built_after) == ("w.duckdb", True)
