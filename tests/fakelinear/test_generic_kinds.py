"""Every kind with a create and a get mutation round-trips through GraphQL, generated from
the schema: create with every scalar the input and the entity share, read each back, find it
with a filter on one of them, update it, archive and unarchive it, delete it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLScalarType

from fakelinear.api import schema_bundle
from fakelinear.api.catalog_builder import lower_first, unwrap
from fakelinear.http import Request
from tests.sdk.documents_support import Workbench

BUNDLE = schema_bundle()
SCHEMA = BUNDLE.schema
MUTATIONS = SCHEMA.mutation_type.fields  # type: ignore[union-attr]
GETS = {op.kind: name for name, op in BUNDLE.queries.items() if op.action == "get"}
LISTS = {op.kind: name for name, op in BUNDLE.queries.items() if op.action == "list"}
CREATES = {op.kind: name for name, op in BUNDLE.operations.items()
           if op.action == "create" and "input" in MUTATIONS[name].args}
KINDS = sorted(k for k in CREATES if k in GETS and k in BUNDLE.catalog.kinds)
#: What a kind's rules need beyond its input's required fields ("@Kind": an existing id of
#: that kind, "@Kind#2" the second one).
OVERRIDES: dict[str, dict[str, Any]] = {
    "Team": {"key": "RT"},
    "Comment": {"issueId": "@Issue"},
    "IssueRelation": {"issueId": "@Issue", "relatedIssueId": "@Issue#2"},
    "Favorite": {"issueId": "@Issue"},
    "Reaction": {"issueId": "@Issue"},
    "Attachment": {"issueId": "@Issue"},
    "Webhook": {"url": "https://hooks.example/rt", "resourceTypes": ["Issue"], "allPublicTeams": True},
}
SKIP_SCALARS = {"JSON", "JSONObject", "UUID", "Duration"}


@pytest.fixture(scope="module")
def bench() -> Workbench:
    return Workbench(seed=21)


def call(bench: Workbench, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = bench.fake.handle(Request("POST", "/graphql", {
        "authorization": bench.token, "content-type": "application/json"}, body, b""))
    out: dict[str, Any] = json.loads(response.body)
    return out


def data(bench: Workbench, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    out = call(bench, query, variables)
    assert "errors" not in out, (query, variables, out["errors"])
    return out["data"]  # type: ignore[no-any-return]


def sample(type_: Any, field: str, bench: Workbench) -> Any:
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    return {"String": f"rt {field}", "Int": 2, "Float": 2.0, "Boolean": True,
            "DateTime": "2026-03-04T05:06:07.000Z", "TimelessDate": "2026-03-04"}.get(type_.name)


def shared_scalars(kind: str, input_type: GraphQLInputObjectType) -> list[str]:
    """Input fields that are also scalar fields of the entity (and so can be read back)."""
    entity = SCHEMA.type_map[kind]
    assert isinstance(entity, GraphQLObjectType)
    out = []
    for name, field in input_type.fields.items():
        named, _non_null, is_list = unwrap(field.type)
        if is_list or name == "id" or name.endswith("Id") or name not in entity.fields:
            continue
        out_named, _nn, out_list = unwrap(entity.fields[name].type)
        if out_list or not isinstance(named, GraphQLScalarType | GraphQLEnumType):
            continue
        if named.name in SKIP_SCALARS or out_named.name != named.name:
            continue
        out.append(name)
    return out


def same(given: Any, got: Any) -> bool:
    if isinstance(given, str) and isinstance(got, str) and given[:4].isdigit() and "T" in given:
        return datetime.fromisoformat(given.replace("Z", "+00:00")) == datetime.fromisoformat(got.replace("Z", "+00:00"))
    if isinstance(given, int | float) and isinstance(got, int | float):
        return float(given) == float(got)
    return bool(given == got)


def resolve_overrides(kind: str, bench: Workbench) -> dict[str, Any]:
    out = {}
    for key, value in OVERRIDES.get(kind, {}).items():
        if isinstance(value, str) and value.startswith("@"):
            target, _, nth = value[1:].partition("#")
            ids = [r.id for r in bench.ws.all(target) if r.archived_at is None]
            value = ids[int(nth or 1) - 1]
        out[key] = value
    return out


def unsatisfiable(input_type: GraphQLInputObjectType, kind: str, bench: Workbench) -> str | None:
    """A required reference to a kind the workspace has no record of and cannot create."""
    for name, field in input_type.fields.items():
        if name.endswith("Id") and unwrap(field.type)[1] and name not in OVERRIDES.get(kind, {}):
            target = bench._kind_for(name, kind)
            if target is not None and bench.existing_id(target) is None:
                return f"needs a {target} and nothing can create one"
    return None


def test_at_least_45_kinds_round_trip(bench: Workbench) -> None:
    runnable = []
    for kind in KINDS:
        input_type = unwrap(MUTATIONS[CREATES[kind]].args["input"].type)[0]
        if unsatisfiable(input_type, kind, bench) is None:
            runnable.append(kind)
    assert len(runnable) >= 45, (len(runnable), sorted(set(KINDS) - set(runnable)))


@pytest.mark.parametrize("kind", KINDS)
def test_kind_round_trip(kind: str, bench: Workbench) -> None:
    create = CREATES[kind]
    input_type = unwrap(MUTATIONS[create].args["input"].type)[0]
    assert isinstance(input_type, GraphQLInputObjectType)
    reason = unsatisfiable(input_type, kind, bench)
    if reason is not None:
        pytest.skip(reason)
    data_in = bench.value(input_type, "input", required_only=True)
    scalars = shared_scalars(kind, input_type)
    for name in scalars:
        if data_in.get(name) is None:
            data_in[name] = sample(unwrap(input_type.fields[name].type)[0], name, bench)
    data_in.update(resolve_overrides(kind, bench))
    payload_field = BUNDLE.operations[create].payload_field
    selection = " ".join(["id", *scalars])
    made = data(bench, f"mutation($i: {input_type.name}!) {{ {create}(input: $i) {{ success lastSyncId"
                       f" {payload_field} {{ {selection} }} }} }}", {"i": data_in})[create]
    assert made["success"] is True and made["lastSyncId"] > 0
    entity_id = made[payload_field]["id"]

    # Read back every scalar given.
    got = data(bench, f"query($id: String!) {{ {GETS[kind]}(id: $id) {{ {selection} }} }}",
               {"id": entity_id})[GETS[kind]]
    for name in scalars:
        assert same(data_in[name], got[name]), (name, data_in[name], got[name])

    # Find it with a filter on one of those scalars (and on its id).
    list_field = LISTS.get(kind)
    if list_field is not None:
        filter_arg = SCHEMA.query_type.fields[list_field].args.get("filter")  # type: ignore[union-attr]
        if filter_arg is not None:
            filter_type = unwrap(filter_arg.type)[0]
            flt: dict[str, Any] = {"id": {"eq": entity_id}}
            text = [n for n in scalars if n in filter_type.fields
                    and unwrap(input_type.fields[n].type)[0].name == "String"]
            if text:
                flt = {text[0]: {"eq": data_in[text[0]]}}
            nodes = data(bench, f"query($f: {filter_type.name}) {{ {list_field}(filter: $f, first: 250)"
                                f" {{ nodes {{ id }} }} }}", {"f": flt})[list_field]["nodes"]
            assert entity_id in [n["id"] for n in nodes], (flt, nodes)

    base = lower_first(kind)
    # Update one text field the update input takes.
    update = MUTATIONS.get(base + "Update")
    if update is not None and "input" in update.args:
        update_type = unwrap(update.args["input"].type)[0]
        text_fields = [n for n in scalars if n in update_type.fields and n not in OVERRIDES.get(kind, {})
                       and unwrap(update_type.fields[n].type)[0].name == "String"]
        changes = bench.value(update_type, "input", required_only=True)
        if text_fields:
            changes[text_fields[0]] = "rt updated"
        out = data(bench, f"mutation($id: String!, $i: {update_type.name}!) {{ {base}Update(id: $id, input: $i)"
                          " { success } }", {"id": entity_id, "i": changes})
        assert out[base + "Update"]["success"] is True
        if text_fields:
            reread = data(bench, f"query($id: String!) {{ {GETS[kind]}(id: $id) {{ {text_fields[0]} }} }}",
                          {"id": entity_id})[GETS[kind]]
            assert reread[text_fields[0]] == "rt updated"

    read = f"query($id: String!) {{ {GETS[kind]}(id: $id) {{ archivedAt }} }}"
    if base + "Archive" in MUTATIONS and "id" in MUTATIONS[base + "Archive"].args:
        data(bench, f"mutation($id: String!) {{ {base}Archive(id: $id) {{ success }} }}", {"id": entity_id})
        assert data(bench, read, {"id": entity_id})[GETS[kind]]["archivedAt"] is not None
        if base + "Unarchive" in MUTATIONS:
            data(bench, f"mutation($id: String!) {{ {base}Unarchive(id: $id) {{ success }} }}", {"id": entity_id})
            assert data(bench, read, {"id": entity_id})[GETS[kind]]["archivedAt"] is None

    if base + "Delete" in MUTATIONS and "id" in MUTATIONS[base + "Delete"].args:
        data(bench, f"mutation($id: String!) {{ {base}Delete(id: $id) {{ success }} }}", {"id": entity_id})
        after = call(bench, read, {"id": entity_id})
        if "errors" in after:
            assert after["errors"][0]["message"] == f"Entity not found: {kind}"
        else:  # soft delete: trashed or archived, still readable by id
            assert after["data"][GETS[kind]]["archivedAt"] is not None
