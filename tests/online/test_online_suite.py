"""The online suite: Linear CLI-style tests written with the harness only.

Runs under ``--linear=fake`` (default), ``--linear=server`` and ``--linear=online``; it must
pass with ``--fault-profile linear-observed``. The three rules it follows everywhere:
clean up proactively (guards, ``test_team``), a unique name per attempt (``retry_create``),
retry every call that can fail transiently (``retry_with_backoff`` / ``retry_search``).
"""

from __future__ import annotations

import pytest

from fakelinear.testkit.retry import (
    RetryExhausted,
    retry_create,
    retry_search,
    retry_with_backoff,
)
from fakelinear.testkit.workspace import create_team, iter_pages
from promoter.linear import NotFoundError, UsageLimitError

pytestmark = pytest.mark.online

ATTEMPTS = 6


def call(fn, clock):
    """A mutation or read that may fail transiently (502, reset, rate limit)."""
    return retry_with_backoff(ATTEMPTS, fn, clock=clock)


def read(fn, clock, predicate=lambda _: True, **kw):
    """A read that may lag behind the write before it."""
    return retry_search(fn, predicate, clock=clock, **kw)


def new_issue(linear, team, guards, clock, kind="issue", **fields):
    issue, _ = retry_create(
        lambda name: linear.issue_create(team.id, name, **fields), kind=kind, clock=clock
    )
    guards.issue(issue)
    return issue


def test_viewer(linear, clock):
    viewer = call(linear.viewer, clock)
    assert viewer.id


def test_team_by_id_key_and_list(linear, test_team, clock):
    assert test_team.name.startswith("[test] team ")
    assert read(lambda: linear.team(test_team.id), clock).key == test_team.key
    assert read(lambda: linear.team(test_team.key), clock).id == test_team.id
    teams = read(
        lambda: list(iter_pages(linear.teams, clock)),
        clock,
        lambda ts: test_team.id in {t.id for t in ts},
    )
    assert any(t.key == test_team.key for t in teams)
    states = call(lambda: linear.workflow_states(test_team.id), clock)
    assert {"backlog", "unstarted", "started", "completed", "canceled"} <= {s.type for s in states}


def test_second_team_respects_plan_limits(linear, test_team, guards, clock):
    """A free workspace allows two teams (deleted ones still count): the create either
    succeeds (paid plan) or fails at once with UsageLimitError — never retried for minutes.
    It asks for ``test_team`` so the session team holds its slot first."""
    start = clock.now()
    try:
        team, _ = retry_create(lambda n: create_team(linear, n), kind="team", clock=clock)
    except UsageLimitError as error:
        assert "limit" in (error.user_presentable_message or error.message).lower()
        assert clock.now() - start < 60 * 15  # conflicts may retry, the limit is not
    else:
        guards.team(team)


def test_issue_create_read_update(linear, test_team, guards, clock, unique_name):
    issue = new_issue(linear, test_team, guards, clock, description="created by the harness")
    assert issue.title.startswith("[test] issue ") and issue.identifier.startswith(
        test_team.key + "-"
    )
    by_id = read(lambda: linear.issue(issue.id), clock)
    by_identifier = read(lambda: linear.issue(issue.identifier), clock)
    assert by_id.id == by_identifier.id == issue.id
    assert by_id.team_id == test_team.id and by_id.description == "created by the harness"

    states = call(lambda: linear.workflow_states(test_team.id), clock)
    done = next(s for s in states if s.type == "completed")
    title = unique_name("issue renamed")
    updated = call(
        lambda: linear.issue_update(issue.id, title=title, state_id=done.id, priority=2), clock
    )
    assert updated.title == title
    again = read(lambda: linear.issue(issue.id), clock, lambda i: i.title == title)
    assert again.state_type == "completed" and again.priority == 2


def test_issue_archive_unarchive_delete(linear, test_team, guards, clock):
    issue = new_issue(linear, test_team, guards, clock)
    read(lambda: linear.issue(issue.id), clock)

    assert call(lambda: linear.issue_archive(issue.id), clock)
    archived = read(lambda: linear.issue(issue.id), clock, lambda i: i.archived_at is not None)
    assert archived.archived_at

    assert call(lambda: linear.issue_unarchive(issue.id), clock)
    read(lambda: linear.issue(issue.id), clock, lambda i: i.archived_at is None)

    assert call(lambda: linear.issue_delete(issue.id), clock)
    # Trashed: hidden from plain lists, still readable by id with trashed=True (or gone).
    # retry_search counts "not found" as "not yet", so a gone issue ends in RetryExhausted.
    try:
        trashed = read(lambda: linear.issue(issue.id), clock, lambda i: bool(i.trashed))
        assert trashed.trashed
    except RetryExhausted as exhausted:
        if not isinstance(exhausted.last_error, NotFoundError):
            raise
    listed = call(lambda: linear.issues(filter={"id": {"eq": issue.id}}), clock)
    assert issue.id not in {i.id for i in listed}


