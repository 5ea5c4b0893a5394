"""Workspace helpers: a fresh test team, and sweeping test leftovers out of a workspace.

Clean up proactively: every process first removes old ``[test]`` zombies (a crashed run's
leftovers), and ``linear-cleanup`` sweeps every pooled workspace. The sweep is safe by
default: it deletes only ``[test]``-named resources and those living in ``[test]`` teams;
``all=True`` wipes a dedicated test workspace.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fakelinear.clock import Clock
from promoter.linear.errors import InvalidInputError
from promoter.linear.types import Page, Team

from .guards import Guards, delete_quietly
from .names import is_test_name, random_hex, unique_name
from .retry import get_default_clock, retry_create, retry_search, retry_with_backoff, settle

__all__ = [
    "KINDS",
    "CleanupReport",
    "cleanup_workspace",
    "cleanup_zombies",
    "create_team",
    "create_test_team",
    "iter_pages",
    "team_key",
]

log = logging.getLogger("fakelinear.testkit.workspace")

#: Sweep order: children before parents, teams last.
KINDS = ("issues", "documents", "projects", "labels", "teams")
PAGE_SIZE = 100
LIST_ATTEMPTS = 6
#: Zombies are [test] resources older than this; younger ones may belong to a live run.
ZOMBIE_MIN_AGE = 3600.0

_zombies_done = False
_zombies_lock = threading.Lock()


#: Hex characters after the ``T``; drops to 4 if a Linear refuses 6-character keys.
_key_hex = 5


def team_key() -> str:
    """``T`` + 5 upper-case hex characters (Linear team keys are short and unique)."""
    return "T" + random_hex(3).upper()[:_key_hex]


def create_team(client: Any, name: str) -> Team:
    """One ``teamCreate`` attempt with a fresh key; falls back to 5-character keys once if
    the server limits keys to 5 characters (the fake's model currently does)."""
    global _key_hex
    try:
        return client.team_create(name, key=team_key())
    except InvalidInputError as error:
        if _key_hex == 5 and "key" in error.message.lower():
            log.warning("team key refused (%s); using T + 4 hex from now on", error.message)
            _key_hex = 4
            return client.team_create(name, key=team_key())
        raise


def iter_pages(
    fetch: Callable[..., Page[Any]], clock: Clock | None = None, **kwargs: Any
) -> Iterator[Any]:
    """Every node of a connection, following every page (each page fetch retried)."""
    after: str | None = None
    while True:
        page = retry_with_backoff(
            LIST_ATTEMPTS, lambda a=after: fetch(first=PAGE_SIZE, after=a, **kwargs), clock=clock
        )
        yield from page.nodes
        if not page.has_next_page or not page.end_cursor:
            return
        after = page.end_cursor


@dataclass(frozen=True)
class Removal:
    """One resource the sweep deleted (or would delete, in a dry run)."""

    kind: str
    id: str
    name: str


@dataclass
class CleanupReport:
    """What a sweep did: per kind, the resources removed and the failures."""

    dry_run: bool = False
    removed: dict[str, list[Removal]] = field(default_factory=lambda: {k: [] for k in KINDS})
    failures: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def ok(self) -> bool:
        """True when no kind had a failure."""
        return not any(self.failures.values())

    @property
    def total_removed(self) -> int:
        """Resources removed (or listed, in a dry run) over every kind."""
        return sum(len(v) for v in self.removed.values())

    def counts(self) -> dict[str, int]:
        """Removed (or would-be-removed) resources per kind."""
        return {k: len(v) for k, v in self.removed.items()}


def _age(created_at: str | None, now: float) -> float:
    """Seconds since ``created_at`` (ISO 8601); infinite when unknown, so it counts as old."""
    if not created_at:
        return float("inf")
    try:
        ts = datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")
    return now - ts


def _inside(team_ids: tuple[str, ...], test_team_ids: set[str]) -> bool:
    """True when a resource lives only in [test] teams (a shared one is not ours to delete)."""
    return bool(team_ids) and set(team_ids) <= test_team_ids


def cleanup_workspace(
    client: Any,
    all: bool = False,  # noqa: A002 - mirrors the --all flag
    dry_run: bool = False,
    clock: Clock | None = None,
    min_age: float | None = None,
) -> CleanupReport:
    """Sweep issues → documents → projects → labels → teams (archived included, every page).

    Deletes ``[test]``-named resources and those in ``[test]`` teams, or everything with
    ``all=True``. ``dry_run`` only lists. ``min_age`` keeps resources younger than that many
    seconds (for zombie cleanup). A failure in one kind is recorded and the sweep goes on.
    """
    clock = clock or get_default_clock()
    report = CleanupReport(dry_run=dry_run)
    now = clock.now()

    def old_enough(created_at: str | None) -> bool:
        return min_age is None or _age(created_at, now) >= min_age

    test_team_ids: set[str] = set()
    teams: list[Team] = []
    try:
        teams = list(iter_pages(client.teams, clock, include_archived=True))
        test_team_ids = {t.id for t in teams if all or is_test_name(t.name)}
    except Exception as error:  # noqa: BLE001 - reported per kind; the other kinds still run
        report.failures["teams"].append(f"list: {type(error).__name__}: {error}")

    def sweep(
        kind: str,
        nodes: Callable[[], Iterator[Any]],
        wanted: Callable[[Any], bool],
        name_of: Callable[[Any], str],
        delete: Callable[[str], Any],
    ) -> None:
        try:
            # List every page first: deleting while paging moves (or kills) the cursor.
            for node in list(nodes()):
                if not wanted(node):
                    report.kept[kind] += 1
                    continue
                removal = Removal(kind, node.id, name_of(node))
                if not dry_run:
                    failure = delete_quietly(
                        lambda n=node: delete(n.id), f"{kind} {node.id}", clock
                    )
                    if failure is not None:
                        report.failures[kind].append(str(failure))
                        continue
                report.removed[kind].append(removal)
        except Exception as error:  # noqa: BLE001 - one kind's failure must not stop the sweep
            report.failures[kind].append(f"list: {type(error).__name__}: {error}")

    sweep(
        "issues",
        lambda: iter_pages(client.issues, clock, include_archived=True),
        lambda i: (
            (all or is_test_name(i.title) or i.team_id in test_team_ids)
            and old_enough(i.created_at)
        ),
        lambda i: f"{i.identifier} {i.title}",
        lambda ident: client.issue_delete(ident, permanently=True),
    )
    # Trashed documents/projects and archived labels/teams are as deleted as the API allows.
    sweep(
        "documents",
        lambda: iter_pages(client.documents, clock, include_archived=True),
        lambda d: not d.trashed and (all or is_test_name(d.title)) and old_enough(d.created_at),
        lambda d: d.title,
        client.document_delete,
    )
    sweep(
        "projects",
        lambda: iter_pages(client.projects, clock, include_archived=True),
        lambda p: (
            not p.trashed
            and (all or is_test_name(p.name) or _inside(p.team_ids, test_team_ids))
            and old_enough(p.created_at)
        ),
        lambda p: p.name,
        client.project_delete,
    )
    sweep(
        "labels",
        lambda: iter_pages(client.labels, clock, include_archived=True),
        lambda lb: (
            lb.archived_at is None
            and (all or is_test_name(lb.name) or lb.team_id in test_team_ids)
            and old_enough(lb.created_at)
        ),
        lambda lb: lb.name,
        client.label_delete,
    )
    sweep(
        "teams",
        lambda: iter(teams),
        lambda t: t.archived_at is None and t.id in test_team_ids and old_enough(t.created_at),
        lambda t: f"{t.key} {t.name}",
        client.team_delete,
    )
    return report


def cleanup_zombies(
    client: Any, clock: Clock | None = None, min_age: float = ZOMBIE_MIN_AGE
) -> CleanupReport | None:
    """Once per process: remove ``[test]`` leftovers older than ``min_age`` (a crashed run's)."""
    global _zombies_done
    with _zombies_lock:
        if _zombies_done:
            return None
        _zombies_done = True
    report = cleanup_workspace(client, clock=clock, min_age=min_age)
    if report.total_removed or not report.ok:
        log.info("cleanup_zombies: removed %s, failures %s", report.counts(), report.failures)
    return report


def _reset_zombie_flag() -> None:
    """Let the next call run again (tests)."""
    global _zombies_done
    with _zombies_lock:
        _zombies_done = False


def create_test_team(client: Any, guards: Guards | None = None, clock: Clock | None = None) -> Team:
    """A fresh ``[test] team <8 hex>`` with key ``T`` + 5 hex, made through ``retry_create``,
    guarded when ``guards`` is given, then a settle pause for Linear to catch up."""
    cleanup_zombies(client, clock=clock)
    # A fresh key per attempt: a create that committed before a 502 already holds the old one.
    team, _ = retry_create(
        lambda name: create_team(client, name),
        unique_name("team"),
        kind="team",
        clock=clock,
    )
    if guards is not None:
        guards.team(team)
    settle(clock)
    # Read it back so later calls do not race the read-after-create lag.
    try:
        retry_search(lambda: client.team(team.id), lambda t: t.id == team.id, clock=clock)
    except AssertionError:
        log.warning("team %s not yet readable after settle", team.key)
    return team
