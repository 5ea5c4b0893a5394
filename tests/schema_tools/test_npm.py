"""The npm cache: installs once, safely when processes race, never leaves a half install.

A stand-in ``npm`` (a Python script) records each install, so these tests need no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fakelinear.schema_tools import npm

FAKE_NPM = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys, time
    from pathlib import Path
    args = sys.argv[1:]
    if args == ["--version"]:
        print("0.0.0-fake"); sys.exit(0)
    if args[:2] == ["config", "get"]:
        print("https://registry.example/"); sys.exit(0)
    assert args[0] == "install", args
    with open(os.environ["FAKE_NPM_LOG"], "a") as log:
        log.write(f"{{os.getpid()}}\\n")
    if os.environ.get("FAKE_NPM_FAIL"):
        print("npm ERR! 404 Not Found - GET https://registry.example/nope", file=sys.stderr)
        sys.exit(1)
    time.sleep(float(os.environ.get("FAKE_NPM_SLEEP", "0")))
    deps = json.loads(Path("package.json").read_text())["dependencies"]
    lock = {{"packages": {{}}}}
    for name, version in deps.items():
        version = os.environ.get("FAKE_NPM_VERSION", version)
        d = Path("node_modules", name)
        d.mkdir(parents=True)
        (d / "package.json").write_text(json.dumps({{"name": name, "version": version}}))
        lock["packages"]["node_modules/" + name] = {{"version": version, "integrity": "sha512-fake"}}
    Path("package-lock.json").write_text(json.dumps(lock))
    """
)


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "bin" / "npm"
    script.parent.mkdir()
    script.write_text(FAKE_NPM.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_NPM_LOG", str(tmp_path / "npm.log"))
    return script


def _installs(tmp_path: Path) -> int:
    log = tmp_path / "npm.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_installs_once_then_answers_from_the_cache(fake_npm: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = npm.install("@linear/sdk@98.0.0", cache, npm=str(fake_npm))
    assert first.directory == cache / "@linear/sdk@98.0.0"
    assert json.loads((first.package_dir("@linear/sdk") / "package.json").read_text())["version"] == "98.0.0"
    assert first.resolved == {"@linear/sdk": {"version": "98.0.0", "resolved": "", "integrity": "sha512-fake"}}
    assert first.registry == "https://registry.example/"
    # Second time: no npm at all (a path that does not exist would fail if it ran).
    again = npm.install({"@linear/sdk": "98.0.0"}, cache, npm=str(tmp_path / "no-npm"))
    assert again == first
    assert _installs(tmp_path) == 1
    assert sorted(p.name for p in cache.iterdir()) == [".locks", ".staging", "@linear"]
    assert list((cache / ".staging").iterdir()) == []


def test_two_processes_asking_at_once_install_once(fake_npm: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = (
        "import sys; from fakelinear.schema_tools import npm; "
        f"i = npm.install({{'left-pad': '1.3.0', '@scope/b': '2.0.0'}}, {str(cache)!r}, npm={str(fake_npm)!r}); "
        "print(i.directory)"
    )
    env = {**os.environ, "FAKE_NPM_SLEEP": "0.5"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outs == [str(cache / "@scope/b@2.0.0+left-pad@1.3.0")] * 3
    assert _installs(tmp_path) == 1


def test_a_failed_install_leaves_nothing_that_looks_installed(
    fake_npm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("FAKE_NPM_FAIL", "1")
    with pytest.raises(npm.NpmError, match=r"(?s)failed \(exit 1\):.*404 Not Found"):
        npm.install("@linear/sdk@0.0.1", cache, npm=str(fake_npm))
    assert not (cache / "@linear/sdk@0.0.1").exists()
    assert list((cache / ".staging").iterdir()) == []
    monkeypatch.delenv("FAKE_NPM_FAIL")
    npm.install("@linear/sdk@0.0.1", cache, npm=str(fake_npm))
    assert _installs(tmp_path) == 2


def test_a_crashed_install_is_redone(fake_npm: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    leftover = cache / "@linear/sdk@98.0.0"
    (leftover / "node_modules").mkdir(parents=True)  # no marker: never finished
    inst = npm.install("@linear/sdk@98.0.0", cache, npm=str(fake_npm))
    assert (inst.directory / npm.MARKER).is_file()
    assert _installs(tmp_path) == 1


def test_a_different_installed_version_is_an_error(
    fake_npm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NPM_VERSION", "98.0.1")
    with pytest.raises(npm.NpmError, match="installed @linear/sdk@98.0.1, not 98.0.0"):
        npm.install("@linear/sdk@98.0.0", tmp_path / "cache", npm=str(fake_npm))
    assert not (tmp_path / "cache" / "@linear/sdk@98.0.0").exists()


def test_missing_npm_is_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(npm.NpmUnavailable, match="npm is not installed"):
        npm.install("@linear/sdk@98.0.0", tmp_path / "cache")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("@linear/sdk@^98.0.0", "pin an exact version"),
        ("@linear/sdk@latest", "pin an exact version"),
        ("@linear/sdk", "expected NAME@VERSION"),
        ("Bad Name@1.0.0", "not an npm package name"),
        ("1.0.0", "expected NAME@VERSION"),
        ({}, "no packages"),
    ],
)
def test_only_pinned_versions_of_valid_names(spec: str | dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        npm.parse_packages(spec)


def test_parse_packages_sorts_and_keeps_scopes() -> None:
    assert npm.parse_packages("@linear/sdk@98.0.0") == {"@linear/sdk": "98.0.0"}
    assert list(npm.parse_packages({"b": "1.0.0", "a": "2.0.0-rc.1"})) == ["a", "b"]


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FAKELINEAR_NPM_CACHE", str(tmp_path / "x"))
    assert npm.default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("FAKELINEAR_NPM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert npm.default_cache_dir() == tmp_path / "fakelinear" / "npm"
