"""Declarative governance: the interface a warehouse plugin implements.
The GovernanceAdapter for an adapter comes through ``rocky_governance``."""

from __future__ import annotations

from typing import Protocol

from rocky.ir import TableRef

__all__ = ["GovernanceAdapter", "Grant"]


class Grant(tuple[str, str, str]):
    """(principal, permission, securable key)."""


class GovernanceAdapter(Protocol):
    def set_tags(self, ref: TableRef, tags: dict[str, str]) -> list[str]:
        """Apply tags; return the statements executed."""
        ...

    def get_grants(self, securable: str) -> set[tuple[str, str]]:
        """(principal, permission) pairs currently granted on ``securable``."""
        ...

    def apply_grants(self, securable: str, grants: set[tuple[str, str]]) -> list[str]: ...

    def revoke_grants(self, securable: str, grants: set[tuple[str, str]]) -> list[str]: ...
