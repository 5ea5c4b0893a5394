"""Compare a :class:`~scenarios.checker.CheckResult` with a scenario's expectation."""

from __future__ import annotations

from scenarios.checker import CheckResult
from scenarios.spec import ANOMALY_KINDS, Expectation


def evaluate(result: CheckResult, expectation: Expectation) -> list[str]:
    """Every way ``result`` misses ``expectation`` (empty when it meets it).

    Listed invariants must hold; anomaly kinds with an exact count must match it; kinds in
    ``allowed`` may appear in any number; any other anomaly kind is unexpected; metric
    bounds (``at_least`` / ``at_most``) must hold.
    """
    failures: list[str] = []
    for inv in expectation.invariants:
        verdict = result.invariants.get(inv, "n/a")
        if verdict == "fail":
            failures.append(f"invariant {inv} failed")
    counts = result.counts()
    for kind, want in sorted(expectation.anomalies.items()):
        got = counts.get(kind, 0)
        if got != want:
            failures.append(f"expected {want} {kind}, found {got}")
    for kind, got in sorted(counts.items()):
        if kind in expectation.anomalies or kind in expectation.allowed:
            continue
        failures.append(f"unexpected anomaly: {got} {kind}")
    for metric, low in sorted(expectation.at_least.items()):
        value = _metric(result, metric)
        if value is None:
            failures.append(f"unknown metric {metric!r} in at_least")
        elif value < low:
            failures.append(f"expected {metric} >= {low}, got {value}")
    for metric, high in sorted(expectation.at_most.items()):
        value = _metric(result, metric)
        if value is None:
            failures.append(f"unknown metric {metric!r} in at_most")
        elif value > high:
            failures.append(f"expected {metric} <= {high}, got {value}")
    return failures


def _metric(result: CheckResult, name: str) -> int | None:
    """A numeric metric by name; ``faults.<kind>`` reads an injected-fault count and an
    anomaly kind reads its count."""
    if name.startswith("faults."):
        return int(result.metrics.get("faults_injected", {}).get(name[len("faults."):], 0))
    value = result.metrics.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if name in ANOMALY_KINDS:
        return result.counts().get(name, 0)
    return None
