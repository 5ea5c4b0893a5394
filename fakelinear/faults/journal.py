"""The request journal: one entry per request, with the fault decision and the truth.

The journal is the server-side record a test (or a scenario report) checks against:
which requests were faulted, how, and whether the write really committed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, fields
from typing import Any

PASSED = "passed"


@dataclass(slots=True)
class JournalEntry:
    """One request. ``decision`` is ``"passed"`` or the fault that was injected
    (``phantom_conflict``, ``gateway_before``, ``gateway_after_commit``, ``rate_limited``,
    ``transport:<kind>``); ``committed`` is the server-side truth (the model changed)."""

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (tuples become lists). Shallow: the variables are shared, not copied;
        variables too deeply nested to serialize (a hostile request the API refused) are
        replaced by a note, so the journal itself always stays readable."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["root_fields"] = list(self.root_fields)
        try:
            json.dumps(self.variables)
        except (RecursionError, ValueError, TypeError):
            d["variables"] = {"_omitted": "variables too deeply nested or not JSON to record"}
        return d

    def matches(self, operation: str | None) -> bool:
        """True when ``operation`` names this entry's operation or one of its root fields."""
        return operation is None or operation == self.operation_name or operation in self.root_fields


class Journal:
    """Append-only, thread-safe list of :class:`JournalEntry`."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> JournalEntry:
        """Append an entry; ``seq`` and (if absent) defaults are filled in here."""
        with self._lock:
            fields.setdefault("detail", {})
            fields.setdefault("root_fields", ())
            fields["root_fields"] = tuple(fields["root_fields"])
            entry = JournalEntry(seq=len(self._entries) + 1, **fields)
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
    ) -> JournalEntry:
        """Append one entry (positional, the engine's hot path); ``seq`` is assigned here."""
        with self._lock:
            entry = JournalEntry(
                len(self._entries) + 1, time, key_masked, workspace_id, operation_name, root_fields,
                body_hash, variables, status, error_code, decision, committed, detail,
            )
            self._entries.append(entry)
            return entry

    def append(self, entry: JournalEntry) -> None:
        """Append a ready-made entry (its seq is kept as given)."""
        with self._lock:
            self._entries.append(entry)

    def entries(
        self,
        operation: str | None = None,
        decision: str | None = None,
        committed: bool | None = None,
        workspace_id: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every given filter. ``operation`` matches the operation name or
        any root field (``"issueCreate"``); ``decision`` may be a prefix ending in ``:``
        (``"transport:"``) or ``"fault"`` for everything but ``passed``."""
        with self._lock:
            items = list(self._entries)
        out = []
        for e in items:
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

    def clear(self) -> None:
        """Forget every entry (used by the fake's reset)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):  # noqa: ANN204 - simple iterator over a snapshot
        with self._lock:
            return iter(list(self._entries))

    def to_list(self) -> list[dict[str, Any]]:
        """Every entry as a JSON-able dict."""
        return [e.to_dict() for e in self]

    def to_json(self) -> str:
        """The journal as a JSON array string."""
        return json.dumps(self.to_list(), default=str)


def _decision_matches(actual: str, wanted: str) -> bool:
    if wanted == "fault":
        return actual != PASSED
    if wanted.endswith(":"):
        return actual.startswith(wanted)
    return actual == wanted
