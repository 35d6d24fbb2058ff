"""The plugin manager: discovery through entry points, loud mistakes, the
environment switches, and the documented example plugin installed for real.

Plugins seen by a subprocess are made discoverable the way pip makes them:
a ``*.dist-info`` directory with ``entry_points.txt`` on the path.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rocky import hookspecs
from rocky.adapters import AdapterConfig, AdapterSpec
from rocky.errors import PluginError
from rocky.hookspecs import hookimpl
from rocky.plugins import get_plugin_manager, get_registry, register_plugin, unregister_plugin

ROOT = Path(__file__).resolve().parents[1]
ROCKY = Path(sys.executable).with_name("rocky")


def rocky(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``rocky`` console script with extra environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROCKY_")}
    return subprocess.run(
        [str(ROCKY), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **env},
        timeout=120,
    )


def fake_install(
    site: Path, dist: str, version: str, entry_points: dict[str, str], **modules: str
) -> str:
    """What pip leaves behind: modules plus a dist-info with entry points.
    Returns a PYTHONPATH value that puts ``site`` first."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[rocky]\n{lines}")
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source))
    return os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Every test leaves the plugin manager as it found it."""
    before = sorted(name for name, _ in get_plugin_manager().list_name_plugin() if name)
    yield
    after = sorted(name for name, _ in get_plugin_manager().list_name_plugin() if name)
    assert after == before


def make_plugin(**hooks: Callable[..., Any]) -> object:
    """A plugin object whose attributes are the given hook implementations."""
    return type("Plugin", (), {name: staticmethod(hookimpl(fn)) for name, fn in hooks.items()})()


def adapter_registrar(type_name: str) -> Callable[[Callable[[AdapterSpec], None]], None]:
    def rocky_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
        register(
            AdapterSpec(
                type_name=type_name,
                config_model=AdapterConfig,
                factory=lambda config, project_dir: pytest.fail("never built"),
                dialect="postgres",
                package=f"rocky-{type_name}",
            )
        )

    return rocky_register_adapters


# -- discovery -----------------------------------------------------------------


def test_entry_points_bring_in_the_duckdb_plugin_and_its_hooks() -> None:
    result = rocky("plugins", "-o", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["duckdb"] == {
        "name": "duckdb",
        "version": metadata.version("rocky-duckdb"),
        "hooks": ["rocky_cost_model", "rocky_governance", "rocky_register_adapters"],
        "module": "rocky_duckdb.plugin",
    }
    assert plugins["builtins"]["hooks"] == ["rocky_register_strategies"]
    duck = data["adapters"]["duckdb"]
    assert duck["plugin"] == "duckdb" and duck["dialect"] == "duckdb"
    assert "merge" in duck["capabilities"] and "bytes_scanned" in duck["capabilities"]


def test_disabled_plugins_are_not_loaded() -> None:
    result = rocky("plugins", "-o", "json", ROCKY_DISABLED_PLUGINS="duckdb, lint")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = {p["name"] for p in data["plugins"]}
    assert "builtins" in names and not names & {"duckdb", "lint"}
    assert "duckdb" not in data["adapters"]


def test_missing_adapter_names_the_package_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "rocky.toml").write_text('[adapter]\ntype = "duckdb"\npath = "wh.duckdb"\n')
    (tmp_path / "models" / "one.sql").write_text(
        '---toml\n[target]\ncatalog = "wh"\nschema = "main"\n---\nSELECT 1 AS id\n'
    )
    run = rocky("run", cwd=tmp_path, ROCKY_DISABLED_PLUGINS="duckdb")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        r"error: no adapter plugin for type 'duckdb' is installed \(installed: [^()]*\) "
        r"\(pip install rocky-duckdb\)",
        lines[0],
    ), lines[0]
    assert not (tmp_path / "wh.duckdb").exists()
    validate = rocky("validate", "-o", "json", cwd=tmp_path, ROCKY_DISABLED_PLUGINS="duckdb")
    assert validate.returncode == 1 and "Traceback" not in validate.stderr
    report = json.loads(validate.stdout)
    assert report["adapters"] == [{"name": "default", "adapter_type": "duckdb", "ok": False}]
    assert any("pip install rocky-duckdb" in m["message"] for m in report["messages"])


def test_trace_shows_hook_calls_and_registrations() -> None:
    result = rocky("plugins", "-o", "json", ROCKY_TRACE_PLUGINS="1")
    assert result.returncode == 0
    assert "rocky_register_commands" in result.stderr
    assert "rocky_register_adapters [duckdb]" in result.stderr
    assert "registered adapter 'duckdb'" in result.stderr
    assert "registered strategy 'full_refresh'" in result.stderr
    assert rocky("plugins", "-o", "json").stderr == ""  # silent without the switch


def test_a_plugin_that_fails_to_import_is_one_line(tmp_path: Path) -> None:
    path = fake_install(
        tmp_path,
        "rocky-broken",
        "0.0.1",
        {"broken": "rocky_broken_plugin"},
        rocky_broken_plugin="raise ImportError('needs libacme.so')\n",
    )
    result = rocky("plugins", "-o", "json", PYTHONPATH=path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "rocky: plugin 'broken' (rocky-broken) failed to load: ImportError: needs libacme.so"
    ]
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert plugins["broken"]["error"] == "ImportError: needs libacme.so"
    assert "duckdb" in plugins  # the others still load

    (tmp_path / "rocky.toml").write_text('[adapter]\ntype = "broken"\n')
    run = rocky("run", cwd=tmp_path, PYTHONPATH=path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1] == (
        "error: rocky.toml:2: adapter type 'broken' is unavailable: "
        "plugin 'broken' failed to load: ImportError: needs libacme.so"
    )


def test_a_misspelt_hook_fails_loudly(tmp_path: Path) -> None:
    source = """
        from rocky.hookspecs import hookimpl

        @hookimpl
        def rocky_register_adaptors(register):
            pass
    """
    path = fake_install(
        tmp_path, "rocky-typo", "1.0", {"typo": "rocky_typo_plugin"}, rocky_typo_plugin=source
    )
    result = rocky("plugins", PYTHONPATH=path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: a plugin implements an unknown hook:")
    assert "rocky_register_adaptors" in lines[0]


# -- registering at run time (tests, embedding) ---------------------------------


def test_register_plugin_rejects_a_misspelt_hook() -> None:
    def rocky_register_adaptor(register: Callable[[AdapterSpec], None]) -> None:
        raise AssertionError("never called")

    with pytest.raises(
        PluginError, match=r"'typo' implements an unknown hook.*rocky_register_adaptor"
    ):
        register_plugin(make_plugin(rocky_register_adaptor=rocky_register_adaptor), name="typo")
    assert not get_plugin_manager().has_plugin("typo")


def test_register_plugin_rejects_arguments_the_hook_does_not_have() -> None:
    def rocky_register_adapters(registrar: Callable[[AdapterSpec], None]) -> None:
        raise AssertionError("never called")

    with pytest.raises(PluginError, match="'badargs' has an invalid hook") as caught:
        register_plugin(
            make_plugin(rocky_register_adapters=rocky_register_adapters), name="badargs"
        )
    assert "\n" not in str(caught.value)
    assert not get_plugin_manager().has_plugin("badargs")


def test_duplicate_adapter_types_name_both_plugins() -> None:
    register_plugin(make_plugin(rocky_register_adapters=adapter_registrar("twin")), name="first")
    register_plugin(make_plugin(rocky_register_adapters=adapter_registrar("twin")), name="second")
    try:
        with pytest.raises(PluginError) as caught:
            get_registry()
        text = str(caught.value)
        assert "adapter 'twin' is registered twice" in text
        assert "'first'" in text and "'second'" in text
        assert "ROCKY_DISABLED_PLUGINS" in text
    finally:
        unregister_plugin("first")
        unregister_plugin("second")
    assert "twin" not in get_registry().adapters


def test_duckdb_cannot_be_registered_twice() -> None:
    register_plugin(
        make_plugin(rocky_register_adapters=adapter_registrar("duckdb")), name="impostor"
    )
    try:
        with pytest.raises(
            PluginError, match="'duckdb' is registered twice: by plugin 'duckdb' and by 'impostor'"
        ):
            get_registry()
    finally:
        unregister_plugin("impostor")


def test_a_registrar_that_raises_is_one_line() -> None:
    def rocky_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
        raise RuntimeError("config file\nmissing")

    register_plugin(make_plugin(rocky_register_adapters=rocky_register_adapters), name="crashy")
    try:
        with pytest.raises(PluginError) as caught:
            get_registry()
        assert str(caught.value) == (
            "plugin 'crashy' failed in rocky_register_adapters: RuntimeError: config file missing"
        )
    finally:
        unregister_plugin("crashy")


def test_a_missing_type_suggests_the_package() -> None:
    with pytest.raises(PluginError) as caught:
        get_registry().adapter("acmedb")
    assert "no adapter plugin for type 'acmedb' is installed" in str(caught.value)
    assert "duckdb" in str(caught.value)  # the installed ones are listed
    assert caught.value.hint == "pip install rocky-acmedb"


# -- the documented example, installed for real ---------------------------------


def documented_files() -> dict[str, str]:
    """The code blocks of docs/plugins.md whose first line is ``# file: <path>``."""
    text = (ROOT / "docs" / "plugins.md").read_text()
    files = {}
    for block in re.findall(r"```(?:toml|python)\n(.*?)```", text, re.S):
        first, _, body = block.partition("\n")
        if first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = body
    return files


