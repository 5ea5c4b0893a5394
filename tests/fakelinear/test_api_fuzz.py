"""Generated queries and mutations (hypothesis-graphql) never crash the API: no 500s,
and every error carries Linear's extensions."""

from __future__ import annotations

import os

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesis_graphql = pytest.importorskip("hypothesis_graphql")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from fakelinear.api.executor import SCHEMA_PATH  # noqa: E402
from fakelinear.clock import VirtualClock  # noqa: E402
from fakelinear.model import Model  # noqa: E402
from fakelinear.rng import Rng  # noqa: E402
from tests.fakelinear.api_helpers import Driver  # noqa: E402

SDL = SCHEMA_PATH.read_text()
# Deterministic in CI; FAKELINEAR_FUZZ_EXAMPLES=500 explores further (and randomly).
DERANDOMIZE = "FAKELINEAR_FUZZ_EXAMPLES" not in os.environ
_DRIVER = Driver(Model(Rng(11), VirtualClock()).create_workspace(seed_content=True,
                                                                 plan="unlimited"))


def _check(query: str) -> None:
    out = _DRIVER.run(query)
    assert out.status in (200, 400), out.result
    for err in out.result.get("errors", []):
        ext = err["extensions"]
        assert ext["code"] != "INTERNAL_SERVER_ERROR", (query, err)
        assert {"type", "code", "statusCode", "userError"} <= set(ext)


@settings(max_examples=int(os.environ.get("FAKELINEAR_FUZZ_EXAMPLES", "30")), deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(hypothesis_graphql.queries(SDL))
def test_generated_queries(query: str) -> None:
    _check(query)


@settings(max_examples=int(os.environ.get("FAKELINEAR_FUZZ_EXAMPLES", "30")), deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(hypothesis_graphql.mutations(SDL))
def test_generated_mutations(query: str) -> None:
    _check(query)
