"""The scenario data model: what a ``scenarios/*.toml`` file says, as frozen dataclasses.

A scenario names the fault plan (profile, plan overrides, timed injections, seed), the
workload (classes, persistent / flapping / arriving findings), the promoter configuration
(modes, threshold, cap, replicas, store kind), the number of cycles, store faults, timed
events, and per-mode expectations. :func:`parse_spec` validates a plain dict (from TOML)
and raises :class:`~scenarios.errors.ScenarioError` naming the offending field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scenarios.errors import ScenarioError

MODES = ("reference", "idempotent")
STORES = ("sqlite", "postgres")
PROFILES = ("calm", "linear-observed", "storm")
INVARIANTS = ("I1", "I2", "I3", "I4", "I5", "I6", "I7")
STORE_FAULT_KINDS = ("write_back_fail", "refresh_fail", "stale_reads")
EVENT_ACTIONS = ("disable", "enable", "cleanup", "advance_clock", "add_replica", "reconcile")
#: Fault injections a scenario may schedule: the fake's override handle methods
#: (``fake.faults.<kind>(**args)``), applied before a cycle.
INJECTION_KINDS = (
    "phantom_conflicts",
    "gateway_error",
    "transport_fault",
    "read_lag",
    "search_lag",
    "rate_limit",
    "calm",
    "clear",
)
#: Anomaly kinds the checker reports (see :mod:`scenarios.checker`).
ANOMALY_KINDS = (
    "lost",
    "orphan",
    "orphan_uncounted",
    "duplicate_orphan",
    "duplicate_commit_then_fail",
    "duplicate_race",
    "duplicate_unexplained",
    "false_link",
    "cap_exceeded",
    "kill_switch_calls",
    "left_behind",
    "unparked_poison",
    "starved",
)

Locate = Callable[[str], "int | None"]


@dataclass(frozen=True)
class Injection:
    """A fault override applied as ``fake.faults.<kind>(**args)`` before ``cycle``, e.g.
    ``kind = "gateway_error"``, ``args = {status = 502, after_commit = true, times = 1}``."""

    cycle: int
    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FaultSpec:
    """The fake's fault plan: a named profile, plan fields merged over it, injections."""

    profile: str = "calm"
    plan: dict[str, Any] = field(default_factory=dict)
    inject: tuple[Injection, ...] = ()
    workspace_plan: str = "free"


@dataclass(frozen=True)
class WorkloadSpec:
    """How findings are seen per cycle.

    ``persistent`` findings per class are seen every cycle from cycle 0; ``flapping``
    findings follow ``flap_pattern`` (``1`` seen, ``0`` not, repeated); every
    ``arrivals_every`` cycles ``arrivals_count`` new persistent findings arrive per class.
    ``poison`` findings per class (persistent) can never be filed: their detail is larger
    than Linear accepts (HTTP 413), so they must end parked and never starve the rest (I7).
    ``marker_text`` findings per class (persistent) carry marker-like lines in their title,
    detail or ref that name *other* findings' ids: they must never forge a link.
    """

    classes: tuple[str, ...] = ("lint",)
    persistent: int = 3
    flapping: int = 0
    flap_pattern: str = "10"
    arrivals_every: int = 0
    arrivals_count: int = 1
    poison: int = 0
    marker_text: int = 0


@dataclass(frozen=True)
class PromoterSpec:
    """Promoter configuration. ``modes`` lists the modes to run (side by side)."""

    modes: tuple[str, ...] = ("reference",)
    threshold: int = 2
    max_per_run: int = 5
    replicas: int = 1
    store: str = "sqlite"
    claim: bool = False
    enabled: bool = True
    park_after: int = 5
    max_backoff: int = 8


