"""``/_fake/webhooks/``: list deliveries, one delivery, redeliver (same id), status; both
modes through the same routes."""

from __future__ import annotations

import pytest

from tests.webhooks.harness import MODES, driver


@pytest.mark.parametrize("mode", MODES)
def test_list_show_and_redeliver(mode: str) -> None:
    with driver(mode, seed=31) as d:
        d.receiver.respond(500)
        d.subscribe(("Issue",))
        issue = d.create_issue("listed")
        d.update_issue(issue["id"], title="listed again")
        status, body = d.control("GET", "/_fake/webhooks/deliveries")
        assert status == 200
        first, second = body["deliveries"]
        assert (first["action"], first["status"], first["attempts"][0]["status"]) == ("create", "pending", 500)
        assert first["next_at"] is not None and second["status"] == "delivered"
        assert "body" not in first
        status, body = d.control("GET", "/_fake/webhooks/deliveries?status=pending&limit=5&body=1")
        assert [x["id"] for x in body["deliveries"]] == [first["id"]]
        assert body["deliveries"][0]["body"]["data"]["id"] == issue["id"]
        status, one = d.control("GET", f"/_fake/webhooks/deliveries/{second['id']}")
        assert status == 200 and one["body"]["updatedFrom"]["title"] == "listed"

        status, again = d.control("POST", f"/_fake/webhooks/deliveries/{first['id']}/redeliver")
        assert status == 202
        if hasattr(d, "settle"):
            d.settle()
        assert d.receiver.delivery_ids() == [first["id"], second["id"], first["id"]]
        _, shown = d.control("GET", f"/_fake/webhooks/deliveries/{first['id']}")
        assert [a["kind"] for a in shown["attempts"]] == ["send", "redeliver"]
        assert shown["status"] == "delivered"
        d.advance(60)  # the scheduled retry is moot: the redelivery was accepted
        assert len(d.receiver.received) == 3
        status, body = d.control("GET", "/_fake/webhooks/status")
        assert status == 200 and body["idle"] is True and body["pending"] == 0


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/_fake/webhooks/deliveries/nope", 404),
    ("POST", "/_fake/webhooks/deliveries/nope/redeliver", 404),
    ("GET", "/_fake/webhooks/deliveries?colour=red", 400),
    ("GET", "/_fake/webhooks/deliveries?limit=x", 400),
    ("POST", "/_fake/webhooks/deliveries", 405),
    ("GET", "/_fake/webhooks/elsewhere", 404),
])
def test_bad_control_requests(method: str, path: str, status: int) -> None:
    with driver("in_process", seed=31) as d:
        got, body = d.control(method, path)
        assert got == status and body["error"]
