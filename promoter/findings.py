"""Findings: what an upstream check reports, and what the store remembers about it.

A finding is identified by ``sha256("class|ref_id|kind")`` (hex). The id is embedded in the
body of the Linear issue filed for it, in a stable machine-findable line
``finding-id: v1:<hex>`` (see :func:`finding_marker` and :func:`parse_finding_id`), so the
reconciler and idempotent mode can tell which issue belongs to which finding.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: Version tag of the marker line embedded in issue bodies.
MARKER_VERSION = "v1"
_MARKER_RE = re.compile(r"^finding-id: v1:([0-9a-f]{64})\s*$", re.MULTILINE)


def finding_id(cls: str, ref_id: str, kind: str) -> str:
    """``sha256("class|ref_id|kind")`` as lower-case hex (64 characters)."""
    return hashlib.sha256(f"{cls}|{ref_id}|{kind}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation reported by a check in a cycle."""

    cls: str
    ref_id: str
    kind: str
    title: str
    detail: str = ""

    @property
    def finding_id(self) -> str:
        """The stable id of this finding (see :func:`finding_id`)."""
        return finding_id(self.cls, self.ref_id, self.kind)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as the store knows it: streak, first/last seen, and its linked issue."""

    finding_id: str
    cls: str
    ref_id: str
    kind: str
    title: str
    detail: str
    streak: int
    first_seen: float
    last_seen: float
    issue_id: str | None = None
    identifier: str | None = None

    @property
    def linked(self) -> bool:
        """True once an issue id has been written back."""
        return self.issue_id is not None

    def as_finding(self) -> Finding:
        """The plain :class:`Finding` (without store state)."""
        return Finding(self.cls, self.ref_id, self.kind, self.title, self.detail)


def finding_marker(fid: str) -> str:
    """The machine-findable line embedded in issue bodies."""
    return f"finding-id: {MARKER_VERSION}:{fid}"


def parse_finding_id(description: str | None) -> str | None:
    """The finding id carried by an issue body, or None."""
    if not description:
        return None
    m = _MARKER_RE.search(description)
    return m.group(1) if m else None


def issue_title(f: StoredFinding | Finding) -> str:
    """Issue title for a finding."""
    return f"[{f.cls}] {f.title}"[:250]


def issue_body(f: StoredFinding | Finding) -> str:
    """Issue body: a readable summary plus the stable ``finding-id`` marker line."""
    fid = f.finding_id
    lines = [f"**{f.title}**", ""]
    if f.detail:
        lines += [f.detail, ""]
    lines += [
        "---",
        f"Class: `{f.cls}` · Ref: `{f.ref_id}` · Kind: `{f.kind}`",
    ]
    if isinstance(f, StoredFinding):
        lines.append(f"Seen {f.streak} cycles in a row.")
    lines += ["", finding_marker(fid)]
    return "\n".join(lines)