def test_issue_list_and_pages(linear, test_team, guards, clock):
    created = [new_issue(linear, test_team, guards, clock) for _ in range(3)]
    wanted = {i.id for i in created}

    def listed():
        return {
            i.id
            for i in linear.iter_issues(filter={"team": {"id": {"eq": test_team.id}}}, page_size=2)
        }

    assert wanted <= read(listed, clock, lambda ids: wanted <= ids)


def test_search_after_create(linear, test_team, guards, clock, unique_name):
    title = unique_name("searchable")
    issue, used = retry_create(
        lambda n: linear.issue_create(test_team.id, n), title, kind="issue", clock=clock
    )
    guards.issue(issue)
    term = title.split()[2]  # the 8 hex of the original name: in every retry variant too
    # New teams lag longest in Linear's search index: give it a few minutes.
    found = read(
        lambda: linear.search_issues(term, team_id=test_team.id),
        clock,
        lambda page: issue.id in {i.id for i in page.nodes},
        tries=40,
    )
    assert any(i.title == used for i in found.nodes)


def test_projects_and_documents(linear, test_team, guards, clock):
    project, name = retry_create(
        lambda n: linear.project_create(n, [test_team.id]), kind="project", clock=clock
    )
    guards.project(project)
    assert read(lambda: linear.project(project.id), clock).name == name

    document, title = retry_create(
        lambda n: linear.document_create(n, content="# hello", project_id=project.id),
        kind="document",
        clock=clock,
    )
    guards.document(document)
    fetched = read(lambda: linear.document(document.id), clock)
    assert fetched.title == title and fetched.project_id == project.id

    projects = read(
        lambda: list(iter_pages(linear.projects, clock)),
        clock,
        lambda ps: project.id in {p.id for p in ps},
    )
    assert project.id in {p.id for p in projects}

    assert call(lambda: linear.document_delete(document.id), clock)
    assert call(lambda: linear.project_delete(project.id), clock)
    assert call(lambda: linear.project_unarchive(project.id), clock)
    read(lambda: linear.project(project.id), clock, lambda p: not p.trashed)


def test_labels(linear, test_team, guards, clock):
    label, name = retry_create(
        lambda n: linear.label_create(n, team_id=test_team.id, color="#5e6ad2"),
        kind="label",
        clock=clock,
    )
    guards.label(label)
    labels = read(
        lambda: list(iter_pages(linear.labels, clock, filter={"name": {"eq": name}})),
        clock,
        lambda ls: label.id in {x.id for x in ls},
    )
    assert labels[0].team_id == test_team.id
    issue = new_issue(linear, test_team, guards, clock, label_ids=[label.id])
    assert label.id in read(lambda: linear.issue(issue.id), clock).label_ids


def test_comments(linear, test_team, guards, clock):
    issue = new_issue(linear, test_team, guards, clock)
    read(lambda: linear.issue(issue.id), clock)
    comment, body = retry_create(
        lambda n: linear.comment_create(issue.id, n), kind="comment", clock=clock
    )
    guards.comment(comment)
    assert comment.body == body and comment.issue_id == issue.id
    assert call(lambda: linear.comment_delete(comment.id), clock)


def test_relations(linear, test_team, guards, clock):
    blocker = new_issue(linear, test_team, guards, clock)
    blocked = new_issue(linear, test_team, guards, clock)
    read(lambda: linear.issue(blocked.id), clock)
    relation, _ = retry_create(
        lambda _name: linear.relation_create(blocker.id, blocked.id, "blocks"),
        kind="relation",
        clock=clock,
    )
    guards.relation(relation)
    assert (relation.type, relation.issue_id, relation.related_issue_id) == (
        "blocks",
        blocker.id,
        blocked.id,
    )


@pytest.mark.needs_fake
def test_injected_faults_are_survived(linear, test_team, guards, clock, fake):
    """Offline only: force the worst case through the control handle (in-process or HTTP)."""
    fake.faults.phantom_conflicts(on="issueCreate", first=2)
    fake.faults.gateway_error(502, after_commit=True, times=1, on="issueCreate")
    issue = new_issue(linear, test_team, guards, clock, kind="issue forced")
    assert read(lambda: linear.issue(issue.id), clock).title == issue.title
