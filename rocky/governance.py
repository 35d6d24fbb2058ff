"""Declarative governance: the interface a warehouse plugin implements.

The GovernanceAdapter for an adapter comes through the ``rocky_governance``
hook; ``rocky run`` applies the project's declared governance through it
after the DAG has executed (rocky.governance_apply, docs/governance.md).

Objects are named the warehouse-neutral way: a *securable* is a dotted key,
``catalog``, ``catalog.schema`` or ``catalog.schema.table``, with names as
the engine stores them, or a :class:`~rocky.ir.TableRef`, or the handle
:meth:`GovernanceAdapter.securable` returns for a key and an explicit
:data:`SecurableKind` (a view is named like a table, so it needs one).
Grants are ``(principal, permission)`` pairs; principals and permissions
are spelled as the project writes them and the adapter maps them to its
own (Snowflake: roles fold to upper case). Every method that changes the
warehouse returns the statements it executed, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from rocky.ir import TableRef

__all__ = ["GovernanceAdapter", "Grant", "GrantChanges", "SecurableKind"]

# The catalog level is called a database on Snowflake, a catalog on Databricks.
SecurableKind = Literal["DATABASE", "SCHEMA", "TABLE", "VIEW"]


class Grant(tuple[str, str, str]):
    """(principal, permission, securable key)."""


class GrantChanges(Protocol):
    """What reconciling one object's grants did: ``(principal, permission)``
    pairs granted and revoked."""

    @property
    def to_grant(self) -> Sequence[tuple[str, str]]: ...

    @property
    def to_revoke(self) -> Sequence[tuple[str, str]]: ...


class GovernanceAdapter(Protocol):
    def securable(self, key: str, kind: SecurableKind | None = None) -> Any:
        """The handle for ``key`` as an object of ``kind`` (guessed from the
        number of parts when None: catalog, schema, table). Every method
        below taking a securable accepts the handle as well as a key."""
        ...

    # -- tags -------------------------------------------------------------------
    def set_tags(self, ref: TableRef, tags: dict[str, str]) -> list[str]:
        """Tag a table; an empty map does nothing."""
        ...

    def set_object_tags(self, target: Any, tags: Mapping[str, str]) -> list[str]:
        """Tag any securable (a key, a TableRef or a handle); an empty map
        does nothing."""
        ...

    # -- grants -----------------------------------------------------------------
    def get_grants(self, securable: Any) -> set[tuple[str, str]]:
        """(principal, permission) pairs currently granted on ``securable``."""
        ...

    def apply_grants(self, securable: Any, grants: set[tuple[str, str]]) -> list[str]:
        """Grant each pair."""
        ...

    def revoke_grants(self, securable: Any, grants: set[tuple[str, str]]) -> list[str]:
        """Revoke each pair."""
        ...

    def reconcile_grants(self, securable: Any, desired: Iterable[tuple[str, str]]) -> GrantChanges:
        """Make the grants rocky manages on ``securable`` exactly ``desired``:
        grant what is missing, revoke what is no longer wanted, and never
        touch a permission outside the set the adapter manages (ownership,
        admin grants)."""
        ...

    # -- classification and masking ----------------------------------------------
    def apply_column_tags(self, ref: TableRef, classification: Mapping[str, str]) -> list[str]:
        """Tag each classified column (``column -> label``) with its label."""
        ...

    def apply_masking_policy(
        self,
        ref: TableRef,
        classification: Mapping[str, str],
        mask: Mapping[str, Any],
        env: str = "default",
    ) -> list[str]:
        """Tag the classified columns (as :meth:`apply_column_tags`) and mask
        each one whose label ``mask`` (the project's ``[mask]`` table, with
        ``[mask.<env>]`` winning for ``env``) gives a strategy; ``none``
        removes a mask."""
        ...
