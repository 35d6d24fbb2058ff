"""The tokenizer: kinds, payloads, positions, and what it refuses."""

from __future__ import annotations

import pytest

from rocky.dsl import DslSyntaxError
from rocky.dsl.tokens import COMMENT, DATE, EOF, IDENT, KEYWORDS, NUMBER, STRING, tokenize


def kinds(text: str) -> list[str]:
    return [t.kind for t in tokenize(text)]


def test_there_are_36_reserved_words() -> None:
    assert len(KEYWORDS) == 36
    for word in ("by", "check", "in", "order", "union", "window"):
        assert word in KEYWORDS
    for word in ("left", "right", "full", "cross", "left_join"):
        assert word not in KEYWORDS


def test_keywords_identifiers_and_underscore() -> None:
    assert kinds("from fromage _ _x where") == ["from", IDENT, "_", IDENT, "where", EOF]


def test_numbers_drop_separators() -> None:
    toks = tokenize("1_000_000 3.14 2_0.5_0")
    assert [(t.kind, t.text, t.value) for t in toks[:3]] == [
        (NUMBER, "1_000_000", "1000000"),
        (NUMBER, "3.14", "3.14"),
        (NUMBER, "2_0.5_0", "20.50"),
    ]


def test_number_then_range_dots() -> None:
    assert kinds("3..current") == [NUMBER, "..", "current", EOF]


def test_strings_either_quote_no_escapes() -> None:
    toks = tokenize('"it\'s" \'say "hi"\' ""')
    assert [(t.kind, t.value) for t in toks[:3]] == [
        (STRING, "it's"),
        (STRING, 'say "hi"'),
        (STRING, ""),
    ]


def test_dates_keep_their_text() -> None:
    toks = tokenize("@2025-01-01 @2025-06-15T12:00:00Z @2025-06-15T12:00:00")
    assert [(t.kind, t.value) for t in toks[:3]] == [
        (DATE, "2025-01-01"),
        (DATE, "2025-06-15T12:00:00Z"),
        (DATE, "2025-06-15T12:00:00"),
    ]


def test_symbols_take_the_longest_match() -> None:
    assert kinds("== != <= >= => .. = < > . | -") == [
        "==", "!=", "<=", ">=", "=>", "..", "=", "<", ">", ".", "|", "-", EOF,
    ]  # fmt: skip


def test_comments_are_dropped_unless_kept() -> None:
    text = "from t -- trailing\n-- own line\nwhere x"
    assert kinds(text) == ["from", IDENT, "where", IDENT, EOF]
    kept = tokenize(text, keep_comments=True)
    assert [t.text for t in kept if t.kind == COMMENT] == ["-- trailing", "-- own line"]


def test_double_minus_is_a_comment() -> None:
    assert kinds("x--1") == [IDENT, EOF]
    assert kinds("x- -1") == [IDENT, "-", "-", NUMBER, EOF]


def test_positions_are_one_based_and_follow_newlines() -> None:
    toks = tokenize('from t\n  where "a\nb" == x')
    assert [(t.kind, t.line, t.col) for t in toks] == [
        ("from", 1, 1),
        (IDENT, 1, 6),
        ("where", 2, 3),
        (STRING, 2, 9),
        ("==", 3, 4),
        (IDENT, 3, 7),
        (EOF, 3, 8),
    ]


def test_crlf_and_byte_order_mark() -> None:
    toks = tokenize("\ufefffrom t\r\nwhere x\r\n")
    assert [(t.kind, t.line, t.col) for t in toks] == [
        ("from", 1, 1),
        (IDENT, 1, 6),
        ("where", 2, 1),
        (IDENT, 2, 7),
        (EOF, 3, 1),
    ]


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ("from t\nwhere x == 'abc", "unterminated string literal", 2, 12),
        ('where "abc', "unterminated string literal", 1, 7),
        ("where x ; ", "unexpected character ';'", 1, 9),
        ("where x && y", "unexpected character '&'", 1, 9),
        ("where !x", "unexpected character '!'", 1, 7),
        ("where d > @2025-1-1", "invalid date literal", 1, 11),
        ("where d > @2025-02-30", "invalid date literal @2025-02-30", 1, 11),
        ("where d > @2025-01-01T25:00:00", "invalid date literal @2025-01-01T25:00:00", 1, 11),
        ("from t\n\n  where é", "unexpected character 'é'", 3, 9),
    ],
)
def test_refused_input_points_at_the_character(
    text: str, message: str, line: int, col: int
) -> None:
    with pytest.raises(DslSyntaxError) as info:
        tokenize(text, "m.rocky")
    err = info.value
    assert err.message.startswith(message)
    assert (err.file, err.line, err.col) == ("m.rocky", line, col)
    assert str(err).startswith(f"m.rocky:{line}:{col}: ")


def test_tokenizing_is_linear_on_an_unterminated_string() -> None:
    with pytest.raises(DslSyntaxError, match="unterminated"):
        tokenize('"' + "x" * 1_000_000)
