"""Shared fixtures for the whole suite."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """DSN of a throwaway PostgreSQL server (set by scripts/with-postgres.sh).

    Skips when none is configured, except when FAKELINEAR_REQUIRE_PG=1 (CI), where a missing
    server is a failure: the PostgreSQL tests must run there, not skip.
    """
    dsn = os.environ.get("FAKELINEAR_PG_DSN")
    if not dsn:
        if os.environ.get("FAKELINEAR_REQUIRE_PG") == "1":
            pytest.fail("FAKELINEAR_REQUIRE_PG=1 but FAKELINEAR_PG_DSN is not set")
        pytest.skip("no PostgreSQL server: run through `make test` (scripts/with-postgres.sh)")
    return dsn
