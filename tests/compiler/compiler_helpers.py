"""Shared fixtures data for the compiler tests."""

from __future__ import annotations

SEED_T = """\
CREATE SCHEMA raw;
CREATE TABLE raw.t (
    i INTEGER NOT NULL,
    b BIGINT,
    d DECIMAL(10,2),
    f DOUBLE,
    s VARCHAR NOT NULL,
    sn VARCHAR,
    dt DATE NOT NULL,
    ts TIMESTAMP,
    bo BOOLEAN
);
CREATE TABLE raw.u (i INTEGER NOT NULL, name VARCHAR, amount DECIMAL(12,4) NOT NULL);
"""
