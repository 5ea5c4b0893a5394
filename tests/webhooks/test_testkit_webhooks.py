"""The ``webhook_receiver`` fixture (fake mode here; the loopback endpoint against a real
server below) and the receiver helpers."""

from __future__ import annotations

from typing import Any

import httpx

from fakelinear import FakeLinear, ServerThread
from fakelinear.clock import RealClock
from fakelinear.testkit.webhooks import WebhookReceiver, loopback_receiver
from promoter.linear import LinearClient


def test_fixture_in_fake_mode(linear: Any, test_team: Any, webhook_receiver: WebhookReceiver, fake: Any) -> None:
    webhook = webhook_receiver.subscribe(linear, team_id=test_team.id, resource_types=["Issue"])
    assert webhook["enabled"] and webhook_receiver.secret.startswith("lin_wh_")
    issue = linear.issue_create(test_team.id, "[test] webhook fixture")
    try:
        [event] = webhook_receiver.wait(1)
        assert event.verify(webhook_receiver.secret) and event.event == "Issue" and event.action == "create"
        assert event.payload["data"]["id"] == issue.id
        webhook_receiver.respond(503)
        linear.issue_update(issue.id, title="[test] webhook fixture 2")
        assert [r.status for r in webhook_receiver.received] == [200, 503]
        fake.advance(60)
        assert webhook_receiver.events("Issue", "update")[-1].status == 200
        assert len(set(webhook_receiver.delivery_ids())) == 2
    finally:
        linear.issue_delete(issue.id, permanently=True)


def test_loopback_endpoint_against_a_real_server() -> None:
    fake = FakeLinear(seed=41, clock=RealClock())
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url) as control:
        # The receiver's wait() polls the control API through ``control.get(path)``.
        with loopback_receiver(control) as receiver:
            receiver.check_signatures = True
            client = LinearClient(fake.tokens[0], url=server.graphql_url)
            try:
                receiver.subscribe(client, team_id="ENG")
                team = client.team("ENG")
                client.issue_create(team.id, "over real HTTP")
                [event] = receiver.wait(1, timeout=10)
                assert event.status == 200 and event.verify(receiver.secret)
                assert event.headers["user-agent"] == "Linear-Webhook"
            finally:
                receiver.close()
                client.close()
        fake.webhooks.close()


def test_wait_reports_what_arrived() -> None:
    receiver = WebhookReceiver("https://nowhere.test/x")
    receiver.receive({"Linear-Event": "Issue", "Linear-Delivery": "d1"}, b'{"action":"create"}')
    try:
        receiver.wait(2, timeout=0.05)
    except AssertionError as exc:
        assert "got 1" in str(exc) and "d1" in str(exc)
    else:
        raise AssertionError("wait should have failed")
