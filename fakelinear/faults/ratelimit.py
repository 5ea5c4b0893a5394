"""F5: Linear's leaky-bucket rate limit, per API key, on the fake's clock.

The bucket holds up to ``capacity`` requests and drains at ``capacity`` per hour. A request
fits when the bucket has room for it; a refused request adds nothing (so a client that
waits gets through). Header values follow Linear's names:

* ``X-RateLimit-Requests-Limit``: capacity.
* ``X-RateLimit-Requests-Remaining``: whole requests that fit right now.
* ``X-RateLimit-Requests-Reset``: epoch **milliseconds** when the bucket is empty again
  (everything remaining). A refused client that sleeps until then certainly gets through.

The complexity bucket works the same way with points instead of requests (capacity
``complexity_per_hour``, a query adds its complexity): a query whose points do not fit is
refused with RATELIMITED like a request over the request limit, and fills neither bucket.
"""

from __future__ import annotations

import math

HOUR = 3600.0


class LeakyBucket:
    """One key's bucket. ``capacity`` is passed per call so a plan change applies at once."""

    __slots__ = ("level", "updated")

    def __init__(self, now: float) -> None:
        self.level = 0.0
        self.updated = now

    def admit(self, now: float, capacity: float, amount: float = 1.0, enforce: bool = True) -> tuple[bool, int, float]:
        """Drain to ``now``, then add ``amount`` if it fits: ``(admitted, remaining, reset_at)``.

        A refused request (``enforce`` and no room) adds nothing. An unenforced bucket still
        fills (capped at ``capacity``), so the headers stay meaningful."""
        level = self.level
        if now > self.updated:
            level -= (now - self.updated) * capacity / HOUR
            if level < 0.0:
                level = 0.0
            self.updated = now
        if level > capacity:
            level = capacity
        admitted = True
        if level + amount > capacity + 1e-9:
            if enforce:
                admitted = False
            else:
                level = capacity
        else:
            level += amount
        self.level = level
        remaining = int(capacity - level + 1e-9)
        return admitted, (remaining if remaining > 0 else 0), now + level * HOUR / capacity

    def refund(self, now: float, capacity: float, amount: float = 1.0) -> tuple[int, float]:
        """Take back ``amount`` admitted at ``now`` (the request was refused for another
        limit after all): ``(remaining, reset_at)`` as :meth:`admit` gives them."""
        self.level = max(0.0, self.level - amount)
        remaining = int(capacity - self.level + 1e-9)
        return (remaining if remaining > 0 else 0), now + self.level * HOUR / capacity


def headers(
    limit: int, remaining: int, reset_at: float, complexity: tuple[int, int, int, float] | None = None
) -> dict[str, str]:
    """Linear's rate-limit headers; ``complexity`` is ``(cost, limit, remaining, reset_at)``."""
    out = {
        "x-ratelimit-requests-limit": str(limit),
        "x-ratelimit-requests-remaining": str(remaining),
        "x-ratelimit-requests-reset": str(int(math.ceil(reset_at * 1000))),
    }
    if complexity is not None:
        cost, c_limit, c_remaining, c_reset = complexity
        out["x-complexity"] = str(cost)
        out["x-ratelimit-complexity-limit"] = str(c_limit)
        out["x-ratelimit-complexity-remaining"] = str(c_remaining)
        out["x-ratelimit-complexity-reset"] = str(int(math.ceil(c_reset * 1000)))
    return out
