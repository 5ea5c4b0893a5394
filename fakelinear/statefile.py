"""The ``--state`` file: an exclusive lock, atomic writes, validated reads.

* **One owner.** :meth:`StateFile.acquire` takes an exclusive ``flock`` on ``FILE.lock``
  (next to the state file, mode 0600, holding the owner's pid); a second fakelinear on the
  same file, in this process or another, gets :class:`StateFileInUse` and does not start.
  The lock file stays after exit (removing it would let two processes lock different
  inodes); the kernel releases the lock when the owner exits, even on ``kill -9``.
* **Atomic writes.** :meth:`StateFile.write` writes a temporary file in the same directory
  (``.FILE.<random>.tmp``), ``fsync``s it, renames it over the state file and ``fsync``s the
  directory, so a reader (or a restart after ``kill -9``) sees the old file or the new one,
  never half of one. A failed write removes its temporary file and raises ``OSError``.
* **No litter.** A ``kill -9`` during a write leaves its temporary file behind; once the lock
  is held, :meth:`StateFile.remove_stale_temp_files` deletes this file's leftovers (and the
  ``.state-*.tmp`` files of older fakelinear versions that are more than a minute old).
* **Clear errors.** :meth:`StateFile.read` returns ``None`` for a missing or empty file and
  otherwise a validated :class:`SavedState`; anything else is a :class:`StateFileError`
  whose message is one line naming the file and what is wrong with it.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakelinear.clock import MAX_TIMESTAMP

__all__ = [
    "STATE_FORMAT",
    "SavedState",
    "StateFile",
    "StateFileError",
    "StateFileInUse",
    "parse_state",
]

STATE_FORMAT = "fakelinear-state/1"
_LEGACY_TEMP_GLOB = ".state-*.tmp"
_LEGACY_TEMP_AGE = 60.0
_MAX_MESSAGE = 200


class StateFileError(ValueError):
    """A state file that cannot be used. ``str()`` is one line: the file, then the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        problem = " ".join(str(problem).split())
        if len(problem) > _MAX_MESSAGE:
            problem = problem[: _MAX_MESSAGE - 1] + "…"
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class StateFileInUse(StateFileError):
    """Another fakelinear holds the lock on this state file."""


@dataclass(frozen=True, slots=True)
class SavedState:
    """A validated state file: everything needed to continue where a server stopped."""

    seed: int
    clock: float
    virtual_clock: bool
    keys: tuple[tuple[str, str], ...]
    model: dict[str, Any]
    key_salt: str | None = None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads_strict(data: bytes | str) -> Any:
    """``json.loads`` that refuses ``NaN``/``Infinity`` (not JSON, and poison for clocks)."""
    return json.loads(data, parse_constant=_reject_constant)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number" if isinstance(value, int | float) else type(value).__name__
    )


