"""rocky: a typed compiler and runner for SQL transformation pipelines."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
