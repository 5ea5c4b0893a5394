"""Fixtures for the schema tooling tests: the official 88.3.0 SDL and installed SDKs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema

from tests.support.npm import NodePackages

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "linear"
SCHEMA_DIR = REPO / "fakelinear" / "api" / "schema"
DOCUMENTS_98 = REPO / "tests" / "data" / "sdk" / "98.0.0" / "documents.json"


def _shared(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (the official 88.3.0 SDL lives in ../shared)")
    return path


@pytest.fixture(scope="session")
def official_sdl_path() -> Path:
    """``../shared/linear/schema.graphql``: the official SDL of @linear/sdk 88.3.0."""
    return _shared("schema.graphql")


@pytest.fixture(scope="session")
def official_schema(official_sdl_path: Path) -> GraphQLSchema:
    return build_schema(official_sdl_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def official_documents_path() -> Path:
    """``../shared/linear/documents.graphql``: the 88.3.0 SDK's documents, fragments apart."""
    return _shared("documents.graphql")


@pytest.fixture(scope="session")
def sdk_88(node_packages: Callable[..., NodePackages]) -> Path:
    """The installed @linear/sdk 88.3.0 package directory."""
    return node_packages("@linear/sdk@88.3.0").package_dir("@linear/sdk")


@pytest.fixture(scope="session")
def sdk_98(node_packages: Callable[..., NodePackages]) -> Path:
    """The installed @linear/sdk 98.0.0 package directory."""
    return node_packages("@linear/sdk@98.0.0").package_dir("@linear/sdk")


@pytest.fixture(scope="session")
def generated_schema() -> GraphQLSchema:
    """The committed ``fakelinear/api/schema/linear.graphql``."""
    return build_schema((SCHEMA_DIR / "linear.graphql").read_text(encoding="utf-8"))
