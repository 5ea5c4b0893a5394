"""The handler core: routing, parsing, auth, tenancy, error paths, concurrency, durability.

Hostile-input cases run through both transports (``linear_http``); pure handler behaviour is
tested on ``FakeLinear.handle`` directly.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakelinear.clock import VirtualClock
from fakelinear.handler import FakeLinear, mask_token
from fakelinear.http import Request
from tests.fakelinear.transport_fixtures import LinearHTTP

VIEWER = "{ viewer { id } }"
TEAM_CREATE = "mutation($i: TeamCreateInput!) { teamCreate(input: $i) { success team { id key } } }"
ISSUE_CREATE = "mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success issue { id identifier } } }"


def post(fake: FakeLinear, body: bytes | dict[str, Any], *, token: str | None = "default", headers: dict[str, str] | None = None, path: str = "/graphql", method: str = "POST") -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"content-type": "application/json"}
    if token == "default":
        token = fake.tokens[0]
    if token is not None:
        h["authorization"] = token
    h.update(headers or {})
    response = fake.handle(Request(method, path, h, raw))
    return response.status, json.loads(response.body)


def code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


# ---------------------------------------------------------------- keys and construction


def test_tokens_are_seeded_linear_api_keys() -> None:
    a = FakeLinear(seed=1, workspaces=3)
    b = FakeLinear(seed=1, workspaces=3)
    c = FakeLinear(seed=2, workspaces=3)
    assert a.tokens == b.tokens != c.tokens
    assert len(set(a.tokens)) == 3
    for token in a.tokens:
        assert token.startswith("lin_api_") and len(token) == 48 and token[8:].isalnum()
    assert mask_token(a.tokens[0]) == "…" + a.tokens[0][-6:]


def test_defaults_and_handles() -> None:
    fake = FakeLinear()
    assert isinstance(fake.clock, VirtualClock)
    assert len(fake.tokens) == 1 and len(fake.model.workspaces()) == 1
    assert fake.fault_config is fake.engine.config and fake.plan is fake.fault_config.plan
    assert len(fake.journal) == 0
    before = fake.clock.now()
    assert fake.advance(90) == before + 90


def test_add_workspace_and_reset_keep_keys() -> None:
    fake = FakeLinear(seed=5, workspaces=1)
    ws, token = fake.add_workspace(name="Second")
    assert fake.tokens[1] == token and fake.workspace_for(token).id == ws.id
    assert post(fake, {"query": VIEWER}, token=token)[0] == 200
    first = fake.tokens[0]
    post(fake, {"query": TEAM_CREATE, "variables": {"i": {"name": "Gone", "key": "GON"}}})
    fake.reset()
    assert fake.tokens == [first]
    assert len(fake.journal) == 0
    assert post(fake, {"query": VIEWER}, token=token)[0] == 401
    teams = post(fake, {"query": "{ teams { nodes { key } } }"})[1]["data"]["teams"]["nodes"]
    assert "GON" not in {t["key"] for t in teams}


def test_snapshot_is_json() -> None:
    fake = FakeLinear(workspaces=2)
    snapshot = fake.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert len(snapshot["workspaces"]) == 2


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "header",
    [None, "", "lin_api_" + "x" * 40, "Bearer nope", "Basic abc", "lin_api_abc\r\nX-Evil: 1", "a" * 5000, "tok en"],
)
def test_missing_or_unknown_key_is_401_authentication_error(header: str | None) -> None:
    fake = FakeLinear()
    status, body = post(fake, {"query": VIEWER}, token=header)
    assert status == 401
    assert code(body) == "AUTHENTICATION_ERROR"
    assert body["errors"][0]["extensions"]["type"] == "authentication error"


def test_bearer_and_raw_key_both_work() -> None:
    fake = FakeLinear()
    assert post(fake, {"query": VIEWER}, token=fake.tokens[0])[0] == 200
    assert post(fake, {"query": VIEWER}, token="Bearer " + fake.tokens[0])[0] == 200
    assert post(fake, {"query": VIEWER}, token="bearer " + fake.tokens[0])[0] == 200


def test_401_body_never_echoes_the_key() -> None:
    fake = FakeLinear()
    bad = "lin_api_" + "Q" * 40
    response = fake.handle(Request("POST", "/graphql", {"authorization": bad, "content-type": "application/json"}, b'{"query":"{viewer{id}}"}'))
    assert b"QQQQQQ" not in response.body


# ---------------------------------------------------------------- hostile input, both transports


HOSTILE: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("not json", b"{nope", {}, 400, "BAD_REQUEST"),
    ("json not object", b"42", {}, 400, "BAD_REQUEST"),
    ("json string", b'"query"', {}, 400, "BAD_REQUEST"),
    ("no query", b'{"variables": {}}', {}, 400, "BAD_REQUEST"),
    ("query not string", b'{"query": 5}', {}, 400, "BAD_REQUEST"),
    ("batch array", b'[{"query": "{ viewer { id } }"}]', {}, 400, "BAD_REQUEST"),
    ("empty body", b"", {}, 400, "BAD_REQUEST"),
    ("non utf8", b'{"query": "\xff\xfe"}', {}, 400, "BAD_REQUEST"),
    ("wrong content type", b'{"query": "{ viewer { id } }"}', {"content-type": "text/plain"}, 400, "BAD_REQUEST"),
    ("form content type", b"query=x", {"content-type": "application/x-www-form-urlencoded"}, 400, "BAD_REQUEST"),
    ("variables not object", b'{"query": "{ viewer { id } }", "variables": [1]}', {}, 400, "BAD_USER_INPUT"),
    ("operationName not string", b'{"query": "{ viewer { id } }", "operationName": 3}', {}, 400, "BAD_USER_INPUT"),
    ("syntax error", b'{"query": "{ viewer { id "}', {}, 400, "GRAPHQL_PARSE_FAILED"),
    ("unknown field", b'{"query": "{ nope }"}', {}, 400, "GRAPHQL_VALIDATION_FAILED"),
    ("unknown operation name", b'{"query": "query A { viewer { id } }", "operationName": "B"}', {}, 400, "GRAPHQL_VALIDATION_FAILED"),
    ("deep nesting", b'{"query": "' + b"{" * 5000 + b'"}', {}, 400, "GRAPHQL_PARSE_FAILED"),
    ("deep json", b"[" * 100_000 + b"]" * 100_000, {}, 400, "BAD_REQUEST"),
]


@pytest.mark.parametrize(("name", "body", "headers", "status", "error_code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_gets_linear_shaped_errors(
    linear_http: LinearHTTP, name: str, body: bytes, headers: dict[str, str], status: int, error_code: str
) -> None:
    h = {"Authorization": linear_http.token, "Content-Type": "application/json", **headers}
    response = linear_http.raw(body, h)
    assert response.status_code == status, response.text
    payload = response.json()
    graphql_codes = {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}
    allowed = graphql_codes if error_code in graphql_codes else {error_code}
    assert code(payload) in allowed, payload
    assert "message" in payload["errors"][0]
    # And the fake keeps serving.
    assert linear_http.post(VIEWER).status_code == 200


def test_variables_of_the_wrong_type(linear_http: LinearHTTP) -> None:
    response = linear_http.post(ISSUE_CREATE, {"i": "not an object"})
    assert response.status_code == 400
    assert response.json()["errors"]
    assert linear_http.post(VIEWER).status_code == 200


def test_oversized_body_is_413(linear_http: LinearHTTP) -> None:
    big = b'{"query": "{ viewer { id } }", "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = linear_http.raw(big, {"Authorization": linear_http.token, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert code(response.json()) == "PAYLOAD_TOO_LARGE"
    assert linear_http.post(VIEWER).status_code == 200


def test_401_through_both_transports(linear_http: LinearHTTP) -> None:
    response = linear_http.post(VIEWER, token="lin_api_unknown")
    assert response.status_code == 401 and code(response.json()) == "AUTHENTICATION_ERROR"
    response = linear_http.client.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401


def test_get_and_unknown_paths(linear_http: LinearHTTP) -> None:
    got = linear_http.client.get("/graphql", headers={"Authorization": linear_http.token})
    assert got.status_code == 405 and got.json()["errors"]
    missing = linear_http.client.post("/nope", json={})
    assert missing.status_code == 404 and missing.json()["errors"]


def test_charset_and_vendor_json_content_types_are_accepted() -> None:
    fake = FakeLinear()
    for ct in ("application/json; charset=utf-8", "Application/JSON", "application/graphql-response+json"):
        assert post(fake, {"query": VIEWER}, headers={"content-type": ct})[0] == 200


def test_internal_errors_never_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLinear()

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(fake.api, "execute", boom)
    status, body = post(fake, {"query": VIEWER})
    assert status == 500 and code(body) == "INTERNAL_SERVER_ERROR"
    assert "kaboom" not in json.dumps(body)


def test_validation_failures_are_journaled() -> None:
    fake = FakeLinear()
    post(fake, {"query": "{ nope }"})
    entries = fake.journal.entries()
    assert len(entries) == 1 and entries[0].status == 400


# ---------------------------------------------------------------- tenancy


def test_one_key_never_sees_another_workspace(linear_http: LinearHTTP) -> None:
    a, b = linear_http.fake.tokens[:2]
    team_a = linear_http.data(TEAM_CREATE, {"i": {"name": "Alpha", "key": "ALP"}}, token=a)["teamCreate"]["team"]
    made = linear_http.data(ISSUE_CREATE, {"i": {"teamId": team_a["id"], "title": "secret"}}, token=a)["issueCreate"]["issue"]
    # B cannot read, list, search, update or delete A's things.
    for query, variables in (
        ("query($id: String!) { issue(id: $id) { id } }", {"id": made["id"]}),
        ("query($id: String!) { issue(id: $id) { id } }", {"id": made["identifier"]}),
        ("query($id: String!) { team(id: $id) { id } }", {"id": team_a["id"]}),
        ("mutation($id: String!) { issueDelete(id: $id) { success } }", {"id": made["id"]}),
        ("mutation($id: String!, $i: IssueUpdateInput!) { issueUpdate(id: $id, input: $i) { success } }", {"id": made["id"], "i": {"title": "pwned"}}),
        ("mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success } }", {"i": {"teamId": team_a["id"], "title": "x"}}),
    ):
        body = linear_http.post(query, variables, token=b).json()
        assert body.get("errors"), (query, body)
        assert "Entity not found" in body["errors"][0]["message"]
    listed = linear_http.data("{ issues(includeArchived: true) { nodes { id } } teams { nodes { id } } }", token=b)
    assert made["id"] not in {n["id"] for n in listed["issues"]["nodes"]}
    assert team_a["id"] not in {n["id"] for n in listed["teams"]["nodes"]}
    search = linear_http.data('{ searchIssues(term: "secret") { nodes { id } } }', token=b)
    assert search["searchIssues"]["nodes"] == []
    # A still has it, unchanged.
    mine = linear_http.data("query($id: String!) { issue(id: $id) { title } }", {"id": made["id"]}, token=a)
    assert mine["issue"]["title"] == "secret"


def test_a_client_supplied_id_of_another_workspace_is_not_leaked() -> None:
    fake = FakeLinear(workspaces=2)
    a, b = fake.tokens
    _, body = post(fake, {"query": "{ teams { nodes { id } } }"}, token=a)
    team_a = body["data"]["teams"]["nodes"][0]["id"]
    wanted = "0f0e0d0c-0b0a-4908-8706-050403020100"
    post(fake, {"query": ISSUE_CREATE, "variables": {"i": {"teamId": team_a, "title": "x", "id": wanted}}}, token=a)
    _, body = post(fake, {"query": "query($id: String!) { issue(id: $id) { id } }", "variables": {"id": wanted}}, token=b)
    assert body["errors"][0]["message"] == "Entity not found: Issue"


# ---------------------------------------------------------------- concurrency


def test_concurrent_writers_are_serialized() -> None:
    fake = FakeLinear(workspaces=1, plan="unlimited")
    _, body = post(fake, {"query": "{ teams { nodes { id } } }"})
    team_id = body["data"]["teams"]["nodes"][0]["id"]
    errors: list[Any] = []

    def writer(n: int) -> None:
        for i in range(25):
            status, out = post(fake, {"query": ISSUE_CREATE, "variables": {"i": {"teamId": team_id, "title": f"t{n}-{i}"}}})
            if status != 200 or out.get("errors"):
                errors.append(out)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ws = fake.model.workspaces()[0]
    issues = ws.all("Issue")
    assert len(issues) == 200
    numbers = sorted(i.number for i in issues)
    assert numbers == list(range(1, 201))
    committed = fake.journal.entries(committed=True)
    assert len(committed) == 200


def test_concurrent_async_clients_in_process() -> None:
    import asyncio

    from fakelinear.transports.mock import mock_linear

    async def main(fake: FakeLinear) -> list[int]:
        _, body = post(fake, {"query": "{ teams { nodes { id } } }"})
        team_id = body["data"]["teams"]["nodes"][0]["id"]
        async with httpx.AsyncClient(base_url="https://api.linear.app", headers={"Authorization": fake.tokens[0]}) as client:
            responses = await asyncio.gather(
                *[
                    client.post("/graphql", json={"query": ISSUE_CREATE, "variables": {"i": {"teamId": team_id, "title": f"a{n}"}}})
                    for n in range(40)
                ]
            )
        return [r.status_code for r in responses]

    with mock_linear(workspaces=1, plan="unlimited") as fake:
        assert asyncio.run(main(fake)) == [200] * 40
        assert len(fake.model.workspaces()[0].all("Issue")) == 40


# ---------------------------------------------------------------- durability (in-process part)


def test_state_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    fake = FakeLinear(seed=4, workspaces=2, state_file=path)
    assert path.exists()
    tokens = fake.tokens
    post(fake, {"query": TEAM_CREATE, "variables": {"i": {"name": "Kept", "key": "KEP"}}})
    fake.add_workspace(name="Third")
    fake.advance(100)
    clock_then = fake.clock.now()
    fake.close()  # one fake per state file: the first lets go of it
    again = FakeLinear(state_file=path)  # seed, keys, workspaces and clock come from the file
    assert again.seed == 4
    assert again.tokens == tokens + [fake.tokens[2]]
    assert again.clock.now() == clock_then
    _, body = post(again, {"query": "{ teams { nodes { key } } }"})
    assert "KEP" in {t["key"] for t in body["data"]["teams"]["nodes"]}
    assert again.snapshot() == fake.snapshot()
    # No temp files left behind (the lock file stays: see fakelinear/statefile.py).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]


def test_state_file_written_before_the_response(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    fake = FakeLinear(state_file=path)
    status, body = post(fake, {"query": TEAM_CREATE, "variables": {"i": {"name": "Now", "key": "NOW"}}})
    assert status == 200 and body["data"]["teamCreate"]["success"]
    saved = json.loads(path.read_text())
    assert "NOW" in json.dumps(saved["model"])


def test_reads_do_not_rewrite_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    fake = FakeLinear(state_file=path)
    before = path.stat().st_mtime_ns
    post(fake, {"query": VIEWER})
    assert path.stat().st_mtime_ns == before


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a fakelinear state file"):
        FakeLinear(state_file=path)


def test_seed_content_is_realistic_and_deterministic() -> None:
    a = FakeLinear(seed=3, workspaces=2, seed_content=True, plan="unlimited")
    b = FakeLinear(seed=3, workspaces=2, seed_content=True, plan="unlimited")
    assert a.snapshot() == b.snapshot()
    _, body = post(a, {"query": "{ issues(first: 5) { nodes { title } } }"})
    assert body["data"]["issues"]["nodes"], body


def test_profile_plan_limits_choose_the_workspace_plan() -> None:
    assert FakeLinear(profile="linear-observed").model.workspaces()[0].plan == "free"
    assert FakeLinear(profile={"plan_limits": False}).model.workspaces()[0].plan == "unlimited"
    assert FakeLinear(profile="linear-observed", plan="unlimited").model.workspaces()[0].plan == "unlimited"


def test_requests_refused_before_the_api_are_journaled_without_keys() -> None:
    fake = FakeLinear()
    unknown = "lin_api_" + "Z" * 34 + "abcdef"
    post(fake, {"query": VIEWER}, token=unknown)
    post(fake, b"{nope")
    post(fake, {"query": VIEWER}, token="x\r\ny")
    rejected = fake.journal.entries(decision="rejected")
    assert [(e.status, e.error_code) for e in rejected] == [
        (401, "AUTHENTICATION_ERROR"),
        (400, "BAD_REQUEST"),
        (401, "AUTHENTICATION_ERROR"),
    ]
    assert rejected[0].key_masked == "…abcdef" and rejected[0].workspace_id is None
    assert rejected[1].workspace_id == fake.model.workspaces()[0].id
    assert rejected[2].key_masked == "…"
    assert unknown not in fake.journal.to_json() and fake.tokens[0] not in fake.journal.to_json()


# ---------------------------------------------------------------- durability: failures and conflicts


def _break_folder(folder: Path) -> Path:
    """Make writes into ``folder`` fail for real (even as root): move it away and put a
    regular file in its place. Returns where the folder went."""
    moved = folder.with_name(folder.name + "-moved")
    folder.rename(moved)
    folder.write_text("not a folder")
    return moved


def test_a_write_whose_persist_fails_is_rolled_back_answered_and_journaled(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    fake = FakeLinear(seed=4, state_file=folder / "state.json", plan="unlimited")
    team = post(fake, {"query": TEAM_CREATE, "variables": {"i": {"name": "Kept", "key": "KEP"}}})[1]
    team_id = team["data"]["teamCreate"]["team"]["id"]
    moved = _break_folder(folder)
    status, body = post(fake, {"query": ISSUE_CREATE, "variables": {"i": {"teamId": team_id, "title": "lost"}}})
    assert status == 500
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "rolled back" in error["message"] and "nothing was changed" in error["extensions"]["userPresentableMessage"]
    entry = fake.journal.entries()[-1]
    assert (entry.operation_name, entry.status, entry.error_code, entry.committed) == (None, 500, "INTERNAL_SERVER_ERROR", False)
    assert entry.root_fields == ("issueCreate",)
    # Not applied in memory either: not readable, not listed, the number is not used up.
    issues = post(fake, {"query": "{ issues { nodes { title } } }"})[1]["data"]["issues"]["nodes"]
    assert issues == []
    # The folder comes back: the next write succeeds and takes number 1.
    folder.unlink()
    moved.rename(folder)
    status, body = post(fake, {"query": ISSUE_CREATE, "variables": {"i": {"teamId": team_id, "title": "saved"}}})
    assert status == 200 and body["data"]["issueCreate"]["issue"]["identifier"] == "KEP-1"
    fake.close()
    again = FakeLinear(state_file=folder / "state.json")
    titles = [i["title"] for i in again.snapshot()["workspaces"][0]["entities"]["Issue"]]
    assert titles == ["saved"]
    again.close()


def test_control_changes_whose_persist_fails_are_rolled_back(tmp_path: Path) -> None:
    from fakelinear.control import PersistError

    folder = tmp_path / "data"
    fake = FakeLinear(seed=4, state_file=folder / "state.json")
    post(fake, {"query": TEAM_CREATE, "variables": {"i": {"name": "Kept", "key": "KEP"}}})
    before_tokens, before_state, before_now = fake.tokens, fake.snapshot(), fake.clock.now()
    _break_folder(folder)
    with pytest.raises(PersistError, match="rolled back"):
        fake.add_workspace(name="Lost")
    with pytest.raises(PersistError):
        fake.reset()
    with pytest.raises(PersistError):
        fake.advance(60)
    assert fake.tokens == before_tokens and fake.snapshot() == before_state
    assert fake.clock.now() == before_now
    assert len(fake.journal) == 1  # reset did not happen: the journal is still there
    # Over the control API: 503 with the reason, state unchanged.
    for method, path, body in (("POST", "/_fake/workspaces", b'{"name": "Lost"}'), ("POST", "/_fake/reset", b""),
                               ("POST", "/_fake/clock/advance", b'{"seconds": 5}')):
        response = fake.handle(Request(method, path, {"content-type": "application/json"}, body))
        assert response.status == 503, response.body
        assert "could not write the state file" in json.loads(response.body)["error"]
    assert fake.tokens == before_tokens and fake.snapshot() == before_state
    fake.close()


def test_explicit_seed_or_workspaces_must_match_the_state_file(tmp_path: Path) -> None:
    from fakelinear.handler import StateConflictError

    path = tmp_path / "state.json"
    with FakeLinear(seed=5, workspaces=2, state_file=path):
        pass
    with pytest.raises(StateConflictError, match="made with seed 5, not 6"):
        FakeLinear(seed=6, state_file=path)
    with pytest.raises(StateConflictError, match="holds 2 workspace\\(s\\), not 3"):
        FakeLinear(workspaces=3, state_file=path)
    with FakeLinear(seed=5, workspaces=2, state_file=path) as same:
        assert same.seed == 5
    with FakeLinear(state_file=path) as from_file:  # nothing given: the file decides
        assert from_file.seed == 5 and len(from_file.tokens) == 2
