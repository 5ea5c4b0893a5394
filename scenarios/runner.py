"""Run a scenario: script a :class:`~scenarios.world.World` from a spec, check, compare.

A cycle is: the cycle's fault injections, store faults and events; one observation of
every class; one promotion run per replica per class; the clock moves ``cycle_seconds``.
After the scripted cycles comes the settle phase: the fake turns calm, store faults are
disarmed, the clock skips past every lag, and the last cycle's sightings repeat for
``settle_cycles`` cycles (by default enough for the cap to drain). Then the checker reads
the history and the final state (I1-I5), the harness cleans up, and what is left is I6.
"""

from __future__ import annotations

import math
import os
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

from promoter.store.base import backoff_cycles
from scenarios.checker import CheckResult, check
from scenarios.expect import evaluate
from scenarios.facts import FinalState, Truth
from scenarios.history import CREATE, History
from scenarios.spec import ScenarioSpec
from scenarios.workload import Workload
from scenarios.world import PostgresUnavailable, World, WorldConfig

#: Virtual seconds skipped before the settle phase (past every read and search lag).
SETTLE_SKIP = 3600.0


@dataclass
class ScenarioRun:
    """The outcome of one scenario in one mode with one seed."""

    spec: ScenarioSpec
    mode: str
    seed: int
    result: CheckResult | None = None
    failures: list[str] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None
    elapsed: float = 0.0
    history: History | None = None
    final: FinalState | None = None

    @property
    def ok(self) -> bool:
        """True when the expectation held (or the scenario was skipped)."""
        return self.skipped is not None or (self.error is None and not self.failures)

    @property
    def replay(self) -> str:
        """The exact command that replays this run."""
        path = self.spec.path or f"scenarios/{self.spec.name}.toml"
        return f"python -m scenarios run {shlex.quote(path)} --seed {self.seed} --mode {self.mode}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (with the checker's anomalies and metrics)."""
        return {
            "scenario": self.spec.name,
            "path": self.spec.path,
            "description": self.spec.description,
            "mode": self.mode,
            "seed": self.seed,
            "ok": self.ok,
            "skipped": self.skipped,
            "error": self.error,
            "failures": list(self.failures),
            "elapsed_s": round(self.elapsed, 3),
            "replay": self.replay,
            "check": self.result.to_dict() if self.result else None,
        }


def settle_cycles(spec: ScenarioSpec, workload: Workload) -> int:
    """Cycles after the script so every promotable finding can be filed despite the cap, a
    finding that failed during the script can wait out its backoff (up to ``max_backoff``),
    and a poison finding can fail ``park_after`` times, backing off in between."""
    if spec.settle_cycles is not None:
        return spec.settle_cycles
    p = spec.promoter
    per_class = max((sum(1 for f in workload.planned if f.finding.cls == c) for c in workload.classes), default=0)
    drain = math.ceil(per_class / max(1, p.max_per_run))
    settle = p.threshold + drain + 2 + p.max_backoff
    if workload.poison_ids():
        settle += sum(backoff_cycles(k, p.max_backoff) for k in range(1, p.park_after)) + 1
    return settle


def run_scenario(spec: ScenarioSpec, mode: str | None = None, seed: int | None = None) -> ScenarioRun:
    """Run ``spec`` in ``mode`` (default: its first mode) with ``seed`` (default: its own)."""
    mode = mode or spec.promoter.modes[0]
    seed = spec.seed if seed is None else seed
    run = ScenarioRun(spec, mode, seed)
    started = time.perf_counter()
    try:
        _run(spec, mode, seed, run)
    except PostgresUnavailable as exc:
        if os.environ.get("FAKELINEAR_REQUIRE_PG") == "1":
            run.error = f"{exc} (FAKELINEAR_REQUIRE_PG=1)"
        else:
            run.skipped = f"needs PostgreSQL: {exc}"
    except Exception as exc:  # a crash is a failed scenario, with its replay command
        run.error = f"{type(exc).__name__}: {exc}"
    run.elapsed = time.perf_counter() - started
    return run