def write_documented_package(where: Path) -> Path:
    files = documented_files()
    assert set(files) == {"pyproject.toml", "src/rocky_acme/plugin.py"}
    package = where / "rocky-acme"
    for rel, body in files.items():
        target = package / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    (package / "src" / "rocky_acme" / "__init__.py").write_text('"""rocky-acme."""\n')
    return package


def test_documented_plugin_pip_installs_and_is_listed(tmp_path: Path) -> None:
    package = write_documented_package(tmp_path)
    site = tmp_path / "site"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--target",
        str(site),
    ]
    if importlib.util.find_spec("hatchling") is not None:
        # The documented backend is already here: build offline with it.
        command += ["--no-build-isolation", "--no-index"]
    install = subprocess.run([*command, str(package)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    assert (site / "rocky_acme" / "plugin.py").is_file()
    result = rocky("plugins", "-o", "json", PYTHONPATH=str(site))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["acme"] == {
        "name": "acme",
        "version": "0.1.0",
        "hooks": ["rocky_register_adapters"],
        "module": "rocky_acme.plugin",
    }
    assert data["adapters"]["acme"] == {
        "plugin": "acme",
        "dialect": "postgres",
        "capabilities": ["merge", "views"],
    }


def test_documented_plugin_registered_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package = write_documented_package(tmp_path)
    source = (package / "src" / "rocky_acme" / "plugin.py").read_text()
    module = ModuleType("rocky_acme_documented")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # pydantic resolves names here
    exec(compile(source, "plugin.py", "exec"), module.__dict__)
    register_plugin(module, name="acme")
    try:
        spec = get_registry().adapter("acme")
        config = spec.config_model.model_validate({"type": "acme", "host": "db", "token": "s3cret"})
        assert "s3cret" not in repr(config)
        with pytest.raises(Exception, match="port"):
            spec.config_model.model_validate({"type": "acme", "host": "db", "port": 1})
        from rocky.cli.app import run

        with pytest.raises(SystemExit) as exited:  # click's standalone mode exits
            run(["plugins", "-o", "json"])
        assert exited.value.code == 0
        data = json.loads(capsys.readouterr().out)
        assert "rocky_register_adapters" in {p["name"]: p for p in data["plugins"]}["acme"]["hooks"]
        assert data["adapters"]["acme"]["plugin"] == "acme"
    finally:
        unregister_plugin("acme")


# -- docs ---------------------------------------------------------------------


def hook_signatures() -> list[str]:
    signatures = []
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("rocky_"):
            continue
        sig = inspect.signature(fn)
        params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
        signatures.append(f"{name}({params}) -> {sig.return_annotation}")
    return signatures


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text()
    signatures = hook_signatures()
    assert len(signatures) >= 7
    missing = [s for s in signatures if f"### `{s}`" not in docs]
    assert not missing, f"docs/plugins.md lacks these hook signatures: {missing}"


def test_environment_switches_are_documented() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text()
    for switch in ("ROCKY_DISABLED_PLUGINS", "ROCKY_TRACE_PLUGINS", "rocky plugins"):
        assert switch in docs
