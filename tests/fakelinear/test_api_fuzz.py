"""Generated queries and mutations (hypothesis-graphql) never crash the API: no 500s,
and every error carries Linear's extensions."""

from __future__ import annotations

import os

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesis_graphql = pytest.importorskip("hypothesis_graphql")

from graphql import GraphQLScalarType  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_graphql import nodes  # noqa: E402

from fakelinear.api import DEFAULT_SCHEMA as SCHEMA_PATH  # noqa: E402
from fakelinear.api import schema_bundle  # noqa: E402
from fakelinear.clock import VirtualClock  # noqa: E402
from fakelinear.rng import Rng  # noqa: E402
from tests.fakelinear.api_helpers import Driver, new_model  # noqa: E402, new_model

SDL = SCHEMA_PATH.read_text()
_BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}
# Linear's custom scalars (DateTime, JSONObject ...) as string literals: valid for some,
# garbage for others, which is what a fuzzer should send.
CUSTOM = {
    t.name: st.sampled_from([nodes.String("2026-01-05T09:00:00.000Z"), nodes.String("-P1D"),
                             nodes.String("{}"), nodes.String("x")])
    for t in schema_bundle().schema.type_map.values()
    if isinstance(t, GraphQLScalarType) and t.name not in _BUILTIN and not t.name.startswith("__")
}
# Deterministic in CI; FAKELINEAR_FUZZ_EXAMPLES=500 explores further (and randomly).
DERANDOMIZE = "FAKELINEAR_FUZZ_EXAMPLES" not in os.environ
_DRIVER = Driver(new_model(Rng(11), VirtualClock()).create_workspace(seed_content=True,
                                                                 plan="unlimited"))


def _check(query: str) -> None:
    out = _DRIVER.run(query)
    assert out.status in (200, 400), out.result
    for err in out.result.get("errors", []):
        ext = err["extensions"]
        assert ext["code"] != "INTERNAL_SERVER_ERROR", (query, err)
        assert {"type", "code", "statusCode", "userError"} <= set(ext)


@settings(max_examples=int(os.environ.get("FAKELINEAR_FUZZ_EXAMPLES", "30")), deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(hypothesis_graphql.queries(SDL, custom_scalars=CUSTOM))
def test_generated_queries(query: str) -> None:
    _check(query)


@settings(max_examples=int(os.environ.get("FAKELINEAR_FUZZ_EXAMPLES", "30")), deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(hypothesis_graphql.mutations(SDL, custom_scalars=CUSTOM))
def test_generated_mutations(query: str) -> None:
    _check(query)
