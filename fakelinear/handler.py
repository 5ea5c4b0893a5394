"""The handler core: one ``Request -> Response`` function shared by every transport.

:class:`FakeLinear` owns the whole fake: the model, the GraphQL API, the fault engine, the
journal, the clock and the API keys. Transports (respx in-process, starlette on loopback)
only translate bytes into :class:`fakelinear.http.Request` and back.

Request flow for ``POST /graphql`` (Linear's path)::

    size -> auth (key -> workspace) -> content type -> UTF-8 -> JSON object -> api.prepare
         -> faults.process(ctx, execute)   # execute runs api.execute on the key's workspace

Concurrency design (a property of the model, not luck): every request is handled under
**one** re-entrant lock, ``FakeLinear.lock``. Parsing, preparing, fault decisions,
execution, the journal entry and (with ``state_file``) the durable write all happen while
it is held, so writes are strictly serialized, ``lastSyncId`` grows by one per committed
mutation with no interleaving, and the journal order is the commit order. The model and the
fault engine therefore never need their own locking. The control API (``/_fake/``) takes
the same lock, so a reset or a snapshot never sees half a request. Reads are serialized
too: the fake is CPU-bound and fast, so one lock costs little and keeps reasoning simple.

Durability (``state_file``): after every request that committed a mutation, and after every
control call that changes state, the full state is written atomically (temporary file in
the same directory, ``fsync``, ``os.replace``, directory ``fsync``) *before* the response
is returned to the transport. An acknowledged write therefore survives ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import string
import tempfile
import threading
from pathlib import Path
from typing import Any

from fakelinear.api import errors as api_errors
from fakelinear.api.errors import GraphQLRequestError
from fakelinear.clock import Clock, VirtualClock
from fakelinear.faults.context import RequestContext, mask_key
from fakelinear.http import Request, Response
from fakelinear.rng import Rng

__all__ = ["FakeLinear", "MAX_BODY_BYTES", "mask_token", "GRAPHQL_PATH", "CONTROL_PREFIX"]

#: Largest request body accepted (Linear's own limit is not published; 1 MiB is generous
#: for GraphQL and keeps a hostile client from making the fake parse megabytes).
MAX_BODY_BYTES = 1024 * 1024
GRAPHQL_PATH = "/graphql"
CONTROL_PREFIX = "/_fake/"
STATE_FORMAT = "fakelinear-state/1"
_log = logging.getLogger("fakelinear.handler")

_TOKEN_ALPHABET = string.ascii_letters + string.digits
# A key is one printable token: anything else (CR/LF, NUL, spaces, quotes) is an injection
# attempt or garbage and is refused before it gets near a lookup, a log or the journal.
_KEY_RE = re.compile(r"^[A-Za-z0-9_\-.~+/=]{1,256}$")
_JSON_CT = re.compile(r"^application/(?:[a-z0-9.+-]*\+)?json\s*(?:;.*)?$", re.IGNORECASE)


def mask_token(token: str | None) -> str:
    """``…`` + the last 6 characters: the only way a token is ever shown."""
    return mask_key(token)


def _presented_key(request: Request) -> str | None:
    """The key in ``Authorization`` (``<key>`` or ``Bearer <key>``) when it is one printable
    token; None when the header is missing or malformed. Known or not is the caller's call."""
    value = (request.headers.get("authorization") or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value if _KEY_RE.match(value) else None


def _json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    h = {"content-type": "application/json; charset=utf-8"}
    if headers:
        h.update(headers)
    return Response(status=status, headers=h, body=api_errors.dumps(body))


def _error_response(status: int, error: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return _json_response(status, {"errors": [error]}, headers)


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


class _Rejected:
    """The outcome of a request that failed validation (nothing executed)."""

    committed = False

    def __init__(self, result: dict[str, Any], status: int) -> None:
        self.result = result
        self.status = status


class FakeLinear:
    """A stateful fake of Linear's GraphQL API, transport-agnostic.

    Args:
        seed: the one seed every random decision (ids, keys, faults) derives from.
        clock: the fake's clock; a :class:`VirtualClock` by default (time moves only when
            advanced).
        profile: a fault profile name (``calm``, ``linear-observed``, ``storm``) or a
            ``FaultPlan``.
        workspaces: how many workspaces (and API keys) to create up front.
        plan: the Linear plan of those workspaces (``free``/``unlimited``; None = model default).
        seed_content: fill new workspaces with realistic faker content.
        control_key: when set, ``/_fake/`` requests must carry ``X-Fake-Control-Key``.
        state_file: when set, state is restored from it if it exists (keys, workspaces and
            the virtual clock come from the file; ``workspaces``/``seed_content`` only shape a
            new file) and written to it atomically after every committed mutation, before the
            response is returned.
        max_body_bytes: larger request bodies get HTTP 413.
        schema: path of an SDL to serve instead of Linear's schema as fakelinear ships it
            (e.g. one written by ``fakelinear schema pull``).
    """

    def __init__(
        self,
        seed: int = 0,
        clock: Clock | None = None,
        profile: Any = "calm",
        workspaces: int = 1,
        plan: str | None = None,
        seed_content: bool = False,
        control_key: str | None = None,
        *,
        state_file: str | os.PathLike[str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        schema: str | os.PathLike[str] | None = None,
    ) -> None:
        if workspaces < 0:
            raise ValueError("workspaces must be >= 0")
        self.seed = seed
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.control_key = control_key
        self.max_body_bytes = max_body_bytes
        self.state_file = Path(state_file) if state_file is not None else None
        #: The one lock: see the module docstring (concurrency design).
        self.lock = threading.RLock()
        self._initial_workspaces = workspaces
        self._workspace_plan = plan
        self._seed_content = seed_content
        self._api = self._make_api(schema)
        self._fault_config = self._make_fault_config(profile)
        self._faults = None
        self._scope: str | None = None
        self._engine: Any = None
        self.journal: Any = None
        self._seq = 0
        restored = False
        if self.state_file is not None and self.state_file.exists() and self.state_file.stat().st_size:
            self._restore(json.loads(self.state_file.read_text("utf-8")))
            restored = True
        if not restored:
            self._fresh()
            if self.state_file is not None:
                self.persist()

    # ------------------------------------------------------------------ construction

    def _make_fault_config(self, profile: Any) -> Any:
        from fakelinear.faults.config import FaultConfig
        from fakelinear.faults.validation import schema_root_fields

        api = self._api
        # Rules may only name root fields of the schema this fake serves (typos are errors).
        return FaultConfig(profile, known_operations=lambda: schema_root_fields(api.schema))

    def _make_engine(self) -> Any:
        from fakelinear import faults

        if self._engine is not None:
            self._engine.detach()
        return faults.FaultEngine(
            self._fault_config,
            self.rng,
            self.clock,
            self.journal,
            team_created_at=self._team_created_at,
            setup_ids=self._workspace_setup_ids,
        )

    def _workspace_setup_ids(self, workspace_id: str) -> frozenset[str]:
        return self._setup_ids.get(workspace_id, frozenset())

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

    def _new_core(self) -> None:
        """Fresh RNG, model, journal and fault engine (no workspaces yet)."""
        from fakelinear import faults
        from fakelinear.model import Model

        self.rng = Rng(self.seed)
        self.model = Model(self.rng, self.clock, self._api.catalog)
        # One journal for the fake's life (views keep their marks across resets).
        if self.journal is None:
            self.journal = faults.Journal()
        self.journal.clear()
        self._fault_config.clear()
        self._engine = self._make_engine()
        if self._scope is not None:
            self.rng.begin_scope(self._scope)
            self._engine.begin_scope(self._scope)
        self._tokens: list[str] = []
        self._key_to_ws: dict[str, str] = {}
        # Ids of each workspace's starting content: never lagged (F4 is about client creates).
        self._setup_ids: dict[str, frozenset[str]] = {}

    def _fresh(self) -> None:
        self._new_core()
        for _ in range(self._initial_workspaces):
            self._add_workspace_locked(None, None, self._seed_content)

    def _token_for(self, index: int) -> str:
        # Derived from (seed, index), not from an ordered stream: the same seed gives the
        # same keys after a reset or a restart, whatever else the RNG was asked.
        r = self.rng.derive("api-key", index)
        return "lin_api_" + "".join(r.choice(_TOKEN_ALPHABET) for _ in range(40))

    def _default_workspace_plan(self) -> str | None:
        # An explicit ``plan=`` wins; otherwise the fault plan's ``plan_limits`` chooses
        # (``linear-observed`` turns the free plan on); otherwise the model's default.
        if self._workspace_plan is not None:
            return self._workspace_plan
        limits = getattr(self._fault_config.configured, "plan_limits", None)
        if limits is None:
            return None
        return "free" if limits else "unlimited"

    def _add_workspace_locked(
        self, name: str | None, plan: str | None, seed_content: bool
    ) -> tuple[Any, str]:
        if plan is None:
            plan = self._default_workspace_plan()
        kwargs: dict[str, Any] = {"name": name, "seed_content": seed_content}
        if plan is not None:
            kwargs["plan"] = plan
        ws = self.model.create_workspace(**kwargs)
        self._setup_ids[ws.id] = frozenset(ws.store.kind_of)
        token = self._token_for(len(self._tokens))
        while token in self._key_to_ws:  # astronomically unlikely; keep keys unique anyway
            token = self._token_for(len(self._tokens) + len(self._key_to_ws) + 1000)
        self._tokens.append(token)
        self._key_to_ws[token] = ws.id
        return ws, token

    # ------------------------------------------------------------------ public handles

    @property
    def tokens(self) -> list[str]:
        """One API key per workspace, in creation order (a copy)."""
        with self.lock:
            return list(self._tokens)

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
        return self._engine

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

    def workspace_for(self, token: str) -> Any:
        """The workspace a key selects (``KeyError`` for an unknown key)."""
        with self.lock:
            return self.model.workspace(self._key_to_ws[token])

    def workspaces(self) -> list[dict[str, Any]]:
        """Workspaces with masked keys, in creation order (what the control API lists)."""
        with self.lock:
            ws_by_id = {ws.id: ws for ws in self.model.workspaces()}
            out = []
            for index, token in enumerate(self._tokens):
                ws = ws_by_id.get(self._key_to_ws[token])
                out.append(
                    {
                        "index": index,
                        "id": self._key_to_ws[token],
                        "name": getattr(ws, "name", None),
                        "plan": getattr(ws, "plan", None),
                        "token_masked": mask_token(token),
                    }
                )
            return out

    def add_workspace(
        self, name: str | None = None, plan: str | None = None, seed_content: bool | None = None
    ) -> tuple[Any, str]:
        """Create a workspace and its API key; returns ``(workspace, token)``."""
        with self.lock:
            result = self._add_workspace_locked(
                name, plan, self._seed_content if seed_content is None else seed_content
            )
            self._persist_if_durable()
            return result

    def reset(self) -> None:
        """Back to the initial state: fresh model, journal and fault overrides, the same
        keys (they derive from the seed), the configured fault plan. The clock keeps going
        (time never runs backwards), so objects holding ``fake.clock`` stay valid."""
        with self.lock:
            self._fresh()
            self.webhooks.reset()
            self._persist_if_durable()

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
            self._engine.begin_scope(name)
            self.rng.begin_scope(name)
            return self.journal.last_seq

    def advance(self, seconds: float) -> float:
        """Move the fake's clock forward; returns the new time. Webhook attempts that fall
        due on the way are sent at their own times (see :mod:`fakelinear.webhooks`)."""
        return self.webhooks.advance(seconds)

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

    # ------------------------------------------------------------------ durability

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to restart where we stopped (includes whole keys: local file)."""
        return {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "clock": self.clock.now(),
            "virtual_clock": bool(getattr(self.clock, "virtual", False)),
            "keys": [[t, self._key_to_ws[t]] for t in self._tokens],
            "model": self.model.snapshot(),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        from fakelinear import faults
        from fakelinear.model import Model

        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"{self.state_file}: not a fakelinear state file")
        self.rng = Rng(self.seed)
        if getattr(self.clock, "virtual", False):
            with contextlib.suppress(ValueError):  # never backwards
                self.clock.set(float(state["clock"]))  # type: ignore[attr-defined]
        self.model = Model.restore(state["model"], self.rng, self.clock, self._api.catalog)
        self.journal = faults.Journal()
        self._setup_ids = {}
        self._engine = self._make_engine()
        self._tokens = [t for t, _ in state["keys"]]
        self._key_to_ws = {t: ws for t, ws in state["keys"]}

    def persist(self) -> None:
        """Write the state file atomically now (temp file + fsync + rename + dir fsync)."""
        if self.state_file is None:
            return
        with self.lock:
            data = json.dumps(self.state_dict(), separators=(",", ":")).encode()
            directory = self.state_file.parent
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.state_file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            # The rename itself must reach the disk, or a crash could bring the old file back.
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _persist_if_durable(self) -> None:
        if self.state_file is not None:
            self.persist()

    # ------------------------------------------------------------------ the seam

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request. Never raises: any failure becomes a Linear-shaped error."""
        try:
            path = request.path.split("?", 1)[0]
            if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
                from fakelinear import control

                with self.lock:
                    response = control.handle(self, request)
                self.webhooks.pump()  # outside the lock: receivers may call back
                return response
            if path.rstrip("/") == GRAPHQL_PATH:
                response = self._handle_graphql(request)
                self.webhooks.pump(collect=False)  # the request's workspace is collected
                return response
            return _error_response(
                404,
                api_errors.linear_error(
                    f"Not found: {path[:200]}", "not found", "NOT_FOUND", 404, "Not found."
                ),
            )
        except Exception as exc:  # noqa: BLE001 - the wire never sees a traceback
            # Log the type and where, never the message: it could quote a key or a body.
            _log.error(
                "fakelinear handler failed: %s at %s",
                type(exc).__name__,
                _where(exc),
            )
            return _error_response(500, api_errors.internal_error())

    def _authenticate(self, request: Request) -> str | None:
        """The request's API key when it selects a workspace, else None (HTTP 401)."""
        presented = _presented_key(request)
        return presented if presented is not None and presented in self._key_to_ws else None

    def _handle_graphql(self, request: Request) -> Response:
        with self.lock:
            response, by_engine = self._graphql(request)
            if not by_engine:
                # Refused before the fault engine (auth, body, method): journal it too, so
                # the journal has one entry per GraphQL request.
                self._journal_rejection(request, response)
            return response

    def _journal_rejection(self, request: Request, response: Response) -> None:
        presented = _presented_key(request)
        workspace_id = self._key_to_ws.get(presented) if presented else None
        try:
            error_code = json.loads(response.body)["errors"][0]["extensions"]["code"]
        except (ValueError, LookupError, TypeError):
            error_code = None
        self.journal.record(
            time=self.clock.now(),
            key_masked=mask_token(presented),
            workspace_id=workspace_id,
            operation_name=None,
            root_fields=(),
            body_hash=None,
            variables=None,
            status=response.status,
            error_code=error_code,
            decision="rejected",
            committed=False,
            response_body=response.body,
        )

    def _graphql(self, request: Request) -> tuple[Response, bool]:
        """The response, and whether the fault engine produced (and journaled) it."""
        if request.method.upper() != "POST":
            return _error_response(
                405,
                api_errors.linear_error(
                    "Only POST is supported on /graphql.",
                    "graphql error",
                    "METHOD_NOT_ALLOWED",
                    405,
                    "Only POST is supported.",
                ),
                {"allow": "POST"},
            ), False
        if len(request.body) > self.max_body_bytes:
            return _error_response(413, api_errors.payload_too_large_error(self.max_body_bytes)), False
        key = self._authenticate(request)
        if key is None:
            return _json_response(401, api_errors.authentication_error_body()), False
        content_type = request.headers.get("content-type", "")
        if not _JSON_CT.match(content_type.strip()):
            return _error_response(
                400, api_errors.unsupported_content_type_error(content_type[:100])
            ), False
        parsed = self._parse_body(request.body)
        if isinstance(parsed, Response):
            return parsed, False
        query, variables, operation_name = parsed
        try:
            prepared = self._api.prepare(query, operation_name)
        except RecursionError:
            # A pathologically nested document: refuse it like any unparsable one.
            exc = GraphQLRequestError(
                [
                    api_errors.validation_error(
                        "Syntax Error: document nested too deeply.", code="GRAPHQL_PARSE_FAILED"
                    )
                ]
            )
            return self._execute(request, key, None, query, variables, rejected=exc), True
        except GraphQLRequestError as exc:
            # Still rate limited and journaled like any request that reached the API.
            return self._execute(request, key, None, query, variables, rejected=exc), True
        return self._execute(request, key, prepared, query, variables), True

    @staticmethod
    def _parse_body(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | Response:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _error_response(400, api_errors.malformed_json_error())
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            return _error_response(400, api_errors.malformed_json_error())
        if isinstance(payload, list):
            return _error_response(
                400,
                api_errors.linear_error(
                    "Batched GraphQL requests are not supported.",
                    "graphql error",
                    "BAD_REQUEST",
                    400,
                    "Send one operation per request.",
                ),
            )
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _error_response(400, api_errors.malformed_json_error())
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _error_response(
                400,
                api_errors.validation_error(
                    "Variables must be a JSON object.", code="BAD_USER_INPUT"
                ),
            )
        operation_name = payload.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            return _error_response(
                400,
                api_errors.validation_error("operationName must be a string.", code="BAD_USER_INPUT"),
            )
        return payload["query"], variables, operation_name

    def _execute(
        self,
        request: Request,
        key: str,
        prepared: Any,
        query: str,
        variables: dict[str, Any] | None,
        rejected: Any = None,
    ) -> Response:
        workspace = self.model.workspace(self._key_to_ws[key])
        self._seq += 1
        # Optional client-session id for per-client cold-start windows; None means "the key".
        client_id = (request.headers.get("x-fake-client-id") or "")[:64] or None
        ctx = RequestContext.build(
            key, workspace.id, prepared, query, variables, seq=self._seq, client_id=client_id
        )
        committed = False
        api = self._api

        def execute(visibility: Any) -> Any:
            nonlocal committed
            if rejected is not None:
                return _Rejected(rejected.body(), rejected.status)
            outcome = api.execute(prepared, workspace, variables, visibility)
            committed = committed or bool(getattr(outcome, "committed", False))
            return outcome

        response = self._engine.process(ctx, execute)
        if committed:
            self._persist_if_durable()
        # What stayed committed (and durable) becomes webhook deliveries; sent by the pump.
        self.webhooks.collect(workspace.id)
        return response
