"""Every operation through GraphQLApi (no HTTP): queries, mutations, payloads, nesting."""

from __future__ import annotations

import uuid

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.model import Model
from fakelinear.rng import Rng
from tests.fakelinear.api_helpers import Driver, new_model


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def model(clock: VirtualClock) -> Model:
    return new_model(Rng(3), clock)


@pytest.fixture
def d(model: Model) -> Driver:
    return Driver(model.create_workspace("Acme", plan="unlimited", default_team=True))


def test_viewer_organization_users(d: Driver) -> None:
    data = d.data("{ viewer { id name email displayName active admin isMe url createdAt"
                  " organization { id } } organization { id name urlKey userCount"
                  " teams { nodes { key } } users { nodes { id } } }"
                  " users { nodes { id isMe } pageInfo { hasNextPage } } }")
    assert data["viewer"]["isMe"] is True and data["viewer"]["admin"] is True
    assert data["viewer"]["createdAt"].endswith("Z")
    assert data["organization"]["urlKey"] == "acme" and data["organization"]["userCount"] == 3
    assert data["viewer"]["organization"]["id"] == data["organization"]["id"]
    assert sum(u["isMe"] for u in data["users"]["nodes"]) == 1
    uid = data["users"]["nodes"][1]["id"]
    assert d.data("query($id: String!) { user(id: $id) { id isMe } }", {"id": uid})["user"] == {
        "id": uid, "isMe": False}


def test_team_operations(d: Driver) -> None:
    created = d.data('mutation { teamCreate(input: {name: "Platform", key: "PLT"}) {'
                     " success lastSyncId team { id key name states { nodes { name type } } } } }")
    payload = created["teamCreate"]
    assert payload["success"] and isinstance(payload["lastSyncId"], float)
    team = payload["team"]
    assert [s["type"] for s in team["states"]["nodes"]] == [
        "backlog", "unstarted", "started", "completed", "canceled"]
    by_key = d.data('{ team(id: "PLT") { id } }')["team"]["id"]
    assert by_key == team["id"]
    upd = d.data("mutation($id: String!) { teamUpdate(id: $id, input: {name: \"P2\"}) {"
                 " success team { name key } } }", {"id": team["id"]})
    assert upd["teamUpdate"]["team"] == {"name": "P2", "key": "PLT"}
    deleted = d.data("mutation($id: String!) { teamDelete(id: $id) { success entityId lastSyncId } }",
                     {"id": team["id"]})["teamDelete"]
    assert deleted["success"] and deleted["entityId"] == team["id"]
    keys = [t["key"] for t in d.data("{ teams { nodes { key } } }")["teams"]["nodes"]]
    assert keys == ["ENG"]
    keys = [t["key"] for t in d.data("{ teams(includeArchived: true) { nodes { key archivedAt } } }")
            ["teams"]["nodes"]]
    assert keys == ["ENG", "PLT"]
    again = d.data("mutation($id: String!) { teamDelete(id: $id) { success } }", {"id": team["id"]})
    assert again["teamDelete"]["success"]
    un = d.data("mutation($id: String!) { teamUnarchive(id: $id) { success entity { id archivedAt } } }",
                {"id": team["id"]})["teamUnarchive"]
    assert un["entity"] == {"id": team["id"], "archivedAt": None}


def test_team_create_generates_key_and_honours_id(d: Driver) -> None:
    wanted = str(uuid.uuid4())
    team = d.data("mutation($i: TeamCreateInput!) { teamCreate(input: $i) { team { id key } } }",
                  {"i": {"name": "Mobile Apps", "id": wanted}})["teamCreate"]["team"]
    assert team == {"id": wanted, "key": "MA"}


def test_issue_create_read_by_id_and_identifier(d: Driver) -> None:
    issue = d.create_issue("Crash on start", description="boom", priority=1)
    assert issue["identifier"] == "ENG-1"
    q = ("query($id: String!) { issue(id: $id) { id identifier number title description"
         " priority priorityLabel url trashed archivedAt createdAt updatedAt labelIds"
         " team { key } state { name type } creator { isMe } assignee { id } project { id }"
         " parent { id } children { nodes { id } } comments { nodes { id } }"
         " relations { nodes { id } } inverseRelations { nodes { id } } labels { nodes { id } } } }")
    by_id = d.data(q, {"id": issue["id"]})["issue"]
    by_ident = d.data(q, {"id": "ENG-1"})["issue"]
    assert by_id == by_ident
    assert by_id["priorityLabel"] == "Urgent" and by_id["state"]["name"] == "Backlog"
    assert by_id["number"] == 1.0 and by_id["trashed"] is None and by_id["creator"]["isMe"]


