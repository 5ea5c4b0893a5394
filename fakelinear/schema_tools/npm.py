"""Install pinned npm packages into a cache directory, once, safely under concurrency.

``install({"@linear/sdk": "98.0.0"}, cache_root)`` puts the packages in
``cache_root/@linear/sdk@98.0.0/node_modules`` and returns an :class:`Installation`. The
first caller runs ``npm install`` in a staging directory under an exclusive file lock and
renames it into place, writing a marker file last, so a crash leaves nothing that looks
installed; later callers (other processes, pytest-xdist workers) find the marker and return
at once without running npm. Versions must be exact (``98.0.0``), never ranges.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MARKER",
    "Installation",
    "NpmError",
    "NpmUnavailable",
    "default_cache_dir",
    "install",
    "parse_packages",
]

MARKER = ".fakelinear-installed.json"
_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


class NpmError(RuntimeError):
    """An install failed; the message carries npm's last lines of output."""


class NpmUnavailable(NpmError):
    """npm (or node) is not on PATH."""


@dataclass(frozen=True)
class Installation:
    """An installed package set: its directory and what npm resolved."""

    directory: Path
    packages: dict[str, str]
    resolved: dict[str, dict[str, str]]  # name -> {"version", "resolved", "integrity"}
    registry: str = ""

    def package_dir(self, name: str) -> Path:
        """Where package ``name`` is (``<directory>/node_modules/<name>``)."""
        return self.directory / "node_modules" / name


def default_cache_dir() -> Path:
    """``$FAKELINEAR_NPM_CACHE``, else ``$XDG_CACHE_HOME/fakelinear/npm`` (``~/.cache``)."""
    env = os.environ.get("FAKELINEAR_NPM_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fakelinear" / "npm"


def parse_packages(spec: str | Mapping[str, str]) -> dict[str, str]:
    """``"@linear/sdk@98.0.0"`` (or a mapping) as ``{name: version}``, checked."""
    if isinstance(spec, str):
        name, sep, version = spec.rpartition("@")
        if not sep or not name:
            raise ValueError(f"{spec!r}: expected NAME@VERSION")
        packages = {name: version}
    else:
        packages = dict(spec)
    if not packages:
        raise ValueError("no packages to install")
    for name, version in packages.items():
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not an npm package name")
        if not _VERSION.match(version):
            raise ValueError(f"{name}@{version}: pin an exact version (like 98.0.0), not a range")
    return dict(sorted(packages.items()))


def _key(packages: Mapping[str, str]) -> str:
    return "+".join(f"{n}@{v}" for n, v in packages.items())


def _read_marker(directory: Path) -> dict[str, Any] | None:
    try:
        return json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise NpmError(f"timed out after {timeout:.0f}s waiting for {path}") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def install(
    packages: str | Mapping[str, str],
    cache_root: str | os.PathLike[str] | None = None,
    *,
    npm: str | None = None,
    timeout: float = 600.0,
) -> Installation:
    """Install ``packages`` (pinned) under ``cache_root`` unless already there.

    Raises :class:`NpmUnavailable` when npm is missing and :class:`NpmError` when the install
    fails (network, unknown version ...); nothing is left that looks installed then.
    """
    wanted = parse_packages(packages)
    root = Path(cache_root) if cache_root is not None else default_cache_dir()
    key = _key(wanted)
    target = root / key
    marker = _read_marker(target)
    if marker is not None:
        return _installation(target, wanted, marker)

    npm_path = npm or shutil.which("npm")
    if npm_path is None:
        raise NpmUnavailable("npm is not installed (not on PATH)")
    lock = root / ".locks" / (hashlib.sha256(key.encode()).hexdigest()[:16] + ".lock")
    with _locked(lock, timeout):
        marker = _read_marker(target)
        if marker is not None:
            return _installation(target, wanted, marker)
        if target.exists():  # a crashed install: no marker, so never used
            shutil.rmtree(target)
        staging = root / ".staging" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            marker = _npm_install(npm_path, staging, wanted, timeout)
            (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return _installation(target, wanted, marker)


def _npm_install(npm: str, directory: Path, wanted: dict[str, str], timeout: float) -> dict[str, Any]:
    manifest = {"name": "fakelinear-npm-cache", "private": True, "dependencies": wanted}
    (directory / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    cmd = [
        npm, "install", "--ignore-scripts", "--no-audit", "--no-fund",
        "--no-update-notifier", "--loglevel=error",
    ]
    try:
        proc = subprocess.run(
            cmd, cwd=directory, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise NpmError(f"npm install {_key(wanted)} took more than {timeout:.0f}s") from exc
    except OSError as exc:
        raise NpmUnavailable(f"cannot run npm: {exc}") from exc
    if proc.returncode != 0:
        raise NpmError(
            f"npm install {_key(wanted)} failed (exit {proc.returncode}):\n"
            + _tail(proc.stderr or proc.stdout)
        )
    lock = json.loads((directory / "package-lock.json").read_text(encoding="utf-8"))
    resolved: dict[str, dict[str, str]] = {}
    for name, version in wanted.items():
        entry = lock.get("packages", {}).get(f"node_modules/{name}", {})
        if entry.get("version") != version:
            raise NpmError(f"npm installed {name}@{entry.get('version')}, not {version}")
        resolved[name] = {
            "version": version,
            "resolved": entry.get("resolved", ""),
            "integrity": entry.get("integrity", ""),
        }
    def ask(*args: str) -> str:
        out = subprocess.run([npm, *args], cwd=directory, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    return {
        "packages": wanted,
        "resolved": resolved,
        "registry": ask("config", "get", "registry"),
        "npm": ask("--version"),
    }


def _installation(directory: Path, wanted: dict[str, str], marker: dict[str, Any]) -> Installation:
    return Installation(
        directory, wanted, dict(marker.get("resolved", {})), str(marker.get("registry", ""))
    )
