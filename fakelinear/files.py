"""Writing a small file so that no reader ever sees half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], content: str, *, mode: int | None = None) -> None:
    """Write ``content`` to a temporary file beside ``path``, fsync it, then rename it over
    ``path``; on any failure the temporary file is removed and the old file stays.
    ``mode`` sets the file's permissions before anything is written (e.g. 0o600 for keys)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
