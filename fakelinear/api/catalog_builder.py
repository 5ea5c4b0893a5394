"""Derive the model's :class:`~fakelinear.model.catalog.Catalog` from a GraphQL schema.

Every object type implementing ``Node`` is a kind. What the store needs is read off the
schema's shapes, not hand-listed:

* a field whose type is a Node kind (or a Node interface) is a reference stored under
  ``<field>Id`` (``Issue.team`` -> ``teamId``);
* a list or connection field whose create/update input carries ``<singular>Ids`` is a
  reference list (``Issue.labels`` -> ``labelIds``);
* any other list or connection of kind T is read from the other side: T's reference back to
  this kind (``Team.issues`` -> issues whose ``teamId`` is the team), a reference list on T
  (``IssueLabel.issues`` -> issues whose ``labelIds`` hold the label), or a join kind with a
  reference to both (``Team.members`` through ``TeamMembership``);
* input keys ``fooId``/``fooIds`` that match no field still reference kind ``Foo`` when
  one exists (checked on create, so an unknown id is Linear's not-found error);
* the lifecycle: kinds with a ``trashed`` field trash on delete; kinds whose delete returns
  the entity archive; the others are removed.

Where a name alone is ambiguous (``User.assignedIssues``), :data:`BACKREF_OVERRIDES` says
which reference is meant.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from fakelinear.model.catalog import Backref, Catalog, KindSpec, Ref

#: (kind, field) -> the field on the other kind that points back (when names are ambiguous).
BACKREF_OVERRIDES: dict[tuple[str, str], str] = {
    ("Issue", "children"): "parent",
    ("Issue", "inverseRelations"): "relatedIssue",
    ("Issue", "relations"): "issue",
    ("Project", "inverseRelations"): "relatedProject",
    ("Project", "relations"): "project",
    ("User", "assignedIssues"): "assignee",
    ("User", "createdIssues"): "creator",
    ("User", "delegatedIssues"): "delegate",
    ("Comment", "children"): "parent",
    ("IssueLabel", "children"): "parent",
    ("ProjectLabel", "children"): "parent",
    ("Team", "children"): "parent",
}
#: Collections the fake keeps empty: a backref by name would give the wrong records.
NO_BACKREF = frozenset({
    ("Cycle", "uncompletedIssuesUponClose"),
    ("Issue", "formerAttachments"),
    ("Issue", "formerNeeds"),
})
#: Search result types read the same records as their base kind.
SEARCH_SUFFIX = "SearchResult"


def lower_first(name: str) -> str:
    """``IssueLabel`` -> ``issueLabel``."""
    return name[:1].lower() + name[1:]


def singular(name: str) -> str:
    """``labels`` -> ``label``, ``initiatives`` -> ``initiative``, ``entries`` -> ``entry``."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s"):
        return name[:-1]
    return name


def unwrap(type_: Any) -> tuple[Any, bool, bool]:
    """``(named type, non_null, is_list)`` of a field type."""
    non_null = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if non_null else type_
    is_list = isinstance(inner, GraphQLList)
    return get_named_type(type_), non_null, is_list


def connection_node(type_: Any) -> Any | None:
    """The node type of a Relay connection type (``IssueConnection`` -> ``Issue``)."""
    if isinstance(type_, GraphQLObjectType) and "nodes" in type_.fields and "pageInfo" in type_.fields:
        return get_named_type(type_.fields["nodes"].type)
    return None


