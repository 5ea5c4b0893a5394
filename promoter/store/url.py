"""``open_store(url)``: a store from a URL.

* ``sqlite:///relative/or/abs.db`` (``sqlite:////abs/path.db`` also works), ``sqlite://:memory:``
* ``postgresql://user:pw@host/db?schema=name`` (also ``postgres://``); ``schema`` defaults to
  ``public``.

``check_url`` validates a URL without opening anything; ``create=False`` opens only a store
that already exists (a typo in the URL is then an error, not a new empty store).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from promoter.store.base import FindingStore, StoreError


class StoreURLError(ValueError):
    """The store URL is not one we understand."""


_HELP = "expected sqlite:///path.db, sqlite://:memory: or postgresql://user@host/db"


def _parse(url: str) -> tuple[str, str, str | None]:
    """``("sqlite", path, None)`` or ``("postgresql", dsn, schema)``; StoreURLError if bad."""
    if not url or "://" not in url:
        raise StoreURLError(f"bad store URL {url!r}: {_HELP}")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "sqlite":
        if rest in (":memory:", "/:memory:"):
            return "sqlite", ":memory:", None
        if not rest.startswith("/") or rest == "/":
            raise StoreURLError(f"bad store URL {url!r}: {_HELP}")
        return "sqlite", rest[1:], None
    if scheme in ("postgresql", "postgres"):
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            raise StoreURLError(f"bad store URL {url!r}: {exc}") from None
        if not host and not parts.path.strip("/"):
            raise StoreURLError(f"bad store URL {url!r}: {_HELP}")
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", "public")
        if not schema:
            raise StoreURLError(f"bad store URL {url!r}: empty schema")
        return "postgresql", urlunsplit(parts._replace(query=urlencode(query))), schema
    raise StoreURLError(f"unknown store scheme {scheme!r}: {_HELP}")


def check_url(url: str) -> None:
    """Raise :class:`StoreURLError` if ``url`` is not a store URL; opens nothing."""
    _parse(url)


def open_store(
    url: str, *, now: Callable[[], float] = time.time, create: bool = True
) -> FindingStore:
    """Open the store a URL names (``create=False``: only one that exists). Raises
    :class:`StoreURLError` for a bad URL and :class:`StoreError` when the store cannot be
    opened."""
    kind, target, schema = _parse(url)
    if kind == "sqlite":
        from promoter.store.sqlite import SQLiteFindingStore

        return SQLiteFindingStore(target, now=now, create=create)
    from promoter.store.postgres import PostgresFindingStore

    return PostgresFindingStore(target, schema=schema or "public", now=now, create=create)


__all__ = ["open_store", "check_url", "StoreURLError", "StoreError"]
