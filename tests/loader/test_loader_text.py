"""Environment substitution and TOML reading, including a differential test
of the fast subset parser against tomllib."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rocky.envsubst import substitute
from rocky.errors import ConfigError
from rocky.tomlio import _fast_parse, key_line, parse


def test_required_and_default_forms() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert substitute("x = ${A}", env=env) == "x = 1"
    assert substitute('x = "${B:-fallback}"', env=env) == 'x = "fallback"'
    assert substitute('x = "${EMPTY:-used}"', env=env) == 'x = "used"'
    assert substitute('x = "${EMPTY}"', env=env) == 'x = ""'
    assert substitute('x = "${A:-no}/${A}"', env=env) == 'x = "1/1"'


def test_comment_lines_are_not_substituted() -> None:
    text = '# path = "${UNSET_SECRET}"\n  # ${ALSO_UNSET}\nx = 1\n'
    assert substitute(text, env={}) == text


def test_missing_variable_error_names_file_line_and_variable() -> None:
    with pytest.raises(ConfigError) as info:
        substitute('a = 1\nb = "${NOPE}"\n', env={}, file="models/x.toml", line_offset=10)
    err = info.value
    assert (err.file, err.line) == ("models/x.toml", 12)
    assert str(err).startswith("models/x.toml: environment variable `NOPE` is not set (line 12)")


def test_text_without_placeholders_is_returned_as_is() -> None:
    text = "a = 1\n"
    assert substitute(text, env={}) is text


def test_syntax_errors_carry_line_and_column() -> None:
    with pytest.raises(ConfigError) as info:
        parse("a = 1\nb = = 2\n", file="x.toml", line_offset=3)
    assert (info.value.line, info.value.col) == (5, 5)
    assert str(info.value).startswith("x.toml: invalid TOML:")


def test_duplicate_keys_and_tables_are_errors() -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse('a = "x"\na = "y"\n', file="x.toml")
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse("[t]\na = 1\n[t]\nb = 2\n", file="x.toml")


def test_absurd_nesting_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse("a = " + "[" * 100_000 + "]" * 100_000, file="x.toml")


def test_key_line_finds_tables_keys_and_inline_tables() -> None:
    text = 'name = "x"\n\n[strategy]\ntype = "merge"\nunique_key = ["id"]\n[target]\n'
    assert key_line(text, ("strategy", "unique_key")) == 5
    assert key_line(text, ("strategy",)) == 3
    assert key_line(text, ("target", "schema")) == 6  # falls back to its table
    assert key_line("target = { catalog = 1 }\n", ("target", "catalog")) == 1
    assert key_line(text, ("tests", 0, "type")) is None


_key = st.sampled_from(["a", "b", "name", "type", "depends_on", "x-y", "k_1", "1"])
_scalar = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=6).map(lambda s: '"' + s + '"'),
    st.text(st.characters(codec="utf-8"), max_size=6).map(lambda s: "'" + s + "'"),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(
        ["true", "false", "1.5", "01", "+3", "tru", "[]", '["a", "b",]', "[,]", '"a\\"b"']
    ),
    st.lists(st.text("abc xyz'", max_size=3), max_size=3).map(
        lambda xs: "[" + ", ".join('"' + x.replace('"', "") + '"' for x in xs) + "]"
    ),
)
_line = st.one_of(
    st.tuples(_key, _scalar).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.tuples(_key, _scalar).map(lambda kv: f"  {kv[0]}={kv[1]}   # note"),
    st.lists(_key, min_size=1, max_size=3).map(lambda ks: "[" + ".".join(ks) + "]"),
    st.sampled_from(["", "# comment", "[[arr]]", "[ a ]", "a.b = 1", "= 1", "\r", "\t"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_line, max_size=12))
def test_fast_parser_agrees_with_tomllib(lines: list[str]) -> None:
    text = "\n".join(lines)
    fast = _fast_parse(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert fast is None  # malformed input always goes to tomllib for the error
        return
    assert fast is None or fast == expected
