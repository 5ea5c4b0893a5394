"""``open_store(url)``: a store from a URL.

* ``sqlite:///relative/or/abs.db`` (``sqlite:////abs/path.db`` also works), ``sqlite://:memory:``
* ``postgresql://user:pw@host/db?schema=name`` (also ``postgres://``); ``schema`` defaults to
  ``public``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from promoter.store.base import FindingStore, StoreError


class StoreURLError(ValueError):
    """The store URL is not one we understand."""


_HELP = "expected sqlite:///path.db, sqlite://:memory: or postgresql://user@host/db"


def open_store(url: str, *, now: Callable[[], float] = time.time) -> FindingStore:
    """Open the store a URL names. Raises :class:`StoreURLError` for a bad URL and
    :class:`StoreError` when the store cannot be opened."""
    if not url or "://" not in url:
        raise StoreURLError(f"bad store URL {url!r}: {_HELP}")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "sqlite":
        from promoter.store.sqlite import SQLiteFindingStore

        if rest in (":memory:", "/:memory:"):
            return SQLiteFindingStore(":memory:", now=now)
        if not rest.startswith("/") or rest == "/":
            raise StoreURLError(f"bad store URL {url!r}: {_HELP}")
        return SQLiteFindingStore(rest[1:], now=now)
    if scheme in ("postgresql", "postgres"):
        from promoter.store.postgres import PostgresFindingStore

        parts = urlsplit(url)
        if not parts.hostname and not parts.path.strip("/"):
            raise StoreURLError(f"bad store URL {url!r}: {_HELP}")
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", "public")
        dsn = urlunsplit(parts._replace(query=urlencode(query)))
        return PostgresFindingStore(dsn, schema=schema, now=now)
    raise StoreURLError(f"unknown store scheme {scheme!r}: {_HELP}")


__all__ = ["open_store", "StoreURLError", "StoreError"]