class _Builder:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        node = schema.type_map.get("Node")
        self.kinds: dict[str, GraphQLObjectType] = {
            t.name: t for t in schema.type_map.values()
            if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")
            and node is not None and node in t.interfaces
        }
        self.interfaces: dict[str, tuple[str, ...]] = {
            t.name: tuple(k.name for k in schema.get_possible_types(t) if k.name in self.kinds)
            for t in schema.type_map.values()
            if isinstance(t, GraphQLInterfaceType) and not t.name.startswith("__")
        }
        self.by_lower = {lower_first(name): name for name in self.kinds}
        self.mutations = schema.mutation_type.fields if schema.mutation_type else {}

    def is_node_type(self, name: str) -> bool:
        return name in self.kinds or bool(self.interfaces.get(name))

    def input_fields(self, kind: str) -> set[str]:
        """Fields of the kind's create and update inputs."""
        out: set[str] = set()
        base = lower_first(kind)
        for action in ("Create", "Update"):
            field = self.mutations.get(base + action)
            if field is None or "input" not in field.args:
                continue
            input_type = get_named_type(field.args["input"].type)
            if isinstance(input_type, GraphQLInputObjectType):
                out.update(input_type.fields)
        return out

    def base_kind(self, name: str) -> str:
        if name.endswith(SEARCH_SUFFIX) and name[: -len(SEARCH_SUFFIX)] in self.kinds:
            return name[: -len(SEARCH_SUFFIX)]
        return name

    def build(self) -> Catalog:
        catalog = Catalog(implementations={k: v for k, v in self.interfaces.items() if v})
        for name in self.kinds:
            catalog.kinds[name] = self.refs_of(name)
        for name in self.kinds:
            self.backrefs_of(catalog, name)
        return catalog.finish()

    def refs_of(self, name: str) -> KindSpec:
        otype = self.kinds[self.base_kind(name)]
        inputs = self.input_fields(self.base_kind(name))
        spec = KindSpec(
            name=name,
            fields=frozenset(otype.fields),
            non_null_fields=frozenset(f for f, d in otype.fields.items() if isinstance(d.type, GraphQLNonNull)),
            interfaces=tuple(i.name for i in otype.interfaces),
            has_trashed="trashed" in otype.fields,
            creatable=lower_first(name) + "Create" in self.mutations,
        )
        for field_name, field in otype.fields.items():
            named, non_null, is_list = unwrap(field.type)
            if isinstance(named, GraphQLEnumType):
                spec.enums[field_name] = frozenset(named.values)
            if field.args and not is_list and connection_node(named) is None:
                continue
            target = connection_node(named)
            if target is not None or is_list:
                target_name = (target or named).name
                key = singular(field_name) + "Ids"
                if self.is_node_type(target_name) and key in inputs:
                    spec.refs[key] = Ref(field_name, key, target_name, many=True)
                continue
            if self.is_node_type(named.name):
                key = field_name + "Id"
                spec.refs[key] = Ref(field_name, key, named.name, non_null=non_null)
        for key in inputs:  # input-only references (``templateId``)
            if key in spec.refs or key == "id":
                continue
            match = re.fullmatch(r"(\w+?)(Ids|Id)", key)
            target = self.by_lower.get(match.group(1)) if match else None
            if target is not None:
                spec.refs[key] = Ref("", key, target, many=match.group(2) == "Ids")  # type: ignore[union-attr]
        spec.delete_mode = self.delete_mode(name, spec)
        return spec

    def delete_mode(self, name: str, spec: KindSpec) -> Any:
        if spec.has_trashed:
            return "trash"
        delete = self.mutations.get(lower_first(name) + "Delete")
        if delete is not None:
            payload = get_named_type(delete.type)
            fields = getattr(payload, "fields", {})
            if "entity" in fields and get_named_type(fields["entity"].type).name == name:
                return "archive"
        return "hard"

    def backrefs_of(self, catalog: Catalog, name: str) -> None:
        spec = catalog.kinds[name]
        otype = self.kinds[self.base_kind(name)]
        owner = self.base_kind(name)
        for field_name, field in otype.fields.items():
            named, _non_null, is_list = unwrap(field.type)
            target = connection_node(named)
            if target is None and not is_list:
                continue
            target_name = (target or named).name
            if not self.is_node_type(target_name) or spec.ref_for_field(field_name):
                continue
            backref = self.backref(catalog, owner, field_name, target_name)
            if backref is not None:
                spec.backrefs[field_name] = backref

    def backref(self, catalog: Catalog, owner: str, field_name: str, target: str) -> Backref | None:
        """How ``owner.field_name`` (a list of ``target``) is read from the other side."""
        for source in catalog.concrete(target):
            src = catalog.kinds[source]
            override = BACKREF_OVERRIDES.get((owner, field_name))
            singles = [r for r in src.refs.values() if not r.many and owner in catalog.concrete(r.target)]
            if override is not None:
                singles = [r for r in singles if r.field == override]
            elif len(singles) > 1:
                singles = [r for r in singles if r.field == lower_first(owner)] or []
            if (owner, field_name) in NO_BACKREF:
                return None
            if len(singles) == 1:
                return Backref(field_name, source, singles[0].key)
            lists = [r for r in src.refs.values() if r.many and owner in catalog.concrete(r.target)]
            if len(lists) == 1 and override is None:
                return Backref(field_name, source, lists[0].key)
        if owner == "Organization":
            return None  # every record of the kind (resolved by the API)
        if owner == target or (owner, field_name) in NO_BACKREF:
            return None
        joins = []  # TeamMembership: a kind with required references to both sides
        for join in catalog.kinds.values():
            to_owner = [r for r in join.refs.values() if r.non_null and r.target == owner]
            to_target = [r for r in join.refs.values() if r.non_null and r.target == target]
            if len(to_owner) == 1 and len(to_target) == 1 and join.name not in (owner, target):
                joins.append((len(join.refs), join.name, to_owner[0].key, to_target[0].key))
        if not joins:
            return None
        _count, join_kind, key, via = min(joins)
        return Backref(field_name, join_kind, key, via=via, target=target)


def build_catalog(schema: GraphQLSchema) -> Catalog:
    """The catalog of every Node kind of ``schema``."""
    return _Builder(schema).build()
