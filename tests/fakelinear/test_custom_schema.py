"""``FakeLinear(schema=PATH)``: the engine binds any SDL by its shapes (a user pinning the
fake to production's schema, or to a trimmed one), and a bad SDL is a clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakelinear.api import SchemaLoadError
from fakelinear.handler import FakeLinear
from fakelinear.http import Request

SDL = """
interface Node { id: ID! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type User implements Node { id: ID! name: String! createdAt: DateTime! }
type Widget implements Node {
  id: ID! name: String! size: Float! createdAt: DateTime! archivedAt: DateTime owner: User!
  color: Color!
}
enum Color { blue green }
scalar DateTime
type WidgetEdge { node: Widget! cursor: String! }
type WidgetConnection { edges: [WidgetEdge!]! nodes: [Widget!]! pageInfo: PageInfo! }
type WidgetPayload { success: Boolean! lastSyncId: Float! widget: Widget }
type DeletePayload { success: Boolean! lastSyncId: Float! entityId: String! }
input StringComparator { eq: String neq: String contains: String }
input WidgetFilter { name: StringComparator and: [WidgetFilter!] or: [WidgetFilter!] }
input WidgetCreateInput { id: String name: String! size: Float }
input WidgetUpdateInput { name: String size: Float }
type Query {
  viewer: User!
  widget(id: String!): Widget!
  widgets(first: Int, after: String, last: Int, before: String, filter: WidgetFilter,
          includeArchived: Boolean): WidgetConnection!
}
type Mutation {
  widgetCreate(input: WidgetCreateInput!): WidgetPayload!
  widgetUpdate(id: String!, input: WidgetUpdateInput!): WidgetPayload!
  widgetDelete(id: String!): DeletePayload!
}
"""


def send(fake: FakeLinear, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = fake.handle(Request("POST", "/graphql", {"authorization": fake.tokens[0],
                                                        "content-type": "application/json"}, body, b""))
    return json.loads(response.body)  # type: ignore[no-any-return]


def test_a_custom_schema_is_served_by_its_shapes(tmp_path: Path) -> None:
    path = tmp_path / "mini.graphql"
    path.write_text(SDL)
    fake = FakeLinear(seed=3, schema=path)
    made = send(fake, 'mutation { widgetCreate(input: {name: "gear", size: 2}) { success widget { id } } }')
    widget_id = made["data"]["widgetCreate"]["widget"]["id"]
    send(fake, 'mutation { widgetCreate(input: {name: "cog"}) { success } }')
    listed = send(fake, '{ widgets(filter: {name: {contains: "ge"}}) { nodes { name size color owner { id } } } }')
    viewer = send(fake, "{ viewer { id } }")["data"]["viewer"]["id"]
    # Stored values, schema defaults (first enum value) and the viewer as the owner.
    assert listed["data"]["widgets"]["nodes"] == [{"name": "gear", "size": 2.0, "color": "blue",
                                                   "owner": {"id": viewer}}]
    send(fake, "mutation($id: String!) { widgetDelete(id: $id) { success } }", {"id": widget_id})
    gone = send(fake, "query($id: String!) { widget(id: $id) { id } }", {"id": widget_id})
    assert gone["errors"][0]["message"] == "Entity not found: Widget"
    unknown = send(fake, "{ issues { nodes { id } } }")  # Linear's fields are not there
    assert unknown["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_bad_schema_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text("type Query { oops: Nope }")
    with pytest.raises(SchemaLoadError, match="bad.graphql is not a valid GraphQL schema"):
        FakeLinear(schema=path)
    with pytest.raises(SchemaLoadError, match="cannot read schema"):
        FakeLinear(schema=tmp_path / "missing.graphql")
