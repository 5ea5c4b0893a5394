"""Expectations: invariants, exact anomaly counts, allowed kinds, metric bounds."""

from __future__ import annotations

from scenarios.checker import Anomaly, CheckResult
from scenarios.expect import evaluate
from scenarios.spec import Expectation


def result(*kinds: str, invariants: dict[str, str] | None = None, **metrics: object) -> CheckResult:
    r = CheckResult("reference", [Anomaly(k) for k in kinds])
    r.invariants = invariants or {"I1": "pass", "I2": "pass"}
    r.metrics = {"faults_injected": {"phantom_conflict": 4}, **metrics}
    return r


def test_met_expectation_has_no_failures() -> None:
    exp = Expectation(invariants=("I1", "I2"), anomalies={"orphan": 1}, allowed=("duplicate_orphan",),
                      at_least={"capped": 1, "faults.phantom_conflict": 3}, at_most={"duplicates": 2})
    assert evaluate(result("orphan", "duplicate_orphan", "duplicate_orphan", capped=2, duplicates=2), exp) == []


def test_failed_invariant() -> None:
    r = result(invariants={"I1": "fail"})
    assert evaluate(r, Expectation(invariants=("I1",))) == ["invariant I1 failed"]
    # An invariant not listed is not judged (its anomalies still are).
    assert evaluate(r, Expectation(invariants=())) == []


def test_exact_counts_and_unexpected_kinds() -> None:
    r = result("orphan", "orphan", "duplicate_race")
    failures = evaluate(r, Expectation(invariants=(), anomalies={"orphan": 1, "duplicate_orphan": 1}))
    assert "expected 1 orphan, found 2" in failures
    assert "expected 1 duplicate_orphan, found 0" in failures
    assert "unexpected anomaly: 1 duplicate_race" in failures


def test_metric_bounds() -> None:
    r = result(capped=0, duplicates=3)
    failures = evaluate(r, Expectation(invariants=(), at_least={"capped": 1, "faults.gateway_before": 1,
                                                                  "orphan": 1},
                                       at_most={"duplicates": 2, "nonsense": 1}))
    assert "expected capped >= 1, got 0" in failures
    assert "expected faults.gateway_before >= 1, got 0" in failures
    assert "expected orphan >= 1, got 0" in failures
    assert "expected duplicates <= 2, got 3" in failures
    assert "unknown metric 'nonsense' in at_most" in failures


def test_every_anomaly_kind_is_a_metric_even_when_none_was_found() -> None:
    from scenarios.spec import ANOMALY_KINDS

    clean = result()
    assert evaluate(clean, Expectation(invariants=(), at_most=dict.fromkeys(ANOMALY_KINDS, 0))) == []
    found = result("false_link", "left_behind")
    failures = evaluate(found, Expectation(invariants=(), allowed=ANOMALY_KINDS,
                                           at_most={"false_link": 0, "left_behind": 0}))
    assert failures == ["expected false_link <= 0, got 1", "expected left_behind <= 0, got 1"]
