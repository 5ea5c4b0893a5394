"""The per-request execution budget (fakelinear/api/budget.py), alone and through the fake.

The deadline runs on an injected monotonic clock: nothing here waits for real time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakelinear.api.budget import BudgetExceeded, RequestBudget
from fakelinear.handler import FakeLinear
from fakelinear.http import Request
from fakelinear.model.errors import InvalidInput


class Ticks:
    """A monotonic clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_nodes_over_the_cap_raise_and_keep_raising() -> None:
    budget = RequestBudget(max_seconds=60, max_nodes=10, clock=Ticks(0.0))
    budget.charge(6)
    budget.charge(4)
    with pytest.raises(BudgetExceeded, match="more than 10 entities") as info:
        budget.charge(1)
    assert isinstance(info.value, InvalidInput)  # maps to a Linear INPUT_ERROR
    with pytest.raises(BudgetExceeded):
        budget.check()  # once exceeded, every later call fails at once
    error = budget.error()
    assert error["extensions"]["code"] == "INPUT_ERROR" and error["extensions"]["statusCode"] == 400
    assert "smaller pages" in error["extensions"]["userPresentableMessage"]


def test_the_deadline_is_checked_on_every_charge() -> None:
    clock = Ticks(0.4)
    budget = RequestBudget(max_seconds=1.0, max_nodes=1000, clock=clock)  # deadline at 1.4
    budget.charge(1)  # 0.8
    budget.charge(1)  # 1.2
    with pytest.raises(BudgetExceeded, match="over the 1 s execution budget"):
        budget.charge(1)  # 1.6


def _post(fake: FakeLinear, query: str, variables: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    response = fake.handle(Request("POST", "/graphql", {"authorization": fake.tokens[0], "content-type": "application/json"}, body))
    return response.status, json.loads(response.body)


def test_a_response_over_the_node_cap_is_one_small_error_and_journaled() -> None:
    fake = FakeLinear(seed=2, plan="unlimited", seed_content=True, max_result_nodes=5)
    status, body = _post(fake, "{ issues(first: 20) { nodes { id title } } }")
    assert status == 400
    assert "data" not in body and len(body["errors"]) == 1  # no partial data: a small answer
    assert body["errors"][0]["extensions"]["code"] == "INPUT_ERROR"
    assert "more than 5 entities" in body["errors"][0]["message"]
    entry = fake.journal.entries()[-1]
    assert (entry.status, entry.error_code, entry.committed) == (400, "INPUT_ERROR", False)
    # Under the cap the same fake answers normally.
    status, body = _post(fake, "{ issues(first: 5) { nodes { id } } }")
    assert status == 200 and len(body["data"]["issues"]["nodes"]) == 5


def test_a_request_over_its_time_budget_is_cut_at_the_next_page() -> None:
    fake = FakeLinear(seed=2, plan="unlimited", seed_content=True)
    fake.new_budget = lambda: RequestBudget(max_seconds=1.0, max_nodes=10_000, clock=Ticks(0.6))  # type: ignore[method-assign]
    status, body = _post(fake, "{ teams { nodes { id issues(first: 2) { nodes { id } } } } }")
    assert status == 400 and "execution budget" in body["errors"][0]["message"]


def test_a_committed_write_keeps_its_answer_even_over_budget() -> None:
    """The budget never hides a write: a mutation that committed answers with its data and
    the error on the part of the selection that went over."""
    fake = FakeLinear(seed=2, plan="unlimited", max_result_nodes=0)
    team = fake.model.workspaces()[0].team("ENG").id
    query = (
        "mutation C($i: IssueCreateInput!) { issueCreate(input: $i) { success issue { id "
        "team { issues(first: 5) { nodes { id } } } } } }"
    )
    status, body = _post(fake, query, {"i": {"teamId": team, "title": "kept"}})
    assert status == 200 and body["data"]["issueCreate"]["success"] is True
    assert body["errors"][0]["extensions"]["code"] == "INPUT_ERROR"
    assert fake.journal.entries()[-1].committed is True
    assert [i.title for i in fake.model.workspaces()[0].all("Issue")] == ["kept"]
