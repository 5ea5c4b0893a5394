"""The subset of Linear's filter inputs that real clients use (IssueFilter, TeamFilter, ...).

A filter is the coerced GraphQL input dict. Comparators: eq/neq/in/nin, the IgnoreCase and
contains/startsWith/endsWith families, lt/lte/gt/gte, and ``null`` on Nullable* filters;
``and``/``or`` combine. Unsupported keys are rejected by the SDL before they reach here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from fakelinear.model.errors import InvalidInput

Getter = Callable[[Any, Any], Any]


_DURATION_RE = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_UNITS = (365 * 86400.0, 30 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0)
_now: ContextVar[float | None] = ContextVar("filter_now", default=None)


def _parse_date(value: Any) -> float:
    """An ISO 8601 date-time, or an ISO 8601 duration relative to now (``-P1D``: a day
    ago), as Linear's DateTimeOrDuration allows."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    match = _DURATION_RE.match(text)
    now = _now.get()
    if match and text not in ("P", "-P") and now is not None:
        seconds = sum(float(g) * u for g, u in zip(match.groups()[1:], _UNITS, strict=True) if g)
        return now - seconds if match.group(1) else now + seconds
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise InvalidInput(f"invalid date {value!r}", "Dates must be ISO 8601.") from exc


def compare(value: Any, cond: dict[str, Any]) -> bool:
    """Whether ``value`` satisfies every operator in the comparator ``cond``."""
    for op, arg in cond.items():
        if arg is None:
            continue
        if op == "null":
            if (value is None) != bool(arg):
                return False
            continue
        if value is None:
            return op in ("neq", "nin", "neqIgnoreCase", "notContains", "notContainsIgnoreCase",
                          "notStartsWith", "notEndsWith")
        if isinstance(value, float) and isinstance(arg, str):
            arg = _parse_date(arg)
        if not _apply(op, value, arg):
            return False
    return True


def _apply(op: str, value: Any, arg: Any) -> bool:
    if op == "eq":
        return value == arg
    if op == "neq":
        return value != arg
    if op == "in":
        return value in arg
    if op == "nin":
        return value not in arg
    if op in ("lt", "lte", "gt", "gte"):
        if isinstance(value, float) and isinstance(arg, str):
            arg = _parse_date(arg)
        return {"lt": value < arg, "lte": value <= arg, "gt": value > arg, "gte": value >= arg}[op]
    text, needle = str(value), str(arg)
    low, nlow = text.lower(), needle.lower()
    table = {
        "eqIgnoreCase": low == nlow,
        "neqIgnoreCase": low != nlow,
        "contains": needle in text,
        "notContains": needle not in text,
        "containsIgnoreCase": nlow in low,
        "notContainsIgnoreCase": nlow not in low,
        "startsWith": text.startswith(needle),
        "notStartsWith": not text.startswith(needle),
        "startsWithIgnoreCase": low.startswith(nlow),
        "endsWith": text.endswith(needle),
        "notEndsWith": not text.endswith(needle),
    }
    if op not in table:
        raise InvalidInput(f"unsupported comparator {op}")
    return table[op]


# field -> ("value", getter) | ("one", related kind, getter) | ("many", related kind, getter)
def _attr(name: str) -> Getter:
    return lambda ws, e: getattr(e, name)


def _ref(kind: str, name: str) -> Getter:
    def get(ws: Any, e: Any) -> Any:
        ref = getattr(e, name)
        return ws.store[kind].get(ref) if ref else None

    return get


_COMMON: dict[str, tuple[Any, ...]] = {
    "id": ("value", _attr("id")),
    "createdAt": ("value", _attr("created_at")),
    "updatedAt": ("value", _attr("updated_at")),
    "archivedAt": ("value", _attr("archived_at")),
}

