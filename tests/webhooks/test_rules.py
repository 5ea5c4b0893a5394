"""Webhooks as Linear has them: create/update/delete/rotate, the secret, URL and scope rules,
errors in Linear's shape and nothing half-written."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fakelinear import FakeLinear
from fakelinear.model.rules.webhook import RESOURCE_TYPES
from tests.webhooks.harness import InProcess, driver

CREATE = """mutation($i: WebhookCreateInput!) {
  webhookCreate(input: $i) { success lastSyncId webhook { id url secret enabled label allPublicTeams teamIds
    resourceTypes team { key } creator { id } failures { id } createdAt updatedAt archivedAt } }
}"""


def _create(d: InProcess, **fields: Any) -> tuple[int, dict[str, Any]]:
    data = {"url": "https://hooks.example/linear", "resourceTypes": ["Issue"], "teamId": "ENG", **fields}
    return d.post({"query": CREATE, "variables": {"i": data}})


def test_create_generates_a_secret_like_linear() -> None:
    with driver("in_process", seed=3) as d:
        status, body = _create(d, label="CI")
        hook = body["data"]["webhookCreate"]["webhook"]
        assert status == 200 and body["data"]["webhookCreate"]["success"] is True
        assert re.fullmatch(r"lin_wh_[A-Za-z0-9]{44}", hook["secret"])
        assert hook["enabled"] is True and hook["allPublicTeams"] is False and hook["label"] == "CI"
        assert hook["team"]["key"] == "ENG" and hook["teamIds"] == [d.team_id()]
        assert hook["creator"]["id"] == d.fake.workspace_for(d.token).viewer_id
        assert hook["failures"] == [] and hook["archivedAt"] is None
        read = d.gql("query($id: String!) { webhook(id: $id) { secret } }", {"id": hook["id"]})
        assert read["webhook"]["secret"] == hook["secret"]  # readable later, as on Linear


def test_secret_is_seeded() -> None:
    secrets = []
    for seed in (3, 3, 4):
        with driver("in_process", seed=seed) as d:
            secrets.append(_create(d)[1]["data"]["webhookCreate"]["webhook"]["secret"])
    assert secrets[0] == secrets[1] != secrets[2]


def test_given_secret_and_all_public_teams() -> None:
    with driver("in_process", seed=3) as d:
        _, body = _create(d, teamId=None, allPublicTeams=True, secret="my-own-secret", enabled=False)
        hook = body["data"]["webhookCreate"]["webhook"]
        assert hook["secret"] == "my-own-secret" and hook["allPublicTeams"] is True
        assert hook["teamIds"] is None and hook["team"] is None and hook["enabled"] is False
        listed = d.gql("{ webhooks { nodes { id } } }")["webhooks"]["nodes"]
        assert [n["id"] for n in listed] == [hook["id"]]


@pytest.mark.parametrize(("fields", "message"), [
    ({"url": "ftp://hooks.example/x"}, "url must be a URL address"),
    ({"url": "https:///no-host"}, "url must be a URL address"),
    ({"url": "https://hooks.example/with space"}, "url must be a URL address"),
    ({"url": "https://hooks.example:99999/"}, "url must be a URL address"),
    ({"resourceTypes": []}, "resourceTypes must not be empty"),
    ({"resourceTypes": ["Issue", "Bogus"]}, "resourceTypes: unknown resource type 'Bogus'"),
    ({"teamId": None}, "teamId or allPublicTeams must be set"),
    ({"allPublicTeams": True}, "teamId and allPublicTeams cannot both be set"),
    ({"teamId": "NOPE"}, "Entity not found: Team"),
    ({"secret": " padded "}, "secret must be a non-empty string"),
])
def test_bad_input_is_refused_in_linears_shape(fields: dict[str, Any], message: str) -> None:
    with driver("in_process", seed=3) as d:
        before = d.fake.workspace_for(d.token).last_sync_id
        status, body = _create(d, **fields)
        assert status == 200 and body["data"] is None
        [error] = body["errors"]
        assert error["message"] == message
        assert error["extensions"]["code"] == "INPUT_ERROR" and error["extensions"]["userPresentableMessage"]
        assert d.fake.workspace_for(d.token).last_sync_id == before
        assert d.gql("{ webhooks { nodes { id } } }")["webhooks"]["nodes"] == []


def test_update_rotate_delete() -> None:
    with driver("in_process", seed=3) as d:
        hook = _create(d)[1]["data"]["webhookCreate"]["webhook"]
        updated = d.gql("""mutation($id: String!) { webhookUpdate(id: $id, input: {enabled: false,
            resourceTypes: ["Issue", "Comment", "Issue"], url: "http://127.0.0.1:9/x", label: "x"})
            { success webhook { enabled resourceTypes url label secret } } }""", {"id": hook["id"]})
        assert updated["webhookUpdate"]["webhook"] == {
            "enabled": False, "resourceTypes": ["Issue", "Comment"], "url": "http://127.0.0.1:9/x",
            "label": "x", "secret": hook["secret"]}
        status, body = d.post({"query": 'mutation($id: String!) { webhookUpdate(id: $id, input: {url: "nope"}) '
                                        "{ success } }", "variables": {"id": hook["id"]}})
        assert body["errors"][0]["message"] == "url must be a URL address"
        rotated = d.gql("mutation($id: String!) { webhookRotateSecret(id: $id) { success secret lastSyncId } }",
                        {"id": hook["id"]})["webhookRotateSecret"]
        assert rotated["success"] and rotated["secret"] != hook["secret"] and rotated["secret"].startswith("lin_wh_")
        assert d.gql("query($id: String!) { webhook(id: $id) { secret } }", {"id": hook["id"]})["webhook"]["secret"] \
            == rotated["secret"]
        deleted = d.gql("mutation($id: String!) { webhookDelete(id: $id) { success entityId } }", {"id": hook["id"]})
        assert deleted["webhookDelete"] == {"success": True, "entityId": hook["id"]}
        for query in ("mutation($id: String!) { webhookDelete(id: $id) { success } }",
                      "mutation($id: String!) { webhookRotateSecret(id: $id) { secret } }",
                      "query($id: String!) { webhook(id: $id) { id } }"):
            _, body = d.post({"query": query, "variables": {"id": hook["id"]}})
            assert body["errors"][0]["message"] == "Entity not found: Webhook"


def test_rotating_an_unknown_webhook_draws_no_secret() -> None:
    with driver("in_process", seed=9) as d:
        d.post({"query": "mutation { webhookRotateSecret(id: \"missing\") { secret } }"})
        first = _create(d)[1]["data"]["webhookCreate"]["webhook"]
    with driver("in_process", seed=9) as d:
        second = _create(d)[1]["data"]["webhookCreate"]["webhook"]
    assert first["id"] == second["id"] and first["secret"] == second["secret"]


def test_resource_types_cover_the_schema_union() -> None:
    union = FakeLinear().api.schema.type_map["DataWebhookPayload"]
    members = {t.name.removesuffix("WebhookPayload") for t in union.types}  # type: ignore[attr-defined]
    assert members <= RESOURCE_TYPES
