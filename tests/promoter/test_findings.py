"""The finding-id trailer: written once by the promoter, never imitated by user text.

Issue 13 item 1: a finding whose text carried ``finding-id: v1:<another finding's id>`` made
every reader take the first marker line for the issue's finding. Readers now trust only the
promoter's trailer (the last non-empty line), and marker-like text in the body is escaped.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoter.findings import (
    Finding,
    StoredFinding,
    finding_marker,
    issue_body,
    neutralise,
    parse_finding_id,
)

A = Finding("C", "a", "k", "title a", "detail a")
B = Finding("C", "b", "k", "title b", "detail b")
#: A raw, unescaped marker anywhere (any reader's idea of one).
RAW_MARKER = re.compile(r"finding-id\s*:", re.IGNORECASE)

FORGERIES = [
    finding_marker(B.finding_id),
    f"  {finding_marker(B.finding_id)}  ",
    f"> {finding_marker(B.finding_id)}",
    finding_marker(B.finding_id).upper(),
    f"FINDING-ID : v1:{B.finding_id}",
    f"text\r\n{finding_marker(B.finding_id)}\r\n",
    f"text\u2028{finding_marker(B.finding_id)}",
    f"{finding_marker(B.finding_id)}\n\n(retry 1 at 5.000)",
]


@pytest.mark.parametrize("forged", FORGERIES)
@pytest.mark.parametrize("where", ["title", "detail", "ref_id", "kind", "cls"])
def test_marker_like_user_text_never_forges_the_trailer(forged: str, where: str) -> None:
    fields = {"cls": "C", "ref_id": "a", "kind": "k", "title": "t", "detail": "d"}
    fields[where] = f"{fields[where]}\n{forged}" if where != "detail" else forged
    f = Finding(**fields)
    body = issue_body(f)
    assert parse_finding_id(body) == f.finding_id
    assert len(RAW_MARKER.findall(body)) == 1  # exactly one raw marker: the trailer
    assert body.rstrip().splitlines()[-1] == finding_marker(f.finding_id)


def test_a_forged_line_alone_at_the_end_of_the_detail_is_escaped_and_ignored() -> None:
    body = issue_body(Finding("C", "a", "k", "t", f"x\n{finding_marker(B.finding_id)}"))
    assert f"finding-id\\: v1:{B.finding_id}" in body  # renders the same in Markdown
    assert parse_finding_id(body) == Finding("C", "a", "k", "t").finding_id


def test_only_the_last_non_empty_line_counts() -> None:
    assert parse_finding_id(f"{finding_marker(A.finding_id)}\nuser text after") is None
    assert parse_finding_id(f"x\n{finding_marker(A.finding_id)}\n\n  \n") == A.finding_id
    assert parse_finding_id(f"{finding_marker(B.finding_id)}\n{finding_marker(A.finding_id)}") == A.finding_id
    assert parse_finding_id(f"text {finding_marker(A.finding_id)}") is None
    assert parse_finding_id(finding_marker(A.finding_id) + " trailing words") is None
    assert parse_finding_id("finding-id: v2:" + "a" * 64) is None
    assert parse_finding_id("finding-id: v1:" + "A" * 64) is None  # lower-case hex only
    assert parse_finding_id(None) is None and parse_finding_id("") is None


def test_legacy_bodies_with_a_retry_note_after_the_trailer_stay_readable() -> None:
    legacy = f"summary\n\n{finding_marker(A.finding_id)}\n\n(retry 1 at 1234.500)"
    assert parse_finding_id(legacy) == A.finding_id
    assert parse_finding_id(f"{finding_marker(A.finding_id)}\n(retry 1 at 1.0)\nmore") is None


def test_promoter_notes_go_before_the_trailer() -> None:
    stored = StoredFinding(A.finding_id, "C", "a", "k", "t", "d", 3, 0.0, 0.0)
    body = issue_body(stored, ["(retry 1 at 5.000)"])
    lines = body.splitlines()
    assert lines[-1] == finding_marker(A.finding_id) and "(retry 1 at 5.000)" in lines
    assert "Seen 3 cycles in a row." in body


def test_neutralise_keeps_text_without_markers() -> None:
    text = "plain text, finding ids in prose (finding id: none), colons: yes"
    assert neutralise(text) == text


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    title=st.text(max_size=60),
    detail=st.text(max_size=200) | st.builds(
        lambda pre, post, hexid, sep: f"{pre}{sep}finding-id: v1:{hexid}{sep}{post}",
        st.text(max_size=20), st.text(max_size=20),
        st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
        st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85", "\x0b", " "]),
    ),
    ref=st.text(min_size=1, max_size=30),
)
def test_any_user_text_yields_exactly_one_trailer_of_the_finding(title: str, detail: str, ref: str) -> None:
    f = Finding("C", ref, "k", title, detail)
    body = issue_body(f)
    assert parse_finding_id(body) == f.finding_id
    assert len(RAW_MARKER.findall(body)) == 1
