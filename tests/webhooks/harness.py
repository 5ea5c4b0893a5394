"""Drivers for webhook tests, the same interface in both modes.

* ``InProcess``: a ``FakeLinear`` on a virtual clock, GraphQL through ``fake.handle`` (the
  seam every transport uses), a receiver registered in-process; deliveries arrive inline.
* ``Loopback``: the same fake served by uvicorn on 127.0.0.1 (``ServerThread``), GraphQL and
  the control API over real HTTP, a real HTTP receiver; deliveries come from the fake's
  background sender, so every step waits until the dispatcher is idle.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from fakelinear import FakeLinear, ServerThread
from fakelinear.http import Request
from fakelinear.testkit.webhooks import WebhookReceiver, in_process_receiver, loopback_receiver

WEBHOOK_CREATE = """mutation($input: WebhookCreateInput!) {
  webhookCreate(input: $input) { success webhook { id secret enabled url } }
}"""
ISSUE_CREATE = """mutation($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier updatedAt } }
}"""
ISSUE_UPDATE = """mutation($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { id updatedAt } }
}"""
ISSUE_DELETE = "mutation($id: String!) { issueDelete(id: $id) { success } }"


class GraphQLError(AssertionError):
    """A GraphQL answer with errors where the test expected data."""


class Driver:
    """Shared GraphQL helpers; subclasses provide ``post`` and the clock."""

    fake: FakeLinear
    receiver: WebhookReceiver
    token: str

    def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        status, body = self.post({"query": query, "variables": variables})
        if status != 200 or body.get("errors"):
            raise GraphQLError(f"HTTP {status}: {body}")
        return body["data"]  # type: ignore[no-any-return]

    def team_id(self, key: str = "ENG") -> str:
        return str(self.gql("query($id: String!) { team(id: $id) { id } }", {"id": key})["team"]["id"])

    def subscribe(self, resource_types: tuple[str, ...] = ("Issue",), **fields: Any) -> dict[str, Any]:
        data = {"url": self.receiver.url, "resourceTypes": list(resource_types), **fields}
        if "teamId" not in data and "allPublicTeams" not in data:
            data["allPublicTeams"] = True
        hook = self.gql(WEBHOOK_CREATE, {"input": data})["webhookCreate"]["webhook"]
        self.receiver.secret = hook["secret"]
        self.receiver.webhook_id = hook["id"]
        return hook  # type: ignore[no-any-return]

    def create_issue(self, title: str, **fields: Any) -> dict[str, Any]:
        data = {"teamId": self.team_id(), "title": title, **fields}
        return self.gql(ISSUE_CREATE, {"input": data})["issueCreate"]["issue"]  # type: ignore[no-any-return]

    def update_issue(self, issue_id: str, **changes: Any) -> dict[str, Any]:
        return self.gql(ISSUE_UPDATE, {"id": issue_id, "input": changes})["issueUpdate"]["issue"]  # type: ignore[no-any-return]

    def delete_issue(self, issue_id: str) -> None:
        self.gql(ISSUE_DELETE, {"id": issue_id})

    def advance(self, seconds: float) -> None:
        raise NotImplementedError

    def settle(self) -> None:
        """Wait until every due delivery has been sent (no-op in-process)."""

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery with its attempts, as the control API shows them."""
        raise NotImplementedError


class InProcess(Driver):
    """The fake in this process; deliveries arrive inline."""

    mode = "in_process"

    def __init__(self, fake: FakeLinear, receiver: WebhookReceiver) -> None:
        self.fake = fake
        self.receiver = receiver
        self.token = fake.tokens[0]

    def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = self.fake.handle(Request(
            "POST", "/graphql", {"authorization": self.token, "content-type": "application/json"},
            json.dumps(body).encode(),
        ))
        try:
            return response.status, json.loads(response.body) if response.body else {}
        except ValueError:  # a gateway's HTML page
            return response.status, {"html": response.body.decode("utf-8", "replace")}

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        path, _, query = path.partition("?")
        response = self.fake.handle(Request(method, path, {"content-type": "application/json"},
                                            json.dumps(body or {}).encode() if method == "POST" else b"",
                                            query))
        return response.status, json.loads(response.body)

    def advance(self, seconds: float) -> None:
        self.fake.advance(seconds)

    def deliveries(self) -> list[dict[str, Any]]:
        return [d.to_dict(with_body=True) for d in self.fake.webhooks.deliveries()]


class Loopback(Driver):
    """The fake behind uvicorn on 127.0.0.1; real HTTP both ways."""

    mode = "loopback"

    def __init__(self, fake: FakeLinear, server: ServerThread, receiver: WebhookReceiver) -> None:
        self.fake = fake
        self.server = server
        self.receiver = receiver
        self.token = fake.tokens[0]
        self.http = httpx.Client(base_url=server.base_url, timeout=10.0)

    def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = self.http.post("/graphql", json=body, headers={"authorization": self.token})
        try:
            result = response.status_code, response.json() if response.content else {}
        except ValueError:  # a gateway's HTML page
            result = response.status_code, {"html": response.text}
        self.settle()
        return result

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = self.http.request(method, path, json=body if method == "POST" else None)
        return response.status_code, response.json()

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def advance(self, seconds: float) -> None:
        self.http.post("/_fake/clock/advance", json={"seconds": seconds}).raise_for_status()
        self.settle()

    def settle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/_fake/webhooks/status")["idle"]:
                return
            time.sleep(0.005)
        raise AssertionError("the fake's webhook sender did not settle")

    def deliveries(self) -> list[dict[str, Any]]:
        return self.get("/_fake/webhooks/deliveries?body=1")["deliveries"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()


@contextlib.contextmanager
def driver(mode: str, **fake_kwargs: Any) -> Iterator[Driver]:
    """A fresh fake (virtual clock) and receiver in ``mode`` (``in_process``/``loopback``)."""
    fake = FakeLinear(**fake_kwargs)
    if mode == "in_process":
        with in_process_receiver(fake) as receiver:
            yield InProcess(fake, receiver)
        return
    with ServerThread(fake) as server:
        loop = None
        try:
            with loopback_receiver() as receiver:
                loop = Loopback(fake, server, receiver)
                yield loop
        finally:
            if loop is not None:
                loop.close()
            fake.webhooks.close()


MODES = ("in_process", "loopback")
