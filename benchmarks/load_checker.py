"""Consistency checker for a load run against the fake: journal + final state + client view.

Reusable by the load benchmark (:mod:`benchmarks.bench_load`) and by
``tests/reliability``. Inputs are plain JSON-able data, so they can come from the Python
handles (``fake.journal.to_list()``, ``fake.snapshot()``) or from the control API
(``GET /_fake/journal``, ``GET /_fake/state``).

What is checked (each failed check is one :class:`Violation`):

* **no lost write**: every create the client saw acknowledged exists exactly once in the
  final state, with the acknowledged id and identifier;
* **no doubled write**: no load title appears on two issues;
* **journal matches state**: an ``issueCreate`` the journal records as committed exists,
  one it records as not committed does not; per workspace the ``lastSyncId`` grew by
  exactly the number of committed journal entries;
* **issue numbers**: unique per team, identifiers unique per workspace, and every gap in
  ``1..issue_count`` is explained by a committed permanent ``issueDelete`` of an issue of
  that team (trashed issues stay in the state, so they never make a gap);
* **no uninjected 5xx**: every 5xx in the journal is a gateway fault the plan injected, the
  client saw no more 5xx than the journal injected, and no transport error happened when
  the plan has no transport faults;
* **lastSyncId strictly increasing**: acknowledged mutations of one workspace carry
  distinct ``lastSyncId`` values, each client's sequence per workspace strictly
  increases, and all lie in ``(baseline, final]``; creates in one team get numbers in
  ``lastSyncId`` order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Ack", "CheckReport", "Violation", "check_load", "LOAD_TITLE_PREFIX"]

#: Every issue the load driver creates has a title starting with this (and a unique tail).
LOAD_TITLE_PREFIX = "load "
_GATEWAY_DECISIONS = ("gateway_before", "gateway_after_commit", "gateway")


@dataclass(frozen=True)
class Ack:
    """One request as the client saw it.

    ``op`` is the root field (``issueCreate``, ``issue``, ...); ``status`` is ``None`` when a
    transport error replaced the response; ``ok`` means a 200 with data and no errors.
    For acknowledged mutations ``last_sync_id`` is set; for acknowledged creates also
    ``issue_id``, ``identifier``, ``number``, ``team_id``; ``title`` is the create's title
    (acknowledged or not); ``target_id`` is the issue a mutation or read addressed.
    """

    client: int
    workspace_id: str
    op: str
    status: int | None
    ok: bool
    latency: float
    error_code: str | None = None
    transport_error: str | None = None
    last_sync_id: float | None = None
    issue_id: str | None = None
    identifier: str | None = None
    number: int | None = None
    team_id: str | None = None
    title: str | None = None
    target_id: str | None = None
    permanently: bool = False
    seq: int = 0


@dataclass(frozen=True)
class Violation:
    """One broken invariant, with enough detail to find it."""

    check: str
    detail: str


@dataclass
class CheckReport:
    """The checker's verdict plus the counts it looked at."""

    violations: list[Violation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no invariant is broken."""
        return not self.violations

    def add(self, check: str, detail: str) -> None:
        """Record a violation."""
        self.violations.append(Violation(check, detail))

    def summary(self, limit: int = 20) -> str:
        """Human-readable verdict (at most ``limit`` violations listed)."""
        head = "OK" if self.ok else f"{len(self.violations)} violation(s)"
        lines = [f"load check: {head}; " + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))]
        lines += [f"  [{v.check}] {v.detail}" for v in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"  ... and {len(self.violations) - limit} more")
        return "\n".join(lines)


def _workspaces(state: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {ws["id"]: ws for ws in state.get("workspaces", [])}


def _entities(ws: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return list(ws.get("entities", {}).get(kind, []))


def _create_title(entry: Mapping[str, Any]) -> str | None:
    variables = entry.get("variables") or {}
    for value in variables.values():
        if isinstance(value, Mapping) and isinstance(value.get("title"), str):
            return value["title"]
    return None


def _delete_target(entry: Mapping[str, Any]) -> tuple[str | None, bool]:
    variables = entry.get("variables") or {}
    target = variables.get("id")
    permanently = bool(variables.get("permanentlyDelete") or variables.get("permanently"))
    return (target if isinstance(target, str) else None), permanently


def check_load(
    acks: Sequence[Ack],
    journal: Iterable[Mapping[str, Any]],
    baseline: Mapping[str, Any],
    final: Mapping[str, Any],
    *,
    baseline_journal_seq: int = 0,
    transport_faults_planned: bool = False,
) -> CheckReport:
    """Check one load run (see the module docstring).

    Args:
        acks: what each client request saw.
        journal: journal entries as dicts (``JournalEntry.to_dict()`` / ``/_fake/journal``).
        baseline: the model snapshot taken just before the load started.
        final: the model snapshot taken after every client stopped.
        baseline_journal_seq: journal entries with ``seq`` at or below this are setup.
        transport_faults_planned: whether the fault plan may inject F7 transport faults.
    """
    report = CheckReport()
    entries = [e for e in journal if int(e.get("seq", 0)) > baseline_journal_seq]
    base_ws = _workspaces(baseline)
    final_ws = _workspaces(final)

    issues_by_ws = {wid: _entities(ws, "Issue") for wid, ws in final_ws.items()}
    all_issues = [i for issues in issues_by_ws.values() for i in issues]
    by_id = {i["id"]: i for i in all_issues}
    titles = Counter(i["title"] for i in all_issues if str(i.get("title", "")).startswith(LOAD_TITLE_PREFIX))

    _check_creates(report, acks, entries, by_id, titles)
    _check_journal_vs_state(report, acks, entries, base_ws, final_ws, titles)
    _check_numbers(report, acks, entries, base_ws, final_ws)
    _check_5xx(report, acks, entries, transport_faults_planned)
    _check_sync_ids(report, acks, base_ws, final_ws)

    report.counts.update(
        requests=len(acks),
        journal_entries=len(entries),
        acked_creates=sum(1 for a in acks if a.op == "issueCreate" and a.ok),
        acked_mutations=sum(1 for a in acks if a.ok and a.last_sync_id is not None),
        load_issues=sum(titles.values()),
        injected_5xx=sum(1 for e in entries if int(e.get("status", 0)) >= 500),
    )
    return report


def _purged_ids(entries: Sequence[Mapping[str, Any]]) -> set[str]:
    """Issues a committed permanent ``issueDelete`` removed (per the journal)."""
    out: set[str] = set()
    for e in entries:
        if e.get("committed") and "issueDelete" in (e.get("root_fields") or ()):
            target, permanently = _delete_target(e)
            if permanently and target:
                out.add(target)
    return out


def _check_creates(
    report: CheckReport,
    acks: Sequence[Ack],
    entries: Sequence[Mapping[str, Any]],
    by_id: Mapping[str, Any],
    titles: Counter[str],
) -> None:
    for title, n in titles.items():
        if n > 1:
            report.add("doubled-write", f"title {title!r} appears on {n} issues")
    purged = _purged_ids(entries)
    for a in acks:
        if a.op != "issueCreate" or not a.ok:
            continue
        issue = by_id.get(a.issue_id or "")
        if issue is None and a.issue_id in purged:
            continue
        if issue is None:
            report.add("lost-write", f"acknowledged create {a.identifier} ({a.issue_id}) is missing")
            continue
        if issue.get("title") != a.title or issue.get("identifier") != a.identifier:
            # A later permanent delete removes it from the state entirely, so a present issue
            # must carry exactly what was acknowledged.
            report.add(
                "lost-write",
                f"acknowledged create {a.identifier} has identifier {issue.get('identifier')} "
                f"and title {issue.get('title')!r} in the state",
            )
    acked_purges = {a.target_id for a in acks if a.op == "issueDelete" and a.ok and a.permanently}
    for target in acked_purges - purged:
        report.add("journal-vs-state", f"acknowledged permanent delete of {target} not committed")
    for a in acks:
        if a.op == "issueCreate" and a.ok and a.issue_id in acked_purges and a.issue_id in by_id:
            report.add("lost-delete", f"permanently deleted issue {a.identifier} is still present")


def _check_journal_vs_state(
    report: CheckReport,
    acks: Sequence[Ack],
    entries: Sequence[Mapping[str, Any]],
    base_ws: Mapping[str, Mapping[str, Any]],
    final_ws: Mapping[str, Mapping[str, Any]],
    titles: Counter[str],
) -> None:
    committed_per_ws: Counter[str] = Counter()
    for e in entries:
        if e.get("committed"):
            committed_per_ws[str(e.get("workspace_id"))] += 1
    acked_id_by_title = {a.title: a.issue_id for a in acks if a.op == "issueCreate" and a.ok}
    purged = _purged_ids(entries)
    for e in entries:
        if "issueCreate" not in (e.get("root_fields") or ()):
            continue
        title = _create_title(e)
        if title is None or not title.startswith(LOAD_TITLE_PREFIX):
            continue
        present = titles.get(title, 0) > 0
        if e.get("committed") and not present and acked_id_by_title.get(title) not in purged:
            # Only a permanent delete removes an issue, and clients delete only ids they were
            # acknowledged: a committed create that is gone is a lost write.
            report.add(
                "lost-write",
                f"create {title!r} committed in the journal (decision {e.get('decision')}) "
                "but missing from the state",
            )
        if not e.get("committed") and present and not _committed_elsewhere(entries, title):
            report.add(
                "journal-vs-state",
                f"create {title!r} not committed in the journal (decision {e.get('decision')}) "
                "but present in the state",
            )
    for wid, ws in final_ws.items():
        before = base_ws.get(wid, {}).get("last_sync_id")
        if before is None:
            continue
        grew = int(ws["last_sync_id"]) - int(before)
        if grew != committed_per_ws.get(wid, 0):
            report.add(
                "journal-vs-state",
                f"workspace {wid}: lastSyncId grew by {grew} but the journal has "
                f"{committed_per_ws.get(wid, 0)} committed request(s)",
            )
    report.counts["committed_entries"] = sum(committed_per_ws.values())


def _committed_elsewhere(entries: Sequence[Mapping[str, Any]], title: str) -> bool:
    return any(
        e.get("committed") and _create_title(e) == title
        for e in entries
        if "issueCreate" in (e.get("root_fields") or ())
    )


def _check_numbers(
    report: CheckReport,
    acks: Sequence[Ack],
    entries: Sequence[Mapping[str, Any]],
    base_ws: Mapping[str, Mapping[str, Any]],
    final_ws: Mapping[str, Mapping[str, Any]],
) -> None:
    # Which team each known issue belonged to: acknowledged creates, the baseline state.
    team_of: dict[str, str] = {a.issue_id: a.team_id for a in acks if a.issue_id and a.team_id}
    for ws in base_ws.values():
        for issue in _entities(ws, "Issue"):
            team_of.setdefault(issue["id"], issue["teamId"])
    base_gaps: dict[str, int] = {}
    for ws in base_ws.values():
        for team in _entities(ws, "Team"):
            numbers = {i["number"] for i in _entities(ws, "Issue") if i["teamId"] == team["id"]}
            base_gaps[team["id"]] = int(team.get("_lastIssueNumber", 0)) - len(numbers)
    explained: Counter[str] = Counter()
    unknown_purges = 0
    seen_targets: set[str] = set()
    for e in entries:
        if not e.get("committed") or "issueDelete" not in (e.get("root_fields") or ()):
            continue
        target, permanently = _delete_target(e)
        if not permanently or target is None or target in seen_targets:
            continue
        seen_targets.add(target)
        if target in team_of:
            explained[team_of[target]] += 1
        else:
            unknown_purges += 1
    for wid, ws in final_ws.items():
        idents = Counter(i["identifier"] for i in _entities(ws, "Issue"))
        for ident, n in idents.items():
            if n > 1:
                report.add("numbering", f"workspace {wid}: identifier {ident} used {n} times")
        for team in _entities(ws, "Team"):
            numbers = [i["number"] for i in _entities(ws, "Issue") if i["teamId"] == team["id"]]
            dup = [n for n, c in Counter(numbers).items() if c > 1]
            if dup:
                report.add("numbering", f"team {team['key']}: numbers {dup[:5]} used twice")
            count = int(team.get("_lastIssueNumber", 0))
            if numbers and max(numbers) > count:
                report.add("numbering", f"team {team['key']}: number {max(numbers)} > last issue number {count}")
            gaps = count - len(set(numbers))
            allowed = base_gaps.get(team["id"], 0) + explained.get(team["id"], 0)
            if gaps > allowed + unknown_purges:
                missing = sorted(set(range(1, count + 1)) - set(numbers))
                report.add(
                    "numbering",
                    f"team {team['key']}: {gaps} gap(s) {missing[:10]} but only {allowed} "
                    "explained by permanent deletes",
                )
    report.counts["permanent_deletes"] = sum(explained.values()) + unknown_purges


def _check_5xx(
    report: CheckReport,
    acks: Sequence[Ack],
    entries: Sequence[Mapping[str, Any]],
    transport_faults_planned: bool,
) -> None:
    injected = 0
    for e in entries:
        status = int(e.get("status", 0))
        if status >= 500:
            decision = str(e.get("decision", ""))
            if decision.startswith(_GATEWAY_DECISIONS):
                injected += 1
            else:
                report.add(
                    "uninjected-5xx",
                    f"journal seq {e.get('seq')}: HTTP {status} with decision {decision!r} "
                    f"({e.get('operation_name')} {e.get('root_fields')})",
                )
    seen = sum(1 for a in acks if a.status is not None and a.status >= 500)
    if seen > injected:
        report.add("uninjected-5xx", f"clients saw {seen} 5xx, the journal injected {injected}")
    transport = [a for a in acks if a.transport_error]
    if transport and not transport_faults_planned:
        report.add(
            "transport-error",
            f"{len(transport)} transport error(s) with no transport fault planned, e.g. "
            f"{transport[0].transport_error}",
        )


def _check_sync_ids(
    report: CheckReport,
    acks: Sequence[Ack],
    base_ws: Mapping[str, Mapping[str, Any]],
    final_ws: Mapping[str, Mapping[str, Any]],
) -> None:
    per_ws: dict[str, list[Ack]] = defaultdict(list)
    per_client: dict[tuple[int, str], list[Ack]] = defaultdict(list)
    for a in acks:
        if a.ok and a.last_sync_id is not None:
            per_ws[a.workspace_id].append(a)
            per_client[(a.client, a.workspace_id)].append(a)
    for wid, items in per_ws.items():
        ids = Counter(a.last_sync_id for a in items)
        dup = [sid for sid, n in ids.items() if n > 1]
        if dup:
            report.add("last-sync-id", f"workspace {wid}: lastSyncId {dup[:5]} acknowledged twice")
        low = base_ws.get(wid, {}).get("last_sync_id")
        high = final_ws.get(wid, {}).get("last_sync_id")
        for a in items:
            assert a.last_sync_id is not None
            if low is not None and a.last_sync_id <= low:
                report.add("last-sync-id", f"{a.op} acknowledged lastSyncId {a.last_sync_id} <= baseline {low}")
            if high is not None and a.last_sync_id > high:
                report.add("last-sync-id", f"{a.op} acknowledged lastSyncId {a.last_sync_id} > final {high}")
        creates: dict[str, list[Ack]] = defaultdict(list)
        for a in items:
            if a.op == "issueCreate" and a.team_id and a.number is not None:
                creates[a.team_id].append(a)
        for team_id, made in creates.items():
            made.sort(key=lambda a: a.last_sync_id or 0)
            numbers = [a.number for a in made]
            if numbers != sorted(numbers):
                report.add(
                    "last-sync-id",
                    f"team {team_id}: issue numbers not in lastSyncId order {numbers[:10]}",
                )
    for (client, wid), items in per_client.items():
        items.sort(key=lambda a: a.seq)
        seq = [a.last_sync_id for a in items]
        if any(b <= a for a, b in zip(seq, seq[1:], strict=False)):  # type: ignore[operator]
            report.add(
                "last-sync-id",
                f"client {client} workspace {wid}: lastSyncId not strictly increasing {seq[:10]}",
            )
