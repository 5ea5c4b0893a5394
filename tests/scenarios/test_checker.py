"""The checker on hand-made histories: it must detect every anomaly kind, and stay quiet on
a clean run. Each test builds the calls the recorders would have written and the fake's
final state, then asserts the anomaly, its explanation and the invariant verdicts."""

from __future__ import annotations

from scenarios.checker import check
from scenarios.facts import CommitFault, FinalState, IssueFact, Truth
from scenarios.history import (
    CREATE,
    FAILED,
    OK,
    RECHECK,
    REJECTED,
    UNKNOWN,
    WRITE_BACK,
    Call,
    History,
    RunRecord,
)

F1 = "a" * 64
F2 = "b" * 64


class Builder:
    """Writes a history the way the recorders do (seq for invocation and completion)."""

    def __init__(self) -> None:
        self.history = History()
        self.seq = 0

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def call(self, op: str, fid: str | None, outcome: str, *, issue: str | None = None, replica: int = 0,
             run: int = 0, cycle: int = 0, cls: str = "lint") -> Call:
        c = Call(self._next(), op, replica, run, cycle, cls, fid, issue_id=issue)
        c.outcome = outcome
        c.done_seq = self._next()
        self.history.calls.append(c)
        return c

    def run(self, run: int, *, replica: int = 0, enabled: bool = True, http_calls: int = 0,
            cap: int = 5, cls: str = "lint", **counters: int) -> None:
        self.history.runs.append(RunRecord(run, run, replica, cls, "reference", enabled, cap, http_calls,
                                           {"orphaned": 0, **counters}))

    def filed(self, fid: str, issue: str, *, run: int = 0, replica: int = 0, write_back: str | None = OK) -> None:
        """A create that returned ``issue``, then its write-back (when given)."""
        self.call(RECHECK, fid, OK, replica=replica, run=run)
        self.call(CREATE, fid, OK, issue=issue, replica=replica, run=run)
        if write_back is not None:
            self.call(WRITE_BACK, fid, write_back, issue=issue, replica=replica, run=run)


def issue(iid: str, fid: str | None, n: int, **kw: object) -> IssueFact:
    return IssueFact(id=iid, identifier=f"SCN-{n}", finding_id=fid, created_at=float(n), number=n, **kw)


def kinds(result) -> dict[str, int]:
    return result.counts()


def test_clean_run_has_no_anomalies_and_every_invariant_holds() -> None:
    b = Builder()
    b.filed(F1, "i1")
    b.filed(F2, "i2")
    b.run(0)
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F2, 2)], links={F1: "i1", F2: "i2"}, leftovers=[])
    for mode in ("reference", "idempotent"):
        result = check(b.history, final, Truth(mode, frozenset({F1, F2})))
        assert kinds(result) == {}
        assert all(v in ("pass", "n/a") for v in result.invariants.values())
    ref = check(b.history, final, Truth("reference", frozenset({F1, F2})))
    assert ref.invariants["I2"] == "pass" and ref.invariants["I3"] == "n/a"
    assert ref.metrics["issues_filed"] == 2 and ref.metrics["creates"] == 2 and ref.metrics["retries"] == 0


def test_detects_a_silent_miss() -> None:
    b = Builder()
    b.call(CREATE, F1, FAILED)  # an API error; never retried
    b.run(0, api_errors=1)
    result = check(b.history, FinalState(links={F1: None}, leftovers=[]), Truth("reference", frozenset({F1})))
    assert kinds(result) == {"lost": 1}
    assert result.invariants["I1"] == "fail"
    assert result.metrics["misses"] == 1


def test_a_link_to_a_trashed_issue_is_a_miss() -> None:
    b = Builder()
    b.filed(F1, "i1")
    final = FinalState(issues=[issue("i1", F1, 1, trashed=True)], links={F1: "i1"}, leftovers=[])
    assert kinds(check(b.history, final, Truth("idempotent", frozenset({F1})))) == {"lost": 1}


