"""Relay pagination edge cases and filters."""

from __future__ import annotations

from typing import Any

import pytest

from fakelinear.api.connections import ListSource, paginate
from fakelinear.clock import VirtualClock
from fakelinear.model import Record
from fakelinear.rng import Rng
from tests.fakelinear.api_helpers import Driver, new_model

PAGE = ("query($f: Int, $a: String, $l: Int, $b: String, $o: PaginationOrderBy) {"
        " issues(first: $f, after: $a, last: $l, before: $b, orderBy: $o) {"
        " nodes { identifier } edges { cursor node { id } }"
        " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def d(clock: VirtualClock) -> Driver:
    drv = Driver(new_model(Rng(5), clock).create_workspace("P", plan="unlimited", default_team=True))
    for n in range(7):
        clock.advance(1)
        drv.create_issue(f"issue {n}")
    return drv


def page(d: Driver, **args: Any) -> dict[str, Any]:
    names = {"first": "f", "after": "a", "last": "l", "before": "b", "order_by": "o"}
    return d.data(PAGE, {names[k]: v for k, v in args.items()})["issues"]


def idents(conn: dict[str, Any]) -> list[int]:
    return [int(n["identifier"].split("-")[1]) for n in conn["nodes"]]


def test_default_page_and_shape(d: Driver) -> None:
    conn = page(d)
    assert idents(conn) == [1, 2, 3, 4, 5, 6, 7]
    assert [e["cursor"] for e in conn["edges"]] == [e["node"]["id"] for e in conn["edges"]]
    assert conn["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False,
                                "startCursor": conn["edges"][0]["cursor"],
                                "endCursor": conn["edges"][-1]["cursor"]}


def test_forward_pagination_visits_everything_once(d: Driver) -> None:
    seen: list[int] = []
    after = None
    while True:
        conn = page(d, first=3, after=after)
        seen += idents(conn)
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [1, 2, 3, 4, 5, 6, 7]


def test_backward_pagination(d: Driver) -> None:
    conn = page(d, last=2)
    assert idents(conn) == [6, 7] and conn["pageInfo"]["hasPreviousPage"] is True
    assert conn["pageInfo"]["hasNextPage"] is False
    prev = page(d, last=2, before=conn["pageInfo"]["startCursor"])
    assert idents(prev) == [4, 5]


def test_first_zero_and_empty(d: Driver) -> None:
    conn = page(d, first=0)
    assert conn["nodes"] == [] and conn["pageInfo"]["hasNextPage"] is True
    assert conn["pageInfo"]["startCursor"] is None and conn["pageInfo"]["endCursor"] is None
    end = page(d, after=page(d)["pageInfo"]["endCursor"])
    assert end["nodes"] == [] and end["pageInfo"]["hasPreviousPage"] is True


def test_after_and_before_window(d: Driver) -> None:
    all_ids = [e["cursor"] for e in page(d)["edges"]]
    conn = page(d, after=all_ids[1], before=all_ids[5])
    assert idents(conn) == [3, 4, 5]
    assert conn["pageInfo"]["hasNextPage"] and conn["pageInfo"]["hasPreviousPage"]


def test_cursor_of_deleted_entity_still_positions(d: Driver) -> None:
    first = page(d, first=3)
    cursor = first["pageInfo"]["endCursor"]
    d.data("mutation($id: String!) { issueDelete(id: $id) { success } }", {"id": cursor})
    assert idents(page(d, first=3, after=cursor)) == [4, 5, 6]


def test_new_issues_do_not_shift_pages(d: Driver, clock: VirtualClock) -> None:
    first = page(d, first=3)
    clock.advance(1)
    d.create_issue("late")
    assert idents(page(d, first=10, after=first["pageInfo"]["endCursor"])) == [4, 5, 6, 7, 8]


def test_order_by_updated_at(d: Driver, clock: VirtualClock) -> None:
    clock.advance(1)
    d.data('mutation { issueUpdate(id: "ENG-2", input: {title: "touched"}) { success } }')
    assert idents(page(d, order_by="updatedAt"))[-1] == 2
    assert idents(page(d, order_by="createdAt"))[1] == 2


def test_paginate_unit_defaults() -> None:
    items = [Record({"__typename": "Issue", "id": str(n), "createdAt": float(n),
                     "updatedAt": float(n), "_seq": n}) for n in range(60)]
    page_, info = paginate(ListSource(items, None), {}, lambda _r: True, lambda _i: None)
    assert len(page_) == 50 and info["hasNextPage"] and not info["hasPreviousPage"]


# ---------------------------------------------------------------- filters
FILTER = "query($f: IssueFilter) { issues(filter: $f) { nodes { identifier } } }"


def fids(d: Driver, flt: dict[str, Any]) -> list[int]:
    nodes = d.data(FILTER, {"f": flt})["issues"]["nodes"]
    return [int(n["identifier"].split("-")[1]) for n in nodes]


@pytest.fixture
def f(clock: VirtualClock) -> Driver:
    drv = Driver(new_model(Rng(6), clock).create_workspace("F", plan="unlimited", default_team=True))
    ops = drv.data('mutation { teamCreate(input: {name: "Ops", key: "OPS"}) { team { id } } }')
    label = drv.data('mutation { issueLabelCreate(input: {name: "Bug"}) { issueLabel { id } } }')
    lid = label["issueLabelCreate"]["issueLabel"]["id"]
    clock.advance(10)
    drv.create_issue("Login fails", description="on Safari", priority=1, labelIds=[lid])
    clock.advance(10)
    drv.create_issue("login slow", priority=3)
    clock.advance(10)
    drv.create_issue("Export CSV", teamId=ops["teamCreate"]["team"]["id"])
    drv.create_issue("Child", parentId="ENG-1", assigneeId=drv.ws.viewer_id)
    return drv


def test_filter_id_title_description(f: Driver) -> None:
    one = f.ws.issue("ENG-1").id
    assert fids(f, {"id": {"eq": one}}) == [1]
    assert fids(f, {"id": {"neq": one}}) == [2, 1, 3]
    assert fids(f, {"id": {"in": [one, "x"]}}) == [1]
    assert fids(f, {"title": {"eq": "login slow"}}) == [2]
    assert fids(f, {"title": {"contains": "login"}}) == [2]
    assert fids(f, {"title": {"containsIgnoreCase": "LOGIN"}}) == [1, 2]
    assert fids(f, {"title": {"startsWith": "Login"}}) == [1]
    assert fids(f, {"title": {"startsWithIgnoreCase": "login"}}) == [1, 2]
    assert fids(f, {"title": {"endsWith": "CSV"}}) == [1]  # OPS-1
    assert fids(f, {"title": {"eqIgnoreCase": "LOGIN SLOW"}}) == [2]
    assert fids(f, {"title": {"notContainsIgnoreCase": "login"}}) == [1, 3]
    assert fids(f, {"title": {"nin": ["Child", "Export CSV"]}}) == [1, 2]
    assert fids(f, {"description": {"contains": "Safari"}}) == [1]
    assert fids(f, {"description": {"null": True}}) == [2, 1, 3]


def test_filter_team_number_priority(f: Driver) -> None:
    assert fids(f, {"team": {"key": {"eq": "OPS"}}}) == [1]
    assert fids(f, {"team": {"id": {"eq": f.ws.team("ENG").id}}}) == [1, 2, 3]
    assert fids(f, {"number": {"gte": 2}, "team": {"key": {"eq": "ENG"}}}) == [2, 3]
    assert fids(f, {"priority": {"lte": 1, "gt": 0}}) == [1]


def test_filter_relations_and_null(f: Driver) -> None:
    assert fids(f, {"parent": {"null": False}}) == [3]
    assert fids(f, {"parent": {"id": {"eq": f.ws.issue("ENG-1").id}}}) == [3]
    assert fids(f, {"assignee": {"isMe": {"eq": True}}}) == [3]
    assert fids(f, {"assignee": {"null": True}, "team": {"key": {"eq": "ENG"}}}) == [1, 2]
    assert fids(f, {"project": {"null": True}}) == [1, 2, 1, 3]
    assert fids(f, {"labels": {"some": {"name": {"eq": "Bug"}}}}) == [1]
    assert fids(f, {"labels": {"null": True}, "team": {"key": {"eq": "ENG"}}}) == [2, 3]
    assert fids(f, {"state": {"type": {"eq": "backlog"}}}) == [1, 2, 1, 3]


def test_filter_and_or(f: Driver) -> None:
    assert fids(f, {"or": [{"title": {"eq": "Child"}}, {"priority": {"eq": 3}}]}) == [2, 3]
    assert fids(f, {"and": [{"title": {"containsIgnoreCase": "login"}},
                            {"priority": {"eq": 3}}]}) == [2]


def test_filter_dates(f: Driver, clock: VirtualClock) -> None:
    from fakelinear.clock import DEFAULT_EPOCH, iso

    cut = iso(DEFAULT_EPOCH + 15)
    assert fids(f, {"createdAt": {"lt": cut}}) == [1]
    assert fids(f, {"createdAt": {"gte": cut}}) == [2, 1, 3]
    err = f.error(FILTER, {"f": {"createdAt": {"lt": "yesterday-ish"}}})
    assert err["extensions"]["code"] == "INPUT_ERROR"


def test_other_filters(f: Driver) -> None:
    teams = f.data('query { teams(filter: {key: {eq: "OPS"}}) { nodes { name } } }')
    assert teams["teams"]["nodes"] == [{"name": "Ops"}]
    users = f.data("query { users(filter: {isMe: {eq: true}}) { nodes { id } } }")
    assert users["users"]["nodes"] == [{"id": f.ws.viewer_id}]
    labels = f.data('query { issueLabels(filter: {name: {eqIgnoreCase: "bug"}}) { nodes { name } } }')
    assert labels["issueLabels"]["nodes"] == [{"name": "Bug"}]
    states = f.data('query { workflowStates(filter: {team: {key: {eq: "OPS"}}, type: {eq: "started"}})'
                    " { nodes { name } } }")
    assert states["workflowStates"]["nodes"] == [{"name": "In Progress"}]
    f.data('mutation { projectCreate(input: {name: "Alpha", teamIds: ["ENG"]}) { success } }')
    projects = f.data('query { projects(filter: {name: {startsWith: "Al"}}) { nodes { name } } }')
    assert projects["projects"]["nodes"] == [{"name": "Alpha"}]
    f.data('mutation { documentCreate(input: {title: "Runbook"}) { success } }')
    docs = f.data('query { documents(filter: {title: {contains: "Run"}}) { nodes { title } } }')
    assert docs["documents"]["nodes"] == [{"title": "Runbook"}]


def test_search_pagination(f: Driver) -> None:
    first = f.data('{ searchIssues(term: "login", first: 1) { nodes { identifier } totalCount'
                   " pageInfo { hasNextPage endCursor } } }")["searchIssues"]
    assert first["totalCount"] == 2.0 and first["pageInfo"]["hasNextPage"]
    rest = f.data("query($a: String) { searchIssues(term: \"login\", first: 1, after: $a) {"
                  " nodes { identifier } pageInfo { hasNextPage } } }",
                  {"a": first["pageInfo"]["endCursor"]})["searchIssues"]
    assert rest["nodes"] == [{"identifier": "ENG-2"}] and not rest["pageInfo"]["hasNextPage"]


def test_search_total_count_beyond_one_page(clock: VirtualClock) -> None:
    drv = Driver(new_model(Rng(7), clock).create_workspace("S", plan="unlimited", default_team=True))
    team = drv.team_id()
    for n in range(6):
        drv.ws.create_many("Issue", [{"teamId": team, "title": f"needle {n}-{k}"} for k in range(50)])
    res = drv.data('{ searchIssues(term: "needle", first: 10) { totalCount nodes { id } } }')
    assert res["searchIssues"]["totalCount"] == 300.0 and len(res["searchIssues"]["nodes"]) == 10


def test_filter_relative_durations(f: Driver, clock: VirtualClock) -> None:
    clock.advance(3600)
    assert fids(f, {"createdAt": {"gt": "-PT2H"}}) == [1, 2, 1, 3]
    assert fids(f, {"createdAt": {"gt": "-PT3615S"}}) == [2, 1, 3]
    assert fids(f, {"createdAt": {"lt": "-P1D"}}) == []
    assert fids(f, {"updatedAt": {"lte": "P1W"}}) == [1, 2, 1, 3]
