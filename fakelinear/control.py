"""The control API under ``/_fake/``: one route table, the same in-process and on loopback.

:data:`URL_PATHS` maps each path to its methods (as moto's ``url_paths`` do); a route names
its handler, the JSON body fields it accepts and whether it needs the control key. Routes
(JSON in, JSON out):

* ``GET /_fake/health``: ``{"status": "ok", "version", "schema_version", "uptime_seconds",
  "workspaces"}``; open even with a control key (it reveals no state and no key).
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
* ``/_fake/webhooks/...``: deliveries, redelivery, status (see :mod:`fakelinear.webhooks.control`,
  which routes below that prefix itself).

Bodies are validated before anything happens: a JSON object (``NaN``/``Infinity`` are not
JSON), only the route's fields, numbers finite and within bounds; otherwise HTTP 400 with
``{"error": "<what is wrong>"}``. A change the ``--state`` file could not record is rolled
back and answered with 503. When the fake has a ``control_key``, every route but health
needs it in ``X-Fake-Control-Key`` (compared in constant time); without it the answer is
401 and nothing happens.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from fakelinear.clock import iso
from fakelinear.http import Request, Response

__all__ = [
    "CONTROL_KEY_HEADER",
    "MAX_ADVANCE_SECONDS",
    "MAX_WORKSPACES",
    "URL_PATHS",
    "ControlError",
    "ControlTarget",
    "PersistError",
    "Route",
    "handle",
]

CONTROL_KEY_HEADER = "x-fake-control-key"
#: Routes under this prefix belong to :mod:`fakelinear.webhooks.control`.
WEBHOOKS_PREFIX = "/_fake/webhooks"
_MAX_CONTROL_BODY = 256 * 1024
#: One clock step may skip at most a century (virtual time never needs more; the clock
#: itself also refuses to pass the year 9999).
MAX_ADVANCE_SECONDS = 100 * 365.25 * 86400
#: Workspaces one fake may hold (each one is a key, a model and journal rows).
MAX_WORKSPACES = 1000
_MAX_NAME = 256
_PLANS = ("free", "unlimited")


class ControlError(Exception):
    """A control request we refuse, with the status to send."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PersistError(RuntimeError):
    """A change could not be written to the ``--state`` file and was rolled back."""


class ControlTarget(Protocol):
    """What the control API needs from the fake (``FakeLinear`` provides it)."""

    lock: threading.RLock
    control_key: str | None

    @property
    def clock(self) -> Any: ...  # noqa: D102

    @property
    def journal(self) -> Any: ...  # noqa: D102

    @property
    def plan(self) -> Any: ...  # noqa: D102

    @property
    def tokens(self) -> list[str]: ...  # noqa: D102

    def reset(self) -> None: ...  # noqa: D102

    def workspaces(self) -> list[dict[str, Any]]: ...  # noqa: D102

    def add_workspace(self, name: str | None = None, plan: str | None = None, seed_content: bool | None = None) -> tuple[Any, str]: ...  # noqa: D102, E501

    def snapshot(self) -> dict[str, Any]: ...  # noqa: D102

    def set_plan(self, plan: Any) -> None: ...  # noqa: D102

    def add_plan(self, plan: Any) -> Any: ...  # noqa: D102

    def advance(self, seconds: float) -> float: ...  # noqa: D102

    def health(self) -> dict[str, Any]: ...  # noqa: D102

    @property
    def faults(self) -> Any: ...  # noqa: D102

    def begin_scope(self, name: str | None) -> int: ...  # noqa: D102


@dataclass(frozen=True, slots=True)
class Call:
    """One control request, parsed: its JSON body (validated against the route) and query."""

    body: dict[str, Any]
    query: dict[str, str]


Handler = Callable[[ControlTarget, Call], Response]


@dataclass(frozen=True, slots=True)
class Route:
    """One method of one path: the handler, the body fields it accepts (None: the handler
    validates the body itself), and whether it is open without the control key."""

    handler: Handler
    fields: frozenset[str] | None = frozenset()
    public: bool = False


def _json(status: int, body: Any) -> Response:
    return Response(
        status=status,
        headers={"content-type": "application/json; charset=utf-8", "cache-control": "no-store"},
        body=json.dumps(body, separators=(",", ":"), default=str, allow_nan=False).encode(),
    )


def _reject_constant(name: str) -> Any:
    raise ControlError(400, f"{name} is not a JSON number (use a finite number)")


