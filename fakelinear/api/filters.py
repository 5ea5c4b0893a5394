"""Linear's filter inputs, evaluated from their shape in the schema.

A filter is the coerced GraphQL input dict. Each of its fields is read by the shape of
its input type:

* ``and`` / ``or``: lists of the same filter;
* a ``*Comparator``: the record's value of the same-named field (a stored value, or the
  documented default the API would answer) against eq/neq/in/nin/lt/lte/gt/gte/null, the
  contains/startsWith/endsWith families and their IgnoreCase forms, nested and/or;
* a ``*CollectionFilter`` (has ``some``/``every``): the related records of that field, with
  some/every/length; plain comparators on it mean "some related record matches";
* any other filter input: the related record of that field (``null: true`` matches none).

Dates compare as instants; ``DateTimeOrDuration`` strings such as ``-P2W`` are relative to
the fake's clock. Fields whose meaning is more than a stored value (``searchableContent``,
``hasBlockedByRelations`` ...) have small evaluators in :data:`SPECIAL`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

from fakelinear.api.catalog_builder import connection_node, unwrap
from fakelinear.api.defaults import leaf_default
from fakelinear.api.relations import related_many, related_one
from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import TYPENAME, Record
from fakelinear.model.workspace import Workspace

_DURATION_RE = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_UNITS = (365 * 86400.0, 30 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0)
_NEGATIVE_OPS = frozenset({"neq", "nin", "neqIgnoreCase", "notContains", "notContainsIgnoreCase",
                           "notStartsWith", "notEndsWith"})


def parse_instant(value: Any, now: float) -> float:
    """An ISO 8601 date or date-time, or an ISO 8601 duration relative to ``now`` (``-P1D``:
    a day ago), as epoch seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    match = _DURATION_RE.match(text)
    if match and text not in ("P", "-P"):
        seconds = sum(float(g) * u for g, u in zip(match.groups()[1:], _UNITS, strict=True) if g)
        return now - seconds if match.group(1) else now + seconds
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"invalid date {value!r}", "Dates must be ISO 8601.") from exc
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _text_op(op: str, value: Any, arg: Any) -> bool:
    text, needle = str(value), str(arg)
    low, nlow = text.lower(), needle.lower()
    if op == "eqIgnoreCase":
        return low == nlow
    if op == "neqIgnoreCase":
        return low != nlow
    if op == "contains":
        return needle in text
    if op == "notContains":
        return needle not in text
    if op in ("containsIgnoreCase", "containsIgnoreCaseAndAccent"):
        return nlow in low
    if op == "notContainsIgnoreCase":
        return nlow not in low
    if op == "startsWith":
        return text.startswith(needle)
    if op == "notStartsWith":
        return not text.startswith(needle)
    if op == "startsWithIgnoreCase":
        return low.startswith(nlow)
    if op == "endsWith":
        return text.endswith(needle)
    if op == "notEndsWith":
        return not text.endswith(needle)
    raise InvalidInput(f"filter comparator {op} is not supported by fakelinear")


def compare(value: Any, cond: dict[str, Any], now: float) -> bool:
    """Whether ``value`` satisfies every operator of the comparator ``cond``."""
    for op, arg in cond.items():
        if arg is None:
            continue
        if op == "and":
            if not all(compare(value, sub, now) for sub in arg):
                return False
            continue
        if op == "or":
            if not any(compare(value, sub, now) for sub in arg):
                return False
            continue
        if op == "null":
            if (value is None) != bool(arg):
                return False
            continue
        if value is None:
            if op not in _NEGATIVE_OPS:
                return False
            continue
        if isinstance(value, list):  # array comparators: some element matches
            if op in ("some", "every", "length"):
                if not _array(op, value, arg, now):
                    return False
                continue
            if not any(_apply(op, v, arg, now) for v in value):
                return False
            continue
        if not _apply(op, value, arg, now):
            return False
    return True


def _array(op: str, values: list[Any], arg: Any, now: float) -> bool:
    if op == "length":
        return compare(float(len(values)), arg, now)
    if op == "some":
        return any(compare(v, arg, now) for v in values)
    return all(compare(v, arg, now) for v in values)


def _apply(op: str, value: Any, arg: Any, now: float) -> bool:
    if isinstance(value, float) and op in ("eq", "neq", "lt", "lte", "gt", "gte") and isinstance(arg, str):
        arg = parse_instant(arg, now)
    if op == "eq":
        return bool(value == arg)
    if op == "neq":
        return bool(value != arg)
    if op == "in":
        return value in arg
    if op == "nin":
        return value not in arg
    if op in ("lt", "lte", "gt", "gte"):
        if isinstance(value, str) and isinstance(arg, str) and _DURATION_RE.match(arg):
            arg = datetime.fromtimestamp(parse_instant(arg, now)).date().isoformat()
        try:
            return bool({"lt": value < arg, "lte": value <= arg, "gt": value > arg,
                         "gte": value >= arg}[op])
        except TypeError:
            return False
    return _text_op(op, value, arg)


# ---------------------------------------------------------------------- special fields
def _content(ws: Workspace, rec: Record, cond: dict[str, Any], now: float) -> bool:
    text = f"{rec.get('title') or ''} {rec.get('description') or ''}"
    return compare(text, cond, now)


