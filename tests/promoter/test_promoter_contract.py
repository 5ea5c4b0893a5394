"""One test per rule of the promoter contract (DESIGN.md §5), against in-memory fakes.

Each test is written so that removing the rule it names makes it fail.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from prometheus_client import CollectorRegistry

from promoter.findings import Finding, parse_finding_id
from promoter.idempotent import DEFAULT_SETTLE_DELAYS, issue_uuid
from promoter.linear.errors import GatewayError, RateLimitedError
from promoter.promoter import LinearPromoter
from promoter.store.faulty import FaultyStore
from promoter.store.sqlite import SQLiteFindingStore
from tests.promoter.fakes import FakeClient, StepClock

CLS = "C"


def F(ref: str) -> Finding:
    return Finding(CLS, ref, "k", f"title {ref}", f"detail {ref}")


def make(
    n: int = 1,
    cycles: int = 3,
    *,
    mode: str = "reference",
    stale: bool = False,
    duplicate_reads: bool = False,
    **kw,
) -> tuple[LinearPromoter, FaultyStore, FakeClient, StepClock]:
    clock = StepClock()
    store = FaultyStore(SQLiteFindingStore(now=clock.now), stale=stale,
                        duplicate_reads=duplicate_reads)
    for _ in range(cycles):
        store.observe(CLS, [F(f"r{i}") for i in range(n)])
    client = FakeClient()
    kw.setdefault("registry", CollectorRegistry())
    p = LinearPromoter(store, client, client.team_id, 3, mode=mode, clock=clock, **kw)
    return p, store, client, clock


def next_cycle(store: FaultyStore, n: int = 1) -> None:
    """One more observation cycle of the findings ``make`` observed (failed creates wait for
    the next cycle: fairness backoff)."""
    refs = sorted({f.ref_id for f in store.list_findings(CLS)})
    for _ in range(n):
        store.observe(CLS, [F(r) for r in refs])


def markers(client: FakeClient) -> list[str]:
    return [parse_finding_id(i.description) for i in client.issues_by_id.values()]


# -- kill switch ------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["threshold0", "negative", "no_client", "no_store", "no_team"])
def test_disabled_makes_no_calls_at_all(what: str) -> None:
    _, store, client, clock = make()
    store.calls.clear()
    args = {"store": store, "client": client, "team_id": client.team_id, "threshold": 3}
    if what == "threshold0":
        args["threshold"] = 0
    elif what == "negative":
        args["threshold"] = -1
    elif what == "no_client":
        args["client"] = None
    elif what == "no_store":
        args["store"] = None
    else:
        args["team_id"] = None
    p = LinearPromoter(**args, registry=CollectorRegistry())
    assert not p.enabled()
    r = p.promote_class(CLS)
    assert r.enabled is False and sum(r.counters().values()) == 0
    assert client.calls == [] and store.calls == []


def test_enabled_when_everything_is_set() -> None:
    p, *_ = make()
    assert p.enabled()


# -- refresh ----------------------------------------------------------------------------------


def test_refresh_index_once_per_class() -> None:
    p, store, _, _ = make(n=3)
    store.calls.clear()
    p.promote_class(CLS)
    assert store.calls.count("refresh_index") == 1
    assert store.calls.index("refresh_index") < store.calls.index("fetch_promotable")


def test_refresh_failure_is_best_effort() -> None:
    p, store, client, _ = make()
    store.fail_refresh_index(times=1)
    r = p.promote_class(CLS)
    assert r.refresh_failed and r.promoted == 1 and client.creates == 1


def test_below_threshold_is_not_promoted() -> None:
    p, _, client, _ = make(cycles=2)
    assert p.promote_class(CLS).promoted == 0 and client.creates == 0


# -- the happy path and the body ----------------------------------------------------------------


def test_promotes_links_and_embeds_finding_id() -> None:
    p, store, client, _ = make(label_ids=("lab-1",))
    r = p.promote_class(CLS)
    assert r.promoted == 1 and r.counters()["promoted"] == 1
    (issue,) = client.issues_by_id.values()
    fid = F("r0").finding_id
    assert parse_finding_id(issue.description) == fid
    assert f"finding-id: v1:{fid}" in issue.description.splitlines()
    assert "title r0" in issue.title and issue.label_ids == ("lab-1",)
    row = store.get(fid)
    assert row.issue_id == issue.id and row.identifier == issue.identifier
    assert p.promote_class(CLS).promoted == 0 and client.creates == 1


# -- re-check -------------------------------------------------------------------------------------


def test_recheck_skips_candidates_linked_since_the_index_was_read() -> None:
    p, store, client, _ = make(stale=True)
    store.refresh_index()  # the index now says r0 is promotable
    store.fail_refresh_index(times=1)  # and the run cannot refresh it
    store.inner.set_linear_issue_id(F("r0").finding_id, "elsewhere", "ENG-99")
    r = p.promote_class(CLS)
    assert r.skipped_linked == 1 and r.promoted == 0
    assert client.creates == 0


# -- within-run seen set ---------------------------------------------------------------------------


def test_seen_set_stops_a_second_create_for_the_same_finding_in_one_run() -> None:
    p, store, client, _ = make(duplicate_reads=True)
    store.fail_set_linear_issue_id(times=None)  # the re-check cannot save us
    r = p.promote_class(CLS)
    assert r.skipped_seen == 1 and r.orphaned == 1
    assert client.creates == 1


def test_seen_set_is_checked_before_the_recheck() -> None:
    p, _, client, _ = make(duplicate_reads=True)
    r = p.promote_class(CLS)
    assert (r.promoted, r.skipped_seen, r.skipped_linked) == (1, 1, 0)


# -- cap -------------------------------------------------------------------------------------------


def test_cap_stops_at_max_per_run_and_counts_capped() -> None:
    p, _, client, _ = make(n=7)
    r = p.promote_class(CLS)
    assert client.creates == 5 and r.promoted == 5 and r.capped == 1
    r2 = p.promote_class(CLS)
    assert client.creates == 7 and r2.promoted == 2 and r2.capped == 0


def test_cap_counts_failed_creates_too() -> None:
    p, _, client, _ = make(n=4, max_per_run=2)
    client.fail_creates = [GatewayError(503, True)] * 2
    r = p.promote_class(CLS)
    assert client.creates == 2 and r.api_errors == 2 and r.capped == 1


def test_default_max_per_run_is_5() -> None:
    p, *_ = make()
    assert p.max_per_run == 5


# -- API errors -------------------------------------------------------------------------------------


def test_api_error_is_counted_not_marked_and_retried_next_run(caplog) -> None:
    p, store, client, _ = make()
    client.fail_creates = [RateLimitedError("rate limited", code="RATELIMITED")]
    with caplog.at_level(logging.WARNING):
        r = p.promote_class(CLS)
    assert (r.api_errors, r.promoted) == (1, 0)
    assert store.get(F("r0").finding_id).issue_id is None
    assert F("r0").finding_id in caplog.text
    next_cycle(store)
    r2 = p.promote_class(CLS)
    assert r2.promoted == 1 and len(client.issues_by_id) == 1


def test_api_error_on_one_candidate_does_not_stop_the_others() -> None:
    p, _, client, _ = make(n=3)
    client.fail_creates = [GatewayError(502, True)]
    r = p.promote_class(CLS)
    assert (r.api_errors, r.promoted) == (1, 2)


# -- write-back ---------------------------------------------------------------------------------------


def test_success_is_counted_only_after_write_back(caplog) -> None:
    p, store, client, _ = make()
    store.fail_set_linear_issue_id(times=1)
    with caplog.at_level(logging.ERROR):
        r = p.promote_class(CLS)
    (issue,) = client.issues_by_id.values()
    assert (r.promoted, r.orphaned) == (0, 1)
    assert r.orphans == [(F("r0").finding_id, issue.id, issue.identifier)]
    assert issue.identifier in caplog.text and F("r0").finding_id in caplog.text


def test_reference_mode_orphan_gives_a_predicted_duplicate_next_run() -> None:
    p, store, client, _ = make()
    store.fail_set_linear_issue_id(times=1)
    assert p.promote_class(CLS).orphaned == 1
    r = p.promote_class(CLS)
    assert r.promoted == 1
    assert markers(client) == [F("r0").finding_id] * 2  # the duplicate the orphan predicts


def test_reference_mode_commit_then_fail_duplicates() -> None:
    p, store, client, _ = make()
    client.commit_then_fail = 1
    assert p.promote_class(CLS).api_errors == 1
    next_cycle(store)
    assert p.promote_class(CLS).promoted == 1
    assert len(client.issues_by_id) == 2


def test_reference_mode_sends_no_id() -> None:
    p, _, client, _ = make()
    p.promote_class(CLS)
    (issue,) = client.issues_by_id.values()
    assert issue.id != issue_uuid(F("r0").finding_id)


# -- idempotent mode -----------------------------------------------------------------------------------


def test_issue_uuid_is_v4_shaped_deterministic_and_versioned() -> None:
    fid = F("r0").finding_id
    u = uuid.UUID(issue_uuid(fid))
    assert u.version == 4 and u.variant == uuid.RFC_4122
    assert issue_uuid(fid) == issue_uuid(fid)
    assert issue_uuid(fid) != issue_uuid(F("r1").finding_id)
    assert issue_uuid(fid, "v2") != issue_uuid(fid)


def test_idempotent_uses_the_derived_id() -> None:
    p, _, client, _ = make(mode="idempotent")
    assert p.promote_class(CLS).promoted == 1
    assert list(client.issues_by_id) == [issue_uuid(F("r0").finding_id)]


def test_idempotent_orphan_is_recovered_without_duplicate() -> None:
    p, store, client, _ = make(mode="idempotent")
    store.fail_set_linear_issue_id(times=1)
    assert p.promote_class(CLS).orphaned == 1
    r = p.promote_class(CLS)
    assert (r.recovered, r.promoted) == (1, 0)
    assert len(client.issues_by_id) == 1
    assert store.get(F("r0").finding_id).issue_id == issue_uuid(F("r0").finding_id)


def test_idempotent_commit_then_fail_links_without_duplicate() -> None:
    p, store, client, _ = make(mode="idempotent")
    client.commit_then_fail = 1
    assert p.promote_class(CLS).api_errors == 1
    assert store.get(F("r0").finding_id).issue_id is None
    next_cycle(store)
    r = p.promote_class(CLS)
    assert r.recovered == 1 and len(client.issues_by_id) == 1


def test_idempotent_conflict_read_back_waits_out_lag_on_the_clock() -> None:
    p, store, client, clock = make(mode="idempotent")
    client.commit_then_fail = 1
    client.lag_reads = 3
    p.promote_class(CLS)
    next_cycle(store)
    r = p.promote_class(CLS)
    assert r.recovered == 1
    assert clock.slept == list(DEFAULT_SETTLE_DELAYS[:3])


def test_idempotent_phantom_is_retried_with_a_changed_body_same_id() -> None:
    p, _, client, clock = make(mode="idempotent")
    client.phantoms = 1
    r = p.promote_class(CLS)
    assert r.promoted == 1 and r.api_errors == 0 and client.creates == 2
    assert sum(clock.slept) == sum(DEFAULT_SETTLE_DELAYS)  # the whole settle budget
    assert list(client.issues_by_id) == [issue_uuid(F("r0").finding_id)]


def test_idempotent_persistent_phantom_is_left_for_the_next_run() -> None:
    p, store, client, _ = make(mode="idempotent")
    client.phantoms = 3
    r = p.promote_class(CLS)
    assert r.api_errors == 1 and store.get(F("r0").finding_id).issue_id is None
    next_cycle(store)
    assert p.promote_class(CLS).promoted == 1


def test_idempotent_an_issue_at_the_derived_id_is_ours_whatever_its_text() -> None:
    """The id is derived from the finding id: the issue there is the finding's issue, even if
    its body carries another trailer (or none)."""
    p, store, client, _ = make(mode="idempotent")
    client.add_issue("finding-id: v1:" + "0" * 64, id=issue_uuid(F("r0").finding_id))
    r = p.promote_class(CLS)
    assert (r.api_errors, r.recovered) == (0, 1)
    assert store.get(F("r0").finding_id).issue_id == issue_uuid(F("r0").finding_id)


# -- claims and the breaker ----------------------------------------------------------------------------


def test_a_finding_claimed_by_another_replica_is_skipped() -> None:
    p, store, client, _ = make()
    assert store.claim(F("r0").finding_id, "other", 300)
    r = p.promote_class(CLS)
    assert r.skipped_claimed == 1 and client.creates == 0


def _steal_claim_during_create(store: FaultyStore, client: FakeClient, link_to: str | None) -> None:
    """While our create is in flight, another replica takes the (expired) claim and links the
    finding: to a fresh issue of its own, (``link_to="ours"``) to the very issue we create, or
    (``link_to="nobody"``) not yet."""
    real = client.issue_create

    def create(*a, **kw):
        issue = real(*a, **kw)
        fid = F("r0").finding_id
        token = store.claim(fid, "other", 300)
        assert token is not None  # our claim had expired (claim_ttl=0)
        if link_to == "ours":
            assert store.set_linear_issue_id(fid, issue.id, issue.identifier, token)
        elif link_to == "nobody":
            pass  # it holds the claim and has not linked yet
        else:
            other = client.add_issue("by the other replica")
            assert store.set_linear_issue_id(fid, other.id, other.identifier, token)
        return issue

    client.issue_create = create  # type: ignore[method-assign]


def test_a_write_back_that_lost_the_claim_is_an_orphan_not_a_link(caplog) -> None:
    p, store, client, _ = make(claim_ttl=0.0)
    _steal_claim_during_create(store, client, link_to=None)
    with caplog.at_level(logging.ERROR):
        r = p.promote_class(CLS)
    ours = next(i for i in client.issues_by_id.values() if i.title.startswith("[C]"))
    assert (r.promoted, r.orphaned, r.skipped_claimed) == (0, 1, 0)
    assert r.orphans == [(F("r0").finding_id, ours.id, ours.identifier)]
    assert store.get(F("r0").finding_id).issue_id != ours.id  # never overwritten
    assert ours.identifier in caplog.text and "lost the claim" in caplog.text


def test_the_write_back_applies_only_under_our_claim() -> None:
    p, store, client, _ = make(claim_ttl=0.0)
    _steal_claim_during_create(store, client, link_to="nobody")
    r = p.promote_class(CLS)
    assert (r.promoted, r.orphaned) == (0, 1)
    assert store.get(F("r0").finding_id).issue_id is None  # the claim holder decides


def test_a_racing_replica_that_linked_the_same_issue_is_a_skip() -> None:
    p, store, client, _ = make(mode="idempotent", claim_ttl=0.0)
    _steal_claim_during_create(store, client, link_to="ours")
    r = p.promote_class(CLS)
    assert (r.promoted, r.orphaned, r.skipped_claimed) == (0, 0, 1)
    assert store.get(F("r0").finding_id).issue_id == issue_uuid(F("r0").finding_id)


def test_failed_create_releases_the_claim() -> None:
    p, store, client, _ = make()
    client.fail_creates = [GatewayError(502, True)]
    p.promote_class(CLS)
    assert store.claim(F("r0").finding_id, "other", 300)


def test_circuit_breaker_files_nothing_when_a_run_would_create_too_many(caplog) -> None:
    p, _, client, _ = make(n=8, circuit_breaker=6)
    with caplog.at_level(logging.ERROR):
        r = p.promote_class(CLS)
    assert r.breaker_tripped == 1 and r.promoted == 0 and client.creates == 0
    assert "circuit breaker" in caplog.text


def test_circuit_breaker_lets_a_normal_run_through() -> None:
    p, _, client, _ = make(n=6, circuit_breaker=6)
    r = p.promote_class(CLS)
    assert r.breaker_tripped == 0 and r.promoted == 5 and r.capped == 1


# -- metrics ----------------------------------------------------------------------------------------


def test_counters_are_exported_per_class_on_the_given_registry() -> None:
    reg = CollectorRegistry()
    p, store, client, _ = make(n=2, registry=reg)
    client.fail_creates = [GatewayError(502, True)]
    p.promote_class(CLS)
    get = reg.get_sample_value
    assert get("linear_promotion_promoted_total", {"class": CLS}) == 1
    assert get("linear_promotion_api_errors_total", {"class": CLS}) == 1
    assert get("linear_promotion_orphaned_total", {"class": CLS}) == 0


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        make(mode="yolo")


def test_negative_phantom_retries_is_refused() -> None:
    """With no attempt at all, idempotent mode would skip a finding silently (no api_error)."""
    with pytest.raises(ValueError, match="phantom_retries"):
        make(mode="idempotent", phantom_retries=-1)


# -- issue 13: a forged marker in idempotent mode ----------------------------------------------------


def test_idempotent_commit_then_fail_with_a_forged_marker_is_recovered() -> None:
    """Regression (issue 13 item 1): the finding's detail names another finding's id; after a
    502 that came after the commit, every later run logged "foreign" and never linked it."""
    from promoter.findings import finding_marker

    other = F("other").finding_id
    forged = Finding(CLS, "r0", "k", "title r0", f"copied from elsewhere:\n{finding_marker(other)}")
    clock = StepClock()
    store = FaultyStore(SQLiteFindingStore(now=clock.now))
    for _ in range(3):
        store.observe(CLS, [forged])
    client = FakeClient()
    p = LinearPromoter(store, client, client.team_id, 3, mode="idempotent", clock=clock,
                       registry=CollectorRegistry())
    client.commit_then_fail = 1
    assert p.promote_class(CLS).api_errors == 1
    for _ in range(3):
        store.observe(CLS, [forged])
        p.promote_class(CLS)
    assert store.get(forged.finding_id).issue_id == issue_uuid(forged.finding_id)
    assert len(client.issues_by_id) == 1
    (issue,) = client.issues_by_id.values()
    assert parse_finding_id(issue.description) == forged.finding_id


# -- issue 13: fairness ---------------------------------------------------------------------------------


def _poisoned(n_poison: int, max_per_run: int, mode: str = "reference", **kw):
    """``n_poison`` old findings whose create always fails (413), then one healthy finding
    that arrives a cycle later."""
    clock = StepClock()
    store = FaultyStore(SQLiteFindingStore(now=clock.now))
    poison = [Finding(CLS, f"p{i}", "k", f"poison {i}", "POISON " + "x" * 100) for i in range(n_poison)]
    healthy = Finding(CLS, "healthy", "k", "healthy", "fine")
    store.observe(CLS, poison)
    client = FakeClient()
    client.poison = "POISON"
    kw.setdefault("registry", CollectorRegistry())
    p = LinearPromoter(store, client, client.team_id, 2, max_per_run=max_per_run, mode=mode,
                       clock=clock, **kw)

    def cycle() -> object:
        store.observe(CLS, [*poison, healthy])
        return p.promote_class(CLS)

    return p, store, client, poison, healthy, cycle


@pytest.mark.parametrize("mode", ["reference", "idempotent"])
def test_max_per_run_poison_findings_no_longer_starve_a_healthy_one(mode: str) -> None:
    """Regression (issue 13 item 2): poison findings are older, so they came first every run
    and took every ``max_per_run`` slot: the healthy finding was never filed."""
    p, store, client, poison, healthy, cycle = _poisoned(3, 3, mode)
    for _ in range(6):
        cycle()
    assert store.get(healthy.finding_id).issue_id is not None  # I1
    assert all(store.get(f.finding_id).issue_id is None for f in poison)


def test_a_healthy_finding_is_filed_in_its_first_promotable_run() -> None:
    p, store, client, poison, healthy, cycle = _poisoned(3, 3)
    r1 = cycle()  # poison streak 2, healthy streak 1: the poison fails once
    assert (r1.api_errors, r1.promoted) == (3, 0)
    r2 = cycle()  # healthy promotable: it goes first, whatever the poison does
    assert r2.promoted == 1 and store.get(healthy.finding_id).issue_id is not None


def test_a_failing_finding_backs_off_1_2_4_cycles_and_is_parked_after_n_failures(caplog) -> None:
    p, store, client, poison, _, cycle = _poisoned(1, 5, park_after=4, max_backoff=8)
    fid = poison[0].finding_id
    tried = []
    for c in range(1, 16):
        with caplog.at_level(logging.ERROR):
            r = cycle()
        if r.api_errors:
            tried.append(c)
        if r.parked:
            assert r.parked_findings == [(fid, store.get(fid).parked_reason)]
            parked_at = c
    assert tried == [1, 2, 4, 8]  # then parked: never tried again
    assert parked_at == 8
    row = store.get(fid)
    assert row.parked and row.failures == 4 and "4 consecutive failed creates" in row.parked_reason
    assert "InvalidInputError" in row.parked_reason and "PARKED" in caplog.text
    assert client.creates == 4 + 1  # the poison's 4 tries and the healthy finding


def test_backoff_is_capped_at_max_backoff() -> None:
    p, store, client, poison, _, cycle = _poisoned(1, 5, park_after=100, max_backoff=2)
    tried = [c for c in range(1, 12) if cycle().api_errors]
    assert tried == [1, 2, 4, 6, 8, 10]


def test_transient_failures_back_off_but_never_park() -> None:
    p, store, client, _ = make(park_after=1)
    client.fail_creates = [GatewayError(502, True)] * 6
    fid = F("r0").finding_id
    for _ in range(40):
        next_cycle(store)
        p.promote_class(CLS)
        assert not store.get(fid).parked
        if store.get(fid).issue_id:
            break
    assert store.get(fid).issue_id is not None and client.creates == 7


def test_new_content_unparks_and_unpark_clears() -> None:
    p, store, client, poison, healthy, cycle = _poisoned(1, 5, park_after=1)
    cycle()
    fid = poison[0].finding_id
    assert store.get(fid).parked
    assert store.unpark([fid]) == 1 and not store.get(fid).parked and store.get(fid).failures == 0
    cycle()
    assert store.get(fid).parked
    client.poison = None  # the check now reports something Linear accepts...
    store.observe(CLS, [Finding(CLS, "p0", "k", "poison 0", "small now"), healthy])
    row = store.get(fid)
    assert not row.parked and row.failures == 0 and row.retry_in == 0  # ...new content
    assert p.promote_class(CLS).promoted >= 1 and store.get(fid).issue_id is not None


def test_same_content_keeps_the_parking() -> None:
    p, store, client, poison, _, cycle = _poisoned(1, 5, park_after=1)
    for _ in range(4):
        cycle()
    assert store.get(poison[0].finding_id).parked
    assert client.creates == 1 + 1  # one poison try, then the healthy finding


def test_the_cap_still_counts_every_attempt_with_failing_findings() -> None:
    p, store, client, poison, healthy, cycle = _poisoned(4, 2)
    r = cycle()
    assert client.creates == 2 and r.api_errors == 2 and r.capped == 1


def test_a_stale_index_cannot_bring_back_a_parked_finding() -> None:
    p, store, client, poison, _, cycle = _poisoned(1, 5, park_after=1)
    store.stale = True
    store.refresh_index()  # the index snapshot: promotable, not parked yet
    store.observe(CLS, poison)
    store.observe(CLS, poison)
    store.refresh_index()
    store.fail_refresh_index(times=None)
    r = p.promote_class(CLS)
    assert r.parked == 1
    r = p.promote_class(CLS)  # the stale snapshot still lists it: the re-check skips it
    assert r.skipped_backoff == 1 and client.creates == 1


def test_parked_counter_is_exported() -> None:
    reg = CollectorRegistry()
    p, store, client, poison, _, cycle = _poisoned(1, 5, park_after=1, registry=reg)
    cycle()
    assert reg.get_sample_value("linear_promotion_parked_total", {"class": CLS}) == 1


# -- issue 13: bounded waiting ----------------------------------------------------------------------


def test_max_wait_bounds_idempotent_verification() -> None:
    """Regression (issue 13 item 5): every phantom conflict waited the whole settle budget
    (31 s of real time per conflict, per finding) with no way to bound it."""
    p, store, client, clock = make(n=3, mode="idempotent", max_wait=5.0)
    client.phantoms = 100
    start = clock.t
    r = p.promote_class(CLS)
    assert clock.t - start <= 5.0
    assert r.api_errors == 3 and all("undecided" in e for _, e in r.errors)
    assert not any(store.get(F(f"r{i}").finding_id).parked for i in range(3))


def test_a_shared_budget_spans_classes() -> None:
    from promoter.retry import WaitBudget

    clock = StepClock()
    store = SQLiteFindingStore(now=clock.now)
    for cls in ("A", "B"):
        for _ in range(3):
            store.observe(cls, [Finding(cls, "x", "k", "t")])
    client = FakeClient()
    client.phantoms = 100
    budget = WaitBudget(clock, 10.0)
    p = LinearPromoter(store, client, client.team_id, 3, mode="idempotent", clock=clock,
                       budget=budget, registry=CollectorRegistry())
    p.promote_class("A")
    p.promote_class("B")
    assert budget.waited <= 10.0 and sum(clock.slept) <= 10.0


def test_without_budget_to_wait_a_phantom_is_still_retried_with_a_new_body() -> None:
    p, store, client, clock = make(mode="idempotent", max_wait=0.0)
    client.phantoms = 1
    r = p.promote_class(CLS)
    assert r.promoted == 1 and client.creates == 2 and clock.slept == []
    assert list(client.issues_by_id) == [issue_uuid(F("r0").finding_id)]


def test_without_budget_a_lagging_existing_issue_is_left_for_later_never_duplicated() -> None:
    p, store, client, clock = make(mode="idempotent", max_wait=0.0)
    client.commit_then_fail = 1
    client.lag_reads = 100
    assert p.promote_class(CLS).api_errors == 1  # the 502 after the commit
    next_cycle(store)
    r = p.promote_class(CLS)  # conflict: the issue exists but cannot be read yet, no time to wait
    assert r.api_errors == 1 and "undecided: wait budget exhausted" in r.errors[0][1]
    assert client.creates == 1 + 3 and len(client.issues_by_id) == 1 and clock.slept == []
    client.read_lag.clear()
    next_cycle(store, 2)  # two failures in a row: it waits 2 cycles
    assert p.promote_class(CLS).recovered == 1 and len(client.issues_by_id) == 1
