"""``fakelinear serve`` as a real subprocess: printed URL, masked tokens, tokens file, bad flags,
and durability across ``kill -9`` with ``--state``."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fakelinear.cli import build_parser, fault_overrides, main

TEAM_CREATE = "mutation($i: TeamCreateInput!) { teamCreate(input: $i) { success team { id key } } }"
ISSUE_CREATE = "mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success issue { id identifier } } }"


class Serve:
    """A running ``fakelinear serve`` process and what it printed."""

    def __init__(self, proc: subprocess.Popen[str], lines: queue.Queue[str | None], workspaces: int) -> None:
        self.proc = proc
        self._lines = lines
        self.output: list[str] = []
        # First line: the base URL alone; then the banner, one line per workspace.
        self.base_url = self.next_line()
        seen = 0
        while seen < workspaces:
            if self.next_line().startswith("workspace "):
                seen += 1

    def next_line(self, timeout: float = 20.0) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output from serve; so far: {self.output}") from None
        if line is None:
            raise AssertionError(f"serve exited ({self.proc.poll()}): {self.output}")
        self.output.append(line)
        return line


@contextmanager
def serve(*args: str, workspaces: int = 1) -> Iterator[Serve]:
    cmd = [sys.executable, "-m", "fakelinear.cli", "serve", "--port", "0", "--workspaces", str(workspaces), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield Serve(proc, lines, workspaces)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(autouse=True)
def _never_serve_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main([...])`` calls here must refuse before serving: if one starts a server, fail at
    once instead of blocking the suite (servers in these tests run as subprocesses)."""
    import uvicorn

    run = uvicorn.Server.run

    def refuse(self: uvicorn.Server, *args: object, **kwargs: object) -> None:
        if threading.current_thread() is threading.main_thread():  # main() serves here
            raise AssertionError("fakelinear serve started a server where it should have refused")
        run(self, *args, **kwargs)  # ServerThread (the demo) serves from its own thread

    monkeypatch.setattr(uvicorn.Server, "run", refuse)


def gql(base_url: str, token: str, query: str, variables: dict | None = None) -> httpx.Response:
    return httpx.post(base_url + "/graphql", json={"query": query, "variables": variables or {}}, headers={"Authorization": token}, timeout=10)


def test_serve_prints_url_masked_tokens_and_writes_tokens_file(tmp_path: Path) -> None:
    tokens_file = tmp_path / "pool.txt"
    with serve("--seed", "7", "--tokens-file", str(tokens_file), workspaces=3) as s:
        assert s.base_url.startswith("http://127.0.0.1:")
        port = int(s.base_url.rsplit(":", 1)[1])
        assert port > 0
        content = tokens_file.read_text()
        lines = [ln for ln in content.splitlines() if ln.strip() and not ln.startswith("#")]
        tokens = lines[0].split(";")
        assert len(tokens) == 3 and all(t.startswith("lin_api_") for t in tokens)
        assert oct(tokens_file.stat().st_mode & 0o777) == "0o600"
        printed = "\n".join(s.output)
        for token in tokens:
            assert token not in printed
            assert "…" + token[-6:] in printed
        for token in tokens:
            assert gql(s.base_url, token, "{ viewer { id } }").status_code == 200
        assert gql(s.base_url, "lin_api_nope", "{ viewer { id } }").status_code == 401
        assert httpx.get(s.base_url + "/_fake/clock").json()["virtual"] is False
    assert s.proc.returncode is not None
    # Same seed, same tokens (a CI job can restart the fake and keep its pool file).
    with serve("--seed", "7", "--print-token", workspaces=3) as again:
        assert all(token in "\n".join(again.output) for token in tokens)


def test_serve_with_profile_flags_virtual_clock_and_control_key() -> None:
    with serve("--profile", "calm", "--phantom-conflict-first", "1", "--phantom-conflict-on", "teamCreate",
               "--virtual-clock", "--control-key", "ck", "--print-token") as s:
        token = next(line.split("token ")[1] for line in s.output if line.startswith("workspace"))
        r = gql(s.base_url, token, TEAM_CREATE, {"i": {"name": "X", "key": "XXX"}})
        assert r.json()["errors"][0]["message"] == "conflict on insert of Team"
        assert httpx.get(s.base_url + "/_fake/clock").status_code == 401
        clock = httpx.get(s.base_url + "/_fake/clock", headers={"X-Fake-Control-Key": "ck"}).json()
        assert clock["virtual"] is True


