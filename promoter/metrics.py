"""Prometheus counters for the promoter: ``linear_promotion_<counter>_total{class=...}``.

Counters live on a registry you can pass in (tests use their own ``CollectorRegistry``);
the default is :data:`REGISTRY`, a module registry (not prometheus-client's global one, so
importing the promoter never pollutes an application's default registry).
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter

#: Every counter the promoter exports, in report order.
COUNTERS = (
    "promoted",
    "api_errors",
    "orphaned",
    "skipped_linked",
    "skipped_seen",
    "capped",
    "recovered",
    "skipped_claimed",
    "breaker_tripped",
    "parked",
    "skipped_backoff",
)

_HELP = {
    "promoted": "Findings filed as a Linear issue and linked.",
    "api_errors": "Issue creates that failed (finding left unlinked, retried next run).",
    "orphaned": "Issues created whose write-back failed (the finding stays unlinked).",
    "skipped_linked": "Candidates skipped because the re-check found them linked.",
    "skipped_seen": "Candidates skipped because they were already handled in this run.",
    "capped": "Runs stopped by max_per_run with candidates left.",
    "recovered": "Idempotent mode: existing issues with our id found and linked.",
    "skipped_claimed": "Candidates skipped because another replica holds the claim.",
    "breaker_tripped": "Runs where the circuit breaker filed nothing.",
    "parked": "Findings parked after consecutive failed creates of their own making.",
    "skipped_backoff": "Candidates skipped because the re-check found them parked or backing off.",
}

#: The module's default registry.
REGISTRY = CollectorRegistry()
_lock = threading.Lock()
_by_registry: dict[int, PromotionMetrics] = {}


class PromotionMetrics:
    """The promoter's counters on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.counters: dict[str, Counter] = {
            name: Counter(
                f"linear_promotion_{name}", _HELP[name], ["class"], registry=registry
            )
            for name in COUNTERS
        }

    def inc(self, name: str, cls: str, amount: int = 1) -> None:
        """Add ``amount`` to counter ``name`` for class ``cls``."""
        child = self.counters[name].labels(**{"class": cls})  # exported even at 0
        if amount:
            child.inc(amount)


def metrics_for(registry: CollectorRegistry | None = None) -> PromotionMetrics:
    """The (single) :class:`PromotionMetrics` bound to ``registry`` (default :data:`REGISTRY`)."""
    reg = registry if registry is not None else REGISTRY
    with _lock:
        m = _by_registry.get(id(reg))
        if m is None or m.registry is not reg:
            m = PromotionMetrics(reg)
            _by_registry[id(reg)] = m
        return m
