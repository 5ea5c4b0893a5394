"""Every operation end-to-end through the whole stack, in-process and on loopback.

The same module runs twice (``linear_http`` is parametrized over both transports); each test
drives plain GraphQL over HTTP, the way any client would.
"""

from __future__ import annotations

from typing import Any

from tests.fakelinear.transport_fixtures import LinearHTTP

TEAM_CREATE = """mutation TeamCreate($input: TeamCreateInput!) {
  teamCreate(input: $input) { success lastSyncId team { id key name } } }"""
ISSUE_CREATE = """mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success lastSyncId
    issue { id identifier title description priority number trashed archivedAt url
            team { id key } state { id name type } labelIds project { id } } } }"""
ISSUE_GET = """query Issue($id: String!) {
  issue(id: $id) { id identifier title description priority trashed archivedAt
                   state { name } team { key } } }"""


def team(lh: LinearHTTP, name: str = "Platform", key: str | None = "PLT", **kw: Any) -> dict[str, Any]:
    inp: dict[str, Any] = {"name": name}
    if key:
        inp["key"] = key
    payload = lh.data(TEAM_CREATE, {"input": inp}, **kw)["teamCreate"]
    assert payload["success"] is True
    return payload["team"]


def issue(lh: LinearHTTP, team_id: str, title: str = "Bug", **fields: Any) -> dict[str, Any]:
    payload = lh.data(ISSUE_CREATE, {"input": {"teamId": team_id, "title": title, **fields}})["issueCreate"]
    assert payload["success"] is True
    return payload["issue"]


def test_viewer_organization_users(linear_http: LinearHTTP) -> None:
    data = linear_http.data(
        "{ viewer { id name email isMe } organization { id name urlKey }"
        " users { nodes { id name } pageInfo { hasNextPage } } }"
    )
    assert data["viewer"]["isMe"] is True
    assert data["organization"]["id"]
    assert data["viewer"]["id"] in {u["id"] for u in data["users"]["nodes"]}
    user = linear_http.data("query($id: String!) { user(id: $id) { id } }", {"id": data["viewer"]["id"]})
    assert user["user"]["id"] == data["viewer"]["id"]


