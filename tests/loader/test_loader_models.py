"""Model files: discovery, sidecars, frontmatter, defaults, groups, strategies."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rocky.errors import ConfigError
from rocky.project import load_project

Writer = Callable[[dict[str, str | bytes]], Path]
TARGET = '[target]\ncatalog = "wh"\nschema = "s"\n'


def _fails(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_project(root)
    return info.value


def test_name_and_table_default_to_the_file_stem(write: Writer) -> None:
    root = write({"models/orders.sql": "SELECT 1 AS id\n", "models/orders.toml": TARGET})
    model = load_project(root).models["orders"]
    assert model.config.name == "orders"
    assert model.config.target.ref.key == "wh.s.orders"
    assert model.config.strategy.type == "full_refresh"
    assert (model.kind, model.text, model.line_offset) == ("sql", "SELECT 1 AS id", 0)


def test_explicit_name_and_table_win(write: Writer) -> None:
    root = write(
        {
            "models/orders.sql": "SELECT 1\n",
            "models/orders.toml": 'name = "fct_orders"\n' + TARGET + 'table = "orders_v2"\n',
        }
    )
    model = load_project(root).models["fct_orders"]
    assert model.config.target.table == "orders_v2"
    assert model.rel_path == "models/orders.sql"


def test_frontmatter_model_and_its_line_offset(write: Writer) -> None:
    sql = (
        '\n---toml\nname = "inline"\n[target]\ncatalog = "c"\nschema = "s"\n---\n'
        "\nSELECT\n  1 AS id\n"
    )
    root = write({"models/inline.sql": sql})
    model = load_project(root).models["inline"]
    assert model.text == "SELECT\n  1 AS id"
    assert model.sidecar_path is None
    lines = sql.split("\n")
    assert lines[model.line_offset + 1 - 1] == "SELECT"  # span line = offset + line-in-text


def test_frontmatter_errors_point_at_the_file_line(write: Writer) -> None:
    root = write(
        {"models/inline.sql": '---toml\n[target]\ncatalog = "c"\nschema = 5\n---\nSELECT 1\n'}
    )
    err = _fails(root)
    assert "models/inline.sql" in str(err) and "`[target] schema` must be a string" in str(err)
    assert err.line == 4


def test_sql_without_sidecar_or_frontmatter_is_missing_frontmatter(write: Writer) -> None:
    err = _fails(write({"models/lonely.sql": "SELECT 1\n"}))
    assert "MissingFrontmatter" in str(err)
    assert "add a sidecar `lonely.toml`" in str(err)
    assert err.file == "models/lonely.sql"


def test_unclosed_frontmatter(write: Writer) -> None:
    err = _fails(write({"models/x.sql": "---toml\nname = 'x'\nSELECT 1\n"}))
    assert "never closed" in str(err)


def test_rocky_file_without_sidecar_uses_warehouse_default(write: Writer) -> None:
    root = write({"models/agg.rocky": "from raw\nselect { id }\n"})
    model = load_project(root).models["agg"]
    assert model.kind == "rocky"
    assert model.config.target.ref.key == "warehouse.default.agg"
    assert model.config.strategy.type == "full_refresh"


def test_rocky_file_without_sidecar_takes_directory_defaults(write: Writer) -> None:
    root = write(
        {
            "models/_defaults.toml": TARGET + '[strategy]\ntype = "view"\n',
            "models/agg.rocky": "from raw\nselect { id }\n",
        }
    )
    model = load_project(root).models["agg"]
    assert model.config.target.ref.key == "wh.s.agg"
    assert model.config.strategy.type == "view"


def test_defaults_apply_to_their_own_directory_only(write: Writer) -> None:
    root = write(
        {
            "models/_defaults.toml": TARGET,
            "models/top.sql": "SELECT 1\n",
            "models/top.toml": "",
            "models/nested/deep.sql": "SELECT 2\n",
            "models/nested/deep.toml": "",
        }
    )
    err = _fails(root)
    assert "MissingTarget" in str(err) and "`deep`" in str(err)
    assert "_defaults.toml" in str(err)


def test_models_are_found_recursively_with_per_directory_defaults(write: Writer) -> None:
    root = write(
        {
            "models/_defaults.toml": TARGET,
            "models/top.sql": "SELECT 1\n",
            "models/top.toml": "",
            "models/marts/_defaults.toml": '[target]\ncatalog = "wh"\nschema = "marts"\n',
            "models/marts/fct.sql": "SELECT 2\n",
            "models/marts/fct.toml": 'depends_on = ["top"]\n',
            "models/.archive/old.sql": "SELECT 3\n",
            "models/groups/not_a_model.sql": "SELECT 4\n",
        }
    )
    project = load_project(root)
    assert sorted(project.models) == ["fct", "top"]
    assert project.models["fct"].config.target.ref.key == "wh.marts.fct"
    assert project.models["fct"].rel_path == "models/marts/fct.sql"


def test_precedence_sidecar_over_group_over_defaults(write: Writer) -> None:
    root = write(
        {
            "models/_defaults.toml": 'intent = "dir"\n' + TARGET + '[strategy]\ntype = "view"\n',
            "models/groups/g.toml": '[strategy]\ntype = "ephemeral"\n',
            "models/a.sql": "SELECT 1\n",
            "models/a.toml": "",
            "models/b.sql": "SELECT 1\n",
            "models/b.toml": 'group = "g"\n',
            "models/c.sql": "SELECT 1\n",
            "models/c.toml": 'group = "g"\n[strategy]\ntype = "incremental"\n'
            'timestamp_column = "ts"\n',
        }
    )
    models = load_project(root).models
    assert [models[n].config.strategy.type for n in "abc"] == ["view", "ephemeral", "incremental"]
    assert models["a"].config.intent == "dir"


def test_defaults_may_not_set_per_model_fields(write: Writer) -> None:
    err = _fails(
        write({"models/_defaults.toml": 'depends_on = ["x"]\n', "models/a.sql": "SELECT 1"})
    )
    assert "`depends_on` is set per model" in str(err) and err.file == "models/_defaults.toml"


def test_unknown_sidecar_key_suggests_the_right_one(write: Writer) -> None:
    root = write(
        {"models/x.sql": "SELECT 1\n", "models/x.toml": TARGET + '\n[stratgy]\ntype = "view"\n'}
    )
    err = _fails(root)
    assert str(err) == "unknown key `stratgy` in models/x.toml (line 5); did you mean `strategy`?"


def test_unknown_key_inside_a_table(write: Writer) -> None:
    root = write({"models/x.sql": "SELECT 1\n", "models/x.toml": TARGET + 'tabel = "t"\n'})
    err = _fails(root)
    assert (
        str(err)
        == "unknown key `tabel` in [target] in models/x.toml (line 4); did you mean `table`?"
    )


def test_strategy_wrong_type_message(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": "SELECT 1\n",
            "models/x.toml": TARGET + '[strategy]\ntype = "merge"\nunique_key = 5\n',
        }
    )
    err = _fails(root)
    assert (
        str(err)
        == "models/x.toml: `[strategy] unique_key` must be a list of strings, got integer (line 6)"
    )


def test_strategy_list_element_of_the_wrong_type(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": "SELECT 1\n",
            "models/x.toml": TARGET + '[strategy]\ntype = "merge"\nunique_key = ["id", 2]\n',
        }
    )
    assert "`[strategy] unique_key` element 2 must be a string, got integer" in str(_fails(root))


def test_strategy_missing_required_key(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": "SELECT 1\n",
            "models/x.toml": TARGET + '[strategy]\ntype = "incremental"\n',
        }
    )
    assert "`[strategy] timestamp_column` is required" in str(_fails(root))


def test_unknown_strategy_type_lists_the_known_ones(write: Writer) -> None:
    root = write(
        {"models/x.sql": "SELECT 1\n", "models/x.toml": TARGET + '[strategy]\ntype = "merg"\n'}
    )
    err = _fails(root)
    assert "unknown strategy type `merg`" in str(err)
    assert "full_refresh" in str(err) and "did you mean `merge`?" in str(err)
    assert err.line == 5


def test_strategy_keys_are_validated_by_the_registered_model(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": "SELECT 1\n",
            "models/x.toml": TARGET + '[strategy]\ntype = "time_interval"\ntime_column = "d"\n'
            'granularity = "day"\nlookbak = 2\n',
        }
    )
    assert "unknown key `lookbak` in [strategy]" in str(_fails(root))


def test_missing_target_hints_at_target_or_defaults(write: Writer) -> None:
    root = write({"models/x.sql": "SELECT 1\n", "models/x.toml": '[target]\ncatalog = "wh"\n'})
    err = _fails(root)
    assert "model `x` has no target schema (MissingTarget)" in str(err)
    assert "[target] schema" in str(err) and "_defaults.toml" in str(err)


def test_duplicate_model_names_name_both_files(write: Writer) -> None:
    root = write(
        {
            "models/_defaults.toml": TARGET,
            "models/a/orders.sql": "SELECT 1\n",
            "models/a/orders.toml": TARGET,
            "models/b/orders.sql": "SELECT 2\n",
            "models/b/orders.toml": TARGET,
        }
    )
    err = _fails(root)
    assert "duplicate model name `orders`" in str(err)
    assert "models/a/orders.sql" in str(err) and "models/b/orders.sql" in str(err)


def test_sql_and_rocky_with_the_same_stem_collide(write: Writer) -> None:
    root = write(
        {"models/m.sql": "SELECT 1\n", "models/m.rocky": "from x\n", "models/m.toml": TARGET}
    )
    assert "duplicate model name `m`" in str(_fails(root))


def test_group_unknown_and_unfilled_template(write: Writer) -> None:
    base = {
        "models/groups/regional.toml": 'schema_template = "r_{area}"\n',
        "models/x.sql": "SELECT 1",
    }
    err = _fails(write({**base, "models/x.toml": 'group = "regionl"\n[target]\ncatalog = "c"\n'}))
    assert "no groups/regionl.toml" in str(err) and "did you mean `regional`?" in str(err)
    err = _fails(write({**base, "models/x.toml": 'group = "regional"\n[target]\ncatalog = "c"\n'}))
    assert "needs `area`" in str(err)
    err = _fails(
        write(
            {
                **base,
                "models/x.toml": 'group = "regional"\n[target]\ncatalog = "c"\n'
                '[args]\narea = "a-b"\n',
            }
        )
    )
    assert "`r_a-b`" in str(err) and "not a valid identifier" in str(err)


def test_enforced_group_forbids_overriding_its_strategy(write: Writer) -> None:
    root = write(
        {
            "models/groups/locked.toml": 'enforce = true\n[strategy]\ntype = "view"\n',
            "models/x.sql": "SELECT 1",
            "models/x.toml": 'group = "locked"\n' + TARGET + '[strategy]\ntype = "full_refresh"\n',
        }
    )
    err = _fails(root)
    assert "sets `strategy`, which its enforced group 'locked' controls" in str(err)


def test_use_test_resolves_named_definitions(write: Writer) -> None:
    root = write(
        {
            "models/test_definitions.toml": '[positive]\ntype = "expression"\n'
            'expression = "amount > 0"\n'
            '[known]\ntype = "accepted_values"\nvalues = ["a"]\ncolumn = "status"\n',
            "models/x.sql": "SELECT 1",
            "models/x.toml": TARGET + '[[tests]]\ntype = "not_null"\ncolumn = "id"\n'
            '[[use_test]]\nname = "positive"\nseverity = "warning"\n[[use_test]]\nname = "known"\n',
        }
    )
    config = load_project(root).models["x"].config
    assert config.tests == [
        {"type": "not_null", "column": "id"},
        {"type": "expression", "expression": "amount > 0", "severity": "warning"},
        {"type": "accepted_values", "values": ["a"], "column": "status", "severity": "error"},
    ]
    assert [u["name"] for u in config.use_test] == ["positive", "known"]


def test_use_test_unknown_name(write: Writer) -> None:
    root = write(
        {"models/x.sql": "SELECT 1", "models/x.toml": TARGET + '[[use_test]]\nname = "nope"\n'}
    )
    assert "uses test `nope`" in str(_fails(root))


def test_sidecar_extras_are_resolved(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": "SELECT 1",
            "models/x.toml": 'retention = "90d"\nformat = "delta_table"\n'
            + TARGET
            + "[freshness]\nexpected_lag_seconds = 60\n[budget]\nmax_usd = 1.5\n"
            '[classification]\nemail = "pii"\n[governance.tags]\ndomain = "finance"\n'
            '[columns.id]\ndescription = "key"\n[[surrogate_key]]\nname = "sk"\ncolumns = ["id"]\n',
        }
    )
    c = load_project(root).models["x"].config
    assert (c.retention, c.format) == ("90d", "delta_table")
    assert c.freshness is not None and c.freshness.max_lag_seconds == 60
    assert c.budget is not None and c.budget.max_usd == 1.5
    assert c.classification == {"email": "pii"} and c.governance.tags == {"domain": "finance"}
    assert c.columns["id"].description == "key"
    assert c.surrogate_key == [{"name": "sk", "columns": ["id"]}]


def test_retention_and_format_are_checked(write: Writer) -> None:
    err = _fails(
        write({"models/x.sql": "SELECT 1", "models/x.toml": 'retention = "90"\n' + TARGET})
    )
    assert "`retention`" in str(err) and "90d" in str(err) and err.line == 1
    err = _fails(
        write({"models/x.sql": "SELECT 1", "models/x.toml": 'format = "parquet"\n' + TARGET})
    )
    assert "`format` must be one of `table`" in str(err) and "got `parquet`" in str(err)


def test_empty_model_file_is_a_clear_error(write: Writer) -> None:
    err = _fails(write({"models/x.sql": "", "models/x.toml": TARGET}))
    assert (
        str(err)
        == "models/x.sql: the model file is empty; write the model's SELECT or delete the file"
    )
    err = _fails(write({"models/x.sql": "  \n\n\t\n", "models/x.toml": TARGET}))
    assert "is empty" in str(err)


def test_empty_sidecar_is_all_defaults(write: Writer) -> None:
    root = write({"models/_defaults.toml": TARGET, "models/x.sql": "SELECT 1", "models/x.toml": ""})
    assert load_project(root).models["x"].config.target.ref.key == "wh.s.x"


def test_binary_garbage_and_bad_encodings_are_config_errors(write: Writer) -> None:
    garbage = bytes(range(256)) * 4
    err = _fails(write({"models/x.sql": garbage, "models/x.toml": TARGET}))
    assert "not valid UTF-8" in str(err) and err.file == "models/x.sql"
    err = _fails(write({"models/x.sql": "SELECT 1", "models/x.toml": garbage}))
    assert err.file == "models/x.toml"
    err = _fails(write({"models/x.sql": "SELECT\x00 1", "models/x.toml": TARGET}))
    assert "NUL" in str(err)
    err = _fails(write({"models/x.sql": b"SELECT 'caf\xe9'\n", "models/x.toml": TARGET}))
    assert "not valid UTF-8 (byte 0xe9)" in str(err) and err.line == 1


def test_utf8_bom_is_accepted(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": b"\xef\xbb\xbfSELECT 1",
            "models/x.toml": b"\xef\xbb\xbf" + TARGET.encode(),
        }
    )
    assert load_project(root).models["x"].text == "SELECT 1"


def test_ten_megabyte_sql_file_loads_quickly(write: Writer) -> None:
    line = "SELECT 1 AS a, 'some text to pad the line out' AS b UNION ALL\n"
    sql = line * (10_000_000 // len(line)) + "SELECT 2, 'end'\n"
    root = write({"models/big.sql": sql, "models/big.toml": TARGET})
    started = time.perf_counter()
    model = load_project(root).models["big"]
    assert time.perf_counter() - started < 5.0
    assert len(model.text) == len(sql.rstrip())
    assert model.text.endswith("SELECT 2, 'end'")


def test_models_directory_that_does_not_exist(tmp_path: Path, write: Writer) -> None:
    root = write({})
    assert load_project(root).models == {}  # the configured directory is simply empty
    with pytest.raises(ConfigError, match=r"models directory .* does not exist"):
        load_project(root, models_dir=tmp_path / "nowhere")


def test_content_hash_is_stable_and_tracks_sql_and_config(write: Writer) -> None:
    root = write({"models/x.sql": "SELECT 1", "models/x.toml": TARGET})
    first = load_project(root).models["x"].content_hash
    assert load_project(root).models["x"].content_hash == first
    (root / "models/x.sql").write_text("SELECT 2")
    second = load_project(root).models["x"].content_hash
    (root / "models/x.toml").write_text('intent = "why"\n' + TARGET)
    third = load_project(root).models["x"].content_hash
    assert len({first, second, third}) == 3 and len(first) == 64


def test_symlink_cycle_terminates(write: Writer) -> None:
    root = write({"models/a/x.sql": "SELECT 1", "models/a/x.toml": TARGET})
    os.symlink(root / "models", root / "models/a/loop")
    assert list(load_project(root).models) == ["x"]


def test_nesting_past_the_limit_is_an_error(write: Writer) -> None:
    deep = "models/" + "/".join(f"d{i}" for i in range(66))
    err = _fails(write({f"{deep}/x.sql": "SELECT 1", f"{deep}/x.toml": TARGET}))
    assert "deeper than 64 directories" in str(err)


def test_models_glob_chooses_the_directory(write: Writer) -> None:
    root = write(
        {
            "rocky.toml": '[pipeline.p]\ntype = "transformation"\nmodels = "transforms/**/*.sql"\n',
            "transforms/x.sql": "SELECT 1",
            "transforms/x.toml": TARGET,
        }
    )
    project = load_project(root)
    assert project.models_dir == root.resolve() / "transforms"
    assert list(project.models) == ["x"]


def test_contract_beside_model_and_contracts_dir_precedence(write: Writer) -> None:
    contract = '[[columns]]\nname = "{col}"\ntype = "Int64"\n'
    root = write(
        {
            "models/x.sql": "SELECT 1",
            "models/x.toml": TARGET,
            "models/x.contract.toml": contract.format(col="beside"),
            "models/y.sql": "SELECT 1",
            "models/y.toml": TARGET,
            "models/y.contract.toml": contract.format(col="beside"),
            "contracts/y.contract.toml": contract.format(col="from_dir"),
            "explicit/x.contract.toml": contract.format(col="explicit"),
        }
    )
    project = load_project(root)
    assert project.contracts["x"].columns[0].name == "beside"
    assert project.contracts["y"].columns[0].name == "from_dir"
    explicit = load_project(root, contracts_dir=root / "explicit")
    assert explicit.contracts["x"].columns[0].name == "explicit"
    assert explicit.contracts["y"].columns[0].name == "beside"


def test_sidecar_and_frontmatter_together_is_an_error(write: Writer) -> None:
    root = write({"models/x.sql": '---toml\nname = "y"\n---\nSELECT 1\n', "models/x.toml": TARGET})
    err = _fails(root)
    assert "both a sidecar (models/x.toml) and `---toml` frontmatter" in str(err)


def test_empty_catalog_means_the_adapter_default(write: Writer) -> None:
    root = write(
        {
            "models/x.sql": "SELECT 1",
            "models/x.toml": '[[sources]]\ncatalog = ""\nschema = "raw"\ntable = "t"\n'
            '[target]\ncatalog = ""\nschema = "marts"\n',
        }
    )
    config = load_project(root).models["x"].config
    assert config.target.ref.catalog is None and config.target.ref.key == "marts.x"
    assert config.sources[0].ref.key == "raw.t"
    err = _fails(write({"models/x.toml": '[target]\ncatalog = "c"\nschema = " "\n'}))
    assert "empty target schema" in str(err)


def test_thousands_of_models_load_in_linear_time(tmp_path: Path) -> None:
    (tmp_path / "rocky.toml").write_text('[pipeline.p]\ntype = "transformation"\n')
    models = tmp_path / "models"
    for layer in range(3):
        (models / f"layer{layer}").mkdir(parents=True)
        (models / f"layer{layer}" / "_defaults.toml").write_text(
            f'[target]\ncatalog = "wh"\nschema = "layer{layer}"\n'
        )
        for i in range(1000):
            name = f"m{layer}_{i:04d}"
            deps = f'["m{layer - 1}_{i:04d}"]' if layer else "[]"
            (models / f"layer{layer}" / f"{name}.sql").write_text(f"SELECT {i} AS id\n")
            (models / f"layer{layer}" / f"{name}.toml").write_text(f"depends_on = {deps}\n")
    started = time.perf_counter()
    project = load_project(tmp_path)
    elapsed = time.perf_counter() - started
    assert len(project.models) == 3000
    assert project.models["m2_0999"].config.depends_on == ["m1_0999"]
    assert project.models["m2_0999"].config.target.ref.key == "wh.layer2.m2_0999"
    assert elapsed < 10.0, f"3000 models took {elapsed:.1f}s"


def test_content_hash_derivation(write: Writer) -> None:
    from blake3 import blake3

    from rocky.ir import canonical_json

    root = write({"models/x.sql": "SELECT 1\n", "models/x.toml": TARGET})
    model = load_project(root).models["x"]
    dump = model.config.model_dump(mode="json", by_alias=True)
    compact = {k: v for k, v in dump.items() if v not in (None, [], {})}
    expected = blake3(b"SELECT 1\n" + b"\x00" + canonical_json(compact).encode()).hexdigest()
    assert model.content_hash == expected
    assert compact["strategy"] == {"type": "full_refresh"}


def test_frontmatter_is_substituted_with_file_lines(write: Writer) -> None:
    sql = '\n---toml\n[target]\ncatalog = "${FM_CAT:-dflt}"\nschema = "${FM_SCHEMA}"\n---\nSELECT 1'
    root = write({"models/x.sql": sql})
    project = load_project(root, env={"FM_SCHEMA": "s"})
    assert project.models["x"].config.target.ref.key == "dflt.s.x"
    with pytest.raises(ConfigError) as info:
        load_project(root, env={})
    assert (info.value.file, info.value.line) == ("models/x.sql", 5)
    assert "`FM_SCHEMA`" in str(info.value)
