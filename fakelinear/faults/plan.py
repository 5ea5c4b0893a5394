"""Fault plans: which faults the fake injects, how often, and on what.

A :class:`FaultPlan` is plain data (dataclasses) with a dict form that is the same in TOML
files, the control API (``POST /_fake/faults``) and per-test overrides. Rule sections
(``phantom_conflict``, ``gateway``, ``transport``) are *lists of rules*: a dict given where a
list is expected is one rule, and merging a partial dict appends its rules, so
``{"phantom_conflict": {"on": "teamCreate", "first": 3}}`` adds exactly that rule. Setting
sections (``lag``, ``rate_limit``) are single objects; merging updates the given fields.

Unknown fields raise :class:`FaultPlanError` naming the field and the allowed ones, because a
typo in a fault plan otherwise silently means "no faults".
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

GATEWAY_STATUSES = (502, 503, 504)
TRANSPORT_KINDS = ("connection_reset", "read_timeout", "truncated_body")
#: Linear's documented default for API keys (requests per hour).
DEFAULT_REQUESTS_PER_HOUR = 2500
#: Linear's documented complexity budget for API keys (points per hour).
DEFAULT_COMPLEXITY_PER_HOUR = 3_000_000


class FaultPlanError(ValueError):
    """A fault plan that cannot be understood (unknown field, bad value)."""


def _suggest(name: str, choices: Any) -> str:
    # Imported late: validation imports this module.
    from fakelinear.faults.validation import did_you_mean

    return did_you_mean(str(name), [str(c) for c in choices])


def _on(value: Any, where: str) -> tuple[str, ...] | None:
    """Normalize an ``on`` filter: ``None`` (everything), a string, or a list of strings."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise FaultPlanError(f"{where}.on must be a string or a list of strings, got {value!r}")


