"""The history of a scenario: every create and write-back the promoter made, and every run.

:class:`History` is plain data (JSON-able) so the checker can be tested on hand-made
histories. :class:`RecordingClient` and :class:`RecordingStore` wrap the client and store the
promoter uses and append a :class:`Call` per ``issue_create`` / ``set_linear_issue_id``:
``invoked`` first, then ``ok``, ``failed`` (definitely not applied), ``unknown`` (a gateway
error or transport fault: the client cannot know whether the write committed) or
``rejected`` (a write-back that did not apply: a lost race).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from promoter.findings import parse_finding_id

CREATE = "create"
WRITE_BACK = "write_back"
REFRESH = "refresh"
RECHECK = "recheck"
REPAIR = "repair"

INVOKED = "invoked"
OK = "ok"
FAILED = "failed"
UNKNOWN = "unknown"
REJECTED = "rejected"


@dataclass
class Call:
    """One recorded call. ``seq`` orders invocations, ``done_seq`` completions (so two
    overlapping calls of racing replicas can be told apart from sequential ones)."""

    seq: int
    op: str
    replica: int
    run: int
    cycle: int
    cls: str | None
    finding_id: str | None
    outcome: str = INVOKED
    done_seq: int | None = None
    issue_id: str | None = None
    identifier: str | None = None
    requested_id: str | None = None
    error: str | None = None
    time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass
class RunRecord:
    """One ``promote_class`` run of one replica, with its counters and HTTP call count."""

    run: int
    cycle: int
    replica: int
    cls: str
    mode: str
    enabled: bool
    max_per_run: int
    http_calls: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass
class _Context:
    replica: int = 0
    run: int = -1
    cycle: int = -1
    cls: str | None = None


class History:
    """Append-only record of calls and runs (thread-safe; replicas may run in threads)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.runs: list[RunRecord] = []
        self._seq = 0
        self._runs_started = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.clock: Callable[[], float] = lambda: 0.0

    # -- context -------------------------------------------------------------------------

    def _ctx(self) -> _Context:
        ctx = getattr(self._local, "ctx", None)
        if ctx is None:
            ctx = self._local.ctx = _Context()
        return ctx

    @contextmanager
    def context(self, *, replica: int, run: int, cycle: int, cls: str | None) -> Iterator[None]:
        """Attribute the calls made inside (in this thread) to a replica's run."""
        old = self._ctx()
        self._local.ctx = _Context(replica, run, cycle, cls)
        try:
            yield
        finally:
            self._local.ctx = old

    # -- recording -----------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def begin(self, op: str, finding_id: str | None, **fields: Any) -> Call:
        """Record an invocation; returns the call to :meth:`finish`."""
        ctx = self._ctx()
        with self._lock:
            call = Call(self._next(), op, ctx.replica, ctx.run, ctx.cycle, ctx.cls, finding_id,
                        time=self.clock(), **fields)
            self.calls.append(call)
            return call

    def finish(self, call: Call, outcome: str, **fields: Any) -> None:
        """Record a call's outcome."""
        with self._lock:
            call.outcome = outcome
            call.done_seq = self._next()
            for k, v in fields.items():
                setattr(call, k, v)

    def add_run(self, record: RunRecord) -> None:
        """Record a finished run."""
        with self._lock:
            self.runs.append(record)

    def next_run_id(self) -> int:
        """A fresh run number."""
        with self._lock:
            self._runs_started += 1
            return self._runs_started - 1

    # -- queries -------------------------------------------------------------------------

    def of(self, op: str, finding_id: str | None = None) -> list[Call]:
        """Calls of ``op`` (for one finding when given), in invocation order."""
        return [c for c in self.calls if c.op == op and (finding_id is None or c.finding_id == finding_id)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"calls": [c.to_dict() for c in self.calls], "runs": [r.to_dict() for r in self.runs]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild a history (used by tests with hand-made histories)."""
        h = cls()
        h.calls = [Call(**c) for c in data.get("calls", [])]
        h.runs = [RunRecord(**r) for r in data.get("runs", [])]
        h._seq = max([0, *(c.seq for c in h.calls), *(c.done_seq or 0 for c in h.calls)])
        return h


def classify_error(exc: BaseException) -> str:
    """``unknown`` for errors after which the write may have committed (gateway, transport,
    anything unexpected); ``failed`` for errors Linear answered (nothing was written)."""
    from promoter.linear.errors import GatewayError, LinearError, TransportError

    if isinstance(exc, GatewayError | TransportError):
        return UNKNOWN
    if isinstance(exc, LinearError):
        return FAILED
    return UNKNOWN


class RecordingClient:
    """Wraps a Linear client: records every ``issue_create`` (and reconciler repairs).

    ``before_create`` (when set) is called just before each create is sent: the replica
    scheduler uses it as a yield point to interleave racing replicas deterministically.
    """

    def __init__(self, inner: Any, history: History, before_create: Callable[[], None] | None = None) -> None:
        self._inner = inner
        self._history = history
        self.before_create = before_create

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def issue_create(self, team_id: str, title: str, description: str | None = None, **kw: Any) -> Any:
        """Record, then forward ``issue_create``."""
        if self.before_create is not None:
            self.before_create()
        call = self._history.begin(CREATE, parse_finding_id(description), requested_id=kw.get("id"))
        try:
            issue = self._inner.issue_create(team_id, title, description, **kw)
        except BaseException as exc:
            self._history.finish(call, classify_error(exc), error=f"{type(exc).__name__}: {exc}"[:300])
            raise
        self._history.finish(call, OK, issue_id=issue.id, identifier=getattr(issue, "identifier", None))
        return issue

    def _repair(self, method: str, *args: Any, **kw: Any) -> Any:
        call = self._history.begin(REPAIR, None, requested_id=str(args[0]) if args else None)
        try:
            out = getattr(self._inner, method)(*args, **kw)
        except BaseException as exc:
            self._history.finish(call, classify_error(exc), error=f"{method}: {type(exc).__name__}: {exc}"[:300])
            raise
        self._history.finish(call, OK, error=method)
        return out

    def relation_create(self, *args: Any, **kw: Any) -> Any:
        """Record, then forward (reconciler repairs)."""
        return self._repair("relation_create", *args, **kw)

    def issue_update(self, *args: Any, **kw: Any) -> Any:
        """Record, then forward (reconciler repairs)."""
        return self._repair("issue_update", *args, **kw)


class RecordingStore:
    """Wraps a finding store: records every ``set_linear_issue_id`` and failed refresh.

    With ``claims=False`` the store behaves like the reference design's (no claim): every
    claim is granted and write-backs ignore claim tokens, which opens the two-replica race.
    """

    def __init__(self, inner: Any, history: History, *, claims: bool = True) -> None:
        self._inner = inner
        self._history = history
        self.claims = claims
        self._tokens = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def claim(self, finding_id: str, owner: str, ttl: float) -> str | None:
        """Forward, or grant every claim when claims are off."""
        if not self.claims:
            self._tokens += 1
            return f"noclaim-{self._tokens}"
        return self._inner.claim(finding_id, owner, ttl)

    def release_claim(self, finding_id: str, token: str) -> None:
        """Forward (a no-op when claims are off)."""
        if self.claims:
            self._inner.release_claim(finding_id, token)

    def get(self, finding_id: str) -> Any:
        """Forward the real-time read (the promoter's re-check); recorded with what it saw."""
        row = self._inner.get(finding_id)
        call = self._history.begin(RECHECK, finding_id)
        self._history.finish(call, OK, issue_id=getattr(row, "issue_id", None))
        return row

    def refresh_index(self) -> None:
        """Forward; a failure is recorded."""
        try:
            self._inner.refresh_index()
        except BaseException as exc:
            call = self._history.begin(REFRESH, None)
            self._history.finish(call, FAILED, error=f"{type(exc).__name__}: {exc}"[:300])
            raise

    def set_linear_issue_id(self, finding_id: str, issue_id: str, identifier: str | None = None,
                            claim_token: str | None = None) -> bool:
        """Record, then forward the write-back."""
        call = self._history.begin(WRITE_BACK, finding_id, issue_id=issue_id, identifier=identifier)
        try:
            applied = self._inner.set_linear_issue_id(
                finding_id, issue_id, identifier, claim_token if self.claims else None
            )
        except BaseException as exc:
            self._history.finish(call, FAILED, error=f"{type(exc).__name__}: {exc}"[:300])
            raise
        self._history.finish(call, OK if applied else REJECTED)
        return applied
