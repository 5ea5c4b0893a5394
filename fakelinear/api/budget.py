"""A per-request execution budget: a deadline and a cap on result nodes.

The complexity limit (:mod:`fakelinear.faults.complexity`) refuses expensive documents
before they run; the budget bounds what one admitted request may still cost while it runs
(big workspaces, filters that scan, a raised complexity limit), so one client cannot hold
the fake for long: every other request waits for the one lock at most this long.

The executor puts the budget on the execution context; connection resolvers call
:meth:`RequestBudget.charge` with the size of each page they build, which also checks the
deadline. Going over raises :class:`BudgetExceeded`, an ``InvalidInput`` (so it maps to a
Linear-shaped ``INPUT_ERROR``); once exceeded, every later ``charge``/``check`` raises at
once, so the rest of the document resolves to errors quickly. The handler then answers
with :meth:`RequestBudget.error` alone (no partial data, so the response stays small).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fakelinear.api.errors import linear_error
from fakelinear.model.errors import InvalidInput

__all__ = [
    "DEFAULT_MAX_RESULT_NODES",
    "DEFAULT_MAX_SECONDS",
    "BudgetExceeded",
    "RequestBudget",
]

#: Wall-clock seconds one request may execute (the fake answers in milliseconds; a request
#: that needs more is pathological, and it holds every other client up meanwhile).
DEFAULT_MAX_SECONDS = 2.0
#: Entities one request may return through connections. Every entity costs at least one
#: complexity point, so a query under Linear's 10,000-point limit always fits.
DEFAULT_MAX_RESULT_NODES = 10_000


class BudgetExceeded(InvalidInput):
    """The request went over its time or result budget (an ``INPUT_ERROR`` on the wire)."""


class RequestBudget:
    """One request's budget. ``clock`` is a monotonic clock (injectable for tests)."""

    __slots__ = ("clock", "deadline", "max_nodes", "max_seconds", "nodes", "exceeded")

    def __init__(
        self,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        max_nodes: int = DEFAULT_MAX_RESULT_NODES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.max_seconds = max_seconds
        self.max_nodes = max_nodes
        self.deadline = clock() + max_seconds
        self.nodes = 0
        #: The first :class:`BudgetExceeded` raised, if any.
        self.exceeded: BudgetExceeded | None = None

    def charge(self, nodes: int) -> None:
        """Count ``nodes`` more result entities, then :meth:`check`."""
        self.nodes += nodes
        if self.exceeded is None and self.nodes > self.max_nodes:
            self._exceed(
                f"Query result too large: more than {self.max_nodes} entities in one response.",
                "The query asks for too much data at once. Use smaller pages.",
            )
        self.check()

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` when over budget (now or earlier)."""
        if self.exceeded is not None:
            raise self.exceeded
        if self.clock() > self.deadline:
            self._exceed(
                f"Query took too long: over the {self.max_seconds:g} s execution budget.",
                "The query took too long to run. Ask for less data per request.",
            )

    def _exceed(self, message: str, user_message: str) -> None:
        self.exceeded = BudgetExceeded(message, user_message)
        raise self.exceeded

    def error(self) -> dict[str, Any]:
        """The Linear-shaped error entry for the answer (only meaningful once exceeded)."""
        message = str(self.exceeded) if self.exceeded is not None else "Query over budget."
        user = getattr(self.exceeded, "user_presentable", None) or message
        return linear_error(message, "invalid input", "INPUT_ERROR", 400, user)
