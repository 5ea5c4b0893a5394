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


# -- issue 13 ------------------------------------------------------------------------------------


def test_a_marker_in_a_findings_text_does_not_link_the_named_finding() -> None:
    """Regression (issue 13 item 1): A's detail carries B's marker line. After A is filed,
    the reconciler used to link B to A's issue too (a false link, then B was never filed)."""
    from prometheus_client import CollectorRegistry

    from promoter.promoter import LinearPromoter

    forged = Finding("C", "a", "k", "A", f"see below\n{finding_marker(B.finding_id)}")
    store = SQLiteFindingStore()
    for _ in range(3):
        store.observe("C", [forged])
    store.observe("C", [B])  # B exists, seen once: not promotable yet
    client = FakeClient()
    p = LinearPromoter(store, client, client.team_id, 1, registry=CollectorRegistry())
    store.observe("C", [forged])
    assert p.promote_class("C").promoted == 1
    (issue,) = client.issues_by_id.values()
    report = Reconciler(store, client, client.team_id).run()
    assert report.linked == 0 and report.carrying == 1
    assert store.get(B.finding_id).issue_id is None
    assert store.get(forged.finding_id).issue_id == issue.id


def test_oldest_is_by_time_then_by_issue_number_not_by_text(env) -> None:
    """Regression (issue 13 item 5): with equal creation times, ENG-9 is older than ENG-10
    (compared as text, "ENG-10" < "ENG-9")."""
    store, client = env
    same = "2026-01-01T00:00:00.000Z"
    for _ in range(8):
        client.add_issue("filler")
    nine = client.add_issue(body(A), created_at=same)
    ten = client.add_issue(body(A), created_at=same)
    assert (nine.identifier, ten.identifier) == ("ENG-9", "ENG-10")
    report = Reconciler(store, client, client.team_id).run()
    assert report.linked == 1 and store.get(A.finding_id).issue_id == nine.id
    assert client.relations == [(ten.id, nine.id, "duplicate")]


def test_creation_time_compares_as_time_not_text(env) -> None:
    store, client = env
    later = client.add_issue(body(A), created_at="2026-01-01T00:00:01.5Z")
    earlier = client.add_issue(body(A), created_at="2026-01-01T00:00:01Z")
    Reconciler(store, client, client.team_id).run()
    assert store.get(A.finding_id).issue_id == earlier.id != later.id


def test_report_to_dict_has_full_ids(env) -> None:
    store, client = env
    old = client.add_issue(body(A), created_at="2026-01-01T00:00:01.000Z")
    new = client.add_issue(body(A), created_at="2026-01-01T00:00:02.000Z")
    doc = Reconciler(store, client, client.team_id).run().to_dict()
    assert {"action": "link", "finding_id": A.finding_id, "issue_id": old.id,
            "identifier": old.identifier, "done": True} in doc["actions"]
    assert {"action": "duplicate", "issue_id": new.id, "identifier": new.identifier,
            "canonical_id": old.id, "canonical_identifier": old.identifier,
            "done": True} in doc["actions"]


def test_with_a_retry_policy_transient_read_errors_are_retried(env) -> None:
    from promoter.linear.errors import TransportError
    from promoter.retry import RetryPolicy, WaitBudget
    from tests.promoter.fakes import StepClock

    store, client = env
    client.add_issue(body(A))
    client.add_issue(body(A))
    client.fail_reads = [GatewayError(502, True), TransportError("read")]
    clock = StepClock()
    report = Reconciler(store, client, client.team_id, retry=RetryPolicy(3, (1.0, 2.0)),
                        budget=WaitBudget(clock, 10)).run()
    assert report.linked == 1 and clock.slept == [1.0, 2.0]
    client.fail_reads = [GatewayError(502, True)] * 3
    with pytest.raises(ReconcileAborted, match="3 attempt"):
        Reconciler(store, client, client.team_id, retry=RetryPolicy(3, (1.0,)),
                   budget=WaitBudget(clock, 10)).run()
