"""The model: teams, issues, delete/trash/archive semantics, plan limits, F2, snapshots."""

from __future__ import annotations

import json
import uuid

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.model import (
    PURGE_AFTER,
    AlreadyExists,
    InvalidInput,
    Model,
    NotFound,
    UsageLimitExceeded,
    Workspace,
)
from fakelinear.rng import Rng

DAY = 24 * 3600.0


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def model(clock: VirtualClock) -> Model:
    return Model(Rng(1), clock)


@pytest.fixture
def ws(model: Model) -> Workspace:
    return model.create_workspace("Acme", plan="unlimited", default_team=True)


def eng(ws: Workspace):  # noqa: ANN201
    return ws.team("ENG")


# ---------------------------------------------------------------- workspace basics
def test_new_workspace_has_org_viewer_users_and_default_team(ws: Workspace) -> None:
    assert ws.organization.name == "Acme"
    assert ws.viewer.id == ws.viewer_id
    assert len(ws.all("User")) == 3
    team = eng(ws)
    states = ws.workflow_states(team.id)
    assert [(s.name, s.type) for s in states] == [
        ("Backlog", "backlog"), ("Todo", "unstarted"), ("In Progress", "started"),
        ("Done", "completed"), ("Canceled", "canceled"),
    ]


def test_workspace_without_default_team(model: Model) -> None:
    ws = model.create_workspace(default_team=False)
    assert ws.all("Team") == []
    assert [t.key for t in model.create_workspace().all("Team")] == ["ENG"]


def test_same_seed_same_ids(clock: VirtualClock) -> None:
    a = Model(Rng(9), VirtualClock()).create_workspace(seed_content=True)
    b = Model(Rng(9), VirtualClock()).create_workspace(seed_content=True)
    assert [i.id for i in a.all("Issue")] == [i.id for i in b.all("Issue")]
    assert [i.title for i in a.all("Issue")] == [i.title for i in b.all("Issue")]


def test_seed_content_reads_like_a_workspace(model: Model) -> None:
    ws = model.create_workspace(seed_content=True)
    assert len(ws.all("Issue")) >= 10
    assert ws.all("IssueLabel") and ws.all("Project") and ws.all("Document")
    assert ws.all("Comment") and ws.all("IssueRelation")
    assert all("@" in u.email for u in ws.all("User"))


def test_model_workspace_lookup(model: Model, ws: Workspace) -> None:
    assert model.workspace(ws.id) is ws
    assert model.workspaces() == [ws]
    with pytest.raises(NotFound):
        model.workspace("nope")


# ---------------------------------------------------------------- teams
def test_team_key_generated_and_unique(ws: Workspace) -> None:
    a = ws.create_team("Mobile Apps")
    b = ws.create_team("Mobile Apps")
    assert a.key == "MA" and b.key != a.key
    assert ws.create_team("Engineering").key not in {"ENG"}
    assert ws.create_team("design").key == "DES"


@pytest.mark.parametrize("key", ["TOOLONG", "A-B", "", "é"])
def test_team_key_validation(ws: Workspace, key: str) -> None:
    before = ws.last_sync_id
    with pytest.raises(InvalidInput):
        ws.create_team("X", key)
    assert ws.last_sync_id == before


def test_team_key_taken_and_lowercase_upcased(ws: Workspace) -> None:
    with pytest.raises(InvalidInput, match="already in use"):
        ws.create_team("Other", "eng")
    assert ws.create_team("Ops", "ops1").key == "OPS1"


def test_team_update_key_renames_identifiers(ws: Workspace) -> None:
    issue = ws.create_issue(team_id=eng(ws).id, title="a")
    ws.update_team(eng(ws).id, {"key": "CORE", "name": "Core"})
    assert issue.identifier == "CORE-1"
    assert ws.issue("CORE-1") is issue and ws.issue("ENG-1") is issue
    assert ws.team("CORE").name == "Core"


def test_team_delete_archives_idempotently_and_unarchive(ws: Workspace) -> None:
    team = ws.create_team("Ops", "OPS")
    issue = ws.create_issue(team_id=team.id, title="t")
    ws.delete_team(team.id)
    assert team.archived_at is not None
    assert team not in ws.list("Team") and team in ws.list("Team", include_archived=True)
    assert issue not in ws.list("Issue")  # archived team hides its issues
    ws.delete_team(team.id)  # again: success, unchanged
    assert ws.team(team.id) is team
    ws.unarchive_team(team.id)
    assert team.archived_at is None and issue in ws.list("Issue")