def test_detects_orphan_and_the_duplicate_it_explains() -> None:
    b = Builder()
    b.filed(F1, "i1", run=0, write_back=FAILED)
    b.run(0, orphaned=1)
    b.filed(F1, "i2", run=1)
    b.run(1)
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F1, 2)], links={F1: "i2"}, leftovers=[])
    ref = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(ref) == {"orphan": 1, "duplicate_orphan": 1}
    dup = next(a for a in ref.anomalies if a.kind == "duplicate_orphan")
    assert dup.issue == "SCN-2" and "SCN-1" in dup.detail and "write-back failure" in dup.detail
    assert ref.invariants["I2"] == "pass"  # accounted
    idem = check(b.history, final, Truth("idempotent", frozenset({F1})))
    assert idem.invariants["I3"] == "fail"  # exactly once is broken
    assert ref.metrics["duplicates"] == 1 and ref.metrics["orphans"] == 1


def test_detects_an_uncounted_orphan() -> None:
    b = Builder()
    b.filed(F1, "i1", write_back=FAILED)
    b.run(0, orphaned=0)  # the promoter did not count it
    b.filed(F1, "i2", run=1)
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F1, 2)], links={F1: "i2"}, leftovers=[])
    result = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(result)["orphan_uncounted"] == 1
    assert result.invariants["I2"] == "fail"


def test_a_counted_lost_claim_orphan_does_not_hide_an_uncounted_write_back_failure() -> None:
    b = Builder()
    b.call(RECHECK, F1, OK, replica=0, run=0)
    b.call(RECHECK, F1, OK, replica=1, run=1)
    b.call(CREATE, F1, OK, issue="i1", replica=0, run=0)
    b.call(WRITE_BACK, F1, OK, issue="i1", replica=0, run=0)
    b.call(CREATE, F1, OK, issue="i2", replica=1, run=1)
    b.call(WRITE_BACK, F1, REJECTED, issue="i2", replica=1, run=1)  # lost: counted below
    b.filed(F2, "i3", run=0, write_back=FAILED)  # failed: NOT counted (the bug to catch)
    b.run(0, orphaned=0)
    b.run(1, replica=1, orphaned=1)
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F1, 2), issue("i3", F2, 3)],
                       links={F1: "i1", F2: None}, leftovers=[])
    result = check(b.history, final, Truth("reference"))
    assert kinds(result)["orphan_uncounted"] == 1
    # Counted as well: nothing to report.
    b.history.runs[0].counters["orphaned"] = 1
    assert "orphan_uncounted" not in kinds(check(b.history, final, Truth("reference")))


def test_reconciler_write_backs_are_not_promoter_orphans() -> None:
    b = Builder()
    b.filed(F1, "i1", run=-1, write_back=FAILED)  # the reconciler's link failed
    final = FinalState(issues=[issue("i1", F1, 1)], links={F1: None}, leftovers=[])
    assert "orphan_uncounted" not in kinds(check(b.history, final, Truth("reference")))


def test_duplicate_explained_by_commit_then_fail_from_the_journal() -> None:
    b = Builder()
    b.call(CREATE, F1, UNKNOWN)  # the client saw a 502; the fake had committed i1
    b.run(0, api_errors=1)
    b.filed(F1, "i2", run=1)
    b.run(1)
    final = FinalState(
        issues=[issue("i1", F1, 1), issue("i2", F1, 2)], links={F1: "i2"},
        commit_faults=[CommitFault(7, "gateway_after_commit", F1)], leftovers=[],
    )
    result = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(result) == {"orphan": 1, "duplicate_commit_then_fail": 1}
    orphan = next(a for a in result.anomalies if a.kind == "orphan")
    assert "commit-then-fail" in orphan.detail
    assert result.invariants["I2"] == "pass"


def test_one_commit_then_fail_explains_one_issue_not_two() -> None:
    b = Builder()
    b.call(CREATE, F1, UNKNOWN)  # one 502 after the commit: explains exactly one extra issue
    b.run(0, api_errors=1)
    b.filed(F1, "i3", run=1)
    b.run(1)
    final = FinalState(
        issues=[issue("i1", F1, 1), issue("i2", F1, 2), issue("i3", F1, 3)], links={F1: "i3"},
        commit_faults=[CommitFault(7, "gateway_after_commit", F1)], leftovers=[],
    )
    result = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(result) == {"orphan": 2, "duplicate_commit_then_fail": 1, "duplicate_unexplained": 1}
    causes = sorted(a.detail for a in result.anomalies if a.kind == "orphan")
    assert causes == ["cause: commit-then-fail", "cause: unknown create"]
    assert result.invariants["I2"] == "fail"


