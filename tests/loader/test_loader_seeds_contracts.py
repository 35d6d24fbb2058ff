"""Seeds (discovery and type inference) and contract files (parsing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rocky.errors import ConfigError
from rocky.project import load_project
from rocky.seeds import infer_sql_types
from rocky.types import parse_type

Writer = Callable[[dict[str, str | bytes]], Path]


def test_inference_follows_the_widening_rules() -> None:
    header = ["b", "i", "f", "mix_num", "ts", "s", "bool_int", "empty", "big"]
    rows = [
        ["true", "1", "1.5", "1", "2024-01-01", "x", "true", "", "99999999999999999999"],
        ["FALSE", "-7", "2", "2.25", "2024-02-01 10:00:00", "y", "3", " ", "1"],
        ["", "+3", "1e3", "", "", "", "", "", ""],
    ]
    assert infer_sql_types(header, rows) == [
        ("b", "BOOLEAN"),
        ("i", "BIGINT"),
        ("f", "DOUBLE"),
        ("mix_num", "DOUBLE"),
        ("ts", "TIMESTAMP"),
        ("s", "STRING"),
        ("bool_int", "STRING"),
        ("empty", "STRING"),
        ("big", "DOUBLE"),  # past 64 bits an integer is read as a float
    ]


def test_declared_column_types_win(write: Writer) -> None:
    root = write(
        {
            "seeds/prices.csv": "sku,price,added\nA1,10,2024-01-01\nB2,12,2024-01-02\n",
            "seeds/prices.toml": '[target]\nschema = "ref"\ntable = "price_list"\n'
            '[column_types]\nprice = "DECIMAL(10,2)"\nsku = "VARCHAR"\n',
        }
    )
    (seed,) = load_project(root).seeds
    assert seed.target.key == "ref.price_list"
    assert seed.sql_types() == [
        ("sku", "VARCHAR"),
        ("price", "DECIMAL(10,2)"),
        ("added", "TIMESTAMP"),
    ]
    assert [str(c.type) for c in seed.columns()] == ["String", "Decimal(10,2)", "Timestamp"]


def test_tsv_uses_tabs_and_hooks_are_kept(write: Writer) -> None:
    root = write(
        {
            "seeds/codes.tsv": "code\tlabel, with comma\n1\tone, uno\n",
            "seeds/codes.toml": 'pre_hook = ["SELECT 1"]\npost_hook = ["SELECT 2"]\n',
        }
    )
    (seed,) = load_project(root).seeds
    assert seed.sql_types() == [("code", "BIGINT"), ("label, with comma", "STRING")]
    assert (seed.pre_hook, seed.post_hook) == (["SELECT 1"], ["SELECT 2"])
    assert seed.target.key == "seeds.codes"


def test_seed_sidecar_errors(write: Writer) -> None:
    root = write({"seeds/a.csv": "x\n1\n", "seeds/a.toml": 'colum_types = {x = "INT"}\n'})
    with pytest.raises(ConfigError) as info:
        load_project(root)
    assert (
        str(info.value)
        == "unknown key `colum_types` in seeds/a.toml (line 1); did you mean `column_types`?"
    )


def test_declared_type_for_a_missing_column(write: Writer) -> None:
    root = write({"seeds/a.csv": "amount\n1\n", "seeds/a.toml": '[column_types]\namout = "INT"\n'})
    (seed,) = load_project(root).seeds
    with pytest.raises(ConfigError, match="did you mean `amount`"):
        seed.columns()


def test_seed_without_header_or_with_duplicate_columns(write: Writer) -> None:
    root = write({"seeds/empty.csv": "", "seeds/dup.csv": "a,a\n1,2\n"})
    seeds = {s.name: s for s in load_project(root).seeds}
    with pytest.raises(ConfigError, match="no header row"):
        seeds["empty"].columns()
    with pytest.raises(ConfigError, match="column `a` twice"):
        seeds["dup"].columns()


def test_seed_with_broken_bytes(write: Writer) -> None:
    root = write({"seeds/bad.csv": b"a,b\n\xff\xfe,1\n"})
    (seed,) = load_project(root).seeds
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        seed.columns()


def test_duplicate_seed_names(write: Writer) -> None:
    with pytest.raises(ConfigError, match="duplicate seed name `x`"):
        load_project(write({"seeds/x.csv": "a\n1\n", "seeds/x.tsv": "a\n1\n"}))


def test_contract_types_rules_and_errors(write: Writer) -> None:
    root = write(
        {
            "contracts/m.contract.toml": '[[columns]]\nname = "id"\ntype = "BIGINT"\n'
            "nullable = false\n"
            '[[columns]]\nname = "amount"\ntype = "Decimal(12,2)"\ndescription = "money"\n'
            '[[columns]]\nname = "any"\n'
            '[rules]\nrequired = ["id"]\nprotected = ["id"]\nno_new_nullable = true\n',
        }
    )
    contract = load_project(root).contracts["m"]
    assert contract.model == "m" and contract.rel_path == "contracts/m.contract.toml"
    assert [c.type for c in contract.columns] == [
        parse_type("Int64"),
        parse_type("Decimal(12,2)"),
        None,
    ]
    assert contract.columns[1].description == "money"
    assert contract.no_new_nullable is True


def test_contract_unknown_type_is_kept_for_the_checker(write: Writer) -> None:
    root = write({"contracts/m.contract.toml": '[[columns]]\nname = "email"\ntype = "Utf8"\n'})
    (column,) = load_project(root).contracts["m"].columns
    assert (column.type, column.type_name) == (None, "Utf8")


def test_contract_unknown_key(write: Writer) -> None:
    root = write({"contracts/m.contract.toml": '[rules]\nrequird = ["id"]\n'})
    with pytest.raises(ConfigError, match="did you mean `required`"):
        load_project(root)


def test_explicit_contracts_dir_must_exist(write: Writer, tmp_path: Path) -> None:
    root = write({})
    with pytest.raises(ConfigError, match=r"contracts directory .* does not exist"):
        load_project(root, contracts_dir=tmp_path / "missing")
