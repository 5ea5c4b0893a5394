"""``fakelinear`` as a user gets it: this checkout pip-installed (not editable) into a folder
outside the source tree, then the console script and ``python -m fakelinear`` used the way a
CI job in another language would (ready file, health route, a GraphQL call, SIGTERM)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
# One worker builds the package once for both tests (pytest -n 2 --dist loadgroup).
pytestmark = pytest.mark.xdist_group("installed-package")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site folder holding a wheel build of this checkout (built from a copy, so the
    checkout itself is not touched)."""
    root = tmp_path_factory.mktemp("installed")
    src = root / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("fakelinear", "promoter", "scenarios"):
        shutil.copytree(CHECKOUT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(CHECKOUT / name, src / name)
    site = root / "site"
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return site


def _env(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(site), "PYTHONUNBUFFERED": "1"}


def test_the_installed_package_is_the_one_used(installed: Path, tmp_path: Path) -> None:
    probe = "import fakelinear, json; print(json.dumps([fakelinear.__file__, fakelinear.__version__]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=_env(installed), timeout=60)
    where, version = json.loads(out.stdout)
    assert where.startswith(str(installed)) and version == "0.1.0"
    out = subprocess.run([sys.executable, "-m", "fakelinear", "--version"], capture_output=True, text=True,
                         cwd=tmp_path, env=_env(installed), timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "fakelinear 0.1.0"


def test_ci_recipe_with_the_console_script(installed: Path, tmp_path: Path) -> None:
    ready, pool = tmp_path / "ready", tmp_path / "pool"
    script = installed / "bin" / "fakelinear"
    cmd = [sys.executable, str(script), "serve", "--workspaces", "2", "--seed", "7",
           "--ready-file", str(ready), "--tokens-file", str(pool)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env(installed))
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
