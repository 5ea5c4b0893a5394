"""A webhook receiving endpoint for tests, and the list of what it received.

The ``webhook_receiver`` fixture (registered by the plugin) gives a :class:`WebhookReceiver`:

* ``--linear=fake``: an in-process receiver registered with the fake for a unique URL
  (``https://webhooks.fakelinear.test/<id>``): no port is opened; deliveries arrive in the
  test's own thread when the fake handles a request or its clock is advanced.
* ``--linear=server``: a real HTTP endpoint on ``127.0.0.1`` (a small threading server);
  the fake delivers from its background sender, so use :meth:`WebhookReceiver.wait`.
* ``--linear=online``: skipped (Linear cannot reach a test machine).

Typical use::

    def test_issue_events(linear, test_team, webhook_receiver):
        webhook_receiver.subscribe(linear, team_id=test_team.id, resource_types=["Issue"])
        issue = linear.issue_create(test_team.id, "[test] hello")
        [event] = webhook_receiver.wait(1)
        assert event.verify(webhook_receiver.secret) and event.payload["data"]["id"] == issue.id

Answers are 200 unless scripted: ``receiver.respond(500, 500)`` answers the next two
deliveries with 500 (then 200 again), ``receiver.answer = fn`` decides per delivery, and
``receiver.check_signatures = True`` answers 400 to a delivery whose signature does not
verify with :attr:`WebhookReceiver.secret`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from fakelinear.webhooks.signing import verify

_MUTATION_CREATE = """mutation WebhookCreate($input: WebhookCreateInput!) {
  webhookCreate(input: $input) { success webhook { id secret enabled url } }
}"""
_MUTATION_DELETE = "mutation WebhookDelete($id: String!) { webhookDelete(id: $id) { success } }"
_MAX_BODY = 5 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedDelivery:
    """One POST the receiver got, as it arrived."""

    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what the receiver answered
    received_at: float  # real time (time.time())

    @property
    def payload(self) -> Any:
        """The parsed JSON body."""
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str | None:
        """``Linear-Delivery``."""
        return self.headers.get("linear-delivery")

    @property
    def event(self) -> str | None:
        """``Linear-Event`` (the resource type, e.g. ``Issue``)."""
        return self.headers.get("linear-event")

    @property
    def signature(self) -> str | None:
        """``Linear-Signature``."""
        return self.headers.get("linear-signature")

    @property
    def action(self) -> str | None:
        """The payload's ``action`` (create, update, remove)."""
        return self.payload.get("action")

    def verify(self, secret: str | None) -> bool:
        """Whether the signature is the HMAC-SHA256 of the body with ``secret``."""
        return bool(secret) and verify(str(secret), self.body, self.signature)


