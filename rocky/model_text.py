"""How a model file's text becomes the model body, and its content hash:
plain functions with no configuration classes, shared by the loader and
by an incremental compile that re-reads one edited file."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from blake3 import blake3

__all__ = ["FRONTMATTER", "content_hash_of", "has_frontmatter", "trim_body"]

FRONTMATTER: Final = re.compile(r"\s*---toml")
# rocky.ir.canonical_json, with the encoder built once (it is called per model).
_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_EMPTY: Final[tuple[None, list[Any], dict[str, Any]]] = (None, [], {})


def _encoder() -> Callable[[Any], str]:
    """``_CANONICAL.encode`` for a dict. The C encoder it makes on every
    call is made once here (no circular check: config dumps are trees);
    the same bytes, a third faster per model."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _CANONICAL.encode
    c = _CANONICAL
    chunks = make(
        None, c.default, json.encoder.encode_basestring, None,
        c.key_separator, c.item_separator, c.sort_keys, c.skipkeys, c.allow_nan,
    )  # fmt: skip
    return lambda value: "".join(chunks(value, 0))


_ENCODE: Final = _encoder()


def has_frontmatter(text: str) -> bool:
    return FRONTMATTER.match(text) is not None


def trim_body(body: str, offset: int) -> tuple[str, int]:
    """Drop leading blank lines (counting them into the offset) and
    trailing whitespace."""
    body = body.rstrip()
    stripped = body.lstrip()
    if not stripped:
        return "", offset
    cut = body.rfind("\n", 0, len(body) - len(stripped)) + 1
    return body[cut:], offset + body.count("\n", 0, cut)


def content_hash_of(raw: bytes, config_dump: Mapping[str, Any]) -> str:
    """blake3 of the model file's bytes, a NUL, and the canonical JSON of the
    resolved config as ``model_dump(mode="json", by_alias=True)`` gives it
    (empty fields left out, so adding a new optional key to rocky does not
    change every hash)."""
    # ``v not in (None, [], {})``: ``v is not None and v != [] and v != {}``
    compact = {k: v for k, v in config_dump.items() if v not in _EMPTY}
    digest = blake3(raw)
    digest.update(b"\x00")
    digest.update(_ENCODE(compact).encode())
    return digest.digest().hex()  # hexdigest's text, made faster
