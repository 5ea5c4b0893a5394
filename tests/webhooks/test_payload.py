"""Delivery bodies follow the schema's webhook payload types (EntityWebhookPayload and the
per-type ``*WebhookPayload``), for every kind the fake models with Linear's rules."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from fakelinear.api import get_schema
from tests.webhooks.harness import driver

_SCALARS = {"String": str, "ID": str, "Float": (int, float), "Int": int, "Boolean": bool,
            "JSONObject": dict, "JSON": (dict, list)}


def conforms(value: Any, type_: Any, path: str, problems: list[str], data_type: str = "") -> None:
    """Collect every way ``value`` breaks ``type_`` (missing non-null, unknown key, wrong type)."""
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            problems.append(f"{path}: null for a non-null field")
            return
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return
        for n, item in enumerate(value):
            conforms(item, type_.of_type, f"{path}[{n}]", problems)
        return
    if isinstance(type_, GraphQLUnionType):
        wanted = f"{data_type}WebhookPayload" if data_type else "UserActorWebhookPayload"
        [type_] = [t for t in type_.types if t.name == wanted]
    if isinstance(type_, GraphQLObjectType):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object")
            return
        for key in value:
            if key not in type_.fields:
                problems.append(f"{path}.{key}: not a field of {type_.name}")
        for name, field in type_.fields.items():
            if name in value or isinstance(field.type, GraphQLNonNull):
                conforms(value.get(name), field.type, f"{path}.{name}", problems,
                         data_type if name == "data" else "")
        return
    assert isinstance(type_, GraphQLScalarType)
    expected = _SCALARS.get(type_.name, object)
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        problems.append(f"{path}: {value!r} is not a {type_.name}")


def test_every_body_conforms_to_the_schema() -> None:
    schema = get_schema()
    entity = schema.type_map["EntityWebhookPayload"]
    with driver("in_process", seed=21, plan="unlimited") as d:
        d.subscribe(("Issue", "Comment", "IssueLabel", "Project", "Document", "Attachment"))
        label = d.gql('mutation { issueLabelCreate(input: {name: "bug", teamId: "ENG"}) { issueLabel { id } } }')
        issue = d.gql("""mutation($l: [String!]) { issueCreate(input: {teamId: "ENG", title: "t", priority: 2,
            labelIds: $l, description: "d"}) { issue { id } } }""",
                      {"l": [label["issueLabelCreate"]["issueLabel"]["id"]]})["issueCreate"]["issue"]
        d.advance(1)
        d.update_issue(issue["id"], title="t2", stateId=None)
        d.gql('mutation($i: String!) { commentCreate(input: {issueId: $i, body: "hi"}) { success } }',
              {"i": issue["id"]})
        d.gql('mutation($t: [String!]!) { projectCreate(input: {name: "P", teamIds: $t}) { success } }',
              {"t": [d.team_id()]})
        d.gql('mutation { documentCreate(input: {title: "Doc"}) { success } }')
        d.gql('mutation($i: String!) { attachmentCreate(input: {issueId: $i, title: "a", url: "https://x.test"}) '
              "{ success } }", {"i": issue["id"]})
        d.advance(1)
        d.delete_issue(issue["id"])
        seen = set()
        for got in d.receiver.received:
            body = got.payload
            problems: list[str] = []
            conforms(body, GraphQLNonNull(entity), "body", problems, body["type"])
            assert problems == [], problems
            assert got.event == body["type"]
            seen.add((body["type"], body["action"]))
        assert {("Issue", "create"), ("Issue", "update"), ("Issue", "remove"), ("Comment", "create"),
                ("IssueLabel", "create"), ("Project", "create"), ("Attachment", "create"),
                ("Document", "create")} <= seen


def test_issue_data_carries_linears_child_objects() -> None:
    with driver("in_process", seed=21) as d:
        d.subscribe()
        d.create_issue("with children")
        data = d.receiver.received[0].payload["data"]
        assert data["state"] == {"id": data["stateId"], "name": "Backlog", "type": "backlog", "color": "#bec2c8"}
        assert data["team"] == {"id": data["teamId"], "key": "ENG", "name": "Engineering"}
        assert data["identifier"] == "ENG-1" and data["priorityLabel"] == "No priority"
        assert data["createdAt"].endswith("Z") and "assignee" not in data  # nullable and unset: left out