def test_issue_create_with_everything(d: Driver) -> None:
    label = d.data('mutation { issueLabelCreate(input: {name: "Bug", color: "#ff0000"}) {'
                   " success issueLabel { id name color team { id } } } }")["issueLabelCreate"]
    assert label["issueLabel"]["team"] is None
    project = d.data("mutation($t: [String!]!) { projectCreate(input: {name: \"Launch\","
                     " teamIds: $t}) { success project { id name teams { nodes { key } } } } }",
                     {"t": [d.team_id()]})["projectCreate"]["project"]
    assert project["teams"]["nodes"] == [{"key": "ENG"}]
    parent = d.create_issue("Parent")
    states = d.data("query($f: WorkflowStateFilter) { workflowStates(filter: $f) { nodes { id name } } }",
                    {"f": {"team": {"key": {"eq": "ENG"}}, "name": {"eq": "Todo"}}})
    todo = states["workflowStates"]["nodes"][0]["id"]
    child = d.create_issue("Child", labelIds=[label["issueLabel"]["id"]], projectId=project["id"],
                           parentId=parent["id"], stateId=todo, assigneeId=d.ws.viewer_id,
                           estimate=3)
    got = d.data("query($id: String!) { issue(id: $id) { labels { nodes { name } } project { name }"
                 " parent { identifier } state { name } assignee { isMe } estimate } }",
                 {"id": child["id"]})["issue"]
    assert got == {"labels": {"nodes": [{"name": "Bug"}]}, "project": {"name": "Launch"},
                   "parent": {"identifier": "ENG-1"}, "state": {"name": "Todo"},
                   "assignee": {"isMe": True}, "estimate": 3.0}
    kids = d.data("query($id: String!) { issue(id: $id) { children { nodes { id } } } }",
                  {"id": parent["id"]})["issue"]["children"]["nodes"]
    assert kids == [{"id": child["id"]}]
    team_issues = d.data('{ team(id: "ENG") { issueCount issues { nodes { identifier } } } }')
    assert team_issues["team"]["issueCount"] == 2
    assert [i["identifier"] for i in team_issues["team"]["issues"]["nodes"]] == ["ENG-1", "ENG-2"]


def test_issue_update_archive_unarchive_delete(d: Driver) -> None:
    issue = d.create_issue("x")
    upd = d.data("mutation($id: String!) { issueUpdate(id: $id, input: {title: \"y\", priority: 4})"
                 " { success issue { title priorityLabel } } }", {"id": "ENG-1"})
    assert upd["issueUpdate"]["issue"] == {"title": "y", "priorityLabel": "Low"}
    arch = d.data("mutation($id: String!) { issueArchive(id: $id) { success entity { archivedAt trashed } } }",
                  {"id": issue["id"]})["issueArchive"]
    assert arch["entity"]["archivedAt"] and arch["entity"]["trashed"] is None
    assert d.data("{ issues { nodes { id } } }")["issues"]["nodes"] == []
    un = d.data("mutation($id: String!) { issueUnarchive(id: $id) { success entity { archivedAt } } }",
                {"id": issue["id"]})["issueUnarchive"]
    assert un["entity"]["archivedAt"] is None
    dele = d.data("mutation($id: String!) { issueDelete(id: $id) { success lastSyncId entity { trashed archivedAt } } }",
                  {"id": issue["id"]})["issueDelete"]
    assert dele["entity"]["trashed"] is True
    assert d.data("{ issues { nodes { id } } }")["issues"]["nodes"] == []
    assert len(d.data("{ issues(includeArchived: true) { nodes { id } } }")["issues"]["nodes"]) == 1
    # Trashed issues stay readable by id; a second delete succeeds unchanged.
    assert d.data("query($id: String!) { issue(id: $id) { trashed } }", {"id": issue["id"]})["issue"]["trashed"]
    again = d.data("mutation($id: String!) { issueDelete(id: $id) { success } }", {"id": issue["id"]})
    assert again["issueDelete"]["success"]
    perm = d.data("mutation($id: String!) { issueDelete(id: $id, permanentlyDelete: true) { success entity { id } } }",
                  {"id": issue["id"]})
    # Linear: "the archived/unarchived entity; null if the entity was deleted".
    assert perm["issueDelete"] == {"success": True, "entity": None}
    err = d.error("query($id: String!) { issue(id: $id) { id } }", {"id": issue["id"]})
    assert err["message"] == "Entity not found: Issue"
    err = d.error("mutation($id: String!) { issueDelete(id: $id) { success } }", {"id": issue["id"]})
    assert err["message"] == "Entity not found: Issue"