def test_team_purged_after_30_days(ws: Workspace, clock: VirtualClock) -> None:
    team = ws.create_team("Ops", "OPS")
    issue = ws.create_issue(team_id=team.id, title="t")
    ws.delete_team(team.id)
    clock.advance(PURGE_AFTER - 1)
    assert ws.purge_expired() == 0
    clock.advance(2)
    assert ws.purge_expired() == 1
    with pytest.raises(NotFound):
        ws.team(team.id)
    with pytest.raises(NotFound):
        ws.issue(issue.id)
    assert ws.create_team("Ops again", "OPS").key == "OPS"  # key freed


# ---------------------------------------------------------------- issues
def test_issue_identifiers_never_reused(ws: Workspace) -> None:
    t = eng(ws).id
    a = ws.create_issue(team_id=t, title="a")
    b = ws.create_issue(team_id=t, title="b")
    ws.delete_issue(b.id, permanently=True)
    c = ws.create_issue(team_id=t, title="c")
    assert (a.identifier, b.identifier, c.identifier) == ("ENG-1", "ENG-2", "ENG-3")
    with pytest.raises(NotFound):
        ws.issue("ENG-2")
    assert ws.issue("eng-3") is c


def test_issue_defaults_and_fields(ws: Workspace) -> None:
    team = eng(ws)
    label = ws.create_label("Bug", team_id=team.id)
    project = ws.create_project("P", [team.id])
    parent = ws.create_issue(team_id=team.id, title="parent")
    issue = ws.create_issue(
        team_id=team.id, title="child", description="d", priority=2, label_ids=[label.id],
        project_id=project.id, parent_id=parent.identifier, assignee_id=ws.viewer_id,
        state_id=team.state_ids[2],
    )
    assert issue.state_id == team.state_ids[2] and issue.parent_id == parent.id
    assert issue.creator_id == ws.viewer_id and issue.url.endswith("/issue/ENG-2/child")
    assert parent.state_id == team.state_ids[0]  # Backlog by default
    assert parent.trashed is None and parent.archived_at is None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, InvalidInput),
        ({"title": None}, InvalidInput),
        ({"priority": 5}, InvalidInput),
        ({"priority": -1}, InvalidInput),
        ({"state_id": "nope"}, NotFound),
        ({"label_ids": ["nope"]}, NotFound),
        ({"project_id": "nope"}, NotFound),
        ({"parent_id": "nope"}, NotFound),
        ({"assignee_id": "nope"}, NotFound),
        ({"id": "not-a-uuid"}, InvalidInput),
        ({"bogus": 1}, InvalidInput),
    ],
)
def test_issue_create_validation_writes_nothing(ws: Workspace, fields: dict, error: type) -> None:
    team = eng(ws)
    before = (ws.last_sync_id, len(ws.all("Issue")), team.issue_count)
    with pytest.raises(error):
        ws.create_issue(**{"team_id": team.id, "title": "ok", **fields})
    assert (ws.last_sync_id, len(ws.all("Issue")), team.issue_count) == before


def test_issue_create_unknown_team(ws: Workspace) -> None:
    with pytest.raises(NotFound, match="Team"):
        ws.create_issue(team_id="nope", title="x")


def test_state_and_label_from_other_team_rejected(ws: Workspace) -> None:
    other = ws.create_team("Ops", "OPS")
    label = ws.create_label("L", team_id=other.id)
    with pytest.raises(InvalidInput):
        ws.create_issue(team_id=eng(ws).id, title="x", state_id=other.state_ids[0])
    with pytest.raises(InvalidInput):
        ws.create_issue(team_id=eng(ws).id, title="x", label_ids=[label.id])
    wide = ws.create_label("Wide")
    assert ws.create_issue(team_id=eng(ws).id, title="x", label_ids=[wide.id]).label_ids == [wide.id]


def test_client_id_honoured_and_f2(ws: Workspace) -> None:
    wanted = str(uuid.uuid4())
    issue = ws.create_issue(team_id=eng(ws).id, title="x", id=wanted)
    assert issue.id == wanted
    before = (ws.last_sync_id, eng(ws).issue_count)
    with pytest.raises(AlreadyExists) as exc:
        ws.create_issue(team_id=eng(ws).id, title="other", id=wanted)
    assert exc.value.entity_type == "Issue" and exc.value.entity_id == wanted
    assert str(exc.value) == "conflict on insert of Issue"
    assert (ws.last_sync_id, eng(ws).issue_count) == before
    with pytest.raises(AlreadyExists):  # ids are global: another kind conflicts too
        ws.create_project("p", [eng(ws).id], id=wanted)