def test_help_and_parser() -> None:
    out = subprocess.run([sys.executable, "-m", "fakelinear.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "serve" in out.stdout
    out = subprocess.run([sys.executable, "-m", "fakelinear.cli", "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--tokens-file" in out.stdout and "--phantom-conflict-first" in out.stdout
    args = build_parser().parse_args(["serve", "--gateway-status", "503", "--gateway-after-commit", "true",
                                      "--lag-read-seconds", "2.5", "--fault", "rate_limit.per_hour=10", "--no-plan-limits"])
    assert fault_overrides(args) == {
        "gateway": {"status": 503, "after_commit": True},
        "lag": {"read_seconds": 2.5},
        "rate_limit": {"per_hour": 10},
        "plan_limits": False,
    }
    assert main([]) == 2


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--workspaces", "-1"], "--workspaces"),
        (["--port", "70000"], "--port"),
        (["--profile", "nope"], "unknown fault profile"),
        (["--faults", "/nonexistent/plan.toml"], "no such file"),
        (["--fault", "garbage"], "SECTION.FIELD=VALUE"),
        (["--phantom-conflict-probability", "2"], "invalid fault plan"),
        (["--seed", "abc"], "invalid int value"),
        (["--profile", "calm", "--faults", "x.toml"], "not allowed with"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_flags_fail_clearly(flags: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        code = main(["serve", *flags])
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_bad_faults_toml_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[phantom_conflict\n")
    assert main(["serve", "--faults", str(bad)]) == 2
    assert "invalid fault plan" in capsys.readouterr().err


def test_port_in_use_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        assert main(["serve", "--port", str(held.getsockname()[1])]) == 1
    assert "cannot bind" in capsys.readouterr().err


def test_state_survives_kill_9_mid_load(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    acknowledged: list[str] = []
    with serve("--state", str(state), "--print-token", "--plan", "unlimited") as s:
        token = next(line.split("token ")[1] for line in s.output if line.startswith("workspace"))
        team = gql(s.base_url, token, TEAM_CREATE, {"i": {"name": "Durable", "key": "DUR"}}).json()
        team_id = team["data"]["teamCreate"]["team"]["id"]
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(base_url=s.base_url, headers={"Authorization": token}, timeout=5) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        r = client.post("/graphql", json={"query": ISSUE_CREATE, "variables": {"i": {"teamId": team_id, "title": f"d{n}"}}})
                    except httpx.HTTPError:
                        return  # the server died under us: that request was never acknowledged
                    body = r.json()
                    if r.status_code == 200 and not body.get("errors"):
                        acknowledged.append(body["data"]["issueCreate"]["issue"]["id"])

        worker = threading.Thread(target=load)
        worker.start()
        for _ in range(100_000):  # bounded: until some writes were acknowledged
            if len(acknowledged) >= 15 or not worker.is_alive():
                break
            stop.wait(0.01)
        os.kill(s.proc.pid, signal.SIGKILL)  # mid-load, no chance to flush anything
        s.proc.wait(timeout=10)
        stop.set()
        worker.join(timeout=10)
    assert len(acknowledged) >= 15
    with serve("--state", str(state), "--print-token") as again:
        again_token = next(line.split("token ")[1] for line in again.output if line.startswith("workspace"))
        assert again_token == token
        query = "query($f: IssueFilter) { issues(filter: $f, first: 250, includeArchived: true) { nodes { id } } }"
        r = gql(again.base_url, token, query, {"f": {"team": {"id": {"eq": team_id}}}})
        ids = {n["id"] for n in r.json()["data"]["issues"]["nodes"]}
        missing = [i for i in acknowledged if i not in ids]
        assert missing == []
        # And it keeps working after the restart.
        r = gql(again.base_url, token, ISSUE_CREATE, {"i": {"teamId": team_id, "title": "after"}})
        assert r.json()["data"]["issueCreate"]["success"] is True


def test_demo_prints_masked_tokens_and_runs_the_session(capsys: pytest.CaptureFixture[str]) -> None:
    from fakelinear import demo

    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert "created DEMO-1" in out and "search 'crash': 1 hit(s): DEMO-3" in out
    assert "deleted DEMO-2 (trashed=True)" in out
    whole = [word for word in out.split() if word.startswith("lin_api_")]
    assert len(whole) == 1  # exactly one full token, labelled for local use
    assert out.count("token …") == 3


# ---------------------------------------------------------------- any language's CI (issue 12)


def test_version_and_python_dash_m() -> None:
    import fakelinear

    assert fakelinear.__version__ and fakelinear.__version__ != "0+unknown"
    out = subprocess.run([sys.executable, "-m", "fakelinear", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"fakelinear {fakelinear.__version__}"


def test_ready_file_health_and_sigterm_exit_0(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    cmd = [sys.executable, "-m", "fakelinear", "serve", "--port", "0", "--ready-file", str(ready)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()  # the URL is still the first line
        assert url.startswith("http://127.0.0.1:")
        for _ in range(2000):  # bounded: the file appears once uvicorn accepts
            if ready.exists():
                break
            threading.Event().wait(0.005)
        assert ready.read_text() == url + "\n"
        assert not list(tmp_path.glob(".ready.*"))  # written atomically: no temp file left
        health = httpx.get(url + "/_fake/health", timeout=10).json()
        assert health["status"] == "ok" and health["workspaces"] == 1 and health["clock"] == "real"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0  # was 143: uvicorn re-raised the signal
        assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
        assert not ready.exists()  # a stale ready file would fool the next CI step
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_beyond_loopback_needs_a_control_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "--host 0.0.0.0 is reachable beyond this machine" in err and "--control-key" in err
    assert "--insecure-control" in err and "Traceback" not in err


def test_beyond_loopback_keys_are_random_and_the_control_key_is_enforced() -> None:
    from fakelinear.handler import FakeLinear

    predictable = FakeLinear().tokens[0]  # what the default seed gives on loopback
    seen = []
    for _ in range(2):
        with serve("--host", "0.0.0.0", "--control-key", "ctl-key-0123456789", "--print-token") as s:
            port = s.base_url.rsplit(":", 1)[1]
            local = f"http://127.0.0.1:{port}"
            token = next(line.split("token ")[1] for line in s.output if line.startswith("workspace"))
            seen.append(token)
            assert gql(local, token, "{ viewer { id } }").status_code == 200
            assert httpx.get(local + "/_fake/state", timeout=10).status_code == 401
            assert httpx.get(local + "/_fake/health", timeout=10).status_code == 200
    assert predictable not in seen and seen[0] != seen[1]


def test_insecure_control_is_an_explicit_opt_in() -> None:
    with serve("--host", "0.0.0.0", "--insecure-control") as s:
        port = s.base_url.rsplit(":", 1)[1]
        assert httpx.get(f"http://127.0.0.1:{port}/_fake/workspaces", timeout=10).status_code == 200
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=20)
        assert "WARNING: the control API is open" in s.proc.stderr.read()  # type: ignore[union-attr]


def test_a_loopback_state_file_is_not_served_beyond_loopback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fakelinear.handler import FakeLinear

    state = tmp_path / "state.json"
    with FakeLinear(state_file=state):
        pass
    assert main(["serve", "--host", "0.0.0.0", "--control-key", "k" * 20, "--state", str(state)]) == 2
    assert "derive from the seed alone" in capsys.readouterr().err
    # A file made beyond loopback keeps its secret salt: restarts and resets keep the keys.
    salted = tmp_path / "salted.json"
    with FakeLinear(state_file=salted, key_salt="s3cr3t") as first:
        keys = first.tokens
    with FakeLinear(state_file=salted, key_salt="another") as again:
        assert again.tokens == keys and not again.keys_predictable
        again.reset()
        assert again.tokens == keys


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--log-level", "bogus"], "invalid choice: 'bogus'"),
        (["--tokens-file", "/proc/x"], "--tokens-file /proc/x: cannot write"),
        (["--ready-file", "/nonexistent-dir/ready"], "--ready-file /nonexistent-dir/ready: folder /nonexistent-dir does not exist"),
        (["--header-timeout", "0"], "expected seconds between 0 and 86400"),
        (["--max-complexity", "-5"], "expected a positive integer"),
    ],
)
def test_more_bad_flags_fail_clearly(flags: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["serve", *flags]))
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert needle in captured.err and "Traceback" not in captured.err
    assert captured.out == ""  # no URL printed for a server that is not running


def test_seed_or_workspaces_conflicting_with_the_state_file_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    with serve("--state", str(state), workspaces=1):
        pass
    assert main(["serve", "--state", str(state), "--seed", "6"]) == 2
    assert "was made with seed 0, not 6" in capsys.readouterr().err
    assert main(["serve", "--state", str(state), "--workspaces", "2"]) == 2
    assert "holds 1 workspace(s), not 2" in capsys.readouterr().err


def test_short_keys_are_masked_with_fewer_characters_in_the_banner(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    from fakelinear.handler import FakeLinear

    with FakeLinear(state_file=state, workspaces=2):
        pass
    data = json.loads(state.read_text())
    data["keys"] = [["abcdef", data["keys"][0][1]], ["k3y-0123456789", data["keys"][1][1]]]
    state.write_text(json.dumps(data))
    with serve("--state", str(state), workspaces=2) as s:
        banner = "\n".join(s.output)
        assert "abcdef" not in banner and "k3y-0123456789" not in banner
        assert "token …f\n" in banner + "\n" and "token …789" in banner


def test_serve_schema_serves_another_sdl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fakelinear.test_custom_schema import SDL

    mini = tmp_path / "mini.graphql"
    mini.write_text(SDL)
    tokens = tmp_path / "tokens.txt"
    with serve("--schema", str(mini), "--tokens-file", str(tokens)) as s:
        base_url = s.base_url
        token = next(ln for ln in tokens.read_text().splitlines() if ln.strip() and not ln.startswith("#"))
        made = gql(base_url, token, 'mutation { widgetCreate(input: {name: "cog"}) { widget { name } } }')
        assert made.json() == {"data": {"widgetCreate": {"widget": {"name": "cog"}}}}
        linear = gql(base_url, token, "{ issues { nodes { id } } }")  # Linear's fields are not served
        assert linear.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    bad = tmp_path / "bad.graphql"
    bad.write_text("type Query { oops: Nope }")
    assert main(["serve", "--schema", str(bad)]) == 2  # a configuration error
    err = capsys.readouterr().err
    assert "bad.graphql is not a valid GraphQL schema" in err and "Traceback" not in err
