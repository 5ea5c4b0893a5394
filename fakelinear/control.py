"""The control API under ``/_fake/``: the same in-process and on loopback.

Routes (JSON in, JSON out):

* ``POST /_fake/reset``: back to the initial state (same keys).
* ``GET /_fake/workspaces``: workspaces with *masked* keys.
  ``POST /_fake/workspaces`` ``{"name"?, "plan"?, "seed_content"?}``: create one; the answer
  carries its whole key (the only way a loopback client can learn it).
* ``GET /_fake/state``: the model snapshot.
* ``GET /_fake/journal``: the request journal; query parameters filter it
  (``?operation=issueCreate&decision=fault&committed=true&status=200&since=41&limit=50``).
* ``GET /_fake/faults``: the fault plan in force (TOML field names).
  ``POST /_fake/faults``: a JSON fault plan whose rules are added to the plan in force;
  ``{"replace": true, "plan": {...}}`` or ``{"profile": "storm"}`` replaces it instead.
* ``POST /_fake/faults/clear``: drop every override (back to the configured plan).
  ``POST /_fake/faults/use`` ``{"plan": {...}}`` or ``{"profile": name}``: that plan in force
  instead of everything until the next clear (``fake.faults.use``/``calm``/``profile``).
* ``POST /_fake/scope`` ``{"name": "tests/test_x.py::test_y"}``: begin one test's scope
  (see ``FakeLinear.begin_scope``); answers ``{"journal_mark": n}``.
* ``POST /_fake/clock/advance`` ``{"seconds": n}``; ``GET /_fake/clock``.
* ``/_fake/webhooks/...``: deliveries, redelivery, flush (see :mod:`fakelinear.webhooks.control`).

When the fake has a ``control_key``, every request must carry it in ``X-Fake-Control-Key``
(compared in constant time); without it the answer is 401 and nothing happens.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fakelinear.clock import iso
from fakelinear.http import Request, Response

if TYPE_CHECKING:
    from fakelinear.handler import FakeLinear

CONTROL_KEY_HEADER = "x-fake-control-key"
_MAX_CONTROL_BODY = 256 * 1024


class ControlError(Exception):
    """A control request we refuse, with the status to send."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(status: int, body: Any) -> Response:
    return Response(
        status=status,
        headers={"content-type": "application/json; charset=utf-8", "cache-control": "no-store"},
        body=json.dumps(body, separators=(",", ":"), default=str).encode(),
    )


def _body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    if len(request.body) > _MAX_CONTROL_BODY:
        raise ControlError(413, "control request body too large")
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ControlError(400, "control request body must be a JSON object") from exc
    if not isinstance(payload, dict):
        raise ControlError(400, "control request body must be a JSON object")
    return payload


def _authorized(fake: FakeLinear, request: Request) -> bool:
    if not fake.control_key:
        return True
    given = request.headers.get(CONTROL_KEY_HEADER, "")
    return hmac.compare_digest(given.encode("utf-8", "replace"), fake.control_key.encode())


def _plan_dict(plan: Any) -> Any:
    to_dict = getattr(plan, "to_dict", None)
    return to_dict() if callable(to_dict) else plan


def _journal_entries(fake: FakeLinear, query: dict[str, str]) -> list[Any]:
    limit = None
    if "limit" in query:
        try:
            limit = max(0, int(query.pop("limit")))
        except ValueError as exc:
            raise ControlError(400, "limit must be an integer") from exc
    filters: dict[str, Any] = {}
    for name, value in query.items():
        if name in {"operation_name", "op"}:
            name = "operation"
        # Query strings are text; numeric fields (status, seq) compare as numbers.
        if name in {"status", "seq", "since"}:
            try:
                filters[name] = int(value)
            except ValueError as exc:
                raise ControlError(400, f"{name} must be an integer") from exc
        elif name == "committed":
            filters[name] = value.lower() in {"1", "true", "yes"}
        else:
            filters[name] = value
    try:
        entries = fake.journal.entries(**filters)
    except TypeError as exc:
        raise ControlError(400, f"unknown journal filter: {sorted(filters)}") from exc
    rows = [e.to_dict() for e in entries]
    if limit is not None:
        rows = rows[-limit:] if limit else []
    return rows


