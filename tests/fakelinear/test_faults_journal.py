"""The journal: request and response bodies, per-test views, query and assertion helpers."""

from __future__ import annotations

import json

import pytest

from fakelinear import FakeLinear
from fakelinear.faults import JournalEntry
from fakelinear.http import Request

VIEWER = "query Viewer { viewer { id } }"


def _post(fake: FakeLinear, body: bytes, token: str | None = None) -> int:
    headers = {"authorization": token or fake.tokens[0], "content-type": "application/json"}
    return fake.handle(Request("POST", "/graphql", headers, body)).status


def test_bodies_of_every_kind_of_answer() -> None:
    fake = FakeLinear()
    _post(fake, json.dumps({"query": VIEWER}).encode())
    _post(fake, b"{}", token="lin_api_unknown")
    fake.faults.transport_fault("connection_reset", times=1)
    _post(fake, json.dumps({"query": VIEWER, "variables": {"a": 1}}).encode())
    ok, rejected, cut = fake.journal.entries()
    assert ok.request == {"query": VIEWER, "variables": None, "operationName": "Viewer"}
    assert ok.response["data"]["viewer"]["id"]
    assert rejected.decision == "rejected" and rejected.response["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"
    assert cut.decision == "transport:connection_reset" and cut.response is None and cut.status == 0
    assert cut.request["variables"] == {"a": 1}
    # The dict form (control API) carries the bodies as text and comes back equal.
    for entry in (ok, rejected, cut):
        assert JournalEntry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry


def test_views_keep_their_mark_across_clear_and_reset() -> None:
    fake = FakeLinear()
    _post(fake, json.dumps({"query": VIEWER}).encode())
    view = fake.journal.view()
    assert len(view) == 0
    _post(fake, json.dumps({"query": VIEWER}).encode())
    assert [e.seq for e in view] == [2]
    fake.reset()  # seq numbers never repeat, so the view keeps working
    _post(fake, json.dumps({"query": VIEWER}).encode())
    assert [e.seq for e in view] == [3] and fake.journal.last_seq == 3
    view.clear()
    assert view.count() == 0 and len(fake.journal) == 1


def test_assertion_helpers() -> None:
    fake = FakeLinear()
    for _ in range(2):
        _post(fake, json.dumps({"query": VIEWER}).encode())
    j = fake.journal
    assert len(j.assert_called(operation="viewer", times=2, decision="passed")) == 2
    assert j.assert_called("Viewer")[0].operation_name == "Viewer"
    j.assert_not_called(operation="issueCreate")
    assert j.last(operation="viewer").seq == 2 and j.last(operation="teams") is None
    with pytest.raises(AssertionError, match=r"expected operation='issueCreate' at least once, got 0; journal: \[#1 Viewer passed 200; #2 Viewer passed 200\]"):
        j.assert_called(operation="issueCreate")
    with pytest.raises(AssertionError, match="expected operation='viewer' 0 time"):
        j.assert_not_called(operation="viewer")


def test_the_journal_never_holds_a_secret_whole() -> None:
    fake = FakeLinear(seed=2, plan="unlimited")
    secret = "whsec-" + "s" * 40
    query = ("mutation($i: WebhookCreateInput!) { webhookCreate(input: $i) { success"
             " webhook { id secret url } } }")
    body = json.dumps({"query": query, "variables": {"i": {
        "url": "http://127.0.0.1:9/hook", "teamId": "ENG", "resourceTypes": ["Issue"], "secret": secret}}})
    response = fake.handle(Request("POST", "/graphql", {"authorization": fake.tokens[0],
                                                        "content-type": "application/json"}, body.encode(), b""))
    assert secret in response.body.decode()  # the client gets what it asked for
    entry = fake.journal.last(operation="webhookCreate")
    assert entry is not None
    recorded = json.dumps(entry.request, ensure_ascii=False) + json.dumps(entry.response, ensure_ascii=False)
    assert secret not in recorded and "…" + secret[-6:] in recorded
    assert entry.response["data"]["webhookCreate"]["webhook"]["url"] == "http://127.0.0.1:9/hook"
