"""Fixtures for the run tests. The helpers live in run_helpers.py: test
modules import them from there, because a module named ``conftest`` is
ambiguous when several test directories are collected together."""

from __future__ import annotations

from run_helpers import db_path, duck, ledger, run_ir

__all__ = ["db_path", "duck", "ledger", "run_ir"]
