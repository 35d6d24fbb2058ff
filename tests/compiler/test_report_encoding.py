"""The compile report's per-model entries and the packed columns are built
by shortcuts (each distinct column encoded or packed once, columns shared
across models); they must equal what the plain encoders give."""

from __future__ import annotations

import json
from pathlib import Path

from compiler_helpers import SEED_T, load, write_project

from rocky.compiler import CompileOptions, compile_project, packing
from rocky.compiler.report import build_report, encode_fragment, model_detail
from rocky.ir import Column
from rocky.types import INT64, STRING, decimal, parse_type

ODD_NAMES = """\
SELECT
    i AS "naïve ☃ id",
    s AS "quote""d",
    d AS "back\\slash",
    CAST(NULL AS STRUCT(a BIGINT, b VARCHAR)) AS "struct col",
    [f, f] AS arr,
    CAST(d AS DECIMAL(18, 3)) AS dec,
    sn
FROM raw.t
"""


def _project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "p",
        {
            "data/seed.sql": SEED_T,
            "models/odd.sql": ODD_NAMES,
            "models/odd_copy.sql": "SELECT * FROM odd",
            "models/plain.sql": "SELECT i, s, sn FROM raw.t",
            "models/plain.toml": '[target]\ntable = "plain"\n[tags]\nowner = "data"\n',
        },
    )


def test_report_entries_equal_the_plain_encoding(tmp_path: Path) -> None:
    project = load(_project(tmp_path))
    ir = compile_project(project, CompileOptions(with_seed=True, cache=False)).ir
    odd = ir.models["odd"]
    assert [c.name for c in odd.columns][:3] == ["naïve ☃ id", 'quote"d', "back\\slash"]
    assert str(odd.columns[3].type).startswith("Struct")
    report = build_report(project, ir)
    for name, m in ir.models.items():
        assert report.details[name] == encode_fragment(model_detail(project, m))
    detail = json.loads(report.details["odd"])
    assert detail["columns"][0] == {"name": "naïve ☃ id", "type": "Int32", "nullable": False}
    assert json.loads(report.details["plain"])["tags"] == {"owner": "data"}


def test_models_share_one_column_object_per_distinct_column(tmp_path: Path) -> None:
    project = load(_project(tmp_path))
    ir = compile_project(project, CompileOptions(with_seed=True, cache=False, workers=0)).ir
    odd, copy, plain = ir.models["odd"], ir.models["odd_copy"], ir.models["plain"]
    assert odd.columns == copy.columns
    assert all(a is b for a, b in zip(odd.columns, copy.columns, strict=True))
    # `sn` is nullable String in both models: one object
    assert odd.columns[-1] is plain.columns[-1]


def test_packed_columns_equal_plain_packing_even_after_the_memo_is_emptied() -> None:
    columns = (
        Column("id", INT64, False),
        Column("name", STRING, True),
        Column("amount", decimal(12, 4), False),
        Column("s", parse_type("Struct(a Int64,b String)"), True),
    )
    plain = tuple((c.name, packing.type_code(c.type), c.nullable) for c in columns)
    assert packing.pack_columns(columns) == plain
    assert packing.pack_columns(columns) == plain  # from the memo
    packing._PACKED.clear()
    assert packing.pack_columns(columns) == plain
    # a column equal to a packed one but a different object packs the same
    again = tuple(Column(c.name, c.type, c.nullable) for c in columns)
    assert packing.pack_columns(again) == plain
    unpack = packing.Unpacker()
    assert unpack.columns(plain) == columns
    assert unpack.column("id", INT64, False) is unpack.columns(plain)[0]