def test_an_issue_nobody_created_is_unexplained() -> None:
    b = Builder()
    b.filed(F1, "i2", run=1)
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F1, 2)], links={F1: "i2"}, leftovers=[])
    result = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(result) == {"orphan": 1, "duplicate_unexplained": 1}
    assert result.invariants["I2"] == "fail"


def test_a_duplicate_after_a_successful_link_is_unexplained() -> None:
    b = Builder()
    b.filed(F1, "i1", run=0)
    b.filed(F1, "i2", run=1)  # the re-check failed to see the link: a bug
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F1, 2)], links={F1: "i1"}, leftovers=[])
    result = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(result) == {"orphan": 1, "duplicate_unexplained": 1}


def test_detects_two_replicas_racing_without_a_claim() -> None:
    b = Builder()
    # Both replicas re-check (unlinked), then both create; replica 0 links first.
    b.call(RECHECK, F1, OK, replica=0, run=0)
    b.call(RECHECK, F1, OK, replica=1, run=1)
    b.call(CREATE, F1, OK, issue="i1", replica=0, run=0)
    b.call(WRITE_BACK, F1, OK, issue="i1", replica=0, run=0)
    b.call(CREATE, F1, OK, issue="i2", replica=1, run=1)
    b.call(WRITE_BACK, F1, REJECTED, issue="i2", replica=1, run=1)
    b.run(0)
    b.run(1, replica=1, orphaned=1)  # the promoter counts a lost write-back
    final = FinalState(issues=[issue("i1", F1, 1), issue("i2", F1, 2)], links={F1: "i1"}, leftovers=[])
    result = check(b.history, final, Truth("reference", frozenset({F1})))
    assert kinds(result) == {"orphan": 1, "duplicate_race": 1}
    assert result.invariants["I2"] == "fail"  # races are outside the single-writer design
    orphan = next(a for a in result.anomalies if a.kind == "orphan")
    assert "race" in orphan.detail


def test_detects_false_links() -> None:
    b = Builder()
    b.filed(F1, "i1")
    b.filed(F2, "i9")
    final = FinalState(issues=[issue("i1", F2, 1)], links={F1: "i1", F2: "i9"}, leftovers=[])
    result = check(b.history, final, Truth("idempotent"))
    false = [a for a in result.anomalies if a.kind == "false_link"]
    assert len(false) == 2
    assert {a.detail for a in false} == {f"issue carries finding {F2}", "linked issue does not exist"}
    assert result.invariants["I4"] == "fail"


def test_detects_the_cap_being_exceeded() -> None:
    b = Builder()
    fids = [c * 64 for c in "cdefgh"]
    for n, fid in enumerate(fids):
        b.filed(fid, f"i{n}")
    b.run(0, cap=5)
    final = FinalState(issues=[issue(f"i{n}", fid, n + 1) for n, fid in enumerate(fids)],
                       links={fid: f"i{n}" for n, fid in enumerate(fids)}, leftovers=[])
    result = check(b.history, final, Truth("reference", frozenset(fids), max_per_run=5))
    assert kinds(result) == {"cap_exceeded": 1}
    assert result.invariants["I5"] == "fail"
    # Five per run is fine; retries of one finding count once.
    ok = Builder()
    for n, fid in enumerate(fids[:5]):
        ok.filed(fid, f"i{n}")
    ok.call(CREATE, fids[0], FAILED)
    ok.run(0, cap=5)
    assert "cap_exceeded" not in kinds(check(ok.history, FinalState(leftovers=[]), Truth("reference")))


def test_detects_calls_while_the_kill_switch_is_off() -> None:
    b = Builder()
    b.run(0, enabled=False, http_calls=2)
    result = check(b.history, FinalState(leftovers=[]), Truth("reference"))
    assert kinds(result) == {"kill_switch_calls": 1}
    assert result.invariants["I5"] == "fail"
    b2 = Builder()
    b2.call(RECHECK, F1, OK, run=0)  # a store call counts too
    b2.run(0, enabled=False)
    assert kinds(check(b2.history, FinalState(leftovers=[]), Truth("reference"))) == {"kill_switch_calls": 1}


