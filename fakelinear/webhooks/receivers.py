"""Where deliveries go: receivers registered in-process for a URL, or real HTTP on loopback.

* In-process (no open port): ``fake.webhooks.register(url, receiver)`` with a plain
  callable (it gets a :class:`WebhookRequest` and returns an ``int`` status, a
  ``(status, body)`` pair, a :class:`WebhookResponse` or ``None`` for 200; raising
  :class:`ReceiverTimeout` is a timeout, any other exception a failed attempt), an ASGI
  app (``async def app(scope, receive, send)``, e.g. Starlette or FastAPI) or a WSGI app
  (``def app(environ, start_response)``, e.g. Flask). ASGI and WSGI apps are called through
  httpx's ``ASGITransport`` / ``WSGITransport``.
* Loopback: any ``http(s)://127.0.0.0/8``, ``[::1]`` or ``localhost`` URL without a
  registered receiver gets a real POST through httpx.
* Anything else is not delivered (the fake never calls the internet): the attempt fails
  with ``not_deliverable`` and is retried like any failure.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

ReceiverKind = Literal["callable", "asgi", "wsgi"]
_RESPONSE_PREVIEW = 200


class ReceiverTimeout(Exception):  # noqa: N818 - reads as what it simulates
    """Raised by an in-process receiver to simulate not answering in time."""


@dataclass(frozen=True)
class WebhookRequest:
    """A delivery as an in-process callable receiver sees it."""

    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        """A header by name (any case)."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The parsed body."""
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str | None:
        """``Linear-Delivery``."""
        return self.header("linear-delivery")

    @property
    def event(self) -> str | None:
        """``Linear-Event``."""
        return self.header("linear-event")

    @property
    def signature(self) -> str | None:
        """``Linear-Signature``."""
        return self.header("linear-signature")


@dataclass(frozen=True)
class WebhookResponse:
    """What a callable receiver may return."""

    status: int = 200
    body: bytes = b""


@dataclass(frozen=True)
class SendResult:
    """How one POST went."""

    status: int  # 0: no HTTP answer
    error: str | None = None
    response: str = ""

    @property
    def ok(self) -> bool:
        """2xx, Linear's success."""
        return 200 <= self.status < 300 and self.error is None


@dataclass
class Receiver:
    """One registered in-process receiver."""

    url: str
    target: Any
    kind: ReceiverKind
    calls: int = field(default=0)


def normalize_url(url: str) -> str:
    """Scheme and host lower-cased, no trailing slash on the path (how URLs are matched)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def detect_kind(target: Any) -> ReceiverKind:
    """``asgi`` for a coroutine ``(scope, receive, send)``, ``wsgi`` for
    ``(environ, start_response)``, ``callable`` otherwise."""
    call = target if inspect.isfunction(target) or inspect.ismethod(target) else getattr(target, "__call__", None)  # noqa: B004
    if call is None:
        raise TypeError(f"a webhook receiver must be callable, got {type(target).__name__}")
    if inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(target):
        return "asgi"
    try:
        params = [p for p in inspect.signature(call).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return "callable"
    return "wsgi" if len(params) == 2 else "callable"


def _preview(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text[:_RESPONSE_PREVIEW]


def _callable_result(value: Any) -> SendResult:
    if value is None:
        return SendResult(200)
    if isinstance(value, WebhookResponse):
        return SendResult(value.status, None, _preview(value.body))
    if isinstance(value, bool) or not isinstance(value, int | tuple):
        return SendResult(0, f"receiver_error: unexpected return value {type(value).__name__}")
    if isinstance(value, tuple):
        status, body = (value + (b"",))[:2]
        return SendResult(int(status), None, _preview(body))
    return SendResult(int(value))


class Sender:
    """Sends one attempt to a registered receiver or over loopback HTTP."""

    def __init__(self) -> None:
        self.receivers: dict[str, Receiver] = {}
        self._http: httpx.Client | None = None

    # ------------------------------------------------------------------ registry
    def register(self, url: str, target: Any, kind: ReceiverKind | None = None) -> Receiver:
        """Deliveries for ``url`` go to ``target`` in-process from now on."""
        receiver = Receiver(normalize_url(url), target, kind or detect_kind(target))
        self.receivers[receiver.url] = receiver
        return receiver

    def unregister(self, url: str) -> None:
        """Forget the receiver of ``url`` (a loopback URL is then reached over HTTP)."""
        self.receivers.pop(normalize_url(url), None)

    def close(self) -> None:
        """Close the loopback HTTP client."""
        if self._http is not None:
            self._http.close()
            self._http = None

    # ------------------------------------------------------------------ sending
    def send(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> SendResult:
        """POST ``body`` to ``url``; never raises."""
        receiver = self.receivers.get(normalize_url(url))
        try:
            if receiver is not None:
                receiver.calls += 1
                return self._in_process(receiver, url, headers, body, timeout)
            if is_loopback(url):
                return self._loopback(url, headers, body, timeout)
        except ReceiverTimeout:
            return SendResult(0, "timeout")
        except Exception as exc:  # noqa: BLE001 - a receiver's bug is a failed delivery
            return SendResult(0, f"receiver_error: {type(exc).__name__}")
        return SendResult(0, "not_deliverable: fakelinear delivers only to loopback URLs and "
                             "receivers registered with fake.webhooks.register(url, ...)")

    def _loopback(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> SendResult:
        if self._http is None:
            # trust_env=False: a proxy from the environment must not see loopback traffic.
            self._http = httpx.Client(follow_redirects=False, trust_env=False)
        try:
            response = self._http.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            return SendResult(0, "timeout")
        except httpx.HTTPError as exc:
            return SendResult(0, f"connection_error: {type(exc).__name__}")
        return SendResult(response.status_code, None, _preview(response.content))

    def _in_process(self, receiver: Receiver, url: str, headers: dict[str, str], body: bytes,
                    timeout: float) -> SendResult:
        if receiver.kind == "callable":
            request = WebhookRequest("POST", url, {k.lower(): v for k, v in headers.items()}, body)
            return _callable_result(receiver.target(request))
        if receiver.kind == "wsgi":
            with httpx.Client(transport=httpx.WSGITransport(app=receiver.target)) as client:
                response = client.post(url, content=body, headers=headers)
            return SendResult(response.status_code, None, _preview(response.content))
        return asyncio.run(self._asgi(receiver.target, url, headers, body, timeout))

    @staticmethod
    async def _asgi(app: Callable[..., Any], url: str, headers: dict[str, str], body: bytes,
                    timeout: float) -> SendResult:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            try:
                response = await asyncio.wait_for(client.post(url, content=body, headers=headers), timeout)
            except TimeoutError:
                return SendResult(0, "timeout")
        return SendResult(response.status_code, None, _preview(response.content))
