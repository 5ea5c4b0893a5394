"""The ``--state`` file (fakelinear/statefile.py): lock, validation, stale temp files.

Regression tests for issue 12, breaks 3 and 5: a second fake on the same file used to start
and lose acknowledged writes; damaged files gave tracebacks or started half-restored; temp
files of a killed writer were never removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakelinear.cli import main
from fakelinear.handler import FakeLinear
from fakelinear.statefile import StateFile, StateFileError, StateFileInUse


def _good_state(tmp_path: Path) -> dict:
    path = tmp_path / "good.json"
    with FakeLinear(seed=3, workspaces=2, state_file=path):
        pass
    return json.loads(path.read_text())


def _damaged(tmp_path: Path) -> list[tuple[str, bytes, str]]:
    good = _good_state(tmp_path)

    def variant(**changes: object) -> bytes:
        data = json.loads(json.dumps(good))
        for dotted, value in changes.items():
            target = data
            *parents, last = dotted.split("__")
            for name in parents:
                target = target[name]
            target[last] = value
        return json.dumps(data).encode()

    first_ws = good["model"]["workspaces"][0]
    return [
        ("a list", b"[]", "the top level is a list"),
        ("null", b"null", "the top level is null"),
        ("model null", variant(model=None), "'model' must be an object, found null"),
        ("keys not pairs", variant(keys=[["only-one"]]), "'keys[0]' is not a [key, workspace id] pair"),
        ("keys strings", variant(keys=["abc", "def"]), "'keys[0]' is not a [key, workspace id] pair"),
        ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("workspaces a dict", variant(model__workspaces={first_ws["id"]: first_ws}), "'model.workspaces' must be a list"),
        ("clock Infinity", variant(clock=0).replace(b'"clock": 0', b'"clock": Infinity'), "Infinity is not a JSON number"),
        ("clock NaN", variant(clock=0).replace(b'"clock": 0', b'"clock": NaN'), "NaN is not a JSON number"),
        ("clock 1e308", variant(clock=1e308), "outside 1970..9999"),
        ("clock a string", variant(clock="soon"), "'clock' must be a finite number"),
        ("seed a string", variant(seed="7"), "'seed' must be an integer"),
        ("not JSON", b"{nope", "not valid JSON"),
        ("not UTF-8", b'{"format": "\xff"}', "not UTF-8"),
        ("other format", b'{"format": "other"}', "not a fakelinear state file"),
        ("key of a missing workspace", variant(keys=[["lin_api_x", "no-such-workspace"]]), "which is not in 'model.workspaces'"),
        ("repeated key", variant(keys=[good["keys"][0], [good["keys"][0][0], good["keys"][1][1]]]), "repeats an earlier key"),
        ("workspace rows garbage", variant(model__workspaces=[{"id": first_ws["id"], "entities": 7}, good["model"]["workspaces"][1]]), "model: "),
    ]


def test_damaged_files_are_a_one_line_error_naming_the_problem(tmp_path: Path) -> None:
    for name, content, needle in _damaged(tmp_path):
        path = tmp_path / f"{name.replace(' ', '-')}.json"
        path.write_bytes(content)
        with pytest.raises(StateFileError) as info:
            FakeLinear(state_file=path)
        message = str(info.value)
        assert "\n" not in message and message.startswith(f"{path}: "), (name, message)
        assert needle in message, (name, message)
        assert len(message) < len(str(path)) + 250, (name, message)
        # Refused means let go: the file is not left locked.
        with pytest.raises(StateFileError) as again:
            FakeLinear(state_file=path)
        assert not isinstance(again.value, StateFileInUse)


def test_the_cli_reports_a_damaged_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda *a, **k: pytest.fail("served a damaged state file"))
    path = tmp_path / "state.json"
    path.write_text('{"format": "fakelinear-state/1", "seed": 0, "clock": 0, "keys": [], "model": null}')
    assert main(["serve", "--state", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"fakelinear: error: cannot start: {path}: 'model' must be an object, found null"


def test_one_fake_per_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = FakeLinear(state_file=path)
    with pytest.raises(StateFileInUse, match=f"already in use by another fakelinear \\(pid {os.getpid()}\\)"):
        FakeLinear(state_file=path)
    first.close()
    with FakeLinear(state_file=path) as second:
        assert second.tokens == first.tokens
    assert oct((tmp_path / "state.json.lock").stat().st_mode & 0o777) == "0o600"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_second_serve_on_the_same_state_file_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    holder = FakeLinear(state_file=path)  # another "process" holding it: same lock semantics
    try:
        out = subprocess.run(
            [sys.executable, "-m", "fakelinear", "serve", "--state", str(path)],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        holder.close()
    assert out.returncode == 2 and out.stdout == ""
    assert f"{path}: already in use by another fakelinear (pid {os.getpid()})" in out.stderr
    assert "Traceback" not in out.stderr


def test_stale_temp_files_are_removed_at_start(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with FakeLinear(state_file=path):
        pass
    mine = tmp_path / ".state.json.k9x2.tmp"  # what a kill -9 mid-write leaves
    old_style = tmp_path / ".state-a1b2c3.tmp"  # older versions' name
    fresh_old_style = tmp_path / ".state-busy.tmp"  # maybe another old server's write in progress
    other = tmp_path / ".other.json.zz.tmp"  # another state file's
    for stale in (mine, old_style, fresh_old_style, other):
        stale.write_text("{")
    hour_ago = time.time() - 3600
    os.utime(old_style, (hour_ago, hour_ago))
    with FakeLinear(state_file=path):
        pass
    assert not mine.exists() and not old_style.exists()
    assert fresh_old_style.exists() and other.exists()


def test_writes_are_atomic_and_leave_no_temp_files(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "s.json")
    state.acquire()
    try:
        for n in range(3):
            state.write(json.dumps({"n": n}).encode())
        assert json.loads((tmp_path / "s.json").read_text()) == {"n": 2}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.json.lock"]
    finally:
        state.release()