def parse_state(data: Any, path: str | os.PathLike[str] = "state") -> SavedState:
    """Validate a decoded state file; :class:`StateFileError` names the first problem."""

    def bad(problem: str) -> StateFileError:
        return StateFileError(path, problem)

    if not isinstance(data, dict):
        raise bad(f"not a fakelinear state file (the top level is {_kind(data)}, not an object)")
    if data.get("format") != STATE_FORMAT:
        raise bad(f"not a fakelinear state file (format {data.get('format')!r}, expected {STATE_FORMAT!r})")
    seed = data.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise bad(f"'seed' must be an integer, found {_kind(seed)}")
    clock = data.get("clock")
    if isinstance(clock, bool) or not isinstance(clock, int | float) or not math.isfinite(clock):
        raise bad(f"'clock' must be a finite number of seconds, found {_kind(clock)}")
    if not 0 <= clock <= MAX_TIMESTAMP:
        raise bad(f"'clock' {clock!r} is outside 1970..9999")
    virtual = data.get("virtual_clock", False)
    if not isinstance(virtual, bool):
        raise bad(f"'virtual_clock' must be true or false, found {_kind(virtual)}")
    salt = data.get("key_salt")
    if salt is not None and not isinstance(salt, str):
        raise bad(f"'key_salt' must be a string, found {_kind(salt)}")
    model = data.get("model")
    if not isinstance(model, dict):
        raise bad(f"'model' must be an object, found {_kind(model)}")
    workspaces = model.get("workspaces")
    if not isinstance(workspaces, list):
        raise bad(f"'model.workspaces' must be a list of workspaces, found {_kind(workspaces)}")
    ids: set[str] = set()
    for index, row in enumerate(workspaces):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise bad(f"'model.workspaces[{index}]' is not a workspace (an object with an 'id')")
        ids.add(row["id"])
    raw_keys = data.get("keys")
    if not isinstance(raw_keys, list):
        raise bad(f"'keys' must be a list of [key, workspace id] pairs, found {_kind(raw_keys)}")
    keys: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, pair in enumerate(raw_keys):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(part, str) and part for part in pair)
        ):
            raise bad(f"'keys[{index}]' is not a [key, workspace id] pair of strings")
        key, workspace_id = pair
        if key in seen:
            raise bad(f"'keys[{index}]' repeats an earlier key")
        if workspace_id not in ids:
            raise bad(f"'keys[{index}]' names workspace {workspace_id[:40]!r}, which is not in 'model.workspaces'")
        seen.add(key)
        keys.append((key, workspace_id))
    return SavedState(seed, float(clock), virtual, tuple(keys), model, salt)


class StateFile:
    """One state file on disk (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_fd: int | None = None

    # -- ownership ------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """True while this object holds the lock."""
        return self._lock_fd is not None

    def acquire(self) -> None:
        """Take the exclusive lock (creating the directory if needed) or raise
        :class:`StateFileInUse` / :class:`StateFileError`."""
        if self._lock_fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateFileError(self.path, f"cannot create the lock file: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = _read_pid(fd)
            os.close(fd)
            who = f" (pid {owner})" if owner else ""
            raise StateFileInUse(
                self.path, f"already in use by another fakelinear{who}; stop it or use another --state file"
            ) from exc
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def release(self) -> None:
        """Give the lock back (idempotent)."""
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(fd)

    def remove_stale_temp_files(self) -> list[Path]:
        """Delete temporary files a crashed writer left behind; returns what was removed.
        Call only while holding the lock (no live writer of this file exists then)."""
        removed: list[Path] = []
        directory = self.path.parent
        mine = glob.glob(os.path.join(glob.escape(str(directory)), glob.escape(f".{self.path.name}.") + "*.tmp"))
        legacy = glob.glob(os.path.join(glob.escape(str(directory)), _LEGACY_TEMP_GLOB))
        now = time.time()
        for name in mine + legacy:
            candidate = Path(name)
            try:
                if name in legacy and now - candidate.stat().st_mtime < _LEGACY_TEMP_AGE:
                    continue  # maybe another (old) fakelinear's write in progress
                candidate.unlink()
                removed.append(candidate)
            except OSError:
                continue
        return removed

    # -- content --------------------------------------------------------------------------
    def read(self) -> tuple[SavedState, bytes] | None:
        """The validated state and its raw bytes, or None when the file is missing or
        empty (a new file); :class:`StateFileError` for anything unusable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(self.path, f"cannot read: {exc.strerror or exc}") from exc
        if not raw:
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StateFileError(self.path, f"not UTF-8 text (byte {exc.start})") from exc
        try:
            data = loads_strict(text)
        except RecursionError as exc:
            raise StateFileError(self.path, "nested too deeply to be a fakelinear state file") from exc
        except ValueError as exc:
            raise StateFileError(self.path, f"not valid JSON: {exc}") from exc
        return parse_state(data, self.path), raw

    @staticmethod
    def encode(state: dict[str, Any]) -> bytes:
        """The bytes :meth:`write` stores for ``state`` (compact JSON)."""
        return json.dumps(state, separators=(",", ":"), allow_nan=False).encode()

    def write(self, payload: bytes) -> None:
        """Replace the file with ``payload`` atomically and durably (``OSError`` on failure;
        the old file is then untouched and no temporary file is left)."""
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        # The rename itself must reach the disk, or a crash could bring the old file back.
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
