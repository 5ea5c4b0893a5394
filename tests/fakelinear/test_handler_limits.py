"""Query cost limits through the handler, as Linear enforces them (issue 12, break 2).

A query above 10,000 points is refused before it runs (Linear's "Query too complex"); the
points of every query that runs count against the key's complexity bucket; X-Complexity is
the query's cost.
"""

from __future__ import annotations

import json
from typing import Any

from fakelinear.handler import FakeLinear
from fakelinear.http import Request, Response

NESTED = "{ issues { nodes { team { issues { nodes { team { issues { nodes { id } } } } } } } } }"


def send(fake: FakeLinear, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Response:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"authorization": token or fake.tokens[0], "content-type": "application/json"}
    return fake.handle(Request("POST", "/graphql", headers, body))


def test_thousands_of_aliases_are_refused_before_they_run() -> None:
    # The report used 40,000 aliases (13.8 s); 9,100 are enough to go over (1.1 points each).
    fake = FakeLinear(seed=1, plan="unlimited")
    query = "{" + " ".join(f"a{i}: viewer {{ id }}" for i in range(9_100)) + "}"
    response = send(fake, query)
    body = json.loads(response.body)
    assert response.status == 400, response.body[:300]
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"] == "Query too complex"
    assert error["extensions"]["code"] == "INPUT_ERROR" and error["extensions"]["type"] == "invalid input"
    assert error["extensions"]["userPresentableMessage"] == (
        "The query is too complex. Complexity: 10010. Maximum allowed complexity: 10000."
    )
    assert response.headers["x-complexity"] == "10010"
    assert len(response.body) < 1000
    entry = fake.journal.entries()[-1]
    assert entry.decision == "complexity_limit" and entry.status == 400 and entry.error_code == "INPUT_ERROR"
    assert entry.detail == {"complexity": 10010, "limit": 10000}


def test_a_short_nested_query_is_refused_and_nothing_is_executed() -> None:
    fake = FakeLinear(seed=1, plan="unlimited", seed_content=True)
    assert len(NESTED) < 130
    response = send(fake, NESTED)
    assert response.status == 400
    assert json.loads(response.body)["errors"][0]["message"] == "Query too complex"
    assert response.headers["x-complexity"] == "145151"
    assert len(response.body) < 1000


def test_queries_under_the_limit_run_and_report_their_cost() -> None:
    fake = FakeLinear(seed=1, plan="unlimited", seed_content=True)
    response = send(fake, "{ issues(first: 250) { nodes { id title } } }")  # 1 + 250 x 1.2 = 301
    assert response.status == 200 and json.loads(response.body)["data"]["issues"]["nodes"]
    assert response.headers["x-complexity"] == "301"
    per_variable = send(fake, "query Q($n: Int) { issues(first: $n) { nodes { id } } }", {"n": 3})
    assert per_variable.headers["x-complexity"] == "5"  # 1 + 3 x 1.1 = 4.3


def test_the_limit_is_configurable() -> None:
    fake = FakeLinear(seed=1, max_complexity=20)
    assert send(fake, "{ issues(first: 10) { nodes { id } } }").status == 200  # 12
    refused = send(fake, "{ issues(first: 20) { nodes { id } } }")  # 23
    assert refused.status == 400
    assert "Maximum allowed complexity: 20." in refused.body.decode()


def test_points_count_against_the_complexity_rate_limit() -> None:
    plan = {"rate_limit": {"enforce": True, "per_hour": 1000, "complexity_per_hour": 150}}
    fake = FakeLinear(seed=1, profile=plan, plan="unlimited")
    query = "{ issues(first: 50) { nodes { id } } }"  # 56 points
    first, second = send(fake, query), send(fake, query)
    assert (first.status, second.status) == (200, 200)
    assert second.headers["x-ratelimit-complexity-remaining"] == "38"  # 150 - 112
    refused = send(fake, query)
    body = json.loads(refused.body)
    assert refused.status == 400 and body["errors"][0]["extensions"]["code"] == "RATELIMITED"
    entry = fake.journal.entries()[-1]
    assert entry.decision == "rate_limited" and entry.detail["limit"] == "complexity"
    # A refused request fills neither bucket; a cheap query still fits.
    assert refused.headers["x-ratelimit-requests-remaining"] == second.headers["x-ratelimit-requests-remaining"]
    assert send(fake, "{ viewer { id } }").status == 200
    # The bucket leaks at 150 points an hour: after 40 virtual minutes 100 points are free.
    fake.advance(40 * 60)
    assert send(fake, query).status == 200


def test_keys_have_their_own_complexity_buckets() -> None:
    plan = {"rate_limit": {"enforce": True, "complexity_per_hour": 60}}
    fake = FakeLinear(seed=1, profile=plan, workspaces=2, plan="unlimited")
    query = "{ issues(first: 50) { nodes { id } } }"
    assert send(fake, query).status == 200
    assert send(fake, query).status == 400
    assert send(fake, query, token=fake.tokens[1]).status == 200


def test_a_large_document_under_the_limit_is_answered() -> None:
    fake = FakeLinear(seed=1)
    query = "{" + " ".join(f"t{i}: __typename" for i in range(2_000)) + "}"  # 200 points, 27 KB
    response = send(fake, query)
    assert response.status == 200 and json.loads(response.body)["data"]["t1999"] == "Query"
    assert response.headers["x-complexity"] == "200"
