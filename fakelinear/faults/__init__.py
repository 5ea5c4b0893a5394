"""fakelinear.faults: Linear's reported failure modes, seeded, replayable, on the fake's clock.

Public interface (see docs/ARCHITECTURE.md):

* :class:`FaultPlan` and :func:`profile` (``calm``, ``linear-observed``, ``storm``);
* :class:`FaultConfig`: the one owner of the configuration (configured plan + overrides);
* :class:`FaultOverrides`: the per-test override handle over a config (``fake.faults``);
* :class:`FaultEngine` (``process(ctx, execute) -> Response``, ``visibility(ws)``,
  ``begin_scope(name)``; reads the plan in force from its config);
* :class:`RequestContext`, :func:`body_hash`, :func:`mask_key`;
* :class:`Journal`, :class:`JournalEntry`, :class:`JournalView`, :class:`JournalQueries`.
"""

from fakelinear.faults.config import FaultConfig
from fakelinear.faults.context import RequestContext, body_hash, mask_key, normalize_query
from fakelinear.faults.engine import FaultEngine
from fakelinear.faults.journal import PASSED, Journal, JournalEntry, JournalQueries, JournalView
from fakelinear.faults.overrides import FaultOverrides, FaultOverridesBase
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
    "FaultConfig",
    "FaultEngine",
    "FaultOverrides",
    "FaultOverridesBase",
    "FaultPlan",
    "FaultPlanError",
    "GatewayRule",
    "Journal",
    "JournalEntry",
    "JournalQueries",
    "JournalView",
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
