"""rocky.toml: shapes, defaults, and the errors for everything malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocky.config import (
    ReplicationPipeline,
    TransformationPipeline,
    adapter_config,
    load_config,
    parse_config,
)
from rocky.errors import ConfigError, PluginError
from rocky.project import load_project


def _error(text: str, **env: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, env=env)
    return info.value


def test_bare_adapter_is_named_default_and_keeps_its_keys() -> None:
    config = parse_config('[adapter]\ntype = "duckdb"\npath = "x.duckdb"\n')
    assert config.adapters == {"default": {"type": "duckdb", "path": "x.duckdb"}}


def test_named_adapters_and_plural_spelling() -> None:
    config = parse_config('[adapters.a]\ntype = "duckdb"\n[adapters.b]\ntype = "snowflake"\n')
    assert {n: a["type"] for n, a in config.adapters.items()} == {"a": "duckdb", "b": "snowflake"}


def test_adapter_without_type_is_an_error_with_the_line() -> None:
    err = _error('[pipeline.p]\ntype = "transformation"\n\n[adapter.wh]\npath = "x"\n')
    assert "`[adapter.wh]` has no `type`" in str(err)
    assert err.line == 4


def test_transformation_pipeline_defaults() -> None:
    config = parse_config('[pipeline.p]\ntype = "transformation"\n')
    pipeline = config.pipelines["p"]
    assert isinstance(pipeline, TransformationPipeline)
    assert pipeline.models == "models/**"
    assert pipeline.target.adapter == "default"
    assert pipeline.execution.concurrency == "adaptive"
    assert pipeline.execution.max_concurrency == 32
    assert (pipeline.execution.fail_fast, pipeline.execution.error_rate_abort_pct) == (False, 50)
    assert pipeline.execution.table_retries == 1


def test_pipeline_type_defaults_to_replication() -> None:
    config = parse_config(
        "[pipeline.raw.source.schema_pattern]\n"
        'prefix = "src__"\nseparator = "__"\ncomponents = ["tenant", "source"]\n'
        "[pipeline.raw.target]\n"
        'catalog_template = "{tenant}"\nschema_template = "raw__{source}"\n'
    )
    pipeline = config.pipelines["raw"]
    assert isinstance(pipeline, ReplicationPipeline)
    assert (pipeline.strategy, pipeline.timestamp_column) == ("incremental", "_fivetran_synced")


def test_bare_pipeline_is_named_default() -> None:
    config = parse_config('[pipeline]\ntype = "transformation"\nmodels = "src/**"\n')
    assert list(config.pipelines) == ["default"]


def test_concurrency_accepts_adaptive_any_case_and_clamps_integers() -> None:
    base = '[pipeline.p]\ntype = "transformation"\n[pipeline.p.execution]\nconcurrency = '
    assert parse_config(base + '"Adaptive"\n').pipelines["p"].execution.concurrency == "adaptive"
    assert parse_config(base + "0\n").pipelines["p"].execution.max_concurrency == 1
    err = _error(base + '"fast"\n')
    assert "concurrency" in str(err) and "adaptive" in str(err)
    assert err.line == 4


def test_project_sections_have_the_documented_defaults() -> None:
    config = parse_config("")
    assert config.adapters == {} and config.pipelines == {}
    assert config.reuse.enabled is False and config.reuse.column_level is True
    approval = config.branch.approval
    assert (approval.required, approval.min_approvers, approval.max_age_seconds) == (
        False,
        1,
        86400,
    )
    assert config.cost.compute_cost_per_dbu == pytest.approx(0.40)
    assert config.cost.warehouse_size == "Medium"
    assert config.budget.on_breach == "warn"
    assert config.schema_evolution.grace_period_days == 7
    assert config.portability.target_dialect is None


def test_mask_defaults_and_environment_overrides() -> None:
    config = parse_config(
        '[mask]\npii = "hash"\nconfidential = "redact"\n\n[mask.prod]\npii = "none"\n'
    )
    assert config.mask_for_env(None) == {"pii": "hash", "confidential": "redact"}
    assert config.mask_for_env("prod") == {"pii": "none", "confidential": "redact"}
    err = _error('[mask]\npii = "hsh"\n')
    assert "`[mask] pii` must be one of `hash`" in str(err) and err.line == 2


def test_roles_classifications_portability_and_budget() -> None:
    config = parse_config(
        '[role.reader]\npermissions = ["SELECT"]\n[role.writer]\ninherits = ["reader"]\n'
        '[classifications]\nallow_unmasked = ["internal"]\n'
        '[portability]\ntarget_dialect = "snowflake"\nallow = ["QUALIFY"]\n'
        '[budget]\nmax_usd = 2.5\non_breach = "error"\n'
    )
    assert config.role["writer"].inherits == ["reader"]
    assert config.classifications.allow_unmasked == ["internal"]
    assert config.portability.target_dialect == "snowflake"
    assert (config.budget.max_usd, config.budget.on_breach) == (2.5, "error")


def test_unknown_top_level_key_names_the_line_and_suggests() -> None:
    err = _error('[adapter]\ntype = "duckdb"\n\n[reus]\nenabled = true\n')
    assert str(err) == "unknown key `reus` in rocky.toml (line 4); did you mean `reuse`?"
    assert (err.file, err.line) == ("rocky.toml", 4)


def test_unknown_nested_key_names_its_table() -> None:
    err = _error('[pipeline.p]\ntype = "transformation"\n[pipeline.p.target]\nadaptr = "x"\n')
    assert str(err) == (
        "unknown key `adaptr` in [pipeline.p.target] in rocky.toml (line 4); "
        "did you mean `adapter`?"
    )


def test_wrong_type_names_expected_and_given_toml_types() -> None:
    err = _error('[branch.approval]\nmin_approvers = "two"\n')
    assert str(err) == (
        "rocky.toml: `[branch.approval] min_approvers` must be an integer, got string (line 2)"
    )


def test_unknown_pipeline_type_lists_the_known_ones() -> None:
    err = _error('[pipeline.p]\ntype = "transform"\n')
    assert "replication, transformation, quality, snapshot, load" in str(err)


def test_truncated_toml_is_a_syntax_error_with_a_line() -> None:
    err = _error('[adapter]\ntype = "duck')
    assert str(err).startswith("rocky.toml: invalid TOML:")
    assert err.line == 2


def test_required_variable_missing_names_file_line_and_variable() -> None:
    err = _error('[adapter]\ntype = "duckdb"\npath = "${DB_FILE}"\n')
    assert "`DB_FILE`" in str(err) and err.line == 3 and err.file == "rocky.toml"


def test_missing_rocky_toml_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "rocky.toml")
    assert str(info.value) == (
        f"no rocky.toml at {tmp_path / 'rocky.toml'}; run `rocky playground` or pass -c"
    )


def test_directory_means_its_rocky_toml(tmp_path: Path) -> None:
    (tmp_path / "rocky.toml").write_text('[adapter]\ntype = "duckdb"\n')
    config, raw, path = load_config(tmp_path)
    assert path == (tmp_path / "rocky.toml").resolve()
    assert raw == b'[adapter]\ntype = "duckdb"\n'
    assert config.adapters["default"]["type"] == "duckdb"


def test_project_keeps_raw_bytes_for_the_ledger_hash(tmp_path: Path) -> None:
    text = '# comment\n[adapter]\ntype = "duckdb"\npath = "${P:-a.duckdb}"\n'
    (tmp_path / "rocky.toml").write_text(text)
    project = load_project(tmp_path, env={"P": "b.duckdb"})
    assert project.config_bytes == text.encode()
    assert project.adapter_settings() == {"type": "duckdb", "path": "b.duckdb"}


def test_no_adapter_means_in_memory_duckdb(tmp_path: Path) -> None:
    (tmp_path / "rocky.toml").write_text("")
    project = load_project(tmp_path)
    assert project.adapter_type == "duckdb"
    assert project.adapter_settings() == {"type": "duckdb"}


def test_single_named_adapter_is_the_default(tmp_path: Path) -> None:
    (tmp_path / "rocky.toml").write_text('[adapter.local]\ntype = "duckdb"\npath = "l.duckdb"\n')
    project = load_project(tmp_path)
    assert project.adapter_type == "duckdb"
    assert project.adapter_settings()["path"] == "l.duckdb"
    with pytest.raises(ConfigError, match="no adapter named `other`"):
        project.adapter_settings("other")


def test_adapter_config_validates_against_the_plugin_model(
    tmp_path: Path, test_adapter: str
) -> None:
    (tmp_path / "rocky.toml").write_text(
        f'[adapter]\ntype = "{test_adapter}"\npath = "x.db"\nport = 6000\n'
    )
    config = adapter_config(load_project(tmp_path))
    assert config.model_dump()["port"] == 6000
    assert config.model_dump()["path"] == "x.db"


def test_adapter_config_rejects_unknown_plugin_keys_with_a_suggestion(
    tmp_path: Path, test_adapter: str
) -> None:
    (tmp_path / "rocky.toml").write_text(
        f'[adapter.wh]\ntype = "{test_adapter}"\npasword = "s3cret"\n'
    )
    with pytest.raises(ConfigError) as info:
        adapter_config(load_project(tmp_path), "wh")
    assert str(info.value) == (
        "unknown key `pasword` in [adapter.wh] in rocky.toml (line 3); did you mean `password`?"
    )


def test_adapter_config_type_errors_never_echo_values(tmp_path: Path, test_adapter: str) -> None:
    (tmp_path / "rocky.toml").write_text(
        f'[adapter]\ntype = "{test_adapter}"\nport = "not-a-port-s3cret"\n'
    )
    with pytest.raises(ConfigError) as info:
        adapter_config(load_project(tmp_path))
    assert "s3cret" not in str(info.value)
    assert "`[adapter] port`" in str(info.value) and info.value.line == 3


def test_missing_adapter_plugin_is_named_at_its_type_line(tmp_path: Path) -> None:
    """A type rocky does not know by name needs its plugin for the SQL
    dialect, so loading says it is missing, at the line of ``type``."""
    (tmp_path / "rocky.toml").write_text('[adapter]\ntype = "nosuchwarehouse"\n')
    with pytest.raises(PluginError) as info:
        load_project(tmp_path)
    assert (info.value.file, info.value.line) == ("rocky.toml", 2)
    assert "pip install rocky-nosuchwarehouse" in str(info.value)


def test_a_known_type_loads_without_its_plugin(tmp_path: Path) -> None:
    """A type rocky knows by name compiles without its plugin; using the
    adapter names rocky.toml, the line and the package to install."""
    (tmp_path / "rocky.toml").write_text('[adapter.wh]\npath = "x"\ntype = "trino"\n')
    project = load_project(tmp_path)
    assert project.adapter_type == "trino"
    with pytest.raises(PluginError) as info:
        adapter_config(project)
    assert (info.value.file, info.value.line) == ("rocky.toml", 3)
    assert "pip install" in str(info.value) and "trino" in str(info.value)


def test_non_utf8_rocky_toml_is_located(tmp_path: Path) -> None:
    (tmp_path / "rocky.toml").write_bytes(b'[adapter]\ntype = "duck\xffdb"\n')
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert "not valid UTF-8" in str(info.value) and info.value.line == 2


def test_default_adapter_follows_the_transformation_pipeline(tmp_path: Path) -> None:
    (tmp_path / "rocky.toml").write_text(
        '[adapter.lake]\ntype = "snowflake"\n[adapter.local]\ntype = "duckdb"\n'
        '[pipeline.p]\ntype = "transformation"\n[pipeline.p.target]\nadapter = "local"\n'
    )
    project = load_project(tmp_path)
    assert (project.default_adapter, project.adapter_type) == ("local", "duckdb")
    assert project.adapter_settings("lake") == {"type": "snowflake"}
