"""Guards: reverse-order deletes, even on failure; "already gone" ignored; failures reported."""

from __future__ import annotations

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.testkit.guards import CleanupError, Guards, guard
from promoter.linear import ForbiddenError, GatewayError, NotFoundError


class Recorder:
    """A client stand-in that records deletes and fails on demand."""

    def __init__(self, failures=None):
        self.calls: list[tuple[str, str]] = []
        self.failures = failures or {}

    def _delete(self, kind, ident, **kw):
        self.calls.append((kind, ident))
        error = self.failures.get(ident)
        if isinstance(error, list):
            if error:
                raise error.pop(0)
            return True
        if error is not None:
            raise error
        return True

    def __getattr__(self, name):
        if name.endswith("_delete"):
            kind = name[: -len("_delete")]
            return lambda ident, **kw: self._delete(kind, ident, **kw)
        raise AttributeError(name)


def fill(g: Guards):
    g.team("team-1")
    g.project("project-1")
    g.document("doc-1")
    g.label("label-1")
    g.issue("issue-1")
    g.comment("comment-1")
    g.relation("relation-1")


EXPECTED = [
    ("relation", "relation-1"),
    ("comment", "comment-1"),
    ("issue", "issue-1"),
    ("label", "label-1"),
    ("document", "doc-1"),
    ("project", "project-1"),
    ("team", "team-1"),
]


def test_reverse_creation_order():
    client = Recorder()
    with Guards(client, VirtualClock()) as g:
        fill(g)
    assert client.calls == EXPECTED


def test_delete_even_when_body_raises():
    client = Recorder()
    with pytest.raises(ValueError, match="test failed"), Guards(client, VirtualClock()) as g:
        fill(g)
        raise ValueError("test failed")
    assert client.calls == EXPECTED


def test_issue_guard_deletes_permanently():
    seen = {}

    class C:
        def issue_delete(self, ident, permanently=False):
            seen[ident] = permanently

    with Guards(C(), VirtualClock()) as g:
        g.issue("i")
    assert seen == {"i": True}


def test_already_deleted_is_fine():
    client = Recorder({"issue-1": NotFoundError("Entity not found: Issue")})
    with Guards(client, VirtualClock()) as g:
        fill(g)
    assert len(client.calls) == 7


def test_transient_delete_failures_are_retried():
    client = Recorder({"issue-1": [GatewayError(502, True), GatewayError(502, True)]})
    with Guards(client, VirtualClock()) as g:
        g.issue("issue-1")
    assert client.calls == [("issue", "issue-1")] * 3


def test_failures_reported_after_all_guards_ran():
    client = Recorder({"label-1": ForbiddenError("no"), "team-1": ForbiddenError("nope")})
    with pytest.raises(CleanupError) as info, Guards(client, VirtualClock()) as g:
        fill(g)
    assert client.calls == EXPECTED
    assert [f.what for f in info.value.failures] == ["label label-1", "team team-1"]


def test_failures_do_not_hide_the_test_failure():
    client = Recorder({"issue-1": ForbiddenError("cannot delete")})
    with (
        pytest.raises(ValueError, match="the real failure") as info,
        Guards(client, VirtualClock()) as g,
    ):
        fill(g)
        raise ValueError("the real failure")
    assert client.calls == EXPECTED
    assert any("cleanup also failed: issue issue-1" in note for note in info.value.__notes__)


def test_single_guard_context_manager():
    deleted = []
    with guard(lambda: deleted.append("x"), "thing x", clock=VirtualClock()):
        pass
    assert deleted == ["x"]
    with (
        pytest.raises(CleanupError),
        guard(lambda: (_ for _ in ()).throw(ForbiddenError("no")), "y"),
    ):
        pass


def test_guards_against_the_fake(offline):
    client, clock = offline.client, offline.clock
    with Guards(client, clock) as g:
        issue = g.issue(client.issue_create(offline.team.id, "[test] guarded 00000000"))
        comment = g.comment(client.comment_create(issue.id, "hello"))
        assert comment.issue_id == issue.id
    clock.advance(60)
    with pytest.raises(NotFoundError):
        client.issue(issue.id)
