"""``promoter reconcile``: repair links and duplicates from the issues themselves.

It reads every issue of the team (all pages, archived and trashed included), groups those
whose body ends with the promoter's own ``finding-id: v1:<hex>`` trailer by finding (a
marker-like line in user text is never taken for it: see :mod:`promoter.findings`), and then:

* a finding that is unlinked in the store is linked to the group's canonical issue — the
  finding's current link if that issue is live, else the **oldest live** issue (by creation
  time, then by issue number: ``ENG-9`` before ``ENG-10``);
* every other live issue of the group that is not already canceled is related to the
  canonical one as ``duplicate`` and moved to the team's canceled workflow state.

It fails closed: everything is read first (all issue pages, the workflow states, the store
rows); any error, or a page that claims more results without a cursor (truncated), aborts
before any write. Only then does it act. Live means neither archived nor trashed. Given a
:class:`~promoter.retry.RetryPolicy` (the CLI passes one), a read that fails transiently
(gateway, transport, rate limit) is retried first; it aborts only if the retries fail too.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from promoter.findings import parse_finding_id
from promoter.protocols import SystemClock
from promoter.retry import RetryPolicy, WaitBudget
from promoter.store.base import FindingStore

log = logging.getLogger(__name__)


class ReconcileAborted(Exception):
    """Reading failed or was incomplete; nothing was changed."""


@dataclass
class ReconcileReport:
    """What a reconcile run found and did."""

    issues_read: int = 0
    carrying: int = 0
    linked: int = 0
    duplicates_marked: int = 0
    unknown_findings: int = 0
    errors: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    #: Every planned repair with full ids: ``{"action": "link", "finding_id", "issue_id",
    #: "identifier", "done"}`` or ``{"action": "duplicate", "issue_id", "identifier",
    #: "canonical_id", "canonical_identifier", "done"}``.
    repairs_planned: list[dict[str, Any]] = field(default_factory=list)

    @property
    def repairs(self) -> int:
        """Links made plus duplicates marked."""
        return self.linked + self.duplicates_marked

    def to_dict(self, dry_run: bool = False) -> dict[str, Any]:
        """JSON-able form (the CLI's ``--json``)."""
        return {
            "dry_run": dry_run,
            "issues_read": self.issues_read,
            "carrying": self.carrying,
            "linked": self.linked,
            "duplicates_marked": self.duplicates_marked,
            "unknown_findings": self.unknown_findings,
            "repairs": self.repairs,
            "actions": list(self.repairs_planned),
            "errors": list(self.errors),
        }


def _live(issue: Any) -> bool:
    return not getattr(issue, "archived_at", None) and not getattr(issue, "trashed", False)


_NUMBER_RE = re.compile(r"-(\d+)$")
_LATEST = datetime.max.replace(tzinfo=UTC)


def age_key(issue: Any) -> tuple[datetime, int, str]:
    """Oldest first: creation time, then issue number (numeric: ENG-9 before ENG-10), then
    id. An unreadable time sorts last."""
    raw = getattr(issue, "created_at", None) or ""
    try:
        created = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
    except ValueError:
        created = _LATEST
    m = _NUMBER_RE.search(getattr(issue, "identifier", "") or "")
    return created, int(m.group(1)) if m else 2**63, getattr(issue, "id", "")


def _pages(client: Any, team_id: str, page_size: int,
           read: Callable[[Callable[[], Any]], Any] = lambda fn: fn()) -> Iterator[Any]:
    """Every team issue; raises :class:`ReconcileAborted` on a truncated page.

    Pages are read with ``client.issues`` (cursor pagination) so that a page claiming more
    results without a cursor is seen; ``iter_issues`` would silently stop there, which is not
    fail-closed, so a client without ``issues`` is refused.
    """
    flt = {"team": {"id": {"eq": team_id}}}
    if not callable(getattr(client, "issues", None)):
        raise ReconcileAborted("the client cannot read issue pages with cursors (no issues())")
    after = None
    seen_cursors: set[str] = set()
    while True:
        page = read(functools.partial(client.issues, filter=flt, first=page_size, after=after,
                                      include_archived=True))
        yield from page.nodes
        if not page.has_next_page:
            return
        if not page.end_cursor or page.end_cursor in seen_cursors:
            raise ReconcileAborted("truncated page: hasNextPage without a new cursor")
        seen_cursors.add(page.end_cursor)
        after = page.end_cursor


@dataclass
class _Plan:
    links: list[tuple[str, Any]] = field(default_factory=list)  # (finding id, issue)
    dups: list[tuple[Any, Any]] = field(default_factory=list)  # (duplicate, canonical)


class Reconciler:
    """Reads a team's issues and repairs links and duplicates (see module docstring)."""

    def __init__(self, store: FindingStore, client: Any, team_id: str, page_size: int = 100,
                 *, retry: RetryPolicy | None = None, budget: WaitBudget | None = None) -> None:
        self.store = store
        self.client = client
        self.team_id = team_id
        self.page_size = page_size
        #: With ``retry``, each read (a page, the workflow states) is retried on transient
        #: errors (reads are safe to repeat); without, the first error aborts.
        self.retry = retry
        self.budget = budget

    def _read_retrying(self, fn: Callable[[], Any]) -> Any:
        if self.retry is None:
            return fn()
        if self.budget is None:
            self.budget = WaitBudget(SystemClock())
        return self.retry.call(fn, self.budget)

    def _read(self, report: ReconcileReport) -> tuple[_Plan, str | None]:
        issues = list(_pages(self.client, self.team_id, self.page_size, self._read_retrying))
        report.issues_read = len(issues)
        groups: dict[str, list[Any]] = {}
        for issue in issues:
            fid = parse_finding_id(getattr(issue, "description", None))
            if fid:
                groups.setdefault(fid, []).append(issue)
        report.carrying = sum(len(g) for g in groups.values())
        plan = _Plan()
        for fid, group in sorted(groups.items()):
            live = sorted((i for i in group if _live(i)), key=age_key)
            if not live:
                continue
            row = self.store.get(fid)
            if row is None:
                report.unknown_findings += 1
            by_id = {i.id: i for i in live}
            if row is not None and row.issue_id in by_id:
                canonical = by_id[row.issue_id]
            else:
                canonical = live[0]
                if row is not None and row.issue_id is None:
                    plan.links.append((fid, canonical))
            for other in live:
                if other.id != canonical.id and other.state_type != "canceled":
                    plan.dups.append((other, canonical))
        canceled = None
        if plan.dups:
            states = [s for s in self._read_retrying(lambda: self.client.workflow_states(self.team_id))
                      if s.type == "canceled"]
            if not states:
                raise ReconcileAborted("the team has no canceled workflow state")
            canceled = sorted(states, key=lambda s: (s.position or 0, s.name))[0].id
        return plan, canceled

    def run(self, dry_run: bool = False) -> ReconcileReport:
        """Reconcile; raises :class:`ReconcileAborted` (nothing changed) if reading fails."""
        report = ReconcileReport()
        try:
            plan, canceled = self._read(report)
        except ReconcileAborted:
            raise
        except Exception as exc:
            raise ReconcileAborted(f"read failed, nothing changed: {type(exc).__name__}: {exc}") from exc
        for fid, issue in plan.links:
            report.actions.append(f"link {fid} -> {issue.identifier} ({issue.id})")
            entry = {"action": "link", "finding_id": fid, "issue_id": issue.id,
                     "identifier": issue.identifier, "done": False}
            report.repairs_planned.append(entry)
            if not dry_run and self.store.set_linear_issue_id(fid, issue.id, issue.identifier):
                report.linked += 1
                entry["done"] = True
        for dup, canonical in plan.dups:
            report.actions.append(f"duplicate {dup.identifier} of {canonical.identifier}")
            entry = {"action": "duplicate", "issue_id": dup.id, "identifier": dup.identifier,
                     "canonical_id": canonical.id, "canonical_identifier": canonical.identifier,
                     "done": False}
            report.repairs_planned.append(entry)
            if dry_run:
                continue
            try:
                self.client.relation_create(dup.id, canonical.id, "duplicate")
                self.client.issue_update(dup.id, state_id=canceled)
            except Exception as exc:
                report.errors.append(f"{dup.identifier}: {type(exc).__name__}: {exc}")
                log.warning("reconcile: marking %s as duplicate failed: %s", dup.identifier, exc)
                continue
            report.duplicates_marked += 1
            entry["done"] = True
        return report


def reconcile(store: FindingStore, client: Any, team_id: str, dry_run: bool = False) -> ReconcileReport:
    """Convenience wrapper around :class:`Reconciler`."""
    return Reconciler(store, client, team_id).run(dry_run=dry_run)
