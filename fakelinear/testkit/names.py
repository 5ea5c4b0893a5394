"""Unique test names and their retry mutations.

Linear's phantom "conflict on insert" sticks to the request body: re-sending the same body
keeps failing, a body with another name passes. So every retry of a create changes the name,
``<original> retry-<6 hex>``, always built from the *original* (never ``retry-a retry-b``).
Only names that start with ``[test]`` are touched, so ids, keys and user text never are.

Randomness: by default from :mod:`secrets`. Inside :func:`seeded` (the pytest plugin enters it
for every test with ``--fault-seed`` and the test's node id) every name, retry suffix and team
key comes from a stream seeded by those two, so a test re-run alone picks the same names and
sends the same request bodies.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import re
import secrets
import threading
from collections.abc import Iterator

__all__ = [
    "TEST_PREFIX",
    "unique_name",
    "retry_name",
    "original_name",
    "is_test_name",
    "random_hex",
    "seeded",
    "begin_seeded",
    "current_scope",
]

TEST_PREFIX = "[test]"
_RETRY_SUFFIX = re.compile(r"^(?P<original>.*?)(?: retry-[0-9a-f]{6})+$")


def is_test_name(name: str | None) -> bool:
    """True for names the harness made (and may therefore mutate or delete)."""
    return name is not None and name.startswith(TEST_PREFIX)


_lock = threading.Lock()
_stream: random.Random | None = None
_scope: tuple[object, str] | None = None


def _seeded_random(seed: object, scope: str) -> random.Random:
    digest = hashlib.sha256(f"{seed!r}\x1f{scope}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def begin_seeded(seed: object | None, scope: str = "") -> None:
    """From now on draw from a stream seeded by ``seed`` and ``scope`` (restarted when called
    again with the same values); ``seed=None`` goes back to :mod:`secrets`."""
    global _stream, _scope
    with _lock:
        if seed is None:
            _stream, _scope = None, None
        else:
            _stream, _scope = _seeded_random(seed, scope), (seed, scope)


def current_scope() -> tuple[object, str] | None:
    """``(seed, scope)`` of the stream in use, None when drawing from :mod:`secrets`."""
    return _scope


@contextlib.contextmanager
def seeded(seed: object, scope: str = "") -> Iterator[None]:
    """Draw from a stream seeded by ``seed`` and ``scope`` inside the block."""
    global _stream, _scope
    with _lock:
        saved = (_stream, _scope)
    begin_seeded(seed, scope)
    try:
        yield
    finally:
        with _lock:
            _stream, _scope = saved


def random_hex(nbytes: int) -> str:
    """``2 * nbytes`` hex characters: from the seeded stream inside :func:`seeded`, else
    from :mod:`secrets`."""
    with _lock:
        if _stream is not None:
            return _stream.getrandbits(8 * nbytes).to_bytes(nbytes, "big").hex()
    return secrets.token_hex(nbytes)


def unique_name(kind: str) -> str:
    """``[test] <kind> <8 hex>``."""
    return f"{TEST_PREFIX} {kind} {random_hex(4)}"


def original_name(name: str) -> str:
    """``name`` without any ``retry-`` suffixes."""
    match = _RETRY_SUFFIX.match(name)
    return match.group("original") if match else name


def retry_name(name: str) -> str:
    """A fresh retry variant of ``name`` (only for ``[test]`` names; others come back as is)."""
    if not is_test_name(name):
        return name
    return f"{original_name(name)} retry-{random_hex(3)}"
