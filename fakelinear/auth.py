"""API keys: how they are made, how a request presents one, where they may be predictable.

Keys look like Linear's personal API keys (``lin_api_`` + 40 letters and digits). They are
derived from the fake's seed, the workspace's index and an optional secret *salt*:

* without a salt (the default, and what the in-process fake and a loopback server use) the
  same seed gives the same keys, so a CI job can restart the fake and keep its pool file;
* with a salt (``fakelinear serve`` picks a random one whenever it listens beyond loopback)
  nobody can compute the keys from the seed. The salt is kept in the ``--state`` file, so a
  restarted server and ``/_fake/reset`` keep handing out the same keys.
"""

from __future__ import annotations

import ipaddress
import re
import string

from fakelinear.http import Request

__all__ = ["KEY_PREFIX", "derive_key", "is_loopback_host", "presented_key"]

KEY_PREFIX = "lin_api_"
_ALPHABET = string.ascii_letters + string.digits
# A key is one printable token: anything else (CR/LF, NUL, spaces, quotes) is an injection
# attempt or garbage and is refused before it gets near a lookup, a log or the journal.
_KEY_RE = re.compile(r"^[A-Za-z0-9_\-.~+/=]{1,256}$")


def presented_key(request: Request) -> str | None:
    """The key in ``Authorization`` (``<key>`` or ``Bearer <key>``) when it is one printable
    token; None when the header is missing or malformed. Known or not is the caller's call."""
    value = (request.headers.get("authorization") or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value if _KEY_RE.match(value) else None


def derive_key(rng: object, index: int, salt: str | None = None) -> str:
    """The API key of workspace ``index``: from ``rng`` (the fake's :class:`~fakelinear.rng.Rng`,
    i.e. its seed) and, when given, the secret ``salt``."""
    parts: tuple[object, ...] = ("api-key", index) if salt is None else ("api-key", index, salt)
    r = rng.derive(*parts)  # type: ignore[attr-defined]
    return KEY_PREFIX + "".join(r.choice(_ALPHABET) for _ in range(40))


def is_loopback_host(host: str) -> bool:
    """True when binding ``host`` reaches this machine only (``127.0.0.0/8``, ``::1``,
    ``localhost``); False for ``0.0.0.0``, ``::``, names and real interfaces."""
    candidate = host.strip().strip("[]")
    if candidate.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(candidate).is_loopback
    except ValueError:
        return False
