"""Clocks owned by the fake and shared with the testkit.

In-process the fake runs on a :class:`VirtualClock`: time moves only when advanced, and the
testkit's sleeps advance it, so a nine-minute retry schedule runs in milliseconds. On
loopback the server uses a :class:`RealClock` unless started with ``--virtual-clock``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

# 2026-01-05T09:00:00Z: a fixed, readable start so virtual timestamps are reproducible.
DEFAULT_EPOCH = 1767603600.0


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
        """Move time forward; returns the new time. Negative values are refused."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += float(seconds)
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` instead of waiting (non-positive values do nothing)."""
        if seconds > 0:
            self.advance(seconds)

    def set(self, timestamp: float) -> None:
        """Jump to an absolute time (never backwards)."""
        with self._lock:
            if timestamp < self._now:
                raise ValueError("a clock cannot go backwards")
            self._now = float(timestamp)


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
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
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
