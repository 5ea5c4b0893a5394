"""Linear-shaped errors from GraphQLApi, visibility, tenancy, plan limits and F2."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from fakelinear.api import GraphQLRequestError
from fakelinear.api import errors as E
from fakelinear.clock import VirtualClock
from fakelinear.model import PURGE_AFTER, Model
from fakelinear.rng import Rng
from tests.fakelinear.api_helpers import Driver, new_model, shared_api


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def model(clock: VirtualClock) -> Model:
    return new_model(Rng(4), clock)


@pytest.fixture
def d(model: Model) -> Driver:
    return Driver(model.create_workspace("Acme", plan="unlimited", default_team=True))


def ext(err: dict[str, Any]) -> dict[str, Any]:
    return err["extensions"]


# ---------------------------------------------------------------- prepare failures
def test_syntax_error_is_400_parse_failed() -> None:
    with pytest.raises(GraphQLRequestError) as exc:
        shared_api().prepare("{ viewer { id ")
    assert exc.value.status == 400
    err = exc.value.errors[0]
    assert ext(err)["code"] == "GRAPHQL_PARSE_FAILED" and ext(err)["type"] == "graphql error"
    assert err["locations"][0]["line"] == 1


def test_validation_failure_is_400() -> None:
    with pytest.raises(GraphQLRequestError) as exc:
        shared_api().prepare("{ viewer { nope } }")
    assert exc.value.status == 400
    err = exc.value.errors[0]
    assert err["message"].startswith("Cannot query field 'nope' on type 'User'.")
    assert ext(err) | {} == {"type": "graphql error", "code": "GRAPHQL_VALIDATION_FAILED",
                             "statusCode": 400, "userError": True,
                             "userPresentableMessage": err["message"]}
    assert exc.value.body() == {"errors": exc.value.errors}


def test_validation_is_cached_including_failures() -> None:
    api = shared_api()
    q = "query Cached { viewer { id } }"
    assert api.prepare(q) is api.prepare(q)
    with pytest.raises(GraphQLRequestError) as first:
        api.prepare("{ nope }")
    with pytest.raises(GraphQLRequestError) as second:
        api.prepare("{ nope }")
    assert first.value is second.value


@pytest.mark.parametrize(
    ("query", "name", "needle"),
    [
        ("query A { viewer { id } } query B { viewer { id } }", None, "operation name"),
        ("query A { viewer { id } }", "Z", 'Unknown operation named "Z"'),
        ("", None, "Must provide query string"),
        ("subscription { issues { id } }", None, ""),
    ],
)
def test_bad_operations(query: str, name: str | None, needle: str) -> None:
    with pytest.raises(GraphQLRequestError) as exc:
        shared_api().prepare(query, name)
    assert exc.value.status == 400 and needle in exc.value.errors[0]["message"]


def test_prepared_operation_metadata() -> None:
    api = shared_api()
    p = api.prepare("query A { viewer { id } } mutation B { issueCreate(input: {teamId: \"x\","
                    " title: \"t\"}) { success } issueBatchCreate(input: {issues: []}) { success } }", "B")
    assert (p.operation_type, p.operation_name, p.root_fields, p.is_create) == (
        "mutation", "B", ("issueCreate", "issueBatchCreate"), True)
    q = api.prepare("query A { viewer { id } } mutation B { teamDelete(id: \"x\") { success } }", "A")
    assert (q.operation_type, q.root_fields, q.is_create) == ("query", ("viewer",), False)
    assert api.prepare("mutation { teamDelete(id: \"x\") { success } }").is_create is False


# ---------------------------------------------------------------- execution errors
def test_not_found_shape(d: Driver) -> None:
    out = d.run('{ issue(id: "ENG-999") { id } }')
    assert out.status == 200 and out.result["data"] is None
    err = out.result["errors"][0]
    assert err == {
        "message": "Entity not found: Issue",
        "locations": [{"line": 1, "column": 3}],
        "path": ["issue"],
        "extensions": {"type": "invalid input", "code": "INPUT_ERROR", "statusCode": 400,
                       "userError": True,
                       "userPresentableMessage": "Could not find referenced Issue."},
    }


@pytest.mark.parametrize(
    ("query", "entity"),
    [
        ('{ team(id: "NOPE") { id } }', "Team"),
        ('{ project(id: "x") { id } }', "Project"),
        ('{ document(id: "x") { id } }', "Document"),
        ('{ issueLabel(id: "x") { id } }', "IssueLabel"),
        ('{ comment(id: "x") { id } }', "Comment"),
        ('{ issueRelation(id: "x") { id } }', "IssueRelation"),
        ('{ workflowState(id: "x") { id } }', "WorkflowState"),
        ('{ user(id: "x") { id } }', "User"),
        ('mutation { issueUpdate(id: "x", input: {title: "t"}) { success } }', "Issue"),
        ('mutation { issueArchive(id: "x") { success } }', "Issue"),
        ('mutation { issueUnarchive(id: "x") { success } }', "Issue"),
        ('mutation { teamUpdate(id: "x", input: {name: "t"}) { success } }', "Team"),
        ('mutation { teamDelete(id: "x") { success } }', "Team"),
        ('mutation { teamUnarchive(id: "x") { success } }', "Team"),
        ('mutation { projectUpdate(id: "x", input: {name: "t"}) { success } }', "Project"),
        ('mutation { projectDelete(id: "x") { success } }', "Project"),
        ('mutation { projectUnarchive(id: "x") { success } }', "Project"),
        ('mutation { documentUpdate(id: "x", input: {title: "t"}) { success } }', "Document"),
        ('mutation { documentDelete(id: "x") { success } }', "Document"),
        ('mutation { documentUnarchive(id: "x") { success } }', "Document"),
        ('mutation { issueCreate(input: {teamId: "x", title: "t"}) { success } }', "Team"),
        ('mutation { commentCreate(input: {issueId: "x", body: "b"}) { success } }', "Issue"),
        ('mutation { issueRelationCreate(input: {issueId: "x", relatedIssueId: "y", type: blocks})'
         ' { success } }', "Issue"),
    ],
)
def test_not_found_everywhere(d: Driver, query: str, entity: str) -> None:
    err = d.error(query)
    assert err["message"] == f"Entity not found: {entity}"
    assert ext(err)["code"] == "INPUT_ERROR"


@pytest.mark.parametrize(
    "query",
    [
        'mutation { issueCreate(input: {teamId: "ENG", title: ""}) { success } }',
        'mutation { issueCreate(input: {teamId: "ENG", title: "x", priority: 7}) { success } }',
        'mutation { issueCreate(input: {teamId: "ENG", title: "x", id: "nope"}) { success } }',
        'mutation { teamCreate(input: {name: "X", key: "TOOLONG"}) { success } }',
        'mutation { teamCreate(input: {name: "X", key: "ENG"}) { success } }',
        'mutation { projectCreate(input: {name: "X", teamIds: []}) { success } }',
        'mutation { commentCreate(input: {body: "x"}) { success } }',
        'mutation { issueBatchCreate(input: {issues: []}) { success } }',
        '{ issues(first: 251) { nodes { id } } }',
        '{ issues(last: 300) { nodes { id } } }',
        '{ issues(after: "no-such-cursor") { nodes { id } } }',
    ],
)
def test_invalid_input_shape(d: Driver, query: str) -> None:
    before = d.ws.last_sync_id
    out = d.run(query)
    assert out.status == 200 and out.committed is False and d.ws.last_sync_id == before
    err = out.result["errors"][0]
    assert ext(err)["type"] == "invalid input" and ext(err)["code"] == "INPUT_ERROR"
    assert ext(err)["userError"] is True and ext(err)["userPresentableMessage"]


def test_first_over_250_message(d: Driver) -> None:
    err = d.error('{ issues(first: 251) { nodes { id } } }')
    assert err["message"] == "first must not be greater than 250"
    nested = d.error('{ team(id: "ENG") { issues(first: 1000) { nodes { id } } } }')
    assert nested["message"] == "first must not be greater than 250"
    search = d.error('{ searchIssues(term: "x", first: 251) { nodes { id } } }')
    assert search["message"] == "first must not be greater than 250"
    assert d.data('{ issues(first: 250) { nodes { id } } }')


def test_variable_coercion_failure_is_400(d: Driver) -> None:
    out = d.run("query($id: String!) { issue(id: $id) { id } }", {})
    assert out.status == 400 and "data" not in out.result
    assert ext(out.result["errors"][0])["code"] == "BAD_USER_INPUT"
    out = d.run("mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success } }",
                {"i": {"teamId": "x", "title": "t", "bogus": 1}})
    assert out.status == 400 and out.committed is False


def test_non_dict_variables_rejected(d: Driver) -> None:
    out = d.api.execute(d.api.prepare("{ viewer { id } }"), d.ws, ["x"], d.visibility)  # type: ignore[arg-type]
    assert out.status == 400


def test_f2_duplicate_id_same_wire_error_as_f1(d: Driver) -> None:
    wanted = str(uuid.uuid4())
    q = "mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success issue { id } } }"
    first = d.data(q, {"i": {"teamId": d.team_id(), "title": "a", "id": wanted}})
    assert first["issueCreate"]["issue"]["id"] == wanted
    out = d.run(q, {"i": {"teamId": d.team_id(), "title": "b", "id": wanted}})
    assert out.status == 200 and out.committed is False and out.result["data"] is None
    err = out.result["errors"][0]
    assert err["message"] == "conflict on insert of Issue"
    assert ext(err) == {"type": "invalid input", "code": "INPUT_ERROR", "statusCode": 400,
                        "userError": True,
                        "userPresentableMessage": f"Entity Issue with id {wanted} already exists."}
    assert {k: v for k, v in err.items() if k != "locations"} == E.conflict_on_insert_error(
        "Issue", wanted, ["issueCreate"])
    assert d.data("query($id: String!) { issue(id: $id) { title } }", {"id": wanted})["issue"][
        "title"] == "a"


@pytest.mark.parametrize(
    ("mutation", "type_name"),
    [
        ('teamCreate(input: {name: "T", id: $id}) { success }', "Team"),
        ('projectCreate(input: {name: "P", teamIds: ["ENG"], id: $id}) { success }', "Project"),
        ('documentCreate(input: {title: "D", id: $id}) { success }', "Document"),
        ('issueLabelCreate(input: {name: "L", id: $id}) { success }', "IssueLabel"),
    ],
)
def test_f2_on_other_creates(d: Driver, mutation: str, type_name: str) -> None:
    wanted = str(uuid.uuid4())
    q = f"mutation($id: String) {{ {mutation} }}"
    d.data(q, {"id": wanted})
    err = d.error(q, {"id": wanted})
    assert err["message"] == f"conflict on insert of {type_name}"
    assert ext(err)["userPresentableMessage"] == f"Entity {type_name} with id {wanted} already exists."


def test_f2_comment_and_relation(d: Driver) -> None:
    a, b = d.create_issue("a"), d.create_issue("b")
    cid, rid = str(uuid.uuid4()), str(uuid.uuid4())
    cq = "mutation($id: String, $i: String) { commentCreate(input: {id: $id, issueId: $i, body: \"x\"}) { success } }"
    d.data(cq, {"id": cid, "i": a["id"]})
    assert d.error(cq, {"id": cid, "i": a["id"]})["message"] == "conflict on insert of Comment"
    rq = ("mutation($id: String, $a: String!, $b: String!) { issueRelationCreate(input: {id: $id,"
          " issueId: $a, relatedIssueId: $b, type: related}) { success } }")
    d.data(rq, {"id": rid, "a": a["id"], "b": b["id"]})
    assert d.error(rq, {"id": rid, "a": a["id"], "b": b["id"]})["message"] == (
        "conflict on insert of IssueRelation")


# ---------------------------------------------------------------- plan limits (F6)
def test_usage_limit_exceeded_shape(model: Model, clock: VirtualClock) -> None:
    d = Driver(model.create_workspace("Free", plan="free", default_team=True))
    q = 'mutation($n: String!, $k: String) { teamCreate(input: {name: $n, key: $k}) { success team { id } } }'
    second = d.data(q, {"n": "Ops", "k": "OPS"})["teamCreate"]["team"]["id"]
    err = d.error(q, {"n": "Third", "k": "THR"})
    assert ext(err)["code"] == "USAGE_LIMIT_EXCEEDED" and ext(err)["type"] == "usage limit exceeded"
    assert "2 teams" in ext(err)["userPresentableMessage"]
    d.data("mutation($id: String!) { teamDelete(id: $id) { success } }", {"id": second})
    assert ext(d.error(q, {"n": "Third", "k": "THR"}))["code"] == "USAGE_LIMIT_EXCEEDED"
    clock.advance(PURGE_AFTER + 1)
    assert d.data(q, {"n": "Third", "k": "THR"})["teamCreate"]["team"]["id"]


def test_issue_limit_through_api(model: Model) -> None:
    d = Driver(model.create_workspace("Free", plan="free", default_team=True))
    batch = "mutation($i: IssueBatchCreateInput!) { issueBatchCreate(input: $i) { success } }"
    for n in range(5):
        d.data(batch, {"i": {"issues": [{"teamId": d.team_id(), "title": f"{n}-{k}"}
                                        for k in range(50)]}})
    err = d.error('mutation($t: String!) { issueCreate(input: {teamId: $t, title: "x"}) { success } }',
                  {"t": d.team_id()})
    assert ext(err)["code"] == "USAGE_LIMIT_EXCEEDED"


# ---------------------------------------------------------------- visibility and tenancy
class HideNewest:
    """Hides issues titled 'hidden' for the given purposes."""

    def __init__(self, purposes: set[str]) -> None:
        self.purposes = purposes
        self.calls: list[str] = []

    def visible(self, entity: object, purpose: str) -> bool:
        self.calls.append(purpose)
        return not (getattr(entity, "title", None) == "hidden" and purpose in self.purposes)


def test_visibility_read_list_search(model: Model) -> None:
    ws = model.create_workspace("V", plan="unlimited", default_team=True)
    plain = Driver(ws)
    issue = plain.create_issue("hidden")
    for purposes in ({"read"}, {"list"}, {"search"}):
        d = Driver(ws, HideNewest(purposes))
        read = d.run("query($id: String!) { issue(id: $id) { id } }", {"id": issue["id"]})
        listed = d.data("{ issues { nodes { id } } }")["issues"]["nodes"]
        searched = d.data('{ searchIssues(term: "hidden") { nodes { id } totalCount } }')
        assert ("errors" in read.result) == ("read" in purposes)
        if "read" in purposes:
            assert read.result["errors"][0]["message"] == "Entity not found: Issue"
        assert (listed == []) == ("list" in purposes)
        assert (searched["searchIssues"]["nodes"] == []) == ("search" in purposes)


def test_tenancy_isolation_api(model: Model) -> None:
    a = Driver(model.create_workspace("A", plan="unlimited", default_team=True))
    b = Driver(model.create_workspace("B", plan="unlimited", default_team=True))
    issue = a.create_issue("secret in A")
    a_team = a.team_id()
    assert b.error("query($id: String!) { issue(id: $id) { id } }", {"id": issue["id"]})[
        "message"] == "Entity not found: Issue"
    assert b.data("{ issues { nodes { id } } }")["issues"]["nodes"] == []
    assert b.data('{ searchIssues(term: "secret") { totalCount } }')["searchIssues"]["totalCount"] == 0
    assert b.error("query($id: String!) { team(id: $id) { id } }", {"id": a_team})["message"] == (
        "Entity not found: Team")
    assert b.error("mutation($id: String!) { issueDelete(id: $id) { success } }", {"id": issue["id"]})
    assert b.error("mutation($t: String!) { issueCreate(input: {teamId: $t, title: \"x\"}) { success } }",
                   {"t": a_team})["message"] == "Entity not found: Team"
    teams_b = b.data("{ teams { nodes { id } } organization { id } viewer { id } }")
    assert a_team not in {t["id"] for t in teams_b["teams"]["nodes"]}
    assert teams_b["organization"]["id"] == b.ws.id != a.ws.id
    # Cursor from another workspace is unknown here.
    assert b.error("query($c: String) { issues(after: $c) { nodes { id } } }", {"c": issue["id"]})
    # A's data is untouched.
    assert a.data("query($id: String!) { issue(id: $id) { title } }", {"id": issue["id"]})


def test_resolver_crash_becomes_internal_error(d: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(d.ws, "get", boom)
    out = d.run('{ team(id: "ENG") { id } }')
    assert out.status == 500 and ext(out.result["errors"][0])["code"] == "INTERNAL_SERVER_ERROR"


# ---------------------------------------------------------------- error helpers
def test_error_helpers() -> None:
    auth = E.authentication_error_body()["errors"][0]
    assert ext(auth)["code"] == "AUTHENTICATION_ERROR" and ext(auth)["statusCode"] == 401
    assert ext(E.ratelimited_error())["code"] == "RATELIMITED"
    assert ext(E.malformed_json_error())["statusCode"] == 400
    assert ext(E.payload_too_large_error(10))["statusCode"] == 413
    assert "text/plain" in E.unsupported_content_type_error("text/plain")["message"]
    body = E.error_body(E.not_found_error("Issue"))
    assert body["data"] is None and E.dumps(body).startswith(b'{"errors"')
    custom = E.linear_error("m", "t", "C", 418, None, False, extra={"meta": {}})
    assert custom["extensions"] == {"type": "t", "code": "C", "statusCode": 418,
                                    "userError": False, "meta": {}}


def test_visibility_protocol() -> None:
    from fakelinear.api.visibility import ALWAYS_VISIBLE, Visibility

    assert isinstance(ALWAYS_VISIBLE, Visibility)
    assert isinstance(HideNewest(set()), Visibility)
    assert ALWAYS_VISIBLE.visible(object(), "search") is True
    assert repr(ALWAYS_VISIBLE) == "ALWAYS_VISIBLE"
