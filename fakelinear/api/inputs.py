"""Input values into stored values: date-times become epoch seconds.

graphql-core hands resolvers inputs with Linear's field names; custom scalars arrive as the
client sent them. The store keeps ``DateTime`` values as epoch seconds (they order and
compare as numbers), so every ``DateTime`` field of an input object, at any depth, is
converted here. Which fields those are is read from the input type once and cached.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLScalarType

from fakelinear.api.catalog_builder import unwrap
from fakelinear.api.filters import parse_instant

_DATE_SCALARS = frozenset({"DateTime"})
_plans: dict[int, dict[str, Any]] = {}


def _plan(input_type: GraphQLInputObjectType) -> dict[str, Any]:
    """field -> "date" | nested input type, for the fields that need converting."""
    plan = _plans.get(id(input_type))
    if plan is None:
        plan = _plans[id(input_type)] = {}  # set first: input types may be recursive
        for name, field in input_type.fields.items():
            named = unwrap(field.type)[0]
            if isinstance(named, GraphQLScalarType) and named.name in _DATE_SCALARS:
                plan[name] = "date"
            elif (isinstance(named, GraphQLInputObjectType)
                  and not named.name.endswith(("Filter", "Comparator"))
                  and (_plan(named) or named is input_type)):
                plan[name] = named
    return plan


def normalize(value: Any, input_type: Any, now: float) -> Any:
    """``value`` (a coerced input of ``input_type``) with date-times as epoch seconds."""
    named = unwrap(input_type)[0] if not isinstance(input_type, GraphQLInputObjectType) else input_type
    if not isinstance(named, GraphQLInputObjectType) or not isinstance(value, dict | list):
        return value
    if isinstance(value, list):
        return [normalize(item, named, now) for item in value]
    plan = _plan(named)
    if not plan:
        return value
    out = dict(value)
    for name, how in plan.items():
        item = out.get(name)
        if item is None:
            continue
        if how == "date":
            out[name] = [parse_instant(v, now) for v in item] if isinstance(item, list) else parse_instant(item, now)
        else:
            out[name] = normalize(item, how, now)
    return out