@dataclass(frozen=True)
class StoreFault:
    """A store fault armed before ``cycle``: the next ``times`` write-backs fail
    (``write_back_fail``), the next ``times`` refreshes fail (``refresh_fail``), or, from then
    on until the settle phase, the index serves reads as of its last successful refresh
    (``stale_reads``; ``times`` is ignored)."""

    cycle: int
    kind: str
    times: int = 1


@dataclass(frozen=True)
class Event:
    """A timed action ``before`` (default) or ``after`` ``cycle``'s runs: ``disable``/``enable`` (kill switch),
    ``cleanup`` (the testkit's workspace cleanup), ``advance_clock`` (``seconds``),
    ``add_replica``, ``reconcile``."""

    cycle: int
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    when: str = "before"


@dataclass(frozen=True)
class SetupSpec:
    """State left by "earlier runs" before the scenario starts: ``zombie_issues`` trashed
    ``[test]`` issues, which keep counting against the free plan's 250 until purged (F6)."""

    zombie_issues: int = 0


@dataclass(frozen=True)
class Expectation:
    """What must hold for one mode.

    ``invariants``: DESIGN.md §6 ids that must hold. ``anomalies``: exact counts per anomaly
    kind; ``allowed``: kinds allowed in any number; any other kind found is a failure.
    ``at_least`` / ``at_most``: bounds on report metrics (e.g. ``capped``, ``http_calls``).
    """

    invariants: tuple[str, ...] = ("I1", "I4", "I5", "I6")
    anomalies: dict[str, int] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()
    at_least: dict[str, int] = field(default_factory=dict)
    at_most: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario file, validated."""

    name: str
    description: str = ""
    seed: int = 0
    cycles: int = 6
    cycle_seconds: float = 300.0
    settle_cycles: int | None = None
    tags: tuple[str, ...] = ()
    faults: FaultSpec = field(default_factory=FaultSpec)
    workload: WorkloadSpec = field(default_factory=WorkloadSpec)
    promoter: PromoterSpec = field(default_factory=PromoterSpec)
    store_faults: tuple[StoreFault, ...] = ()
    events: tuple[Event, ...] = ()
    setup: SetupSpec = field(default_factory=SetupSpec)
    expect: dict[str, Expectation] = field(default_factory=dict)
    path: str | None = None

    def with_seed(self, seed: int) -> ScenarioSpec:
        """The same scenario with another seed."""
        return replace(self, seed=seed)

    def expectation(self, mode: str) -> Expectation:
        """The expectation for ``mode`` (the default one when not given)."""
        return self.expect.get(mode, Expectation())


# --------------------------------------------------------------------------- parsing


class _Ctx:
    def __init__(self, path: str | None, locate: Locate | None) -> None:
        self.path = path
        self.locate = locate or (lambda _f: None)

    def error(self, fieldname: str, message: str) -> ScenarioError:
        return ScenarioError(message, path=self.path, field=fieldname, line=self.locate(fieldname))


def _table(ctx: _Ctx, data: Mapping[str, Any], key: str, fieldname: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ctx.error(fieldname, f"must be a table, got {type(value).__name__}")
    return dict(value)


def _known(ctx: _Ctx, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            name = f"{prefix}.{key}" if prefix else key
            raise ctx.error(name, f"unknown field (expected one of: {', '.join(allowed)})")


def _int(ctx: _Ctx, table: Mapping[str, Any], key: str, fieldname: str, default: int, minimum: int = 0) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(fieldname, f"must be an integer, got {value!r}")
    if value < minimum:
        raise ctx.error(fieldname, f"must be >= {minimum}, got {value}")
    return value


def _num(ctx: _Ctx, table: Mapping[str, Any], key: str, fieldname: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(fieldname, f"must be a number, got {value!r}")
    if value < 0:
        raise ctx.error(fieldname, f"must be >= 0, got {value}")
    return float(value)


def _str(ctx: _Ctx, table: Mapping[str, Any], key: str, fieldname: str, default: str,
         choices: tuple[str, ...] | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ctx.error(fieldname, f"must be a string, got {value!r}")
    if choices is not None and value not in choices:
        raise ctx.error(fieldname, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def _bool(ctx: _Ctx, table: Mapping[str, Any], key: str, fieldname: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ctx.error(fieldname, f"must be true or false, got {value!r}")
    return value


def _strlist(ctx: _Ctx, table: Mapping[str, Any], key: str, fieldname: str, default: tuple[str, ...],
             choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(fieldname, f"must be a list of strings, got {value!r}")
    if choices is not None:
        for v in value:
            if v not in choices:
                raise ctx.error(fieldname, f"unknown value {v!r} (expected one of: {', '.join(choices)})")
    return tuple(value)


def _counts(ctx: _Ctx, table: Mapping[str, Any], key: str, fieldname: str,
            choices: tuple[str, ...] | None = None) -> dict[str, int]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise ctx.error(fieldname, f"must be a table of counts, got {value!r}")
    out: dict[str, int] = {}
    for k in value:
        if choices is not None and k not in choices:
            raise ctx.error(f"{fieldname}.{k}", f"unknown kind (expected one of: {', '.join(choices)})")
        out[k] = _int(ctx, value, k, f"{fieldname}.{k}", 0)
    return out


def _array(ctx: _Ctx, data: Mapping[str, Any], key: str, fieldname: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ctx.error(fieldname, "must be an array of tables ([[...]])")
    return [dict(v) for v in value]


def _timed(ctx: _Ctx, item: Mapping[str, Any], prefix: str, allowed: tuple[str, ...], name_key: str,
           choices: tuple[str, ...], cycles: int) -> tuple[str, int]:
    """The common part of an ``[[...]]`` entry that happens at a cycle: known fields only, the
    required ``name_key`` (one of ``choices``) and a ``cycle`` below ``scenario.cycles``."""
    _known(ctx, item, allowed, prefix)
    if name_key not in item:
        raise ctx.error(f"{prefix}.{name_key}", "is required")
    name = _str(ctx, item, name_key, f"{prefix}.{name_key}", "", choices)
    cycle = _int(ctx, item, "cycle", f"{prefix}.cycle", 0)
    if cycle >= cycles:
        raise ctx.error(f"{prefix}.cycle", f"must be < scenario.cycles ({cycles}), got {cycle}")
    return name, cycle


def _parse_faults(ctx: _Ctx, data: Mapping[str, Any], cycles: int) -> FaultSpec:
    t = _table(ctx, data, "faults", "faults")
    _known(ctx, t, ("profile", "plan", "inject", "workspace_plan"), "faults")
    profile = _str(ctx, t, "profile", "faults.profile", "calm", PROFILES)
    plan = _table(ctx, t, "plan", "faults.plan")
    injections = []
    for i, item in enumerate(_array(ctx, t, "inject", "faults.inject")):
        prefix = f"faults.inject[{i}]"
        kind, cycle = _timed(ctx, item, prefix, ("cycle", "kind", "args"), "kind", INJECTION_KINDS, cycles)
        injections.append(Injection(cycle, kind, _table(ctx, item, "args", f"{prefix}.args")))
    workspace_plan = _str(ctx, t, "workspace_plan", "faults.workspace_plan", "free", ("free", "unlimited"))
    return FaultSpec(profile, plan, tuple(injections), workspace_plan)


def _parse_workload(ctx: _Ctx, data: Mapping[str, Any]) -> WorkloadSpec:
    t = _table(ctx, data, "workload", "workload")
    _known(ctx, t, ("classes", "persistent", "flapping", "flap_pattern", "arrivals_every", "arrivals_count",
                    "poison", "marker_text"), "workload")
    classes = _strlist(ctx, t, "classes", "workload.classes", ("lint",))
    if not classes:
        raise ctx.error("workload.classes", "needs at least one class")
    if len(set(classes)) != len(classes):
        raise ctx.error("workload.classes", "classes must be distinct")
    pattern = _str(ctx, t, "flap_pattern", "workload.flap_pattern", "10")
    if not pattern or set(pattern) - {"0", "1"}:
        raise ctx.error("workload.flap_pattern", f"must be a non-empty string of 0 and 1, got {pattern!r}")
    return WorkloadSpec(
        classes=classes,
        persistent=_int(ctx, t, "persistent", "workload.persistent", 3),
        flapping=_int(ctx, t, "flapping", "workload.flapping", 0),
        flap_pattern=pattern,
        arrivals_every=_int(ctx, t, "arrivals_every", "workload.arrivals_every", 0),
        arrivals_count=_int(ctx, t, "arrivals_count", "workload.arrivals_count", 1),
        poison=_int(ctx, t, "poison", "workload.poison", 0),
        marker_text=_int(ctx, t, "marker_text", "workload.marker_text", 0),
    )


def _parse_promoter(ctx: _Ctx, data: Mapping[str, Any]) -> PromoterSpec:
    t = _table(ctx, data, "promoter", "promoter")
    _known(ctx, t, ("mode", "modes", "threshold", "max_per_run", "replicas", "store", "claim", "enabled",
                    "park_after", "max_backoff"), "promoter")
    if "mode" in t and "modes" in t:
        raise ctx.error("promoter.modes", "give either mode or modes, not both")
    if "mode" in t:
        modes: tuple[str, ...] = (_str(ctx, t, "mode", "promoter.mode", "reference", MODES),)
    else:
        modes = _strlist(ctx, t, "modes", "promoter.modes", ("reference",), MODES)
    if not modes:
        raise ctx.error("promoter.modes", "needs at least one mode")
    store = _str(ctx, t, "store", "promoter.store", "sqlite", STORES)
    claim = _bool(ctx, t, "claim", "promoter.claim", store == "postgres")
    return PromoterSpec(
        modes=modes,
        threshold=_int(ctx, t, "threshold", "promoter.threshold", 2),
        max_per_run=_int(ctx, t, "max_per_run", "promoter.max_per_run", 5, minimum=1),
        replicas=_int(ctx, t, "replicas", "promoter.replicas", 1, minimum=1),
        store=store,
        claim=claim,
        enabled=_bool(ctx, t, "enabled", "promoter.enabled", True),
        park_after=_int(ctx, t, "park_after", "promoter.park_after", 5, minimum=1),
        max_backoff=_int(ctx, t, "max_backoff", "promoter.max_backoff", 8, minimum=1),
    )


def _parse_store_faults(ctx: _Ctx, data: Mapping[str, Any], cycles: int) -> tuple[StoreFault, ...]:
    out = []
    for i, item in enumerate(_array(ctx, data, "store_faults", "store_faults")):
        prefix = f"store_faults[{i}]"
        kind, cycle = _timed(ctx, item, prefix, ("cycle", "kind", "times"), "kind", STORE_FAULT_KINDS, cycles)
        out.append(StoreFault(cycle, kind, _int(ctx, item, "times", f"{prefix}.times", 1, minimum=1)))
    return tuple(out)


def _parse_events(ctx: _Ctx, data: Mapping[str, Any], cycles: int) -> tuple[Event, ...]:
    out = []
    for i, item in enumerate(_array(ctx, data, "events", "events")):
        prefix = f"events[{i}]"
        action, cycle = _timed(ctx, item, prefix, ("cycle", "action", "seconds", "all", "when"), "action",
                               EVENT_ACTIONS, cycles)
        args: dict[str, Any] = {}
        if "seconds" in item:
            args["seconds"] = _num(ctx, item, "seconds", f"{prefix}.seconds", 0.0)
        if "all" in item:
            args["all"] = _bool(ctx, item, "all", f"{prefix}.all", False)
        if action == "advance_clock" and "seconds" not in args:
            raise ctx.error(f"{prefix}.seconds", "advance_clock needs seconds")
        when = _str(ctx, item, "when", f"{prefix}.when", "before", ("before", "after"))
        out.append(Event(cycle, action, args, when))
    return tuple(out)


def _parse_expectation(ctx: _Ctx, t: Mapping[str, Any], prefix: str, base: Expectation) -> Expectation:
    _known(ctx, t, ("invariants", "anomalies", "allowed", "at_least", "at_most"), prefix)
    return Expectation(
        invariants=_strlist(ctx, t, "invariants", f"{prefix}.invariants", base.invariants, INVARIANTS),
        anomalies=_counts(ctx, t, "anomalies", f"{prefix}.anomalies", ANOMALY_KINDS) if "anomalies" in t
        else dict(base.anomalies),
        allowed=_strlist(ctx, t, "allowed", f"{prefix}.allowed", base.allowed, ANOMALY_KINDS),
        at_least=_counts(ctx, t, "at_least", f"{prefix}.at_least") if "at_least" in t else dict(base.at_least),
        at_most=_counts(ctx, t, "at_most", f"{prefix}.at_most") if "at_most" in t else dict(base.at_most),
    )


def _parse_expect(ctx: _Ctx, data: Mapping[str, Any], modes: tuple[str, ...]) -> dict[str, Expectation]:
    t = _table(ctx, data, "expect", "expect")
    common = {k: v for k, v in t.items() if k not in MODES}
    base = _parse_expectation(ctx, common, "expect", Expectation())
    out: dict[str, Expectation] = {}
    for mode in modes:
        sub = _table(ctx, t, mode, f"expect.{mode}")
        out[mode] = _parse_expectation(ctx, sub, f"expect.{mode}", base)
    for mode in MODES:
        if mode in t and mode not in modes:
            raise ctx.error(f"expect.{mode}", f"mode {mode!r} is not in promoter.modes")
    return out


def parse_spec(data: Mapping[str, Any], *, path: str | None = None, locate: Locate | None = None,
               default_name: str = "scenario") -> ScenarioSpec:
    """Validate ``data`` (a parsed TOML document) into a :class:`ScenarioSpec`."""
    ctx = _Ctx(path, locate)
    _known(ctx, data, ("scenario", "faults", "workload", "promoter", "store_faults", "events", "setup", "expect"),
           "")
    s = _table(ctx, data, "scenario", "scenario")
    _known(ctx, s, ("name", "description", "seed", "cycles", "cycle_seconds", "settle_cycles", "tags"), "scenario")
    cycles = _int(ctx, s, "cycles", "scenario.cycles", 6, minimum=1)
    settle = s.get("settle_cycles")
    settle_cycles = None if settle is None else _int(ctx, s, "settle_cycles", "scenario.settle_cycles", 0)
    setup_t = _table(ctx, data, "setup", "setup")
    _known(ctx, setup_t, ("zombie_issues",), "setup")
    promoter = _parse_promoter(ctx, data)
    return ScenarioSpec(
        name=_str(ctx, s, "name", "scenario.name", default_name),
        description=_str(ctx, s, "description", "scenario.description", ""),
        seed=_int(ctx, s, "seed", "scenario.seed", 0),
        cycles=cycles,
        cycle_seconds=_num(ctx, s, "cycle_seconds", "scenario.cycle_seconds", 300.0),
        settle_cycles=settle_cycles,
        tags=_strlist(ctx, s, "tags", "scenario.tags", ()),
        faults=_parse_faults(ctx, data, cycles),
        workload=_parse_workload(ctx, data),
        promoter=promoter,
        store_faults=_parse_store_faults(ctx, data, cycles),
        events=_parse_events(ctx, data, cycles),
        setup=SetupSpec(
            zombie_issues=_int(ctx, setup_t, "zombie_issues", "setup.zombie_issues", 0),
        ),
        expect=_parse_expect(ctx, data, promoter.modes),
        path=path,
    )
