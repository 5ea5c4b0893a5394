"""npm packages and node scripts for tests (the official @linear/sdk, webhook tooling ...).

``node_packages("@linear/sdk@98.0.0")`` installs a pinned package set into
``<repo>/.cache/npm/<name>@<version>/`` (gitignored) once per checkout: the first caller runs
npm under a file lock, so two xdist workers asking at once install once; later calls return
at once. When node or npm is missing, or the install fails (no network), the test is skipped
with the reason, unless ``FAKELINEAR_REQUIRE_NODE=1`` (CI), where it fails instead.

``packages.run(script, env=...)`` runs ``node`` on a script placed inside the install
directory (so ``import "@linear/sdk"`` resolves) and returns the JSON it prints.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from fakelinear.schema_tools import npm

__all__ = [
    "CACHE_DIR",
    "REQUIRE_ENV",
    "NodePackages",
    "NodeScriptError",
    "node_packages",
    "node_unavailable",
]

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO / ".cache" / "npm"
REQUIRE_ENV = "FAKELINEAR_REQUIRE_NODE"


class NodeScriptError(AssertionError):
    """A node script failed or printed something that is not JSON."""


def node_unavailable(reason: str) -> NoReturn:
    """Skip (or fail, when ``FAKELINEAR_REQUIRE_NODE=1``) because node/npm cannot be used."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class NodePackages:
    """An installed package set and a way to run node scripts against it."""

    installation: npm.Installation
    node: str

    @property
    def directory(self) -> Path:
        """The install directory (holds ``node_modules``)."""
        return self.installation.directory

    def package_dir(self, name: str) -> Path:
        """``node_modules/<name>`` of this set."""
        return self.installation.package_dir(name)

    def run(
        self,
        script: str | Path,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        timeout: float = 120.0,
        stdin: str | None = None,
    ) -> Any:
        """Run a node script (source text or a path) and return the JSON it prints.

        The script is copied into the install directory as an ``.mjs`` module so that its
        imports resolve there; stdout must be one JSON value (stderr is kept for errors).
        ``env`` adds to the current environment.
        """
        source = script.read_text(encoding="utf-8") if isinstance(script, Path) else script
        scratch = self.directory / ".scripts"
        scratch.mkdir(exist_ok=True)
        path = scratch / f"{uuid.uuid4().hex}.mjs"
        path.write_text(source, encoding="utf-8")
        try:
            proc = subprocess.run(
                [self.node, str(path), *args],
                cwd=self.directory,
                env={**os.environ, **(env or {})},
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise NodeScriptError(f"node script timed out after {timeout:.0f}s") from exc
        finally:
            path.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise NodeScriptError(
                f"node exited with {proc.returncode}\n--- stderr ---\n{proc.stderr[-4000:]}"
                f"\n--- stdout ---\n{proc.stdout[-2000:]}"
            )
        try:
            return json.loads(proc.stdout)
        except ValueError:
            raise NodeScriptError(
                f"node printed no JSON\n--- stdout ---\n{proc.stdout[-2000:]}"
                f"\n--- stderr ---\n{proc.stderr[-2000:]}"
            ) from None


_installed: dict[str, NodePackages] = {}


def node_packages(
    packages: str | Mapping[str, str], *, cache_dir: Path | None = None
) -> NodePackages:
    """Install (once) and return a pinned package set, or skip/fail the calling test."""
    wanted = npm.parse_packages(packages)
    key = json.dumps([str(cache_dir or CACHE_DIR), wanted])
    if key in _installed:
        return _installed[key]
    node = shutil.which("node")
    if node is None:
        node_unavailable("node is not installed (not on PATH)")
    try:
        installation = npm.install(wanted, cache_dir or CACHE_DIR)
    except npm.NpmUnavailable as exc:
        node_unavailable(str(exc))
    except npm.NpmError as exc:
        node_unavailable(f"cannot install {', '.join(f'{n}@{v}' for n, v in wanted.items())}: {exc}")
    result = NodePackages(installation, node)
    _installed[key] = result
    return result
