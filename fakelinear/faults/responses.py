"""Wire bodies the fault layer sends on its own (gateway pages, conflicts, rate limits)."""

from __future__ import annotations

from typing import Any

from fakelinear.api import errors as api_errors

_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
HTML = "text/html; charset=UTF-8"
JSON = "application/json; charset=utf-8"


def gateway_html(status: int) -> bytes:
    """The HTML page a gateway in front of Linear answers with (not JSON: clients that
    blindly ``json()`` a 502 break here, which is the point)."""
    title = f"{status} {_REASONS.get(status, 'Gateway Error')}"
    return (
        "<html>\r\n"
        f"<head><title>{title}</title></head>\r\n"
        "<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n"
        "<hr><center>cloudflare</center>\r\n"
        "</body>\r\n"
        "</html>\r\n"
    ).encode()


def conflict_body(root_field: str, entity_type: str, entity_id: str) -> dict[str, Any]:
    """F1's body: ``conflict on insert of <Type>`` (the kind the create mutation makes, from
    the schema), ``data: null``."""
    return api_errors.error_body(
        api_errors.conflict_on_insert_error(entity_type, entity_id, path=[root_field])
    )


def ratelimited_body(status: int) -> dict[str, Any]:
    """F5's body (no ``data`` key: Linear refuses before execution)."""
    return {"errors": [api_errors.ratelimited_error(status)]}
