"""`rocky lineage` on a SQL -> DSL -> DSL chain, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def edge(src: str, dst: str, transform: str) -> dict[str, Any]:
    (sm, sc), (dm, dc) = src.rsplit(".", 1), dst.rsplit(".", 1)
    return {
        "source": {"model": sm, "column": sc},
        "target": {"model": dm, "column": dc},
        "transform": transform,
    }


@pytest.mark.slow
def test_model_column_and_dot(
    tmp_path: Path, project_copy: Callable[[str, Path], Path], cli: Callable[..., Any]
) -> None:
    root = project_copy("visits", tmp_path)
    model = cli("lineage", "fct_attention", "-o", "json", cwd=root)
    assert model.returncode == 0, model.stderr
    data = json.loads(model.stdout)
    assert data["model"] == "fct_attention"
    assert data["columns"] == [
        {"name": "site_id", "nullable": True},
        {"name": "seconds", "nullable": True},
    ]
    assert (data["upstream"], data["downstream"]) == (["stg_visits"], [])
    assert data["edges"] == [
        edge("stg_visits.site_id", "fct_attention.site_id", "direct"),
        edge("stg_visits.duration_s", "fct_attention.seconds", "aggregation: sum"),
    ]

    column = cli("lineage", "fct_attention", "--column", "seconds", "-o", "json", cwd=root)
    assert json.loads(column.stdout) == {
        "version": data["version"],
        "command": "lineage",
        "model": "fct_attention",
        "column": "seconds",
        "direction": "upstream",
        "trace": [
            edge("stg_visits.duration_s", "fct_attention.seconds", "aggregation: sum"),
            edge("raw_visits.duration_s", "stg_visits.duration_s", "direct"),
            edge("landing.visits.duration_s", "raw_visits.duration_s", "direct"),
        ],
    }

    dot = cli("lineage", "fct_attention", "--format", "dot", cwd=root)
    assert dot.stdout == (
        "digraph lineage {\n"
        "  rankdir=LR;\n"
        '  "stg_visits.site_id" -> "fct_attention.site_id";\n'
        '  "stg_visits.duration_s" -> "fct_attention.seconds";\n'
        "}\n"
    )


@pytest.mark.slow
def test_types_with_seed_and_downstream_consumers(
    tmp_path: Path, project_copy: Callable[[str, Path], Path], cli: Callable[..., Any]
) -> None:
    root = project_copy("visits", tmp_path)
    done = cli("lineage", "raw_visits.duration_s", "--downstream", "--with-seed", cwd=root)
    data = json.loads(done.stdout)
    assert data["direction"] == "downstream"
    assert data["downstream_consumers"] == [
        {"model": "fct_attention", "column": "seconds"},
        {"model": "stg_visits", "column": "duration_s"},
    ]
    typed = json.loads(cli("lineage", "fct_attention", "--with-seed", cwd=root).stdout)
    assert typed["columns"][0] == {"name": "site_id", "data_type": "Int64", "nullable": True}
