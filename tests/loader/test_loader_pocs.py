"""Three reference layouts, model by model: environment layering, config
groups (with their two load-time guards) and the playground project."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocky.errors import ConfigError
from rocky.project import Project, load_project
from rocky.types import parse_type

PROJECTS = Path(__file__).parent / "projects"

LAYERING = PROJECTS / "layering"
GROUPS = PROJECTS / "groups"
PLAYGROUND = PROJECTS / "playground"


def _targets(project: Project) -> dict[str, str]:
    return {name: m.config.target.ref.key for name, m in project.models.items()}


# -- layering: ${VAR:-default} in rocky.toml, _defaults.toml and a sidecar -----------


def test_layering_without_variables_uses_every_default() -> None:
    project = load_project(LAYERING / "rocky.toml", env={})
    assert _targets(project) == {
        "accounts": "finance_wh.ledger.accounts",
        "daily_totals": "dev_wh.scratch.daily_totals",
    }
    assert project.adapter_settings()["path"] == "layering.duckdb"
    assert {m.config.strategy.type for m in project.models.values()} == {"full_refresh"}


def test_layering_with_variables_overrides_every_layer() -> None:
    env = {
        "LAYER_DB_PATH": "prod.duckdb",
        "LAYER_CATALOG": "prod_wh",
        "LAYER_SCHEMA": "silver",
        "ACCOUNTS_CATALOG": "finance_prod",
        "ACCOUNTS_SCHEMA": "gold",
        "ACCOUNTS_TABLE": "accounts_v2",
    }
    project = load_project(LAYERING / "rocky.toml", env=env)
    assert _targets(project) == {
        "accounts": "finance_prod.gold.accounts_v2",
        "daily_totals": "prod_wh.silver.daily_totals",
    }
    assert project.adapter_settings()["path"] == "prod.duckdb"


def test_layering_empty_variable_falls_back_to_default() -> None:
    project = load_project(LAYERING / "rocky.toml", env={"LAYER_CATALOG": ""})
    assert project.models["daily_totals"].config.target.catalog == "dev_wh"


def test_layering_changes_content_hash_only_where_config_changed() -> None:
    base = load_project(LAYERING / "rocky.toml", env={})
    moved = load_project(LAYERING / "rocky.toml", env={"ACCOUNTS_TABLE": "accounts_v3"})
    assert base.models["accounts"].content_hash != moved.models["accounts"].content_hash
    assert base.models["daily_totals"].content_hash == moved.models["daily_totals"].content_hash


# -- config groups ----------------------------------------------------------------------


def test_group_fans_out_to_one_schema_per_member() -> None:
    project = load_project(GROUPS / "rocky.toml")
    assert _targets(project) == {
        "sales_east": "lake.sales_east.sales_east",
        "sales_north": "lake.sales_north.sales_north",
        "sales_south": "lake.sales_south.sales_south",
    }
    for model in project.models.values():
        assert model.config.strategy.type == "merge"
        assert model.config.strategy.model_dump()["unique_key"] == ["sale_id"]
        assert model.config.group == "regional"


def test_group_tags_merge_per_key_with_the_sidecar_winning() -> None:
    project = load_project(GROUPS / "rocky.toml")
    tags = {name: m.config.tags for name, m in project.models.items()}
    assert tags["sales_north"] == {"owner": "revenue_team", "tier": "gold"}
    assert tags["sales_south"] == {"owner": "revenue_team", "tier": "gold"}
    assert tags["sales_east"] == {"owner": "revenue_team", "tier": "bronze"}


def test_group_args_with_a_pinned_schema_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_project(GROUPS / "rocky.toml", models_dir=GROUPS / "broken/args_and_pin/models")
    message = str(info.value)
    assert "sales_west" in message
    assert "the [args] are dead" in message
    assert info.value.file is not None and info.value.file.endswith("sales_west.toml")
    assert info.value.line == 5  # the pinned `schema = ...` line


def test_enforced_group_rejects_a_member_override() -> None:
    with pytest.raises(ConfigError) as info:
        load_project(GROUPS / "rocky.toml", models_dir=GROUPS / "broken/enforced_pin/models")
    message = str(info.value)
    assert "journal" in message
    assert "which its enforced group 'audited' controls" in message
    assert "enforce = false" in message


# -- the playground layout ----------------------------------------------------------------


def test_playground_loads_sql_dsl_contract_seed_and_seed_sql() -> None:
    project = load_project(PLAYGROUND / "rocky.toml")
    assert project.root == PLAYGROUND.resolve()
    assert project.adapter_type == "duckdb"
    assert _targets(project) == {
        "raw_events": "playground.main.raw_events",
        "top_users": "playground.main.top_users",
        "user_scores": "playground.main.user_scores",
    }
    kinds = {name: m.kind for name, m in project.models.items()}
    assert kinds == {"raw_events": "sql", "top_users": "sql", "user_scores": "rocky"}
    strategies = {name: m.config.strategy.type for name, m in project.models.items()}
    assert strategies == {
        "raw_events": "full_refresh",
        "top_users": "view",
        "user_scores": "full_refresh",
    }
    assert project.models["top_users"].config.depends_on == ["user_scores"]
    assert project.models["user_scores"].text.startswith("-- per-user totals")
    assert project.seed_sql == PLAYGROUND.resolve() / "data" / "seed.sql"


def test_playground_contract_is_parsed_with_rocky_types() -> None:
    contract = load_project(PLAYGROUND / "rocky.toml").contracts["top_users"]
    assert [c.name for c in contract.columns] == ["user_id", "total_score"]
    assert contract.columns[0].type == parse_type("Int64")
    assert contract.columns[0].nullable is False
    assert contract.columns[1].type == parse_type("Decimal")
    assert contract.required == ["user_id", "total_score"]
    assert contract.protected == ["user_id"]


def test_playground_seed_columns_are_inferred() -> None:
    (seed,) = load_project(PLAYGROUND / "rocky.toml").seeds
    assert seed.name == "regions"
    assert seed.target.key == "seeds.regions"
    assert [(c.name, str(c.type)) for c in seed.columns()] == [
        ("region_id", "Int64"),
        ("name", "String"),
        ("active", "Boolean"),
        ("opened", "Timestamp"),
    ]


def test_playground_model_paths_are_relative_to_the_project(tmp_path: Path) -> None:
    project = load_project(PLAYGROUND)
    model = project.models["top_users"]
    assert model.rel_path == "models/top_users.sql"
    assert model.path == PLAYGROUND.resolve() / "models" / "top_users.sql"
    assert model.sidecar_path == PLAYGROUND.resolve() / "models" / "top_users.toml"
