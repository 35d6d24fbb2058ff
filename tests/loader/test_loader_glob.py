"""The ``[pipeline.<name>] models`` glob selects which model files load.

The matcher is checked against an independent backtracking matcher that
follows the original tool's glob semantics token by token (``*`` and ``?``
never cross ``/``, ``**`` is zero or more directories, classes never match
``/``), on generated patterns and paths; then through ``load_project`` on
real trees.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rocky.model_glob as model_glob
from rocky.errors import ConfigError
from rocky.model_glob import compile_glob, select_models
from rocky.project import load_project, models_base
from rocky.validation import validate_project

Writer = Callable[[dict[str, str | bytes]], Path]
TARGET = '[target]\ncatalog = "wh"\nschema = "s"\n'


def _toml(glob: str) -> str:
    return (
        f'[adapter]\ntype = "duckdb"\n\n[pipeline.p]\ntype = "transformation"\nmodels = "{glob}"\n'
    )


# -- an independent matcher: tokens, then backtracking ------------------------

_SEQ, _REC = ("seq",), ("rec",)


def _tokens(pattern: str) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "?":
            out.append(("any",))
            i += 1
        elif c == "*":
            j = i
            while j < len(pattern) and pattern[j] == "*":
                j += 1
            if j - i > 2:
                raise ValueError("three stars")
            if j - i == 1:
                out.append(_SEQ)
            else:
                if i > 0 and pattern[i - 1] != "/":
                    raise ValueError("** after a character")
                if j < len(pattern):
                    if pattern[j] != "/":
                        raise ValueError("** before a character")
                    j += 1
                out.append(_REC)
            i = j
        elif c == "[":
            negate = pattern[i + 1 : i + 2] == "!"
            first = i + 2 if negate else i + 1
            end = pattern.find("]", first + 1)
            if first >= len(pattern) or end < 0:
                raise ValueError("open class")
            body = pattern[first:end]
            members: list[tuple[str, str]] = []
            k = 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    members.append((body[k], body[k + 2]))
                    k += 3
                else:
                    members.append((body[k], body[k]))
                    k += 1
            out.append(("class", negate, tuple(members)))
            i = end + 1
        else:
            out.append(("char", c))
            i += 1
    return out


def _matches(tokens: list[tuple[object, ...]], path: str) -> bool:
    def step(ti: int, pos: int) -> bool:
        if ti == len(tokens):
            return pos == len(path)
        token = tokens[ti]
        if token == _REC:
            if ti == len(tokens) - 1:
                return True
            # zero directories, or resume after any later `/`
            return step(ti + 1, pos) or any(
                step(ti + 1, k + 1) for k in range(pos, len(path)) if path[k] == "/"
            )
        if token == _SEQ:
            k = pos
            while True:
                if step(ti + 1, k):
                    return True
                if k == len(path) or path[k] == "/":
                    return False
                k += 1
        if pos == len(path):
            return False
        c = path[pos]
        if token[0] == "char":
            ok = c == token[1]
        elif c == "/":
            ok = False
        elif token[0] == "any":
            ok = True
        else:
            _, negate, members = token
            inside = any(lo <= c <= hi for lo, hi in members)  # type: ignore[attr-defined]
            ok = inside != negate
        return ok and step(ti + 1, pos + 1)

    return step(0, 0)


def _reference(pattern: str, path: str) -> bool | None:
    try:
        tokens = _tokens(pattern)
    except ValueError:
        return None
    return _matches(tokens, path)


_ALPHABET = st.sampled_from(["a", "b", ".", "/", "*", "?", "[", "]", "!", "-", "z"])
_PATH_CHARS = st.sampled_from(["a", "b", ".", "/", "z", "-", "]", "!"])


@settings(max_examples=800, deadline=None)
@given(
    st.lists(_ALPHABET, max_size=10).map("".join), st.lists(_PATH_CHARS, max_size=9).map("".join)
)
def test_glob_matches_the_reference_matcher(pattern: str, path: str) -> None:
    expected = _reference(pattern, path)
    if expected is None:
        with pytest.raises(ValueError):
            compile_glob(pattern)
        return
    assert (compile_glob(pattern).fullmatch(path) is not None) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**", "a/b/c.sql", True),
        ("**/*.sql", "x.sql", True),
        ("**/*.sql", "a/b/x.sql", True),
        ("**/*.sql", "a/b/x.rocky", False),
        ("*.sql", "a/x.sql", False),
        ("a/**/b.sql", "a/b.sql", True),
        ("a/**/b.sql", "a/x/y/b.sql", True),
        ("a/**/b.sql", "ab.sql", False),
        ("a/**/", "a/x/y.sql", True),
        ("ord?rs.sql", "orders.sql", True),
        ("ord?rs.sql", "ord/rs.sql", False),
        ("[!x]*.sql", ".hidden.sql", True),
        ("[]]x", "]x", True),
        ("[a-c]", "b", True),
        ("[c-a]", "b", False),
        ("[/]", "/", False),
        ("Orders.sql", "orders.sql", False),
        ("a+b(c).sql", "a+b(c).sql", True),
    ],
)
def test_glob_examples(pattern: str, path: str, expected: bool) -> None:
    assert (compile_glob(pattern).fullmatch(path) is not None) is expected
    assert _reference(pattern, path) is expected


@pytest.mark.parametrize("pattern", ["a**", "**a", "a/***", "[", "[!]", "x[a", "[]"])
def test_malformed_globs_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError):
        compile_glob(pattern)
    assert _reference(pattern, "a") is None


# -- the directory a glob walks -----------------------------------------------


@pytest.mark.parametrize(
    ("glob", "base"),
    [
        ("models/**", "models"),
        ("models/*.sql", "models"),
        ("models/orders*.sql", "models"),
        ("models/staging/orders*.sql", "models/staging"),
        ("transforms/stag*/orders.sql", "transforms"),
        ("models/staging/**", "models/staging"),
        ("models", "models"),
        ("transforms/**", "transforms"),
        ("**/*.sql", "models"),
        ("ord*.sql", "models"),
        ("", "models"),
        ("models/orders.sql", "models"),
        ("orders.rocky", "."),
    ],
)
def test_base_directory_of_each_glob_shape(tmp_path: Path, glob: str, base: str) -> None:
    assert models_base(glob, tmp_path) == Path(os.path.abspath(tmp_path / base))


def test_a_directory_named_like_a_model_file_stays_a_directory(tmp_path: Path) -> None:
    (tmp_path / "models.sql").mkdir()
    selection = select_models("models.sql", tmp_path)
    assert selection.base == tmp_path / "models.sql"
    assert selection.include is None


# -- through load_project -------------------------------------------------------

TREE = {
    "models/top.sql": "SELECT 1 AS id",
    "models/top.toml": TARGET,
    "models/orders_daily.sql": "SELECT 1 AS id",
    "models/orders_daily.toml": TARGET,
    "models/staging/stg.sql": "SELECT 1 AS id",
    "models/staging/stg.toml": TARGET,
    "models/staging/stg_dsl.rocky": "from top",
    "models/marts/fct.sql": "SELECT 1 AS id",
    "models/marts/fct.toml": TARGET,
    "models/marts/deep/fct_deep.rocky": "from fct",
}


@pytest.mark.parametrize(
    ("glob", "names"),
    [
        ("models/**", {"top", "orders_daily", "stg", "stg_dsl", "fct", "fct_deep"}),
        ("models", {"top", "orders_daily", "stg", "stg_dsl", "fct", "fct_deep"}),
        ("models/marts/**", {"fct", "fct_deep"}),
        ("models/*.sql", {"top", "orders_daily"}),
        ("*.sql", {"top", "orders_daily"}),
        ("models/**/*.rocky", {"stg_dsl", "fct_deep"}),
        ("**/*.rocky", {"stg_dsl", "fct_deep"}),
        ("models/*/*", {"stg", "stg_dsl", "fct"}),
        ("models/orders*.sql", {"orders_daily"}),
        ("models/staging/stg.sql", {"stg"}),
        ("models/[ms]*/**", {"stg", "stg_dsl", "fct", "fct_deep"}),
        ("models/nothing*.sql", set()),
    ],
)
def test_glob_selects_the_models(write: Writer, glob: str, names: set[str]) -> None:
    root = write({"rocky.toml": _toml(glob), **TREE})
    assert set(load_project(root).models) == names


def test_models_dir_argument_replaces_the_glob(write: Writer) -> None:
    root = write({"rocky.toml": _toml("models/marts/**"), **TREE})
    project = load_project(root, models_dir=root / "models")
    assert len(project.models) == 6
    assert project.models_dir == root / "models"


def test_unselected_directories_are_not_read(write: Writer) -> None:
    broken = {"models/staging/_defaults.toml": "[target\n", "models/staging/bad.sql": ""}
    root = write({"rocky.toml": _toml("models/marts/**"), **TREE, **broken})
    assert set(load_project(root).models) == {"fct", "fct_deep"}
    (root / "rocky.toml").write_text(_toml("models/*/*.sql"))
    with pytest.raises(ConfigError, match="models/staging/"):
        load_project(root)


def test_sidecar_of_an_unselected_model_is_not_read(write: Writer) -> None:
    root = write({"rocky.toml": _toml("models/*.rocky"), **TREE, "models/top.toml": "[["})
    assert load_project(root).models == {}


def test_contract_beside_an_unselected_model_is_ignored(write: Writer) -> None:
    contract = '[[columns]]\nname = "id"\ntype = "Int64"\n'
    files = {**TREE, "models/marts/fct.contract.toml": contract}
    root = write({"rocky.toml": _toml("models/staging/**"), **files})
    assert load_project(root).contracts == {}
    (root / "rocky.toml").write_text(_toml("models/marts/**"))
    assert list(load_project(root).contracts) == ["fct"]


def test_malformed_glob_names_the_key_and_line(write: Writer) -> None:
    root = write({"rocky.toml": _toml("models/a**"), **TREE})
    with pytest.raises(ConfigError) as info:
        load_project(root)
    message = str(info.value)
    assert message.startswith("rocky.toml: `[pipeline.p] models`")
    assert "whole path component" in message and "(line 6)" in message
    assert info.value.file == "rocky.toml" and info.value.line == 6


def test_glob_outside_the_project_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "rocky.toml").write_text(_toml("../elsewhere/**"))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.sql").write_text("SELECT 1")
    with pytest.raises(
        ConfigError, match=r"the `models` glob `\.\./elsewhere/\*\*` points outside"
    ):
        load_project(root)
    report = validate_project(root)
    assert next(m["code"] for m in report.messages if m["severity"] == "error") == "V047"


def test_duplicate_names_only_count_among_selected_models(write: Writer) -> None:
    root = write(
        {
            "rocky.toml": _toml("models/a/**"),
            "models/a/x.sql": "SELECT 1",
            "models/a/x.toml": TARGET,
            "models/b/x.sql": "SELECT 2",
            "models/b/x.toml": TARGET,
        }
    )
    assert load_project(root).models["x"].rel_path == "models/a/x.sql"
    (root / "rocky.toml").write_text(_toml("models/**"))
    with pytest.raises(ConfigError, match="duplicate model name `x`"):
        load_project(root)


def test_glob_with_many_models_compiles_once_and_stays_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    for layer in ("staging", "marts"):
        for group in range(10):
            directory = models / layer / f"g{group}"
            directory.mkdir(parents=True)
            for i in range(200):
                name = f"{layer}_{group}_{i:03d}"
                ext = "rocky" if i % 10 == 0 else "sql"
                (directory / f"{name}.{ext}").write_text(
                    "SELECT 1 AS id\n" if ext == "sql" else "from x\n"
                )
                (directory / f"{name}.toml").write_text(TARGET)
    (tmp_path / "rocky.toml").write_text(_toml("models/marts/**/*.sql"))
    compiled: list[str] = []
    real = model_glob.compile_glob

    def counting(pattern: str) -> object:
        compiled.append(pattern)
        return real(pattern)

    monkeypatch.setattr(model_glob, "compile_glob", counting)
    started = time.perf_counter()
    project = load_project(tmp_path)
    elapsed = time.perf_counter() - started
    assert len(project.models) == 1800
    assert all(m.rel_path.startswith("models/marts/") for m in project.models.values())
    # Once when rocky.toml is validated, once to select: never per file.
    assert compiled and len(compiled) <= 2 and compiled[-1] == "**/*.sql"
    assert elapsed < 10.0, f"4000 files took {elapsed:.1f}s"
