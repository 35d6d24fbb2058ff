"""``rocky seed``: CSV files into typed tables, atomically."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
from run_helpers import cli, write_project

CSV = """id,name,active,score,joined_at,price
1,ada,true,1.5,2026-01-01 10:00:00,3.10
2,bob,false,2,2026-01-02 11:30:00,
3,,true,,2026-01-03 00:00:00,7.25
"""


def _columns(db: Path, table: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            (r[0], r[1]) for r in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'seeds' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_seed_types_nulls_and_reload(tmp_path: Path) -> None:
    root = write_project(tmp_path, {})
    (root / "seeds").mkdir()
    (root / "seeds" / "people.csv").write_text(CSV)
    (root / "seeds" / "people.toml").write_text('[column_types]\nprice = "DECIMAL(10,2)"\n')
    big = "n,label\n" + "".join(f"{i},row{i}\n" for i in range(1234))
    (root / "seeds" / "numbers.csv").write_text(big)

    done = cli("-o", "json", "seed", cwd=root)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["command"] == "seed"
    assert {s["name"]: s["rows"] for s in report["seeds"]} == {"numbers": 1234, "people": 3}
    db = root / "wh.duckdb"
    assert _columns(db, "people") == [
        ("id", "BIGINT"), ("name", "VARCHAR"), ("active", "BOOLEAN"), ("score", "DOUBLE"),
        ("joined_at", "TIMESTAMP"), ("price", "DECIMAL(10,2)"),
    ]
    assert _rows(db, "SELECT id, name, score, price FROM seeds.people ORDER BY id") == [
        (1, "ada", 1.5, Decimal("3.10")), (2, "bob", 2.0, None), (3, None, None, Decimal("7.25"))
    ]
    assert _rows(db, "SELECT COUNT(*), MAX(n) FROM seeds.numbers") == [(1234, 1233)]

    (root / "seeds" / "people.csv").write_text(
        "id,name,active,score,joined_at,price\n9,zed,true,1,2026-05-05 00:00:00,1\n"
    )
    assert cli("seed", "--seed", "people", cwd=root).returncode == 0
    assert _rows(db, "SELECT id FROM seeds.people") == [(9,)]


def test_a_bad_value_names_the_seed_and_keeps_the_old_table(tmp_path: Path) -> None:
    root = write_project(tmp_path, {})
    (root / "seeds").mkdir()
    (root / "seeds" / "prices.csv").write_text("sku,price\na,1\nb,2\n")
    (root / "seeds" / "prices.toml").write_text('[column_types]\nprice = "INTEGER"\n')
    assert cli("seed", cwd=root).returncode == 0
    (root / "seeds" / "prices.csv").write_text("sku,price\na,1\nb,two\n")
    done = cli("seed", cwd=root)
    assert done.returncode == 1
    assert done.stderr.startswith("error: seeds/prices.csv: loading the seed failed")
    assert "Traceback" not in done.stderr
    db = root / "wh.duckdb"
    assert _rows(db, "SELECT sku, price FROM seeds.prices ORDER BY sku") == [("a", 1), ("b", 2)]
    tables = _rows(db, "SELECT table_name FROM information_schema.tables ORDER BY 1")
    assert tables == [("prices",)]


def test_seed_without_seeds_is_one_line(tmp_path: Path) -> None:
    root = write_project(tmp_path, {})
    done = cli("seed", cwd=root)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: the project has no seeds (add seeds/<name>.csv)"