def _prob(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise FaultPlanError(f"{where}.probability must be a number in [0, 1], got {value!r}")
    return float(value)


def _times(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultPlanError(f"{where}.times must be a non-negative integer, got {value!r}")
    return value


def _non_negative(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultPlanError(f"{where} must be a non-negative number, got {value!r}")
    return float(value)


def _check_gateway_or_transport(rule: GatewayRule | TransportRule, where: str) -> None:
    """The fields gateway and transport rules share: probability, after_commit, on, times."""
    rule.probability = _prob(rule.probability, where)
    if not isinstance(rule.after_commit, bool):
        raise FaultPlanError(f"{where}.after_commit must be true or false")
    rule.on = _on(rule.on, where)
    rule.times = _times(rule.times, where)


class _Section:
    """Shared dict conversion with strict field checking."""

    section: ClassVar[str] = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        if not isinstance(data, dict):
            raise FaultPlanError(f"{cls.section} must be a table/object, got {data!r}")
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise FaultPlanError(
                f"unknown field {unknown[0]!r} in {cls.section}{_suggest(unknown[0], names)} "
                f"(allowed: {', '.join(sorted(names))})"
            )
        obj = cls(**data)
        obj.validate()  # type: ignore[attr-defined]
        return obj

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass
class PhantomConflictRule(_Section):
    """F1: a ``*Create`` answered with ``conflict on insert of <Type>`` and nothing created.

    - ``probability``: chance per matching create (decided per key, body and sequence).
    - ``first``: cold start, the first K matching creates per key (or per client session
      when ``cold_start_scope = "client"``) conflict back to back.
    - ``sticky_for``: seconds a conflicting body stays stuck for that key (an identical body
      keeps conflicting); ``None`` means forever, ``0`` means not sticky.
    - ``on``: root fields / operation names the rule applies to (default: every create).
    - ``http_status``: 200 (Linear's usual) or 400.
    - ``times``: the rule fires at most this many times (then it is spent).
    """

    section: ClassVar[str] = "phantom_conflict"
    probability: float = 0.0
    first: int = 0
    sticky_for: float | None = None
    cold_start_scope: str = "key"
    on: tuple[str, ...] | None = None
    http_status: int = 200
    times: int | None = None

    def validate(self) -> None:
        """Check and normalize the fields in place; :class:`FaultPlanError` on a bad value."""
        w = self.section
        self.probability = _prob(self.probability, w)
        if isinstance(self.first, bool) or not isinstance(self.first, int) or self.first < 0:
            raise FaultPlanError(f"{w}.first must be a non-negative integer, got {self.first!r}")
        if self.sticky_for is not None:
            self.sticky_for = _non_negative(self.sticky_for, f"{w}.sticky_for")
        if self.cold_start_scope not in ("key", "client"):
            raise FaultPlanError(f"{w}.cold_start_scope must be 'key' or 'client', got {self.cold_start_scope!r}")
        self.on = _on(self.on, w)
        if self.http_status not in (200, 400):
            raise FaultPlanError(f"{w}.http_status must be 200 or 400, got {self.http_status!r}")
        self.times = _times(self.times, w)


@dataclass
class GatewayRule(_Section):
    """F3: a 502/503/504 with an HTML body, from a gateway in front of Linear.

    ``after_commit = false``: the request never reaches the model (nothing written).
    ``after_commit = true``: commit-then-fail, only on a mutation that did commit; the write
    stays and the client still sees the gateway error.
    """

    section: ClassVar[str] = "gateway"
    status: int = 502
    probability: float = 1.0
    after_commit: bool = False
    on: tuple[str, ...] | None = None
    times: int | None = None

    def validate(self) -> None:
        """Check and normalize the fields in place; :class:`FaultPlanError` on a bad value."""
        w = self.section
        if self.status not in GATEWAY_STATUSES:
            raise FaultPlanError(f"{w}.status must be one of 502, 503, 504, got {self.status!r}")
        _check_gateway_or_transport(self, w)


@dataclass
class TransportRule(_Section):
    """F7: the connection misbehaves. ``connection_reset`` and ``read_timeout`` happen before
    the model unless ``after_commit`` (then only after a committed mutation);
    ``truncated_body`` always cuts a real answer, so whatever it did stays done."""

    section: ClassVar[str] = "transport"
    kind: str = "connection_reset"
    probability: float = 1.0
    after_commit: bool = False
    on: tuple[str, ...] | None = None
    times: int | None = None

    def validate(self) -> None:
        """Check and normalize the fields in place; :class:`FaultPlanError` on a bad value."""
        w = self.section
        if self.kind not in TRANSPORT_KINDS:
            raise FaultPlanError(f"{w}.kind must be one of {', '.join(TRANSPORT_KINDS)}, got {self.kind!r}")
        _check_gateway_or_transport(self, w)


@dataclass
class LagPlan(_Section):
    """F4: read-after-create and search-index lag, in virtual seconds and/or reads.

    A new entity is hidden from reads and lists while it is younger than ``read_seconds``
    *or* has been asked for fewer than ``read_count`` times. Search hides it for
    ``search_seconds`` (and ``search_count`` searches); an issue whose team was created less
    than ``new_team_window`` seconds before it lags ``new_team_search_extra`` seconds more.
    """

    section: ClassVar[str] = "lag"
    read_seconds: float = 0.0
    read_count: int = 0
    search_seconds: float = 0.0
    search_count: int = 0
    new_team_window: float = 0.0
    new_team_search_extra: float = 0.0

    def validate(self) -> None:
        """Check and normalize the fields in place; :class:`FaultPlanError` on a bad value."""
        for name in ("read_seconds", "search_seconds", "new_team_window", "new_team_search_extra"):
            setattr(self, name, _non_negative(getattr(self, name), f"lag.{name}"))
        for name in ("read_count", "search_count"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise FaultPlanError(f"lag.{name} must be a non-negative integer, got {v!r}")

    @property
    def active(self) -> bool:
        """False when nothing ever lags (the engine then hands out ALWAYS_VISIBLE)."""
        return bool(
            self.read_seconds or self.read_count or self.search_seconds or self.search_count
            or self.new_team_search_extra
        )


@dataclass
class RateLimitPlan(_Section):
    """F5: a leaky bucket per key. Headers are sent on every response; ``enforce = false``
    (the ``calm`` profile) keeps the headers but never answers RATELIMITED."""

    section: ClassVar[str] = "rate_limit"
    enforce: bool = True
    per_hour: int = DEFAULT_REQUESTS_PER_HOUR
    complexity_per_hour: int = DEFAULT_COMPLEXITY_PER_HOUR
    http_status: int = 400

    def validate(self) -> None:
        """Check and normalize the fields in place; :class:`FaultPlanError` on a bad value."""
        if not isinstance(self.enforce, bool):
            raise FaultPlanError("rate_limit.enforce must be true or false")
        for name in ("per_hour", "complexity_per_hour"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise FaultPlanError(f"rate_limit.{name} must be a positive integer, got {v!r}")
        if self.http_status not in (400, 429):
            raise FaultPlanError(f"rate_limit.http_status must be 400 or 429, got {self.http_status!r}")


@dataclass
class WebhookPlan(_Section):
    """F8: how the fake delivers webhooks, and how deliveries go wrong.

    Probabilities are per delivery (``duplicate``, ``delay``, ``reorder``) or per attempt
    (``lost_ack``, ``stale_timestamp``, ``bad_signature``); at most one fault per attempt.

    - ``duplicate``: the delivery is sent once more, ``duplicate_after`` seconds after it
      was accepted, with the same ``Linear-Delivery`` id.
    - ``delay``: the first attempt waits ``delay_min``..``delay_max`` seconds.
    - ``reorder``: the delivery is held until the next event of the same entity (for the
      same webhook) has been sent, or ``reorder_window`` seconds.
    - ``lost_ack``: the receiver answered 2xx but the fake counts it as a timeout and
      retries on the schedule (same delivery id).
    - ``stale_timestamp``: ``webhookTimestamp`` is ``stale_seconds`` in the past.
    - ``bad_signature``: opt-in (no profile sets it): ``Linear-Signature`` is not the
      HMAC of the body with the webhook's secret.
    - ``retry_delays``: Linear's schedule after a failed attempt (non-2xx or timeout);
      ``timeout``: seconds a receiver has to answer.
    - ``disable_after``: a webhook is disabled after this many consecutive deliveries that
      failed every attempt (0: never).
    """

    section: ClassVar[str] = "webhooks"
    duplicate: float = 0.0
    duplicate_after: float = 0.0
    delay: float = 0.0
    delay_min: float = 1.0
    delay_max: float = 30.0
    reorder: float = 0.0
    reorder_window: float = 30.0
    lost_ack: float = 0.0
    stale_timestamp: float = 0.0
    stale_seconds: float = 120.0
    bad_signature: float = 0.0
    retry_delays: tuple[float, ...] = (60.0, 3600.0, 21600.0)
    timeout: float = 5.0
    disable_after: int = 1

    _PROBABILITIES: ClassVar[tuple[str, ...]] = (
        "duplicate", "delay", "reorder", "lost_ack", "stale_timestamp", "bad_signature",
    )

    def validate(self) -> None:
        """Check and normalize the fields in place; :class:`FaultPlanError` on a bad value."""
        for name in self._PROBABILITIES:
            setattr(self, name, _prob(getattr(self, name), f"webhooks.{name}"))
        for name in ("duplicate_after", "delay_min", "delay_max", "reorder_window", "stale_seconds"):
            setattr(self, name, _non_negative(getattr(self, name), f"webhooks.{name}"))
        if self.delay_max < self.delay_min:
            raise FaultPlanError("webhooks.delay_max must not be less than webhooks.delay_min")
        delays = self.retry_delays
        if not isinstance(delays, list | tuple):
            raise FaultPlanError(f"webhooks.retry_delays must be a list of seconds, got {delays!r}")
        self.retry_delays = tuple(_non_negative(d, "webhooks.retry_delays[]") for d in delays)
        timeout = self.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise FaultPlanError(f"webhooks.timeout must be a positive number, got {timeout!r}")
        self.timeout = float(timeout)
        n = self.disable_after
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise FaultPlanError(f"webhooks.disable_after must be a non-negative integer, got {n!r}")

    @property
    def active(self) -> bool:
        """True when some delivery fault can fire."""
        return any(getattr(self, name) > 0 for name in self._PROBABILITIES)


_RULE_SECTIONS: dict[str, type[_Section]] = {
    "phantom_conflict": PhantomConflictRule,
    "gateway": GatewayRule,
    "transport": TransportRule,
}
_SETTING_SECTIONS: dict[str, type[_Section]] = {
    "lag": LagPlan, "rate_limit": RateLimitPlan, "webhooks": WebhookPlan,
}
_TOP_LEVEL = {"name", "plan_limits", *_RULE_SECTIONS, *_SETTING_SECTIONS}


def _gateway_rules(data: Any) -> list[dict[str, Any]]:
    """Expand the compact gateway table ``{before = {502 = 0.01}, after_commit = {502 = ...},
    on = [...]}`` into rules; anything else is passed through as rule dicts."""
    if isinstance(data, dict) and any(isinstance(data.get(k), dict) for k in ("before", "after_commit")):
        unknown = sorted(set(data) - {"before", "after_commit", "on", "times"})
        if unknown:
            raise FaultPlanError(
                f"unknown field {unknown[0]!r} in gateway (allowed in the compact form: after_commit, before, on, times)"
            )
        rules = []
        for phase in ("before", "after_commit"):
            for status, probability in (data.get(phase) or {}).items():
                try:
                    status_int = int(status)
                except (TypeError, ValueError):
                    raise FaultPlanError(f"gateway.{phase} keys must be HTTP statuses, got {status!r}") from None
                rule: dict[str, Any] = {
                    "status": status_int,
                    "probability": probability,
                    "after_commit": phase == "after_commit",
                }
                for extra in ("on", "times"):
                    if extra in data:
                        rule[extra] = data[extra]
                rules.append(rule)
        return rules
    return data if isinstance(data, list) else [data]


def _rules(name: str, data: Any) -> list[Any]:
    cls = _RULE_SECTIONS[name]
    items = _gateway_rules(data) if name == "gateway" else (data if isinstance(data, list) else [data])
    return [cls.from_dict(item) for item in items]


@dataclass
class FaultPlan:
    """Everything the fault layer may do. The empty plan injects nothing but still sends
    rate-limit headers (and enforces 2,500 requests/hour, like Linear, unless
    ``rate_limit.enforce`` is false).

    ``plan_limits``: whether workspaces of a fake using this plan are on Linear's free plan
    (F6 lives in the model; the profile only chooses). ``None`` leaves it to the fake's own
    ``plan=`` argument.
    """

    name: str | None = None
    phantom_conflict: list[PhantomConflictRule] = field(default_factory=list)
    gateway: list[GatewayRule] = field(default_factory=list)
    transport: list[TransportRule] = field(default_factory=list)
    lag: LagPlan = field(default_factory=LagPlan)
    rate_limit: RateLimitPlan = field(default_factory=RateLimitPlan)
    webhooks: WebhookPlan = field(default_factory=WebhookPlan)
    plan_limits: bool | None = None

    # -- conversions -----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        """Build a plan from its dict form (TOML/JSON). Unknown fields raise."""
        return cls().merge(data)

    @classmethod
    def from_toml(cls, path: str | Path) -> FaultPlan:
        """Load a TOML fault plan file."""
        with open(path, "rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise FaultPlanError(f"{path}: {exc}") from exc
        try:
            return cls.from_dict(data)
        except FaultPlanError as exc:
            raise FaultPlanError(f"{path}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """The dict form; ``FaultPlan.from_dict(plan.to_dict()) == plan``. ``None`` values
        are left out (TOML has no null; absent means the default)."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.plan_limits is not None:
            out["plan_limits"] = self.plan_limits
        for name in _RULE_SECTIONS:
            out[name] = [_drop_none(r.to_dict()) for r in getattr(self, name)]
        for name in _SETTING_SECTIONS:
            out[name] = getattr(self, name).to_dict()
        return out

    def copy(self) -> FaultPlan:
        """A deep copy (rules are mutable dataclasses)."""
        return FaultPlan.from_dict(self.to_dict())

    # -- combination -----------------------------------------------------------------
    def merge(self, other: FaultPlan | dict[str, Any]) -> FaultPlan:
        """A new plan: ``self`` plus ``other``. Rules are appended; in ``lag`` and
        ``rate_limit`` the fields ``other`` sets (dict form) or changes from the defaults
        (plan form) win; ``name`` and ``plan_limits`` are replaced when given."""
        data = other.to_dict() if isinstance(other, FaultPlan) else other
        if not isinstance(data, dict):
            raise FaultPlanError(f"a fault plan must be a table/object, got {type(data).__name__}")
        unknown = sorted(set(data) - _TOP_LEVEL)
        if unknown:
            raise FaultPlanError(
                f"unknown fault plan section {unknown[0]!r}{_suggest(unknown[0], _TOP_LEVEL)} "
                f"(allowed: {', '.join(sorted(_TOP_LEVEL))})"
            )
        base = self.to_dict()
        new = FaultPlan()
        new.name = data.get("name", base.get("name"))
        if "plan_limits" in data and data["plan_limits"] is not None and not isinstance(data["plan_limits"], bool):
            raise FaultPlanError("plan_limits must be true or false")
        new.plan_limits = data.get("plan_limits", self.plan_limits)
        for name in _RULE_SECTIONS:
            rules = [*_rules(name, base[name])]
            if data.get(name) is not None:
                rules += _rules(name, data[name])
            setattr(new, name, rules)
        for name, cls in _SETTING_SECTIONS.items():
            fields = dict(base[name])
            given = data.get(name)
            if given is not None:
                if not isinstance(given, dict):
                    raise FaultPlanError(f"{name} must be a table/object, got {given!r}")
                if isinstance(other, FaultPlan):
                    default = cls().to_dict()
                    given = {k: v for k, v in given.items() if default.get(k, object()) != v}
                unknown_fields = sorted(set(given) - set(fields))
                if unknown_fields:
                    raise FaultPlanError(
                        f"unknown field {unknown_fields[0]!r} in {name}{_suggest(unknown_fields[0], fields)} "
                        f"(allowed: {', '.join(sorted(fields))})"
                    )
                fields.update(given)
            setattr(new, name, cls.from_dict(fields))
        return new

    @property
    def is_calm(self) -> bool:
        """True when this plan never injects a fault (rate limits not enforced, no lag)."""
        return not (
            any(r.probability > 0 or r.first > 0 for r in self.phantom_conflict)
            or any(r.probability > 0 for r in self.gateway)
            or any(r.probability > 0 for r in self.transport)
            or self.lag.active
            or self.rate_limit.enforce
            or self.webhooks.active
        )


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