def test_f2_across_workspaces(model: Model, ws: Workspace) -> None:
    other = model.create_workspace("Other", plan="unlimited", default_team=True)
    wanted = str(uuid.uuid4())
    ws.create_issue(team_id=eng(ws).id, title="x", id=wanted)
    with pytest.raises(AlreadyExists):
        other.create_issue(team_id=eng(other).id, title="x", id=wanted)
    with pytest.raises(NotFound):
        other.issue(wanted)  # the conflict does not make it visible


def test_issue_update(ws: Workspace) -> None:
    team = eng(ws)
    a, b = ws.create_label("A"), ws.create_label("B")
    issue = ws.create_issue(team_id=team.id, title="x", label_ids=[a.id])
    ws.update_issue(issue.id, {"title": "y", "priority": 1, "added_label_ids": [b.id],
                               "removed_label_ids": [a.id], "description": None})
    assert (issue.title, issue.priority, issue.label_ids, issue.description) == ("y", 1, [b.id], None)
    with pytest.raises(InvalidInput):
        ws.update_issue(issue.id, {"title": ""})
    with pytest.raises(InvalidInput):
        ws.update_issue(issue.id, {"parent_id": issue.id})


def test_issue_move_team_gets_new_identifier(ws: Workspace) -> None:
    other = ws.create_team("Ops", "OPS")
    issue = ws.create_issue(team_id=eng(ws).id, title="x", state_id=eng(ws).state_ids[2])
    ws.update_issue(issue.id, {"team_id": other.id})
    assert issue.identifier == "OPS-1"
    assert ws.store["WorkflowState"][issue.state_id].team_id == other.id
    assert ws.store["WorkflowState"][issue.state_id].type == "started"
    assert ws.issue("ENG-1") is issue


def test_issue_delete_trash_then_again_then_restore(ws: Workspace) -> None:
    issue = ws.create_issue(team_id=eng(ws).id, title="x")
    sync = ws.last_sync_id
    ws.delete_issue(issue.id)
    assert issue.trashed is True and issue.archived_at is not None
    assert ws.last_sync_id == sync + 1
    assert issue not in ws.list("Issue") and issue in ws.list("Issue", include_archived=True)
    assert ws.issue(issue.id) is issue  # still readable by id
    ws.delete_issue(issue.id)  # again: success, unchanged
    assert issue.trashed is True
    ws.unarchive_issue(issue.id)
    assert issue.trashed is None and issue.archived_at is None


def test_issue_permanent_delete_then_not_found(ws: Workspace) -> None:
    issue = ws.create_issue(team_id=eng(ws).id, title="x")
    other = ws.create_issue(team_id=eng(ws).id, title="y", parent_id=issue.id)
    ws.create_comment(issue.id, "hi")
    ws.create_relation(issue.id, other.id, "blocks")
    ws.delete_issue(issue.id, permanently=True)
    with pytest.raises(NotFound):
        ws.issue(issue.id)
    with pytest.raises(NotFound):
        ws.delete_issue(issue.id)
    assert other.parent_id is None and not ws.all("Comment") and not ws.all("IssueRelation")


def test_issue_archive_and_trash_flag(ws: Workspace) -> None:
    a = ws.create_issue(team_id=eng(ws).id, title="a")
    ws.archive_issue(a.id)
    assert a.archived_at is not None and not a.trashed
    b = ws.create_issue(team_id=eng(ws).id, title="b")
    ws.archive_issue(b.id, trash=True)
    assert b.trashed is True
    ws.update_issue(b.id, {"trashed": False})
    assert b.trashed is None and b.archived_at is None
    ws.update_issue(b.id, {"trashed": True})
    assert b.trashed is True


def test_trashed_issue_purged_after_30_days(ws: Workspace, clock: VirtualClock) -> None:
    issue = ws.create_issue(team_id=eng(ws).id, title="x")
    ws.delete_issue(issue.id)
    clock.advance(PURGE_AFTER + 1)
    ws.create_issue(team_id=eng(ws).id, title="trigger")  # purge runs lazily on writes
    with pytest.raises(NotFound):
        ws.issue(issue.id)