@dataclass
class WebhookReceiver:
    """A receiving endpoint: ``url`` to subscribe, ``received`` to inspect."""

    url: str
    received: list[ReceivedDelivery] = field(default_factory=list)
    secret: str | None = None
    webhook_id: str | None = None
    check_signatures: bool = False
    answer: Callable[[ReceivedDelivery], int] | None = None
    _script: list[int] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pump: Callable[[float], None] | None = field(default=None, repr=False)
    _cleanups: list[Callable[[], None]] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ scripting
    def respond(self, *statuses: int) -> WebhookReceiver:
        """Answer the next deliveries with these statuses (then 200 again)."""
        with self._lock:
            self._script.extend(int(s) for s in statuses)
        return self

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        """Record one delivery and return the status to answer (used by both transports)."""
        headers = {k.lower(): v for k, v in headers.items()}
        probe = ReceivedDelivery(headers, body, 0, time.time())
        with self._lock:
            if self._script:
                status = self._script.pop(0)
            elif self.check_signatures and not probe.verify(self.secret):
                status = 400
            elif self.answer is not None:
                status = int(self.answer(probe))
            else:
                status = 200
            self.received.append(ReceivedDelivery(headers, body, status, probe.received_at))
        return status

    # ------------------------------------------------------------------ subscribing
    def subscribe(self, client: Any, *, team_id: str | None = None, resource_types: Any = ("Issue",),
                  all_public_teams: bool | None = None, secret: str | None = None,
                  label: str | None = None) -> dict[str, Any]:
        """``webhookCreate`` for this URL through ``client`` (a :class:`LinearClient`);
        remembers the webhook's id and secret and deletes the webhook at teardown."""
        data: dict[str, Any] = {"url": self.url, "resourceTypes": list(resource_types)}
        if team_id is not None:
            data["teamId"] = team_id
        if all_public_teams is not None or team_id is None:
            data["allPublicTeams"] = True if all_public_teams is None else all_public_teams
        if secret is not None:
            data["secret"] = secret
        if label is not None:
            data["label"] = label
        webhook = client.execute(_MUTATION_CREATE, {"input": data})["webhookCreate"]["webhook"]
        self.webhook_id, self.secret = webhook["id"], webhook["secret"]
        webhook_id = webhook["id"]

        def delete() -> None:
            with contextlib.suppress(Exception):  # already gone is fine at teardown
                client.execute(_MUTATION_DELETE, {"id": webhook_id})

        self._cleanups.append(delete)
        return webhook

    # ------------------------------------------------------------------ reading
    def wait(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedDelivery]:
        """The deliveries once at least ``count`` arrived (sends what is due first; waits at
        most ``timeout`` real seconds for a background sender). Raises AssertionError with
        what did arrive otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            if self._pump is not None:
                self._pump(max(0.0, deadline - time.monotonic()))
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            if time.monotonic() >= deadline:
                with self._lock:
                    got = [(d.event, d.action, d.delivery_id) for d in self.received]
                raise AssertionError(f"expected {count} webhook deliveries at {self.url}, got {len(got)}: {got}")
            time.sleep(0.01)

    def events(self, event: str | None = None, action: str | None = None) -> list[ReceivedDelivery]:
        """Received deliveries of one resource type and/or action."""
        with self._lock:
            items = list(self.received)
        return [d for d in items if (event is None or d.event == event) and (action is None or d.action == action)]

    def delivery_ids(self) -> list[str]:
        """``Linear-Delivery`` of every received POST, in arrival order (repeats kept)."""
        with self._lock:
            return [d.delivery_id or "" for d in self.received]

    def clear(self) -> None:
        """Forget what was received (scripted answers stay)."""
        with self._lock:
            self.received.clear()

    def close(self) -> None:
        """Delete the webhooks this receiver subscribed and stop its endpoint."""
        while self._cleanups:
            self._cleanups.pop()()


# ---------------------------------------------------------------------- endpoints
@contextlib.contextmanager
def in_process_receiver(fake: Any, url: str | None = None) -> Iterator[WebhookReceiver]:
    """A receiver registered with an in-process ``FakeLinear`` (no port)."""
    url = url or f"https://webhooks.fakelinear.test/{uuid.uuid4().hex}"
    receiver = WebhookReceiver(url)

    def handle(request: Any) -> int:
        return receiver.receive(request.headers, request.body)

    def pump(timeout: float) -> None:
        fake.webhooks.flush(timeout)

    receiver._pump = pump
    fake.webhooks.register(url, handle, kind="callable")
    receiver._cleanups.append(lambda: fake.webhooks.unregister(url))
    try:
        yield receiver
    finally:
        receiver.close()


class _Handler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("content-length") or 0)
        if length > _MAX_BODY:
            self.send_response(413)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = self.rfile.read(length)
        status = self.receiver.receive(dict(self.headers.items()), body)
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
        return None


@contextlib.contextmanager
def loopback_receiver(control: Any = None, path: str = "/linear-webhook") -> Iterator[WebhookReceiver]:
    """A receiver behind a real HTTP endpoint on 127.0.0.1 (an ephemeral port).
    ``control``: a handle with ``get(path)`` on a loopback fake (its control API), used by
    :meth:`WebhookReceiver.wait` to have due deliveries sent."""
    receiver = WebhookReceiver("")
    handler = type("_BoundHandler", (_Handler,), {"receiver": receiver})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="webhook-receiver", daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    if control is not None:
        def pump(_timeout: float) -> None:
            with contextlib.suppress(Exception):  # a poll; the wait loop retries
                control.get("/_fake/webhooks/status")

        receiver._pump = pump

    def stop() -> None:
        server.shutdown()
        server.server_close()

    receiver._cleanups.append(stop)
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def webhook_receiver(linear_backend: Any) -> Iterator[WebhookReceiver]:
    """A webhook endpoint for this test and the list of what it received (see the module
    docstring); webhooks it subscribed are deleted at teardown."""
    handle = linear_backend.fake
    if handle is None:
        pytest.skip("webhook deliveries need the fake (--linear=fake or server): Linear cannot reach this machine")
    # In fake mode the handle wraps the in-process FakeLinear; in server mode it speaks HTTP.
    local = getattr(handle, "_fake", handle)
    if hasattr(local, "webhooks"):
        with in_process_receiver(local) as receiver:
            yield receiver
        return
    with httpx.Client(base_url=handle.base_url, timeout=10.0) as control, loopback_receiver(control) as receiver:
        yield receiver
