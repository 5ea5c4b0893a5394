"""The control API on loopback: binds 127.0.0.1 by default and can require its own key."""

from __future__ import annotations

import inspect
import socket
import subprocess
import sys
import threading

import httpx
import pytest

from benchmarks.bench_load import NO_TLS, running_server
from fakelinear.cli import build_parser
from fakelinear.clock import RealClock
from fakelinear.handler import FakeLinear
from fakelinear.transports.server import ServerThread

VIEWER = {"query": "{ viewer { id } }"}


def _non_loopback_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_defaults_bind_loopback_only() -> None:
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert inspect.signature(ServerThread).parameters["host"].default == "127.0.0.1"


def test_serve_without_host_listens_on_127_0_0_1_only() -> None:
    process = subprocess.Popen(  # noqa: S603 - our interpreter and CLI
        [sys.executable, "-m", "fakelinear.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(30)
        url = box[0].strip() if box else ""
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1])
        with httpx.Client(timeout=10, verify=NO_TLS) as http:
            assert http.get(url + "/_fake/clock").status_code == 200
        other = _non_loopback_ip()
        if other is not None:
            with pytest.raises(OSError), socket.create_connection((other, port), timeout=2):
                pass
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("path, method", [("/_fake/state", "GET"), ("/_fake/journal", "GET"), ("/_fake/workspaces", "GET"),
                                          ("/_fake/reset", "POST"), ("/_fake/faults", "POST"), ("/_fake/clock/advance", "POST")])
def test_control_key_is_required_when_set(path: str, method: str) -> None:
    key = "ctl-" + "k" * 30
    fake = FakeLinear(seed=1, clock=RealClock(), workspaces=1, control_key=key)
    token = fake.tokens[0]
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url, timeout=10, verify=NO_TLS) as http:
        create = "mutation C($t: String!) { issueCreate(input: {teamId: $t, title: \"keep\"}) { success } }"
        team_id = fake.workspace_for(token).team("ENG").id
        http.post("/graphql", json={"query": create, "variables": {"t": team_id}}, headers={"authorization": token})
        before = fake.snapshot()
        body = {"seconds": 5} if "clock" in path else {} if path == "/_fake/reset" else {"profile": "storm"}
        for headers in ({}, {"x-fake-control-key": "wrong"}, {"x-fake-control-key": key + "x"},
                        {"authorization": token}, {"authorization": key}):
            r = http.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (headers, r.text)
            assert token not in r.text and key not in r.text
        assert fake.snapshot() == before and fake.plan.name == "calm"
        allowed = {"seconds": 5} if "clock" in path else {} if path == "/_fake/reset" else {"profile": "calm"}
        r = http.request(method, path, json=allowed, headers={"x-fake-control-key": key})
        assert r.status_code == 200, r.text
        # The control key is not an API key, and the API key does not need it.
        assert http.post("/graphql", json=VIEWER, headers={"authorization": key}).status_code == 401
        assert http.post("/graphql", json=VIEWER, headers={"authorization": token}).status_code == 200


def test_control_api_open_without_a_key() -> None:
    fake = FakeLinear(seed=1, clock=RealClock(), workspaces=1)
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url, timeout=10, verify=NO_TLS) as http:
        assert http.get("/_fake/state").status_code == 200
        listed = http.get("/_fake/workspaces").json()["workspaces"]
        assert fake.tokens[0] not in str(listed) and listed[0]["token_masked"].startswith("…")


def test_serve_control_key_flag() -> None:
    with running_server("--control-key", "flag-key-123456") as server, httpx.Client(
        base_url=server.base_url, timeout=10, verify=NO_TLS
    ) as http:
        assert http.get("/_fake/state").status_code == 401
        assert http.get("/_fake/state", headers={"x-fake-control-key": "flag-key-123456"}).status_code == 200
        assert http.post("/graphql", json=VIEWER, headers={"authorization": server.tokens[0]}).status_code == 200
