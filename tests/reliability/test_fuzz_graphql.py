"""GraphQL fuzzing of the loopback server with schemathesis over the fake's own SDL.

schemathesis (4.x) generates valid documents for every root field of
``fakelinear/api/schema.graphql``; a share of them is corrupted on purpose (cut, spliced,
bytes dropped) to reach the parse/validation paths. Every response must be valid data or a
Linear-shaped error, never an uninjected 5xx, and the server must survive. Bounded: a fixed
number of examples, no shrinking database, well under the suite's time budget.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import graphql as st_graphql

from fakelinear.api import DEFAULT_SCHEMA
from fakelinear.clock import RealClock
from fakelinear.handler import FakeLinear
from fakelinear.transports.server import ServerThread
from tests.reliability.conftest import assert_linear_error

SDL = DEFAULT_SCHEMA
EXAMPLES = 60

# Linear's custom scalars schemathesis has no strategy for (it knows DateTime and UUID). The
# whole schema (@linear/sdk 98.0.0) takes them as arguments; wrong values must still get
# Linear-shaped errors, so plain strings and an empty object are enough.
_DATES = st.dates().map(str)
for _name, _strategy in {
    "DateTimeOrDuration": st.sampled_from(["P1D", "-P2W", "2021"]) | _DATES,
    "TimelessDate": _DATES,
    "TimelessDateOrDuration": st.sampled_from(["P1D", "-P2W"]) | _DATES,
    "Duration": st.sampled_from(["PT1H", "P1D"]),
    "JSON": st.sampled_from(["{}", '{"a": 1}']),
}.items():
    st_graphql.scalar(_name, _strategy.map(st_graphql.nodes.String))
st_graphql.scalar("JSONObject", st.just(st_graphql.nodes.Object([])))
for _line in SDL.read_text(encoding="utf-8").splitlines():
    if _line.startswith("scalar ") and _line.endswith("NotificationType"):
        _name = _line.split()[1]
        _literal = _name[0].lower() + _name[1 : -len("NotificationType")]
        st_graphql.scalar(_name, st.just(st_graphql.nodes.String(_literal)))


def _operations() -> list[Any]:
    schema = st_graphql.from_path(SDL)
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[FakeLinear, str, httpx.Client]]:
    """A seeded, calm fake with realistic content on loopback, and a client for it."""
    fake = FakeLinear(seed=9, clock=RealClock(), workspaces=2, plan="unlimited", seed_content=True)
    with ServerThread(fake, "127.0.0.1", 0) as server, httpx.Client(
        base_url=server.base_url,
        headers={"authorization": fake.tokens[0], "content-type": "application/json"},
        timeout=15.0,
    ) as http:
        yield fake, server.base_url, http


@st.composite
def _documents(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(OPERATIONS))
    query: str = draw(op.as_strategy()).body
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "splice", "drop"]))
    if damage == "cut" and len(query) > 2:
        query = query[: draw(st.integers(1, len(query) - 1))]
    elif damage == "splice":
        at = draw(st.integers(0, len(query)))
        junk = draw(st.text(alphabet="{}()[]$:!@#\"\\ \n,.=&|0aZ\u00e9\u2028", max_size=12))
        query = query[:at] + junk + query[at:]
    elif damage == "drop" and query:
        at = draw(st.integers(0, len(query) - 1))
        query = query[:at] + query[at + 1 :]
    return query


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    assert isinstance(body, dict), body
    if body.get("errors"):
        for error in body["errors"]:
            assert_linear_error({"errors": [error]})
    else:
        assert isinstance(body.get("data"), dict), body
    if response.status_code != 200:
        assert body.get("errors"), body


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(query=_documents(), variables=st.none() | st.dictionaries(st.sampled_from(["id", "input", "first"]), st.none() | st.integers() | st.text(max_size=5), max_size=2))
def _fuzz(http: httpx.Client, query: str, variables: dict[str, Any] | None) -> None:
    _check(http.post("/graphql", content=json.dumps({"query": query, "variables": variables})))


def test_schemathesis_graphql_fuzz_gets_only_data_or_linear_errors(
    fuzz_server: tuple[FakeLinear, str, httpx.Client],
) -> None:
    fake, _, http = fuzz_server
    assert len(OPERATIONS) >= 40  # every Query and Mutation root field of our SDL
    _fuzz(http)
    # Zero 5xx in the journal (calm injects none) and the server still answers.
    assert not [e for e in fake.journal.to_list() if e["status"] >= 500]
    ok = http.post("/graphql", content=b'{"query": "{ viewer { id } }"}')
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["id"]


def test_fuzz_under_linear_observed_only_injected_5xx() -> None:
    """Under ``linear-observed`` the only 5xx are the gateway faults the journal records."""
    fake = FakeLinear(seed=4, clock=RealClock(), workspaces=1, profile="linear-observed", seed_content=True)
    seen_5xx = 0
    with ServerThread(fake, "127.0.0.1", 0) as server, httpx.Client(
        base_url=server.base_url,
        headers={"authorization": fake.tokens[0], "content-type": "application/json"},
        timeout=15.0,
    ) as http:

        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(query=_documents())
        def run(query: str) -> None:
            nonlocal seen_5xx
            r = http.post("/graphql", content=json.dumps({"query": query}))
            if r.status_code >= 500:
                seen_5xx += 1
                assert r.status_code in (502, 503, 504)
                return
            _check(r)

        run()
    injected = [e for e in fake.journal.to_list() if e["status"] >= 500]
    assert all(e["decision"].startswith("gateway") for e in injected), injected
    assert seen_5xx == len(injected)
