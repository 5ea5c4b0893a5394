"""What each root field of the schema does, read off its shape.

* **get**: a query returning a Node kind (or Node interface) with an ``id`` argument.
* **list**: a query returning a Relay connection of a Node kind.
* **create**: a mutation without an ``id`` argument whose ``input`` (or a list inside it)
  carries an optional ``id`` field and whose payload holds the created kind: a client can
  choose the new entity's id, which is exactly when Linear can answer "conflict on
  insert" (F1).
  Mutations taking an optional ``id`` argument next to their fields (``attachmentLinkURL``)
  are creates too.
* **update / delete / archive / unarchive**: mutations with an ``id`` argument, named
  ``<kind>Update`` and so on; the kind comes from the payload when it holds one.

Everything else is *special* (a hand-written resolver) or, without one, a query answered
with schema-valid defaults and a mutation answered with the "not supported" error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField, GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

from fakelinear.api.catalog_builder import connection_node, lower_first, unwrap
from fakelinear.model.catalog import Catalog

_LIFECYCLE = re.compile(r"^(?P<base>\w+?)(?P<action>Update|Delete|Archive|Unarchive)$")


@dataclass(frozen=True, slots=True)
class RootOperation:
    """How one root field is served."""

    field: str
    action: str  # get | list | create | update | delete | archive | unarchive | other
    kind: str | None = None  # the entity kind it acts on
    payload_field: str | None = None  # the payload field holding the entity (mutations)
    many: bool = False  # the payload holds a list (issueBatchCreate)


def _payload_entity(catalog: Catalog, field: GraphQLField) -> tuple[str | None, str | None, bool]:
    payload = unwrap(field.type)[0]
    if not isinstance(payload, GraphQLObjectType):
        return None, None, False
    for name, sub in payload.fields.items():
        named, _non_null, is_list = unwrap(sub.type)
        if named.name in catalog.kinds or catalog.implementations.get(named.name):
            return name, named.name, is_list
    return None, None, False


def _input_has_id(type_: Any, depth: int = 0) -> bool:
    """The input lets a client choose a new entity's id: an optional ``id`` field (a
    required one names an existing entity, as in ``cycleShiftAll``)."""
    named = unwrap(type_)[0]
    if not isinstance(named, GraphQLInputObjectType) or depth > 2:
        return False
    if "id" in named.fields:
        return not unwrap(named.fields["id"].type)[1]
    return any(unwrap(f.type)[2] and _input_has_id(f.type, depth + 1) for f in named.fields.values())


@dataclass(frozen=True, slots=True)
class RootOperations:
    """The classified root fields, by type (a query and a mutation may share a name:
    ``projectUpdate`` reads a ProjectUpdate and updates a Project)."""

    queries: dict[str, RootOperation]
    mutations: dict[str, RootOperation]


def classify(schema: GraphQLSchema, catalog: Catalog) -> RootOperations:
    """Every Query and Mutation root field, classified (keys are field names)."""
    queries: dict[str, RootOperation] = {}
    out: dict[str, RootOperation] = {}
    by_lower = {lower_first(kind): kind for kind in catalog.kinds}
    for name, field in (schema.query_type.fields if schema.query_type else {}).items():
        named, _non_null, is_list = unwrap(field.type)
        node = connection_node(named)
        if node is not None and (node.name in catalog.kinds or catalog.implementations.get(node.name)):
            queries[name] = RootOperation(name, "list", node.name)
        elif not is_list and "id" in field.args and (
            named.name in catalog.kinds or catalog.implementations.get(named.name)
        ):
            queries[name] = RootOperation(name, "get", named.name)
        else:
            queries[name] = RootOperation(name, "other")
    for name, field in (schema.mutation_type.fields if schema.mutation_type else {}).items():
        payload_field, entity, many = _payload_entity(catalog, field)
        if ("id" not in field.args and "input" in field.args and entity is not None
                and _input_has_id(field.args["input"].type)):
            out[name] = RootOperation(name, "create", entity, payload_field, many)
            continue
        if entity is not None and "id" in field.args and not unwrap(field.args["id"].type)[1] \
                and "input" not in field.args:  # attachmentLinkURL(id: String, ...): a create
            out[name] = RootOperation(name, "create", entity, payload_field, many)
            continue
        match = _LIFECYCLE.match(name)
        if match and "id" in field.args:
            kind = entity or by_lower.get(match.group("base"))
            if kind is not None:
                action = match.group("action").lower()
                out[name] = RootOperation(name, action, kind, payload_field, many)
                continue
        out[name] = RootOperation(name, "other", entity, payload_field, many)
    return RootOperations(queries, out)
