"""What the loader computes once per model for later stages: the config as
plain data (``ModelSource.config_data``), the content hash made from it,
configs assembled without re-validation, and the page-cache probe that
decides whether a directory is read ahead."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from blake3 import blake3

from rocky import model_files
from rocky.ir import canonical_json
from rocky.model_config import ModelConfig, Target
from rocky.model_files import ModelSource
from rocky.project import load_project
from rocky.tomlio import parse

Writer = Callable[[dict[str, str | bytes]], Path]
TARGET = '[target]\ncatalog = "wh"\nschema = "s"\n'
N = 40  # above the size from which a directory may be read ahead


def _project() -> dict[str, str | bytes]:
    """Models of every shape: plain, shared and per-model strategies with
    list values, directory defaults with freshness, frontmatter, a ``.rocky``
    model without sidecar, a group, and every rarely written table."""
    return {
        "models/plain.sql": "SELECT 1 AS id\n",
        "models/plain.toml": 'depends_on = ["b", "a"]\nintent = "x"\n' + TARGET,
        "models/merged.sql": "SELECT 1 AS id\n",
        "models/merged.toml": '[strategy]\ntype = "merge"\nunique_key = ["id", "k"]\n'
        + TARGET
        + '[tags]\nteam = "core"\n[classification]\nemail = "pii"\n[args]\nx = "1"\n',
        "models/merged2.sql": "SELECT 2 AS id\n",
        "models/merged2.toml": '[strategy]\nunique_key = ["id", "k"]\ntype = "merge"\n' + TARGET,
        "models/front.sql": f"---toml\n{TARGET}---\nSELECT 3 AS id\n",
        "models/rich.sql": "SELECT 4 AS id\n",
        "models/rich.toml": 'retention = "90d"\nformat = "delta_table"\nadapter = "other"\n'
        + TARGET
        + '[[sources]]\ncatalog = "raw"\nschema = "s"\ntable = "t"\n'
        + '[[sources.columns]]\nname = "id"\ntype = "Int64"\n'
        + '[[tests]]\ntype = "not_null"\ncolumn = "id"\n'
        + '[[use_test]]\nname = "positive"\ncolumn = "id"\n'
        + "[budget]\nmax_usd = 2.5\n[skip]\neligible = false\n"
        + '[format_options]\npartition_by = ["id"]\n'
        + '[[surrogate_key]]\nname = "sk"\ncolumns = ["id"]\n'
        + '[columns.id]\ndescription = "the key"\n[freshness]\nmax_lag_seconds = 60\n'
        + '[governance.tags]\nowner = "data"\n',
        "models/test_definitions.toml": '[positive]\ntype = "accepted_range"\nmin = 0\n',
        "models/sub/_defaults.toml": '[target]\ncatalog = "wh"\nschema = "sub"\n'
        '[strategy]\ntype = "incremental"\ntimestamp_column = "ts"\n'
        '[freshness]\nmax_lag_seconds = 3600\nseverity = "warning"\n',
        "models/sub/dsl.rocky": "from plain\n",
        "models/sub/inherits.sql": "SELECT 5 AS id\n",
        "models/sub/inherits.toml": 'name = "renamed"\n',
        "models/regional.sql": "SELECT 6 AS id\n",
        "models/regional.toml": 'group = "g"\n[target]\ncatalog = "wh"\n[args]\narea = "east"\n',
        "models/groups/g.toml": 'schema_template = "r_{area}"\n[governance.tags]\nd = "s"\n',
    }


def _dump(config: ModelConfig) -> dict[str, object]:
    return config.model_dump(mode="json", by_alias=True)


def test_config_data_is_exactly_the_json_dump_in_the_same_order(write: Writer) -> None:
    models = load_project(write(_project())).models
    assert len(models) == 8
    for model in models.values():
        expected = _dump(model.config)
        assert model.config_data == expected, model.name
        # key order too, nested included (serialised without sorting)
        assert json.dumps(model.config_data) == json.dumps(expected), model.name
    assert models["merged"].config_data["strategy"] == {
        "type": "merge",
        "unique_key": ["id", "k"],
        "update_columns": None,
    }
    assert models["renamed"].config_data["freshness"] == {
        "max_lag_seconds": 3600,
        "time_column": None,
        "severity": "warning",
    }
    assert models["regional"].config_data["target"]["schema"] == "r_east"


def test_config_data_is_not_shared_between_models(write: Writer) -> None:
    models = load_project(write(_project())).models
    a, b = models["merged"].config_data, models["merged2"].config_data
    assert a["strategy"] == b["strategy"]
    assert a["strategy"] is not b["strategy"]
    assert a["strategy"]["unique_key"] is not b["strategy"]["unique_key"]
    a["strategy"]["unique_key"].append("z")
    assert b["strategy"]["unique_key"] == ["id", "k"]
    assert models["merged"].config.strategy.unique_key == ["id", "k"]  # type: ignore[attr-defined]
    first, second = models["renamed"].config_data, models["dsl"].config_data
    assert first["freshness"] == second["freshness"]
    assert first["freshness"] is not second["freshness"]


def test_config_data_stays_out_of_comparison_and_repr(write: Writer) -> None:
    model = load_project(write(_project())).models["plain"]
    assert "config_data=" not in repr(model)
    assert ModelSource.__dataclass_fields__["config_data"].compare is False


def test_content_hash_is_made_from_the_dump(write: Writer) -> None:
    root = write(_project())
    for model in load_project(root).models.values():
        compact = {k: v for k, v in _dump(model.config).items() if v not in (None, [], {})}
        raw = model.path.read_bytes()
        expected = blake3(raw + b"\x00" + canonical_json(compact).encode()).hexdigest()
        assert model.content_hash == expected, model.name


def test_assembled_configs_equal_validated_ones(write: Writer) -> None:
    for model in load_project(write(_project())).models.values():
        config = model.config
        validated = ModelConfig.model_validate(dict(config.__dict__))
        assert config == validated
        assert config.__dict__ == validated.__dict__
        assert list(config.__dict__) == list(validated.__dict__)
        assert config.model_fields_set == validated.model_fields_set
        assert config.__pydantic_extra__ is None and config.__pydantic_private__ is None
        target = Target.model_validate(dict(config.target.__dict__))
        assert config.target == target
        assert config.target.model_fields_set == {"catalog", "schema_", "table"}
        assert repr(config) == repr(validated)
        # containers belong to the config, not to the sidecar they came from
        assert config.model_copy(deep=True) == config


def test_model_paths_are_plain_paths(write: Writer) -> None:
    root = write(_project())
    project = load_project(root)
    model = project.models["plain"]
    assert model.path == Path(os.fspath(root / "models" / "plain.sql"))
    assert str(model.path) == os.fspath(root / "models" / "plain.sql")
    assert model.sidecar_path == root / "models" / "plain.toml"
    assert hash(model.path) == hash(Path(str(model.path)))
    assert project.models["front"].sidecar_path is None
    assert project.models["dsl"].rel_path == "models/sub/dsl.rocky"


def _many() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for i in range(N):
        files[f"models/m_{i:03d}.sql"] = f"SELECT {i} AS id\n"
        files[f"models/m_{i:03d}.toml"] = TARGET + f'table = "t_{i:03d}"\n'
    return files


def _evict(directory: Path) -> bool:
    """Drop the directory's files from the page cache (written back first);
    False where the system cannot."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in directory.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


