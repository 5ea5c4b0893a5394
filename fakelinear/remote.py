"""A client for a fake running elsewhere (``fakelinear serve``), over its ``/_fake/`` API.

:class:`RemoteFake` has the members of :class:`fakelinear.handle.FakeHandle`, like the
in-process :class:`~fakelinear.handle.LocalFake`: ``fake.faults.gateway_error(502)``,
``fake.journal.assert_called(operation="issueCreate", times=1)``, ``fake.clock.advance(60)``
read the same in both modes. A refused fault plan raises
:class:`~fakelinear.faults.FaultPlanError` (the server's message), any other refused control
call :class:`RemoteFakeError`.

    fake = RemoteFake("http://127.0.0.1:8765", tokens=pool)
"""

from __future__ import annotations

from typing import Any

import httpx

from fakelinear.faults.journal import JournalEntry, JournalQueries
from fakelinear.faults.overrides import FaultOverridesBase
from fakelinear.faults.plan import FaultPlan, FaultPlanError
from fakelinear.handle import FakeHandle

__all__ = ["RemoteFake", "RemoteFakeError", "RemoteFaults", "RemoteJournal", "RemoteClock"]

CONTROL_KEY_HEADER = "X-Fake-Control-Key"
_PLAN_PREFIX = "invalid fault plan: "


class RemoteFakeError(RuntimeError):
    """A control call the server refused (status and the server's message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class RemoteFake(FakeHandle):
    """:class:`FakeHandle` over HTTP.

    Args:
        base_url: the server's base URL (``http://127.0.0.1:PORT``; GraphQL at ``/graphql``).
        tokens: the whole API keys of its workspaces (the server only ever shows them masked;
            ``fakelinear serve --tokens-file`` writes them); keys of workspaces added through
            this handle are appended.
        control_key: the server's ``--control-key``, when it has one.
        timeout: seconds per control call.
    """

    def __init__(
        self,
        base_url: str,
        tokens: list[str] | None = None,
        control_key: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._tokens = list(tokens or [])
        headers = {CONTROL_KEY_HEADER: control_key} if control_key else {}
        self._http = httpx.Client(timeout=timeout, headers=headers)
        self._faults = RemoteFaults(self)
        self._journal = RemoteJournal(self)
        self._clock = RemoteClock(self)

    # -- HTTP ------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        query = {k: _param(v) for k, v in params.items() if v is not None}
        response = self._http.request(
            method, self._base_url + path, json=body if method == "POST" else None, params=query or None
        )
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": response.text[:500]}
        if response.status_code >= 400:
            message = str(payload.get("error", payload)) if isinstance(payload, dict) else str(payload)
            if message.startswith(_PLAN_PREFIX):
                raise FaultPlanError(message[len(_PLAN_PREFIX) :])
            raise RemoteFakeError(response.status_code, message)
        return payload

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- FakeHandle ------------------------------------------------------------------
    @property
    def faults(self) -> RemoteFaults:
        return self._faults

    @property
    def journal(self) -> RemoteJournal:
        return self._journal

    @property
    def clock(self) -> RemoteClock:
        return self._clock

    @property
    def tokens(self) -> list[str]:
        return list(self._tokens)

    @property
    def url(self) -> str:
        return self._base_url + "/graphql"

    def reset(self) -> None:
        self._call("POST", "/_fake/reset")

    def workspaces(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_fake/workspaces")["workspaces"])

    def add_workspace(
        self, name: str | None = None, plan: str | None = None, seed_content: bool | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in {"name": name, "plan": plan, "seed_content": seed_content}.items() if v is not None}
        created = self._call("POST", "/_fake/workspaces", body)
        self._tokens.append(created["token"])
        shown = self.workspaces()[created["index"]]
        return {**shown, "token": created["token"]}

    def snapshot(self) -> dict[str, Any]:
        return dict(self._call("GET", "/_fake/state"))

    def begin_scope(self, name: str | None) -> None:
        self._journal.since = int(self._call("POST", "/_fake/scope", {"name": name})["journal_mark"])

    def __enter__(self) -> RemoteFake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteFaults(FaultOverridesBase):
    """``fake.faults`` over ``/_fake/faults``: the same methods as the in-process handle."""

    def __init__(self, fake: RemoteFake) -> None:
        self._fake = fake

    @property
    def plan(self) -> FaultPlan:
        return FaultPlan.from_dict(self._fake._call("GET", "/_fake/faults")["plan"])

    def apply(self, plan: FaultPlan | dict[str, Any]) -> RemoteFaults:
        data = plan.to_dict() if isinstance(plan, FaultPlan) else plan
        self._fake._call("POST", "/_fake/faults", {"plan": _jsonable(data)})
        return self

    def clear(self) -> RemoteFaults:
        self._fake._call("POST", "/_fake/faults/clear")
        return self

    def use(self, plan: FaultPlan | dict[str, Any] | str) -> RemoteFaults:
        if isinstance(plan, str):
            body: dict[str, Any] = {"profile": plan}
        else:
            body = {"plan": _jsonable(plan.to_dict() if isinstance(plan, FaultPlan) else plan)}
        self._fake._call("POST", "/_fake/faults/use", body)
        return self


class RemoteJournal(JournalQueries):
    """The server's journal after this handle's mark (``GET /_fake/journal?since=N``)."""

    def __init__(self, fake: RemoteFake, since: int = 0) -> None:
        self._fake = fake
        self.since = since

    def entries(
        self,
        operation: str | None = None,
        decision: str | None = None,
        committed: bool | None = None,
        workspace_id: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        rows = self._fake._call(
            "GET",
            "/_fake/journal",
            operation=operation,
            decision=decision,
            committed=committed,
            workspace_id=workspace_id,
            status=status,
            since=self.since or None,
        )["entries"]
        return [JournalEntry.from_dict(row) for row in rows]

    def clear(self) -> None:
        latest = self._fake._call("GET", "/_fake/journal", since=self.since or None, limit=1)["entries"]
        if latest:
            self.since = int(latest[-1]["seq"])

    def __repr__(self) -> str:
        return f"RemoteJournal(since={self.since})"


class RemoteClock:
    """The server's clock: ``now`` asks it, ``advance``/``sleep`` move it (a virtual clock
    moves; a real one gets an offset), ``set`` jumps forward to a time."""

    def __init__(self, fake: RemoteFake) -> None:
        self._fake = fake

    @property
    def virtual(self) -> bool:
        """True when the server runs on a virtual clock (``--virtual-clock``)."""
        return bool(self._fake._call("GET", "/_fake/clock")["virtual"])

    def now(self) -> float:
        """The server's current time (epoch seconds)."""
        return float(self._fake._call("GET", "/_fake/clock")["now"])

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the new time."""
        return float(self._fake._call("POST", "/_fake/clock/advance", {"seconds": seconds})["now"])

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` (a test's sleep on the fake's time)."""
        if seconds > 0:
            self.advance(seconds)

    def set(self, timestamp: float) -> None:
        """Jump to ``timestamp`` (never backwards: ValueError)."""
        now = self.now()
        if timestamp < now:
            raise ValueError("a clock cannot go backwards")
        self.advance(timestamp - now)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _jsonable(data: Any) -> Any:
    # Tuples (``on``) become lists; everything else in a plan dict is JSON already.
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_jsonable(v) for v in data]
    return data
