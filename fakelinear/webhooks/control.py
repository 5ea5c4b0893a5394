"""Control routes for webhooks under ``/_fake/webhooks/`` (the same in-process and on loopback).

* ``GET /_fake/webhooks/deliveries``: every delivery with its attempts, oldest first;
  ``?webhook_id=&status=&event=&entity_id=`` filter, ``?limit=N`` keeps the newest N,
  ``?body=1`` adds each payload.
* ``GET /_fake/webhooks/deliveries/<id>``: one delivery, with its payload.
* ``POST /_fake/webhooks/deliveries/<id>/redeliver``: send it again now, same
  ``Linear-Delivery`` id (as Linear's UI offers); answers the delivery.
* ``GET /_fake/webhooks/status``: ``{"idle", "due_now", "in_flight", "pending",
  "next_due"}``; a loopback client polls it until ``idle`` to wait for deliveries (every
  control call also sends what is due).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.control import ControlError, _json, _only
from fakelinear.http import Request, Response

if TYPE_CHECKING:
    from fakelinear.handler import FakeLinear

PREFIX = "/_fake/webhooks"
_FILTERS = ("webhook_id", "status", "event", "entity_id")


def route(fake: FakeLinear, method: str, path: str, request: Request, query: dict[str, str]) -> Response:
    """Answer one ``/_fake/webhooks...`` request (raises :class:`ControlError`)."""
    rest = path[len(PREFIX):].strip("/")
    parts = rest.split("/") if rest else []
    if parts == ["deliveries"]:
        _only(method, "GET")
        return _json(200, {"deliveries": _list(fake, query)})
    if len(parts) == 2 and parts[0] == "deliveries":
        _only(method, "GET")
        return _json(200, _one(fake, parts[1]).to_dict(with_body=True))
    if len(parts) == 3 and parts[0] == "deliveries" and parts[2] == "redeliver":
        _only(method, "POST")
        _one(fake, parts[1])
        # Sending happens after the control call returns (outside the fake's lock).
        delivery = fake.webhooks.redeliver(parts[1])
        return _json(202, delivery.to_dict())
    if parts == ["status"]:
        _only(method, "GET")
        return _json(200, fake.webhooks.status())
    raise ControlError(404, f"no control route {path[:200]}")


def _one(fake: FakeLinear, delivery_id: str) -> Any:
    try:
        return fake.webhooks.delivery(delivery_id)
    except KeyError:
        raise ControlError(404, f"no delivery {delivery_id[:64]!r}") from None


def _list(fake: FakeLinear, query: dict[str, str]) -> list[dict[str, Any]]:
    unknown = sorted(set(query) - {*_FILTERS, "limit", "body"})
    if unknown:
        raise ControlError(400, f"unknown delivery filter {unknown[0]!r} (allowed: {', '.join(_FILTERS)}, limit, body)")
    filters = {k: v for k, v in query.items() if k in _FILTERS}
    webhook_id = filters.pop("webhook_id", None)
    deliveries = fake.webhooks.deliveries(webhook_id, **filters)
    if "limit" in query:
        try:
            limit = max(0, int(query["limit"]))
        except ValueError:
            raise ControlError(400, "limit must be an integer") from None
        deliveries = deliveries[-limit:] if limit else []
    with_body = query.get("body", "").lower() in {"1", "true", "yes"}
    return [d.to_dict(with_body=with_body) for d in deliveries]