@pytest.mark.skipif(model_files._NOWAIT is None, reason="needs RWF_NOWAIT reads")
def test_a_cold_directory_is_read_ahead_and_loads_the_same(
    write: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(_many())
    warm = load_project(root).models
    assert model_files._cached(os.fspath(root / "models" / "m_000.sql"))
    made: list[int] = []
    real = model_files._ReadAhead

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, paths: list[str]) -> None:
            made.append(len(paths))
            super().__init__(paths)

    monkeypatch.setattr(model_files, "_ReadAhead", Counting)
    load_project(root)
    assert made == []  # all cached: read plainly
    if not _evict(root / "models") or model_files._cached(os.fspath(root / "models" / "m_000.sql")):
        pytest.skip("this file system keeps the files cached")
    cold = load_project(root).models
    assert made == [2 * N]
    assert cold == warm
    assert [m.config_data for m in cold.values()] == [m.config_data for m in warm.values()]


def test_cache_probe_of_files_it_cannot_tell(tmp_path: Path) -> None:
    assert model_files._cached(os.fspath(tmp_path / "missing.sql")) is False
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.sql"
        os.mkfifo(fifo)
        assert model_files._cached(os.fspath(fifo)) is False


def test_repeated_lines_parse_the_same_in_every_file() -> None:
    line = 'catalog = "wh"'
    assert parse(f"{line}\n", file="a.toml") == {"catalog": "wh"}
    assert parse(f"[target]\n{line}\n", file="b.toml") == {"target": {"catalog": "wh"}}
    first = parse('k = ["x"]\nn = 1\n', file="c.toml")
    second = parse('k = ["x"]\nn = 1\n', file="c.toml")
    assert first == second == {"k": ["x"], "n": 1}
    assert first["k"] is not second["k"]
    assert type(parse("b = true\n", file="d.toml")["b"]) is bool
    # a repeated key is still tomllib's error, the line already seen or not
    with pytest.raises(Exception, match="line 2"):
        parse(f"{line}\n{line}\n", file="e.toml")
    # many distinct lines: the remembered ones are dropped, results unchanged
    for i in range(10000):
        assert parse(f"key_{i} = {i}\n{line}\n", file="f.toml") == {f"key_{i}": i, "catalog": "wh"}
