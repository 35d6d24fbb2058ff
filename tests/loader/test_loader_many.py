"""Loading many models at once: files read ahead of their turn, resolved
configs sharing what is identical, and errors still naming the file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from rocky.errors import ConfigError
from rocky.model_config import ModelConfig
from rocky.project import load_project

Writer = Callable[[dict[str, str | bytes]], Path]
TARGET = '[target]\ncatalog = "wh"\nschema = "s"\n'
N = 40  # well above the size from which a directory is read ahead


def _many(n: int = N) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for i in range(n):
        files[f"models/m_{i:03d}.sql"] = f"SELECT {i} AS id, 'x{i}' AS label\n"
        files[f"models/m_{i:03d}.toml"] = TARGET + f'table = "t_{i:03d}"\n'
    return files


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_every_model_of_a_large_directory_is_read_whole(write: Writer) -> None:
    files = _many()
    big = "SELECT\n" + ",\n".join(f"  {i} AS c{i}" for i in range(12000)) + "\n"
    files["models/m_017.sql"] = big  # larger than one read call
    project = load_project(write(files))
    assert len(project.models) == N
    assert project.models["m_017"].text == big.rstrip()
    assert project.models["m_005"].text == "SELECT 5 AS id, 'x5' AS label"
    assert project.models["m_039"].config.target.ref.key == "wh.s.t_039"


def test_a_model_that_cannot_be_read_is_named(write: Writer, tmp_path: Path) -> None:
    root = write(_many())
    (root / "models" / "m_020.sql").unlink()
    (root / "models" / "m_020.sql").symlink_to(tmp_path / "nowhere.sql")
    with pytest.raises(ConfigError) as info:
        load_project(root)
    assert str(info.value).startswith("models/m_020.sql: cannot read")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_no_file_stays_open_after_a_load_or_a_failed_one(write: Writer) -> None:
    files = _many()
    root = write(files)
    before = _open_fds()
    load_project(root)
    assert _open_fds() == before
    # a duplicate name stops the load half way through the directory
    (root / "models" / "m_030.toml").write_text('name = "m_001"\n' + TARGET)
    with pytest.raises(ConfigError, match="duplicate model name `m_001`"):
        load_project(root)
    assert _open_fds() == before


def test_resolved_configs_report_every_field_as_set(write: Writer) -> None:
    models = load_project(write(_many())).models
    a, b = models["m_001"].config, models["m_002"].config
    assert a.model_fields_set == set(ModelConfig.model_fields)
    assert b.target.model_fields_set == {"catalog", "schema_", "table"}
    copy = a.model_copy(update={"name": "renamed"})
    assert copy.name == "renamed" and a.name == "m_001"
    assert b.model_fields_set == set(ModelConfig.model_fields)
    assert b.model_dump(mode="json", by_alias=True)["name"] == "m_002"


def test_governance_tags_still_come_from_the_sidecar_and_the_group(write: Writer) -> None:
    files = _many(20)
    files["models/m_003.toml"] = TARGET + '[governance.tags]\nowner = "data"\n'
    files["models/groups/g.toml"] = '[governance.tags]\ndomain = "sales"\n'
    files["models/m_004.toml"] = 'group = "g"\n' + TARGET
    models = load_project(write(files)).models
    assert models["m_003"].config.governance.tags == {"owner": "data"}
    assert models["m_004"].config.governance.tags == {"domain": "sales"}
    plain = models["m_005"].config.model_dump(mode="json", by_alias=True)
    assert plain["governance"] == {"tags": {}}