def test_batch_create_all_or_nothing(ws: Workspace) -> None:
    team = eng(ws).id
    wanted = str(uuid.uuid4())
    before = ws.last_sync_id
    with pytest.raises(NotFound):
        ws.create_issues([{"team_id": team, "title": "a"}, {"team_id": team, "title": "b",
                                                            "state_id": "nope"}])
    with pytest.raises(AlreadyExists):
        ws.create_issues([{"team_id": team, "title": "a", "id": wanted},
                          {"team_id": team, "title": "b", "id": wanted}])
    with pytest.raises(InvalidInput):
        ws.create_issues([])
    assert ws.all("Issue") == [] and ws.last_sync_id == before
    made = ws.create_issues([{"team_id": team, "title": "a"}, {"team_id": team, "title": "b"}])
    assert [i.identifier for i in made] == ["ENG-1", "ENG-2"] and ws.last_sync_id == before + 1


# ---------------------------------------------------------------- plan limits (F6)
def test_free_plan_team_limit_counts_archived_until_purged(model: Model, clock: VirtualClock) -> None:
    ws = model.create_workspace(plan="free", default_team=True)
    second = ws.create_team("Ops", "OPS")
    with pytest.raises(UsageLimitExceeded):
        ws.create_team("Third", "THR")
    ws.delete_team(second.id)
    with pytest.raises(UsageLimitExceeded):  # the zombie still counts
        ws.create_team("Third", "THR")
    clock.advance(PURGE_AFTER + 1)
    assert ws.create_team("Third", "THR").key == "THR"


def test_free_plan_issue_limit(model: Model, clock: VirtualClock) -> None:
    ws = model.create_workspace(plan="free", default_team=True)
    team = eng(ws).id
    ws.create_issues([{"team_id": team, "title": f"i{n}"} for n in range(50)])
    for n in range(4):
        ws.create_issues([{"team_id": team, "title": f"j{n}-{k}"} for k in range(50)])
    assert ws.issue_count_for_limit() == 250
    sync = ws.last_sync_id
    with pytest.raises(UsageLimitExceeded):
        ws.create_issue(team_id=team, title="251")
    assert ws.last_sync_id == sync
    first = ws.all("Issue")[0]
    ws.delete_issue(first.id)  # trashed still counts
    with pytest.raises(UsageLimitExceeded):
        ws.create_issue(team_id=team, title="251")
    second = ws.all("Issue")[1]
    ws.archive_issue(second.id)  # archived (not trashed) frees a slot
    ws.create_issue(team_id=team, title="251")
    with pytest.raises(UsageLimitExceeded):
        ws.unarchive_issue(second.id)
    clock.advance(PURGE_AFTER + 1)
    ws.purge_expired()
    ws.unarchive_issue(second.id)


def test_unlimited_plan_has_no_team_limit(ws: Workspace) -> None:
    for n in range(5):
        ws.create_team(f"Team {n}")
    # ENG plus five more: far past the free plan's 2 teams.
    assert len(ws.list("Team", include_archived=False)) == 6


def test_unknown_plan_rejected(model: Model) -> None:
    with pytest.raises(InvalidInput):
        model.create_workspace(plan="gold")


# ---------------------------------------------------------------- projects/documents/labels/...
def test_project_lifecycle(ws: Workspace, clock: VirtualClock) -> None:
    with pytest.raises(InvalidInput):
        ws.create_project("P", [])
    with pytest.raises(NotFound):
        ws.create_project("P", ["nope"])
    project = ws.create_project("Launch", [eng(ws).id], description="d")
    assert project.url.startswith("https://linear.app/acme/project/launch-")
    ws.update_project(project.id, {"name": "Launch 2", "priority": 3})
    assert project.name == "Launch 2"
    ws.delete_project(project.id)
    assert project.trashed and project not in ws.list("Project")
    ws.delete_project(project.id)
    ws.unarchive_project(project.id)
    assert not project.trashed and project in ws.list("Project")
    ws.delete_project(project.id)
    clock.advance(PURGE_AFTER + 1)
    ws.purge_expired()
    with pytest.raises(NotFound):
        ws.project(project.id)


