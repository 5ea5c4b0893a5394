"""Resolvers for the root fields, one generic mechanism per operation shape.

``get`` and ``list`` read any kind (a list whose filter pins a reference, such as
``issues(filter: {team: {id: {eq: X}}})``, walks that reference's index instead of the
whole table); ``create``/``update``/``delete``/``archive``/``unarchive`` write through the
model's generic operations and answer the payload type's shape (``success``,
``lastSyncId``, the entity or its id). Other queries answer schema-valid defaults; other
mutations answer the documented "not supported by fakelinear" error. See
:mod:`fakelinear.api.operations` for how each root field is classified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLInputObjectType, GraphQLObjectType, GraphQLResolveInfo

from fakelinear.api.catalog_builder import unwrap
from fakelinear.api.connections import IndexSource, ListSource, Source, connection, paginate
from fakelinear.api.context import Ctx
from fakelinear.api.defaults import leaf_default
from fakelinear.api.fields import Binder
from fakelinear.api.inputs import normalize
from fakelinear.api.operations import RootOperation
from fakelinear.api.relations import root_source
from fakelinear.model.errors import InvalidInput, NotFound, Unsupported
from fakelinear.model.records import Record
from fakelinear.model.rules import rules_for
from fakelinear.model.sorted_index import SortedIndex
from fakelinear.model.workspace import Workspace

Resolver = Callable[..., Any]
#: Largest batch a batch create takes (Linear's limit for issueBatchCreate).
MAX_BATCH = 50
#: Fields of a reference filter that identify one record (``{team: {key: {eq: "ENG"}}}``).
_IDENTIFYING = ("id", "key", "identifier")


def payload(ws: Workspace, op: RootOperation, entity: Any) -> dict[str, Any]:
    """A mutation payload: success, lastSyncId, and the entity (or its id)."""
    out: dict[str, Any] = {"success": True, "lastSyncId": float(ws.last_sync_id)}
    if isinstance(entity, dict):
        out["entityId"] = entity["id"]
    if op.payload_field is not None:
        out[op.payload_field] = entity
    return out


def _pinned_id(ws: Workspace, target: str, cond: Any) -> str | None:
    if not isinstance(cond, dict):
        return None
    for key in _IDENTIFYING:
        comparator = cond.get(key)
        if isinstance(comparator, dict) and isinstance(comparator.get("eq"), str):
            value = comparator["eq"]
            if key == "id":
                return value
            return rules_for(target).lookup(ws, value)
    return None


def planned_source(ws: Workspace, kind: str, flt: Any, order_by: str | None) -> Source | None:
    """A narrower source than the whole table when the filter pins the id or a reference
    (the full filter is still applied to every record on the way)."""
    if not isinstance(flt, dict) or order_by == "updatedAt" or kind not in ws.catalog.kinds:
        return None
    pinned = _pinned_id(ws, kind, {"id": flt.get("id")})
    if pinned is not None:
        rec = ws.store.get(kind, pinned)
        return ListSource([rec] if rec is not None else [], None)
    spec = ws.catalog.spec(kind)
    for key, cond in flt.items():
        ref = spec.ref_for_field(key)
        if ref is None or ref.many:
            continue
        target_id = _pinned_id(ws, ref.target, cond)
        if target_id is None:
            continue
        index = ws.store.children(kind, ref.key, target_id) or SortedIndex()
        return IndexSource(ws.store.table(kind).records, index, None)
    return None


class RootBinder:
    """Builds the resolver of each root field from its :class:`RootOperation`."""

    def __init__(self, binder: Binder) -> None:
        self.binder = binder
        self.schema = binder.schema

    def query(self, field: GraphQLField, op: RootOperation) -> Resolver:
        if op.action == "get":
            return self.get(op.kind or "")
        if op.action == "list":
            filter_arg = field.args.get("filter")
            return self.list(op.kind or "", unwrap(filter_arg.type)[0].name if filter_arg else None)
        named, _non_null, is_list = unwrap(field.type)
        if is_list and not field.args and self.binder.is_node(named.name):
            return self.every(named.name)
        return self.default(field)

    @staticmethod
    def every(kind: str) -> Resolver:
        """``templates: [Template!]!``: every live record of the kind."""

        def resolve(_root: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
            ws = info.context.workspace
            return [r for r in ws.all(kind) if not ws.is_archived(r)]

        return resolve

    def mutation(self, field: GraphQLField, op: RootOperation) -> Resolver:
        kind = op.kind or ""
        if op.action == "create" and kind in self.binder.catalog.kinds and "input" in field.args:
            return self.create(field, op)
        if op.action == "update":
            return self.update(field, op)
        if op.action in ("delete", "archive", "unarchive"):
            return self.lifecycle(op)
        return self.unsupported(op.field)

    # ------------------------------------------------------------------ queries
    @staticmethod
    def get(kind: str) -> Resolver:
        def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            ctx: Ctx = info.context
            entity_id = args.get("id")
            if entity_id is None:
                raise NotFound(kind)
            rec = ctx.workspace.get(kind, entity_id)
            if not ctx.visibility.visible(rec, "read"):
                raise NotFound(kind)
            return rec

        return resolve

    def list(self, kind: str, filter_type: str | None) -> Resolver:
        predicate_for = self.binder.list_predicate

        def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            ctx: Ctx = info.context
            ws = ctx.workspace
            order_by = args.get("orderBy")
            source = planned_source(ws, kind, args.get("filter"), order_by) or root_source(ws, kind, order_by)
            page, page_info = paginate(source, args, predicate_for(ctx, args, filter_type), ws.find)
            ctx.charge(len(page))
            return connection(page, page_info)

        return resolve

    def default(self, field: GraphQLField) -> Resolver:
        """Schema-valid defaults for queries the fake does not model."""
        named, non_null, is_list = unwrap(field.type)

        def resolve(_root: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
            if is_list:
                return [] if non_null else None
            if not non_null:
                return None
            if isinstance(named, GraphQLObjectType):
                return {}
            if hasattr(named, "fields"):
                return {"__typename": self.schema.get_possible_types(named)[0].name}
            return leaf_default(named, {})

        return resolve

    # ------------------------------------------------------------------ mutations
    def create(self, field: GraphQLField, op: RootOperation) -> Resolver:
        kind = op.kind or ""
        input_type = unwrap(field.args["input"].type)[0]
        batch_field = None
        if op.many and isinstance(input_type, GraphQLInputObjectType):
            batch_field = next((n for n, f in input_type.fields.items() if unwrap(f.type)[2]), None)

        def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            ws: Workspace = info.context.workspace
            data = normalize(args["input"], input_type, ws.now())
            if batch_field is not None:
                items = data.get(batch_field) or []
                if not items:
                    raise InvalidInput(f"{batch_field} must not be empty")
                if len(items) > MAX_BATCH:
                    raise InvalidInput(f"{batch_field} must contain no more than {MAX_BATCH} elements")
                records: list[Record] = ws.create_many(kind, items)
                return payload(ws, op, records)
            return payload(ws, op, ws.create(kind, data))

        return resolve

    def update(self, field: GraphQLField, op: RootOperation) -> Resolver:
        kind = op.kind or ""
        input_arg = field.args.get("input")
        input_type = unwrap(input_arg.type)[0] if input_arg is not None else None

        def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            ws: Workspace = info.context.workspace
            changes = normalize(args.get("input") or {}, input_type, ws.now())
            return payload(ws, op, ws.update(kind, args["id"], changes))

        return resolve

    @staticmethod
    def lifecycle(op: RootOperation) -> Resolver:
        kind = op.kind or ""

        def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            ws: Workspace = info.context.workspace
            if op.action == "delete":
                rec = ws.delete(kind, args["id"], permanently=bool(args.get("permanentlyDelete")))
            elif op.action == "archive":
                rec = ws.archive(kind, args["id"], trash=bool(args.get("trash")))
            else:
                rec = ws.unarchive(kind, args["id"])
            if ws.find(rec["id"]) is not rec:  # removed: Linear answers the id, entity null
                return {**payload(ws, op, None), "entityId": rec["id"]}
            return payload(ws, op, rec)

        return resolve

    @staticmethod
    def unsupported(name: str) -> Resolver:
        def resolve(_root: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
            raise Unsupported(name)

        return resolve
