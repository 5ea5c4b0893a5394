"""Typed errors parsed from Linear's error shape.

Linear answers GraphQL errors as ``{"errors": [{"message", "extensions": {"type", "code",
"statusCode", "userError", "userPresentableMessage"}}], "data": null}``, usually with HTTP 200
or 400; gateways in front of it answer 5xx with an HTML page. :func:`error_from_response`
turns either into one of the classes below. Messages keep Linear's own text so a log line
can be searched for upstream; no error ever carries the API key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "LinearError",
    "ConflictOnInsertError",
    "NotFoundError",
    "AuthenticationError",
    "ForbiddenError",
    "RateLimitedError",
    "UsageLimitError",
    "InvalidInputError",
    "GraphQLValidationError",
    "GatewayError",
    "TransportError",
    "error_from_graphql",
    "error_from_response",
]


class LinearError(Exception):
    """Base of every error the client raises.

    ``message`` is Linear's text (first error), ``status`` the HTTP status (None for
    transport errors), ``code`` Linear's ``extensions.code``, ``extensions`` the raw
    extensions of the first error and ``errors`` the full ``errors`` list.
    """

    kind = "linear"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.errors: list[dict[str, Any]] = list(errors or [])

    @property
    def user_presentable_message(self) -> str | None:
        """Linear's ``userPresentableMessage`` when it sent one."""
        value = self.extensions.get("userPresentableMessage")
        return value if isinstance(value, str) else None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r})"
        )


