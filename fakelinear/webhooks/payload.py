"""The JSON a delivery carries, shaped by the schema's ``*WebhookPayload`` types.

Linear's SDK schema describes every webhook body: ``EntityWebhookPayload`` (``action``,
``actor``, ``createdAt``, ``data``, ``organizationId``, ``type``, ``updatedFrom``, ``url``,
``webhookId``, ``webhookTimestamp``) and, per resource type, ``<Type>WebhookPayload`` for
``data`` (dates as ISO strings, references as ids plus small ``*ChildWebhookPayload``
objects such as ``state {id name color type}``). The builder reads those types, so the
body follows whatever schema the fake serves. Nullable fields without a value are left
out (Linear's bodies are ``JSON.stringify`` output, which drops them); non-null ones get
the schema defaults the API uses.

Only the graphql-core public API is used.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from fakelinear.api.defaults import is_date_scalar, leaf_default
from fakelinear.api.special import PRIORITY_LABELS
from fakelinear.clock import iso
from fakelinear.model.catalog import Catalog
from fakelinear.model.records import SEQ, TYPENAME
from fakelinear.model.workspace import Change, Workspace

#: How deep child payloads nest (``issue.team`` inside a comment is depth 2).
MAX_DEPTH = 2
_COMPUTED = {"priorityLabel"}


def _unwrap(type_: Any) -> tuple[Any, bool, bool]:
    non_null = isinstance(type_, GraphQLNonNull)
    if non_null:
        type_ = type_.of_type
    is_list = isinstance(type_, GraphQLList)
    while isinstance(type_, GraphQLList | GraphQLNonNull):
        type_ = type_.of_type
    return type_, non_null, is_list


def webhook_action(change: Change) -> str:
    """Linear's ``action``: ``create``, ``update`` or ``remove``. Moving a record to the
    trash is a ``remove`` (what Linear sends when an issue is deleted in the app); its
    ``data`` still carries the record, with ``trashed: true``."""
    if change.action == "update" and change.record.get("trashed") and not change.previous.get("trashed") \
            and "trashed" in change.previous:
        return "remove"
    return change.action


class PayloadBuilder:
    """Builds delivery bodies for one schema (cached per kind)."""

    def __init__(self, schema: GraphQLSchema, catalog: Catalog) -> None:
        self.schema = schema
        self.catalog = catalog
        self._date_fields: dict[str, frozenset[str]] = {}
        self._plans: dict[str, list[tuple[str, Any, bool, bool, bool]]] = {}
        self._refs: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------------ public
    def payload_type(self, kind: str) -> GraphQLObjectType | None:
        """``<kind>WebhookPayload`` when the schema has it."""
        found = self.schema.type_map.get(f"{kind}WebhookPayload")
        return found if isinstance(found, GraphQLObjectType) else None

    def body(self, ws: Workspace, change: Change, batch: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Everything of the body but ``webhookId`` and ``webhookTimestamp`` (per webhook,
        per attempt). ``batch`` holds records removed in the same commit, so a child
        payload can still name them."""
        kind = change.kind
        record = change.record
        action = webhook_action(change)
        out: dict[str, Any] = {
            "action": action,
            "actor": self.actor(ws),
            "createdAt": iso(change.time),
            "data": self.data(ws, kind, record, batch),
        }
        if action == "update":
            out["updatedFrom"] = self.updated_from(kind, change.previous)
        url = record.get("url")
        if isinstance(url, str) and url:
            out["url"] = url
        out["type"] = kind
        out["organizationId"] = ws.id
        return out

    def actor(self, ws: Workspace) -> dict[str, Any]:
        """Who made the change: the API key's user (every write through the fake is)."""
        viewer = ws.viewer
        actor = {"id": viewer["id"], "name": viewer.get("name") or "", "email": viewer.get("email") or "",
                 "url": ws.url("profiles", str(viewer.get("displayName") or "")), "type": "user"}
        if viewer.get("avatarUrl"):
            actor["avatarUrl"] = viewer["avatarUrl"]
        return actor

    def data(self, ws: Workspace, kind: str, record: dict[str, Any],
             batch: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """``data``: the record in the shape of ``<kind>WebhookPayload`` (or, for a kind
        without one, its public fields with dates as ISO strings)."""
        ptype = self.payload_type(kind)
        if ptype is None:
            return self._plain(kind, record)
        return self._shape(ws, kind, record, ptype, 0, batch or {})

    def updated_from(self, kind: str, previous: dict[str, Any]) -> dict[str, Any]:
        """``updatedFrom``: the old values of the changed fields the payload type shows."""
        ptype = self.payload_type(kind)
        dates = self.date_fields(kind)
        out: dict[str, Any] = {}
        for key, value in previous.items():
            if key.startswith("_") or (ptype is not None and key not in ptype.fields):
                continue
            out[key] = iso(value) if key in dates and isinstance(value, int | float) else value
        return out

    def date_fields(self, kind: str) -> frozenset[str]:
        """The fields of ``kind`` that hold date-times (stored as epoch seconds)."""
        cached = self._date_fields.get(kind)
        if cached is None:
            otype = self.schema.type_map.get(kind)
            names: set[str] = set()
            if isinstance(otype, GraphQLObjectType | GraphQLInterfaceType):
                names = {n for n, f in otype.fields.items() if is_date_scalar(_unwrap(f.type)[0])}
            cached = self._date_fields[kind] = frozenset(names)
        return cached

    # ------------------------------------------------------------------ shaping
    def _plain(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        dates = self.date_fields(kind)
        return {
            k: (iso(v) if k in dates and isinstance(v, int | float) else v)
            for k, v in record.items()
            if not k.startswith("_") and k != SEQ and v is not None
        }

    def _plan(self, ptype: GraphQLObjectType) -> list[tuple[str, Any, bool, bool, bool]]:
        """``(name, named type, non-null, list, object)`` per field of a payload type (cached:
        the type is walked once, not once per delivery)."""
        plan = self._plans.get(ptype.name)
        if plan is None:
            plan = []
            for name, field in ptype.fields.items():
                named, non_null, is_list = _unwrap(field.type)
                is_object = isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
                plan.append((name, named, non_null, is_list, is_object))
            self._plans[ptype.name] = plan
        return plan

    def _ref(self, kind: str, name: str) -> Any:
        key = (kind, name)
        if key not in self._refs:
            self._refs[key] = self.catalog.spec(kind).ref_for_field(name)
        return self._refs[key]

    def _shape(self, ws: Workspace, kind: str, record: dict[str, Any], ptype: GraphQLObjectType,
               depth: int, batch: dict[str, dict[str, Any]]) -> dict[str, Any]:
        dates = self.date_fields(kind)
        out: dict[str, Any] = {}
        for name, named, non_null, is_list, is_object in self._plan(ptype):
            if is_object:
                value = self._children(ws, kind, record, name, named, is_list, depth, batch)
                if value is None:
                    if not non_null:
                        continue
                    value = [] if is_list else {}
            else:
                value = record.get(name)
                if value is None and name in _COMPUTED:
                    value = self._computed(name, record)
                if value is None and kind == "User" and name == "url":
                    value = ws.url("profiles", str(record.get("displayName") or ""))
                if value is None:
                    if not non_null:
                        continue
                    value = [] if is_list else self._leaf_default(named, record)
                elif name in dates and isinstance(value, int | float):
                    value = iso(value)
            out[name] = value
        return out

    @staticmethod
    def _leaf_default(named: Any, record: dict[str, Any]) -> Any:
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            value = leaf_default(named, record)
            # Dates are strings in webhook payloads; the API's defaults already are.
            return value
        return None

    @staticmethod
    def _computed(name: str, record: dict[str, Any]) -> Any:
        if name == "priorityLabel":
            priority = record.get("priority") or 0
            return PRIORITY_LABELS[int(priority)] if 0 <= priority < len(PRIORITY_LABELS) else "No priority"
        return None

    def _children(self, ws: Workspace, kind: str, record: dict[str, Any], name: str, named: Any,
                  is_list: bool, depth: int, batch: dict[str, dict[str, Any]]) -> Any:
        if depth >= MAX_DEPTH or not isinstance(named, GraphQLObjectType):
            return None
        ref = self._ref(kind, name)
        if ref is None:
            return None
        value = record.get(ref.key)
        if value is None:
            return None
        ids = value if isinstance(value, list) else [value]
        children = []
        for child_id in ids:
            child = ws.find(child_id) or batch.get(child_id)
            if child is not None:
                children.append(self._shape(ws, child[TYPENAME], child, named, depth + 1, batch))
        if is_list:
            return children
        return children[0] if children else None