FIELDS: dict[str, dict[str, tuple[Any, ...]]] = {
    "Issue": {
        **_COMMON,
        "title": ("value", _attr("title")),
        "description": ("value", _attr("description")),
        "number": ("value", lambda ws, e: float(e.number)),
        "priority": ("value", lambda ws, e: float(e.priority)),
        "team": ("one", "Team", _ref("Team", "team_id")),
        "state": ("one", "WorkflowState", _ref("WorkflowState", "state_id")),
        "project": ("one", "Project", _ref("Project", "project_id")),
        "parent": ("one", "Issue", _ref("Issue", "parent_id")),
        "assignee": ("one", "User", _ref("User", "assignee_id")),
        "labels": ("many", "IssueLabel",
                   lambda ws, e: [ws.store["IssueLabel"][i] for i in e.label_ids
                                  if i in ws.store["IssueLabel"]]),
    },
    "Team": {
        **_COMMON,
        "key": ("value", _attr("key")),
        "name": ("value", _attr("name")),
        "description": ("value", _attr("description")),
    },
    "WorkflowState": {
        **_COMMON,
        "name": ("value", _attr("name")),
        "type": ("value", _attr("type")),
        "team": ("one", "Team", _ref("Team", "team_id")),
    },
    "Project": {
        **_COMMON,
        "name": ("value", _attr("name")),
        "slugId": ("value", _attr("slug_id")),
    },
    "Document": {
        **_COMMON,
        "title": ("value", _attr("title")),
        "slugId": ("value", _attr("slug_id")),
        "project": ("one", "Project", _ref("Project", "project_id")),
        "team": ("one", "Team", _ref("Team", "team_id")),
    },
    "IssueLabel": {
        **_COMMON,
        "name": ("value", _attr("name")),
        "team": ("one", "Team", _ref("Team", "team_id")),
    },
    "Comment": {
        **_COMMON,
        "body": ("value", _attr("body")),
        "issue": ("one", "Issue", _ref("Issue", "issue_id")),
    },
    "User": {
        **_COMMON,
        "name": ("value", _attr("name")),
        "displayName": ("value", _attr("display_name")),
        "email": ("value", _attr("email")),
        "isMe": ("value", lambda ws, e: e.id == ws.viewer_id),
    },
}


def matches(ws: Any, kind: str, entity: Any, flt: dict[str, Any] | None) -> bool:
    """Whether ``entity`` (of model ``kind``) passes the filter ``flt``."""
    if not flt:
        return True
    if _now.get() is None:  # durations are relative to the workspace clock
        token = _now.set(float(ws.clock.now()))
        try:
            return _matches(ws, kind, entity, flt)
        finally:
            _now.reset(token)
    return _matches(ws, kind, entity, flt)


def _matches(ws: Any, kind: str, entity: Any, flt: dict[str, Any] | None) -> bool:
    if not flt:
        return True
    if entity is None:
        # Only a Nullable*Filter's ``null: true`` matches a missing relation.
        return flt.get("null") is True
    for key, cond in flt.items():
        if cond is None:
            continue
        if key == "and":
            if not all(matches(ws, kind, entity, sub) for sub in cond):
                return False
        elif key == "or":
            if not any(matches(ws, kind, entity, sub) for sub in cond):
                return False
        elif key == "null":
            if cond:  # entity exists but the filter asks for none
                return False
        else:
            spec = FIELDS[kind].get(key)
            if spec is None:
                raise InvalidInput(f"filter field {key} is not supported")
            if spec[0] == "value":
                if not compare(spec[1](ws, entity), cond):
                    return False
            elif spec[0] == "one":
                if not matches(ws, spec[1], spec[2](ws, entity), cond):
                    return False
            elif not _match_many(ws, spec[1], spec[2](ws, entity), cond):
                return False
    return True


def _match_many(ws: Any, kind: str, items: list[Any], cond: dict[str, Any]) -> bool:
    for key, sub in cond.items():
        if sub is None:
            continue
        if key == "null":
            if bool(sub) != (not items):
                return False
        elif key == "some":
            if not any(matches(ws, kind, i, sub) for i in items):
                return False
        elif key == "every":
            if not all(matches(ws, kind, i, sub) for i in items):
                return False
        elif key == "and":
            if not all(_match_many(ws, kind, items, s) for s in sub):
                return False
        elif key == "or":
            if not any(_match_many(ws, kind, items, s) for s in sub):
                return False
        elif not any(matches(ws, kind, i, {key: sub}) for i in items):
            return False
    return True
