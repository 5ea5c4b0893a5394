"""The transport seam: one request/response shape for the handler core.

Transports only translate bytes: the respx mock turns an ``httpx.Request`` into a
:class:`Request`, the starlette server does the same for ASGI, and both turn the
:class:`Response` back. ``transport_fault`` asks the transport to misbehave at the
socket level (F7) instead of sending the response normally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TransportFault = Literal["connection_reset", "read_timeout", "truncated_body"]


@dataclass(frozen=True)
class Request:
    """One HTTP request as the handler core sees it (``path`` without the query string)."""

    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes = b""
    query_string: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        """The header ``name`` (any case), or ``default`` when absent."""
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """The handler's answer; a set ``transport_fault`` tells the transport to misbehave
    (F7) instead of sending it."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    transport_fault: TransportFault | None = None
