"""fakelinear.faults: Linear's reported failure modes, seeded, replayable, on the fake's clock.

Public interface (see docs/ARCHITECTURE.md):

* :class:`FaultPlan` and :func:`profile` (``calm``, ``linear-observed``, ``storm``);
* :class:`FaultEngine` (``process(ctx, execute) -> Response``, ``visibility(ws)``,
  ``faults``/``overrides``: the per-test :class:`FaultOverrides`);
* :class:`RequestContext`, :func:`body_hash`, :func:`mask_key`;
* :class:`Journal`, :class:`JournalEntry`.
"""

from fakelinear.faults.context import RequestContext, body_hash, mask_key, normalize_query
from fakelinear.faults.engine import FaultEngine
from fakelinear.faults.journal import PASSED, Journal, JournalEntry
from fakelinear.faults.overrides import FaultOverrides
from fakelinear.faults.plan import (
    FaultPlan,
    FaultPlanError,
    GatewayRule,
    LagPlan,
    PhantomConflictRule,
    RateLimitPlan,
    TransportRule,
)
from fakelinear.faults.profiles import PROFILE_NAMES, profile, profile_names

__all__ = [
    "PASSED",
    "PROFILE_NAMES",
    "FaultEngine",
    "FaultOverrides",
    "FaultPlan",
    "FaultPlanError",
    "GatewayRule",
    "Journal",
    "JournalEntry",
    "LagPlan",
    "PhantomConflictRule",
    "RateLimitPlan",
    "RequestContext",
    "TransportRule",
    "body_hash",
    "mask_key",
    "normalize_query",
    "profile",
    "profile_names",
]
