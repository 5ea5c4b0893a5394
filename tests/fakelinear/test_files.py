"""write_atomically: all or nothing, no temporary file left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fakelinear.files import write_atomically


def test_writes_with_the_mode_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "pool.txt"
    write_atomically(target, "a;b\n", mode=0o600)
    assert target.read_text() == "a;b\n" and oct(target.stat().st_mode & 0o777) == "0o600"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ready"
    target.write_text("old")

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "new")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["ready"]
