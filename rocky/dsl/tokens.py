"""Tokenizer for `.rocky` files: one compiled regex, one linear pass.

Every alternative of the regex is anchored at the current position and none
can backtrack past a newline-free run, so tokenizing is linear in the input.
Anything the grammar has no token for is an error with its line and column
(the original tool skipped such characters silently; a stray character is
almost always a typo worth reporting).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import NamedTuple, NoReturn

from rocky.dsl.errors import DslSyntaxError

__all__ = [
    "COMMENT",
    "DATE",
    "EOF",
    "IDENT",
    "KEYWORDS",
    "NUMBER",
    "STRING",
    "Token",
    "describe",
    "tokenize",
]

# Token kinds. A keyword's or a symbol's kind is its own text ("from", "==");
# the other kinds are these upper-case names, which no keyword or symbol is.
IDENT = "IDENT"
NUMBER = "NUMBER"
STRING = "STRING"
DATE = "DATE"
COMMENT = "COMMENT"
EOF = "EOF"

#: The 36 reserved words. `by`, `check`, `in`, `order`, `union` and `window`
#: are reserved for future use; no production accepts them yet.
KEYWORDS = frozenset(
    {
        "and", "as", "asc", "by", "check", "current",
        "derive", "desc", "distinct", "false", "from", "group",
        "in", "is", "join", "keep", "let", "match",
        "not", "null", "on", "or", "order", "over",
        "partition", "range", "replicate", "rows", "select", "sort",
        "take", "true", "unbounded", "union", "where", "window",
    }
)  # fmt: skip

# Each match is one token plus the blanks after it; a newline token takes the
# indentation that follows it. Alternatives are ordered by frequency, except
# that `--` must come before the `-` symbol.
_TOKEN_RE = re.compile(
    r"""
    (?:
      (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<comment>--[^\n]*)
    | (?P<symbol>\.\.|==|!=|>=|<=|=>|[{}()\[\]:,.*+\-/%<>=|])
    | (?P<nl>(?:\n[ \t\r]*)+)
    | (?P<number>[0-9][0-9_]*(?:\.[0-9][0-9_]*)?)
    | (?P<string>"[^"]*"|'[^']*')
    | (?P<date>@[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}Z?)?)
    | (?P<bad>[\s\S])
    )
    [ \t\r]*
    """,
    re.VERBOSE,
)
_WORD_KINDS = {word: word for word in KEYWORDS} | {"_": "_"}


class Token(NamedTuple):
    """One token. ``value`` is the payload: a number without `_`, a string
    without its quotes, a date without its `@`; otherwise the text itself."""

    kind: str
    text: str
    value: str
    line: int
    col: int
    start: int
    end: int
    end_line: int


_new_token = tuple.__new__  # skips NamedTuple's Python-level __new__ on the hot path


def tokenize(text: str, path: str = "<string>", *, keep_comments: bool = False) -> list[Token]:
    """Split ``text`` into tokens ending with an EOF token.

    Whitespace and newlines are dropped; comments too unless ``keep_comments``
    (the formatter keeps them).
    """
    tokens: list[Token] = []
    append = tokens.append
    word_kinds = _WORD_KINDS
    line = 1
    line_start = 1 if text.startswith("\ufeff") else 0  # editors hide a BOM
    pos = len(text) - len(text[line_start:].lstrip(" \t\r"))
    for match in _TOKEN_RE.finditer(text, pos):
        group = match.lastgroup or "bad"
        tok_text = match.group(group)
        start = match.start()
        end = start + len(tok_text)
        if group == "word":
            kind = word_kinds.get(tok_text, IDENT)
            tok = (kind, tok_text, tok_text, line, start - line_start + 1, start, end, line)
        elif group == "symbol":
            tok = (tok_text, tok_text, tok_text, line, start - line_start + 1, start, end, line)
        elif group == "nl":
            line += tok_text.count("\n")
            line_start = start + tok_text.rfind("\n") + 1
            continue
        elif group == "number":
            value = tok_text.replace("_", "")
            tok = (NUMBER, tok_text, value, line, start - line_start + 1, start, end, line)
        elif group == "string":
            col = start - line_start + 1
            first_line = line
            newlines = tok_text.count("\n")
            if newlines:
                line += newlines
                line_start = start + tok_text.rfind("\n") + 1
            tok = (STRING, tok_text, tok_text[1:-1], first_line, col, start, end, line)
        elif group == "comment":
            if not keep_comments:
                continue
            tok = (COMMENT, tok_text, tok_text, line, start - line_start + 1, start, end, line)
        elif group == "date":
            col = start - line_start + 1
            _check_date(tok_text, path, line, col)
            tok = (DATE, tok_text, tok_text[1:], line, col, start, end, line)
        else:
            _bad_character(tok_text, path, line, start - line_start + 1)
        append(_new_token(Token, tok))
    end_col = len(text) - line_start + 1
    append(Token(EOF, "", "", line, end_col, len(text), len(text), line))
    return tokens


def describe(token: Token) -> str:
    """How an error message names a token."""
    kind = token.kind
    if kind == EOF:
        return "end of file"
    if kind == IDENT:
        return f"identifier '{token.text}'"
    if kind in KEYWORDS:
        return f"keyword '{token.text}'"
    if kind == NUMBER:
        return f"number {token.text}"
    if kind == STRING:
        return f"string {token.text}"
    if kind == DATE:
        return f"date {token.text}"
    return f"'{token.text}'"


def _check_date(text: str, path: str, line: int, col: int) -> None:
    """Reject `@2025-02-30`: the warehouse would fail on it much later."""
    try:
        date(int(text[1:5]), int(text[6:8]), int(text[9:11]))
        if len(text) > 11:
            time(int(text[12:14]), int(text[15:17]), int(text[18:20]))
    except ValueError as err:
        raise DslSyntaxError(
            f"invalid date literal {text}: {err}",
            file=path,
            line=line,
            col=col,
            expected="date",
            found=text,
            hint="write @YYYY-MM-DD or @YYYY-MM-DDTHH:MM:SS[Z]",
        ) from None


_CHAR_HINTS = {
    '"': "strings have no escapes: one holding a double quote goes in single quotes",
    "'": "strings have no escapes: one holding an apostrophe goes in double quotes",
    "@": "date literals are written @YYYY-MM-DD or @YYYY-MM-DDTHH:MM:SS[Z]",
    "!": "write `not` for negation and `!=` for inequality",
    "&": "write `and`",
    ";": "steps need no terminator",
    "#": "comments start with `--`",
    "`": "identifiers are bare words; they cannot be quoted",
}


def _bad_character(char: str, path: str, line: int, col: int) -> NoReturn:
    if char in "\"'":
        message = "unterminated string literal"
    elif char == "@":
        message = "invalid date literal"
    else:
        message = f"unexpected character {char!r}"
    raise DslSyntaxError(
        message,
        file=path,
        line=line,
        col=col,
        expected="token",
        found=char,
        hint=_CHAR_HINTS.get(char),
    )
