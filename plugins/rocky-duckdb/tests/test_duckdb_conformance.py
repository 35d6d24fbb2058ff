"""The conformance kit against real DuckDB, in memory and in a file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from rocky_duckdb import DuckDBAdapter, DuckDBConfig

from rocky.adapters import Adapter
from rocky.testing import BaseAdapterSuite, TypeCase
from rocky.types import BINARY, TIMESTAMP, UNKNOWN, VARIANT, RockyType, decimal

INT32 = RockyType("Int32")

DUCKDB_TYPES = (
    TypeCase("BLOB", "BLOB", BINARY, "duckdb"),
    TypeCase("TIMESTAMPTZ", "TIMESTAMPTZ", TIMESTAMP, "duckdb"),
    TypeCase("JSON", "JSON", VARIANT, "duckdb"),
    TypeCase("HUGEINT", "HUGEINT", decimal(38, 0), "duckdb"),
    TypeCase("INTEGER[]", "INTEGER[]", RockyType("Array", args=(INT32,)), "duckdb"),
    TypeCase("UUID", "UUID", UNKNOWN, "duckdb"),
    TypeCase("INTERVAL", "INTERVAL", UNKNOWN, "duckdb"),
)


class DuckDBSuite(BaseAdapterSuite):
    inexpressible_types: ClassVar[Mapping[str, str]] = {
        "TIMESTAMP_NTZ": "DuckDB has one naive timestamp type, reported as TIMESTAMP",
    }
    extra_type_cases: ClassVar[Sequence[TypeCase]] = DUCKDB_TYPES


class TestDuckDBInMemory(DuckDBSuite):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> Iterator[Adapter]:
        with DuckDBAdapter(DuckDBConfig(), project_dir=tmp_path) as adapter:
            yield adapter


class TestDuckDBFile(DuckDBSuite):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> Iterator[Adapter]:
        config = DuckDBConfig(path="warehouse/kit.duckdb", threads=2)
        with DuckDBAdapter(config, project_dir=tmp_path) as adapter:
            yield adapter