def test_detects_leftovers_after_cleanup() -> None:
    result = check(History(), FinalState(leftovers=["issue SCN-1 [test] x", "team SCN [test] t"]),
                   Truth("idempotent"))
    assert kinds(result) == {"left_behind": 2}
    assert result.invariants["I6"] == "fail"
    assert result.metrics["cleanup_left"] == 2
    unchecked = check(History(), FinalState(leftovers=None), Truth("idempotent"))
    assert unchecked.invariants["I6"] == "n/a"


def test_idempotent_recovery_is_counted_not_flagged() -> None:
    b = Builder()
    b.filed(F1, "i1", write_back=FAILED)  # orphaned once...
    b.run(0, orphaned=1)
    b.call(CREATE, F1, FAILED, run=1)  # ...then "already exists" for the derived id
    b.call(WRITE_BACK, F1, OK, issue="i1", run=1)  # verified and linked
    b.run(1, recovered=1)
    final = FinalState(issues=[issue("i1", F1, 1)], links={F1: "i1"}, leftovers=[])
    result = check(b.history, final, Truth("idempotent", frozenset({F1})))
    assert kinds(result) == {}
    assert result.metrics["orphans_recovered"] == 1
    assert result.metrics["recovered"] == 1
    assert result.invariants["I3"] == "pass"


def test_issues_without_a_finding_id_are_ignored() -> None:
    final = FinalState(issues=[issue("x", None, 1)], links={}, leftovers=[])
    assert kinds(check(History(), final, Truth("reference"))) == {}


def test_result_is_json_able() -> None:
    import json

    b = Builder()
    b.filed(F1, "i1", write_back=FAILED)
    final = FinalState(issues=[issue("i1", F1, 1)], links={F1: None}, leftovers=[])
    doc = json.loads(json.dumps(check(b.history, final, Truth("reference", frozenset({F1}))).to_dict()))
    assert doc["anomaly_counts"] == {"orphan": 1, "lost": 1, "orphan_uncounted": 1}
    assert json.loads(json.dumps(b.history.to_dict()))["calls"][1]["op"] == CREATE
    assert History.from_dict(b.history.to_dict()).calls[1].issue_id == "i1"


# -- I7 (issue 13) --------------------------------------------------------------------------------

P1 = "c" * 64


def test_i7_a_parked_poison_and_everything_else_filed_holds() -> None:
    b = Builder()
    b.call(CREATE, P1, FAILED)
    b.filed(F1, "i1")
    b.run(0, api_errors=1, parked=1)
    final = FinalState(issues=[issue("i1", F1, 1)], links={F1: "i1", P1: None}, leftovers=[],
                       parked={P1: "3 consecutive failed creates; last: InvalidInputError: too large"})
    result = check(b.history, final, Truth("reference", frozenset({F1}), 5, frozenset({P1})))
    assert kinds(result) == {} and result.invariants["I7"] == "pass"
    assert result.metrics["parked_findings"] == 1 and result.metrics["parked"] == 1


def test_i7_detects_a_poison_finding_that_was_never_parked() -> None:
    b = Builder()
    for run in range(3):
        b.call(CREATE, P1, FAILED, run=run)
    final = FinalState(links={P1: None}, leftovers=[])
    result = check(b.history, final, Truth("idempotent", frozenset(), 5, frozenset({P1})))
    assert kinds(result) == {"unparked_poison": 1} and result.invariants["I7"] == "fail"
    assert "not parked after 3 create(s)" in result.anomalies[0].detail


def test_i7_detects_a_healthy_finding_starved_by_poison() -> None:
    """What the old promoter did: the poison took every slot, the healthy one never went."""
    b = Builder()
    for run in range(4):
        b.call(CREATE, P1, FAILED, run=run)
    final = FinalState(links={P1: None, F1: None}, leftovers=[])
    result = check(b.history, final, Truth("reference", frozenset({F1}), 1, frozenset({P1})))
    assert kinds(result) == {"lost": 1, "unparked_poison": 1, "starved": 1}
    assert result.invariants["I1"] == "fail" and result.invariants["I7"] == "fail"
    starved = next(a for a in result.anomalies if a.kind == "starved")
    assert starved.finding_id == F1 and "poison findings took 4 create(s)" in starved.detail


def test_i7_a_lost_finding_without_poison_is_only_i1() -> None:
    final = FinalState(links={F1: None}, leftovers=[])
    result = check(History(), final, Truth("reference", frozenset({F1})))
    assert kinds(result) == {"lost": 1} and result.invariants["I7"] == "pass"
