"""Converting command-line values without pydantic.

Typer converts every parameter value through a pydantic ``TypeAdapter``
built when the value is first seen, so even ``rocky compile`` with no
option imports pydantic and builds a dozen validators before the command
starts: about half of its start-up when the compile itself is answered
from the snapshot. The values rocky's commands take are plain (a string,
a number, a path, a list of either), and for those the conversion is done
here, giving what typer's adapter gives. Anything else (a value these
rules do not cover, a bad value and its error message, a type rocky does
not declare) goes through typer's own conversion, built on first use as
typer would.

This reaches into typer's parameter internals (``typer._coercion``); with
a typer that has none of them, :func:`convert_directly` does nothing and
typer converts as usual. ``tests/perf_startup`` holds both paths to the
same results.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["UNSURE", "convert_directly", "convert_param", "direct_value"]

try:  # a typer that converts through pydantic (older ones use click's types)
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover - depends on the installed typer
    RuntimeParam = None  # type: ignore[assignment,misc]

UNSURE: Any = object()
"""What :func:`direct_value` returns when typer's conversion must decide."""

# The spellings both conversions read alike: pydantic also takes "+5",
# " 5", "5_000" and "1e3", which are left to it.
_INT = re.compile(r"-?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def direct_value(descriptor: Any, value: Any, param: Any = None, ctx: Any = None) -> Any:
    """``value`` converted as typer's adapter for ``descriptor`` would
    convert it, or :data:`UNSURE`. ``value`` is never None here (typer
    answers None itself)."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return UNSURE
    if info.min is not None or info.max is not None or info.clamp or info.path_type is not None:
        return UNSURE
    annotation = descriptor.annotation
    if typing.get_origin(annotation) is list:
        # A repeated option or a variadic argument: typer converts each item
        # as it would a single value, in order, and gives a list.
        args = typing.get_args(annotation)
        if len(args) != 1 or type(value) not in (list, tuple):
            return UNSURE
        if not all(_plain(args[0], v) for v in value):
            return UNSURE
        return [_convert(args[0], info, v, param, ctx) for v in value]
    if not _plain(annotation, value):
        return UNSURE
    return _convert(annotation, info, value, param, ctx)


def _plain(annotation: Any, value: Any) -> bool:
    """Whether ``value`` is one that both conversions read alike."""
    if annotation is str:
        return type(value) is str
    if annotation is int:
        return type(value) is int or (type(value) is str and _INT.fullmatch(value) is not None)
    if annotation is float:
        return type(value) is float or (type(value) is str and _FLOAT.fullmatch(value) is not None)
    if annotation is Path:
        # A NUL makes the checks below raise ValueError, which typer's
        # adapter turns into its own message.
        return isinstance(value, Path) or (type(value) is str and "\x00" not in value)
    return False


def _convert(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    if annotation is int:
        return int(value)
    if annotation is float:
        return float(value)
    if annotation is Path:
        # typer's own checks (exists, readable, ...) and messages, given a
        # value already a Path: converting the string was pydantic's part.
        path = value if isinstance(value, Path) else Path(value)
        return coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
    return value


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _DirectParam(RuntimeParam):
        """Typer's runtime conversion of one parameter, done directly when
        :func:`direct_value` can, by typer's own adapter otherwise."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            converted = direct_value(self.descriptor, value, param, ctx)
            if converted is not UNSURE:
                return converted
            fallback = build_runtime_param(self.descriptor)
            return fallback._coerce_value(value, param=param, ctx=ctx)


def convert_param(param: Any) -> None:
    """Give ``param`` the direct conversion, unless typer has already
    built its own (or is a typer without pydantic conversion)."""
    if RuntimeParam is None or param is None:  # pragma: no cover - depends on typer
        return
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return
    try:
        direct = _DirectParam(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            descriptor=descriptor,
        )
    except TypeError:  # pragma: no cover - a typer whose RuntimeParam differs
        return
    param._runtime_param = direct


def convert_directly(command: Any) -> None:
    """:func:`convert_param` for every declared parameter of ``command``
    and of its subcommands (the help options are made later, per context)."""
    for param in command.params:
        convert_param(param)
    for sub in (getattr(command, "commands", None) or {}).values():
        convert_directly(sub)