def test_document_lifecycle(ws: Workspace) -> None:
    project = ws.create_project("P", [eng(ws).id])
    doc = ws.create_document("Spec", content="c", project_id=project.id)
    with pytest.raises(NotFound):
        ws.create_document("Spec", project_id="nope")
    ws.update_document(doc.id, {"title": "Spec 2", "content": None})
    assert doc.title == "Spec 2" and doc.content is None
    ws.delete_document(doc.id)
    assert doc.trashed and doc not in ws.list("Document")
    ws.delete_document(doc.id)
    ws.unarchive_document(doc.id)
    assert doc in ws.list("Document")


def test_labels(ws: Workspace) -> None:
    wide = ws.create_label("Bug")
    with pytest.raises(InvalidInput):
        ws.create_label("bug", team_id=eng(ws).id)
    issue = ws.create_issue(team_id=eng(ws).id, title="x", label_ids=[wide.id])
    ws.delete_label(wide.id)
    assert issue.label_ids == []
    with pytest.raises(NotFound):
        ws.delete_label(wide.id)


def test_comments_and_relations(ws: Workspace) -> None:
    a = ws.create_issue(team_id=eng(ws).id, title="a")
    b = ws.create_issue(team_id=eng(ws).id, title="b")
    comment = ws.create_comment(a.identifier, "hello")
    reply = ws.create_comment(a.id, "re", parent_id=comment.id)
    with pytest.raises(InvalidInput):
        ws.create_comment(a.id, "")
    with pytest.raises(NotFound):
        ws.create_comment("nope", "x")
    ws.delete_comment(comment.id)
    with pytest.raises(NotFound):
        ws.comment(reply.id)
    with pytest.raises(NotFound):
        ws.delete_comment(comment.id)
    for kind in ("blocks", "duplicate", "related", "similar"):
        ws.create_relation(a.id, b.identifier, kind)
    with pytest.raises(InvalidInput):
        ws.create_relation(a.id, b.id, "parent")
    with pytest.raises(InvalidInput):
        ws.create_relation(a.id, a.id, "blocks")
    rel = ws.all("IssueRelation")[0]
    ws.delete_relation(rel.id)
    with pytest.raises(NotFound):
        ws.delete_relation(rel.id)


# ---------------------------------------------------------------- invariants
def test_last_sync_id_strictly_increases(ws: Workspace) -> None:
    seen = [ws.last_sync_id]
    team = ws.create_team("Ops", "OPS")
    seen.append(ws.last_sync_id)
    issue = ws.create_issue(team_id=team.id, title="x")
    seen.append(ws.last_sync_id)
    ws.update_issue(issue.id, {"title": "y"})
    seen.append(ws.last_sync_id)
    ws.delete_issue(issue.id)
    seen.append(ws.last_sync_id)
    assert seen == sorted(set(seen))


def test_tenancy_isolation(model: Model) -> None:
    a = model.create_workspace("A", plan="unlimited", default_team=True)
    b = model.create_workspace("B", plan="unlimited", default_team=True)
    issue = a.create_issue(team_id=eng(a).id, title="secret")
    with pytest.raises(NotFound):
        b.issue(issue.id)
    with pytest.raises(NotFound):
        b.team(eng(a).id)
    assert issue not in b.all("Issue")
    with pytest.raises(NotFound):
        b.issue("ENG-1")  # same identifier in another workspace does not leak
    with pytest.raises(NotFound):
        b.create_issue(team_id=eng(a).id, title="x")
    assert a.id != b.id and a.url_key != b.url_key


def test_snapshot_round_trip(model: Model, clock: VirtualClock) -> None:
    ws = model.create_workspace("Seeded", seed_content=True, plan="unlimited", default_team=True)
    ws.delete_issue(ws.all("Issue")[0].id)
    ws.delete_team(ws.create_team("Ops", "OPS").id)
    snap = json.loads(json.dumps(model.snapshot()))
    restored = Model.restore(snap, Rng(1), clock)
    assert restored.snapshot() == snap
    rws = restored.workspace(ws.id)
    assert rws.issue("ENG-3").title == ws.issue("ENG-3").title
    # Behaviour continues identically after restore.
    x = ws.create_issue(team_id=eng(ws).id, title="after")
    y = rws.create_issue(team_id=eng(rws).id, title="after")
    assert (x.id, x.identifier) == (y.id, y.identifier)
    clock.advance(PURGE_AFTER + 1)
    assert rws.purge_expired() == 2


def test_restore_rejects_unknown_version(clock: VirtualClock) -> None:
    with pytest.raises(ValueError):
        Model.restore({"version": 99, "workspaces": []}, Rng(1), clock)