def _body(request: Request, fields: frozenset[str] | None) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    if len(request.body) > _MAX_CONTROL_BODY:
        raise ControlError(413, "control request body too large")
    try:
        payload = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ControlError(400, "control request body must be a JSON object") from exc
    if not isinstance(payload, dict):
        raise ControlError(400, "control request body must be a JSON object")
    if fields is not None:
        unknown = sorted(set(payload) - fields)
        if unknown:
            allowed = ", ".join(sorted(fields)) or "none"
            raise ControlError(400, f"unknown field {unknown[0][:64]!r} (allowed: {allowed})")
    return payload


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(400, f"{name} must be a number")
    if not math.isfinite(value) or not low <= value <= high:
        raise ControlError(400, f"{name} must be a finite number from {low:g} to {high:g}")
    return float(value)


def _only(method: str, *allowed: str) -> None:
    """405 unless ``method`` is one of ``allowed`` (for routers of their own prefix)."""
    if method not in allowed:
        raise ControlError(405, f"method {method[:16]} not allowed here (use {', '.join(allowed)})")


def _authorized(target: ControlTarget, request: Request) -> bool:
    if not target.control_key:
        return True
    given = request.headers.get(CONTROL_KEY_HEADER, "")
    return hmac.compare_digest(given.encode("utf-8", "replace"), target.control_key.encode())


def _plan_dict(plan: Any) -> Any:
    to_dict = getattr(plan, "to_dict", None)
    return to_dict() if callable(to_dict) else plan


# ---------------------------------------------------------------------------- handlers


def _health(target: ControlTarget, _call: Call) -> Response:
    return _json(200, target.health())


def _reset(target: ControlTarget, _call: Call) -> Response:
    target.reset()
    return _json(200, {"ok": True, "workspaces": target.workspaces()})


def _list_workspaces(target: ControlTarget, _call: Call) -> Response:
    return _json(200, {"workspaces": target.workspaces()})


def _create_workspace(target: ControlTarget, call: Call) -> Response:
    body = call.body
    name = body.get("name")
    plan = body.get("plan")
    seed_content = body.get("seed_content", body.get("seedContent"))
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME):
        raise ControlError(400, f"name must be a non-empty string of at most {_MAX_NAME} characters")
    if plan is not None and plan not in _PLANS:
        raise ControlError(400, "plan must be 'free' or 'unlimited'")
    if seed_content is not None and not isinstance(seed_content, bool):
        raise ControlError(400, "seed_content must be true or false")
    if len(target.tokens) >= MAX_WORKSPACES:
        raise ControlError(400, f"a fake holds at most {MAX_WORKSPACES} workspaces")
    ws, token = target.add_workspace(name=name, plan=plan, seed_content=seed_content)
    listed = target.workspaces()
    index = target.tokens.index(token)
    return _json(
        201,
        {
            "index": index,
            "id": ws.id,
            "name": getattr(ws, "name", None),
            "token": token,
            "token_masked": listed[index]["token_masked"],
        },
    )


def _state(target: ControlTarget, _call: Call) -> Response:
    return _json(200, target.snapshot())


def _journal(target: ControlTarget, call: Call) -> Response:
    query = dict(call.query)
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
        entries = target.journal.entries(**filters)
    except TypeError as exc:
        raise ControlError(400, f"unknown journal filter: {sorted(filters)}") from exc
    rows = [e.to_dict() for e in entries]
    if limit is not None:
        rows = rows[-limit:] if limit else []
    return _json(200, {"entries": rows})


def _get_faults(target: ControlTarget, _call: Call) -> Response:
    return _json(200, {"plan": _plan_dict(target.plan)})


def _post_faults(target: ControlTarget, call: Call) -> Response:
    body = call.body
    try:
        if "profile" in body:
            if set(body) != {"profile"} or not isinstance(body["profile"], str):
                raise ValueError("{'profile': NAME} takes a profile name and nothing else")
            target.set_plan(body["profile"])
        elif "replace" in body:
            if not isinstance(body["replace"], bool) or not set(body) <= {"replace", "plan"}:
                raise ValueError("{'replace': true, 'plan': {...}} takes those two fields only")
            if body["replace"]:
                target.set_plan(body.get("plan") or {})
            else:
                target.add_plan(body.get("plan") or {})
        else:
            target.add_plan(body.get("plan", body) if set(body) == {"plan"} else body)
    except ControlError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad plan is the caller's error
        raise ControlError(400, f"invalid fault plan: {exc}") from exc
    return _json(200, {"plan": _plan_dict(target.plan)})


