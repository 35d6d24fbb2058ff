"""Parse errors: exact position, what was expected, and a useful hint."""

from __future__ import annotations

import pytest

from rocky.dsl import MAX_EXPR_DEPTH, DslSyntaxError, compile_dsl, format_source, parse
from rocky.errors import RockyError


def error(text: str) -> DslSyntaxError:
    with pytest.raises(DslSyntaxError) as info:
        parse(text, "models/m.rocky")
    return info.value


def test_is_a_rocky_error_rendered_as_one_line() -> None:
    err = error("from t\nwhere a = 1")
    assert isinstance(err, RockyError)
    assert str(err) == (
        "models/m.rocky:2:9: expected pipeline step (from, where, group, derive, select, "
        "join, sort, take, distinct, replicate), found '=' (did you mean `==`?)"
    )


@pytest.mark.parametrize(
    ("text", "line", "col", "expected", "found", "hint"),
    [
        # a step that is not one
        ("from t\nfilter x > 1", 2, 1, "pipeline step", "filter", "did you mean `where`?"),
        ("from t\nlimit 5", 2, 1, "pipeline step", "limit", "did you mean `take`?"),
        ("from t\nleft outer join c on k", 2, 1, "pipeline step", "left", "`left join`"),
        ("from t\ninner join c on k", 2, 1, "pipeline step", "inner", "did you mean `join`?"),
        ("from t\nselct { a }", 2, 1, "pipeline step", "selct", "did you mean `select`?"),
        ("from t\norder x", 2, 1, "pipeline step", "order", "did you mean `sort`?"),
        ("from t\nwhere a < b < c", 2, 13, "pipeline step", "<", "do not chain"),
        ("from t\nsort -x", 2, 6, "pipeline step", "-", "sort col desc"),
        ("from t\nlet a = from u", 2, 1, "pipeline step", "let", "before the main pipeline"),
        # braces and lists
        ("from t\nselect a, b", 2, 8, "{", "a", "select { a, t.b, * }"),
        ("from t\ngroup by k { n: count() }", 2, 7, "{", "by", "group key1, key2"),
        ("from t\nderive { total = a }", 2, 16, ":", "=", "name: expr"),
        ("from t\nderive { a: 1", 2, 14, "identifier", None, None),
        ("from t\nselect { a.b.c }", 2, 13, "}", ".", None),
        ("from t\nselect { a as b }", 2, 12, "}", "as", "rename one with `derive"),
        ("from t\nwhere x == 1 |> take 1", 2, 15, "pipeline step", ">", "no `|>`"),
        # join
        ("from t\njoin c", 2, 7, "on", None, "cross join"),
        ("from t\njoin c as on k", 2, 11, "identifier", "on", "reserved word"),
        ("from t\njoin c on k { c.x }", 2, 15, "keep", "c", "keep c.name"),
        # expressions
        ("from t\nwhere", 2, 6, "expression", None, None),
        ("from t\nwhere a <> b", 2, 10, "expression", ">", "write `!=`"),
        ("from t\nwhere a is 3", 2, 12, "null", "3", "is not null"),
        ("from t\nwhere f(a, b", 2, 13, "expression", None, None),
        ("from t\nwhere (a + b", 2, 13, ")", None, None),
        ("from t\ngroup { n: count(*) }", 2, 18, "expression", "*", "count()"),
        (
            "from t\ngroup { n: count(distinct x) }",
            2,
            18,
            "expression",
            "distinct",
            "not supported",
        ),
        ("from t\nwhere x == _", 2, 12, "expression", "_", "default arm"),
        ("from order", 1, 6, "identifier", "order", "reserved word"),
        ("from 'orders'", 1, 6, "identifier", "'orders'", None),
        # windows
        ("from t\nderive { r: rank() over (sort d desc) }", 2, 33, ")", "desc", "sort -col"),
        ("from t\nderive { r: rank() over (rows 1) }", 2, 32, "..", ")", "rows start..end"),
        ("from t\nderive { r: rank() over (rows x..1) }", 2, 31, "frame bound", "x", None),
        (
            "from t\nderive { r: rank() over (sort d, rows 1..2, partition a) }",
            2,
            43,
            ")",
            ",",
            None,
        ),
        ("from t\nderive { r: rank() over sort d }", 2, 25, "(", "sort", None),
        # match
        ("from t\nderive { m: match x { > 1 : 2 } }", 2, 27, "=>", ":", "pattern => result"),
        ("from t\nderive { m: match x { } }", 2, 23, "match arm", "}", "at least one arm"),
        ("from t\nderive { m: match x { _ => 1, > 2 => 3 } }", 2, 31, "}", ">", "`_` arm last"),
        ("from t\nderive { m: match x == 1 { _ => 1 } }", 2, 21, "{", "==", None),
        # numbers
        ("from t\ntake 1.5", 2, 6, "whole number", "1.5", "whole number"),
        ("from t\ntake 18446744073709551616", 2, 6, "whole number", None, "below 2^64"),
        ("from t\ntake x", 2, 6, "number", "x", "take 100"),
        # let
        ("let = from t", 1, 5, "identifier", "=", None),
        ("let a from t", 1, 7, "=", "from", "let name ="),
        ("let a =\nlet b = from t", 2, 1, "pipeline step", "let", "at least one step"),
        ("let a =", 1, 8, "pipeline step", None, "at least one step"),
    ],
)
def test_errors_point_at_the_offending_token(
    text: str, line: int, col: int, expected: str, found: str | None, hint: str | None
) -> None:
    err = error(text)
    assert (err.line, err.col) == (line, col), err
    assert err.expected == expected, err
    if found is not None:
        assert err.found == found, err
    if hint is not None:
        assert err.hint is not None and hint in err.hint, err
    assert err.file == "models/m.rocky"


