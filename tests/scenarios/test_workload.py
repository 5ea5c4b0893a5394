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


def test_poison_and_marker_findings() -> None:
    from promoter.findings import issue_body, parse_finding_id
    from scenarios.workload import POISON_DETAIL

    wl = Workload.build(WorkloadSpec(classes=("a",), persistent=2, poison=1, marker_text=3), cycles=3)
    roles = [p.role for p in wl.planned]
    assert roles == ["persistent", "persistent", "marker", "marker", "marker", "poison"]
    victims = {p.finding_id for p in wl.planned if p.role == "persistent"}
    (poison,) = [p for p in wl.planned if p.role == "poison"]
    assert wl.poison_ids() == {poison.finding_id} and poison.finding.detail == POISON_DETAIL
    assert len(POISON_DETAIL) > 1024 * 1024  # larger than the fake accepts: 413 every time
    for p in (p for p in wl.planned if p.role == "marker"):
        text = f"{p.finding.title}\n{p.finding.ref_id}\n{p.finding.detail}"
        assert any(v in text for v in victims)  # it names another finding's id...
        assert parse_finding_id(issue_body(p.finding)) == p.finding_id  # ...and forges nothing
    assert "\n" in wl.planned[3].finding.ref_id  # a forged line in the ref, by turns
    assert all(p.seen(0) for p in wl.planned)
