"""How a secret (API key, control key, token) may be shown: never whole.

One rule for every place fakelinear prints or records a key (journal, control API, the
``serve`` banner, ``linear-cleanup``): ``…`` followed by at most the last 6 characters, and
never more than a quarter of the key, so a short key is not shown whole or nearly whole
(a 48-character Linear key shows 6, a 12-character key 3, a key of 3 characters or fewer
nothing but ``…``).
"""

from __future__ import annotations

__all__ = ["MAX_SHOWN", "mask_secret"]

#: The most trailing characters ever shown.
MAX_SHOWN = 6


def mask_secret(secret: str | None) -> str:
    """``…`` + the last ``min(6, len // 4)`` characters of ``secret`` (``…`` when empty)."""
    if not secret:
        return "…"
    shown = min(MAX_SHOWN, len(secret) // 4)
    return "…" + secret[len(secret) - shown :] if shown else "…"
