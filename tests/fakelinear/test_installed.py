"""``fakelinear serve`` as a user gets it: this checkout pip-installed (not editable) in its
own virtualenv, then the console script and ``python -m fakelinear`` used the way a CI job in
another language would (ready file, health route, a GraphQL call, reset, SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from tests.testkit.user_venv import user_venv

# The same cached user venv as tests/testkit/test_user_project.py (built once, then the
# package is reinstalled when the source changes); same group: one worker, one build.
pytestmark = pytest.mark.xdist_group("user_project")


@pytest.fixture(scope="module")
def venv() -> Path:
    """A virtualenv where this checkout is pip-installed (not editable), as a user has it."""
    return user_venv()


def _env() -> dict[str, str]:
    # Nothing of this checkout's environment may leak into the user's venv.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def test_the_installed_package_is_the_one_used(venv: Path, tmp_path: Path) -> None:
    python = str(venv / "bin" / "python")
    probe = "import fakelinear, json; print(json.dumps([fakelinear.__file__, fakelinear.__version__]))"
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60)
    where, version = json.loads(out.stdout)
    assert where.startswith(str(venv)) and version == "0.1.0"
    out = subprocess.run([python, "-m", "fakelinear", "--version"], capture_output=True, text=True,
                         cwd=tmp_path, env=_env(), timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "fakelinear 0.1.0"


def test_ci_recipe_with_the_console_script(venv: Path, tmp_path: Path) -> None:
    ready, pool = tmp_path / "ready", tmp_path / "pool"
    cmd = [str(venv / "bin" / "fakelinear"), "serve", "--workspaces", "2", "--seed", "7",
           "--ready-file", str(ready), "--tokens-file", str(pool)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env())
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        for _ in range(4000):  # bounded wait for the ready file, as a CI step would poll
            if ready.exists():
                break
            threading.Event().wait(0.005)
        assert ready.read_text().strip() == url
        health = httpx.get(url + "/_fake/health", timeout=10).json()
        assert health["version"] == "0.1.0" and health["workspaces"] == 2
        token = [t for line in pool.read_text().splitlines() if not line.startswith("#") for t in line.split(";")][1]
        r = httpx.post(url + "/graphql", json={"query": "{ viewer { id } organization { name } }"},
                       headers={"Authorization": token}, timeout=10)
        assert r.status_code == 200 and r.json()["data"]["organization"]["name"] == "Workspace 2"
        assert httpx.post(url + "/_fake/reset", timeout=10).status_code == 200  # reset between tests
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
