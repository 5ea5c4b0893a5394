"""F8 delivery faults, each in both modes (in-process and loopback), set through the control
API as a user would; every injected fault is in the journal; same seed, same deliveries."""

from __future__ import annotations

from typing import Any

import pytest

from fakelinear.webhooks import is_fresh
from tests.webhooks.harness import MODES, Driver, driver

pytestmark = pytest.mark.parametrize("mode", MODES)


def _faults(d: Driver, **knobs: Any) -> None:
    status, body = d.control("POST", "/_fake/faults", {"plan": {"webhooks": knobs}})
    assert status == 200, body


def _journal(d: Driver, decision: str | None = None) -> list[dict[str, Any]]:
    path = "/_fake/journal?operation=webhook" + (f"&decision={decision}" if decision else "")
    status, body = d.control("GET", path)
    assert status == 200
    return body["entries"]  # type: ignore[no-any-return]


def test_duplicate_keeps_the_delivery_id(mode: str) -> None:
    with driver(mode, seed=5) as d:
        _faults(d, duplicate=1.0)
        d.subscribe()
        d.create_issue("duplicated")
        ids = d.receiver.delivery_ids()
        assert len(ids) == 2 and ids[0] == ids[1]
        first, second = d.receiver.received
        assert first.verify(d.receiver.secret) and second.verify(d.receiver.secret)
        assert first.payload["data"] == second.payload["data"]
        [entry] = _journal(d, "webhook:duplicate")
        assert entry["detail"]["delivery_id"] == ids[0] and entry["detail"]["kind"] == "duplicate"
        [delivery] = d.deliveries()
        assert [a["kind"] for a in delivery["attempts"]] == ["send", "duplicate"]
        assert delivery["status"] == "delivered"


def test_delay_holds_the_first_send(mode: str) -> None:
    with driver(mode, seed=5) as d:
        _faults(d, delay=1.0, delay_min=30.0, delay_max=30.0)
        d.subscribe()
        d.create_issue("late")
        assert d.receiver.received == []
        d.advance(29)
        assert d.receiver.received == []
        d.advance(1)
        [got] = d.receiver.received
        assert got.action == "create"
        [entry] = _journal(d, "webhook:delay")
        assert entry["status"] == 200 and entry["detail"]["accepted"] is True


def test_reorder_swaps_events_of_one_entity(mode: str) -> None:
    with driver(mode, seed=5) as d:
        d.subscribe()
        _faults(d, reorder=1.0, reorder_window=30.0)
        issue = d.create_issue("first title")
        d.update_issue(issue["id"], title="second title")
        assert d.receiver.received == []  # both held: the create waits for the update
        d.advance(30)
        actions = [r.action for r in d.receiver.received]
        assert actions == ["update", "create"]
        update, create = (r.payload for r in d.receiver.received)
        assert update["updatedFrom"]["title"] == "first title"
        assert create["data"]["updatedAt"] < update["data"]["updatedAt"] or create["data"]["title"] == "first title"
        assert len(_journal(d, "webhook:reorder")) == 2


def test_lost_ack_is_retried_on_linear_schedule(mode: str) -> None:
    with driver(mode, seed=5) as d:
        d.subscribe()
        _faults(d, lost_ack=1.0)
        d.create_issue("acked but lost")
        assert len(d.receiver.received) == 1 and d.receiver.received[0].status == 200
        for expected, step in ((2, 60), (3, 3600), (4, 21600)):
            d.advance(step - 1)
            assert len(d.receiver.received) == expected - 1
            d.advance(1)
            assert len(d.receiver.received) == expected
        assert len(set(d.receiver.delivery_ids())) == 1
        entries = _journal(d, "webhook:lost_ack")
        assert len(entries) == 4 and all(e["status"] == 200 for e in entries)
        [delivery] = d.deliveries()
        assert delivery["status"] == "failed"
        hook = d.gql("query($id: String!) { webhook(id: $id) { enabled failures { httpStatus responseOrError } } }",
                     {"id": d.receiver.webhook_id})["webhook"]
        assert hook["enabled"] is False  # failing every attempt disables the webhook, as Linear does
        assert len(hook["failures"]) == 4 and "lost_ack" in hook["failures"][0]["responseOrError"]


def test_stale_timestamp_is_rejected_by_a_careful_receiver_then_retried(mode: str) -> None:
    with driver(mode, seed=5) as d:
        fake = d.fake
        d.receiver.answer = lambda got: 200 if is_fresh(got.payload["webhookTimestamp"], fake.clock.now()) else 400
        d.subscribe()
        _faults(d, stale_timestamp=1.0, stale_seconds=120.0)
        d.create_issue("stale")
        [got] = d.receiver.received
        assert got.status == 400
        assert got.payload["webhookTimestamp"] == round((fake.clock.now() - 120.0) * 1000)
        assert got.verify(d.receiver.secret)  # signed correctly: only the timestamp is old
        _faults(d, stale_timestamp=0.0)
        d.advance(60)
        assert [r.status for r in d.receiver.received] == [400, 200]
        assert len(_journal(d, "webhook:stale_timestamp")) == 1


def test_bad_signature_is_opt_in_and_rejected(mode: str) -> None:
    with driver(mode, seed=5) as d:
        d.receiver.check_signatures = True
        d.subscribe()
        d.create_issue("fine")
        assert [r.status for r in d.receiver.received] == [200]
        _faults(d, bad_signature=1.0)
        d.create_issue("forged")
        assert [r.status for r in d.receiver.received] == [200, 400]
        assert not d.receiver.received[1].verify(d.receiver.secret)
        [entry] = _journal(d, "webhook:bad_signature")
        assert entry["error_code"] == "http_status"
        assert d.deliveries()[1]["attempts"][0]["signature_valid"] is False


def _workload(d: Driver) -> list[dict[str, Any]]:
    d.subscribe(("Issue", "Comment"))
    _faults(d, duplicate=0.3, delay=0.3, delay_max=40.0, reorder=0.3, lost_ack=0.3, stale_timestamp=0.3)
    issues = [d.create_issue(f"issue {n}", priority=n % 4) for n in range(6)]
    for n, issue in enumerate(issues):
        d.update_issue(issue["id"], title=f"issue {n} renamed")
    d.delete_issue(issues[0]["id"])
    for step in (30, 30, 3600, 21600):
        d.advance(step)
    return [
        {"id": x["id"], "event": x["event"], "action": x["action"], "status": x["status"], "body": x["body"],
         "attempts": [(a["kind"], a["status"], a["fault"], a["accepted"], a["webhook_timestamp"])
                      for a in x["attempts"]]}
        for x in d.deliveries()
    ]


def test_same_seed_same_deliveries(mode: str) -> None:
    with driver(mode, seed=11) as d:
        first = _workload(d)
        received = [(r.delivery_id, r.body) for r in d.receiver.received]
    with driver(mode, seed=11) as d:
        assert _workload(d) == first
        assert [(r.delivery_id, r.body) for r in d.receiver.received] == received
    with driver(mode, seed=12) as d:
        other = _workload(d)
    assert {x["id"] for x in other}.isdisjoint({x["id"] for x in first})
    faults = {a[2] for x in first for a in x["attempts"]} - {None}
    assert {"duplicate", "delay", "reorder", "lost_ack", "stale_timestamp"} <= faults, faults
