"""Team keys and identifiers: ``ENG``, ``ENG-42``."""

from __future__ import annotations

import re
import uuid

KEY_RE = re.compile(r"^[A-Z0-9]{1,5}$")
IDENTIFIER_RE = re.compile(r"^([A-Za-z0-9]{1,5})-(\d+)$")


def key_candidates(name: str) -> list[str]:
    """Keys to try for a team called ``name``, best first (initials, then prefixes,
    then numbered variants), all matching :data:`KEY_RE`."""
    words = [re.sub(r"[^A-Za-z0-9]", "", w).upper() for w in name.split()]
    words = [w for w in words if w]
    if not words:
        base = "TEAM"
    elif len(words) == 1:
        base = words[0][:3]
    else:
        base = "".join(w[0] for w in words)[:5]
        if len(base) < 2:
            base = words[0][:3]
    out = [base]
    if words and len(words[0]) > len(base):
        out.append(words[0][:4])
        out.append(words[0][:5])
    for n in range(1, 1000):
        suffix = str(n)
        out.append(base[: 5 - len(suffix)] + suffix)
    return out


def is_uuid(value: str) -> bool:
    """True for any canonical UUID string (Linear checks ids with class-validator's IsUUID)."""
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except (ValueError, AttributeError, TypeError):
        return False