def test_issue_archive_with_trash(d: Driver) -> None:
    issue = d.create_issue("x")
    out = d.data("mutation($id: String!) { issueArchive(id: $id, trash: true) { entity { trashed } } }",
                 {"id": issue["id"]})
    assert out["issueArchive"]["entity"]["trashed"] is True


def test_issue_batch_create(d: Driver) -> None:
    out = d.data("mutation($i: IssueBatchCreateInput!) { issueBatchCreate(input: $i) {"
                 " success lastSyncId issues { identifier title } } }",
                 {"i": {"issues": [{"teamId": d.team_id(), "title": "a"},
                                   {"teamId": d.team_id(), "title": "b"}]}})["issueBatchCreate"]
    assert [i["identifier"] for i in out["issues"]] == ["ENG-1", "ENG-2"]


def test_search_issues(d: Driver) -> None:
    d.create_issue("Login redirect loop", description="Safari only")
    d.create_issue("CSV export broken")
    other = d.data('mutation { teamCreate(input: {name: "Ops", key: "OPS"}) { team { id } } }')
    d.create_issue("login page slow", teamId=other["teamCreate"]["team"]["id"])
    q = ("query($t: String!, $team: String, $arch: Boolean, $c: Boolean) { searchIssues(term: $t, teamId: $team,"
         " includeArchived: $arch, includeComments: $c, first: 10) { totalCount nodes { identifier title team { key } }"
         " edges { cursor node { id } } pageInfo { hasNextPage } } }")
    res = d.data(q, {"t": "login"})["searchIssues"]
    assert res["totalCount"] == 2.0 and {n["identifier"] for n in res["nodes"]} == {"ENG-1", "OPS-1"}
    res = d.data(q, {"t": "login", "team": "OPS"})["searchIssues"]
    assert [n["identifier"] for n in res["nodes"]] == ["OPS-1"]
    assert d.data(q, {"t": "safari"})["searchIssues"]["totalCount"] == 1.0
    assert d.data(q, {"t": "ENG-2"})["searchIssues"]["nodes"][0]["title"] == "CSV export broken"
    d.data("mutation($id: String!) { issueDelete(id: $id) { success } }", {"id": "ENG-1"})
    assert d.data(q, {"t": "safari"})["searchIssues"]["totalCount"] == 0.0
    assert d.data(q, {"t": "safari", "arch": True})["searchIssues"]["totalCount"] == 1.0
    d.data('mutation { commentCreate(input: {issueId: "ENG-2", body: "needle in comment"}) { success } }')
    assert d.data(q, {"t": "needle"})["searchIssues"]["totalCount"] == 0.0
    assert d.data(q, {"t": "needle", "c": True})["searchIssues"]["totalCount"] == 1.0


def test_projects(d: Driver) -> None:
    p = d.data("mutation($t: [String!]!) { projectCreate(input: {name: \"Q3\", teamIds: $t,"
               " description: \"d\"}) { success lastSyncId project { id name url slugId trashed"
               " priorityLabel creator { isMe } } } }", {"t": [d.team_id()]})["projectCreate"]["project"]
    assert p["trashed"] is None and p["slugId"] in p["url"]
    d.create_issue("x", projectId=p["id"])
    got = d.data("query($id: String!) { project(id: $id) { name issues { nodes { identifier } }"
                 " documents { nodes { id } } } }", {"id": p["id"]})["project"]
    assert got["issues"]["nodes"] == [{"identifier": "ENG-1"}]
    d.data("mutation($id: String!) { projectUpdate(id: $id, input: {name: \"Q4\"}) { success } }", {"id": p["id"]})
    assert d.data("{ projects { nodes { name } } }")["projects"]["nodes"] == [{"name": "Q4"}]
    dele = d.data("mutation($id: String!) { projectDelete(id: $id) { success entity { trashed archivedAt } } }",
                  {"id": p["id"]})["projectDelete"]
    assert dele["entity"]["trashed"] is True
    assert d.data("{ projects { nodes { name } } }")["projects"]["nodes"] == []
    assert d.data("{ projects(includeArchived: true) { nodes { name } } }")["projects"]["nodes"]
    again = d.data("mutation($id: String!) { projectDelete(id: $id) { success } }", {"id": p["id"]})
    assert again["projectDelete"]["success"]
    un = d.data("mutation($id: String!) { projectUnarchive(id: $id) { success entity { trashed } } }",
                {"id": p["id"]})["projectUnarchive"]
    assert un["entity"]["trashed"] is None


