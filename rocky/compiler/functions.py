"""Return types and nullability of SQL functions.

Keyed by sqlglot expression class name (sqlglot normalises most dialect
spellings onto one class) and, for functions sqlglot leaves anonymous, by
upper-case name. The default for anything not listed is Unknown: a type is
never guessed. Unless a rule says otherwise a function is null-propagating:
nullable when any argument is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlglot import exp

from rocky.compiler.scope import Typed
from rocky.compiler.sqltypes import number_as_decimal
from rocky.types import (
    BOOLEAN,
    DATE,
    FLOAT64,
    INT32,
    INT64,
    STRING,
    TIMESTAMP,
    TIMESTAMP_NTZ,
    UNKNOWN,
    RockyType,
    decimal,
    supertype,
)

__all__ = ["WINDOW_ONLY", "FnCtx", "common_type", "fold_supertype", "function_type"]


@dataclass(frozen=True, slots=True)
class FnCtx:
    """Where a call sits. ``grouped``: inside a SELECT whose every group has
    at least one row (GROUP BY without ROLLUP/CUBE). ``window``: the call is
    the function of an OVER clause; ``covers_row``: its frame always holds
    the current row."""

    dialect: str
    grouped: bool = False
    window: bool = False
    covers_row: bool = True


Result = tuple[RockyType, bool]
Handler = Callable[[exp.Expr, list[Typed], FnCtx], Result]

WINDOW_ONLY: Final = frozenset(
    {
        "RowNumber",
        "Rank",
        "DenseRank",
        "Ntile",
        "PercentRank",
        "CumeDist",
        "Lag",
        "Lead",
        "FirstValue",
        "LastValue",
        "NthValue",
    }
)


def common_type(a: RockyType, b: RockyType) -> RockyType:
    """``supertype``, except that an integer meeting a Decimal keeps all of
    its digits: Int32 with Decimal(10,2) is Decimal(12,2), as the engines do."""
    if a.is_integer != b.is_integer and "Decimal" in (a.kind, b.kind):
        pa, pb = number_as_decimal(a), number_as_decimal(b)
        if pa is not None and pb is not None:
            scale = max(pa[1], pb[1])
            whole = max(pa[0] - pa[1], pb[0] - pb[1])
            return decimal(min(38, whole + scale), scale)
    return supertype(a, b)


def fold_supertype(values: list[Typed]) -> RockyType:
    """Common type of several values, bare NULLs left out."""
    result: RockyType | None = None
    for v in values:
        if v.null_lit:
            continue
        result = v.type if result is None else common_type(result, v.type)
    return UNKNOWN if result is None else result


def _any_null(args: list[Typed]) -> bool:
    # a plain loop: any() over a generator costs more for a few arguments
    for a in args:  # noqa: SIM110
        if a.nullable:
            return True
    return False


def _first(args: list[Typed]) -> Typed | None:
    return args[0] if args else None


def _const(t: RockyType) -> Handler:
    def handler(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
        return t, _any_null(args)

    return handler


def _never_null(t: RockyType) -> Handler:
    def handler(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
        return t, False

    return handler


def _same_as_first(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    return (first.type if first else UNKNOWN), _any_null(args)


def _date_part(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    return (INT32 if fc.dialect in ("databricks", "spark") else INT64), _any_null(args)


def _round(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    if first is None:
        return UNKNOWN, True
    t = first.type
    if t.kind == "Decimal" and t.precision is not None:
        digits = node.args.get("decimals")
        places = 0
        if isinstance(digits, exp.Literal) and not digits.is_string:
            try:
                places = int(digits.this)
            except ValueError:
                return decimal(), _any_null(args)
        elif digits is not None:
            return decimal(), _any_null(args)
        return decimal(t.precision, max(0, min(t.scale or 0, places))), _any_null(args)
    return t, _any_null(args)


def _to_integral(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    if first is None:
        return UNKNOWN, True
    t = first.type
    if t.kind == "Decimal" and t.precision is not None:
        return decimal(t.precision, 0), _any_null(args)
    return t, _any_null(args)


def _trunc_time(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    t = next((a.type for a in args if a.type.is_temporal), None)
    nullable = _any_null(args)
    if t is None:
        return UNKNOWN, nullable
    if t.kind == "Date" and fc.dialect in ("duckdb", "databricks", "spark"):
        return TIMESTAMP, nullable
    return t, nullable


def _date_shift(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    nullable = _any_null(args)
    if first is None or not first.type.is_temporal:
        return UNKNOWN, nullable
    if first.type.kind == "Date":
        return (TIMESTAMP if fc.dialect == "duckdb" else UNKNOWN), nullable
    return first.type, nullable


def _concat(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    # DuckDB's CONCAT skips NULL arguments; elsewhere a NULL argument wins.
    if fc.dialect == "duckdb":
        return STRING, False
    return STRING, _any_null(args)


def _concat_ws(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    return STRING, bool(first and first.nullable)


def _coalesce(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    return fold_supertype(args), all(a.nullable for a in args)


def _nullif(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    return (first.type if first else UNKNOWN), True


def _if(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    # args: condition, then-value, else-value (optional)
    arms = args[1:]
    nullable = any(a.nullable for a in arms) or len(arms) < 2
    return fold_supertype(arms), nullable


def _greatest(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    return fold_supertype(args), _any_null(args)


def _agg_nullable(args: list[Typed], fc: FnCtx) -> bool:
    """An aggregate is NULL over an empty input: non-null only when every
    group (or window frame) holds a row and the input itself is non-null."""
    if fc.window:
        return not fc.covers_row or _any_null(args)
    return not fc.grouped or _any_null(args)


def _sum(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    t = first.type if first else UNKNOWN
    if t.is_integer:
        out = INT64
    elif t.kind == "Decimal":
        out = decimal(38, t.scale or 0) if t.precision is not None else decimal()
    elif t.is_float:
        out = FLOAT64
    else:
        out = UNKNOWN
    return out, _agg_nullable(args, fc)


def _avg(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    t = first.type if first else UNKNOWN
    nullable = _agg_nullable(args, fc)
    if t.is_float:
        return FLOAT64, nullable
    if t.is_integer:
        return (decimal() if fc.dialect == "snowflake" else FLOAT64), nullable
    if t.kind == "Decimal":
        if fc.dialect == "duckdb":
            return FLOAT64, nullable
        if fc.dialect == "bigquery":
            return t, nullable
        return decimal(), nullable
    return UNKNOWN, nullable


def _minmax(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    return (first.type if first else UNKNOWN), _agg_nullable(args, fc)


def _median(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    t = first.type if first else UNKNOWN
    out = FLOAT64 if (t.is_integer or t.is_float) else (t if t.kind == "Decimal" else UNKNOWN)
    return out, _agg_nullable(args, fc)


def _agg_const(t: RockyType) -> Handler:
    def handler(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
        return t, _agg_nullable(args, fc)

    return handler


def _array_agg(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    elem = first.type if first else UNKNOWN
    return RockyType("Array", args=(elem,)), _agg_nullable(args, fc)


def _lag(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    default = node.args.get("default")
    nullable = True
    if default is not None and first is not None and len(args) >= 3:
        nullable = first.nullable or args[-1].nullable
    return (first.type if first else UNKNOWN), nullable


def _first_value(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    return (first.type if first else UNKNOWN), _agg_nullable(args, fc)


def _nth_value(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    first = _first(args)
    return (first.type if first else UNKNOWN), True


def _array(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    return RockyType("Array", args=(fold_supertype(args),)), False


_STRING_FNS = (
    "Upper Lower Trim Substring Replace Left Right Pad RegexpReplace RegexpExtract "
    "SplitPart TimeToStr ToChar MD5 SHA SHA2 Hex Initcap Reverse Repeat Translate Chr "
    "Monthname Dayname UnixToStr DPipe Lpad Rpad Overlay Stuff Space Normalize Substr"
)
_INT64_FNS = (
    "Length BitLength ByteLength StrPosition Ascii Unicode Levenshtein DateDiff "
    "TimestampDiff DatetimeDiff ArraySize"
)
_DATE_PART_FNS = (
    "Extract Year Month Day DayOfWeek DayOfYear DayOfMonth WeekOfYear Week Quarter "
    "Hour Minute Second YearOfWeek DayOfWeekIso"
)
_FLOAT_FNS = "Sqrt Cbrt Ln Log Log2 Log10 Pow Exp TimeToUnix ToDouble Degrees Radians Sin Cos Tan"
_BOOL_FNS = "RegexpLike StartsWith EndsWith Contains ArrayContains"
_DATE_FNS = "Date TsOrDsToDate StrToDate DateStrToDate DateFromParts LastDay"
_TS_FNS = "StrToTime UnixToTime TimeStrToTime TimestampFromParts"

HANDLERS: Final[dict[str, Handler]] = {}
for _names, _h in (
    (_STRING_FNS, _const(STRING)),
    (_INT64_FNS, _const(INT64)),
    (_DATE_PART_FNS, _date_part),
    (_FLOAT_FNS, _const(FLOAT64)),
    (_BOOL_FNS, _const(BOOLEAN)),
    (_DATE_FNS, _const(DATE)),
    (_TS_FNS, _const(TIMESTAMP)),
    ("Abs Mod Neg", _same_as_first),
    ("Ceil Floor Trunc", _to_integral),
    ("TimestampTrunc DateTrunc DatetimeTrunc TimeSlice", _trunc_time),
    ("DateAdd DateSub TsOrDsAdd DatetimeAdd DatetimeSub TimestampAdd TimestampSub", _date_shift),
):
    for _n in _names.split():
        HANDLERS[_n] = _h

HANDLERS.update(
    {
        "Round": _round,
        "Sign": _const(INT32),
        "Concat": _concat,
        "ConcatWs": _concat_ws,
        "Coalesce": _coalesce,
        "Nullif": _nullif,
        "If": _if,
        "Greatest": _greatest,
        "Least": _greatest,
        "CurrentDate": _never_null(DATE),
        "CurrentTimestamp": _never_null(TIMESTAMP),
        "Localtimestamp": _never_null(TIMESTAMP_NTZ),
        "CurrentDatetime": _never_null(TIMESTAMP_NTZ),
        "Rand": _never_null(FLOAT64),
        "Uuid": _never_null(UNKNOWN),
        "Count": _never_null(INT64),
        "CountIf": _never_null(INT64),
        "ApproxDistinct": _never_null(INT64),
        "Sum": _sum,
        "Avg": _avg,
        "Min": _minmax,
        "Max": _minmax,
        "AnyValue": _minmax,
        "First": _minmax,
        "Last": _minmax,
        "Median": _median,
        "Stddev": _agg_const(FLOAT64),
        "StddevPop": _agg_const(FLOAT64),
        "StddevSamp": _agg_const(FLOAT64),
        "Variance": _agg_const(FLOAT64),
        "VariancePop": _agg_const(FLOAT64),
        "Corr": _agg_const(FLOAT64),
        "CovarPop": _agg_const(FLOAT64),
        "CovarSamp": _agg_const(FLOAT64),
        "Quantile": _agg_const(FLOAT64),
        "ApproxQuantile": _agg_const(FLOAT64),
        "LogicalAnd": _agg_const(BOOLEAN),
        "LogicalOr": _agg_const(BOOLEAN),
        "GroupConcat": _agg_const(STRING),
        "ArrayAgg": _array_agg,
        "RowNumber": _never_null(INT64),
        "Rank": _never_null(INT64),
        "DenseRank": _never_null(INT64),
        "Ntile": _never_null(INT64),
        "PercentRank": _never_null(FLOAT64),
        "CumeDist": _never_null(FLOAT64),
        "Lag": _lag,
        "Lead": _lag,
        "FirstValue": _first_value,
        "LastValue": _first_value,
        "NthValue": _nth_value,
        "Array": _array,
    }
)

# Functions sqlglot keeps as Anonymous, by upper-case name.
ANONYMOUS: Final[dict[str, Handler]] = {
    "NOW": _never_null(TIMESTAMP),
    "GET_CURRENT_TIMESTAMP": _never_null(TIMESTAMP),
    "TRANSACTION_TIMESTAMP": _never_null(TIMESTAMP),
    "SYSDATE": _never_null(TIMESTAMP_NTZ),
    "TODAY": _never_null(DATE),
    "TO_DATE": _const(DATE),
    "DATE_PART": _date_part,
    "DATEPART": _date_part,
    "STRFTIME": _const(STRING),
    "STRPTIME": _const(TIMESTAMP),
    "EPOCH_MS": _const(INT64),
    "LIST_AGG": _agg_const(STRING),
}


def _unseen(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    raise AssertionError("a marker, never called")


# The handler of each (non-anonymous) call class seen so far; anonymous calls
# are looked up by name, every time. _UNSEEN marks "not in the table".
_UNSEEN: Final[Handler] = _unseen
_BY_CLASS: dict[type, Handler | None] = {}


def function_type(node: exp.Expr, args: list[Typed], fc: FnCtx) -> Result:
    """Type and nullability of a call whose arguments are already typed."""
    cls = type(node)
    handler = _BY_CLASS.get(cls, _UNSEEN)
    if handler is _UNSEEN:
        if issubclass(cls, exp.Anonymous):
            handler = ANONYMOUS.get(str(node.this).upper())
        else:
            handler = _BY_CLASS[cls] = HANDLERS.get(cls.__name__)
    if handler is None:
        return UNKNOWN, True
    return handler(node, args, fc)
