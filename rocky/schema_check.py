"""Validating parsed TOML against pydantic models, with errors a user can act on.

:func:`validate` turns the first pydantic error into one ConfigError line
that names the file, the key in TOML terms (``[strategy] unique_key``), the
line that defines it, what was expected and what TOML type was given
(never the value: it may be a secret). Unknown keys get a "did you mean".
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from rocky.errors import ConfigError
from rocky.tomlio import config_error, describe_value, key_line, unknown_key_error

__all__ = ["Located", "StrictModel", "field_keys", "validate"]

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every configuration table: unknown keys rejected, TOML types
    taken as written (no "5" -> 5 coercion), values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Located:
    """Where a table came from: the file shown in errors, its text (to find
    lines) and the file lines before the text starts (frontmatter)."""

    __slots__ = ("file", "line_offset", "text")

    def __init__(self, file: str | Path | None, text: str = "", line_offset: int = 0) -> None:
        self.file = file
        self.text = text
        self.line_offset = line_offset

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        if not self.text:
            return None
        return key_line(self.text, path, line_offset=self.line_offset)

    def error(
        self, message: str, path: tuple[str | int, ...] = (), hint: str | None = None
    ) -> ConfigError:
        return config_error(
            message, file=self.file, line=self.line_of(path) if path else None, hint=hint
        )


def validate(
    model: type[M],
    data: Any,
    where: Located,
    *,
    prefix: tuple[str, ...] = (),
    strict: bool | None = None,
    show_values: bool = True,
) -> M:
    """``model.model_validate(data)`` with the first error as a located
    ConfigError. ``prefix`` is the TOML path of ``data`` inside the file."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise _convert(exc, model, where, prefix, show_values) from None


def field_keys(model: type[BaseModel]) -> list[str]:
    """The TOML keys a model accepts (aliases where set)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def _unwrap_optional(ann: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return _unwrap_optional(args[0])
    if origin is typing.Annotated:
        return _unwrap_optional(typing.get_args(ann)[0])
    return ann


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _field(model: type[BaseModel], key: str) -> tuple[str, Any] | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias) or (
            info.validation_alias is not None
            and key in getattr(info.validation_alias, "choices", ())
        ):
            return info.alias or name, info.annotation
    return None


def _walk(
    model: type[BaseModel], loc: tuple[str | int, ...]
) -> tuple[list[str | int], Any, type[BaseModel] | None]:
    """Follow ``loc`` through the model's fields. Returns the TOML path,
    the annotation reached and the model containing the last key."""
    path: list[str | int] = []
    ann: Any = model
    container: type[BaseModel] | None = model
    for part in loc:
        cur = _unwrap_optional(ann)
        origin = typing.get_origin(cur)
        if _is_model(cur) and isinstance(part, str):
            container = cur
            found = _field(cur, part)
            if found is None:
                path.append(part)
                return path, None, container
            path.append(found[0])
            ann = found[1]
        elif origin in (list, tuple) and isinstance(part, int):
            path.append(part)
            args = typing.get_args(cur)
            ann = args[0] if args else Any
        elif origin is dict and isinstance(part, str):
            path.append(part)
            args = typing.get_args(cur)
            ann = args[1] if len(args) == 2 else Any
        else:  # a union member tag or a validator's inner location
            break
    last = _unwrap_optional(ann)
    if _is_model(last):
        container = last
    return path, ann, container


_NOUNS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _describe(ann: Any, plural: bool = False) -> str:
    ann = _unwrap_optional(ann)
    origin = typing.get_origin(ann)
    if ann in _NOUNS:
        noun = _NOUNS[ann]
        if plural:
            return noun + "s"
        return ("an " if noun[0] in "aeiou" else "a ") + noun
    if origin is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(ann))
    if origin in (list, tuple):
        args = typing.get_args(ann)
        inner = _describe(args[0], plural=True) if args else "values"
        return ("lists of " if plural else "a list of ") + inner
    if origin is dict:
        args = typing.get_args(ann)
        inner = _describe(args[1], plural=True) if len(args) == 2 else "values"
        return ("tables of " if plural else "a table of ") + inner
    if _is_model(ann):
        return "tables" if plural else "a table"
    if origin in (Union, types.UnionType):
        return " or ".join(
            _describe(a, plural) for a in typing.get_args(ann) if a is not type(None)
        )
    return "values" if plural else "a value"


def _where(path: list[str | int]) -> tuple[str, int | None]:
    keys = [p for p in path if isinstance(p, str)]
    position = path[-1] + 1 if path and isinstance(path[-1], int) else None
    if not keys:
        return "(top level)", position
    if len(keys) == 1:
        return f"`{keys[0]}`", position
    return f"`[{'.'.join(keys[:-1])}] {keys[-1]}`", position


def _convert(
    exc: ValidationError,
    model: type[BaseModel],
    where: Located,
    prefix: tuple[str, ...],
    show_values: bool,
) -> ConfigError:
    errors = exc.errors(include_url=False)
    # A misspelt key usually also causes a "missing" error: report the typo.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        path, _, container = _walk(model, loc[:-1])
        key = str(loc[-1])
        table = ".".join(str(p) for p in (*prefix, *path) if isinstance(p, str))
        known = field_keys(container) if container is not None else []
        line = where.line_of((*prefix, *path, key))
        return unknown_key_error(key, file=where.file, line=line, known=known, table=table)
    path, ann, _ = _walk(model, loc)
    full: list[str | int] = [*prefix, *path]
    text, position = _where(full)
    line = where.line_of(tuple(full))
    value = err.get("input")
    if kind == "missing":
        message = f"{text} is required"
    elif kind == "literal_error":
        message = f"{text} must be {_describe(ann)}"
        if show_values and isinstance(value, str):
            message += f", got `{value}`"
    elif kind.endswith(("_type", "_parsing")) or kind in ("model_type", "model_attributes_type"):
        if position is not None:
            element = typing.get_args(_unwrap_optional(_walk(model, loc[:-1])[1]))
            expected = _describe(element[0]) if element else "a value"
            message = f"{text} element {position} must be {expected}, got {describe_value(value)}"
        else:
            message = f"{text} must be {_describe(ann)}, got {describe_value(value)}"
    else:
        detail = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        message = f"{text}: {detail[0].lower() + detail[1:] if detail else 'invalid'}"
    return config_error(message, file=where.file, line=line)
