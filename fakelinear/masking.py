"""How a secret (API key, control key, token) may be shown: never whole.

One rule for every place fakelinear prints or records a key (journal, control API, the
``serve`` banner, ``linear-cleanup``): ``…`` followed by at most the last 6 characters, and
never more than a quarter of the key, so a short key is not shown whole or nearly whole
(a 48-character Linear key shows 6, a 12-character key 3, a key of 3 characters or fewer
nothing but ``…``).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_SHOWN", "mask_secret", "mask_secret_fields", "mask_secret_fields_in_body"]

#: The most trailing characters ever shown.
MAX_SHOWN = 6


def mask_secret(secret: str | None) -> str:
    """``…`` + the last ``min(6, len // 4)`` characters of ``secret`` (``…`` when empty)."""
    if not secret:
        return "…"
    shown = min(MAX_SHOWN, len(secret) // 4)
    return "…" + secret[len(secret) - shown :] if shown else "…"


#: Field names whose values are secrets wherever they appear (a webhook's ``secret``, a
#: ``token``, an ``apiKey`` ...): the journal records them masked.
SECRET_FIELD = re.compile(r"secret|password|token|apikey", re.IGNORECASE)
_SECRET_BYTES = re.compile(rb"secret|password|token|apikey", re.IGNORECASE)


def mask_secret_fields(value: Any) -> Any:
    """``value`` with every string under a secret-named key masked (returns ``value`` itself
    when there is nothing to mask, so the common case costs one walk and no copy)."""
    if isinstance(value, dict):
        out = None
        for key, item in value.items():
            masked = (mask_secret(item) if isinstance(item, str) and SECRET_FIELD.search(key)
                      else mask_secret_fields(item))
            if masked is not item:
                if out is None:
                    out = dict(value)
                out[key] = masked
        return value if out is None else out
    if isinstance(value, list):
        items = [mask_secret_fields(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def mask_secret_fields_in_body(body: bytes | None) -> bytes | None:
    """A JSON response body with secret-named fields masked (untouched when it has none)."""
    if not body or not _SECRET_BYTES.search(body):
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    masked = mask_secret_fields(parsed)
    return body if masked is parsed else json.dumps(masked, separators=(",", ":")).encode()
