"""rocky's adapter conformance kit: ``Base*`` test classes any adapter
package subclasses with one ``adapter`` fixture (a connected Adapter).

This package imports pytest; the kernel never imports it.
"""

from __future__ import annotations

import pytest

# Detailed assertion messages for the kit's own asserts, as in a test module;
# this must run before the modules below are imported.
pytest.register_assert_rewrite(
    "rocky.testing.catalog", "rocky.testing.conformance", "rocky.testing.gated"
)

from rocky.testing.conformance import (  # noqa: E402
    BaseAdapterSuite,
    BaseArrow,
    BaseConnection,
    BaseCtasRoundTrip,
    BaseDescribe,
    BaseExecute,
    BaseQuoting,
    BaseRegistration,
    BaseSchemas,
)
from rocky.testing.fixtures import AdapterFixtures, requires, seed_table  # noqa: E402
from rocky.testing.gated import (  # noqa: E402
    BaseAlterColumnType,
    BaseBytesScanned,
    BaseBytesWritten,
    BaseCancel,
    BaseClone,
    BaseCreateOrReplace,
    BaseMaterializedViews,
    BaseMerge,
    BaseTransactions,
    BaseViews,
)
from rocky.testing.sql import ColumnSpec, KitSql  # noqa: E402
from rocky.testing.typecases import REFERENCE_TYPES, TypeCase, reference_type  # noqa: E402

__all__ = [
    "REFERENCE_TYPES",
    "AdapterFixtures",
    "BaseAdapterSuite",
    "BaseAlterColumnType",
    "BaseArrow",
    "BaseBytesScanned",
    "BaseBytesWritten",
    "BaseCancel",
    "BaseClone",
    "BaseConnection",
    "BaseCreateOrReplace",
    "BaseCtasRoundTrip",
    "BaseDescribe",
    "BaseExecute",
    "BaseMaterializedViews",
    "BaseMerge",
    "BaseQuoting",
    "BaseRegistration",
    "BaseSchemas",
    "BaseTransactions",
    "BaseViews",
    "ColumnSpec",
    "KitSql",
    "TypeCase",
    "reference_type",
    "requires",
    "seed_table",
]