def _run(spec: ScenarioSpec, mode: str, seed: int, run: ScenarioRun) -> None:
    p = spec.promoter
    workload = Workload.build(spec.workload, spec.cycles)
    cfg = WorldConfig(
        seed=seed, mode=mode, profile=spec.faults.profile, plan=spec.faults.plan,
        workspace_plan=spec.faults.workspace_plan, threshold=p.threshold, max_per_run=p.max_per_run,
        replicas=p.replicas, store=p.store, claims=p.claim, enabled=p.enabled,
        zombie_issues=spec.setup.zombie_issues, name=spec.name, park_after=p.park_after,
        max_backoff=p.max_backoff,
    )
    enabled_at: list[bool] = []
    with World(cfg) as world:
        total = spec.cycles + settle_cycles(spec, workload)
        for cycle in range(total):
            world.cycle = cycle
            if cycle == spec.cycles:
                world.calm()
                world.advance(SETTLE_SKIP)
            if cycle < spec.cycles:
                _apply_cycle_actions(spec, world, cycle)
            world.observe({c: workload.seen(c, cycle) for c in workload.classes})
            world.promote(workload.classes)
            enabled_at.append(world.enabled)
            if cycle < spec.cycles:
                _apply_events(spec, world, cycle, "after")
            world.advance(spec.cycle_seconds)
        final = world.final_state(cleanup=True)
        history = world.history
    last = total - 1
    streaks = workload.streaks(last)
    poison = workload.poison_ids()
    promotable = frozenset(
        fid for fid, row in streaks.items()
        if enabled_at[last] and p.threshold > 0 and row[last] >= p.threshold
    )
    truth = Truth(mode, promotable - poison, p.max_per_run, promotable & poison)
    result = check(history, final, truth)
    result.metrics.update(_lateness(history, streaks, enabled_at, p.threshold))
    run.result, run.history, run.final = result, history, final
    run.failures = evaluate(result, spec.expectation(mode))


def _lateness(history: History, streaks: dict[str, list[int]], enabled_at: list[bool],
              threshold: int) -> dict[str, int]:
    """How many findings were first sent to Linear at least one cycle after they became
    promotable (a stale index, an API error, the cap, the kill switch), and the worst delay."""
    first_create: dict[str, int] = {}
    for c in history.of(CREATE):
        if c.finding_id and c.finding_id not in first_create:
            first_create[c.finding_id] = c.cycle
    late, worst = 0, 0
    for fid, row in streaks.items():
        due = next((i for i, v in enumerate(row) if threshold > 0 and v >= threshold and enabled_at[i]), None)
        sent = first_create.get(fid)
        if due is None or sent is None:
            continue
        delay = max(0, sent - due)
        late += delay > 0
        worst = max(worst, delay)
    return {"late_findings": late, "max_delay_cycles": worst}


def _apply_cycle_actions(spec: ScenarioSpec, world: World, cycle: int) -> None:
    for inj in spec.faults.inject:
        if inj.cycle == cycle:
            world.inject(inj.kind, **inj.args)
    for sf in spec.store_faults:
        if sf.cycle == cycle:
            world.store_fault(sf.kind, sf.times)
    _apply_events(spec, world, cycle, "before")


def _apply_events(spec: ScenarioSpec, world: World, cycle: int, when: str) -> None:
    for ev in spec.events:
        if ev.cycle != cycle or ev.when != when:
            continue
        if ev.action == "disable":
            world.set_enabled(False)
        elif ev.action == "enable":
            world.set_enabled(True)
        elif ev.action == "advance_clock":
            world.advance(float(ev.args["seconds"]))
        elif ev.action == "add_replica":
            world.add_replica()
        elif ev.action == "reconcile":
            world.reconcile()
        elif ev.action == "cleanup":
            world.cleanup(all=bool(ev.args.get("all", False)))


def run_all(specs: list[ScenarioSpec], *, seed: int | None = None, repeat: int = 1,
            modes: tuple[str, ...] | None = None) -> list[ScenarioRun]:
    """Every spec in each of its modes (or ``modes``), ``repeat`` times (seeds +1 each)."""
    runs = []
    for spec in specs:
        base = spec.seed if seed is None else seed
        for k in range(repeat):
            for mode in spec.promoter.modes:
                if modes and mode not in modes:
                    continue
                runs.append(run_scenario(spec, mode, base + k))
    return runs