def test_documents(d: Driver) -> None:
    doc = d.data('mutation { documentCreate(input: {title: "Spec", content: "# Hi"}) {'
                 " success lastSyncId document { id title content url slugId trashed creator { isMe } } } }"
                 )["documentCreate"]["document"]
    assert doc["content"] == "# Hi" and doc["creator"]["isMe"]
    d.data("mutation($id: String!) { documentUpdate(id: $id, input: {title: \"Spec 2\"}) { success } }",
           {"id": doc["id"]})
    assert d.data("query($id: String!) { document(id: $id) { title } }", {"id": doc["id"]})["document"][
        "title"] == "Spec 2"
    dele = d.data("mutation($id: String!) { documentDelete(id: $id) { success entity { trashed } } }",
                  {"id": doc["id"]})["documentDelete"]
    assert dele["entity"]["trashed"] is True
    assert d.data("{ documents { nodes { id } } }")["documents"]["nodes"] == []
    un = d.data("mutation($id: String!) { documentUnarchive(id: $id) { success entity { trashed } } }",
                {"id": doc["id"]})["documentUnarchive"]
    assert un["entity"]["trashed"] is None
    assert len(d.data("{ documents { nodes { id } } }")["documents"]["nodes"]) == 1


def test_labels(d: Driver) -> None:
    team_label = d.data("mutation($t: String) { issueLabelCreate(input: {name: \"Backend\", teamId: $t}) {"
                        " issueLabel { id team { key } } } }", {"t": d.team_id()})
    lid = team_label["issueLabelCreate"]["issueLabel"]["id"]
    assert team_label["issueLabelCreate"]["issueLabel"]["team"] == {"key": "ENG"}
    d.create_issue("x", labelIds=[lid])
    labels = d.data("{ issueLabels { nodes { name issues { nodes { identifier } } } } }")
    assert labels["issueLabels"]["nodes"] == [{"name": "Backend", "issues": {"nodes": [{"identifier": "ENG-1"}]}}]
    assert d.data('{ team(id: "ENG") { labels { nodes { id } } } }')["team"]["labels"]["nodes"] == [{"id": lid}]
    dele = d.data("mutation($id: String!) { issueLabelDelete(id: $id) { success entityId } }", {"id": lid})
    assert dele["issueLabelDelete"] == {"success": True, "entityId": lid}
    err = d.error("mutation($id: String!) { issueLabelDelete(id: $id) { success } }", {"id": lid})
    assert err["message"] == "Entity not found: IssueLabel"


def test_comments(d: Driver) -> None:
    issue = d.create_issue("x")
    c = d.data("mutation($i: String) { commentCreate(input: {issueId: $i, body: \"hi\"}) {"
               " success lastSyncId comment { id body url issueId issue { identifier } user { isMe } } } }",
               {"i": issue["id"]})["commentCreate"]["comment"]
    assert c["issue"]["identifier"] == "ENG-1" and c["user"]["isMe"] and c["issueId"] == issue["id"]
    listed = d.data("{ comments { nodes { id } } }")["comments"]["nodes"]
    assert listed == [{"id": c["id"]}]
    filtered = d.data("query($f: CommentFilter) { comments(filter: $f) { nodes { id } } }",
                      {"f": {"issue": {"id": {"eq": issue["id"]}}}})["comments"]["nodes"]
    assert filtered == [{"id": c["id"]}]
    dele = d.data("mutation($id: String!) { commentDelete(id: $id) { success entityId } }", {"id": c["id"]})
    assert dele["commentDelete"]["entityId"] == c["id"]
    assert d.error("mutation($id: String!) { commentDelete(id: $id) { success } }",
                   {"id": c["id"]})["message"] == "Entity not found: Comment"


