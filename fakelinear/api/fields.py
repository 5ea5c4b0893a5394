"""Resolvers for the fields of every object type, bound from the schema.

One rule per field *shape*, so any schema works (Linear's whole one, or a user's SDL):

* a Node-typed field reads the referenced record (``team`` -> ``teamId``);
* a connection or list of Node kinds walks the related records (:mod:`relations`) with
  Relay pagination, ``filter``, ``orderBy`` and ``includeArchived``;
* a ``DateTime`` answers the stored epoch seconds as an ISO string;
* anything else answers what is stored, or the documented default (:mod:`defaults`)
  when the field is non-null and nothing is stored, so a full-fragment read never fails.

Hand-written resolvers (:mod:`special`) take precedence where Linear derives a value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
)

from fakelinear.api.catalog_builder import connection_node, unwrap
from fakelinear.api.connections import connection, paginate
from fakelinear.api.context import Ctx
from fakelinear.api.defaults import is_date_scalar, leaf_default
from fakelinear.api.filters import FilterEvaluator
from fakelinear.api.relations import related_many, related_one, related_source
from fakelinear.clock import iso
from fakelinear.model.catalog import Catalog
from fakelinear.model.errors import NotFound
from fakelinear.model.records import Record

Resolver = Callable[..., Any]


class Binder:
    """Builds resolvers for one schema (and its catalog and filter evaluator)."""

    def __init__(self, schema: GraphQLSchema, catalog: Catalog, evaluator: FilterEvaluator) -> None:
        self.schema = schema
        self.catalog = catalog
        self.evaluator = evaluator

    def is_node(self, name: str) -> bool:
        """Whether values of type ``name`` are stored records."""
        return name in self.catalog.kinds or bool(self.catalog.implementations.get(name))

    # ------------------------------------------------------------------ predicates
    def list_predicate(self, ctx: Ctx, args: dict[str, Any], filter_type: str | None) -> Callable[[Record], bool]:
        """Who appears in a list: not archived (unless includeArchived), visible (lag),
        and passing the filter."""
        ws = ctx.workspace
        include_archived = bool(args.get("includeArchived"))
        visible = ctx.visibility.visible
        flt = args.get("filter")
        matches = self.evaluator.matches
        now = ctx.now

        def predicate(rec: Record) -> bool:
            if not include_archived and ws.is_archived(rec):
                return False
            if not visible(rec, "list"):
                return False
            return not flt or matches(ws, rec, flt, filter_type or "", now)

        return predicate

    # ------------------------------------------------------------------ field resolvers
    def resolver_for(self, otype: GraphQLObjectType, name: str) -> Resolver | None:
        """The resolver of ``otype.name`` by its shape (None: graphql-core's dict lookup)."""
        field = otype.fields[name]
        named, non_null, is_list = unwrap(field.type)
        node = connection_node(named)
        if node is not None and self.is_node(node.name):
            filter_arg = field.args.get("filter")
            filter_type = unwrap(filter_arg.type)[0].name if filter_arg is not None else None
            return self.connection_field(name, node.name, filter_type)
        if is_list:
            if self.is_node(named.name):
                return self.node_list_field(name, named.name)
            return (lambda src, _info, **_a: src.get(name) or []) if non_null else None
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            if self.is_node(named.name):
                return self.reference_field(name, named.name, non_null)
            return self.object_field(name, named, non_null) if non_null else None
        if is_date_scalar(named):
            return self.date_field(name, named, non_null)
        if non_null:
            return self.leaf_field(name, named)
        return None

    def connection_field(self, name: str, target: str, filter_type: str | None) -> Resolver:
        """A connection of related records."""
        predicate_for = self.list_predicate

        def resolve(src: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            ctx: Ctx = info.context
            ws = ctx.workspace
            source = related_source(ws, src, name, target, args.get("orderBy"))
            page, page_info = paginate(source, args, predicate_for(ctx, args, filter_type), ws.find)
            ctx.charge(len(page))
            return connection(page, page_info)

        return resolve

    @staticmethod
    def node_list_field(name: str, target: str) -> Resolver:
        """A plain list of related records (archived ones left out)."""

        def resolve(src: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
            value = src.get(name)
            if isinstance(value, list):
                return value
            ctx: Ctx = info.context
            ws = ctx.workspace
            items = [r for r in related_many(ws, src, name, target) if not ws.is_archived(r)]
            ctx.charge(len(items))
            return items

        return resolve

    @staticmethod
    def reference_field(name: str, target: str, non_null: bool) -> Resolver:
        """The record a reference points at. A required reference whose record is gone is
        Linear's not-found error; one that was never set answers the viewer (users) or the
        workspace's first record of that kind (a default status ...), if there is one."""

        def resolve(src: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
            value = src.get(name)
            if isinstance(value, dict):
                return value
            ws = info.context.workspace
            rec = related_one(ws, src, name, target)
            if rec is None and non_null:
                if src.get(name + "Id") is None:  # never set: the documented default
                    if target == "User":
                        return ws.viewer
                    rec = next(iter(ws.store.all(target)), None)
                if rec is None:
                    raise NotFound(target)
            return rec

        return resolve

    def object_field(self, name: str, named: Any, non_null: bool) -> Resolver:
        """A value object (not a record): stored, else an empty one whose fields default."""
        if isinstance(named, GraphQLObjectType):
            def empty() -> dict[str, Any]:
                return {}
        else:
            first = self.schema.get_possible_types(named)[0].name

            def empty() -> dict[str, Any]:
                return {"__typename": first}

        def resolve(src: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
            value = src.get(name)
            return empty() if value is None else value

        return resolve

    @staticmethod
    def date_field(name: str, named: Any, non_null: bool) -> Resolver:
        """A date-time: stored epoch seconds as ISO 8601."""

        def resolve(src: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
            value = src.get(name)
            if value is None:
                return leaf_default(named, src) if non_null else None
            return iso(value) if isinstance(value, int | float) else value

        return resolve

    @staticmethod
    def leaf_field(name: str, named: Any) -> Resolver:
        """A non-null scalar or enum: stored, else its default."""

        def resolve(src: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
            value = src.get(name)
            return leaf_default(named, src) if value is None else value

        return resolve

    def bind(self, overrides: dict[str, dict[str, Resolver]]) -> None:
        """Install a resolver on every field of every object type (except the roots)."""
        roots = {t for t in (self.schema.query_type, self.schema.mutation_type,
                             self.schema.subscription_type) if t is not None}
        for otype in self.schema.type_map.values():
            if not isinstance(otype, GraphQLObjectType) or otype in roots or otype.name.startswith("__"):
                continue
            special = overrides.get(otype.name, {})
            for name, field in otype.fields.items():
                field.resolve = special.get(name) or self.resolver_for(otype, name)


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract: Any) -> str | None:
    """The concrete type of an abstract field's value: a record's kind; for a stored value
    object that does not say (``content`` given as JSON), the first type the schema allows."""
    name = value.get("__typename") if isinstance(value, dict) else None
    if name is None or not isinstance(info.schema.get_type(name), GraphQLObjectType):
        possible = info.schema.get_possible_types(abstract)
        return possible[0].name if possible else None
    return name
