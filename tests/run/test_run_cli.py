"""``rocky run`` / ``history`` / ``replay`` / ``playground`` through the CLI,
in child processes, on real project directories."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import duckdb
from run_helpers import cli, run_json, write_project

RAW = "SELECT * FROM (VALUES (1, 'a', 10.0), (2, 'b', 20.0), (3, 'a', 5.0)) AS v(id, grp, amount)"


def test_playground_then_run_succeeds(tmp_path: Path) -> None:
    made = cli("playground", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "rocky run" in made.stdout
    demo = tmp_path / "demo"
    assert (demo / "contracts" / "customer_revenue.contract.toml").is_file()
    assert (demo / ".gitignore").is_file()

    code, report = run_json(demo)
    assert code == 0, report
    assert report["status"] == "Success"
    built = {m["asset_key"][-1]: m for m in report["materializations"]}
    assert set(built) == {
        "stg_orders", "stg_customers", "customer_revenue", "order_log", "country_revenue"
    }
    assert built["order_log"]["metadata"]["strategy"] == "incremental"
    with duckdb.connect(str(demo / "playground.duckdb"), read_only=True) as con:
        # Every non-cancelled order is attributed to exactly one customer.
        total = con.execute(
            "SELECT SUM(order_count) FROM playground.main.customer_revenue"
        ).fetchone()
        orders = con.execute("SELECT COUNT(*) FROM playground.main.stg_orders").fetchone()
        assert total is not None and orders is not None and total[0] == orders[0]
        countries = con.execute("SELECT COUNT(*) FROM playground.main.country_revenue").fetchone()
        assert countries == (5,)

    # A second run appends nothing new to the incremental model.
    code, again = run_json(demo)
    assert code == 0
    log = next(m for m in again["materializations"] if m["asset_key"][-1] == "order_log")
    assert log["rows_copied"] == 0


def test_playground_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("mine")
    done = cli("playground", "taken", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: taken is not empty")
    assert (tmp_path / "taken" / "file.txt").read_text() == "mine"


def test_run_json_has_the_reference_keys_and_records_who(tmp_path: Path) -> None:
    write_project(
        tmp_path, {"base": RAW, "agg": "SELECT grp, SUM(amount) AS total FROM base GROUP BY grp"}
    )
    env = {"ROCKY_IDENTITY": "auditor-test@example.com", "GITHUB_ACTIONS": "true"}
    code, report = run_json(tmp_path, "--var", "region=eu", env=env)
    assert code == 0
    for key in ("status", "duration_ms", "materializations", "drift", "permissions",
                "cost_summary", "interrupted", "execution", "check_results", "tables_copied"):
        assert key in report
    assert report["interrupted"] is False
    assert report["cost_summary"]["total_cost_usd"] == 0.0
    assert report["cost_summary"]["adapter_type"] == "duckdb"
    assert re.fullmatch(r"run-\d{8}-\d{6}-\d{3}", report["run_id"])
    sql_hashes = {m["metadata"]["sql_hash"] for m in report["materializations"]}
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in sql_hashes)

    with sqlite3.connect(tmp_path / ".rocky-state.sqlite") as con:
        who, trigger, variables = con.execute(
            "SELECT json_extract(record, '$.triggering_identity'), "
            "json_extract(record, '$.trigger'), json_extract(record, '$.vars.region') "
            "FROM run_history"
        ).fetchone()
    assert (who, trigger, variables) == ("auditor-test@example.com", "Ci", "eu")

    history = json.loads(cli("-o", "json", "history", "--audit", cwd=tmp_path).stdout)
    assert history["count"] == 1
    run = history["runs"][0]
    assert run["status"] == "success" and run["trigger"] == "ci"
    assert run["triggering_identity"] == "auditor-test@example.com"

    replay = json.loads(cli("-o", "json", "replay", "latest", cwd=tmp_path).stdout)
    assert replay["run_id"] == report["run_id"]
    assert {m["model_name"] for m in replay["models"]} == {"base", "agg"}
    assert {m["sql_hash"] for m in replay["models"]} == sql_hashes


def test_compile_error_stops_before_the_warehouse(tmp_path: Path) -> None:
    write_project(tmp_path, {"ok": RAW, "bad": "SELECT nope FROM ok WHERE"})
    done = cli("-o", "json", "run", cwd=tmp_path)
    assert done.returncode == 1
    assert "compile failed, nothing was run" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "wh.duckdb").exists()
    assert not (tmp_path / ".rocky-state.sqlite").exists()


def test_partial_failure_exits_2(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "good": RAW,
            "bad": "SELECT CAST('x' || id AS INTEGER) AS n FROM good",
            "after_bad": "SELECT n FROM bad",
        },
    )
    code, report = run_json(tmp_path)
    assert code == 2
    assert report["status"] == "PartialFailure"
    assert report["tables_failed"] == 1 and report["tables_skipped"] == 1
    assert report["errors"][0]["asset_key"] == ["wh", "main", "bad"]
    history = json.loads(cli("-o", "json", "history", cwd=tmp_path).stdout)
    assert history["runs"][0]["status"] == "partial_failure"


def test_all_failed_exits_1_and_unknown_run_is_one_line(tmp_path: Path) -> None:
    write_project(tmp_path, {"bad": "SELECT CAST('x' AS INTEGER) AS n"})
    code, report = run_json(tmp_path)
    assert code == 1 and report["status"] == "Failure"
    missing = cli("replay", "run-19990101-000000-000", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "no run 'run-19990101-000000-000'" in missing.stderr


def test_history_without_a_ledger_is_one_line(tmp_path: Path) -> None:
    write_project(tmp_path, {"m": RAW})
    done = cli("history", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "no ledger here yet" in done.stderr


def test_single_model_and_time_partition_flags(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "events": "SELECT * FROM (VALUES (TIMESTAMP '2026-02-01 10:00:00'), "
            "(TIMESTAMP '2026-02-02 11:00:00')) AS v(ts)",
            "per_day": "SELECT CAST(ts AS DATE) AS day, COUNT(*) AS n FROM events "
            "WHERE ts >= @start_date AND ts < @end_date GROUP BY 1",
        },
        {
            "per_day": '[strategy]\ntype = "time_interval"\ntime_column = "day"\n'
            'granularity = "day"\n',
        },
    )
    code, _ = run_json(tmp_path, "--model", "events")
    assert code == 0
    code, report = run_json(tmp_path, "--model", "per_day", "--from", "2026-02-01",
                            "--to", "2026-02-02")
    assert code == 0, report
    assert report["partition_summaries"] == [{
        "model": "per_day", "partitions_planned": 2, "partitions_succeeded": 2,
        "partitions_failed": 0, "partitions_skipped": 0,
    }]
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM wh.main.per_day").fetchone() == (2,)
    clash = cli("run", "--latest", "--missing", cwd=tmp_path)
    assert clash.returncode == 1 and "exclude each other" in clash.stderr
    bad_key = cli("run", "--model", "per_day", "--partition", "2026-2-1", cwd=tmp_path)
    assert bad_key.returncode == 1
    assert "is not a day partition" in bad_key.stderr


def test_auto_create_schemas_creates_only_missing_ones(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {"base": RAW, "mart": "SELECT grp FROM base"},
        {"mart": '[strategy]\ntype = "full_refresh"\n\n[target]\nschema = "marts"\n'},
    )
    code, report = run_json(tmp_path)
    assert code == 0, report
    assert report["permissions"]["schemas_created"] == 1
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM wh.marts.mart").fetchone() == (3,)
    code, report = run_json(tmp_path)
    assert report["permissions"]["schemas_created"] == 0


def test_without_auto_create_a_missing_schema_fails_the_model(tmp_path: Path) -> None:
    toml = (tmp_path / "rocky.toml")
    write_project(
        tmp_path,
        {"mart": "SELECT 1 AS one"},
        {"mart": '[strategy]\ntype = "full_refresh"\n\n[target]\nschema = "marts"\n'},
    )
    toml.write_text(toml.read_text().replace("auto_create_schemas = true", ""))
    code, report = run_json(tmp_path)
    assert code == 1
    assert "marts" in report["errors"][0]["error"]
