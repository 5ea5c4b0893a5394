"""The request journal: one entry per request, with the fault decision and the truth.

The journal is the server-side record a test (or a scenario report) checks against:
which requests were faulted, how, whether the write really committed, and what went over
the wire (the request's query and variables, the response's status and body).

:class:`JournalQueries` is the query and assertion interface (``entries``, ``count``,
``last``, ``assert_called``, ``assert_not_called``); the full :class:`Journal`, a per-test
:class:`JournalView` and the loopback fake's journal (:mod:`fakelinear.remote`) all offer it.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

PASSED = "passed"
_OMITTED = {"_omitted": "variables too deeply nested or not JSON to record"}


@dataclass(slots=True)
class JournalEntry:
    """One request. ``decision`` is ``"passed"`` or the fault that was injected
    (``phantom_conflict``, ``gateway_before``, ``gateway_after_commit``, ``rate_limited``,
    ``transport:<kind>``) or ``"rejected"`` (refused before the API: auth, body);
    ``committed`` is the server-side truth (the model changed).

    ``query`` and ``response_body`` are what went over the wire (``response_body`` is None
    when the connection was cut before an answer: ``connection_reset``, ``read_timeout``);
    :attr:`request` and :attr:`response` give them as JSON."""

    seq: int
    time: float
    key_masked: str
    workspace_id: str | None
    operation_name: str | None
    root_fields: tuple[str, ...]
    body_hash: str | None
    variables: dict[str, Any] | None
    status: int
    error_code: str | None
    decision: str
    committed: bool
    detail: dict[str, Any] = field(default_factory=dict)
    query: str | None = None
    response_body: bytes | None = None

    @property
    def request(self) -> dict[str, Any]:
        """The GraphQL request body: ``{"query", "variables", "operationName"}``."""
        return {"query": self.query, "variables": self.variables, "operationName": self.operation_name}

    @property
    def response(self) -> Any:
        """The response body parsed as JSON (``{"data": ...}`` / ``{"errors": [...]}``); the
        text for a non-JSON body (a gateway's HTML page); None when nothing was answered."""
        if self.response_body is None:
            return None
        try:
            return json.loads(self.response_body)
        except ValueError:
            return self.response_body.decode("utf-8", "replace")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (tuples become lists, the response body becomes text). Shallow: the
        variables are shared, not copied; variables too deeply nested to serialize (a hostile
        request the API refused) are replaced by a note, so the journal always stays readable."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["root_fields"] = list(self.root_fields)
        if self.response_body is not None:
            d["response_body"] = self.response_body.decode("utf-8", "replace")
        try:
            json.dumps(self.variables)
        except (RecursionError, ValueError, TypeError):
            d["variables"] = dict(_OMITTED)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JournalEntry:
        """The inverse of :meth:`to_dict` (used by the loopback fake's journal)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["root_fields"] = tuple(values.get("root_fields") or ())
        body = values.get("response_body")
        if isinstance(body, str):
            values["response_body"] = body.encode("utf-8")
        values.setdefault("detail", {})
        return cls(**values)

    def matches(self, operation: str | None) -> bool:
        """True when ``operation`` names this entry's operation or one of its root fields."""
        return operation is None or operation == self.operation_name or operation in self.root_fields


def filter_entries(
    entries: list[JournalEntry],
    operation: str | None = None,
    decision: str | None = None,
    committed: bool | None = None,
    workspace_id: str | None = None,
    status: int | None = None,
) -> list[JournalEntry]:
    """The entries matching every given filter (see :meth:`JournalQueries.entries`)."""
    out = []
    for e in entries:
        if not e.matches(operation):
            continue
        if decision is not None and not _decision_matches(e.decision, decision):
            continue
        if committed is not None and e.committed != committed:
            continue
        if workspace_id is not None and e.workspace_id != workspace_id:
            continue
        if status is not None and e.status != status:
            continue
        out.append(e)
    return out


class JournalQueries(ABC):
    """Queries and assertions over journal entries, in the spirit of respx and WireMock.

    Filters everywhere: ``operation`` (operation name or any root field, ``"issueCreate"``),
    ``decision`` (``"passed"``, a fault name, a prefix ending in ``:`` such as
    ``"transport:"``, or ``"fault"`` for every injected fault), ``committed``,
    ``workspace_id``, ``status``.
    """

    @abstractmethod
    def entries(
        self,
        operation: str | None = None,
        decision: str | None = None,
        committed: bool | None = None,
        workspace_id: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every given filter, oldest first."""

    @abstractmethod
    def clear(self) -> None:
        """Forget the entries seen so far."""

    def count(self, **filters: Any) -> int:
        """How many entries match ``filters``."""
        return len(self.entries(**filters))

    def last(self, **filters: Any) -> JournalEntry | None:
        """The newest entry matching ``filters`` (None when there is none)."""
        found = self.entries(**filters)
        return found[-1] if found else None

    def assert_called(self, operation: str | None = None, times: int | None = None, **filters: Any) -> list[JournalEntry]:
        """Assert that requests matching ``operation`` and ``filters`` were made (exactly
        ``times`` of them when given); returns them. The failure message lists what was."""
        found = self.entries(operation=operation, **filters)
        wanted = {"operation": operation, **filters}
        shown = ", ".join(f"{k}={v!r}" for k, v in wanted.items() if v is not None) or "any request"
        if (times is None and not found) or (times is not None and len(found) != times):
            expected = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"expected {shown} {expected}, got {len(found)}; journal: {self._summary()}"
            )
        return found

    def assert_not_called(self, operation: str | None = None, **filters: Any) -> None:
        """Assert that no request matches ``operation`` and ``filters``."""
        self.assert_called(operation, times=0, **filters)

    def to_list(self) -> list[dict[str, Any]]:
        """Every entry as a JSON-able dict."""
        return [e.to_dict() for e in self.entries()]

    def to_json(self) -> str:
        """The entries as a JSON array string (stable: replays compare it byte for byte)."""
        return json.dumps(self.to_list(), default=str, sort_keys=True)

    def __len__(self) -> int:
        return len(self.entries())

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def _summary(self, limit: int = 20) -> str:
        items = self.entries()
        rows = [
            f"#{e.seq} {e.operation_name or ','.join(e.root_fields) or '-'} {e.decision} {e.status}"
            for e in items[-limit:]
        ]
        more = f" (+{len(items) - limit} earlier)" if len(items) > limit else ""
        return "[" + "; ".join(rows) + "]" + more if rows else "[] (no requests)"


class Journal(JournalQueries):
    """Append-only, thread-safe list of :class:`JournalEntry`.

    ``seq`` numbers never repeat, not even after :meth:`clear`, so a view that remembers
    "everything after seq N" stays right across clears and resets.
    """

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()
        self._last_seq = 0

    @property
    def last_seq(self) -> int:
        """The seq of the newest entry ever added (0 before the first)."""
        return self._last_seq

    def record(self, **fields: Any) -> JournalEntry:
        """Append an entry; ``seq`` and (if absent) defaults are filled in here."""
        with self._lock:
            fields.setdefault("detail", {})
            fields.setdefault("root_fields", ())
            fields["root_fields"] = tuple(fields["root_fields"])
            self._last_seq += 1
            entry = JournalEntry(seq=self._last_seq, **fields)
            self._entries.append(entry)
            return entry

    def add(
        self,
        time: float,
        key_masked: str,
        workspace_id: str | None,
        operation_name: str | None,
        root_fields: tuple[str, ...],
        body_hash: str | None,
        variables: dict[str, Any] | None,
        status: int,
        error_code: str | None,
        decision: str,
        committed: bool,
        detail: dict[str, Any],
        query: str | None = None,
        response_body: bytes | None = None,
    ) -> JournalEntry:
        """Append one entry (positional, the engine's hot path); ``seq`` is assigned here."""
        with self._lock:
            self._last_seq += 1
            entry = JournalEntry(
                self._last_seq, time, key_masked, workspace_id, operation_name, root_fields,
                body_hash, variables, status, error_code, decision, committed, detail,
                query, response_body,
            )
            self._entries.append(entry)
            return entry

    def append(self, entry: JournalEntry) -> None:
        """Append a ready-made entry (its seq is kept as given)."""
        with self._lock:
            self._entries.append(entry)
            self._last_seq = max(self._last_seq, entry.seq)

    def entries(
        self,
        operation: str | None = None,
        decision: str | None = None,
        committed: bool | None = None,
        workspace_id: str | None = None,
        status: int | None = None,
        since: int = 0,
    ) -> list[JournalEntry]:
        """Entries matching every given filter (see :class:`JournalQueries`); ``since``
        keeps only entries whose seq is greater."""
        with self._lock:
            items = list(self._entries)
        if since:
            items = _after(items, since)
        return filter_entries(items, operation, decision, committed, workspace_id, status)

    def clear(self) -> None:
        """Forget every entry (used by the fake's reset); seq numbers go on."""
        with self._lock:
            self._entries.clear()

    def view(self, since: int | None = None) -> JournalView:
        """A view of the entries after ``since`` (default: from now on)."""
        return JournalView(self, self._last_seq if since is None else since)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._entries))


class JournalView(JournalQueries):
    """The entries of a :class:`Journal` after a mark: what one test sees. :meth:`clear`
    moves the mark to now; the journal itself keeps everything."""

    def __init__(self, journal: Journal, since: int = 0) -> None:
        self._journal = journal
        self.since = since

    def entries(
        self,
        operation: str | None = None,
        decision: str | None = None,
        committed: bool | None = None,
        workspace_id: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Entries after the mark matching every given filter."""
        return self._journal.entries(operation, decision, committed, workspace_id, status, since=self.since)

    def clear(self) -> None:
        """Hide every entry so far from this view (the journal keeps them)."""
        self.since = self._journal.last_seq

    def __repr__(self) -> str:
        return f"JournalView(since={self.since}, entries={len(self)})"


def _after(items: list[JournalEntry], since: int) -> list[JournalEntry]:
    # Entries are in seq order: find the first one past the mark from the end (views look
    # at the recent tail, so this is short even in a long session).
    index = len(items)
    while index > 0 and items[index - 1].seq > since:
        index -= 1
    return items[index:]


def _decision_matches(actual: str, wanted: str) -> bool:
    if wanted == "fault":
        return actual != PASSED
    if wanted.endswith(":"):
        return actual.startswith(wanted)
    return actual == wanted
