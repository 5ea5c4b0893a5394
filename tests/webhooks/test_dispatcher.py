"""The dispatcher: who gets what, when (retries on Linear's schedule on the virtual clock),
disabling, what counts as committed, receivers of every kind."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fakelinear.model import Model
from fakelinear.webhooks import ReceiverTimeout, WebhookRequest, WebhookResponse, verify
from tests.webhooks.harness import InProcess, driver

HOUR = 3600.0


def _times(d: InProcess) -> list[float]:
    [delivery] = d.fake.webhooks.deliveries()
    return [a.time for a in delivery.attempts]


def test_retries_follow_linear_schedule_then_disable() -> None:
    with driver("in_process", seed=1) as d:
        d.receiver.respond(500, 502, 503, 500)
        d.subscribe()
        start = d.fake.clock.now()
        d.create_issue("never accepted")
        d.advance(8 * HOUR)  # one call: each retry is sent at its own time on the way
        assert _times(d) == [start, start + 60, start + 60 + HOUR, start + 60 + 7 * HOUR]
        assert d.fake.clock.now() == start + 8 * HOUR
        [delivery] = d.fake.webhooks.deliveries()
        assert delivery.status == "failed" and delivery.retries == 3
        assert len({r.delivery_id for r in d.receiver.received}) == 1
        hook = d.gql("query($id: String!) { webhook(id: $id) { enabled updatedAt failures { httpStatus url } } }",
                     {"id": d.receiver.webhook_id})["webhook"]
        assert hook["enabled"] is False
        assert [f["httpStatus"] for f in hook["failures"]] == [500, 502, 503, 500]
        d.create_issue("after disabling")
        d.advance(HOUR)
        assert len(d.receiver.received) == 4  # a disabled webhook gets nothing


def test_success_on_a_retry_resets_the_failure_streak() -> None:
    with driver("in_process", seed=1) as d:
        d.receiver.respond(500)
        d.subscribe()
        d.create_issue("second try works")
        d.advance(60)
        assert [r.status for r in d.receiver.received] == [500, 200]
        [delivery] = d.fake.webhooks.deliveries()
        assert delivery.status == "delivered" and delivery.next_at is None
        assert d.gql("query($id: String!) { webhook(id: $id) { enabled } }",
                     {"id": d.receiver.webhook_id})["webhook"]["enabled"] is True


def test_disable_after_is_configurable() -> None:
    with driver("in_process", seed=1) as d:
        d.fake.webhooks.faults(disable_after=2, retry_delays=[10.0])
        d.receiver.answer = lambda _got: 500
        d.subscribe()
        d.create_issue("one")
        d.advance(10)
        enabled = "query($id: String!) { webhook(id: $id) { enabled } }"
        assert d.gql(enabled, {"id": d.receiver.webhook_id})["webhook"]["enabled"] is True
        d.create_issue("two")
        d.advance(10)
        assert d.gql(enabled, {"id": d.receiver.webhook_id})["webhook"]["enabled"] is False


def test_a_timeout_is_a_failure() -> None:
    with driver("in_process", seed=1) as d:
        calls: list[int] = []

        def slow(_request: WebhookRequest) -> int:
            calls.append(1)
            if len(calls) == 1:
                raise ReceiverTimeout
            return 204

        d.fake.webhooks.register(d.receiver.url, slow)
        d.subscribe()
        d.create_issue("slow receiver")
        d.advance(60)
        [delivery] = d.fake.webhooks.deliveries()
        assert [(a.status, a.error) for a in delivery.attempts] == [(0, "timeout"), (204, None)]


def test_loopback_timeout_is_real() -> None:
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            release.wait(2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with driver("in_process", seed=1) as d:
            d.fake.webhooks.faults(timeout=0.2)
            d.fake.webhooks.unregister(d.receiver.url)
            d.receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
            d.subscribe()
            started = time.monotonic()
            d.create_issue("nobody answers in time")
            assert time.monotonic() - started < 1.5
            [delivery] = d.fake.webhooks.deliveries()
            assert delivery.attempts[0].error == "timeout" and delivery.next_at is not None
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_routing_by_team_scope_and_resource_type() -> None:
    with driver("in_process", seed=2, plan="unlimited") as d:
        got: dict[str, list[str]] = {"eng": [], "all": [], "comments": []}
        for name in got:
            d.fake.webhooks.register(f"https://hooks.test/{name}",
                                     lambda r, n=name: got[n].append(r.json()["type"]) and None)
        private = d.gql('mutation { teamCreate(input: {name: "Secret", key: "SEC", private: true}) { team { id } } }')
        other = d.gql('mutation { teamCreate(input: {name: "Other", key: "OTH"}) { team { id } } }')
        for name, fields in (("eng", {"teamId": "ENG"}), ("all", {"allPublicTeams": True}),
                             ("comments", {"allPublicTeams": True})):
            types = ["Comment"] if name == "comments" else ["Issue"]
            d.gql("mutation($i: WebhookCreateInput!) { webhookCreate(input: $i) { success } }",
                  {"i": {"url": f"https://hooks.test/{name}", "resourceTypes": types, **fields}})
        eng = d.create_issue("in ENG")
        d.gql("mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success } }",
              {"i": {"teamId": other["teamCreate"]["team"]["id"], "title": "in OTH"}})
        d.gql("mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success } }",
              {"i": {"teamId": private["teamCreate"]["team"]["id"], "title": "in SEC"}})
        d.gql("mutation($i: CommentCreateInput!) { commentCreate(input: $i) { success } }",
              {"i": {"issueId": eng["id"], "body": "hello"}})
        assert got == {"eng": ["Issue"], "all": ["Issue", "Issue"], "comments": ["Comment"]}


def test_payload_of_an_update_and_a_remove() -> None:
    with driver("in_process", seed=3) as d:
        d.subscribe(("Issue",))
        issue = d.create_issue("before", priority=1)
        d.advance(5)
        d.update_issue(issue["id"], title="after", priority=3)
        d.advance(5)
        d.delete_issue(issue["id"])
        create, update, remove = (r.payload for r in d.receiver.received)
        assert update["action"] == "update"
        assert update["updatedFrom"]["title"] == "before" and update["updatedFrom"]["priority"] == 1
        assert update["updatedFrom"]["updatedAt"] == create["data"]["updatedAt"]
        assert update["data"]["title"] == "after" and update["data"]["priorityLabel"] == "Normal"
        assert remove["action"] == "remove" and remove["data"]["trashed"] is True
        assert "updatedFrom" not in create and "updatedFrom" not in remove
        for body in (create, update, remove):
            assert body["type"] == "Issue" and body["webhookId"] == d.receiver.webhook_id
            assert body["organizationId"] == d.fake.workspace_for(d.token).id
            assert body["actor"]["type"] == "user" and body["url"].startswith("https://linear.app/")


def test_commit_then_fail_still_delivers_and_before_faults_do_not() -> None:
    with driver("in_process", seed=4) as d:
        d.subscribe()
        d.fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
        status, _ = d.post({"query": 'mutation($t: String!) { issueCreate(input: {teamId: "ENG", title: $t}) '
                                     "{ success } }", "variables": {"t": "committed, then 502"}})
        assert status == 502
        assert [r.payload["data"]["title"] for r in d.receiver.received] == ["committed, then 502"]
        d.fake.faults.gateway_error(503, times=1, on="issueCreate")
        d.fake.faults.phantom_conflicts(on="issueCreate", first=1)
        for title in ("refused by the gateway", "phantom conflict"):
            status, _ = d.post({"query": 'mutation($t: String!) { issueCreate(input: {teamId: "ENG", title: $t}) '
                                         "{ success } }", "variables": {"t": title}})
        assert len(d.receiver.received) == 1


def test_only_the_current_model_delivers() -> None:
    """A write the state file rolls back is gone from the model the dispatcher reads, so it
    never delivers (the handler collects after persisting)."""
    with driver("in_process", seed=4) as d:
        d.subscribe()
        before = d.fake.model.snapshot()
        ws = d.fake.workspace_for(d.token)
        ws.create("Issue", teamId=ws.team("ENG")["id"], title="rolled back")
        d.fake.model = Model.restore(before, d.fake.rng, d.fake.clock, d.fake.api.catalog)
        assert d.fake.webhooks.pump() == 0 and d.receiver.received == []


def test_model_level_writes_deliver_on_pump() -> None:
    with driver("in_process", seed=4) as d:
        d.subscribe()
        ws = d.fake.workspace_for(d.token)
        ws.create("Issue", teamId=ws.team("ENG")["id"], title="written by the test")
        assert d.receiver.received == []
        assert d.fake.webhooks.pump() == 1
        assert d.receiver.received[0].payload["data"]["title"] == "written by the test"


def test_receiver_kinds_callable_asgi_wsgi() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import Response
    from starlette.routing import Route

    with driver("in_process", seed=6) as d:
        seen: dict[str, Any] = {}

        async def endpoint(request: StarletteRequest) -> Response:
            body = await request.body()
            seen["asgi"] = verify(seen["secret"], body, request.headers["linear-signature"])
            return Response(status_code=202)

        def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            seen["wsgi"] = (environ["HTTP_LINEAR_EVENT"], verify(seen["secret"], body, environ["HTTP_LINEAR_SIGNATURE"]))
            start_response("200 OK", [("content-type", "text/plain")])
            return [b"ok"]

        def tuple_answer(request: WebhookRequest) -> tuple[int, bytes]:
            seen["callable"] = request.event
            return 201, b"created"

        d.fake.webhooks.register("https://hooks.test/asgi", Starlette(routes=[Route("/asgi", endpoint, methods=["POST"])]))
        d.fake.webhooks.register("https://hooks.test/wsgi", wsgi)
        d.fake.webhooks.register("https://hooks.test/callable", tuple_answer)
        d.fake.webhooks.register("https://hooks.test/response", lambda _r: WebhookResponse(418, b"teapot"))
        secret = "shared-secret"
        seen["secret"] = secret
        for name in ("asgi", "wsgi", "callable", "response"):
            d.gql("mutation($i: WebhookCreateInput!) { webhookCreate(input: $i) { success } }",
                  {"i": {"url": f"https://hooks.test/{name}", "resourceTypes": ["Issue"], "teamId": "ENG",
                         "secret": secret}})
        d.create_issue("fan out")
        assert seen["asgi"] is True and seen["wsgi"] == ("Issue", True) and seen["callable"] == "Issue"
        statuses = {x.url.rsplit("/", 1)[1]: x.attempts[0].status for x in d.fake.webhooks.deliveries()}
        assert statuses == {"asgi": 202, "wsgi": 200, "callable": 201, "response": 418}
        teapot = next(x for x in d.fake.webhooks.deliveries() if x.url.endswith("response"))
        assert teapot.attempts[0].response == "teapot" and teapot.next_at is not None


def test_unreachable_url_is_not_called_and_fails() -> None:
    with driver("in_process", seed=6) as d:
        d.gql("mutation($i: WebhookCreateInput!) { webhookCreate(input: $i) { success } }",
              {"i": {"url": "https://example.com/hooks", "resourceTypes": ["Issue"], "teamId": "ENG"}})
        d.create_issue("goes nowhere")
        [delivery] = d.fake.webhooks.deliveries()
        assert delivery.attempts[0].status == 0 and delivery.attempts[0].error.startswith("not_deliverable")


def test_deleting_the_webhook_cancels_pending_retries() -> None:
    with driver("in_process", seed=6) as d:
        d.receiver.respond(500)
        hook = d.subscribe()
        d.create_issue("retry pending")
        d.gql("mutation($id: String!) { webhookDelete(id: $id) { success } }", {"id": hook["id"]})
        d.advance(HOUR)
        [delivery] = d.fake.webhooks.deliveries()
        assert delivery.status == "cancelled" and len(delivery.attempts) == 1


def test_rotated_secret_signs_the_next_delivery() -> None:
    with driver("in_process", seed=7) as d:
        hook = d.subscribe()
        d.create_issue("old secret")
        new = d.gql("mutation($id: String!) { webhookRotateSecret(id: $id) { secret } }",
                    {"id": hook["id"]})["webhookRotateSecret"]["secret"]
        d.create_issue("new secret")
        first, second = d.receiver.received
        assert first.verify(hook["secret"]) and not second.verify(hook["secret"]) and second.verify(new)


def test_a_receiver_may_call_the_fake_back() -> None:
    """Re-read on doubt: the receiver queries the fake while the delivery is in progress."""
    with driver("in_process", seed=8) as d:
        titles: list[str] = []

        def reread(request: WebhookRequest) -> int:
            issue_id = request.json()["data"]["id"]
            titles.append(d.gql("query($id: String!) { issue(id: $id) { title } }", {"id": issue_id})["issue"]["title"])
            return 200

        d.fake.webhooks.register(d.receiver.url, reread)
        d.subscribe()
        d.create_issue("read back")
        assert titles == ["read back"]


@pytest.mark.parametrize("kind", ["callable", "wsgi"])
def test_a_crashing_receiver_is_a_failed_attempt(kind: str) -> None:
    with driver("in_process", seed=9) as d:
        def boom(*_args: Any) -> Any:
            raise RuntimeError("receiver bug")

        d.fake.webhooks.register(d.receiver.url, boom, kind=kind)  # type: ignore[arg-type]
        d.subscribe()
        d.create_issue("crash")
        [delivery] = d.fake.webhooks.deliveries()
        assert delivery.attempts[0].error == "receiver_error: RuntimeError" and delivery.status == "pending"


def test_a_batch_update_delivers_one_event_per_record() -> None:
    with driver("in_process", seed=10) as d:
        d.subscribe()
        ids = [d.create_issue(f"batch {n}")["id"] for n in range(2)]
        d.advance(1)
        d.gql("mutation($ids: [UUID!]!) { issueBatchUpdate(ids: $ids, input: {priority: 2}) { success } }",
              {"ids": ids})
        updates = d.receiver.events("Issue", "update")
        assert sorted(u.payload["data"]["id"] for u in updates) == sorted(ids)
        assert all(u.payload["updatedFrom"]["priority"] == 0 for u in updates)
        assert len({u.delivery_id for u in updates}) == 2
