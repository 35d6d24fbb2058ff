"""User errors render as one line naming the file and what to do."""

from __future__ import annotations

from rocky.errors import ConfigError, RockyError


def test_render_with_location_and_hint() -> None:
    err = ConfigError(
        "unknown key `stratgy`", file="models/x.toml", line=3, hint="did you mean `strategy`?"
    )
    assert str(err) == "models/x.toml:3: unknown key `stratgy` (did you mean `strategy`?)"
    assert "\n" not in str(err)


def test_render_without_location() -> None:
    assert str(RockyError("boom")) == "boom"
    assert RockyError("boom").exit_code == 1
