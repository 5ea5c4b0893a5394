"""A deterministic scheduler for racing replicas.

Replicas run in threads, but only one at a time: a replica runs until it reaches a yield
point (just before it sends a create) or finishes, then the baton passes to the next live
replica in round-robin order. So replica 0 fetches and re-checks, yields before its create;
replica 1 fetches and re-checks the same finding (still unlinked) and yields; replica 0
creates and links; replica 1 creates too. This is the two-replica race of the reference
design, reproduced the same way on every run, with no real sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

#: Safety net against a replica that never yields back (a bug): fail instead of hanging.
WAIT_LIMIT = 120.0


class LockstepError(RuntimeError):
    """A replica did not hand the baton back in time."""


class Lockstep:
    """Run ``jobs`` one at a time, switching at :meth:`yield_point`."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._turn: int | None = None
        self._done: list[bool] = []
        self._local = threading.local()

    def _pass_from(self, i: int) -> None:
        n = len(self._done)
        for step in range(1, n + 1):
            j = (i + step) % n
            if not self._done[j]:
                self._turn = j
                return
        self._turn = None

    def _wait_turn(self, i: int) -> None:
        if not self._cond.wait_for(lambda: self._turn == i, timeout=WAIT_LIMIT):
            raise LockstepError(f"replica {i} waited more than {WAIT_LIMIT}s for its turn")

    def yield_point(self) -> None:
        """Hand the baton to the next live replica and wait for it to come back. Outside a
        lockstep run (a single replica) this does nothing."""
        i = getattr(self._local, "index", None)
        if i is None:
            return
        with self._cond:
            self._pass_from(i)
            self._cond.notify_all()
            self._wait_turn(i)

    def run(self, jobs: Sequence[Callable[[], Any]]) -> list[Any]:
        """Run every job; returns results (an exception instance where a job raised)."""
        if len(jobs) == 1:
            try:
                return [jobs[0]()]
            except Exception as exc:  # noqa: BLE001 - reported to the caller as a value
                return [exc]
        results: list[Any] = [None] * len(jobs)
        self._done = [False] * len(jobs)
        self._turn = 0

        def worker(i: int) -> None:
            self._local.index = i
            with self._cond:
                self._wait_turn(i)
            try:
                results[i] = jobs[i]()
            except Exception as exc:  # noqa: BLE001
                results[i] = exc
            finally:
                with self._cond:
                    self._done[i] = True
                    self._pass_from(i)
                    self._cond.notify_all()

        threads = [threading.Thread(target=worker, args=(i,), name=f"replica-{i}", daemon=True)
                   for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT_LIMIT * 2)
        return results