def test_team_lifecycle(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    assert t["key"] == "PLT"
    got = linear_http.data("query($id: String!) { team(id: $id) { id key name } }", {"id": "PLT"})
    assert got["team"]["id"] == t["id"]
    upd = linear_http.data(
        "mutation($id: String!, $i: TeamUpdateInput!) { teamUpdate(id: $id, input: $i) { success team { name } } }",
        {"id": t["id"], "i": {"name": "Platform 2"}},
    )
    assert upd["teamUpdate"]["team"]["name"] == "Platform 2"
    states = linear_http.data(
        "query($f: WorkflowStateFilter) { workflowStates(filter: $f, first: 50) { nodes { id name type team { id } } } }",
        {"f": {"team": {"id": {"eq": t["id"]}}}},
    )["workflowStates"]["nodes"]
    assert {"Backlog", "Todo", "In Progress", "Done", "Canceled"} <= {s["name"] for s in states}
    state = linear_http.data("query($id: String!) { workflowState(id: $id) { id name } }", {"id": states[0]["id"]})
    assert state["workflowState"]["id"] == states[0]["id"]
    deleted = linear_http.data("mutation($id: String!) { teamDelete(id: $id) { success entityId lastSyncId } }", {"id": t["id"]})
    assert deleted["teamDelete"]["success"] is True
    listed = linear_http.data("{ teams { nodes { id } } }")["teams"]["nodes"]
    assert t["id"] not in {n["id"] for n in listed}
    listed = linear_http.data("{ teams(includeArchived: true) { nodes { id archivedAt } } }")["teams"]["nodes"]
    assert t["id"] in {n["id"] for n in listed}
    un = linear_http.data("mutation($id: String!) { teamUnarchive(id: $id) { success entity { id archivedAt } } }", {"id": t["id"]})
    assert un["teamUnarchive"]["entity"]["archivedAt"] is None


def test_issue_lifecycle(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    first = issue(linear_http, t["id"], "First", description="body", priority=2)
    assert first["identifier"] == "PLT-1" and first["priority"] == 2 and first["team"]["key"] == "PLT"
    second = issue(linear_http, t["id"], "Second")
    assert second["identifier"] == "PLT-2"
    by_identifier = linear_http.data(ISSUE_GET, {"id": "PLT-1"})["issue"]
    assert by_identifier["id"] == first["id"] and by_identifier["description"] == "body"
    upd = linear_http.data(
        "mutation($id: String!, $i: IssueUpdateInput!) { issueUpdate(id: $id, input: $i) { success issue { title priority } } }",
        {"id": first["id"], "i": {"title": "First!", "priority": 1}},
    )["issueUpdate"]["issue"]
    assert upd == {"title": "First!", "priority": 1}
    arch = linear_http.data(
        "mutation($id: String!) { issueArchive(id: $id) { success entity { id archivedAt } } }", {"id": first["id"]}
    )["issueArchive"]
    assert arch["success"] and arch["entity"]["archivedAt"]
    un = linear_http.data(
        "mutation($id: String!) { issueUnarchive(id: $id) { success entity { archivedAt } } }", {"id": first["id"]}
    )["issueUnarchive"]
    assert un["entity"]["archivedAt"] is None
    trashed = linear_http.data(
        "mutation($id: String!) { issueDelete(id: $id) { success entity { id trashed } } }", {"id": second["id"]}
    )["issueDelete"]
    assert trashed["success"] and trashed["entity"]["trashed"] is True
    visible = linear_http.data("{ issues { nodes { id } } }")["issues"]["nodes"]
    assert second["id"] not in {n["id"] for n in visible}
    everything = linear_http.data("{ issues(includeArchived: true) { nodes { id } } }")["issues"]["nodes"]
    assert second["id"] in {n["id"] for n in everything}
    gone = linear_http.data(
        "mutation($id: String!) { issueDelete(id: $id, permanentlyDelete: true) { success } }", {"id": first["id"]}
    )["issueDelete"]
    assert gone["success"] is True
    response = linear_http.post(ISSUE_GET, {"id": first["id"]})
    body = response.json()
    assert body["errors"][0]["message"] == "Entity not found: Issue"
    assert body["errors"][0]["extensions"]["code"] == "INPUT_ERROR"
    # Numbers are never reused.
    assert issue(linear_http, t["id"], "Third")["identifier"] == "PLT-3"


def test_issue_batch_create_and_pagination(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    batch = linear_http.data(
        "mutation($i: IssueBatchCreateInput!) { issueBatchCreate(input: $i) { success issues { identifier } } }",
        {"i": {"issues": [{"teamId": t["id"], "title": f"B{n}"} for n in range(5)]}},
    )["issueBatchCreate"]
    assert [i["identifier"] for i in batch["issues"]] == [f"PLT-{n}" for n in range(1, 6)]
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = linear_http.data(
            "query($f: IssueFilter, $after: String) { issues(filter: $f, first: 2, after: $after) {"
            " nodes { identifier } edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
            {"f": {"team": {"id": {"eq": t["id"]}}}, "after": after},
        )["issues"]
        seen += [n["identifier"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(f"PLT-{n}" for n in range(1, 6))
    too_many = linear_http.post("{ issues(first: 251) { nodes { id } } }").json()
    assert "first must not be greater than 250" in too_many["errors"][0]["message"]


def test_issue_filters_and_search(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    issue(linear_http, t["id"], "Login button broken")
    issue(linear_http, t["id"], "Crash on start")
    found = linear_http.data(
        "query($f: IssueFilter) { issues(filter: $f) { nodes { title } } }",
        {"f": {"title": {"containsIgnoreCase": "login"}}},
    )["issues"]["nodes"]
    assert [n["title"] for n in found] == ["Login button broken"]
    search = linear_http.data(
        "query($t: String!, $team: String) { searchIssues(term: $t, teamId: $team, first: 10) { nodes { title } totalCount } }",
        {"t": "crash", "team": t["id"]},
    )["searchIssues"]
    assert [n["title"] for n in search["nodes"]] == ["Crash on start"]


def test_projects_documents(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    p = linear_http.data(
        "mutation($i: ProjectCreateInput!) { projectCreate(input: $i) { success project { id name teams { nodes { id } } } } }",
        {"i": {"name": "Roadmap", "teamIds": [t["id"]]}},
    )["projectCreate"]["project"]
    assert p["teams"]["nodes"][0]["id"] == t["id"]
    assert linear_http.data("query($id: String!) { project(id: $id) { name } }", {"id": p["id"]})["project"]["name"] == "Roadmap"
    linear_http.data(
        "mutation($id: String!, $i: ProjectUpdateInput!) { projectUpdate(id: $id, input: $i) { success } }",
        {"id": p["id"], "i": {"description": "Q3"}},
    )
    d = linear_http.data(
        "mutation($i: DocumentCreateInput!) { documentCreate(input: $i) { success document { id title project { id } } } }",
        {"i": {"title": "Spec", "content": "# hi", "projectId": p["id"]}},
    )["documentCreate"]["document"]
    assert d["project"]["id"] == p["id"]
    linear_http.data(
        "mutation($id: String!, $i: DocumentUpdateInput!) { documentUpdate(id: $id, input: $i) { success } }",
        {"id": d["id"], "i": {"title": "Spec v2"}},
    )
    assert linear_http.data("query($id: String!) { document(id: $id) { title } }", {"id": d["id"]})["document"]["title"] == "Spec v2"
    assert [n["id"] for n in linear_http.data("{ documents { nodes { id } } }")["documents"]["nodes"]] == [d["id"]]
    dd = linear_http.data("mutation($id: String!) { documentDelete(id: $id) { success entity { trashed } } }", {"id": d["id"]})
    assert dd["documentDelete"]["success"]
    assert linear_http.data("{ documents { nodes { id } } }")["documents"]["nodes"] == []
    linear_http.data("mutation($id: String!) { documentUnarchive(id: $id) { success } }", {"id": d["id"]})
    assert len(linear_http.data("{ documents { nodes { id } } }")["documents"]["nodes"]) == 1
    pd = linear_http.data("mutation($id: String!) { projectDelete(id: $id) { success } }", {"id": p["id"]})
    assert pd["projectDelete"]["success"]
    assert linear_http.data("{ projects { nodes { id } } }")["projects"]["nodes"] == []
    linear_http.data("mutation($id: String!) { projectUnarchive(id: $id) { success } }", {"id": p["id"]})
    assert len(linear_http.data("{ projects { nodes { id } } }")["projects"]["nodes"]) == 1


def test_labels_comments_relations(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    a = issue(linear_http, t["id"], "A")
    b = issue(linear_http, t["id"], "B")
    label = linear_http.data(
        "mutation($i: IssueLabelCreateInput!) { issueLabelCreate(input: $i) { success issueLabel { id name } } }",
        {"i": {"name": "bug", "teamId": t["id"], "color": "#ff0000"}},
    )["issueLabelCreate"]["issueLabel"]
    assert label["id"] in {n["id"] for n in linear_http.data("{ issueLabels { nodes { id } } }")["issueLabels"]["nodes"]}
    assert linear_http.data("query($id: String!) { issueLabel(id: $id) { name } }", {"id": label["id"]})["issueLabel"]["name"] == "bug"
    labelled = issue(linear_http, t["id"], "L", labelIds=[label["id"]])
    assert labelled["labelIds"] == [label["id"]]
    c = linear_http.data(
        "mutation($i: CommentCreateInput!) { commentCreate(input: $i) { success comment { id body issue { id } } } }",
        {"i": {"issueId": a["id"], "body": "looks bad"}},
    )["commentCreate"]["comment"]
    assert c["issue"]["id"] == a["id"]
    assert linear_http.data("query($id: String) { comment(id: $id) { body } }", {"id": c["id"]})["comment"]["body"] == "looks bad"
    assert [n["id"] for n in linear_http.data("{ comments { nodes { id } } }")["comments"]["nodes"]] == [c["id"]]
    r = linear_http.data(
        "mutation($i: IssueRelationCreateInput!) { issueRelationCreate(input: $i) { success issueRelation { id type relatedIssue { id } } } }",
        {"i": {"issueId": b["id"], "relatedIssueId": a["id"], "type": "duplicate"}},
    )["issueRelationCreate"]["issueRelation"]
    assert r["type"] == "duplicate" and r["relatedIssue"]["id"] == a["id"]
    assert linear_http.data("query($id: String!) { issueRelation(id: $id) { id } }", {"id": r["id"]})["issueRelation"]["id"] == r["id"]
    assert [n["id"] for n in linear_http.data("{ issueRelations { nodes { id } } }")["issueRelations"]["nodes"]] == [r["id"]]
    for mutation, entity_id in (
        ("issueRelationDelete", r["id"]),
        ("commentDelete", c["id"]),
        ("issueLabelDelete", label["id"]),
    ):
        out = linear_http.data(f"mutation($id: String!) {{ {mutation}(id: $id) {{ success entityId }} }}", {"id": entity_id})
        assert out[mutation] == {"success": True, "entityId": entity_id}


def test_last_sync_id_is_monotonic(linear_http: LinearHTTP) -> None:
    t = team(linear_http, "Sync", "SYN")
    ids = []
    for n in range(4):
        payload = linear_http.data(ISSUE_CREATE, {"input": {"teamId": t["id"], "title": f"s{n}"}})["issueCreate"]
        ids.append(payload["lastSyncId"])
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_client_supplied_id_and_real_duplicate(linear_http: LinearHTTP) -> None:
    t = team(linear_http)
    wanted = "5b7f3c1e-9a2d-4f6b-8c1e-2d3f4a5b6c7d"
    made = issue(linear_http, t["id"], "Mine", id=wanted)
    assert made["id"] == wanted
    again = linear_http.post(ISSUE_CREATE, {"input": {"teamId": t["id"], "title": "Other", "id": wanted}})
    err = again.json()["errors"][0]
    assert err["message"] == "conflict on insert of Issue"
    assert err["extensions"]["userPresentableMessage"] == f"Entity Issue with id {wanted} already exists."