class ConflictOnInsertError(LinearError):
    """``conflict on insert of <Type>``: a phantom conflict (F1) or a real duplicate id (F2).

    The wire error is the same for both; only a read of ``entity_id`` tells them apart.
    """

    kind = "conflict"

    def __init__(
        self, message: str, entity_type: str | None = None, entity_id: str | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.entity_type = entity_type
        self.entity_id = entity_id


class NotFoundError(LinearError):
    """``Entity not found: <Type>`` (or any other not-found answer)."""

    kind = "not_found"


class AuthenticationError(LinearError):
    """Missing, unknown or revoked key (HTTP 401, ``AUTHENTICATION_ERROR``)."""

    kind = "authentication"


class ForbiddenError(LinearError):
    """The key is valid but may not do this (``FORBIDDEN``)."""

    kind = "forbidden"


class RateLimitedError(LinearError):
    """``RATELIMITED``. ``reset_at`` is epoch *seconds* (Linear's header is milliseconds)."""

    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        reset_at: float | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at
        self.limit = limit
        self.remaining = remaining


class UsageLimitError(LinearError):
    """Plan limit reached (``USAGE_LIMIT_EXCEEDED``, F6)."""

    kind = "usage_limit"


class InvalidInputError(LinearError):
    """Linear rejected the input (``INPUT_ERROR`` / type ``invalid input``)."""

    kind = "invalid_input"


class GraphQLValidationError(LinearError):
    """The document did not parse or validate (``GRAPHQL_VALIDATION_FAILED`` and friends)."""

    kind = "graphql_validation"


class GatewayError(LinearError):
    """A 5xx from Linear or a gateway in front of it. ``html`` tells whether the body was a
    page rather than JSON (the usual 502/503/504 from the edge)."""

    kind = "gateway"

    def __init__(self, status: int, html: bool, message: str | None = None, **kw: Any) -> None:
        kw.setdefault("status", status)
        super().__init__(message or f"gateway error {status}", **kw)
        self.html = html


class TransportError(LinearError):
    """The HTTP exchange itself failed. ``kind`` is one of ``connect``, ``timeout``,
    ``read``, ``protocol``, ``truncated``; ``__cause__`` is the httpx exception."""

    def __init__(self, kind: str, message: str | None = None) -> None:
        super().__init__(message or f"transport error: {kind}")
        self.kind = kind


_CONFLICT_RE = re.compile(r"conflict on insert of (\w+)", re.I)
_EXISTS_RE = re.compile(r"Entity (\w+) with id (\S+?) already exists", re.I)
_NOT_FOUND_RE = re.compile(r"entity not found|not found", re.I)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_limit_info(headers: Mapping[str, str]) -> tuple[float | None, int | None, int | None]:
    """``(reset_at seconds, limit, remaining)`` from Linear's ``X-RateLimit-Requests-*``."""
    lower = {k.lower(): v for k, v in headers.items()}
    reset_ms = _int(lower.get("x-ratelimit-requests-reset"))
    reset_at = reset_ms / 1000.0 if reset_ms is not None else None
    return (
        reset_at,
        _int(lower.get("x-ratelimit-requests-limit")),
        _int(lower.get("x-ratelimit-requests-remaining")),
    )


def error_from_graphql(
    errors: list[dict[str, Any]],
    status: int,
    headers: Mapping[str, str] | None = None,
) -> LinearError:
    """Classify a non-empty GraphQL ``errors`` list (the first error decides)."""
    first = errors[0] if errors else {}
    message = str(first.get("message") or "unknown Linear error")
    ext = first.get("extensions") or {}
    if not isinstance(ext, dict):
        ext = {}
    code = ext.get("code")
    etype = str(ext.get("type") or "").lower()
    user_msg = str(ext.get("userPresentableMessage") or "")
    kw: dict[str, Any] = {"status": status, "code": code, "extensions": ext, "errors": errors}

    conflict = _CONFLICT_RE.search(message)
    exists = _EXISTS_RE.search(user_msg) or _EXISTS_RE.search(message)
    if conflict or exists:
        entity_type = (conflict.group(1) if conflict else None) or (
            exists.group(1) if exists else None
        )
        entity_id = exists.group(2) if exists else None
        return ConflictOnInsertError(message, entity_type, entity_id, **kw)
    if code == "RATELIMITED" or etype == "ratelimited":
        reset_at, limit, remaining = rate_limit_info(headers or {})
        return RateLimitedError(message, reset_at, limit, remaining, **kw)
    if code == "AUTHENTICATION_ERROR" or etype == "authentication error" or status == 401:
        return AuthenticationError(message, **kw)
    if code == "FORBIDDEN" or etype == "forbidden" or status == 403:
        return ForbiddenError(message, **kw)
    if code == "USAGE_LIMIT_EXCEEDED" or etype == "usage limit exceeded":
        return UsageLimitError(message, **kw)
    if code in {"ENTITY_NOT_FOUND", "NOT_FOUND"} or _NOT_FOUND_RE.search(message):
        return NotFoundError(message, **kw)
    if code in {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"} or etype == "graphql error":
        return GraphQLValidationError(message, **kw)
    if code == "INPUT_ERROR" or etype == "invalid input":
        return InvalidInputError(message, **kw)
    if not ext and status == 400:
        # graphql-core style validation errors carry no extensions ("Cannot query field ...").
        return GraphQLValidationError(message, **kw)
    return LinearError(message, **kw)


def _looks_html(content_type: str, body: bytes) -> bool:
    head = body.lstrip()[:64].lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<"))


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    payload: dict[str, Any] | None,
) -> LinearError | None:
    """The error an HTTP answer means, or None when it is a success.

    ``payload`` is the decoded JSON body (None when it was not JSON).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if status >= 500:
        message = None
        if errors and isinstance(errors, list):
            message = str(errors[0].get("message") or "") or None
        return GatewayError(
            status,
            _looks_html(lower.get("content-type", ""), body),
            message,
            errors=errors if isinstance(errors, list) else None,
        )
    if errors and isinstance(errors, list):
        return error_from_graphql(errors, status, lower)
    if status == 401:
        return AuthenticationError("Authentication required", status=status)
    if status == 403:
        return ForbiddenError("Forbidden", status=status)
    if status == 429:
        reset_at, limit, remaining = rate_limit_info(lower)
        return RateLimitedError("Rate limit exceeded", reset_at, limit, remaining, status=status)
    if status >= 400:
        return LinearError(f"HTTP {status}", status=status)
    return None
