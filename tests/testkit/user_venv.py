"""A throwaway virtualenv with this checkout pip-installed the way a user installs it
(non-editable, from a copy of the source, with the ``[requests]`` extra), plus pytest-xdist,
pytest-httpx and respx as a user project would have them.

Building it costs tens of seconds, so it is cached under ``$FAKELINEAR_TEST_CACHE`` (default
``~/.cache/fakelinear-tests``) and reused: the dependencies are installed once per Python
version and dependency list; the package itself is reinstalled (no dependencies, seconds)
whenever the source changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# FAKELINEAR_TEST_SOURCE installs another checkout (e.g. main, to show a test fails there).
ROOT = Path(os.environ.get("FAKELINEAR_TEST_SOURCE") or Path(__file__).resolve().parents[2])
USER_DEPS = ("pytest-xdist>=3.5", "pytest-httpx>=0.32")
_SOURCES = ("fakelinear", "promoter", "scenarios")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".venv")


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _source_files() -> list[Path]:
    files = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for top in _SOURCES:
        files += sorted(p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def _run(cmd: list[str], **kwargs: object) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def user_venv() -> Path:
    """The cached venv's directory (built or refreshed as needed); its ``bin/python``
    imports the installed package, never this checkout."""
    cache = Path(os.environ.get("FAKELINEAR_TEST_CACHE", Path.home() / ".cache" / "fakelinear-tests"))
    cache.mkdir(parents=True, exist_ok=True)
    deps_key = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + repr((sys.version_info[:2], USER_DEPS)).encode()
    ).hexdigest()[:12]
    venv = cache / f"user-venv-{deps_key}"
    python = venv / "bin" / "python"
    with open(cache / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers and parallel sessions wait here
        stamp = venv / ".fakelinear-source"
        source = _digest(_source_files())
        if stamp.exists() and stamp.read_text() == source and python.exists():
            return venv
        with tempfile.TemporaryDirectory(prefix="fakelinear-src-") as tmp:
            copy = Path(tmp) / "fakelinear"
            copy.mkdir()
            for name in ("pyproject.toml", "README.md", "LICENSE"):
                if (ROOT / name).exists():
                    shutil.copy2(ROOT / name, copy / name)
            for top in _SOURCES:
                shutil.copytree(ROOT / top, copy / top, ignore=_SKIP)
            if not python.exists():
                shutil.rmtree(venv, ignore_errors=True)
                _run([sys.executable, "-m", "venv", str(venv)])
                _run([str(python), "-m", "pip", "install", "-q", "setuptools>=68", "wheel"])
                # Dependencies once (with the package, resolved together like a user's install).
                _run([str(python), "-m", "pip", "install", "-q", f"{copy}[requests]", *USER_DEPS])
            else:
                _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                      "--no-build-isolation", str(copy)])
        stamp.write_text(source)
    return venv
