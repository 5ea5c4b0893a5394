"""The checker: history + final state + truth → anomalies, invariant verdicts and metrics.

Anomaly kinds (and the invariant of DESIGN.md §6 each one breaks):

- ``lost`` (I1): a finding that stayed promotable is not linked to an existing issue
  carrying its finding id (a silent miss).
- ``orphan`` (I2 explains, I3 forbids the resulting duplicate): an issue carrying a finding
  id that is not the finding's linked issue; its cause is named (write-back failure,
  commit-then-fail, race, unknown).
- ``duplicate_orphan`` / ``duplicate_commit_then_fail`` / ``duplicate_race`` /
  ``duplicate_unexplained``: every issue for a finding beyond the first, with the
  explanation found for it (a counted orphan, an injected commit-then-fail from the fake's
  journal — each one explains at most one issue —, replicas racing without a claim, or
  nothing). I2 allows only the first two;
  I3 allows none.
- ``orphan_uncounted`` (I2): the history shows more promoter write-backs that left an
  orphan (failed, or lost while the finding got another link) than the promoter counted as
  ``orphaned``.
- ``false_link`` (I4): a linked id that does not exist or carries another finding id.
- ``cap_exceeded`` / ``kill_switch_calls`` (I5): more than ``max_per_run`` findings created
  in one run of one class; any call while disabled.
- ``left_behind`` (I6): a ``[test]`` resource remained after cleanup.
- ``unparked_poison`` (I7): a finding that can never be filed (the truth's ``poison``) is not
  parked with a reason at the end (or got linked).
- ``starved`` (I7): a finding that had to be linked was not, while poison findings took
  create attempts: failing findings kept a healthy one from being filed.

Which issue carries which finding comes from :func:`promoter.findings.parse_finding_id`: only
the promoter's own trailer counts, never marker-like text in a finding's title or detail.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

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
)

#: Which anomaly kinds break which invariant, per mode.
BREAKS: dict[str, tuple[str, ...]] = {
    "I1": ("lost",),
    "I2": ("duplicate_race", "duplicate_unexplained", "orphan_uncounted"),
    "I3": ("duplicate_orphan", "duplicate_commit_then_fail", "duplicate_race", "duplicate_unexplained"),
    "I4": ("false_link",),
    "I5": ("cap_exceeded", "kill_switch_calls"),
    "I6": ("left_behind",),
    "I7": ("unparked_poison", "starved"),
}
DUPLICATE_KINDS = ("duplicate_orphan", "duplicate_commit_then_fail", "duplicate_race", "duplicate_unexplained")


@dataclass(frozen=True)
class Anomaly:
    """One thing the checker found, with the finding and issue it is about."""

    kind: str
    finding_id: str | None = None
    issue: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass
class CheckResult:
    """Anomalies, invariant verdicts (``pass`` / ``fail`` / ``n/a``) and report metrics."""

    mode: str
    anomalies: list[Anomaly] = field(default_factory=list)
    invariants: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Anomalies by kind."""
        return dict(Counter(a.kind for a in self.anomalies))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "mode": self.mode,
            "anomalies": [a.to_dict() for a in self.anomalies],
            "anomaly_counts": self.counts(),
            "invariants": dict(self.invariants),
            "metrics": dict(self.metrics),
        }


