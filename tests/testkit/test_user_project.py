"""The plugin as a user meets it: a separate project, this checkout pip-installed into its
own virtualenv (non-editable), its own httpx and ``requests`` code under test.

Few, small inner runs (each is a pytest process): fake mode under xdist with a random seed
and one test that fails on purpose; its printed replay command, twice; the same module
against ``fakelinear serve`` on loopback; that failure's replay, twice. A dead proxy in the
environment makes any request that escapes interception fail, so "hit the fake and never the
network" is checked, not assumed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.testkit.user_venv import user_venv

pytestmark = [pytest.mark.xdist_group("user_project"), pytest.mark.slow]

USER_CODE = '''
"""The user's own Linear code: it knows nothing about fakelinear."""
import os

import httpx
import requests

VIEWER = "query Viewer { viewer { id } }"
CREATE = "mutation Create($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id title } } }"


def viewer_with_httpx(url, key):
    with httpx.Client(timeout=5) as client:
        response = client.post(url, json={"query": VIEWER}, headers={"Authorization": key})
        return response.status_code, response.json() if response.status_code == 200 else None


async def viewer_with_httpx_async(url, key):
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post(url, json={"query": VIEWER}, headers={"Authorization": key})
        return response.json()


def create_with_requests(url, key, team_id, title):
    response = requests.post(
        url,
        json={"query": CREATE, "variables": {"input": {"teamId": team_id, "title": title}}},
        headers={"Authorization": key},
        timeout=5,
    )
    return response.status_code, response.json()


def viewer_from_env():
    return viewer_with_httpx(os.environ["LINEAR_API_URL"], os.environ["LINEAR_API_KEY"])
'''

CONFTEST = '''
import http.server
import threading

import pytest


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from loopback"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def other_host():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
'''

TEST_USER = '''
import asyncio
import json
import os

import httpx
import pytest
import requests
import respx

from fakelinear.testkit import retry_create
from mylinear import create_with_requests, viewer_from_env, viewer_with_httpx, viewer_with_httpx_async


@pytest.fixture(autouse=True)
def calm(fake):
    fake.faults.calm()  # user code without retries: no faults unless a test asks


def test_httpx_code_hits_the_fake(linear_endpoint, fake):
    status, body = viewer_with_httpx(linear_endpoint.url, linear_endpoint.api_key)
    assert status == 200 and body["data"]["viewer"]["id"]
    (entry,) = fake.journal.assert_called(operation="viewer", times=1)
    assert entry.response == body and entry.request["operationName"] == "Viewer"
    assert asyncio.run(viewer_with_httpx_async(linear_endpoint.url, linear_endpoint.api_key)) == body
    fake.journal.assert_called(operation="Viewer", times=2)


def test_requests_code_hits_the_fake(linear_endpoint, test_team, fake):
    status, body = create_with_requests(linear_endpoint.url, linear_endpoint.api_key, test_team.id, "[test] from requests")
    assert status == 200 and body["data"]["issueCreate"]["success"], body
    entry = fake.journal.assert_called(operation="issueCreate", times=1)[0]
    assert entry.request["variables"]["input"]["title"] == "[test] from requests"
    assert entry.response["data"]["issueCreate"]["issue"]["title"] == "[test] from requests"


def test_env_vars_for_code_that_reads_them(linear_endpoint):
    assert os.environ["LINEAR_API_URL"] == linear_endpoint.url
    assert os.environ["LINEAR_API_KEY"] == linear_endpoint.api_key
    assert viewer_from_env()[0] == 200
    assert linear_endpoint.api_key not in repr(linear_endpoint)


def test_other_hosts_pass_through(linear_endpoint, other_host):
    assert httpx.get(other_host).text == "hello from loopback"
    assert requests.get(other_host, timeout=5).text == "hello from loopback"


def test_composes_with_a_respx_router(linear_endpoint, fake):
    with respx.mock(assert_all_called=True) as router:
        router.get("https://example.test/status").respond(200, json={"up": True})
        router.route(url__startswith=linear_endpoint.url).pass_through()
        assert httpx.get("https://example.test/status").json() == {"up": True}
        assert viewer_with_httpx(linear_endpoint.url, linear_endpoint.api_key)[0] == 200
    fake.journal.assert_called(operation="viewer", times=1)


def test_composes_with_pytest_httpx(httpx_mock, linear_endpoint, fake):
    httpx_mock.add_response(url="https://example.test/hook", json={"ok": 1})
    assert httpx.get("https://example.test/hook").json() == {"ok": 1}
    assert viewer_with_httpx(linear_endpoint.url, linear_endpoint.api_key)[0] == 200
    fake.journal.assert_called(operation="viewer", times=1)


@pytest.mark.skipif(not os.environ.get("FAIL_ON_PURPOSE"), reason="only in the replay check")
def test_fails_on_purpose(linear, test_team, guards, clock, fake, linear_endpoint):
    fake.faults.clear()  # back to the run's profile: the faults are the point here
    for n in range(4):
        issue, _ = retry_create(lambda name: linear.issue_create(test_team.id, name), kind=f"issue {n}", clock=clock)
        guards.issue(issue)
    for _ in range(3):
        try:
            viewer_with_httpx(linear_endpoint.url, linear_endpoint.api_key)
        except httpx.HTTPError:
            pass
    with open(os.environ["JOURNAL_OUT"], "w") as out:
        out.write(fake.journal.to_json())
    assert False, "fails on purpose"