def _relation_exists(relation_type: str, inverse: bool) -> Callable[..., bool]:
    def check(ws: Workspace, rec: Record, cond: dict[str, Any], now: float) -> bool:
        key = "relatedIssueId" if inverse else "issueId"
        index = ws.store.children("IssueRelation", key, rec["id"])
        exists = index is not None and any(
            r.get("type") == relation_type for r in ws.store.records_of("IssueRelation", index.forward())
        )
        return compare(exists, cond, now)

    return check


def _is_me(ws: Workspace, rec: Record, cond: dict[str, Any], now: float) -> bool:
    return compare(rec["id"] == ws.viewer_id, cond, now)


SPECIAL: dict[tuple[str, str], Callable[[Workspace, Record, dict[str, Any], float], bool]] = {
    ("User", "isMe"): _is_me,
    ("Issue", "searchableContent"): _content,
    ("Issue", "hasBlockedByRelations"): _relation_exists("blocks", inverse=True),
    ("Issue", "hasBlockingRelations"): _relation_exists("blocks", inverse=False),
    ("Issue", "hasDuplicateRelations"): _relation_exists("duplicate", inverse=False),
    ("Issue", "hasRelatedRelations"): _relation_exists("related", inverse=False),
}


class FilterEvaluator:
    """Evaluates filters of one schema; the plan per filter input type is built once."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._plans: dict[str, dict[str, tuple[str, str]]] = {}

    def _plan(self, type_name: str) -> dict[str, tuple[str, str]]:
        plan = self._plans.get(type_name)
        if plan is not None:
            return plan
        plan = {}
        input_type = self.schema.type_map.get(type_name)
        if isinstance(input_type, GraphQLInputObjectType):
            for name, field in input_type.fields.items():
                named = unwrap(field.type)[0]
                if name in ("and", "or"):
                    plan[name] = ("logic", named.name)
                elif name == "null":
                    plan[name] = ("null", "")
                elif not isinstance(named, GraphQLInputObjectType):
                    plan[name] = ("value", "")
                elif named.name.endswith("Comparator"):
                    plan[name] = ("compare", named.name)
                elif "some" in named.fields or "every" in named.fields:
                    plan[name] = ("many", named.name)
                else:
                    plan[name] = ("one", named.name)
        self._plans[type_name] = plan
        return plan

    def matches(self, ws: Workspace, rec: Record | None, flt: dict[str, Any] | None,
                type_name: str, now: float) -> bool:
        """Whether ``rec`` passes the filter ``flt`` of input type ``type_name``."""
        if not flt:
            return True
        if rec is None:
            return flt.get("null") is True  # only "no related record" matches a missing one
        plan = self._plan(type_name)
        kind = rec.get(TYPENAME, "")
        for key, cond in flt.items():
            if cond is None:
                continue
            mode, sub_type = plan.get(key, ("value", ""))
            if mode == "logic":
                results = (self.matches(ws, rec, sub, sub_type, now) for sub in cond)
                if not (all(results) if key == "and" else any(results)):
                    return False
            elif mode == "null":
                if cond:
                    return False
            elif (kind, key) in SPECIAL:
                if not SPECIAL[(kind, key)](ws, rec, cond, now):
                    return False
            elif mode == "compare":
                if not compare(self.value(rec, key), cond, now):
                    return False
            elif mode == "one":
                target = self._target(kind, key)
                other = related_one(ws, rec, key, target) if target else None
                if not self.matches(ws, other, cond, sub_type, now):
                    return False
            elif mode == "many":
                target = self._target(kind, key)
                items = related_many(ws, rec, key, target) if target else []
                if not self._matches_many(ws, items, cond, sub_type, now):
                    return False
            elif rec.get(key) != cond:
                return False
        return True

    def _matches_many(self, ws: Workspace, items: list[Record], cond: dict[str, Any],
                      type_name: str, now: float) -> bool:
        plan = self._plan(type_name)
        for key, sub in cond.items():
            if sub is None:
                continue
            mode, sub_type = plan.get(key, ("value", ""))
            if key == "null":
                if bool(sub) != (not items):
                    return False
            elif key == "length":
                if not compare(float(len(items)), sub, now):
                    return False
            elif key in ("some", "every"):
                results = (self.matches(ws, i, sub, sub_type, now) for i in items)
                if not (any(results) if key == "some" else all(results)):
                    return False
            elif mode == "logic":
                results = (self._matches_many(ws, items, s, type_name, now) for s in sub)
                if not (all(results) if key == "and" else any(results)):
                    return False
            elif not any(self.matches(ws, i, {key: sub}, type_name, now) for i in items):
                return False
        return True

    def _target(self, kind: str, field: str) -> str | None:
        otype = self.schema.type_map.get(kind)
        if not isinstance(otype, GraphQLObjectType) or field not in otype.fields:
            return None
        named = unwrap(otype.fields[field].type)[0]
        node = connection_node(named)
        return (node or named).name

    def value(self, rec: Record, field: str) -> Any:
        """The value a comparator sees: stored, else the default the API would answer."""
        value = rec.get(field)
        if value is not None:
            return float(value) if isinstance(value, bool) is False and isinstance(value, int) else value
        otype = self.schema.type_map.get(rec.get(TYPENAME, ""))
        if isinstance(otype, GraphQLObjectType) and field in otype.fields:
            named, non_null, is_list = unwrap(otype.fields[field].type)
            if non_null and not is_list and not isinstance(named, GraphQLObjectType):
                default = leaf_default(named, rec)
                return float(default) if type(default) is int else default
        return None
