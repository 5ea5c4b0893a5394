"""Every fault row of DESIGN.md §4 on the wire, in both transports (``linear_http`` runs each
test in-process through respx and on loopback through a real server).

Each test checks what the client sees (status, body, headers, or the exception) and the
server-side truth (journal decision, committed or not, the model's state).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from promoter.linear import errors as lerr
from promoter.linear.client import LinearClient

TEAM = "mutation T($input: TeamCreateInput!) { teamCreate(input: $input) { success team { id key name } } }"
CREATE = "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier title } } }"
READ = "query R($id: String!) { issue(id: $id) { id title } }"
SEARCH = "query S($term: String!) { searchIssues(term: $term) { nodes { id title } } }"
LIST = "query L { issues(first: 250) { nodes { id title } } }"
RL_HEADERS = ("x-ratelimit-requests-limit", "x-ratelimit-requests-remaining", "x-ratelimit-requests-reset")


def team_id(lh: Any, name: str = "Eng") -> str:
    return lh.data(TEAM, {"input": {"name": name}})["teamCreate"]["team"]["id"]


def issue_input(team: str, title: str, id: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"teamId": team, "title": title}
    if id is not None:
        data["id"] = id
    return {"input": data}


def issue_titles(lh: Any) -> list[str]:
    """Server-side truth: every issue title in the first workspace (no lag, no faults)."""
    ws = lh.fake.workspace_for(lh.token)
    return sorted(i.title for i in ws.store["Issue"].values())


def client(lh: Any, **kw: Any) -> LinearClient:
    return LinearClient(lh.token, url=lh.graphql_url, **kw)


# -- F1 ------------------------------------------------------------------------------------
def test_f1_phantom_conflict(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.phantom_conflicts(on="issueCreate", times=1)
    r = lh.post(CREATE, issue_input(team, "first"))
    assert r.status_code == 200
    body = r.json()
    assert body["data"] is None
    (err,) = body["errors"]
    assert err["message"] == "conflict on insert of Issue"
    ext = err["extensions"]
    assert (ext["type"], ext["code"], ext["statusCode"]) == ("invalid input", "INPUT_ERROR", 400)
    ghost = ext["userPresentableMessage"].removeprefix("Entity Issue with id ").removesuffix(" already exists.")
    assert uuid.UUID(ghost).version == 4
    # the uuid does not exist
    gone = lh.post(READ, {"id": ghost}).json()
    assert gone["errors"][0]["message"] == "Entity not found: Issue"
    assert issue_titles(lh) == []
    (entry,) = lh.fake.journal.entries(operation="issueCreate")
    assert (entry.decision, entry.committed) == ("phantom_conflict", False)
    # the client names it
    lh.fake.faults.phantom_conflicts(on="issueCreate", times=1)
    with pytest.raises(lerr.ConflictOnInsertError) as info:
        client(lh).issue_create(team, "second")
    assert info.value.entity_type == "Issue"


def test_f2_real_duplicate_id(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    fixed = str(uuid.UUID(int=42, version=4))
    lh.data(CREATE, issue_input(team, "one", fixed))
    body = lh.post(CREATE, issue_input(team, "two", fixed)).json()
    assert body["errors"][0]["message"] == "conflict on insert of Issue"
    assert fixed in body["errors"][0]["extensions"]["userPresentableMessage"]
    assert lh.data(READ, {"id": fixed})["issue"]["title"] == "one", "this entity does exist"
    last = lh.fake.journal.entries(operation="issueCreate")[-1]
    assert (last.decision, last.committed) == ("passed", False)


# -- F3 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [502, 503, 504])
def test_f3_gateway_before_the_model(linear_http: Any, status: int) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.gateway_error(status, times=1)
    r = lh.post(CREATE, issue_input(team, "x"))
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.lstrip().startswith("<html>") and str(status) in r.text
    assert all(h in r.headers for h in RL_HEADERS)
    assert issue_titles(lh) == []
    (entry,) = lh.fake.journal.entries(decision="gateway_before")
    assert not entry.committed and entry.status == status
    lh.fake.faults.gateway_error(status, times=1)
    with pytest.raises(lerr.GatewayError) as info:
        client(lh).issue_create(team, "y")
    assert info.value.status == status and info.value.html


def test_f3_commit_then_fail(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
    r = lh.post(CREATE, issue_input(team, "committed anyway"))
    assert r.status_code == 502 and "<title>502 Bad Gateway</title>" in r.text
    assert issue_titles(lh) == ["committed anyway"], "the write was applied"
    (entry,) = lh.fake.journal.entries(decision="gateway_after_commit")
    assert entry.committed and entry.status == 502


# -- F4 ------------------------------------------------------------------------------------
def test_f4_read_and_search_lag(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.advance(3600)  # the team is old news
    lh.fake.faults.read_lag(seconds=5).search_lag(seconds=30)
    created = lh.data(CREATE, issue_input(team, "laggy needle"))["issueCreate"]["issue"]
    assert created["title"] == "laggy needle", "the create's own payload is not lagged"
    assert lh.post(READ, {"id": created["id"]}).json()["errors"][0]["message"] == "Entity not found: Issue"
    assert lh.data(LIST)["issues"]["nodes"] == []
    lh.fake.advance(5)
    assert lh.data(READ, {"id": created["id"]})["issue"]["id"] == created["id"]
    assert [n["id"] for n in lh.data(LIST)["issues"]["nodes"]] == [created["id"]]
    assert lh.data(SEARCH, {"term": "needle"})["searchIssues"]["nodes"] == []
    lh.fake.advance(25)
    assert [n["id"] for n in lh.data(SEARCH, {"term": "needle"})["searchIssues"]["nodes"]] == [created["id"]]


@pytest.mark.fake_linear(plan="unlimited")
def test_f4_search_lags_longer_for_issues_in_new_teams(linear_http: Any) -> None:
    lh = linear_http
    old_team = team_id(lh, "Old")
    lh.fake.advance(3600)
    new_team = team_id(lh, "New")
    lh.fake.faults.search_lag(seconds=30, new_team_window=600, new_team_extra=60)
    old = lh.data(CREATE, issue_input(old_team, "needle old"))["issueCreate"]["issue"]["id"]
    new = lh.data(CREATE, issue_input(new_team, "needle new"))["issueCreate"]["issue"]["id"]

    def found() -> set[str]:
        return {n["id"] for n in lh.data(SEARCH, {"term": "needle"})["searchIssues"]["nodes"]}

    assert found() == set()
    lh.fake.advance(30)
    assert found() == {old}
    lh.fake.advance(60)
    assert found() == {old, new}


def test_f4_read_lag_counted_in_reads(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.read_lag(reads=2)
    issue_id = lh.data(CREATE, issue_input(team, "counted"))["issueCreate"]["issue"]["id"]
    seen = ["errors" not in lh.post(READ, {"id": issue_id}).json() for _ in range(3)]
    assert seen == [False, False, True]


# -- F5 ------------------------------------------------------------------------------------
def test_f5_rate_limit(linear_http: Any) -> None:
    lh = linear_http
    lh.fake.faults.rate_limit(per_hour=2)
    first = lh.post(LIST)
    assert first.status_code == 200
    assert [first.headers[h] for h in RL_HEADERS[:2]] == ["2", "1"]
    assert lh.post(LIST).status_code == 200
    r = lh.post(LIST)
    assert r.status_code == 400
    ext = r.json()["errors"][0]["extensions"]
    assert (ext["type"], ext["code"]) == ("ratelimited", "RATELIMITED")
    assert r.headers["x-ratelimit-requests-remaining"] == "0"
    reset_ms = int(r.headers["x-ratelimit-requests-reset"])
    assert reset_ms == int((lh.fake.clock.now() + 3600) * 1000)
    with pytest.raises(lerr.RateLimitedError) as info:
        client(lh).issues()
    assert (info.value.limit, info.value.remaining) == (2, 0)
    assert info.value.reset_at == reset_ms / 1000
    lh.fake.advance(1800)  # one request leaks out every 30 minutes
    assert lh.post(LIST).status_code == 200
    assert len(lh.fake.journal.entries(decision="rate_limited")) == 2


# -- F6 (the model enforces; the profile chooses the free plan) --------------------------------
@pytest.mark.fake_linear(plan="free")
def test_f6_free_plan_team_limit_and_zombies(linear_http: Any) -> None:
    lh = linear_http
    made = []
    for i in range(3):  # a new workspace may come with a team: fill up to the limit of 2
        body = lh.post(TEAM, {"input": {"name": f"Team {i}"}}).json()
        if body.get("errors"):
            assert body["errors"][0]["extensions"]["code"] == "USAGE_LIMIT_EXCEEDED"
            break
        made.append(body["data"]["teamCreate"]["team"]["id"])
    else:
        pytest.fail("the free plan allowed a third team")
    lh.data("mutation D($id: String!) { teamDelete(id: $id) { success } }", {"id": made[-1]})
    body = lh.post(TEAM, {"input": {"name": "Zombie"}}).json()
    assert body["errors"][0]["extensions"]["code"] == "USAGE_LIMIT_EXCEEDED", "a deleted team still counts"
    assert not lh.fake.journal.entries(operation="teamCreate")[-1].committed
    lh.fake.advance(31 * 24 * 3600)
    assert lh.data(TEAM, {"input": {"name": "Zombie"}})["teamCreate"]["success"]


# -- F7 ------------------------------------------------------------------------------------
def test_f7_connection_reset(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.transport_fault("connection_reset", times=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        lh.post(CREATE, issue_input(team, "reset"))
    assert issue_titles(lh) == []
    (entry,) = lh.fake.journal.entries(decision="transport:connection_reset")
    assert not entry.committed


def test_f7_read_timeout(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.transport_fault("read_timeout", times=1)
    with pytest.raises(httpx.ReadTimeout):
        lh.post(CREATE, issue_input(team, "slow"), timeout=0.3)
    assert issue_titles(lh) == []
    assert not lh.fake.journal.entries(decision="transport:read_timeout")[0].committed


def test_f7_truncated_body_after_the_write(linear_http: Any) -> None:
    lh = linear_http
    team = team_id(lh)
    lh.fake.faults.transport_fault("truncated_body", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        lh.post(CREATE, issue_input(team, "cut"))
    assert issue_titles(lh) == ["cut"]
    assert lh.fake.journal.entries(decision="transport:truncated_body")[0].committed
    lh.fake.faults.transport_fault("truncated_body", times=1)
    with pytest.raises(lerr.TransportError):
        client(lh).issues()


# -- control API ---------------------------------------------------------------------------
@pytest.mark.fake_linear(plan="unlimited")
def test_control_api_adds_a_rule_and_shows_the_plan(linear_http: Any) -> None:
    lh = linear_http
    r = lh.control("POST", "/_fake/faults", json={"phantom_conflict": {"on": "teamCreate", "first": 3}})
    assert r.status_code == 200
    shown = lh.control("GET", "/_fake/faults").json()["plan"]
    assert shown["phantom_conflict"][-1]["first"] == 3
    assert shown["phantom_conflict"][-1]["on"] == ["teamCreate"]
    outcomes = ["errors" in lh.post(TEAM, {"input": {"name": f"T{i}"}}).json() for i in range(5)]
    assert outcomes == [True, True, True, False, False]
    journal = lh.control("GET", "/_fake/journal").json()["entries"]
    assert [e["decision"] for e in journal][-5:] == ["phantom_conflict"] * 3 + ["passed"] * 2
    bad = lh.control("POST", "/_fake/faults", json={"phantom_conflict": {"probabilty": 1}})
    assert bad.status_code == 400 and "probabilty" in bad.text


# -- the reported lineark experience ---------------------------------------------------------
@pytest.mark.fake_linear(profile="linear-observed", seed=7, workspaces=2)
def test_lineark_reproduction(linear_http: Any) -> None:
    """A naive create retrying the identical body stays stuck; one that changes the name
    between attempts gets through."""
    lh = linear_http
    naive_key, careful_key = lh.fake.tokens
    naive = [lh.post(TEAM, {"input": {"name": "Platform"}}, token=naive_key).json() for _ in range(10)]
    assert all(b.get("errors", [{}])[0].get("message") == "conflict on insert of Team" for b in naive)
    careful = []
    for attempt in range(10):
        body = lh.post(TEAM, {"input": {"name": f"Platform {attempt}"}}, token=careful_key).json()
        careful.append("errors" not in body)
        if careful[-1]:
            break
    assert careful[:3] == [False, False, False] and careful[-1], careful
    entries = lh.fake.journal.entries(operation="teamCreate")
    assert sum(e.committed for e in entries) == 1


# -- determinism across transports -------------------------------------------------------------
def _storm_session(lh: Any) -> list[dict[str, Any]]:
    """A fixed request sequence under ``storm``; every outcome (even an exception) is fine."""
    team = None
    for i in range(40):
        try:
            if team is None or i % 7 == 0:
                r = lh.post(TEAM, {"input": {"name": f"Storm {i}"}}, timeout=0.3)
                found = (r.json().get("data") or {}).get("teamCreate") if r.status_code == 200 else None
                team = found["team"]["id"] if found else team
            elif i % 3 == 0:
                lh.post(LIST, timeout=0.3)
            else:
                lh.post(CREATE, issue_input(team, f"storm issue {i % 5}"), timeout=0.3)
        except httpx.HTTPError:
            pass
        lh.fake.advance(2)
    return [{k: v for k, v in e.to_dict().items() if k != "time"} for e in lh.fake.journal.entries()]


def test_same_seed_same_faults_in_process_and_on_loopback(linear_http_factory: Any) -> None:
    inproc = _storm_session(linear_http_factory("inprocess", seed=11, profile="storm", plan="unlimited"))
    loop = _storm_session(linear_http_factory("loopback", seed=11, profile="storm", plan="unlimited"))
    assert inproc == loop
    decisions = {e["decision"] for e in inproc}
    assert "phantom_conflict" in decisions and len(decisions) >= 3, decisions