'''

TEST_ISOLATION = '''
import pytest

from fakelinear.faults import profile
from mylinear import viewer_with_httpx


def test_a_sets_a_fault(linear_endpoint, fake):
    fake.faults.calm().gateway_error(502, probability=1.0)
    assert viewer_with_httpx(linear_endpoint.url, linear_endpoint.api_key)[0] == 502
    fake.journal.assert_called(decision="gateway_before", times=1)


def test_b_starts_fresh(linear_endpoint, fake, pytestconfig):
    configured = profile(pytestconfig.getoption("--fault-profile") or "calm")
    assert fake.faults.plan == configured
    assert len(fake.journal) == 0
    fake.faults.calm()
    assert viewer_with_httpx(linear_endpoint.url, linear_endpoint.api_key)[0] == 200
    assert fake.journal.count() == 1
'''


def _project(tmp: Path) -> Path:
    root = tmp / "userproject"
    (root / "mylinear").mkdir(parents=True)
    (root / "mylinear" / "__init__.py").write_text(USER_CODE)
    (root / "tests").mkdir()
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    (root / "tests" / "test_user.py").write_text(TEST_USER)
    (root / "tests" / "test_isolation.py").write_text(TEST_ISOLATION)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\npythonpath = .\n")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return user_venv(), _project(tmp_path_factory.mktemp("user"))


def _pytest(venv: Path, root: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FAKELINEAR_", "LINEAR_"))}
    environ.pop("VIRTUAL_ENV", None)
    # Anything that escapes interception goes to a dead proxy and fails loudly.
    environ.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
                   NO_PROXY="127.0.0.1,localhost", PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.run(  # noqa: S603 - the throwaway venv's own pytest
        [str(venv / "bin" / "python"), "-m", "pytest", *args],
        cwd=root, env=environ, capture_output=True, text=True, timeout=300,
    )


def _outcomes(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|error)", tail)}


def _replay_line(proc: subprocess.CompletedProcess[str]) -> list[str]:
    lines = re.findall(r"^fakelinear: replay with (pytest .+)$", proc.stdout, re.MULTILINE)
    assert len(lines) == 1, proc.stdout[-3000:]
    return shlex.split(lines[0])[1:]


def _signature(journal: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What must be the same in the full run and a replay: every request and its fault
    (seq and time differ: other tests ran first; response bodies carry those times)."""
    return [
        (e["operation_name"], tuple(e["root_fields"]), json.dumps(e["variables"], sort_keys=True),
         e["decision"], e["status"], e["error_code"], e["committed"], json.dumps(e["detail"], sort_keys=True))
        for e in journal
    ]


def _replays_exactly(venv: Path, root: Path, first: subprocess.CompletedProcess[str], mode: str) -> None:
    original = json.loads((root / f"original-{mode}.json").read_text())
    command = _replay_line(first)
    assert f"--linear={mode}" in command and command[0].endswith("test_user.py::test_fails_on_purpose")
    replays = []
    for n in (1, 2):
        out = root / f"replay-{mode}-{n}.json"
        proc = _pytest(venv, root, command, FAIL_ON_PURPOSE="1", JOURNAL_OUT=str(out))
        assert _outcomes(proc) == {"failed": 1}, proc.stdout[-3000:]
        replays.append(out.read_bytes())
    assert replays[0] == replays[1], "two replays must give the same journal byte for byte"
    replayed = json.loads(replays[0])
    assert len(replayed) >= 6
    assert _signature(replayed) == _signature(original), "the replay must send the same requests and get the same faults"


def test_fake_mode_intercepts_isolates_and_replays_under_xdist(project: tuple[Path, Path]) -> None:
    venv, root = project
    first = _pytest(
        venv, root, ["-n", "2", "--dist", "loadfile", "--fault-profile", "storm", "--fault-seed", "7"],
        FAIL_ON_PURPOSE="1", JOURNAL_OUT=str(root / "original-fake.json"),
    )
    assert _outcomes(first) == {"passed": 8, "failed": 1}, first.stdout[-4000:] + first.stderr[-2000:]
    header = re.search(r"fakelinear: --linear=fake --fault-profile storm --fault-seed (\d+)", first.stdout)
    assert header, first.stdout[:2000]
    assert header.group(1) == "7"
    _replays_exactly(venv, root, first, "fake")
    signature = json.loads((root / "original-fake.json").read_text())
    assert any(e["decision"] != "passed" for e in signature), "storm injected nothing: the replay proved little"


def test_same_module_against_the_loopback_server(project: tuple[Path, Path]) -> None:
    venv, root = project
    first = _pytest(
        venv, root, ["--linear=server", "--fault-profile", "linear-observed", "--fault-seed", "5"],
        FAIL_ON_PURPOSE="1", JOURNAL_OUT=str(root / "original-server.json"),
    )
    assert _outcomes(first) == {"passed": 8, "failed": 1}, first.stdout[-4000:] + first.stderr[-2000:]
    assert "linear-cleanup --dry-run over the pool of 3: nothing left" in first.stdout
    _replays_exactly(venv, root, first, "server")
