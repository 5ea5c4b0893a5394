"""The handler core: one ``Request -> Response`` function shared by every transport.

:class:`FakeLinear` wires the fake together: the model, the GraphQL API, the fault engine,
the journal, the clock, the API keys and (optionally) the state file. Transports (respx
in-process, starlette on loopback) only translate bytes into :class:`fakelinear.http.Request`
and back. The jobs live in their own modules:

* :mod:`fakelinear.endpoint`: ``POST /graphql`` (body checks, prepare, complexity, the
  fault engine, the execution budget, one journal entry per request);
* :mod:`fakelinear.control`: the ``/_fake/`` control API (one route table);
* :mod:`fakelinear.auth`: API keys (derivation, the ``Authorization`` header);
* :mod:`fakelinear.statefile`: the ``--state`` file (lock, atomic writes, validation).

Concurrency design (a property of the code, not luck): everything that reads or changes
state runs under **one** re-entrant lock, ``FakeLinear.lock``: fault decisions, execution,
the journal entry and (with ``state_file``) the durable write. Writes are therefore
strictly serialized, ``lastSyncId`` grows by one per committed mutation with no
interleaving, and the journal order is the commit order; the model and the fault engine
need no locking of their own. The control API takes the same lock, so a reset or a snapshot
never sees half a request. Parsing and validating a document (pure, cached) happen before
the lock is taken, and execution under the lock is bounded by a
:class:`~fakelinear.api.budget.RequestBudget`, so one client's heavy request holds the others
up for at most its budget.

Durability (``state_file``): after every request that committed a mutation, and after every
control call that changes state, the full state is written atomically *before* the response
is returned to the transport, so an acknowledged write survives ``kill -9``. When that write
fails (disk full, folder gone or read-only) the change is rolled back in memory to the last
durable state and the client gets an error (journaled like any answer): nothing is left
applied that a restart would lose.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from fakelinear import control
from fakelinear.api import errors as api_errors
from fakelinear.api.budget import DEFAULT_MAX_RESULT_NODES, DEFAULT_MAX_SECONDS, RequestBudget
from fakelinear.auth import derive_key
from fakelinear.clock import Clock, VirtualClock, checked_step
from fakelinear.control import PersistError
from fakelinear.endpoint import handle_graphql, json_response
from fakelinear.faults.complexity import MAX_QUERY_COMPLEXITY
from fakelinear.http import Request, Response
from fakelinear.masking import mask_secret
from fakelinear.rng import Rng
from fakelinear.statefile import STATE_FORMAT, SavedState, StateFile, StateFileError, parse_state

__all__ = [
    "CONTROL_PREFIX",
    "GRAPHQL_PATH",
    "MAX_BODY_BYTES",
    "FakeLinear",
    "StateConflictError",
    "mask_token",
]

#: Largest request body accepted (Linear's own limit is not published; 1 MiB is generous
#: for GraphQL and keeps a hostile client from making the fake parse megabytes).
MAX_BODY_BYTES = 1024 * 1024
GRAPHQL_PATH = "/graphql"
CONTROL_PREFIX = "/_fake/"
_log = logging.getLogger("fakelinear.handler")


def mask_token(token: str | None) -> str:
    """``…`` + at most the last 6 characters (fewer for short keys): the only way a token
    is ever shown (see :func:`fakelinear.masking.mask_secret`)."""
    return mask_secret(token)


class StateConflictError(ValueError):
    """An explicit argument contradicts the existing state file (seed, workspaces)."""


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


class _Core:
    """Everything ``reset`` replaces: randomness, model, fault engine (its decision state),
    keys. The journal and the fault configuration live as long as the fake."""

    __slots__ = ("rng", "model", "engine", "tokens", "key_to_ws", "setup_ids")

    def __init__(self, rng: Rng, model: Any, engine: Any) -> None:
        self.rng = rng
        self.model = model
        self.engine = engine
        self.tokens: list[str] = []
        self.key_to_ws: dict[str, str] = {}
        # Ids of each workspace's starting content: never lagged (F4 is about client creates).
        self.setup_ids: dict[str, frozenset[str]] = {}


class FakeLinear:
    """A stateful fake of Linear's GraphQL API, transport-agnostic.

    Args:
        seed: the one seed every random decision (ids, keys, faults) derives from (0 when
            not given and there is no state file to take it from).
        clock: the fake's clock; a :class:`VirtualClock` by default (time moves only when
            advanced).
        profile: a fault profile name (``calm``, ``linear-observed``, ``storm``) or a
            ``FaultPlan``.
        workspaces: how many workspaces (and API keys) to create up front (1 when not given).
        plan: the Linear plan of those workspaces (``free``/``unlimited``; None = model default).
        seed_content: fill new workspaces with realistic faker content.
        control_key: when set, ``/_fake/`` requests must carry ``X-Fake-Control-Key``.
        state_file: when set, the fake takes an exclusive lock on it (a second fake on the
            same file refuses to start), restores from it if it exists (seed, keys,
            workspaces and the virtual clock come from the file; a ``seed`` or
            ``workspaces`` given explicitly must agree with it, else
            :class:`StateConflictError`) and writes it atomically after every committed
            change, before the response is returned. A damaged file is a
            :class:`~fakelinear.statefile.StateFileError` with a one-line message.
        max_body_bytes: larger request bodies get HTTP 413.
        max_complexity: Linear's single-query complexity limit (10,000 points).
        max_execution_seconds: wall-clock budget of one request's execution.
        max_result_nodes: entities one request may return through connections.
        schema: path of an SDL to serve instead of Linear's schema as fakelinear ships it
            (e.g. one written by ``fakelinear schema pull``).
        key_salt: a secret mixed into key derivation (keys are then not computable from the
            seed); kept in the state file. ``fakelinear serve`` sets a random one when it
            listens beyond loopback.
    """

    def __init__(
        self,
        seed: int | None = None,
        clock: Clock | None = None,
        profile: Any = "calm",
        workspaces: int | None = None,
        plan: str | None = None,
        seed_content: bool = False,
        control_key: str | None = None,
        *,
        state_file: str | os.PathLike[str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_complexity: int = MAX_QUERY_COMPLEXITY,
        max_execution_seconds: float = DEFAULT_MAX_SECONDS,
        max_result_nodes: int = DEFAULT_MAX_RESULT_NODES,
        key_salt: str | None = None,
        schema: str | os.PathLike[str] | None = None,
    ) -> None:
        if workspaces is not None and workspaces < 0:
            raise ValueError("workspaces must be >= 0")
        self.seed = 0 if seed is None else seed
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.control_key = control_key
        self.max_body_bytes = max_body_bytes
        self.max_complexity = max_complexity
        self.max_execution_seconds = max_execution_seconds
        self.max_result_nodes = max_result_nodes
        self.key_salt = key_salt
        self.state_file = Path(state_file) if state_file is not None else None
        #: The one lock: see the module docstring (concurrency design).
        self.lock = threading.RLock()
        self._started = time.monotonic()
        self._initial_workspaces = 1 if workspaces is None else workspaces
        self._workspace_plan = plan
        self._seed_content = seed_content
        self._api = self._make_api(schema)
        self._fault_config = self._make_fault_config(profile)
        self._faults: Any = None
        self._scope: str | None = None
        # One journal for the fake's life (per-test views keep their marks across resets).
        from fakelinear import faults

        self._journal = faults.Journal()
        self._seq = 0
        self._state: StateFile | None = None
        self._durable: bytes | None = None
        if self.state_file is None:
            self._activate(self._build_core())
            return
        self._state = StateFile(self.state_file)
        self._state.acquire()
        try:
            self._state.remove_stale_temp_files()
            loaded = self._state.read()
            if loaded is None:
                core = self._build_core()
                self._durable = self._write_state(core=core)
                self._activate(core)
            else:
                saved, raw = loaded
                self._check_agrees(saved, seed, workspaces)
                self._restore(saved)
                self._durable = raw
        except BaseException:
            self._state.release()
            raise

    # ------------------------------------------------------------------ construction

    def _make_fault_config(self, profile: Any) -> Any:
        from fakelinear.faults.config import FaultConfig
        from fakelinear.faults.validation import schema_root_fields

        api = self._api
        # Rules may only name root fields of the schema this fake serves (typos are errors).
        return FaultConfig(profile, known_operations=lambda: schema_root_fields(api.schema))

    def _make_engine(self, rng: Rng) -> Any:
        from fakelinear import faults

        engine = faults.FaultEngine(
            self._fault_config,
            rng,
            self.clock,
            self._journal,
            team_created_at=self._team_created_at,
            setup_ids=self._workspace_setup_ids,
        )
        engine.max_complexity = self.max_complexity
        return engine

    def _workspace_setup_ids(self, workspace_id: str) -> frozenset[str]:
        return self._core.setup_ids.get(workspace_id, frozenset())

    def _team_created_at(self, workspace_id: str, team_id: str) -> float | None:
        # Lets search lag be longer for issues of new teams (F4), without the engine
        # knowing the model.
        try:
            team = self.model.workspace(workspace_id).store.get("Team", team_id)
        except Exception:  # noqa: BLE001 - unknown workspace/team: no extra lag
            return None
        return getattr(team, "created_at", None)

    @staticmethod
    def _make_api(schema: str | os.PathLike[str] | None = None) -> Any:
        from fakelinear.api import GraphQLApi

        return GraphQLApi(schema)

    def _new_rng(self) -> Rng:
        rng = Rng(self.seed)
        if self._scope is not None:
            rng.begin_scope(self._scope)
        return rng

    def _build_core(self) -> _Core:
        """A fresh model with the initial workspaces and their keys; not in force yet (see
        :meth:`_activate`), so a reset that cannot be saved changes nothing."""
        from fakelinear.model import Model

        rng = self._new_rng()
        core = _Core(rng, Model(rng, self.clock, self._api.catalog), None)
        for _ in range(self._initial_workspaces):
            self._add_workspace_to(core, None, None, self._seed_content)
        return core

    def _activate(self, core: _Core) -> None:
        """Put ``core`` in force: journal emptied, fault overrides dropped, a new fault
        engine (scoped like the fake)."""
        previous = getattr(self, "_core", None)
        if previous is not None and previous.engine is not None and hasattr(previous.engine, "detach"):
            previous.engine.detach()
        self._journal.clear()
        self._fault_config.clear()
        core.engine = self._make_engine(core.rng)
        if self._scope is not None:
            core.engine.begin_scope(self._scope)
        self._core = core

    def _token_for(self, rng: Rng, index: int) -> str:
        # Derived from (seed, index[, salt]), not from an ordered stream: the same seed gives
        # the same keys after a reset or a restart, whatever else the RNG was asked.
        return derive_key(rng, index, self.key_salt)

    def _default_workspace_plan(self) -> str | None:
        # An explicit ``plan=`` wins; otherwise the fault plan's ``plan_limits`` chooses
        # (``linear-observed`` turns the free plan on); otherwise the model's default.
        if self._workspace_plan is not None:
            return self._workspace_plan
        limits = getattr(self._fault_config.configured, "plan_limits", None)
        if limits is None:
            return None
        return "free" if limits else "unlimited"

    def _add_workspace_to(
        self, core: _Core, name: str | None, plan: str | None, seed_content: bool
    ) -> tuple[Any, str]:
        if plan is None:
            plan = self._default_workspace_plan()
        kwargs: dict[str, Any] = {"name": name, "seed_content": seed_content}
        if plan is not None:
            kwargs["plan"] = plan
        ws = core.model.create_workspace(**kwargs)
        core.setup_ids[ws.id] = frozenset(ws.store.kind_of)
        token = self._token_for(core.rng, len(core.tokens))
        while token in core.key_to_ws:  # astronomically unlikely; keep keys unique anyway
            token = self._token_for(core.rng, len(core.tokens) + len(core.key_to_ws) + 1000)
        core.tokens.append(token)
        core.key_to_ws[token] = ws.id
        return ws, token

    # ------------------------------------------------------------------ public handles

    @property
    def rng(self) -> Rng:
        """The fake's randomness (replaced by ``reset``)."""
        return self._core.rng

    @property
    def model(self) -> Any:
        """The model: every workspace (replaced by ``reset``)."""
        return self._core.model

    @model.setter
    def model(self, model: Any) -> None:  # tests swap in a restored model
        self._core.model = model

    @property
    def journal(self) -> Any:
        """The request journal (one for the fake's life; ``reset`` empties it)."""
        return self._journal

    @property
    def _engine(self) -> Any:
        return self._core.engine

    @_engine.setter
    def _engine(self, engine: Any) -> None:  # benchmarks swap the fault layer out
        self._core.engine = engine

    @property
    def tokens(self) -> list[str]:
        """One API key per workspace, in creation order (a copy)."""
        with self.lock:
            return list(self._core.tokens)

    @property
    def faults(self) -> Any:
        """The per-test override handle (``fake.faults.phantom_conflicts(...)``), a
        :class:`~fakelinear.faults.FaultOverrides` over :attr:`fault_config`."""
        if self._faults is None:
            from fakelinear.faults import FaultOverrides

            self._faults = FaultOverrides(self._fault_config)
        return self._faults

    @property
    def fault_config(self) -> Any:
        """The one owner of the fault configuration (configured plan + overrides)."""
        return self._fault_config

    @property
    def engine(self) -> Any:
        """The fault engine itself."""
        return self._core.engine

    @property
    def plan(self) -> Any:
        """The fault plan in force (``fault_config.plan``: configured plan plus overrides)."""
        return self._fault_config.plan

    @property
    def configured_plan(self) -> Any:
        """The configured fault plan (``fault_config.configured``: what ``reset`` and
        ``fake.faults.clear()`` return to)."""
        return self._fault_config.configured

    @property
    def api(self) -> Any:
        """The GraphQL API (documents are cached across resets)."""
        return self._api

    @property
    def keys_predictable(self) -> bool:
        """True when the keys derive from the seed alone (no secret salt): fine on loopback,
        not for a server others can reach."""
        return self.key_salt is None

    def workspace_for(self, token: str) -> Any:
        """The workspace a key selects (``KeyError`` for an unknown key)."""
        with self.lock:
            return self.model.workspace(self._core.key_to_ws[token])

    def workspace_id_for_key(self, key: str | None) -> str | None:
        """The workspace id a key selects, None for a missing or unknown key."""
        return self._core.key_to_ws.get(key) if key else None

    def workspaces(self) -> list[dict[str, Any]]:
        """Workspaces with masked keys, in creation order (what the control API lists)."""
        with self.lock:
            core = self._core
            ws_by_id = {ws.id: ws for ws in core.model.workspaces()}
            out = []
            for index, token in enumerate(core.tokens):
                ws = ws_by_id.get(core.key_to_ws[token])
                out.append(
                    {
                        "index": index,
                        "id": core.key_to_ws[token],
                        "name": getattr(ws, "name", None),
                        "plan": getattr(ws, "plan", None),
                        "token_masked": mask_token(token),
                    }
                )
            return out

    def add_workspace(
        self, name: str | None = None, plan: str | None = None, seed_content: bool | None = None
    ) -> tuple[Any, str]:
        """Create a workspace and its API key; returns ``(workspace, token)``.
        With a state file, :class:`~fakelinear.control.PersistError` when it cannot be saved
        (the workspace is then not created)."""
        with self.lock:
            result = self._add_workspace_to(
                self._core, name, plan, self._seed_content if seed_content is None else seed_content
            )
            self._commit_or_raise()
            return result

    def reset(self) -> None:
        """Back to the initial state: fresh model, journal and fault overrides, the same
        keys (they derive from the seed), the configured fault plan. The clock keeps going
        (time never runs backwards), so objects holding ``fake.clock`` stay valid."""
        with self.lock:
            core = self._build_core()
            if self._state is not None:
                try:
                    self._durable = self._write_state(core=core)
                except OSError as exc:  # nothing changed yet: the old state stays in force
                    raise PersistError(_persist_message(exc)) from exc
            self._activate(core)
            self.webhooks.reset()

    def snapshot(self) -> dict[str, Any]:
        """The model's full JSON-able state."""
        with self.lock:
            return self.model.snapshot()

    def set_plan(self, plan: Any) -> None:
        """Replace the configured fault plan (a ``FaultPlan``, its dict form or a profile
        name); per-test overrides and fault decision state are dropped, the journal is kept."""
        with self.lock:
            self._fault_config.configure(plan)

    def add_plan(self, plan: Any) -> Any:
        """Add ``plan``'s rules (a ``FaultPlan`` or its dict form) to the plan in force, as
        overrides (``fake.faults.clear()`` removes them); returns the plan in force."""
        with self.lock:
            return self._fault_config.add(plan)

    def begin_scope(self, name: str | None) -> int:
        """Start one test's scope: fault overrides cleared, rate-limit buckets and every
        fault decision state fresh, and every random choice (fault rolls, new ids) salted
        with ``name``, so the same requests in a scope of the same name get the same answers
        and faults whatever ran before. Model state (teams, issues) and the clock are kept.
        Returns the journal's last seq: the mark of a per-test journal view."""
        with self.lock:
            self._scope = name
            self._fault_config.clear()
            self._core.engine.begin_scope(name)
            self._core.rng.begin_scope(name)
            return self._journal.last_seq

    def advance(self, seconds: float) -> float:
        """Move the fake's clock forward; returns the new time. Webhook attempts that fall
        due on the way are sent at their own times (see :mod:`fakelinear.webhooks`).
        ``ValueError`` for a step that is negative, not finite or past the year 9999; with a
        state file the new time is saved first (:class:`~fakelinear.control.PersistError`:
        the clock did not move)."""
        with self.lock:
            if getattr(self.clock, "advance", None) is None:
                raise TypeError("this clock cannot be advanced")
            target = checked_step(self.clock.now(), seconds)
            if self._state is not None:
                try:
                    self._durable = self._write_state(clock=target)
                except OSError as exc:
                    raise PersistError(_persist_message(exc)) from exc
        return float(self.webhooks.advance(seconds))

    @property
    def webhooks(self) -> Any:
        """Webhook deliveries: a :class:`fakelinear.webhooks.WebhookDispatcher`."""
        dispatcher = self.__dict__.get("_webhooks")
        if dispatcher is None:
            from fakelinear.webhooks import WebhookDispatcher

            with self.lock:
                dispatcher = self.__dict__.get("_webhooks") or WebhookDispatcher(self)
                self._webhooks = dispatcher
        return dispatcher

    def health(self) -> dict[str, Any]:
        """What ``GET /_fake/health`` answers: version, schema version, uptime, workspaces."""
        from fakelinear import __version__

        with self.lock:
            count = len(self._core.tokens)
        return {
            "status": "ok",
            "version": __version__,
            "schema_version": self._schema_version(),
            "uptime_seconds": round(time.monotonic() - self._started, 3),
            "workspaces": count,
            "clock": "virtual" if getattr(self.clock, "virtual", False) else "real",
            "durable": self._state is not None,
        }

    def _schema_version(self) -> str:
        """``@linear/sdk X.Y.Z`` for the schema fakelinear ships, else the SDL's file name and
        content hash."""
        source = getattr(getattr(self._api, "bundle", None), "source", None)
        if source is None:
            return "unknown"
        if source.sdk_version:
            return f"@linear/sdk {source.sdk_version}"
        return f"custom {Path(source.path).name} (sha256 {source.sha256[:12]})"

    def close(self) -> None:
        """Release the state file's lock (the fake keeps answering from memory)."""
        if self._state is not None:
            self._state.release()

    def __enter__(self) -> FakeLinear:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ durability

    def state_dict(self, clock: float | None = None, core: _Core | None = None) -> dict[str, Any]:
        """Everything needed to restart where we stopped (includes whole keys: local file)."""
        core = core if core is not None else self._core
        out: dict[str, Any] = {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "clock": self.clock.now() if clock is None else clock,
            "virtual_clock": bool(getattr(self.clock, "virtual", False)),
            "keys": [[t, core.key_to_ws[t]] for t in core.tokens],
            "model": core.model.snapshot(),
        }
        if self.key_salt is not None:
            out["key_salt"] = self.key_salt
        return out

    def _check_agrees(self, saved: SavedState, seed: int | None, workspaces: int | None) -> None:
        where = self.state_file
        if seed is not None and seed != saved.seed:
            raise StateConflictError(
                f"{where} was made with seed {saved.seed}, not {seed}; leave the seed out to "
                "continue from the file, or use another state file"
            )
        if workspaces is not None and workspaces != len(saved.keys):
            raise StateConflictError(
                f"{where} holds {len(saved.keys)} workspace(s), not {workspaces}; leave the "
                "workspace count out to continue from the file, or use another state file"
            )

    def _restore(self, saved: SavedState) -> None:
        """Take seed, keys, model and (virtual) clock from a validated state file."""
        from fakelinear.model import Model

        self.seed = saved.seed
        if saved.key_salt is not None:
            self.key_salt = saved.key_salt
        elif self.key_salt is not None:
            # The file's keys derive from the seed alone; keep deriving new ones that way so
            # ``reset`` gives the same keys back (``keys_predictable`` tells the caller).
            self.key_salt = None
        if getattr(self.clock, "virtual", False) and saved.clock > self.clock.now():
            self.clock.set(saved.clock)  # type: ignore[attr-defined]
        rng = self._new_rng()
        try:
            model = Model.restore(saved.model, rng, self.clock, self._api.catalog)
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - any damage is reported
            raise StateFileError(self.state_file or "state", f"model: {type(exc).__name__}: {_one_line(exc)}") from exc
        core = _Core(rng, model, None)
        core.tokens = [key for key, _ in saved.keys]
        core.key_to_ws = dict(saved.keys)
        self._activate(core)

    def _write_state(self, clock: float | None = None, core: _Core | None = None) -> bytes:
        """Write the state file now; returns what was written (``OSError`` on failure)."""
        assert self._state is not None
        payload = self._state.encode(self.state_dict(clock, core))
        self._state.write(payload)
        return payload

    def _rollback(self) -> None:
        """Back to the last durable state (model and keys; journal and faults stay)."""
        assert self._durable is not None
        from fakelinear.model import Model

        saved = parse_state(json.loads(self._durable), self.state_file or "state")
        core = self._core
        # A fresh Rng: the failed write may have started id/content streams the file does
        # not know (the engine's decisions are derived, not streamed: any Rng of this seed
        # gives the same ones).
        core.rng = self._new_rng()
        if hasattr(core.engine, "rng"):
            core.engine.rng = core.rng
        core.model = Model.restore(saved.model, core.rng, self.clock, self._api.catalog)
        core.tokens = [key for key, _ in saved.keys]
        core.key_to_ws = dict(saved.keys)

    def _commit_or_raise(self) -> None:
        """Make the current state durable; on failure roll back and raise PersistError."""
        if self._state is None:
            return
        try:
            self._durable = self._write_state()
        except OSError as exc:
            self._rollback()
            raise PersistError(_persist_message(exc)) from exc

    def persist(self) -> None:
        """Write the state file atomically now (no-op without one; ``PersistError`` when the
        write fails, after rolling back to the last durable state)."""
        with self.lock:
            self._commit_or_raise()

    # -- the endpoint's host interface (see fakelinear.endpoint.EndpointHost) ----------------

    def next_seq(self) -> int:
        """The next global request number."""
        self._seq += 1
        return self._seq

    def new_budget(self) -> RequestBudget:
        """A fresh execution budget for one request."""
        return RequestBudget(self.max_execution_seconds, self.max_result_nodes)

    def commit(self) -> dict[str, Any] | None:
        """After a committed GraphQL write: make it durable, or roll it back and return the
        error to answer with."""
        try:
            self._commit_or_raise()
        except PersistError as exc:
            _log.error("fakelinear: %s", exc)
            return api_errors.linear_error(
                "The change could not be saved and was rolled back.",
                "internal error",
                "INTERNAL_SERVER_ERROR",
                500,
                "The server could not save the change; nothing was changed. Try again later.",
                False,
                extra={"reason": str(exc)},
            )
        return None

    # ------------------------------------------------------------------ the seam

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request. Never raises: any failure becomes a Linear-shaped error."""
        try:
            path = request.path.split("?", 1)[0]
            if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
                with self.lock:
                    response = control.handle(self, request)
                self.webhooks.pump()  # outside the lock: receivers may call back
                return response
            if path.rstrip("/") == GRAPHQL_PATH:
                response = handle_graphql(self, request)
                self.webhooks.pump(collect=False)  # the request's workspace is collected
                return response
            return json_response(
                404,
                {
                    "errors": [
                        api_errors.linear_error(
                            f"Not found: {path[:200]}", "not found", "NOT_FOUND", 404, "Not found."
                        )
                    ]
                },
            )
        except Exception as exc:  # noqa: BLE001 - the wire never sees a traceback
            # Log the type and where, never the message: it could quote a key or a body.
            _log.error("fakelinear handler failed: %s at %s", type(exc).__name__, _where(exc))
            return json_response(500, {"errors": [api_errors.internal_error()]})


def _persist_message(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"could not write the state file ({reason}); the change was rolled back"
