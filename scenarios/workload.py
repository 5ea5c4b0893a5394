"""The workload: which findings an upstream check reports in each cycle.

Plain data, independent of any store: :class:`Workload` says which findings are seen in a
cycle, and :meth:`Workload.streaks` replays those sightings into the streaks a correct store
must hold, which is the ground truth the checker uses for I1 ("stays promotable long
enough"). In cycles past the last scripted one (the settle phase) every planned finding is
seen, so each one becomes promotable and must end linked to exactly one issue (and an
orphan of a finding that flapped away gets its chance to be recovered).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from promoter.findings import Finding, finding_marker
from scenarios.spec import WorkloadSpec

#: Every finding title starts with this so the harness cleanup recognises what we filed.
TEST_PREFIX = "[test]"
#: A poison finding's detail: larger than the request bodies the fake accepts (1 MiB by
#: default, like the limits in front of Linear), so every create is answered 413 and can
#: never succeed.
POISON_DETAIL = "This detail is far too large to file. " + "x" * (3 * 1024 * 1024 // 2)


def forged_lines(victim: str) -> list[str]:
    """Marker-like lines naming ``victim``'s finding id, in every shape a reader could take
    for the trailer (exact, indented, quoted, upper case, spaced, CRLF, Unicode line break,
    and the old retry-note layout)."""
    marker = finding_marker(victim)
    return [
        marker,
        f"  {marker}",
        f"> {marker}",
        marker.upper(),
        f"finding-id :  v1:{victim}",
        f"\r\n{marker}\r\n",
        f"see\u2028{marker}",
        f"{marker}\n\n(retry 1 at 12.000)",
    ]


def marker_finding(cls: str, ref: str, victim: str, n: int) -> Finding:
    """A finding whose text forges ``victim``'s marker: in the detail always (last line
    included), and in the title or the ref by turns."""
    lines = forged_lines(victim)
    detail = "Copied from another report:\n" + "\n".join(lines) + "\n" + finding_marker(victim)
    title = f"{TEST_PREFIX} {cls} {ref} keeps failing"
    if n % 2 == 0:
        title += f" {finding_marker(victim)}"
        ref_id = f"{cls}/{ref}"
    else:
        ref_id = f"{cls}/{ref}\n{finding_marker(victim)}"
    return Finding(cls=cls, ref_id=ref_id, kind="marker", title=title, detail=detail)


@dataclass(frozen=True)
class Planned:
    """A finding the workload will report, and the cycles in which it is seen."""

    finding: Finding
    role: str  # persistent | flapping | arrival | poison | marker
    first_cycle: int
    pattern: str = "1"  # repeated from first_cycle on

    @property
    def finding_id(self) -> str:
        """The finding's id (sha256 of ``class|ref_id|kind``)."""
        return self.finding.finding_id

    def seen(self, cycle: int) -> bool:
        """True when the finding is reported in ``cycle``."""
        if cycle < self.first_cycle:
            return False
        return self.pattern[(cycle - self.first_cycle) % len(self.pattern)] == "1"


@dataclass
class Workload:
    """Findings per class and their sighting schedule over ``cycles`` scripted cycles."""

    spec: WorkloadSpec
    cycles: int
    planned: list[Planned] = field(default_factory=list)

    @classmethod
    def build(cls, spec: WorkloadSpec, cycles: int) -> Workload:
        """Plan every finding: persistent, flapping, and arrivals every N cycles."""
        wl = cls(spec, cycles)
        for c in spec.classes:
            for i in range(spec.persistent):
                wl.planned.append(Planned(_finding(c, f"p{i}", "persistent"), "persistent", 0))
            victims = [p.finding_id for p in wl.planned if p.finding.cls == c] or [
                _finding(c, "unplanned", "persistent").finding_id]
            for i in range(spec.marker_text):
                victim = victims[i % len(victims)]
                wl.planned.append(Planned(marker_finding(c, f"m{i}", victim, i), "marker", 0))
            for i in range(spec.poison):
                poison = Finding(c, f"{c}/x{i}", "poison", f"{TEST_PREFIX} {c} x{i} cannot be filed",
                                 POISON_DETAIL)
                wl.planned.append(Planned(poison, "poison", 0))
            for i in range(spec.flapping):
                wl.planned.append(Planned(_finding(c, f"f{i}", "flapping"), "flapping", 0, spec.flap_pattern))
            if spec.arrivals_every > 0:
                for cycle in range(spec.arrivals_every, cycles, spec.arrivals_every):
                    for j in range(spec.arrivals_count):
                        wl.planned.append(Planned(_finding(c, f"a{cycle}.{j}", "arrival"), "arrival", cycle))
        return wl

    @property
    def classes(self) -> tuple[str, ...]:
        """The finding classes, in order."""
        return self.spec.classes

    def _seen(self, p: Planned, cycle: int) -> bool:
        return True if cycle >= self.cycles else p.seen(cycle)

    def seen(self, cls: str, cycle: int) -> list[Finding]:
        """Findings of ``cls`` reported in ``cycle`` (past the script: all of them)."""
        return [p.finding for p in self.planned if p.finding.cls == cls and self._seen(p, cycle)]

    def poison_ids(self) -> frozenset[str]:
        """The findings that can never be filed (they must end parked)."""
        return frozenset(p.finding_id for p in self.planned if p.role == "poison")

    def by_id(self) -> dict[str, Planned]:
        """Every planned finding by id."""
        return {p.finding_id: p for p in self.planned}

    def streaks(self, upto_cycle: int) -> dict[str, list[int]]:
        """For each finding id, its streak after each cycle 0..upto_cycle (inclusive)."""
        out: dict[str, list[int]] = {}
        for p in self.planned:
            streak, row = 0, []
            for cycle in range(upto_cycle + 1):
                streak = streak + 1 if self._seen(p, cycle) else 0
                row.append(streak)
            out[p.finding_id] = row
        return out


def _finding(cls: str, ref: str, kind: str) -> Finding:
    return Finding(
        cls=cls,
        ref_id=f"{cls}/{ref}",
        kind=kind,
        title=f"{TEST_PREFIX} {cls} {ref} keeps failing",
        detail=f"Synthetic {kind} finding {ref} of class {cls} (scenario workload).",
    )
