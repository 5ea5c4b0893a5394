"""Durability of ``fakelinear serve --state FILE``: SIGKILL mid-load loses no acknowledged write.

Writer threads create issues against a server started with a state file; once enough writes
are acknowledged the server gets SIGKILL while requests are in flight. A new server on the
same file must hold every acknowledged create (same id, identifier, title), keep the keys,
and hand out the next issue numbers without reusing any.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_load import NO_TLS, serve_subprocess

CREATE = (
    "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) "
    "{ success lastSyncId issue { id identifier number title } } }"
)
WRITERS = 4


def _team_ids(base_url: str) -> list[str]:
    with httpx.Client(timeout=10, verify=NO_TLS) as http:
        state = http.get(base_url + "/_fake/state").json()
    return [ws["entities"]["Team"][0]["id"] for ws in state["workspaces"]]


def test_sigkill_mid_load_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    args = ("--workspaces", "2", "--seed", "13", "--profile", "calm", "--state", str(state_file))
    server = serve_subprocess(*args, tmpdir=tmp_path)
    acked: list[dict[str, Any]] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        teams = _team_ids(server.base_url)

        def writer(index: int) -> None:
            w = index % 2
            with httpx.Client(base_url=server.base_url, headers={"authorization": server.tokens[w]}, timeout=10, verify=NO_TLS) as http:
                for n in range(500):  # bounded; stops at the kill
                    if stop.is_set():
                        return
                    title = f"durable w{index} n{n}"
                    try:
                        r = http.post("/graphql", json={"query": CREATE, "variables": {"input": {"teamId": teams[w], "title": title}}})
                    except httpx.HTTPError:
                        return  # the server died mid-request: not acknowledged
                    if r.status_code == 200 and r.json().get("data"):
                        with lock:
                            acked.append({"w": w, **r.json()["data"]["issueCreate"]["issue"]})

        threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # bounded poll until enough writes are acknowledged
            with lock:
                if len(acked) >= 40:
                    break
            stop.wait(0.02)
        server.kill()  # SIGKILL while writers are mid-flight
        stop.set()
        for t in threads:
            t.join(timeout=15)
    finally:
        server.kill()
    assert len(acked) >= 40, "load never got going"
    json.loads(state_file.read_text())  # the file is whole (atomic replace), never torn

    restarted = serve_subprocess(*args, tmpdir=tmp_path)
    try:
        assert restarted.tokens == server.tokens  # keys survive the restart
        with httpx.Client(base_url=restarted.base_url, timeout=10, verify=NO_TLS) as http:
            state = http.get("/_fake/state").json()
            issues = {i["id"]: i for ws in state["workspaces"] for i in ws["entities"]["Issue"]}
            for a in acked:
                got = issues.get(a["id"])
                assert got is not None, f"acknowledged {a['identifier']} lost"
                assert (got["identifier"], got["title"]) == (a["identifier"], a["title"])
            # Reads through the API agree, and numbering continues without reuse.
            for w in (0, 1):
                mine = [a for a in acked if a["w"] == w]
                if not mine:
                    continue
                r = http.post("/graphql", json={"query": "query Q($id: String!) { issue(id: $id) { id } }", "variables": {"id": mine[-1]["id"]}},
                              headers={"authorization": restarted.tokens[w]})
                assert r.json()["data"]["issue"]["id"] == mine[-1]["id"]
                r = http.post("/graphql", json={"query": CREATE, "variables": {"input": {"teamId": teams[w], "title": "after restart"}}},
                              headers={"authorization": restarted.tokens[w]})
                number = int(r.json()["data"]["issueCreate"]["issue"]["number"])
                used = [int(i["number"]) for i in issues.values() if i["teamId"] == teams[w]]
                assert number == max(used) + 1
    finally:
        restarted.stop()


def test_a_failed_persist_on_loopback_is_answered_journaled_and_not_applied(tmp_path: Path) -> None:
    """Issue 12, break 4: the write used to stay applied (and readable) after its persist
    failed, then vanish on restart. Now it is rolled back, answered 500 and journaled."""
    from fakelinear.clock import RealClock
    from fakelinear.handler import FakeLinear
    from fakelinear.transports.server import ServerThread

    folder = tmp_path / "data"
    fake = FakeLinear(seed=13, clock=RealClock(), plan="unlimited", state_file=folder / "state.json")
    token = fake.tokens[0]
    team = fake.workspace_for(token).team("ENG").id
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url, timeout=10, verify=NO_TLS) as http:
        def create(title: str) -> httpx.Response:
            return http.post("/graphql", json={"query": CREATE, "variables": {"input": {"teamId": team, "title": title}}},
                             headers={"authorization": token})

        assert create("before").status_code == 200
        moved = folder.with_name("moved")
        folder.rename(moved)
        folder.write_text("a file where the folder was: every write fails")
        failed = create("lost")
        assert failed.status_code == 500
        assert failed.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        journal = http.get("/_fake/journal", params={"limit": "1"}).json()["entries"][0]
        assert (journal["status"], journal["error_code"], journal["committed"]) == (500, "INTERNAL_SERVER_ERROR", False)
        titles = [i["title"] for i in http.get("/_fake/state").json()["workspaces"][0]["entities"]["Issue"]]
        assert titles == ["before"]
        folder.unlink()
        moved.rename(folder)
        assert create("after").json()["data"]["issueCreate"]["issue"]["number"] == 2
    fake.close()
    with FakeLinear(state_file=folder / "state.json") as again:
        assert [i["title"] for i in again.snapshot()["workspaces"][0]["entities"]["Issue"]] == ["before", "after"]
