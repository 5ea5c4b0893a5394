"""Pull the SDL of a live GraphQL endpoint by introspection (descriptions dropped).

``pull_sdl("https://api.linear.app/graphql", api_key)`` returns the canonical SDL (same
writer as the generator: sorted, no descriptions), so a user with a real token can pin the
fake to production's exact schema. Every failure is a :class:`PullError` with a message
that names the URL and, at most, the key's last characters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from graphql import GraphQLError, build_client_schema, get_introspection_query

from fakelinear.schema_tools.sdl import print_canonical

__all__ = ["PullError", "endpoint_url", "introspect", "mask_key", "pull_sdl"]


class PullError(RuntimeError):
    """The endpoint could not be introspected (message says why; never the whole key)."""


def mask_key(key: str) -> str:
    """``…`` plus at most the last 6 characters (fewer for short keys)."""
    shown = 6 if len(key) >= 24 else min(4, len(key) // 4)
    return "…" + (key[-shown:] if shown else "")


def endpoint_url(url: str) -> str:
    """The GraphQL URL to post to: ``/graphql`` is added to a bare origin."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PullError(f"{url!r} is not an http(s) URL")
    path = parts.path if parts.path not in ("", "/") else "/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def introspect(
    url: str,
    api_key: str | None = None,
    *,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """The ``__schema`` introspection result of ``url`` (raises :class:`PullError`)."""
    target = endpoint_url(url)
    headers = {"content-type": "application/json", "accept": "application/json"}
    if api_key:
        # As Linear takes it: an API key alone, an OAuth token as "Bearer <token>".
        headers["authorization"] = api_key
    who = f" with key {mask_key(api_key)}" if api_key else " without a key"
    with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
        data = _post(client, target, headers, who, input_value_deprecation=True)
        if data is None:
            # Servers without deprecated arguments in introspection: ask the classic query.
            data = _post(client, target, headers, who, input_value_deprecation=False)
    assert data is not None
    return data


def _post(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    who: str,
    *,
    input_value_deprecation: bool,
) -> dict[str, Any] | None:
    query = get_introspection_query(
        descriptions=False, input_value_deprecation=input_value_deprecation
    )
    body = {"query": query, "operationName": "IntrospectionQuery"}
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.InvalidURL as exc:
        raise PullError(f"{url} is not a valid URL: {exc}") from None
    except httpx.TimeoutException:
        raise PullError(f"{url} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise PullError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
    if response.status_code in (401, 403):
        raise PullError(
            f"{url} refused the request{who} (HTTP {response.status_code}): "
            "check the API key (--api-key or LINEAR_API_KEY)"
        )
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PullError(
            f"{url} did not answer with JSON (HTTP {response.status_code}, "
            f"{response.headers.get('content-type', 'no content type')}): not a GraphQL endpoint?"
        ) from None
    if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
        raise PullError(f"{url} answered JSON that is not a GraphQL response (HTTP {response.status_code})")
    errors = payload.get("errors") or []
    data = payload.get("data")
    if errors and input_value_deprecation and not (isinstance(data, dict) and data.get("__schema")):
        text = json.dumps(errors)
        if "includeDeprecated" in text or "isDeprecated" in text or "deprecationReason" in text:
            return None
    if not isinstance(data, dict) or not isinstance(data.get("__schema"), dict):
        messages = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3]
        )
        raise PullError(
            f"{url} returned no introspection result (HTTP {response.status_code})"
            + (f": {messages}" if messages else "")
        )
    if response.status_code >= 400:
        raise PullError(f"{url} answered HTTP {response.status_code}")
    return data


def pull_sdl(
    url: str,
    api_key: str | None = None,
    *,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The canonical SDL of the endpoint at ``url`` (raises :class:`PullError`)."""
    data = introspect(url, api_key, timeout=timeout, transport=transport)
    try:
        schema = build_client_schema(data)  # type: ignore[arg-type]
    except (GraphQLError, TypeError, KeyError, ValueError) as exc:
        raise PullError(f"{endpoint_url(url)} returned an unusable introspection result: {exc}") from None
    return print_canonical(schema)
