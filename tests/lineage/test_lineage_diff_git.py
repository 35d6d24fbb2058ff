"""`rocky lineage-diff` in real git repositories with real commits."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rocky.errors import RockyError
from rocky.lineage_diff import lineage_diff


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path, project_copy: Callable[[str, Path], Path]) -> Path:
    """The subs project committed on `main`, then checked out on a branch."""
    root = project_copy("subs", tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Author")
    git(root, "config", "user.email", "author@example.com")
    git(root, "config", "commit.gpgsign", "false")
    (root / ".gitignore").write_text(".rocky/\n")
    commit_all(root, "baseline")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


RENAME_STG = """SELECT subscription_id, plan_id, price AS price_usd, price * 0.2 AS vat_usd,
       state, started_on
FROM raw_subscriptions
WHERE state != 'trial'
"""
RENAME_FCT = """SELECT
    s.plan_id,
    p.tier,
    SUM(s.price_usd) AS mrr_usd,
    SUM(s.vat_usd) AS vat
FROM stg_subscriptions AS s
JOIN dim_plans AS p USING (plan_id)
GROUP BY s.plan_id, p.tier
"""


@pytest.mark.slow
def test_renamed_columns_pr_comment(repo: Path, cli: Callable[..., Any]) -> None:
    write(repo, "models/stg_subscriptions.sql", RENAME_STG)
    write(repo, "models/fct_mrr.sql", RENAME_FCT)
    commit_all(repo, "rename price -> price_usd, add vat")

    table = cli("lineage-diff", "main", "-o", "table", cwd=repo)
    assert table.returncode == 0, table.stderr
    assert table.stdout == (
        "Rocky Lineage Diff (main...HEAD)\n\n"
        "### Rocky Lineage Diff\n\n"
        "**2 row(s) changed** (2 modified, 0 added, 0 removed, 3 unchanged)\n\n"
        "<details>\n<summary><b>fct_mrr</b> — modified (3 column changes)</summary>\n\n"
        "| Column | Change | Old Type | New Type | Downstream consumers |\n"
        "|--------|--------|----------|----------|----------------------|\n"
        "| `mrr_usd` | added | - | Unknown | _none_ |\n"
        "| `vat` | added | - | Unknown | _none_ |\n"
        "| `mrr` | removed | Unknown | - | _(removed; not traceable on HEAD)_ |\n"
        "\n</details>\n\n"
        "<details>\n<summary><b>stg_subscriptions</b> — modified (3 column changes)</summary>\n\n"
        "| Column | Change | Old Type | New Type | Downstream consumers |\n"
        "|--------|--------|----------|----------|----------------------|\n"
        "| `price_usd` | added | - | Unknown | `fct_mrr.mrr_usd` |\n"
        "| `vat_usd` | added | - | Unknown | `fct_mrr.vat` |\n"
        "| `price` | removed | Unknown | - | _(removed; not traceable on HEAD)_ |\n"
        "\n</details>\n\n"
    )
    data = json.loads(cli("lineage-diff", "main", "-o", "json", cwd=repo).stdout)
    assert data["base_ref"] == "main" and data["head_ref"] == "HEAD"
    assert data["summary"] == {
        "total_models": 5,
        "unchanged": 3,
        "modified": 2,
        "added": 0,
        "removed": 0,
    }
    stg = data["results"][1]
    assert stg["column_changes"][0] == {
        "column_name": "price_usd",
        "change_type": "added",
        "new_type": "Unknown",
        "new_nullable": True,
        "downstream_consumers": [{"model": "fct_mrr", "column": "mrr_usd"}],
    }
    # on the base, the removed column fed fct_mrr.mrr
    assert stg["column_changes"][2]["base_downstream_consumers"] == [
        {"model": "fct_mrr", "column": "mrr"}
    ]


def test_type_change_removed_and_new_models(repo: Path) -> None:
    write(
        repo,
        "models/raw_plans.sql",
        "SELECT CAST(plan_id AS BIGINT) AS plan_id, plan_name, tier FROM warehouse.landing.plans\n",
    )
    (repo / "models" / "fct_mrr.sql").unlink()
    (repo / "models" / "fct_mrr.toml").unlink()
    write(
        repo,
        "models/plan_counts.sql",
        "SELECT tier, COUNT(*) AS plans FROM dim_plans GROUP BY tier\n",
    )
    write(repo, "models/plan_counts.toml", '[strategy]\ntype = "full_refresh"\n')
    # uncommitted: HEAD is the working tree
    diff = lineage_diff(repo / "rocky.toml", "main")
    got = {r.model_name: r for r in diff.results}
    assert sorted(got) == ["dim_plans", "fct_mrr", "plan_counts", "raw_plans"]
    assert got["fct_mrr"].status == "removed"
    assert [(c.column_name, c.change_type) for c in got["fct_mrr"].column_changes] == [
        ("plan_id", "removed"),
        ("tier", "removed"),
        ("mrr", "removed"),
    ]
    assert got["plan_counts"].status == "added"
    [raw_change] = got["raw_plans"].column_changes
    assert (raw_change.change_type, raw_change.old_type, raw_change.new_type) == (
        "type_changed",
        "Unknown",
        "Int64",
    )
    assert [f"{r.model}.{r.column}" for r in raw_change.downstream_consumers] == [
        "dim_plans.plan_id"
    ]
    # the type flows on into dim_plans, whose file did not change
    [dim_change] = got["dim_plans"].column_changes
    assert (dim_change.column_name, dim_change.change_type) == ("plan_id", "type_changed")
    assert diff.summary == {
        "total_models": 6,
        "unchanged": 2,
        "modified": 2,
        "added": 1,
        "removed": 1,
    }


def test_renamed_file_keeping_its_target(repo: Path) -> None:
    git(repo, "mv", "models/dim_plans.sql", "models/plan_dimension.sql")
    git(repo, "mv", "models/dim_plans.toml", "models/plan_dimension.toml")
    write(
        repo,
        "models/plan_dimension.toml",
        'depends_on = ["raw_plans"]\n\n[strategy]\ntype = "full_refresh"\n\n'
        '[target]\ntable = "dim_plans"\n',
    )
    fct = (repo / "models" / "fct_mrr.sql").read_text().replace("dim_plans", "plan_dimension")
    write(repo, "models/fct_mrr.sql", fct)
    write(
        repo,
        "models/fct_mrr.toml",
        'depends_on = ["stg_subscriptions", "plan_dimension"]\n\n'
        '[strategy]\ntype = "full_refresh"\n',
    )
    commit_all(repo, "rename the dimension file")
    diff = lineage_diff(repo, "main")
    got = {r.model_name: r for r in diff.results}
    assert got["plan_dimension"].status == "modified"
    assert got["plan_dimension"].renamed_from == "dim_plans"
    assert got["plan_dimension"].column_changes == ()
    assert "dim_plans" not in got  # not reported as removed + added


def test_base_ref_with_broken_config_is_reported(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    write(repo, "rocky.toml", "[adapter\ntype = 'duckdb'\n")
    commit_all(repo, "break the config on main")
    git(repo, "checkout", "-q", "feature")
    diff = lineage_diff(repo / "rocky.toml", "main")
    assert diff.results == ()
    assert diff.base_error is not None
    assert diff.base_error.startswith("main does not compile: rocky.toml: invalid TOML")
    data = diff.to_json("1")
    assert data["base_error"] == diff.base_error
    assert data["markdown"].endswith(
        "No column diff is available: the base ref must compile to be compared.\n"
    )


def test_base_ref_with_unparseable_model_still_diffs_the_rest(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    write(repo, "models/fct_mrr.sql", "SELECT plan_id, FROM WHERE\n")
    commit_all(repo, "broken model on main")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    write(
        repo,
        "models/fct_mrr.sql",
        RENAME_FCT.replace("s.price_usd", "s.price").replace(
            "SUM(s.vat_usd) AS vat", "COUNT(*) AS subscriptions"
        ),
    )
    write(repo, "models/stg_subscriptions.sql", RENAME_STG)
    diff = lineage_diff(repo / "rocky.toml", "main")
    assert diff.base_error is not None
    assert diff.base_error.startswith("main does not compile: models/fct_mrr.sql:")
    got = {r.model_name: r for r in diff.results}
    assert got["fct_mrr"].status == "modified" and got["fct_mrr"].column_changes == ()
    assert [c.column_name for c in got["stg_subscriptions"].column_changes] == [
        "price_usd",
        "vat_usd",
        "price",
    ]
    assert "> **Note:** main does not compile" in diff.to_json("1")["markdown"]


def test_base_ref_without_the_project(
    tmp_path: Path, project_copy: Callable[[str, Path], Path]
) -> None:
    outer = tmp_path / "mono"
    outer.mkdir()
    git(outer, "init", "-q", "-b", "main")
    git(outer, "config", "user.name", "T")
    git(outer, "config", "user.email", "t@example.com")
    (outer / "README.md").write_text("monorepo\n")
    commit_all(outer, "empty")
    root = project_copy("subs", outer)
    diff = lineage_diff(root / "rocky.toml", "main")
    assert diff.base_error == "`subs` does not exist at main"


def test_unknown_ref_and_no_repository(
    repo: Path,
    tmp_path: Path,
    project_copy: Callable[[str, Path], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The temporary directory may itself sit inside a checkout (CI runs the
    # suite from one): git must not look above it.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(RockyError, match="base ref 'develop' is not a commit"):
        lineage_diff(repo, "develop")
    with pytest.raises(RockyError, match="invalid base ref '--all'"):
        lineage_diff(repo, "--all")
    loose = project_copy("subs", tmp_path / "loose")
    with pytest.raises(RockyError, match="is not inside a git repository"):
        lineage_diff(loose, "main")


def test_no_changes(repo: Path) -> None:
    diff = lineage_diff(repo, "main")
    assert diff.results == () and diff.summary["unchanged"] == 5
    assert diff.to_json("1")["markdown"] == "### Rocky Lineage Diff\n\nNo data changes detected.\n"
