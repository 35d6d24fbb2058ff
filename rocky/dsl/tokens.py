"""Tokenizer for `.rocky` files: one compiled regex, one linear pass.

Every alternative of the regex is anchored at the current position and none
can backtrack past a newline-free run, so tokenizing is linear in the input.
Anything the grammar has no token for is an error with its line and column
(the original tool skipped such characters silently; a stray character is
almost always a typo worth reporting).
"""

from __future__ import annotations

import re
import string
from datetime import date, time
from itertools import repeat
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
# indentation that follows it. There are no groups: `findall` then returns
# plain strings, and a token's kind follows from its text (a keyword or a
# symbol is its own kind, anything else from its first character). The `-`
# symbol refuses a second `-`, which starts a comment.
_SYMBOLS = (
    "..", "==", "!=", ">=", "<=", "=>",
    "{", "}", "(", ")", "[", "]", ":", ",", ".", "*", "+", "-", "/", "%", "<", ">", "=", "|",
)  # fmt: skip
_TOKEN_RE = re.compile(
    r"""
    (?:
      [A-Za-z_][A-Za-z0-9_]*
    | \.\.|==|!=|>=|<=|=>|[{}()\[\]:,.*+/%<>=|]|-(?!-)
    | (?:\n[ \t\r]*)+
    | --[^\n]*
    | [0-9][0-9_]*(?:\.[0-9][0-9_]*)?
    | "[^"]*"|'[^']*'
    | @[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}Z?)?
    | [\s\S]
    )
    [ \t\r]*
    """,
    re.VERBOSE,
)
_BLANKS = " \t\r"
_FIXED_KINDS = {word: word for word in KEYWORDS} | {"_": "_"} | {sym: sym for sym in _SYMBOLS}
_WORD_START = frozenset(string.ascii_letters + "_")
_DIGITS = frozenset(string.digits)


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


_RawToken = tuple[str, str, str, int, int, int, int, int]


def tokenize(text: str, path: str = "<string>", *, keep_comments: bool = False) -> list[Token]:
    """Split ``text`` into tokens ending with an EOF token.

    Whitespace and newlines are dropped; comments too unless ``keep_comments``
    (the formatter keeps them).
    """
    raw: list[_RawToken] = []
    append = raw.append
    fixed_kinds = _FIXED_KINDS
    word_start = _WORD_START
    line = 1
    line_start = 1 if text.startswith("\ufeff") else 0  # editors hide a BOM
    pos = len(text) - len(text[line_start:].lstrip(_BLANKS))
    for match in _TOKEN_RE.findall(text, pos):
        tok = match.rstrip(_BLANKS)  # never empty: no token starts with a blank
        kind = fixed_kinds.get(tok)
        if kind is None:
            first = tok[0]
            if first in word_start:
                kind = IDENT
            elif first == "\n":
                line += match.count("\n")
                line_start = pos + match.rfind("\n") + 1
                pos += len(match)
                continue
            elif first in _DIGITS:
                value = tok.replace("_", "")
                append((NUMBER, tok, value, line, pos - line_start + 1, pos, pos + len(tok), line))
                pos += len(match)
                continue
            elif first == "-":
                # A comment runs to the end of the line, its trailing blanks included.
                if keep_comments:
                    end = pos + len(match)
                    append((COMMENT, match, match, line, pos - line_start + 1, pos, end, line))
                pos += len(match)
                continue
            elif len(tok) > 1 and (first == '"' or first == "'"):
                col = pos - line_start + 1
                first_line = line
                newlines = tok.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + tok.rfind("\n") + 1
                append((STRING, tok, tok[1:-1], first_line, col, pos, pos + len(tok), line))
                pos += len(match)
                continue
            elif len(tok) > 1 and first == "@":
                col = pos - line_start + 1
                _check_date(tok, path, line, col)
                append((DATE, tok, tok[1:], line, col, pos, pos + len(tok), line))
                pos += len(match)
                continue
            else:
                _bad_character(tok, path, line, pos - line_start + 1)
        append((kind, tok, tok, line, pos - line_start + 1, pos, pos + len(tok), line))
        pos += len(match)
    end_col = len(text) - line_start + 1
    append((EOF, "", "", line, end_col, len(text), len(text), line))
    # One C-level pass turns the plain tuples into Tokens (no Python-level
    # __new__ per token).
    return list(map(tuple.__new__, repeat(Token), raw))


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