def _clear_faults(target: ControlTarget, _call: Call) -> Response:
    target.faults.clear()
    return _json(200, {"plan": _plan_dict(target.plan)})


def _use_faults(target: ControlTarget, call: Call) -> Response:
    body = call.body  # {} means an empty plan: no faults until the next clear
    if len(body) > 1:
        raise ControlError(400, "give either {'profile': NAME} or {'plan': {...}}, not both")
    if "profile" in body and not isinstance(body["profile"], str):
        raise ControlError(400, "profile must be a profile name")
    try:
        target.faults.use(body["profile"] if "profile" in body else body.get("plan", {}))
    except Exception as exc:  # noqa: BLE001 - a bad plan is the caller's error
        raise ControlError(400, f"invalid fault plan: {exc}") from exc
    return _json(200, {"plan": _plan_dict(target.plan)})


def _scope(target: ControlTarget, call: Call) -> Response:
    name = call.body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 4096):
        raise ControlError(400, "name must be a string (at most 4096 characters) or null")
    return _json(200, {"journal_mark": target.begin_scope(name)})


def _clock_response(target: ControlTarget) -> Response:
    now = target.clock.now()
    return _json(200, {"now": now, "iso": iso(now), "virtual": bool(getattr(target.clock, "virtual", False))})


def _get_clock(target: ControlTarget, _call: Call) -> Response:
    return _clock_response(target)


def _advance_clock(target: ControlTarget, call: Call) -> Response:
    if "seconds" not in call.body:
        raise ControlError(400, "seconds is required")
    seconds = _number(call.body, "seconds", 0, MAX_ADVANCE_SECONDS)
    try:
        target.advance(seconds)
    except (TypeError, ValueError) as exc:
        raise ControlError(400, str(exc)) from exc
    return _clock_response(target)


#: path -> method -> route (the whole control API).
URL_PATHS: dict[str, dict[str, Route]] = {
    "/_fake/health": {"GET": Route(_health, public=True)},
    "/_fake/reset": {"POST": Route(_reset)},
    "/_fake/workspaces": {
        "GET": Route(_list_workspaces),
        "POST": Route(_create_workspace, frozenset({"name", "plan", "seed_content", "seedContent"})),
    },
    "/_fake/state": {"GET": Route(_state)},
    "/_fake/journal": {"GET": Route(_journal)},
    "/_fake/faults": {"GET": Route(_get_faults), "POST": Route(_post_faults, None)},
    "/_fake/faults/clear": {"POST": Route(_clear_faults)},
    "/_fake/faults/use": {"POST": Route(_use_faults, frozenset({"profile", "plan"}))},
    "/_fake/scope": {"POST": Route(_scope, frozenset({"name"}))},
    "/_fake/clock": {"GET": Route(_get_clock)},
    "/_fake/clock/advance": {"POST": Route(_advance_clock, frozenset({"seconds"}))},
}


def handle(target: ControlTarget, request: Request) -> Response:
    """Answer one ``/_fake/...`` request (the caller holds the fake's lock and turns
    unexpected exceptions into 500)."""
    path = request.path.split("?", 1)[0].rstrip("/")
    methods = URL_PATHS.get(path)
    method = request.method.upper()
    route = methods.get(method) if methods else None
    if not (route is not None and route.public) and not _authorized(target, request):
        return _json(401, {"error": "control key required (X-Fake-Control-Key)"})
    try:
        if methods is None and (path == WEBHOOKS_PREFIX or path.startswith(WEBHOOKS_PREFIX + "/")):
            from fakelinear.webhooks.control import route as webhooks_route

            query = dict(parse_qsl(request.query_string, keep_blank_values=True))
            return webhooks_route(target, method, path, request, query)  # type: ignore[arg-type]
        if methods is None:
            raise ControlError(404, f"no control route {path[:200]}")
        if route is None:
            raise ControlError(405, f"method {method[:16]} not allowed here (use {', '.join(methods)})")
        # A GET's body means nothing (HTTP); a POST's fields must be the route's own.
        body = _body(request, route.fields) if method != "GET" else {}
        call = Call(body, dict(parse_qsl(request.query_string, keep_blank_values=True)))
        return route.handler(target, call)
    except ControlError as exc:
        return _json(exc.status, {"error": exc.message})
    except PersistError as exc:
        return _json(503, {"error": str(exc)})
