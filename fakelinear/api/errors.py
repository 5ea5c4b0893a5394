"""Linear-shaped GraphQL error bodies.

Linear reports every error in the GraphQL ``errors`` list with an ``extensions`` object
carrying ``type`` (a lower-case phrase such as ``"invalid input"``), ``code`` (upper-case,
e.g. ``INPUT_ERROR``), ``statusCode``, ``userError`` and ``userPresentableMessage``. The
helpers here build those dicts; the handler and the fault layer import them so the whole
fake speaks one dialect.

Choices (documented because the public record is thin):

* Not found: message ``Entity not found: <Type>``, type ``invalid input``, code
  ``INPUT_ERROR``, statusCode 400, userPresentableMessage ``Could not find referenced
  <Type>.``; sent with HTTP 200 and ``data: null`` (like the F1 conflict).
* GraphQL syntax/validation failure: HTTP 400, code ``GRAPHQL_VALIDATION_FAILED``
  (``GRAPHQL_PARSE_FAILED`` for syntax errors), type ``graphql error``.
* Missing/unknown key: HTTP 401, code ``AUTHENTICATION_ERROR``, type ``authentication error``.
"""

from __future__ import annotations

import json
from typing import Any

INVALID_INPUT = "invalid input"
INPUT_ERROR = "INPUT_ERROR"


class GraphQLRequestError(Exception):
    """A request that fails before execution: carries Linear-shaped ``errors`` and the HTTP
    status to send (400 for validation failures)."""

    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        super().__init__(errors[0]["message"] if errors else "GraphQL request error")
        self.errors = errors
        self.status = status

    def body(self) -> dict[str, Any]:
        """The JSON body Linear would send for this failure."""
        return {"errors": self.errors}


def linear_error(
    message: str,
    type: str,  # noqa: A002 - Linear's field name
    code: str,
    status_code: int,
    user_presentable: str | None = None,
    user_error: bool = True,
    *,
    path: list[str | int] | None = None,
    locations: list[dict[str, int]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One entry of a Linear ``errors`` list."""
    extensions: dict[str, Any] = {
        "type": type,
        "code": code,
        "statusCode": status_code,
        "userError": user_error,
    }
    if user_presentable is not None:
        extensions["userPresentableMessage"] = user_presentable
    if extra:
        extensions.update(extra)
    error: dict[str, Any] = {"message": message}
    if locations:
        error["locations"] = locations
    if path:
        error["path"] = path
    error["extensions"] = extensions
    return error


def error_body(*errors: dict[str, Any], data: Any = None, with_data: bool = True) -> dict[str, Any]:
    """A full response body: ``{"errors": [...], "data": data}``."""
    body: dict[str, Any] = {"errors": list(errors)}
    if with_data:
        body["data"] = data
    return body


def not_found_error(entity_type: str, path: list[str | int] | None = None) -> dict[str, Any]:
    """``Entity not found: <Type>``."""
    return linear_error(
        f"Entity not found: {entity_type}",
        INVALID_INPUT,
        INPUT_ERROR,
        400,
        f"Could not find referenced {entity_type}.",
        path=path,
    )


def conflict_on_insert_error(
    entity_type: str, entity_id: str, path: list[str | int] | None = None
) -> dict[str, Any]:
    """F1/F2: ``conflict on insert of <Type>`` (same wire shape for phantom and real)."""
    return linear_error(
        f"conflict on insert of {entity_type}",
        INVALID_INPUT,
        INPUT_ERROR,
        400,
        f"Entity {entity_type} with id {entity_id} already exists.",
        path=path,
    )


def invalid_input_error(
    message: str, user_presentable: str | None = None, path: list[str | int] | None = None
) -> dict[str, Any]:
    """A generic Linear input error (bad argument values, broken references...)."""
    return linear_error(
        message, INVALID_INPUT, INPUT_ERROR, 400, user_presentable or message, path=path
    )


def unsupported_error(operation: str, path: list[str | int] | None = None) -> dict[str, Any]:
    """An operation fakelinear does not model: a clear, documented refusal in Linear's shape
    (type ``not supported``, code ``NOT_SUPPORTED``, statusCode 400)."""
    return linear_error(
        f"{operation} is not supported by fakelinear",
        "not supported",
        "NOT_SUPPORTED",
        400,
        f"{operation} is not available in this test environment (fakelinear).",
        path=path,
    )


def usage_limit_error(message: str, path: list[str | int] | None = None) -> dict[str, Any]:
    """F6: plan limit reached."""
    return linear_error(
        "Usage limit exceeded",
        "usage limit exceeded",
        "USAGE_LIMIT_EXCEEDED",
        400,
        message,
        path=path,
    )


def authentication_error() -> dict[str, Any]:
    """Missing or unknown API key (sent with HTTP 401)."""
    return linear_error(
        "Authentication required, not authenticated",
        "authentication error",
        "AUTHENTICATION_ERROR",
        401,
        "You need to authenticate to access this operation.",
    )


def authentication_error_body() -> dict[str, Any]:
    """The whole 401 body for a missing/unknown key."""
    return {"errors": [authentication_error()]}


def ratelimited_error(status_code: int = 400) -> dict[str, Any]:
    """F5: rate limit exceeded (headers are the fault layer's job)."""
    return linear_error(
        "Rate limit exceeded",
        "ratelimited",
        "RATELIMITED",
        status_code,
        "Too many requests. Please try again later.",
    )


def validation_error(
    message: str, locations: list[dict[str, int]] | None = None, code: str = "GRAPHQL_VALIDATION_FAILED"
) -> dict[str, Any]:
    """A GraphQL validation (or parse) failure entry (sent with HTTP 400)."""
    return linear_error(message, "graphql error", code, 400, message, locations=locations)


def malformed_json_error() -> dict[str, Any]:
    """The body was not valid JSON or had no ``query`` string (HTTP 400)."""
    return linear_error(
        "POST body missing, invalid Content-Type, or JSON object has no 'query' field.",
        "graphql error",
        "BAD_REQUEST",
        400,
        "The request body could not be parsed.",
    )


def unsupported_content_type_error(content_type: str) -> dict[str, Any]:
    """Wrong ``Content-Type`` on a POST (HTTP 400)."""
    return linear_error(
        f"Unsupported content type: {content_type or 'none'}. Use application/json.",
        "graphql error",
        "BAD_REQUEST",
        400,
        "The request must be sent as application/json.",
    )


def payload_too_large_error(limit: int) -> dict[str, Any]:
    """Oversized body (HTTP 413)."""
    return linear_error(
        f"Request body exceeds the limit of {limit} bytes.",
        INVALID_INPUT,
        "PAYLOAD_TOO_LARGE",
        413,
        "The request is too large.",
    )


def internal_error(message: str = "Internal server error") -> dict[str, Any]:
    """An unexpected failure inside the fake (never a crash on the wire)."""
    return linear_error(message, "internal error", "INTERNAL_SERVER_ERROR", 500, message, False)


# ``json.dumps(body, separators=(",", ":"))`` builds a new encoder per call; one shared
# encoder with the same settings gives the same bytes.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def dumps(body: dict[str, Any]) -> bytes:
    """Compact JSON bytes for a response body."""
    return _ENCODE(body).encode()