def handle(fake: FakeLinear, request: Request) -> Response:
    """Answer one ``/_fake/...`` request (the caller catches unexpected exceptions)."""
    if not _authorized(fake, request):
        return _json(401, {"error": "control key required (X-Fake-Control-Key)"})
    path = request.path.split("?", 1)[0].rstrip("/")
    method = request.method.upper()
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    try:
        return _route(fake, method, path, request, query)
    except ControlError as exc:
        return _json(exc.status, {"error": exc.message})


def _route(
    fake: FakeLinear, method: str, path: str, request: Request, query: dict[str, str]
) -> Response:
    if path.startswith("/_fake/webhooks"):
        from fakelinear.webhooks.control import route as webhooks_route

        return webhooks_route(fake, method, path, request, query)
    if path == "/_fake/reset":
        _only(method, "POST")
        fake.reset()
        return _json(200, {"ok": True, "workspaces": fake.workspaces()})
    if path == "/_fake/workspaces":
        if method == "GET":
            return _json(200, {"workspaces": fake.workspaces()})
        _only(method, "GET", "POST")
        body = _body(request)
        name = body.get("name")
        plan = body.get("plan")
        seed_content = body.get("seed_content", body.get("seedContent"))
        if name is not None and not isinstance(name, str):
            raise ControlError(400, "name must be a string")
        if plan is not None and plan not in {"free", "unlimited"}:
            raise ControlError(400, "plan must be 'free' or 'unlimited'")
        ws, token = fake.add_workspace(
            name=name, plan=plan, seed_content=None if seed_content is None else bool(seed_content)
        )
        index = fake.tokens.index(token)
        return _json(
            201,
            {
                "index": index,
                "id": ws.id,
                "name": getattr(ws, "name", None),
                "token": token,
                "token_masked": fake.workspaces()[index]["token_masked"],
            },
        )
    if path == "/_fake/state":
        _only(method, "GET")
        return _json(200, fake.snapshot())
    if path == "/_fake/journal":
        _only(method, "GET")
        with fake.lock:
            return _json(200, {"entries": _journal_entries(fake, query)})
    if path == "/_fake/faults":
        if method == "GET":
            return _json(200, {"plan": _plan_dict(fake.plan)})
        _only(method, "GET", "POST")
        body = _body(request)
        try:
            if "profile" in body:
                fake.set_plan(str(body["profile"]))
            elif body.get("replace"):
                fake.set_plan(body.get("plan") or {})
            else:
                fake.add_plan(body.get("plan", body))
        except Exception as exc:  # noqa: BLE001 - a bad plan is the caller's error
            raise ControlError(400, f"invalid fault plan: {exc}") from exc
        return _json(200, {"plan": _plan_dict(fake.plan)})
    if path == "/_fake/faults/clear":
        _only(method, "POST")
        fake.faults.clear()
        return _json(200, {"plan": _plan_dict(fake.plan)})
    if path == "/_fake/faults/use":
        _only(method, "POST")
        body = _body(request)
        try:
            fake.faults.use(str(body["profile"]) if "profile" in body else body.get("plan", {}))
        except Exception as exc:  # noqa: BLE001 - a bad plan is the caller's error
            raise ControlError(400, f"invalid fault plan: {exc}") from exc
        return _json(200, {"plan": _plan_dict(fake.plan)})
    if path == "/_fake/scope":
        _only(method, "POST")
        name = _body(request).get("name")
        if name is not None and not isinstance(name, str):
            raise ControlError(400, "name must be a string or null")
        return _json(200, {"journal_mark": fake.begin_scope(name)})
    if path == "/_fake/clock":
        _only(method, "GET")
        return _clock(fake)
    if path == "/_fake/clock/advance":
        _only(method, "POST")
        body = _body(request)
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError(400, "seconds must be a non-negative number")
        try:
            fake.advance(float(seconds))
        except TypeError as exc:
            raise ControlError(400, str(exc)) from exc
        return _clock(fake)
    raise ControlError(404, f"no control route {path[:200]}")


def _clock(fake: FakeLinear) -> Response:
    now = fake.clock.now()
    return _json(
        200, {"now": now, "iso": iso(now), "virtual": bool(getattr(fake.clock, "virtual", False))}
    )


def _only(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise ControlError(405, f"method {method} not allowed here (use {', '.join(allowed)})")
