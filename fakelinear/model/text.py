"""Slugs and URLs the way Linear shapes them."""

from __future__ import annotations

import re

_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """``"Fix the login loop!"`` -> ``"fix-the-login-loop"`` (at most 60 characters)."""
    if text.isascii():
        return _NOT_ASCII_ALNUM.sub("-", text.lower()).strip("-")[:60] or "untitled"
    out = "".join([c.lower() if c.isalnum() else "-" for c in text])
    return "-".join([p for p in out.split("-") if p])[:60] or "untitled"


def slug_id(entity_id: str) -> str:
    """The short id Linear appends to project and document URLs."""
    return entity_id.replace("-", "")[:12]
