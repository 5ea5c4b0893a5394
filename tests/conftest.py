"""Shared fixtures for the whole suite."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.support.npm import NodePackages
from tests.support.npm import node_packages as _install_node_packages


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


@pytest.fixture(scope="session")
def node_packages() -> Callable[..., NodePackages]:
    """Factory: ``node_packages("@linear/sdk@98.0.0")`` installs a pinned npm package set once
    per checkout (``.cache/npm``) and returns :class:`tests.support.npm.NodePackages`
    (``.run(script, env=...)`` runs node and returns its JSON). Skips without node/npm,
    unless FAKELINEAR_REQUIRE_NODE=1 (CI), where it fails."""
    return _install_node_packages
