"""Property-based exploration: a hypothesis state machine over the scenario world.

Rules: observe a cycle (any subset of a pool of findings is seen), promote (every replica,
every class), inject each fault kind (phantom conflicts, gateway errors before and after
commit, transport faults, read lag, rate limits), arm store faults (write-back failure,
refresh failure with a stale index), advance the clock, add a replica, flip the kill switch,
reconcile. After every step: no false link (I4), the cap and the kill switch (I5), and in
idempotent mode never a second issue for a finding (I3). At teardown the world settles
(calm fake, every finding seen until promotable and drained) and then I1 (nothing lost),
I2/I3 and I6 (cleanup leaves nothing) are checked on the whole history.

Hostile findings take part in every schedule: in each class one finding's title, detail or
ref forges another finding's marker (it must never cause a false link or a miss), and the
first class has a poison finding, seen every cycle, whose every create is refused (413): it
must end parked (I7) and never keep the others from being filed.

Reference mode must show only the predicted anomaly kinds (orphans, and duplicates
explained by an orphan or a commit-then-fail); idempotent mode must show none. Every
anomaly found is tallied in :data:`STATS` so ``soak`` can prove the checker sees them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from promoter.store.base import backoff_cycles
from scenarios.checker import CheckResult, check
from scenarios.facts import Truth
from scenarios.workload import POISON_DETAIL, TEST_PREFIX, marker_finding
from scenarios.world import World, WorldConfig

#: Anomaly kinds each mode may show (anything else fails the example).
ALLOWED: dict[str, frozenset[str]] = {
    "reference": frozenset({"orphan", "duplicate_orphan", "duplicate_commit_then_fail"}),
    "idempotent": frozenset(),
}
#: Kinds that must never appear, even transiently, after any step.
STEP_FORBIDDEN: dict[str, frozenset[str]] = {
    "reference": frozenset({"false_link", "cap_exceeded", "kill_switch_calls", "duplicate_race",
                            "duplicate_unexplained", "orphan_uncounted"}),
    "idempotent": frozenset({"false_link", "cap_exceeded", "kill_switch_calls", "duplicate_orphan",
                             "duplicate_commit_then_fail", "duplicate_race", "duplicate_unexplained"}),
}
#: Marker findings: (index in the pool of the class that forges, index of the victim).
MARKER = 1
POOL_VICTIM = 0
CLASSES = ("lint", "flaky-test")
POOL = 4  # findings per class
THRESHOLD = 2
MAX_PER_RUN = 2
MAX_REPLICAS = 3
PARK_AFTER = 3
MAX_BACKOFF = 4
#: Settle cycles that still run under the injected faults before the fake turns calm.
SETTLE_FAULTY = 2


@dataclass
class Stats:
    """What the machine explored and found (per mode)."""

    examples: Counter[str] = field(default_factory=Counter)
    steps: Counter[str] = field(default_factory=Counter)
    anomalies: dict[str, Counter[str]] = field(default_factory=dict)
    faults: dict[str, Counter[str]] = field(default_factory=dict)
    #: Poison findings parked, and marker findings filed (the hostile findings were exercised).
    parked: Counter[str] = field(default_factory=Counter)
    markers_filed: Counter[str] = field(default_factory=Counter)

    def record(self, mode: str, result: CheckResult, markers_filed: int = 0) -> None:
        """Tally one finished example."""
        self.examples[mode] += 1
        self.anomalies.setdefault(mode, Counter()).update(result.counts())
        self.faults.setdefault(mode, Counter()).update(result.metrics.get("faults_injected", {}))
        self.parked[mode] += int(result.metrics.get("parked_findings", 0))
        self.markers_filed[mode] += markers_filed

    def reset(self) -> None:
        """Forget everything."""
        self.examples.clear()
        self.steps.clear()
        self.anomalies.clear()
        self.faults.clear()
        self.parked.clear()
        self.markers_filed.clear()


STATS = Stats()


def _finding(cls: str, i: int) -> Any:
    from promoter.findings import Finding

    return Finding(cls, f"{cls}/m{i}", "machine", f"{TEST_PREFIX} {cls} m{i} keeps failing",
                   "Finding of the stateful machine.")


def _pool(cls: str, other: str) -> list[Any]:
    """``POOL`` findings of ``cls``; the ``MARKER`` one forges the victim of its own class
    (first class) or of ``other`` (second class), by turns in title, ref and detail."""
    pool = [_finding(cls, i) for i in range(POOL)]
    victim = _finding(cls if cls == CLASSES[0] else other, POOL_VICTIM).finding_id
    pool[MARKER] = marker_finding(cls, f"m{MARKER}", victim, 0 if cls == CLASSES[0] else 1)
    return pool


def _poison() -> Any:
    from promoter.findings import Finding

    return Finding(CLASSES[0], f"{CLASSES[0]}/poison", "poison", f"{TEST_PREFIX} poison", POISON_DETAIL)


class PromoterMachine(RuleBasedStateMachine):
    """The world under random schedules; subclasses fix the promoter ``mode``."""

    mode: ClassVar[str] = "reference"

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.findings = {cls: _pool(cls, other) for cls, other in zip(CLASSES, reversed(CLASSES), strict=True)}
        self.poison = _poison()
        self.ever_seen: set[str] = set()
        self.cycle = 0

    # -- setup -----------------------------------------------------------------------------

    @initialize(seed=st.integers(0, 2**16))
    def start(self, seed: int) -> None:
        """A fresh calm fake with one replica (faults come from the rules)."""
        self.world = World(WorldConfig(seed=seed, mode=self.mode, profile="calm", threshold=THRESHOLD,
                                       max_per_run=MAX_PER_RUN, replicas=1, claims=True,
                                       name=f"machine-{self.mode}", park_after=PARK_AFTER,
                                       max_backoff=MAX_BACKOFF))
        self.world.__enter__()

    def _step(self) -> None:
        STATS.steps[self.mode] += 1

    # -- rules -----------------------------------------------------------------------------

    @rule(missing=st.frozensets(st.integers(0, POOL - 1), max_size=2),
          missing_other=st.frozensets(st.integers(0, POOL - 1), max_size=2))
    def observe_cycle(self, missing: frozenset[int], missing_other: frozenset[int]) -> None:
        """One observation cycle: every pooled finding is seen except the ``missing`` ones
        (so streaks grow, and some flap); the poison finding is seen every cycle."""
        assert self.world is not None
        self._step()
        by_class = {
            CLASSES[0]: [f for i, f in enumerate(self.findings[CLASSES[0]]) if i not in missing],
            CLASSES[1]: [f for i, f in enumerate(self.findings[CLASSES[1]]) if i not in missing_other],
        }
        for fs in by_class.values():
            self.ever_seen.update(f.finding_id for f in fs)
        by_class[CLASSES[0]].append(self.poison)  # never a must-link finding: it cannot be filed
        self.cycle += 1
        self.world.cycle = self.cycle
        self.world.observe(by_class)

    @rule()
    def promote_run(self) -> None:
        """Every replica runs the promoter for every class."""
        assert self.world is not None
        self._step()
        self.world.promote(CLASSES)

    @rule(first=st.integers(0, 3), probability=st.sampled_from([0.0, 0.3, 1.0]),
          sticky=st.sampled_from([None, 0.0, 60.0]))
    def inject_phantom_conflicts(self, first: int, probability: float, sticky: float | None) -> None:
        """F1: phantom conflict on insert (cold start, random, sticky)."""
        assert self.world is not None
        self._step()
        self.world.inject("phantom_conflicts", on="issueCreate", first=first,
                          probability=probability if first == 0 else 0.0, sticky_for=sticky, times=3)

    @rule(status=st.sampled_from([502, 503, 504]), after_commit=st.booleans(), times=st.integers(1, 3))
    def inject_gateway_error(self, status: int, after_commit: bool, times: int) -> None:
        """F3: a gateway error before the model or after the commit."""
        assert self.world is not None
        self._step()
        self.world.inject("gateway_error", status=status, after_commit=after_commit, times=times,
                          on="issueCreate")

    @rule(kind=st.sampled_from(["connection_reset", "read_timeout", "truncated_body"]),
          after_commit=st.booleans(), times=st.integers(1, 2))
    def inject_transport_fault(self, kind: str, after_commit: bool, times: int) -> None:
        """F7: the connection misbehaves (some after the commit)."""
        assert self.world is not None
        self._step()
        self.world.inject("transport_fault", kind=kind, after_commit=after_commit, times=times,
                          on="issueCreate")

    @rule(seconds=st.sampled_from([0.0, 5.0, 20.0, 45.0]))
    def inject_read_lag(self, seconds: float) -> None:
        """F4: read-after-create lag."""
        assert self.world is not None
        self._step()
        self.world.inject("read_lag", seconds=seconds)

    @rule(per_hour=st.integers(5, 60))
    def inject_rate_limit(self, per_hour: int) -> None:
        """F5: a tight leaky bucket."""
        assert self.world is not None
        self._step()
        self.world.inject("rate_limit", per_hour=per_hour)

    @rule(times=st.integers(1, 2))
    def fail_write_back(self, times: int) -> None:
        """Store: the next write-backs fail (the orphan window)."""
        assert self.world is not None
        self._step()
        self.world.store_fault("write_back_fail", times)

    @rule(times=st.integers(1, 2))
    def stale_index(self, times: int) -> None:
        """Store: the index is stale and the next refreshes fail."""
        assert self.world is not None
        self._step()
        self.world.store_fault("stale_reads")
        self.world.store_fault("refresh_fail", times)

    @rule(seconds=st.sampled_from([1.0, 10.0, 60.0, 600.0, 3600.0]))
    def advance_clock(self, seconds: float) -> None:
        """Time passes (lags end, claims expire, rate limits refill)."""
        assert self.world is not None
        self._step()
        self.world.advance(seconds)

    @precondition(lambda self: self.world is not None and len(self.world.replicas) < MAX_REPLICAS)
    @rule()
    def add_replica(self) -> None:
        """Another promoter replica joins (they race in lockstep, with claims)."""
        assert self.world is not None
        self._step()
        self.world.add_replica()

    @rule(enabled=st.booleans())
    def kill_switch(self, enabled: bool) -> None:
        """Turn the promoter off (threshold 0) or back on."""
        assert self.world is not None
        self._step()
        self.world.set_enabled(enabled)

    @rule()
    def reconcile(self) -> None:
        """Run the reconciler."""
        assert self.world is not None
        self._step()
        self.world.reconcile()

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def safety(self) -> None:
        """I3 (idempotent), I4 and I5 after every step; reference duplicates explained."""
        if self.world is None:
            return
        result = self._check(must_link=frozenset(), cleanup=False)
        bad = {k: v for k, v in result.counts().items() if k in STEP_FORBIDDEN[self.mode]}
        assert not bad, f"{self.mode}: {bad}: " + "; ".join(
            f"{a.kind} {a.issue or ''} {a.detail}" for a in result.anomalies if a.kind in bad)

    def teardown(self) -> None:
        """Settle, then I1-I6 on the whole run."""
        world = self.world
        if world is None:
            return
        try:
            result = self._settle_and_check()
            markers = {fs[MARKER].finding_id for fs in self.findings.values()}
            links = world.links()
            STATS.record(self.mode, result, sum(1 for fid in markers if links.get(fid)))
            unexpected = {k: v for k, v in result.counts().items() if k not in ALLOWED[self.mode]}
            assert not unexpected, f"{self.mode}: unexpected anomalies {unexpected}: " + "; ".join(
                f"{a.kind} {a.issue or ''} {a.detail}" for a in result.anomalies if a.kind in unexpected)
        finally:
            world.close()
            self.world = None

    def _settle_and_check(self) -> CheckResult:
        world = self.world
        assert world is not None
        world.set_enabled(True)
        everyone = {cls: [f for f in fs if f.finding_id in self.ever_seen] for cls, fs in self.findings.items()}
        poisoned = self.cycle > 0  # seen in every cycle so far: it must end parked
        if poisoned:
            everyone[CLASSES[0]].append(self.poison)
        # Enough calm cycles to file every finding despite the cap, for one that failed under
        # the faults to wait out its backoff, and for the poison to fail PARK_AFTER times.
        park_span = sum(backoff_cycles(k, MAX_BACKOFF) for k in range(1, PARK_AFTER)) + 1
        drain = THRESHOLD + math.ceil((POOL + 1) / MAX_PER_RUN) + 2 + MAX_BACKOFF + park_span
        for k in range(SETTLE_FAULTY + drain):
            if k == SETTLE_FAULTY:  # pending faults had their chance; now calm, and drain
                world.calm()
                world.advance(3600.0)
            self.cycle += 1
            world.cycle = self.cycle
            world.observe(everyone)
            world.promote(CLASSES)
            world.advance(60.0)
        must_link = frozenset(self.ever_seen)
        poison = frozenset({self.poison.finding_id}) if poisoned else frozenset()
        return self._check(must_link=must_link, cleanup=True, poison=poison)

    def _check(self, *, must_link: frozenset[str], cleanup: bool,
               poison: frozenset[str] = frozenset()) -> CheckResult:
        world = self.world
        assert world is not None
        final = world.final_state(cleanup=cleanup)
        return check(world.history, final, Truth(self.mode, must_link, MAX_PER_RUN, poison))


class ReferenceMachine(PromoterMachine):
    """The reference design: only predicted anomaly kinds may appear."""

    mode = "reference"


class IdempotentMachine(PromoterMachine):
    """Idempotent mode: zero anomalies."""

    mode = "idempotent"


MACHINES: dict[str, type[PromoterMachine]] = {"reference": ReferenceMachine, "idempotent": IdempotentMachine}
