"""The workload generator: persistent, flapping and arriving findings, and their streaks."""

from __future__ import annotations

from scenarios.spec import WorkloadSpec
from scenarios.workload import TEST_PREFIX, Workload


def test_persistent_flapping_and_arrivals() -> None:
    wl = Workload.build(WorkloadSpec(classes=("a", "b"), persistent=2, flapping=1, flap_pattern="10",
                                     arrivals_every=2, arrivals_count=1), cycles=5)
    roles = [p.role for p in wl.planned if p.finding.cls == "a"]
    assert roles == ["persistent", "persistent", "flapping", "arrival", "arrival"]
    assert [len(wl.seen("a", c)) for c in range(5)] == [3, 2, 4, 3, 5]
    assert all(f.title.startswith(TEST_PREFIX) for f in wl.seen("b", 0))
    assert len({p.finding_id for p in wl.planned}) == len(wl.planned) == 10


def test_settle_cycles_see_every_finding_and_streaks_follow() -> None:
    wl = Workload.build(WorkloadSpec(classes=("a",), persistent=1, flapping=1, flap_pattern="10"), cycles=4)
    flap = next(p for p in wl.planned if p.role == "flapping")
    steady = next(p for p in wl.planned if p.role == "persistent")
    streaks = wl.streaks(6)
    assert streaks[flap.finding_id] == [1, 0, 1, 0, 1, 2, 3]  # cycles 4.. are the settle phase
    assert streaks[steady.finding_id] == [1, 2, 3, 4, 5, 6, 7]
    assert len(wl.seen("a", 5)) == 2


def test_finding_ids_are_stable() -> None:
    a = Workload.build(WorkloadSpec(), 3)
    b = Workload.build(WorkloadSpec(), 3)
    assert [p.finding_id for p in a.planned] == [p.finding_id for p in b.planned]
