"""The /_fake/ control API, in-process and on loopback (same module, both transports)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakelinear.handler import FakeLinear
from fakelinear.http import Request
from tests.fakelinear.transport_fixtures import LinearHTTP, open_linear_http

TEAM_CREATE = "mutation T($i: TeamCreateInput!) { teamCreate(input: $i) { success team { id key } } }"


def test_workspaces_list_masks_tokens(linear_http: LinearHTTP) -> None:
    r = linear_http.control("GET", "/_fake/workspaces")
    assert r.status_code == 200
    rows = r.json()["workspaces"]
    assert [w["index"] for w in rows] == [0, 1]
    for row, token in zip(rows, linear_http.fake.tokens, strict=True):
        assert row["token_masked"] == "…" + token[-6:]
        assert token not in r.text


def test_workspace_create_returns_its_token(linear_http: LinearHTTP) -> None:
    r = linear_http.control("POST", "/_fake/workspaces", json={"name": "Gamma", "plan": "unlimited"})
    assert r.status_code == 201
    made = r.json()
    assert made["name"] == "Gamma" and made["index"] == 2
    assert made["token"] == linear_http.fake.tokens[2]
    viewer = linear_http.data("{ organization { id name } }", token=made["token"])
    assert viewer["organization"]["name"] == "Gamma"
    bad = linear_http.control("POST", "/_fake/workspaces", json={"plan": "enterprise"})
    assert bad.status_code == 400
    bad = linear_http.control("POST", "/_fake/workspaces", content=b"[1]")
    assert bad.status_code == 400


def test_state_and_reset(linear_http: LinearHTTP) -> None:
    linear_http.data(TEAM_CREATE, {"i": {"name": "Ctl", "key": "CTL"}})
    state = linear_http.control("GET", "/_fake/state").json()
    assert "CTL" in str(state)
    r = linear_http.control("POST", "/_fake/reset")
    assert r.status_code == 200 and len(r.json()["workspaces"]) == 2
    assert "CTL" not in str(linear_http.control("GET", "/_fake/state").json())
    assert linear_http.post("{ viewer { id } }").status_code == 200  # same keys after reset
    assert linear_http.control("GET", "/_fake/reset").status_code == 405


def test_journal_with_filters(linear_http: LinearHTTP) -> None:
    linear_http.data(TEAM_CREATE, {"i": {"name": "J", "key": "JJJ"}})
    linear_http.data("{ viewer { id } }")
    linear_http.post("{ nope }")
    everything = linear_http.control("GET", "/_fake/journal").json()["entries"]
    assert len(everything) == 3
    assert everything[0]["operation_name"] == "T" and everything[0]["committed"] is True
    assert linear_http.fake.tokens[0] not in str(everything)
    assert everything[0]["key_masked"] == "…" + linear_http.fake.tokens[0][-6:]
    only = linear_http.control("GET", "/_fake/journal", params={"operation": "teamCreate"}).json()["entries"]
    assert [e["root_fields"] for e in only] == [["teamCreate"]]
    committed = linear_http.control("GET", "/_fake/journal", params={"committed": "true"}).json()["entries"]
    assert len(committed) == 1
    bad = linear_http.control("GET", "/_fake/journal", params={"status": "400"}).json()["entries"]
    assert len(bad) == 1
    last = linear_http.control("GET", "/_fake/journal", params={"limit": "1"}).json()["entries"]
    assert len(last) == 1 and last[0]["status"] == 400
    assert linear_http.control("GET", "/_fake/journal", params={"bogus": "1"}).status_code == 400
    assert linear_http.control("GET", "/_fake/journal", params={"limit": "x"}).status_code == 400


def test_faults_get_and_post(linear_http: LinearHTTP) -> None:
    plan = linear_http.control("GET", "/_fake/faults").json()["plan"]
    assert plan["name"] == "calm" and plan["phantom_conflict"] == []
    r = linear_http.control("POST", "/_fake/faults", json={"phantom_conflict": {"on": "teamCreate", "first": 1}})
    assert r.status_code == 200
    assert r.json()["plan"]["phantom_conflict"][0]["first"] == 1
    conflicted = linear_http.post(TEAM_CREATE, {"i": {"name": "Blocked", "key": "BLK"}}).json()
    assert conflicted["errors"][0]["message"] == "conflict on insert of Team"
    bad = linear_http.control("POST", "/_fake/faults", json={"phantom_conflicts": {}})
    assert bad.status_code == 400 and "phantom_conflicts" in bad.json()["error"]
    storm = linear_http.control("POST", "/_fake/faults", json={"profile": "storm"})
    assert storm.json()["plan"]["name"] == "storm"
    calm = linear_http.control("POST", "/_fake/faults", json={"replace": True, "plan": {"name": "quiet"}})
    assert calm.json()["plan"]["name"] == "quiet"


def test_clock(linear_http: LinearHTTP) -> None:
    before = linear_http.control("GET", "/_fake/clock").json()
    assert before["virtual"] is True and before["iso"].endswith("Z")
    after = linear_http.control("POST", "/_fake/clock/advance", json={"seconds": 3600}).json()
    assert after["now"] == before["now"] + 3600
    assert linear_http.fake.clock.now() == after["now"]
    for bad in ({"seconds": -1}, {"seconds": "x"}, {"seconds": True}, {}):
        assert linear_http.control("POST", "/_fake/clock/advance", json=bad).status_code == 400


def test_unknown_control_route(linear_http: LinearHTTP) -> None:
    assert linear_http.control("GET", "/_fake/nope").status_code == 404


@pytest.mark.parametrize("mode", ["inprocess", "loopback"])
def test_control_key_required_when_configured(mode: str) -> None:
    fake = FakeLinear(control_key="s3cret-control")
    with open_linear_http(mode, fake) as lh:
        assert lh.control("GET", "/_fake/state").status_code == 401
        assert lh.control("POST", "/_fake/reset", headers={"X-Fake-Control-Key": "wrong"}).status_code == 401
        ok = lh.control("GET", "/_fake/state", headers={"X-Fake-Control-Key": "s3cret-control"})
        assert ok.status_code == 200
        # The GraphQL endpoint does not need (or accept as auth) the control key.
        assert lh.post("{ viewer { id } }").status_code == 200
        assert lh.post("{ viewer { id } }", token="s3cret-control").status_code == 401


def test_python_handles_match_the_control_api() -> None:
    fake = FakeLinear(workspaces=1)
    ws, token = fake.add_workspace(name="Py")
    assert fake.workspaces()[1]["id"] == ws.id and fake.tokens[1] == token
    fake.add_plan({"gateway": {"status": 503, "times": 1}})
    assert fake.plan.gateway[0].status == 503
    fake.faults.clear()
    assert fake.plan.gateway == []
    fake.set_plan("linear-observed")
    assert fake.plan.name == "linear-observed" and fake.configured_plan.name == "linear-observed"
    fake.reset()
    assert fake.plan.name == "linear-observed"


def test_journal_stays_readable_after_a_deeply_nested_request() -> None:
    """A hostile request nested beyond the recursion limit is refused and journaled; the
    journal endpoint must still answer (it used to deep-copy the variables and fail)."""
    import json as _json

    from fakelinear.handler import FakeLinear
    from fakelinear.http import Request

    fake = FakeLinear(seed=3)
    body = '{"query": "query Q($v: [Int]) { viewer { id } }", "variables": {"v": ' + "[" * 600 + "1" + "]" * 600 + "}}"
    headers = {"authorization": fake.tokens[0], "content-type": "application/json"}
    refused = fake.handle(Request("POST", "/graphql", headers, body.encode()))
    assert refused.status >= 400
    journal = fake.handle(Request("GET", "/_fake/journal", {}, b""))
    assert journal.status == 200, journal.body[:200]
    assert isinstance(_json.loads(journal.body), (list, dict))


# ---------------------------------------------------------------- bodies are validated (issue 12, break 1)

BAD_ADVANCES = [
    (b'{"seconds": NaN}', "NaN is not a JSON number"),
    (b'{"seconds": Infinity}', "Infinity is not a JSON number"),
    (b'{"seconds": -Infinity}', "-Infinity is not a JSON number"),
    (b'{"seconds": 1e308}', "seconds must be a finite number from 0 to"),
    (b'{"seconds": 3e11}', "seconds must be a finite number from 0 to"),
    (b'{"seconds": -1}', "seconds must be a finite number from 0 to"),
    (b'{"seconds": "60"}', "seconds must be a number"),
    (b'{"seconds": true}', "seconds must be a number"),
    (b'{"seconds": 5, "minutes": 1}', "unknown field 'minutes' (allowed: seconds)"),
    (b"{}", "seconds is required"),
    (b"[5]", "must be a JSON object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_ADVANCES, ids=[b.decode() for b, _ in BAD_ADVANCES])
def test_clock_advance_refuses_what_would_break_the_clock(body: bytes, message: str) -> None:
    fake = FakeLinear(seed=1)
    before = fake.clock.now()
    r = fake.handle(Request("POST", "/_fake/clock/advance", {"content-type": "application/json"}, body))
    assert r.status == 400, r.body
    assert message in json.loads(r.body)["error"]
    assert fake.clock.now() == before
    ok = fake.handle(Request("POST", "/graphql", {"authorization": fake.tokens[0], "content-type": "application/json"},
                             b'{"query": "{ viewer { id createdAt } }"}'))
    assert ok.status == 200, ok.body


def test_a_clock_past_9999_is_refused_even_in_small_steps() -> None:
    fake = FakeLinear(seed=1)
    step = {"seconds": 100 * 365.25 * 86400}
    codes = [fake.handle(Request("POST", "/_fake/clock/advance", {}, json.dumps(step).encode())).status for _ in range(80)]
    assert 400 in codes and codes.index(400) > 70  # ~79 centuries fit between 2026 and 9999
    assert fake.clock.now() <= 253402300799.0
    assert fake.handle(Request("GET", "/_fake/clock", {}, b"")).status == 200


def test_a_hostile_advance_never_reaches_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    fake = FakeLinear(seed=1, state_file=path)
    for body, _ in BAD_ADVANCES:
        fake.handle(Request("POST", "/_fake/clock/advance", {}, body))
    saved = json.loads(path.read_text())  # strict JSON: no Infinity/NaN inside
    assert saved["clock"] == fake.clock.now()
    fake.close()
    with FakeLinear(state_file=path) as again:  # and it restarts fine
        assert again.clock.now() == fake.clock.now()


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/_fake/workspaces", {"name": "X", "tier": "gold"}, "unknown field 'tier'"),
        ("/_fake/workspaces", {"name": ""}, "name must be a non-empty string"),
        ("/_fake/workspaces", {"name": "x" * 300}, "at most 256 characters"),
        ("/_fake/workspaces", {"seed_content": "yes"}, "seed_content must be true or false"),
        ("/_fake/reset", {"hard": True}, "unknown field 'hard' (allowed: none)"),
        ("/_fake/faults", {"profile": "calm", "extra": 1}, "takes a profile name and nothing else"),
        ("/_fake/faults", {"profile": 7}, "takes a profile name"),
        ("/_fake/faults", {"replace": "yes"}, "takes those two fields only"),
        ("/_fake/faults", {"plan": {}, "junk": 1}, "invalid fault plan"),
    ],
)
def test_control_bodies_take_known_fields_only(path: str, body: dict, message: str) -> None:
    fake = FakeLinear(seed=1)
    before = (fake.tokens, fake.snapshot(), fake.plan.to_dict())
    r = fake.handle(Request("POST", path, {"content-type": "application/json"}, json.dumps(body).encode()))
    assert r.status == 400, r.body
    assert message in json.loads(r.body)["error"]
    assert (fake.tokens, fake.snapshot(), fake.plan.to_dict()) == before


# ---------------------------------------------------------------- health and the route table


def test_health_reports_version_schema_uptime_and_workspaces(linear_http: LinearHTTP) -> None:
    import fakelinear

    r = linear_http.control("GET", "/_fake/health")
    assert r.status_code == 200
    health = r.json()
    assert health["status"] == "ok" and health["version"] == fakelinear.__version__
    from fakelinear.api.schema_loader import sdk_version

    assert health["schema_version"] == f"@linear/sdk {sdk_version()}" and health["workspaces"] == 2
    assert isinstance(health["uptime_seconds"], float) and health["uptime_seconds"] >= 0
    assert linear_http.fake.tokens[0] not in r.text


def test_health_is_open_with_a_control_key_and_nothing_else_is() -> None:
    from fakelinear.control import URL_PATHS

    fake = FakeLinear(control_key="k" * 20)
    for path, methods in URL_PATHS.items():
        for method in methods:
            r = fake.handle(Request(method, path, {}, b""))
            expected = 200 if path == "/_fake/health" else 401
            assert r.status == expected, (method, path, r.body)


def test_every_route_in_the_table_answers() -> None:
    from fakelinear.control import URL_PATHS

    fake = FakeLinear(seed=1)
    bodies = {"/_fake/clock/advance": b'{"seconds": 1}', "/_fake/faults": b'{"profile": "calm"}'}
    for path, methods in URL_PATHS.items():
        for method in methods:
            r = fake.handle(Request(method, path, {}, bodies.get(path, b"") if method == "POST" else b""))
            assert r.status in (200, 201), (method, path, r.body)
            json.loads(r.body)
        wrong = "DELETE"
        assert fake.handle(Request(wrong, path, {}, b"")).status == 405


def test_health_names_a_custom_schema_by_file_and_hash(tmp_path: Path) -> None:
    import hashlib

    sdl = tmp_path / "prod.graphql"
    sdl.write_text("type Query { ping: String }\n")
    fake = FakeLinear(schema=sdl)
    digest = hashlib.sha256(sdl.read_bytes()).hexdigest()[:12]
    health = json.loads(fake.handle(Request("GET", "/_fake/health", {}, b"")).body)
    assert health["schema_version"] == f"custom prod.graphql (sha256 {digest})"
