"""Schema-valid values for fields nothing has stored (documented in README, "Defaults").

A full-fragment read (what @linear/sdk sends) selects every field of a type; the fake
stores what clients wrote plus what Linear derives, so the rest needs a value that the
schema allows. Nullable fields answer ``null``. Non-null ones answer:

=========================  ===================================================
``String`` / ``ID``        ``""``
``Boolean``                ``false``
``Int`` / ``Float``        ``0``
``DateTime``               the record's ``createdAt``
``TimelessDate``           the date of the record's ``createdAt``
``JSON`` / ``JSONObject``  ``{}``
``Duration``               ``0``
``UUID``                   the nil UUID
``*NotificationType``      the literal its name spells (``issueMention`` ...)
enums                      the first value the schema lists
lists                      ``[]``
objects                    an empty object whose fields follow these rules
=========================  ===================================================
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, GraphQLScalarType

from fakelinear.clock import iso

NIL_UUID = "00000000-0000-0000-0000-000000000000"
_CONSTANT = {"String": "", "ID": "", "Boolean": False, "Int": 0, "Float": 0.0,
             "JSON": {}, "JSONObject": {}, "Duration": 0, "UUID": NIL_UUID}
_DATES = frozenset({"DateTime", "DateTimeOrDuration"})
_DAYS = frozenset({"TimelessDate", "TimelessDateOrDuration"})
_NOTIFICATION_SUFFIX = "NotificationType"


def is_date_scalar(type_: Any) -> bool:
    """Whether values of this scalar are date-times (stored as epoch seconds)."""
    return isinstance(type_, GraphQLScalarType) and type_.name in _DATES


def leaf_default(type_: Any, source: Any) -> Any:
    """The default of a non-null scalar or enum field of ``source``."""
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values), None)
    name = type_.name
    if name in _CONSTANT:
        value = _CONSTANT[name]
        return dict(value) if isinstance(value, dict) else value
    if name in _DATES or name in _DAYS:
        created = source.get("createdAt") if isinstance(source, dict) else None
        text = iso(created if isinstance(created, int | float) else 0.0)
        return text[:10] if name in _DAYS else text
    if name.endswith(_NOTIFICATION_SUFFIX):
        stem = name[: -len(_NOTIFICATION_SUFFIX)]
        return stem[:1].lower() + stem[1:]
    return ""