def test_end_of_file_errors_point_past_the_last_token() -> None:
    err = error("from t\nwhere a ==")
    assert err.message == "unexpected end of file: expected expression"
    assert (err.line, err.col, err.found) == (2, 11, None)


def test_an_empty_file_is_an_error() -> None:
    for text in ("", "-- only a comment\n", "  \n\n", "|"):
        err = error(text)
        assert err.message == "empty file: no pipeline steps found"
        assert err.hint is not None and "from" in err.hint


def test_found_names_the_token_kind() -> None:
    assert error("from t\nwhere a b").message.endswith("found identifier 'b'")
    assert error("from t\nwhere a 3").message.endswith("found number 3")
    assert error('from t\nwhere a "s"').message.endswith('found string "s"')
    assert error("from t\nwhere a @2025-01-01").message.endswith("found date @2025-01-01")
    assert error("from t\nwhere a order").message.endswith("found keyword 'order'")


# --- nesting limit -------------------------------------------------------------


def nested_parens(k: int) -> str:
    return "from t\nwhere " + "(" * k + "1" + ")" * k


def test_depth_limit_counts_like_the_original() -> None:
    # One parenthesised level costs 8 (expr, or, and, comparison, additive,
    # multiplicative, unary, primary), so 31 levels fit in 256 and 32 do not.
    parse(nested_parens(31))
    err = error(nested_parens(32))
    assert err.message == f"expression nested too deeply: depth 257 exceeds limit {MAX_EXPR_DEPTH}"
    assert (err.line, err.col) == (2, 39)
    # Prefix operators cost one each.
    parse("from t\nwhere " + "not " * 248 + "x")
    assert "nested too deeply" in error("from t\nwhere " + "not " * 249 + "x").message


@pytest.mark.parametrize(
    "text",
    [
        nested_parens(100_000),
        "from t\nwhere " + "not " * 100_000 + "x",
        "from t\nwhere x == " + "- " * 100_000 + "1",
        "from t\nwhere " + "f(" * 100_000 + "1" + ")" * 100_000,
        "from t\nwhere " + "match " * 100_000 + "x",
        "from t\nderive { a: " + "match x { 1 => " * 50_000 + "1" + " }" * 50_000 + " }",
    ],
)
def test_deep_input_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(DslSyntaxError, match="nested too deeply"):
        parse(text)


def test_the_deepest_accepted_expressions_lower_and_render() -> None:
    for text in (
        nested_parens(31),
        "from t\nwhere " + "not " * 248 + "x",
        "from t\nwhere x == " + "- " * 248 + "1",
    ):
        query = compile_dsl(text)
        for dialect in ("duckdb", "snowflake", "bigquery", "databricks"):
            assert query.sql(dialect)
        assert format_source(format_source(text)) == format_source(text)


def test_long_flat_chains_are_fine() -> None:
    chain = " or ".join(f"x == {i}" for i in range(5_000))
    query = compile_dsl("from t\nwhere " + chain)
    assert query.sql("duckdb").count(" OR ") == 4_999
    text = format_source("from t\nwhere " + chain)
    assert text == "from t\nwhere " + chain + "\n"
    assert format_source(text) == text


def test_inlining_that_nests_too_deep_is_a_syntax_error() -> None:
    steps = "".join(f"derive {{ d{i}: f(d{i - 1}) }}\n" for i in range(1, 300))
    with pytest.raises(DslSyntaxError, match="nested too deeply") as info:
        compile_dsl("from t\nderive { d0: x }\n" + steps + "select { d299 }")
    assert info.value.line is not None and info.value.line > 2


def test_alternating_operators_nest_in_sql_and_are_bounded() -> None:
    chain = " ".join(f"a{i} {'+-'[i % 2]}" for i in range(2_000))
    with pytest.raises(DslSyntaxError, match="nested too deeply"):
        compile_dsl("from t\nwhere x == " + chain + " 1")


def test_inlining_that_doubles_is_bounded() -> None:
    steps = "".join(f"derive {{ d{i}: d{i - 1} + d{i - 1} }}\n" for i in range(1, 60))
    with pytest.raises(DslSyntaxError, match="inlining derived columns copies over"):
        compile_dsl("from t\nderive { d0: x }\n" + steps + "select { d59 }")