def check(history: History, final: FinalState, truth: Truth) -> CheckResult:
    """Run every check; see the module docstring for what each anomaly means."""
    result = CheckResult(truth.mode)
    creates = history.of(CREATE)
    write_backs = history.of(WRITE_BACK)
    by_issue_create: dict[str, Call] = {c.issue_id: c for c in creates if c.outcome == OK and c.issue_id}
    wb_by_issue: dict[str, list[Call]] = defaultdict(list)
    for w in write_backs:
        if w.issue_id:
            wb_by_issue[w.issue_id].append(w)
    issues_by_fid: dict[str, list[IssueFact]] = defaultdict(list)
    for issue in final.issues:
        if issue.finding_id:
            issues_by_fid[issue.finding_id].append(issue)
    issue_by_id = {i.id: i for i in final.issues}
    commit_faults: dict[str, list[CommitFault]] = defaultdict(list)
    for cf in final.commit_faults:
        if cf.finding_id:
            commit_faults[cf.finding_id].append(cf)

    orphan_recovered = 0
    for fid, issues in sorted(issues_by_fid.items()):
        issues.sort(key=lambda i: (i.created_at, i.number, i.id))
        linked = final.links.get(fid)
        causes: dict[str, str] = {}
        unmatched_commit_faults = len(commit_faults[fid])  # each explains one issue, no more
        for i in issues:
            causes[i.id] = _cause(i, by_issue_create, wb_by_issue, unmatched_commit_faults > 0, linked)
            if causes[i.id] == "commit-then-fail":
                unmatched_commit_faults -= 1
        for issue in issues:
            if issue.id == linked:
                if causes[issue.id] in ("write-back failure", "commit-then-fail"):
                    orphan_recovered += 1
                continue
            state = ", canceled as duplicate" if issue.canceled else ""
            result.anomalies.append(Anomaly("orphan", fid, issue.identifier, f"cause: {causes[issue.id]}{state}"))
        result.anomalies.extend(_explain_duplicates(fid, issues, causes, by_issue_create, wb_by_issue,
                                                   history.of(RECHECK, fid)))

    # I2 bookkeeping: orphans the promoter must have counted. Every write-back of a promoter
    # run (run >= 0; the reconciler's are run -1) that failed, or that lost and left the finding
    # linked to another issue, is one ``orphaned``; so a lost-claim orphan (counted) cannot hide
    # an uncounted write-back failure.
    counted = sum(r.counters.get("orphaned", 0) for r in history.runs)
    seen_orphans = sum(
        1 for w in write_backs if w.run >= 0 and w.issue_id and (
            w.outcome == FAILED
            or (w.outcome == REJECTED and final.links.get(w.finding_id or "") != w.issue_id))
    )
    for _ in range(max(0, seen_orphans - counted)):
        result.anomalies.append(Anomaly("orphan_uncounted", detail=f"{seen_orphans} write-backs left an orphan, "
                                                                   f"{counted} counted"))

    # I1: no silent miss.
    for fid in sorted(truth.must_link):
        linked = final.links.get(fid)
        issue = issue_by_id.get(linked) if linked else None
        if issue is None or issue.finding_id != fid or issue.trashed:
            why = "never linked" if not linked else "linked issue missing or trashed"
            result.anomalies.append(Anomaly("lost", fid, linked, why))

    # I4: no false link.
    for fid, linked in sorted(final.links.items()):
        if not linked:
            continue
        issue = issue_by_id.get(linked)
        if issue is None:
            result.anomalies.append(Anomaly("false_link", fid, linked, "linked issue does not exist"))
        elif issue.finding_id != fid:
            result.anomalies.append(Anomaly("false_link", fid, issue.identifier,
                                            f"issue carries finding {issue.finding_id}"))

    # I5: cap and kill switch.
    runs = {(r.run, r.replica, r.cls): r for r in history.runs}
    per_run: dict[tuple[int, int, str | None], set[str]] = defaultdict(set)
    for c in creates:
        per_run[(c.run, c.replica, c.cls)].add(c.finding_id or f"?{c.seq}")
    for key, fids in sorted(per_run.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        rec = runs.get(key)  # type: ignore[arg-type]
        limit = rec.max_per_run if rec else truth.max_per_run
        if len(fids) > limit:
            result.anomalies.append(Anomaly("cap_exceeded", detail=f"run {key[0]} replica {key[1]} class {key[2]}: "
                                                                    f"{len(fids)} findings created, cap {limit}"))
    touched: dict[tuple[int, int], list[str]] = defaultdict(list)
    for c in history.calls:
        touched[(c.run, c.replica)].append(f"{c.op}#{c.seq}")
    for r in history.runs:
        calls = touched.get((r.run, r.replica), [])
        if not r.enabled and (r.http_calls > 0 or calls):
            result.anomalies.append(Anomaly("kill_switch_calls", detail=f"run {r.run} replica {r.replica} class "
                                                                        f"{r.cls}: {r.http_calls} HTTP calls, "
                                                                        f"{len(calls)} recorded calls while disabled "
                                                                        f"{' '.join(calls[:5])}"))

    # I7: no starvation. Poison findings end parked with a reason; nothing that had to be
    # filed was left unfiled while they took create attempts.
    for fid in sorted(truth.poison):
        if final.links.get(fid):
            result.anomalies.append(Anomaly("unparked_poison", fid, final.links[fid], "a poison finding got linked"))
        elif not final.parked.get(fid):
            tries = len(history.of(CREATE, fid))
            result.anomalies.append(Anomaly("unparked_poison", fid, None, f"not parked after {tries} create(s)"))
    poison_tries = sum(1 for c in creates if c.finding_id in truth.poison)
    if poison_tries:
        for a in [a for a in result.anomalies if a.kind == "lost"]:
            result.anomalies.append(Anomaly("starved", a.finding_id, a.issue,
                                            f"not filed while poison findings took {poison_tries} create(s)"))

    # I6: clean exit.
    for name in final.leftovers or []:
        result.anomalies.append(Anomaly("left_behind", issue=name))

    result.invariants = _verdicts(result, truth.mode, final)
    result.metrics = _metrics(history, final, result, orphan_recovered)
    return result


def _cause(issue: IssueFact, creates: dict[str, Call], wbs: dict[str, list[Call]],
           commit_fault_left: bool, linked: str | None) -> str:
    """Why ``issue`` exists as it does. An issue no successful create returned is explained
    by a commit-then-fail of its finding only while one of those is still unmatched."""
    call = creates.get(issue.id)
    if call is None:
        if commit_fault_left:
            return "commit-then-fail"
        return "unknown create"
    outcomes = [w.outcome for w in wbs.get(issue.id, [])]
    if FAILED in outcomes:
        return "write-back failure"
    if REJECTED in outcomes:
        return "race (write-back lost)"
    if not outcomes:
        return "no write-back"
    return "linked, then replaced" if issue.id != linked else "linked"


def _explain_duplicates(fid: str, issues: list[IssueFact], causes: dict[str, str], creates: dict[str, Call],
                        wbs: dict[str, list[Call]], rechecks: list[Call]) -> list[Anomaly]:
    """Explain every issue beyond the first by an earlier issue that failed to stop it."""
    out: list[Anomaly] = []
    used: set[str] = set()
    for k in range(1, len(issues)):
        dup = issues[k]
        dup_call = creates.get(dup.id)
        kind, by = "duplicate_unexplained", None
        for earlier in issues[:k]:
            if earlier.id in used:
                continue
            cause = causes[earlier.id]
            if cause == "write-back failure":
                kind, by = "duplicate_orphan", earlier
            elif cause == "commit-then-fail":
                kind, by = "duplicate_commit_then_fail", earlier
            elif _raced(earlier, dup_call, creates, wbs, rechecks):
                kind, by = "duplicate_race", earlier
            else:
                continue
            break
        if by is not None:
            used.add(by.id)
        detail = (f"{dup.identifier} duplicates {by.identifier} ({causes[by.id]})" if by
                  else f"{dup.identifier}: no orphan, commit-then-fail or race explains it")
        out.append(Anomaly(kind, fid, dup.identifier, detail))
    return out


def _raced(earlier: IssueFact, dup_call: Call | None, creates: dict[str, Call],
           wbs: dict[str, list[Call]], rechecks: list[Call]) -> bool:
    """True when another replica decided to create ``dup_call`` before ``earlier``'s creator
    had linked it: its re-check of the finding (in the same run) came before that
    write-back completed, or that write-back lost."""
    first = creates.get(earlier.id)
    if first is None or dup_call is None or first.replica == dup_call.replica:
        return False
    done = [w for w in wbs.get(earlier.id, []) if w.outcome in (OK, REJECTED)]
    if not done or any(w.outcome == REJECTED for w in done):
        return True
    linked_at = min(w.done_seq or w.seq for w in done)
    decided = [r.seq for r in rechecks if r.replica == dup_call.replica and r.run == dup_call.run
               and r.seq < dup_call.seq]
    return dup_call.seq < linked_at or (bool(decided) and max(decided) < linked_at)


def _verdicts(result: CheckResult, mode: str, final: FinalState) -> dict[str, str]:
    kinds = set(result.counts())
    out: dict[str, str] = {}
    for inv, breaking in BREAKS.items():
        if inv == "I2" and mode != "reference":
            out[inv] = "n/a"
            continue
        if inv == "I3" and mode != "idempotent":
            out[inv] = "n/a"
            continue
        if inv == "I6" and final.leftovers is None:
            out[inv] = "n/a"
            continue
        out[inv] = "fail" if kinds & set(breaking) else "pass"
    return out


def _metrics(history: History, final: FinalState, result: CheckResult, orphan_recovered: int) -> dict[str, Any]:
    creates = history.of(CREATE)
    counts = result.counts()
    totals: Counter[str] = Counter()
    for r in history.runs:
        totals.update(r.counters)
    attempted: Counter[str] = Counter(c.finding_id for c in creates if c.finding_id)
    return {
        "runs": len(history.runs),
        "creates": len(creates),
        "creates_ok": sum(1 for c in creates if c.outcome == OK),
        "creates_failed": sum(1 for c in creates if c.outcome == FAILED),
        "creates_unknown": sum(1 for c in creates if c.outcome == UNKNOWN),
        "retries": sum(n - 1 for n in attempted.values()),
        "write_backs": len(history.of(WRITE_BACK)),
        "write_back_failures": sum(1 for w in history.of(WRITE_BACK) if w.outcome == FAILED),
        "issues_filed": len([i for i in final.issues if i.finding_id]),
        "duplicates": sum(counts.get(k, 0) for k in DUPLICATE_KINDS),
        "misses": counts.get("lost", 0),
        "orphans": counts.get("orphan", 0),
        "orphans_recovered": orphan_recovered,
        "duplicates_repaired": sum(1 for a in result.anomalies if a.kind == "orphan" and "canceled" in a.detail),
        "cleanup_left": len(final.leftovers or []),
        "faults_injected": dict(sorted(final.faults.items())),
        "http_calls": final.http_calls,
        "disabled_runs": sum(1 for r in history.runs if not r.enabled),
        "disabled_http_calls": sum(r.http_calls for r in history.runs if not r.enabled),
        "parked_findings": len(final.parked),
        **{k: totals.get(k, 0) for k in ("promoted", "api_errors", "orphaned", "skipped_linked",
                                          "skipped_seen", "capped", "recovered", "skipped_claimed",
                                          "parked", "skipped_backoff")},
    }
