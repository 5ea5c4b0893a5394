"""The reconciler: link to the oldest live issue, mark the rest duplicate, fail closed."""

from __future__ import annotations

import pytest

from promoter.findings import Finding, finding_marker
from promoter.linear.errors import GatewayError
from promoter.reconciler import ReconcileAborted, Reconciler
from promoter.store.sqlite import SQLiteFindingStore
from tests.promoter.fakes import FakeClient

A = Finding("C", "a", "k", "A", "")
B = Finding("C", "b", "k", "B", "")


@pytest.fixture
def env() -> tuple[SQLiteFindingStore, FakeClient]:
    store = SQLiteFindingStore()
    store.observe("C", [A, B])
    return store, FakeClient()


def body(f: Finding) -> str:
    return f"summary\n\n{finding_marker(f.finding_id)}"


WRITES = {"relation_create", "issue_update"}


def test_links_oldest_live_and_marks_the_others_duplicate(env) -> None:
    store, client = env
    old = client.add_issue(body(A), created_at="2026-01-01T00:00:01.000Z")
    new = client.add_issue(body(A), created_at="2026-01-01T00:00:02.000Z")
    client.add_issue("no marker")
    report = Reconciler(store, client, client.team_id, page_size=2).run()
    assert (report.linked, report.duplicates_marked, report.repairs) == (1, 1, 2)
    assert report.issues_read == 3 and report.carrying == 2
    assert store.get(A.finding_id).issue_id == old.id
    assert client.relations == [(new.id, old.id, "duplicate")]
    assert client.issues_by_id[new.id].state_type == "canceled"
    assert client.issues_by_id[old.id].state_type == "unstarted"
    again = Reconciler(store, client, client.team_id).run()
    assert again.repairs == 0


def test_trashed_and_archived_issues_are_not_live(env) -> None:
    store, client = env
    client.add_issue(body(A), trashed=True)
    client.add_issue(body(A), archived_at="2026-01-01T00:00:00.000Z")
    live = client.add_issue(body(A))
    report = Reconciler(store, client, client.team_id).run()
    assert report.linked == 1 and report.duplicates_marked == 0
    assert store.get(A.finding_id).issue_id == live.id


def test_an_existing_live_link_stays_canonical(env) -> None:
    store, client = env
    client.add_issue(body(A))
    linked = client.add_issue(body(A))
    store.set_linear_issue_id(A.finding_id, linked.id, linked.identifier)
    report = Reconciler(store, client, client.team_id).run()
    assert report.linked == 0 and report.duplicates_marked == 1
    assert client.relations[0][1] == linked.id


def test_unknown_findings_are_reported_not_linked(env) -> None:
    store, client = env
    client.add_issue(finding_marker("f" * 64))
    report = Reconciler(store, client, client.team_id).run()
    assert report.unknown_findings == 1 and report.repairs == 0


def test_read_error_aborts_without_changes(env) -> None:
    store, client = env
    for _ in range(3):
        client.add_issue(body(A))
    client.fail_reads = [GatewayError(502, True)]
    with pytest.raises(ReconcileAborted):
        Reconciler(store, client, client.team_id, page_size=1).run()
    assert not WRITES & set(client.calls)
    assert store.get(A.finding_id).issue_id is None


def test_error_on_a_later_page_aborts_without_changes(env) -> None:
    store, client = env
    for _ in range(3):
        client.add_issue(body(A))
    real = client.issues
    pages = []

    def flaky(*a, **kw):
        pages.append(1)
        if len(pages) == 3:
            raise GatewayError(504, True)
        return real(*a, **kw)

    client.issues = flaky  # type: ignore[method-assign]
    with pytest.raises(ReconcileAborted):
        Reconciler(store, client, client.team_id, page_size=1).run()
    assert not WRITES & set(client.calls)
    assert store.get(A.finding_id).issue_id is None


def test_truncated_page_aborts_without_changes(env) -> None:
    store, client = env
    for _ in range(3):
        client.add_issue(body(A))
    client.truncate_pages = True
    with pytest.raises(ReconcileAborted, match="truncated"):
        Reconciler(store, client, client.team_id, page_size=2).run()
    assert not WRITES & set(client.calls)
    assert store.get(A.finding_id).issue_id is None


def test_no_canceled_state_aborts_without_changes(env) -> None:
    store, client = env
    client.add_issue(body(A))
    client.add_issue(body(A))
    client.states = [s for s in client.states if s.type != "canceled"]
    with pytest.raises(ReconcileAborted):
        Reconciler(store, client, client.team_id).run()
    assert store.get(A.finding_id).issue_id is None and not client.relations


def test_dry_run_changes_nothing(env) -> None:
    store, client = env
    client.add_issue(body(A))
    client.add_issue(body(A))
    report = Reconciler(store, client, client.team_id).run(dry_run=True)
    assert len(report.actions) == 2 and report.repairs == 0
    assert store.get(A.finding_id).issue_id is None and not client.relations


def test_a_client_without_cursor_pages_is_refused_without_changes(env) -> None:
    """``iter_issues`` stops quietly at a page without a cursor; fail closed instead."""
    store, client = env
    client.add_issue(body(A))
    client.add_issue(body(A))

    class IterOnly:
        """Only ``iter_issues`` (and the write methods): truncation would go unseen."""

        def __init__(self, inner: FakeClient) -> None:
            self.inner = inner

        def iter_issues(self, *a, **kw):
            return self.inner.iter_issues(*a, **kw)

        def workflow_states(self, team_id: str):
            return self.inner.workflow_states(team_id)

        def relation_create(self, *a, **kw):
            return self.inner.relation_create(*a, **kw)

        def issue_update(self, *a, **kw):
            return self.inner.issue_update(*a, **kw)

    with pytest.raises(ReconcileAborted, match="cursors"):
        Reconciler(store, IterOnly(client), client.team_id).run()
    assert not WRITES & set(client.calls)
    assert store.get(A.finding_id).issue_id is None
