"""Unique test names and their retry mutations.

Linear's phantom "conflict on insert" sticks to the request body: re-sending the same body
keeps failing, a body with another name passes. So every retry of a create changes the name,
``<original> retry-<6 hex>``, always built from the *original* (never ``retry-a retry-b``).
Only names that start with ``[test]`` are touched, so ids, keys and user text never are.
"""

from __future__ import annotations

import re
import secrets

__all__ = ["TEST_PREFIX", "unique_name", "retry_name", "original_name", "is_test_name"]

TEST_PREFIX = "[test]"
_RETRY_SUFFIX = re.compile(r"^(?P<original>.*?)(?: retry-[0-9a-f]{6})+$")


def is_test_name(name: str | None) -> bool:
    """True for names the harness made (and may therefore mutate or delete)."""
    return name is not None and name.startswith(TEST_PREFIX)


def unique_name(kind: str) -> str:
    """``[test] <kind> <8 hex>``."""
    return f"{TEST_PREFIX} {kind} {secrets.token_hex(4)}"


def original_name(name: str) -> str:
    """``name`` without any ``retry-`` suffixes."""
    match = _RETRY_SUFFIX.match(name)
    return match.group("original") if match else name


def retry_name(name: str) -> str:
    """A fresh retry variant of ``name`` (only for ``[test]`` names; others come back as is)."""
    if not is_test_name(name):
        return name
    return f"{original_name(name)} retry-{secrets.token_hex(3)}"
