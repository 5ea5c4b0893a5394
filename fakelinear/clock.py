"""Clocks owned by the fake and shared with the testkit.

In-process the fake runs on a :class:`VirtualClock`: time moves only when advanced, and the
testkit's sleeps advance it, so a nine-minute retry schedule runs in milliseconds. On
loopback the server uses a :class:`RealClock` unless started with ``--virtual-clock``.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

# 2026-01-05T09:00:00Z: a fixed, readable start so virtual timestamps are reproducible.
DEFAULT_EPOCH = 1767603600.0
#: 9999-12-31T23:59:59Z: the latest time a DateTime can show; clocks never go past it.
MAX_TIMESTAMP = 253402300799.0


def checked_step(now: float, seconds: float) -> float:
    """``now + seconds`` after refusing NaN, infinities, negative steps and years past 9999."""
    if not math.isfinite(seconds):
        raise ValueError("a clock step must be a finite number of seconds")
    if seconds < 0:
        raise ValueError("a clock cannot go backwards")
    if now + seconds > MAX_TIMESTAMP:
        raise ValueError("a clock cannot go past the year 9999")
    return now + float(seconds)


@runtime_checkable
class Clock(Protocol):
    """What every part of the project needs from time."""

    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (really, or by advancing virtual time)."""
        ...


class VirtualClock:
    """A clock that moves only when told to. ``sleep`` advances it instead of waiting."""

    virtual = True

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current virtual time (epoch seconds)."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward; returns the new time. Negative, non-finite and too large
        steps are refused (``ValueError``)."""
        with self._lock:
            self._now = checked_step(self._now, seconds)
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` instead of waiting (non-positive values do nothing)."""
        if seconds > 0:
            self.advance(seconds)

    def set(self, timestamp: float) -> None:
        """Jump to an absolute time (never backwards)."""
        with self._lock:
            self._now = checked_step(self._now, timestamp - self._now)


class RealClock:
    """Wall-clock time; ``sleep`` really sleeps. ``advance`` adds a fixed offset, so a
    loopback server's lags and rate limits can still be skipped over by a control call."""

    virtual = False

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        """Wall-clock time plus the offset added by :meth:`advance`."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Jump ahead by ``seconds`` (an offset on wall-clock time); returns the new time."""
        checked_step(self.now(), seconds)
        self._offset += float(seconds)
        return self.now()

    def sleep(self, seconds: float) -> None:
        """Really wait ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)


def iso(timestamp: float) -> str:
    """Linear's DateTime format: ISO 8601, UTC, milliseconds, ``Z``."""
    dt = datetime.fromtimestamp(timestamp, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
