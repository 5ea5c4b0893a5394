"""The per-request facts the fault layer decides on.

The handler builds a :class:`RequestContext` after auth and ``api.prepare`` and passes it to
:meth:`fakelinear.faults.FaultEngine.process`. Everything a fault decision may depend on is
here, so a decision is a pure function of seed, plan and this context (plus engine state
that is itself a function of earlier requests).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from fakelinear.masking import mask_secret

_WS = re.compile(r"\s+")


def mask_key(key: str | None) -> str:
    """A key as it may be printed (see :func:`fakelinear.masking.mask_secret`): ``…`` and
    at most its last 6 characters, fewer for short keys; never whole."""
    return mask_secret(key)


def normalize_query(query: str) -> str:
    """Collapse whitespace so formatting differences do not change the body hash."""
    return _WS.sub(" ", query).strip()


# Canonical JSON for variables: same settings as ``json.dumps(..., sort_keys=True,
# separators=(",", ":"), default=str)``, one encoder for every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode
# sha256 state after "normalized query + separator", per query text: clients send the same
# few documents over and over, so the regex and the query bytes are hashed once per text.
_PREFIXES: dict[str, Any] = {}
_PREFIX_LIMIT = 4096


def _prefix(query: str) -> Any:
    h = _PREFIXES.get(query)
    if h is None:
        h = hashlib.sha256()
        h.update(normalize_query(query).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
        if len(_PREFIXES) >= _PREFIX_LIMIT:
            _PREFIXES.clear()
        _PREFIXES[query] = h
    return h


def body_hash(query: str, variables: dict[str, Any] | None) -> str:
    """sha256 hex of the normalized query and canonical JSON variables (the sticky key)."""
    h = _prefix(query).copy()
    h.update(_CANONICAL(variables or {}).encode())
    return h.hexdigest()


@dataclass
class RequestContext:
    """One GraphQL request as the fault layer sees it.

    ``prepared`` is a :class:`fakelinear.api.PreparedOperation` (``None`` is tolerated for
    requests that failed to prepare; they are still rate limited and journaled). ``seq`` is
    the handler's global request number (informational; the engine keeps its own per-key
    counters for decisions). ``client_id`` identifies a client session for cold-start
    windows scoped per client; ``None`` falls back to the key. ``query`` is the request's
    query text (recorded in the journal). ``complexity`` is the query's cost in Linear's
    points, computed by the handler against the schema
    (:func:`fakelinear.faults.complexity.query_complexity`); ``None`` lets the engine
    estimate it without a schema.
    """

    key: str
    key_masked: str
    workspace_id: str | None
    prepared: Any
    variables: dict[str, Any] | None
    body_hash: str
    seq: int = 0
    client_id: str | None = None
    query: str | None = None
    complexity: int | None = None

    @classmethod
    def build(
        cls,
        key: str,
        workspace_id: str | None,
        prepared: Any,
        query: str,
        variables: dict[str, Any] | None = None,
        seq: int = 0,
        client_id: str | None = None,
    ) -> RequestContext:
        """Convenience constructor computing ``key_masked`` and ``body_hash``."""
        return cls(
            key=key,
            key_masked=mask_key(key),
            workspace_id=workspace_id,
            prepared=prepared,
            variables=variables,
            body_hash=body_hash(query, variables),
            seq=seq,
            client_id=client_id,
            query=query,
        )

    # Accessors that tolerate ``prepared is None``.
    @property
    def operation_name(self) -> str | None:
        """The operation's name (None when anonymous or not prepared)."""
        return getattr(self.prepared, "operation_name", None)

    @property
    def operation_type(self) -> str | None:
        """``"query"`` or ``"mutation"`` (None when not prepared)."""
        return getattr(self.prepared, "operation_type", None)

    @property
    def root_fields(self) -> tuple[str, ...]:
        """The operation's root field names (empty when not prepared)."""
        return tuple(getattr(self.prepared, "root_fields", ()) or ())

    @property
    def is_create(self) -> bool:
        """True when a root field is a ``*Create`` (F1 applies)."""
        return bool(getattr(self.prepared, "is_create", False))
