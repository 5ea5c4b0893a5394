"""The fault engine: wraps one GraphQL execution with Linear's failure modes.

``process(ctx, execute)`` runs, in order:

1. **before** the model: rate limit (F5), phantom conflict on creates (F1), gateway error
   (F3, nothing written), transport fault (F7, nothing written);
2. ``execute(visibility)`` with a lag-aware :class:`Visibility` (F4);
3. **after** the model: commit-then-fail gateway errors (F3; only when the mutation
   committed), after-commit transport faults and truncated bodies (F7);

then adds rate-limit headers to the response and writes one journal entry. At most one
fault is injected per request.

Determinism: every random decision is ``rng.derive(kind, rule index, key, body hash,
per-key sequence)``, so it depends on the seed, the plan and the request, never on how many
other decisions were made or on thread timing. Stateful rules (sticky bodies, cold-start
counts, ``times``) advance only with requests, in request order. The handler serializes
requests with one lock, so the engine keeps no lock of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

from fakelinear.api import errors as api_errors
from fakelinear.api.visibility import ALWAYS_VISIBLE, Visibility
from fakelinear.faults import complexity, ratelimit, responses
from fakelinear.faults.config import FaultConfig
from fakelinear.faults.context import RequestContext
from fakelinear.faults.journal import PASSED, Journal
from fakelinear.faults.lag import LagState, LagVisibility
from fakelinear.faults.plan import FaultPlan
from fakelinear.faults.validation import OPERATION_PREFIX
from fakelinear.http import Response
from fakelinear.masking import mask_secret_fields, mask_secret_fields_in_body

Execute = Callable[[Visibility], Any]
_BEFORE_TRANSPORT = ("connection_reset", "read_timeout")


@dataclass
class _Fault:
    """A decided fault: journal name, response, and details for the journal."""

    decision: str
    response: Response
    error_code: str | None = None
    detail: dict[str, Any] | None = None


def _matches(on: tuple[str, ...] | None, ctx: RequestContext) -> bool:
    """``on`` names root fields, operation names (``operation:<Name>`` or bare),
    ``query``/``mutation``/``create`` or ``*``."""
    if on is None:
        return True
    for name in on:
        if name == "*" or name in ctx.root_fields or name == ctx.operation_name or name == ctx.operation_type:
            return True
        if name == "create" and ctx.is_create:
            return True
        if name.startswith(OPERATION_PREFIX) and name[len(OPERATION_PREFIX) :] == ctx.operation_name:
            return True
    return False


def _error_code(result: Any) -> str | None:
    if isinstance(result, dict):
        errors = result.get("errors")
        if errors and isinstance(errors, list) and isinstance(errors[0], dict):
            ext = errors[0].get("extensions") or {}
            code = ext.get("code")
            return str(code) if code is not None else None
    return None


class FaultEngine:
    """Decides and applies faults for one fake. See the module docstring for the order.

    The plan comes from a :class:`FaultConfig` (its one owner); the engine only reads the
    plan in force and keeps the *decision state* (per-key sequences, cold-start counts, spent
    ``times``, stuck bodies, lag counts, rate-limit buckets), which :meth:`begin_scope`
    starts afresh.

    Args:
        plan: the :class:`FaultConfig` to read, or a :class:`FaultPlan` (a private config is
            made for it).
        rng: the fake's :class:`fakelinear.rng.Rng`.
        clock: the fake's clock (virtual in-process).
        journal: where every request is recorded.
        team_created_at: optional ``(workspace_id, team_id) -> created_at | None`` so search
            lag can be longer for issues of new teams.
        model: alternatively the fake's :class:`fakelinear.model.Model`; teams are then
            looked up there. With neither, the new-team extra search lag is skipped.
        setup_ids: optional ``workspace_id -> ids`` of the workspace's starting content
            (default team, seed content), which never lags (F4 is about client creates).
    """

    def __init__(
        self,
        plan: FaultConfig | FaultPlan,
        rng: Any,
        clock: Any,
        journal: Journal,
        team_created_at: Callable[[str, str], float | None] | None = None,
        model: Any = None,
        setup_ids: Callable[[str], Container[str]] | None = None,
    ) -> None:
        if team_created_at is None and model is not None:
            team_created_at = _model_team_lookup(model)
        self.rng = rng
        self.clock = clock
        self.journal = journal
        self.team_created_at = team_created_at
        # A workspace's starting content (default team, seed content) is not "just created"
        # for its first client: lag applies only to what clients create afterwards.
        self.setup_ids = setup_ids
        self.config = plan if isinstance(plan, FaultConfig) else FaultConfig(plan)
        self.config.on_change(self._config_changed)
        #: Salt of every random decision; set by :meth:`begin_scope` (None: unscoped).
        self.scope: str | None = None
        self._reset_state()
        self._buckets: dict[str, ratelimit.LeakyBucket] = {}
        self._complexity: dict[str, ratelimit.LeakyBucket] = {}
        #: Linear's single-query complexity limit (a query above it is refused unexecuted).
        self.max_complexity: int = complexity.MAX_QUERY_COMPLEXITY

    # -- plan and state ------------------------------------------------------------------
    @property
    def plan(self) -> FaultPlan:
        """The plan in force (read from the config; never mutate it)."""
        return self.config.plan

    def begin_scope(self, name: str | None) -> None:
        """Start a fresh decision scope (one test): every per-key sequence, cold-start count,
        spent ``times``, stuck body, lag count and rate-limit bucket starts over, and every
        random decision is salted with ``name``. The same requests in a scope of the same
        name therefore get the same faults, whatever ran before."""
        self.scope = name
        self._reset_state()
        self._buckets.clear()
        self._complexity.clear()

    def detach(self) -> None:
        """Stop following the config (this engine is being replaced by a new one)."""
        self.config.remove_listener(self._config_changed)

    def _config_changed(self, event: str, kept: dict[str, int]) -> None:
        if event == "configure":
            self._reset_state()
        elif event != "add":
            self._forget_rules(kept)

    def _reset_state(self) -> None:
        self._key_seq: dict[str, int] = {}
        self._create_seq: dict[str, int] = {}
        self._cold: dict[tuple[int, str], int] = {}
        self._spent: dict[tuple[str, int], int] = {}
        # (key, body hash) -> (stuck until | None for forever)
        self._stuck: dict[tuple[str, str], float | None] = {}
        self._lag = LagState()

    def _forget_rules(self, kept: dict[str, int]) -> None:
        """Drop per-rule state of rules past ``kept`` (they no longer exist), every stuck
        body and the lag counts."""
        self._cold = {k: v for k, v in self._cold.items() if k[0] < kept["phantom_conflict"]}
        self._spent = {k: v for k, v in self._spent.items() if k[1] < kept[k[0]]}
        self._stuck.clear()
        self._lag.clear()

    # -- visibility (F4) -----------------------------------------------------------------
    def visibility(self, workspace_id: str | None) -> Visibility:
        """The lag policy for a request on ``workspace_id`` at the current clock time."""
        lag = self.plan.lag
        if not lag.active:
            return ALWAYS_VISIBLE
        lookup = None
        if self.team_created_at is not None and workspace_id is not None:
            resolver = self.team_created_at

            def lookup(team_id: str) -> float | None:
                return resolver(workspace_id, team_id)

        setup: Container[str] = ()
        if self.setup_ids is not None and workspace_id is not None:
            setup = self.setup_ids(workspace_id)
        return LagVisibility(lag, self.clock.now(), self._lag, lookup, setup_ids=setup)

    # -- the main entry point ------------------------------------------------------------
    def process(self, ctx: RequestContext, execute: Execute) -> Response:
        """Run one request through the fault layer; returns the response to send."""
        now = self.clock.now()
        key = ctx.key
        seq = self._key_seq[key] = self._key_seq.get(key, 0) + 1
        plan = self.plan
        rl = plan.rate_limit
        cost = ctx.complexity
        if cost is None:
            cost = complexity.estimate(getattr(ctx.prepared, "document", None), ctx.variables)

        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = ratelimit.LeakyBucket(now)
        admitted, remaining, reset_at = bucket.admit(now, rl.per_hour, 1.0, rl.enforce)
        # Linear refuses a query over the single-query limit before it runs (always, not a
        # fault); the points of a query that may run count against the complexity bucket.
        too_complex = admitted and cost > self.max_complexity
        cbucket = self._complexity.get(key)
        if cbucket is None:
            cbucket = self._complexity[key] = ratelimit.LeakyBucket(now)
        charge = float(cost) if admitted and not too_complex else 0.0
        c_admitted, c_remaining, c_reset = cbucket.admit(now, rl.complexity_per_hour, charge, rl.enforce)

        committed = False
        fault: _Fault | None = None
        if too_complex:
            fault = _Fault(
                "complexity_limit",
                Response(400, {"content-type": responses.JSON},
                         api_errors.dumps({"errors": [complexity.too_complex_error(cost, self.max_complexity)]})),
                "INPUT_ERROR",
                {"complexity": cost, "limit": self.max_complexity},
            )
        elif not admitted or not c_admitted:
            fault = _Fault(
                "rate_limited",
                Response(rl.http_status, {"content-type": responses.JSON},
                         api_errors.dumps(responses.ratelimited_body(rl.http_status))),
                "RATELIMITED",
                {"limit": "requests"} if not admitted else {"limit": "complexity", "complexity": cost},
            )
            if admitted:  # refused for its points: a refused request fills no bucket
                remaining, reset_at = bucket.refund(now, rl.per_hour)
        elif plan.phantom_conflict or plan.gateway or plan.transport:
            fault = self._before(ctx, seq, now)

        if fault is None:
            outcome = execute(self.visibility(ctx.workspace_id))
            committed = bool(getattr(outcome, "committed", False))
            result = getattr(outcome, "result", outcome)
            status = int(getattr(outcome, "status", 200))
            response = Response(status, {"content-type": responses.JSON}, api_errors.dumps(result))
            if plan.gateway or plan.transport:
                fault = self._after(ctx, seq, committed, response, _error_code(result))
        if fault is None:
            decision, error_code, detail = PASSED, _error_code(result), {}
        else:
            response = fault.response
            decision, error_code, detail = fault.decision, fault.error_code, fault.detail or {}

        response.headers.update(
            ratelimit.headers(rl.per_hour, remaining, reset_at, (cost, rl.complexity_per_hour, c_remaining, c_reset))
        )
        cut = response.transport_fault in _BEFORE_TRANSPORT
        self.journal.add(
            now,
            ctx.key_masked,
            ctx.workspace_id,
            ctx.operation_name,
            ctx.root_fields,
            ctx.body_hash,
            mask_secret_fields(ctx.variables),  # a webhook's secret is never journaled whole
            0 if cut else response.status,
            error_code,
            decision,
            committed,
            detail,
            # The prepared document's text is shared by every request with that text.
            getattr(ctx.prepared, "query", None) or ctx.query,
            None if cut else mask_secret_fields_in_body(response.body),
        )
        return response

    # -- rule bookkeeping ----------------------------------------------------------------
    def _available(self, section: str, index: int, times: int | None) -> bool:
        return times is None or self._spent.get((section, index), 0) < times

    def _consume(self, section: str, index: int, times: int | None) -> None:
        if times is not None:
            self._spent[(section, index)] = self._spent.get((section, index), 0) + 1

    def _roll(self, probability: float, *parts: object) -> bool:
        if probability <= 0:
            return False
        if probability >= 1:
            return True
        if self.scope is not None:
            parts = ("scope", self.scope, *parts)
        return self.rng.derive(*parts).random() < probability

    # -- before the model ----------------------------------------------------------------
    def _before(self, ctx: RequestContext, seq: int, now: float) -> _Fault | None:
        if ctx.is_create and self.plan.phantom_conflict:
            fault = self._phantom(ctx, now)
            if fault is not None:
                return fault
        for index, rule in enumerate(self.plan.gateway):
            if rule.after_commit or not _matches(rule.on, ctx) or not self._available("gateway", index, rule.times):
                continue
            if self._roll(rule.probability, "gateway", index, ctx.key, ctx.body_hash, seq):
                self._consume("gateway", index, rule.times)
                return self._gateway(rule.status, "gateway_before", index)
        for index, rule in enumerate(self.plan.transport):
            if rule.kind not in _BEFORE_TRANSPORT or rule.after_commit:
                continue
            if not _matches(rule.on, ctx) or not self._available("transport", index, rule.times):
                continue
            if self._roll(rule.probability, "transport", index, ctx.key, ctx.body_hash, seq):
                self._consume("transport", index, rule.times)
                return _Fault(
                    f"transport:{rule.kind}",
                    Response(200, {"content-type": responses.JSON}, b"", transport_fault=rule.kind),  # type: ignore[arg-type]
                    None,
                    {"rule": index},
                )
        return None

    def _phantom(self, ctx: RequestContext, now: float) -> _Fault | None:
        """F1. Cold-start counters advance for every matching create (stuck retries
        included: the window is "the first K creates"), then a stuck body conflicts again,
        then each rule decides afresh."""
        key = ctx.key
        cseq = self._create_seq.get(key, 0) + 1
        self._create_seq[key] = cseq
        matching: list[tuple[int, Any, int]] = []
        for index, rule in enumerate(self.plan.phantom_conflict):
            if not _matches(rule.on, ctx):
                continue
            scope = (ctx.client_id or key) if rule.cold_start_scope == "client" else key
            n = self._cold.get((index, scope), 0) + 1
            self._cold[(index, scope)] = n
            matching.append((index, rule, n))
        if not matching:
            return None
        creates = getattr(ctx.prepared, "creates", ())
        root, entity_type = creates[0] if creates else (ctx.root_fields[0], "Entity")
        if self.scope is None:
            entity_id = self.rng.uuid4("phantom", key, ctx.body_hash, cseq)
        else:
            entity_id = self.rng.uuid4("scope", self.scope, "phantom", key, ctx.body_hash, cseq)
        stuck_key = (key, ctx.body_hash)
        if stuck_key in self._stuck:
            until = self._stuck[stuck_key]
            if until is None or now < until:
                status = matching[0][1].http_status
                return self._conflict(root, entity_type, entity_id, status, {"sticky": True})
            del self._stuck[stuck_key]
        for index, rule, n in matching:
            if not self._available("phantom_conflict", index, rule.times):
                continue
            cold = n <= rule.first
            if cold or self._roll(rule.probability, "phantom", index, key, ctx.body_hash, cseq):
                self._consume("phantom_conflict", index, rule.times)
                if rule.sticky_for is None:
                    self._stuck[stuck_key] = None
                elif rule.sticky_for > 0:
                    self._stuck[stuck_key] = now + rule.sticky_for
                return self._conflict(root, entity_type, entity_id, rule.http_status,
                                      {"rule": index, "cold_start": cold})
        return None

    def _conflict(
        self, root: str, entity_type: str, entity_id: str, status: int, detail: dict[str, Any]
    ) -> _Fault:
        body = responses.conflict_body(root, entity_type, entity_id)
        detail = {**detail, "entity_id": entity_id, "entity_type": entity_type}
        return _Fault(
            "phantom_conflict",
            Response(status, {"content-type": responses.JSON}, api_errors.dumps(body)),
            api_errors.INPUT_ERROR,
            detail,
        )

    def _gateway(self, status: int, decision: str, index: int) -> _Fault:
        return _Fault(
            decision,
            Response(status, {"content-type": responses.HTML}, responses.gateway_html(status)),
            None,
            {"rule": index, "status": status},
        )

    # -- after the model -----------------------------------------------------------------
    def _after(
        self, ctx: RequestContext, seq: int, committed: bool, response: Response, error_code: str | None
    ) -> _Fault | None:
        if committed:
            for index, rule in enumerate(self.plan.gateway):
                if not rule.after_commit or not _matches(rule.on, ctx):
                    continue
                if not self._available("gateway", index, rule.times):
                    continue
                if self._roll(rule.probability, "gateway", index, ctx.key, ctx.body_hash, seq):
                    self._consume("gateway", index, rule.times)
                    return self._gateway(rule.status, "gateway_after_commit", index)
        for index, rule in enumerate(self.plan.transport):
            after = rule.kind == "truncated_body" or rule.after_commit
            if not after or (rule.after_commit and rule.kind != "truncated_body" and not committed):
                continue
            if not _matches(rule.on, ctx) or not self._available("transport", index, rule.times):
                continue
            if self._roll(rule.probability, "transport", index, ctx.key, ctx.body_hash, seq):
                self._consume("transport", index, rule.times)
                response.transport_fault = rule.kind  # type: ignore[assignment]
                return _Fault(f"transport:{rule.kind}", response, error_code, {"rule": index})
        return None


def _model_team_lookup(model: Any) -> Callable[[str, str], float | None]:
    """``(workspace_id, team_id) -> created_at`` over the model; ``None`` when unknown."""

    def lookup(workspace_id: str, team_id: str) -> float | None:
        try:
            return float(model.workspace(workspace_id).team(team_id).created_at)
        except Exception:  # noqa: BLE001 - an unknown team simply gets no extra lag
            return None

    return lookup