def test_relations(d: Driver) -> None:
    a, b = d.create_issue("a"), d.create_issue("b")
    rel = d.data("mutation($a: String!, $b: String!) { issueRelationCreate(input: {issueId: $a,"
                 " relatedIssueId: $b, type: duplicate}) { success lastSyncId issueRelation {"
                 " id type issue { identifier } relatedIssue { identifier } } } }",
                 {"a": a["id"], "b": b["identifier"]})["issueRelationCreate"]["issueRelation"]
    assert (rel["type"], rel["issue"]["identifier"], rel["relatedIssue"]["identifier"]) == (
        "duplicate", "ENG-1", "ENG-2")
    assert d.data("query($id: String!) { issueRelation(id: $id) { id } }", {"id": rel["id"]})
    assert d.data("{ issueRelations { nodes { id } } }")["issueRelations"]["nodes"] == [{"id": rel["id"]}]
    inv = d.data("query($id: String!) { issue(id: $id) { inverseRelations { nodes { type } } } }",
                 {"id": b["id"]})["issue"]["inverseRelations"]["nodes"]
    assert inv == [{"type": "duplicate"}]
    d.data("mutation($id: String!) { issueRelationDelete(id: $id) { success entityId } }", {"id": rel["id"]})
    assert d.error("query($id: String!) { issueRelation(id: $id) { id } }",
                   {"id": rel["id"]})["message"] == "Entity not found: IssueRelation"


def test_workflow_states(d: Driver) -> None:
    states = d.data("{ workflowStates { nodes { id name type position team { key } } } }")
    nodes = states["workflowStates"]["nodes"]
    assert len(nodes) == 5 and all(n["team"]["key"] == "ENG" for n in nodes)
    one = d.data("query($id: String!) { workflowState(id: $id) { name } }", {"id": nodes[3]["id"]})
    assert one["workflowState"]["name"] == "Done"
    team_states = d.data('{ team(id: "ENG") { states { nodes { name } } } }')["team"]["states"]["nodes"]
    assert [s["name"] for s in team_states] == ["Backlog", "Todo", "In Progress", "Done", "Canceled"]


def test_last_sync_id_monotonic_in_payloads(d: Driver) -> None:
    seen = []
    for n in range(5):
        seen.append(d.data("mutation($t: String!, $n: String!) { issueCreate(input: {teamId: $t,"
                           " title: $n}) { lastSyncId } }",
                           {"t": d.team_id(), "n": f"i{n}"})["issueCreate"]["lastSyncId"])
    assert seen == sorted(set(seen))


def test_committed_flag(d: Driver) -> None:
    assert d.run("{ viewer { id } }").committed is False
    assert d.run('mutation { teamCreate(input: {name: "Z", key: "Z"}) { success } }').committed is True
    failed = d.run('mutation { teamCreate(input: {name: "Z", key: "Z"}) { success } }')
    assert failed.committed is False and failed.status == 200


def test_multiple_mutations_in_one_request(d: Driver) -> None:
    out = d.run('mutation { a: teamCreate(input: {name: "A", key: "AA"}) { success }'
                ' b: teamCreate(input: {name: "B", key: "AA"}) { success } }')
    assert out.committed is True
    assert out.result["errors"][0]["path"] == ["b"]
    assert out.result["data"] is None  # non-null payload: Linear nulls the whole data


def test_seeded_workspace_queries(model: Model) -> None:
    d = Driver(model.create_workspace("Demo", seed_content=True))
    data = d.data("{ issues(first: 5) { nodes { identifier title assignee { name } labels { nodes { name } } } }"
                  " projects { nodes { name documents { nodes { title } } } } }")
    assert len(data["issues"]["nodes"]) == 5
    assert data["projects"]["nodes"][0]["documents"]["nodes"]


def test_include_skip_directives_follow_variables(d: Driver) -> None:
    q = "query($x: Boolean!) { viewer { id name @include(if: $x) email @skip(if: $x) } }"
    assert set(d.data(q, {"x": True})["viewer"]) == {"id", "name"}
    assert set(d.data(q, {"x": False})["viewer"]) == {"id", "email"}


def test_repeated_execution_uses_cached_plan(d: Driver) -> None:
    q = "query { teams { nodes { key states { nodes { name } } } } }"
    first = d.data(q)
    d.data('mutation { teamCreate(input: {name: "Ops", key: "OPS"}) { success } }')
    second = d.data(q)
    assert first["teams"]["nodes"][0] == second["teams"]["nodes"][0]
    assert [t["key"] for t in second["teams"]["nodes"]] == ["ENG", "OPS"]


def test_optional_and_extra_arguments(d: Driver) -> None:
    assert d.error("{ comment { id } }")["message"] == "Entity not found: Comment"
    assert d.error('{ comment(hash: "abc") { id } }')["message"] == "Entity not found: Comment"
    d.create_issue("a")
    b = d.create_issue("b")
    d.data("mutation($id: String!) { issueArchive(id: $id) { success } }", {"id": b["id"]})
    counts = d.data('{ team(id: "ENG") { issueCount all: issueCount(includeArchived: true) } }')
    assert counts["team"] == {"issueCount": 1, "all": 2}
