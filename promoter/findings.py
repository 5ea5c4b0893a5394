"""Findings: what an upstream check reports, and what the store remembers about it.

A finding is identified by ``sha256("class|ref_id|kind")`` (hex). The id is embedded in the
body of the Linear issue filed for it as one **trailer** the promoter writes itself: the
last non-empty line of the body is exactly ``finding-id: v1:<hex>`` (see
:func:`issue_body` and :func:`parse_finding_id`). The reconciler, idempotent mode and the
scenario checker tell which issue belongs to which finding by that trailer alone.

User text (title, detail, and the class, ref and kind shown in the summary) can never
imitate it, for two independent reasons:

* readers trust only the last non-empty line, and the promoter always writes its trailer
  after every piece of user text;
* before the trailer is appended, every marker-like run in the body (``finding-id``, any
  case, optional blanks, then ``:``) is escaped to ``finding-id\\:`` (a CommonMark escape:
  it renders the same). So the body holds exactly one raw marker, the trailer, even for a
  reader that splits lines differently or if Linear ever cut a long body short.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Version tag of the trailer embedded in issue bodies.
MARKER_VERSION = "v1"
_TRAILER_RE = re.compile(r"finding-id: v1:([0-9a-f]{64})")
#: The note the promoter appended *after* the trailer before trailers were strict (an
#: idempotent retry after a phantom conflict). Accepted so issues filed then stay readable.
_LEGACY_RETRY_NOTE_RE = re.compile(r"\(retry \d+ at \d+(?:\.\d+)?\)")
#: Anything a reader might take for a marker: ``finding-id`` in any case, blanks, ``:``.
_MARKER_LIKE_RE = re.compile(r"(finding-id)(\s*):", re.IGNORECASE)
#: How much of a body's end holds the trailer (and a legacy retry note after it).
_TAIL_CHARS = 512


class InvalidFinding(ValueError):
    """A finding field that no store can keep (not a string, NUL, lone surrogate)."""


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
    """A finding as the store knows it: streak, first/last seen, its linked issue, and the
    fairness state (consecutive failed creates, cycles until the next try, parking)."""

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
    #: Consecutive failed creates since the last success or content change.
    failures: int = 0
    #: Cycles of its class to wait before the next try (0: may be tried now).
    retry_in: int = 0
    #: The last create error (text), if any.
    last_error: str | None = None
    #: Why it is parked (not tried again until un-parked or its content changes).
    parked_reason: str | None = None

    @property
    def linked(self) -> bool:
        """True once an issue id has been written back."""
        return self.issue_id is not None

    @property
    def parked(self) -> bool:
        """True while parked."""
        return self.parked_reason is not None

    def as_finding(self) -> Finding:
        """The plain :class:`Finding` (without store state)."""
        return Finding(self.cls, self.ref_id, self.kind, self.title, self.detail)


# -- what the stores accept ---------------------------------------------------------------

FIELDS = ("cls", "ref_id", "kind", "title", "detail")


def text_problem(value: object) -> str | None:
    """Why ``value`` cannot be stored as finding text (None when it can). Both stores keep
    exactly the same inputs: PostgreSQL cannot store NUL, neither can encode lone surrogates."""
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if "\x00" in value:
        return "contains a NUL character (U+0000), which the stores cannot keep"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    return None


def validate_finding(f: Finding) -> None:
    """Raise :class:`InvalidFinding` naming the finding and field a store cannot keep."""
    for name in FIELDS:
        problem = text_problem(getattr(f, name))
        if problem:
            ref = f.ref_id if isinstance(f.ref_id, str) and not text_problem(f.ref_id) else "?"
            raise InvalidFinding(f"finding {ref!r}: {name!r} {problem}")


def validate_findings(findings: Sequence[Finding]) -> None:
    """:func:`validate_finding` for a batch, fast for big ones: each field column is joined
    once and checked in C; only a bad batch is walked finding by finding."""
    try:
        for name in FIELDS:
            joined = "".join([getattr(f, name) for f in findings])
            if "\x00" in joined:
                raise InvalidFinding(name)
            joined.encode("utf-8")
    except (TypeError, UnicodeEncodeError, InvalidFinding):
        for f in findings:
            validate_finding(f)
        raise  # pragma: no cover - the walk above always finds the culprit


# -- the trailer -------------------------------------------------------------------------------


def finding_marker(fid: str) -> str:
    """The trailer line that ends every issue body the promoter writes."""
    return f"finding-id: {MARKER_VERSION}:{fid}"


def neutralise(text: str) -> str:
    """Escape every marker-like run in user text (``finding-id:`` → ``finding-id\\:``)."""
    return _MARKER_LIKE_RE.sub(r"\1\2\\:", text)


def parse_finding_id(description: str | None) -> str | None:
    """The finding id of the promoter's own trailer, or None.

    Only the last non-empty line counts, and it must be exactly the trailer (surrounding
    blanks aside). For issues filed before trailers were strict, a promoter retry note
    ``(retry N at T)`` after the trailer is also accepted.
    """
    if not description:
        return None
    lines = [line.strip() for line in description[-_TAIL_CHARS:].splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return None
    m = _TRAILER_RE.fullmatch(lines[-1])
    if m is None and len(lines) >= 2 and _LEGACY_RETRY_NOTE_RE.fullmatch(lines[-1]):
        m = _TRAILER_RE.fullmatch(lines[-2])
    return m.group(1) if m else None


def issue_title(f: StoredFinding | Finding) -> str:
    """Issue title for a finding."""
    return f"[{f.cls}] {f.title}"[:250]


def issue_body(f: StoredFinding | Finding, notes: Iterable[str] = ()) -> str:
    """Issue body: a readable summary (user text neutralised), the promoter's ``notes``, then
    the trailer as the last line."""
    lines = [f"**{f.title}**", ""]
    if f.detail:
        lines += [f.detail, ""]
    lines += [
        "---",
        f"Class: `{f.cls}` · Ref: `{f.ref_id}` · Kind: `{f.kind}`",
    ]
    if isinstance(f, StoredFinding):
        lines.append(f"Seen {f.streak} cycles in a row.")
    lines += list(notes)
    return neutralise("\n".join(lines)) + "\n\n" + finding_marker(f.finding_id)
