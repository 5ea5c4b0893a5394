"""The model: teams, issues, delete/trash/archive semantics, plan limits, F2, snapshots,
all through the generic store's operations (create/update/delete/archive/unarchive)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.model import (
    PURGE_AFTER,
    AlreadyExists,
    InvalidInput,
    Model,
    NotFound,
    Record,
    UsageLimitExceeded,
    Workspace,
)
from fakelinear.model.rules.team import LAST_NUMBER
from fakelinear.rng import Rng
from tests.fakelinear.api_helpers import new_model, shared_api

DAY = 24 * 3600.0


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def model(clock: VirtualClock) -> Model:
    return new_model(Rng(1), clock)


@pytest.fixture
def ws(model: Model) -> Workspace:
    return model.create_workspace("Acme", plan="unlimited", default_team=True)


def eng(ws: Workspace) -> Record:
    return ws.team("ENG")


def team(ws: Workspace, name: str, key: str | None = None) -> Record:
    return ws.create("Team", name=name, key=key)


def issue(ws: Workspace, title: str = "x", team_id: str | None = None, **fields: Any) -> Record:
    return ws.create("Issue", teamId=team_id or eng(ws).id, title=title, **fields)


def states(ws: Workspace, t: Record) -> list[str]:
    return [s.id for s in ws.team_states(t.id)]


# ---------------------------------------------------------------- workspace basics
def test_new_workspace_has_org_viewer_users_and_default_team(ws: Workspace) -> None:
    assert ws.organization.name == "Acme" and ws.organization.kind == "Organization"
    assert ws.viewer.id == ws.viewer_id
    assert len(ws.all("User")) == 3
    assert [(s.name, s.type) for s in ws.team_states(eng(ws).id)] == [
        ("Backlog", "backlog"), ("Todo", "unstarted"), ("In Progress", "started"),
        ("Done", "completed"), ("Canceled", "canceled"),
    ]
    assert [s.type for s in ws.all("ProjectStatus")][:2] == ["backlog", "planned"]


def test_workspace_without_default_team(model: Model) -> None:
    ws = model.create_workspace(default_team=False)
    assert ws.all("Team") == []
    assert [t.key for t in model.create_workspace().all("Team")] == ["ENG"]


def test_same_seed_same_ids(clock: VirtualClock) -> None:
    a = new_model(Rng(9), VirtualClock()).create_workspace(seed_content=True)
    b = new_model(Rng(9), VirtualClock()).create_workspace(seed_content=True)
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


def test_records_read_by_attribute_and_key(ws: Workspace) -> None:
    made = issue(ws, "a")
    assert made.team_id == made["teamId"] == eng(ws).id and made.kind == "Issue"
    made.title = "b"
    assert made["title"] == "b" and "_seq" not in made.public()


# ---------------------------------------------------------------- teams
def test_team_key_generated_and_unique(ws: Workspace) -> None:
    a = team(ws, "Mobile Apps")
    b = team(ws, "Mobile Apps")
    assert a.key == "MA" and b.key != a.key
    assert team(ws, "Engineering").key not in {"ENG"}
    assert team(ws, "design").key == "DES"


@pytest.mark.parametrize("key", ["TOOLONG", "A-B", "", "é"])
def test_team_key_validation(ws: Workspace, key: str) -> None:
    before = ws.last_sync_id
    with pytest.raises(InvalidInput):
        team(ws, "X", key)
    assert ws.last_sync_id == before


def test_team_key_taken_and_lowercase_upcased(ws: Workspace) -> None:
    with pytest.raises(InvalidInput, match="already in use"):
        team(ws, "Other", "eng")
    assert team(ws, "Ops", "ops1").key == "OPS1"


def test_team_update_key_renames_identifiers(ws: Workspace) -> None:
    made = issue(ws, "a")
    ws.update("Team", eng(ws).id, {"key": "CORE", "name": "Core"})
    assert made.identifier == "CORE-1"
    assert ws.issue("CORE-1") is made and ws.issue("ENG-1") is made
    assert ws.team("CORE").name == "Core"


def test_team_delete_archives_idempotently_and_unarchive(ws: Workspace) -> None:
    ops = team(ws, "Ops", "OPS")
    made = issue(ws, "t", ops.id)
    ws.delete("Team", ops.id)
    assert ops.archived_at is not None
    assert ops not in ws.list("Team") and ops in ws.list("Team", include_archived=True)
    assert made not in ws.list("Issue")  # archived team hides its issues
    ws.delete("Team", ops.id)  # again: success, unchanged
    assert ws.team(ops.id) is ops
    ws.unarchive("Team", ops.id)
    assert ops.archived_at is None and made in ws.list("Issue")


def test_team_purged_after_30_days(ws: Workspace, clock: VirtualClock) -> None:
    ops = team(ws, "Ops", "OPS")
    made = issue(ws, "t", ops.id)
    label = ws.create("IssueLabel", name="L", teamId=ops.id)
    ws.delete("Team", ops.id)
    clock.advance(PURGE_AFTER - 1)
    assert ws.purge_expired() == 0
    clock.advance(2)
    assert ws.purge_expired() == 1
    for kind, entity in (("Team", ops), ("Issue", made), ("IssueLabel", label)):
        with pytest.raises(NotFound):
            ws.get(kind, entity.id)
    assert not ws.store.children("WorkflowState", "teamId", ops.id)
    assert team(ws, "Ops again", "OPS").key == "OPS"  # key freed


# ---------------------------------------------------------------- issues
def test_issue_identifiers_never_reused(ws: Workspace) -> None:
    a, b = issue(ws, "a"), issue(ws, "b")
    ws.delete("Issue", b.id, permanently=True)
    c = issue(ws, "c")
    assert (a.identifier, b.identifier, c.identifier) == ("ENG-1", "ENG-2", "ENG-3")
    with pytest.raises(NotFound):
        ws.issue("ENG-2")
    assert ws.issue("eng-3") is c


def test_issue_defaults_and_fields(ws: Workspace) -> None:
    t = eng(ws)
    label = ws.create("IssueLabel", name="Bug", teamId=t.id)
    project = ws.create("Project", name="P", teamIds=[t.id])
    parent = issue(ws, "parent")
    child = issue(ws, "child", description="d", priority=2, labelIds=[label.id],
                  projectId=project.id, parentId=parent.identifier, assigneeId=ws.viewer_id,
                  stateId=states(ws, t)[2])
    assert child.state_id == states(ws, t)[2] and child.parent_id == parent.id
    assert child.creator_id == ws.viewer_id and child.url.endswith("/issue/ENG-2/child")
    assert parent.state_id == states(ws, t)[0]  # Backlog by default
    assert parent.trashed is None and parent.archived_at is None
    assert project.status_id == ws.all("ProjectStatus")[0].id  # the default status


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, InvalidInput),
        ({"title": None}, InvalidInput),
        ({"priority": 5}, InvalidInput),
        ({"priority": -1}, InvalidInput),
        ({"stateId": "nope"}, NotFound),
        ({"labelIds": ["nope"]}, NotFound),
        ({"projectId": "nope"}, NotFound),
        ({"parentId": "nope"}, NotFound),
        ({"assigneeId": "nope"}, NotFound),
        ({"cycleId": "nope"}, NotFound),  # a generic reference, checked the same way
        ({"id": "not-a-uuid"}, InvalidInput),
    ],
)
def test_issue_create_validation_writes_nothing(ws: Workspace, fields: dict, error: type) -> None:
    t = eng(ws)
    before = (ws.last_sync_id, len(ws.all("Issue")), t[LAST_NUMBER])
    with pytest.raises(error):
        ws.create("Issue", {"teamId": t.id, "title": "ok", **fields})
    assert (ws.last_sync_id, len(ws.all("Issue")), t[LAST_NUMBER]) == before


def test_issue_create_unknown_team(ws: Workspace) -> None:
    with pytest.raises(NotFound, match="Team"):
        issue(ws, team_id="nope")


def test_state_and_label_from_other_team_rejected(ws: Workspace) -> None:
    other = team(ws, "Ops", "OPS")
    label = ws.create("IssueLabel", name="L", teamId=other.id)
    with pytest.raises(InvalidInput):
        issue(ws, stateId=states(ws, other)[0])
    with pytest.raises(InvalidInput):
        issue(ws, labelIds=[label.id])
    wide = ws.create("IssueLabel", name="Wide")
    assert issue(ws, labelIds=[wide.id]).label_ids == [wide.id]


def test_client_id_honoured_and_f2(ws: Workspace) -> None:
    wanted = str(uuid.uuid4())
    made = issue(ws, id=wanted)
    assert made.id == wanted
    before = (ws.last_sync_id, eng(ws)[LAST_NUMBER])
    with pytest.raises(AlreadyExists) as exc:
        issue(ws, "other", id=wanted)
    assert exc.value.entity_type == "Issue" and exc.value.entity_id == wanted
    assert str(exc.value) == "conflict on insert of Issue"
    assert (ws.last_sync_id, eng(ws)[LAST_NUMBER]) == before
    with pytest.raises(AlreadyExists):  # ids are global: another kind conflicts too
        ws.create("Project", name="p", teamIds=[eng(ws).id], id=wanted)


def test_f2_across_workspaces(model: Model, ws: Workspace) -> None:
    other = model.create_workspace("Other", plan="unlimited", default_team=True)
    wanted = str(uuid.uuid4())
    issue(ws, id=wanted)
    with pytest.raises(AlreadyExists):
        issue(other, id=wanted)
    with pytest.raises(NotFound):
        other.issue(wanted)  # the conflict does not make it visible


def test_issue_update(ws: Workspace) -> None:
    a = ws.create("IssueLabel", name="A")
    b = ws.create("IssueLabel", name="B")
    made = issue(ws, labelIds=[a.id])
    ws.update("Issue", made.id, {"title": "y", "priority": 1, "addedLabelIds": [b.id],
                                 "removedLabelIds": [a.id], "description": None})
    assert (made.title, made.priority, made.label_ids, made.description) == ("y", 1, [b.id], None)
    with pytest.raises(InvalidInput):
        ws.update("Issue", made.id, {"title": ""})
    with pytest.raises(InvalidInput):
        ws.update("Issue", made.id, {"parentId": made.id})
    with pytest.raises(NotFound):
        ws.update("Issue", made.id, {"addedLabelIds": ["nope"]})


def test_issue_move_team_gets_new_identifier(ws: Workspace) -> None:
    other = team(ws, "Ops", "OPS")
    made = issue(ws, stateId=states(ws, eng(ws))[2])
    ws.update("Issue", made.id, {"teamId": other.id})
    assert made.identifier == "OPS-1"
    assert ws.store["WorkflowState"][made.state_id].team_id == other.id
    assert ws.store["WorkflowState"][made.state_id].type == "started"
    assert ws.issue("ENG-1") is made
    index = ws.store.children("Issue", "teamId", other.id)
    assert index is not None and index.ids() == [made.id]  # the team index followed


def test_issue_delete_trash_then_again_then_restore(ws: Workspace) -> None:
    made = issue(ws)
    sync = ws.last_sync_id
    ws.delete("Issue", made.id)
    assert made.trashed is True and made.archived_at is not None
    assert ws.last_sync_id == sync + 1
    assert made not in ws.list("Issue") and made in ws.list("Issue", include_archived=True)
    assert ws.issue(made.id) is made  # still readable by id
    ws.delete("Issue", made.id)  # again: success, unchanged
    assert made.trashed is True
    ws.unarchive("Issue", made.id)
    assert made.trashed is None and made.archived_at is None


def test_issue_permanent_delete_cascades_by_reference(ws: Workspace) -> None:
    made = issue(ws)
    other = issue(ws, "y", parentId=made.id)
    ws.create("Comment", issueId=made.id, body="hi")
    ws.create("IssueRelation", issueId=made.id, relatedIssueId=other.id, type="blocks")
    ws.create("Attachment", issueId=made.id, url="https://example.com", title="link")
    ws.delete("Issue", made.id, permanently=True)
    with pytest.raises(NotFound):
        ws.issue(made.id)
    with pytest.raises(NotFound):
        ws.delete("Issue", made.id)
    # Nullable references are cleared; records that need the issue (non-null) go with it.
    assert other.parent_id is None and not ws.all("IssueRelation") and not ws.all("Attachment")
    assert ws.all("Comment") and ws.all("Comment")[0].issue_id is None


def test_issue_archive_and_trash_flag(ws: Workspace) -> None:
    a = issue(ws, "a")
    ws.archive("Issue", a.id)
    assert a.archived_at is not None and not a.trashed
    b = issue(ws, "b")
    ws.archive("Issue", b.id, trash=True)
    assert b.trashed is True
    ws.update("Issue", b.id, {"trashed": False})
    assert b.trashed is None and b.archived_at is None
    ws.update("Issue", b.id, {"trashed": True})
    assert b.trashed is True


def test_trashed_issue_purged_after_30_days(ws: Workspace, clock: VirtualClock) -> None:
    made = issue(ws)
    ws.delete("Issue", made.id)
    clock.advance(PURGE_AFTER + 1)
    issue(ws, "trigger")  # purge runs lazily on writes
    with pytest.raises(NotFound):
        ws.issue(made.id)


def test_batch_create_all_or_nothing(ws: Workspace) -> None:
    t = eng(ws).id
    wanted = str(uuid.uuid4())
    before = ws.last_sync_id
    with pytest.raises(NotFound):
        ws.create_many("Issue", [{"teamId": t, "title": "a"}, {"teamId": t, "title": "b", "stateId": "nope"}])
    with pytest.raises(AlreadyExists):
        ws.create_many("Issue", [{"teamId": t, "title": "a", "id": wanted},
                                 {"teamId": t, "title": "b", "id": wanted}])
    assert ws.all("Issue") == [] and ws.last_sync_id == before
    made = ws.create_many("Issue", [{"teamId": t, "title": "a"}, {"teamId": t, "title": "b"}])
    assert [i.identifier for i in made] == ["ENG-1", "ENG-2"] and ws.last_sync_id == before + 1


# ---------------------------------------------------------------- generic kinds
def test_generic_kind_create_read_update_delete(ws: Workspace) -> None:
    cycle = ws.create("Cycle", teamId=eng(ws).id, name="Sprint 1", startsAt=0.0, endsAt=86400.0)
    milestone = ws.create("ProjectMilestone", name="M1",
                          projectId=ws.create("Project", name="P", teamIds=[eng(ws).id]).id)
    assert ws.get("Cycle", cycle.id) is cycle and cycle.team_id == eng(ws).id
    ws.update("Cycle", cycle.id, {"name": "Sprint 2"})
    assert cycle.name == "Sprint 2"
    assert ws.store.children("ProjectMilestone", "projectId", milestone.project_id).ids() == [milestone.id]
    ws.delete("ProjectMilestone", milestone.id)  # DeletePayload kinds are removed
    with pytest.raises(NotFound):
        ws.get("ProjectMilestone", milestone.id)
    with pytest.raises(NotFound):
        ws.create("Cycle", teamId="nope", startsAt=0.0, endsAt=1.0)


def test_generic_reference_list_and_join(ws: Workspace) -> None:
    other = ws.all("User")[1]
    ws.create("TeamMembership", teamId=eng(ws).id, userId=other.id)
    favorite = ws.create("Favorite", issueId=issue(ws).id)
    assert favorite.owner_id == ws.viewer_id  # owner-like users default to the viewer


# ---------------------------------------------------------------- plan limits (F6)
def test_free_plan_team_limit_counts_archived_until_purged(model: Model, clock: VirtualClock) -> None:
    ws = model.create_workspace(plan="free", default_team=True)
    second = team(ws, "Ops", "OPS")
    with pytest.raises(UsageLimitExceeded):
        team(ws, "Third", "THR")
    ws.delete("Team", second.id)
    with pytest.raises(UsageLimitExceeded):  # the zombie still counts
        team(ws, "Third", "THR")
    clock.advance(PURGE_AFTER + 1)
    assert team(ws, "Third", "THR").key == "THR"


def test_free_plan_issue_limit(model: Model, clock: VirtualClock) -> None:
    ws = model.create_workspace(plan="free", default_team=True)
    t = eng(ws).id
    for n in range(5):
        ws.create_many("Issue", [{"teamId": t, "title": f"j{n}-{k}"} for k in range(50)])
    assert ws.issue_count_for_limit() == 250
    sync = ws.last_sync_id
    with pytest.raises(UsageLimitExceeded):
        issue(ws, "251")
    assert ws.last_sync_id == sync
    first = ws.all("Issue")[0]
    ws.delete("Issue", first.id)  # trashed still counts
    with pytest.raises(UsageLimitExceeded):
        issue(ws, "251")
    second = ws.all("Issue")[1]
    ws.archive("Issue", second.id)  # archived (not trashed) frees a slot
    issue(ws, "251")
    with pytest.raises(UsageLimitExceeded):
        ws.unarchive("Issue", second.id)
    clock.advance(PURGE_AFTER + 1)
    ws.purge_expired()
    ws.unarchive("Issue", second.id)


def test_unlimited_plan_has_no_team_limit(ws: Workspace) -> None:
    for n in range(5):
        team(ws, f"Team {n}")
    assert len(ws.list("Team", include_archived=False)) == 6  # ENG plus five more


def test_unknown_plan_rejected(model: Model) -> None:
    with pytest.raises(InvalidInput):
        model.create_workspace(plan="gold")


# ---------------------------------------------------------------- projects/documents/labels/...
def test_project_lifecycle(ws: Workspace, clock: VirtualClock) -> None:
    with pytest.raises(InvalidInput):
        ws.create("Project", name="P", teamIds=[])
    with pytest.raises(NotFound):
        ws.create("Project", name="P", teamIds=["nope"])
    project = ws.create("Project", name="Launch", teamIds=[eng(ws).id], description="d")
    assert project.url.startswith("https://linear.app/acme/project/launch-")
    ws.update("Project", project.id, {"name": "Launch 2", "priority": 3})
    assert project.name == "Launch 2"
    ws.delete("Project", project.id)
    assert project.trashed and project not in ws.list("Project")
    ws.delete("Project", project.id)
    ws.unarchive("Project", project.id)
    assert not project.trashed and project in ws.list("Project")
    ws.delete("Project", project.id)
    clock.advance(PURGE_AFTER + 1)
    ws.purge_expired()
    with pytest.raises(NotFound):
        ws.get("Project", project.id)


def test_document_lifecycle(ws: Workspace) -> None:
    project = ws.create("Project", name="P", teamIds=[eng(ws).id])
    doc = ws.create("Document", title="Spec", content="c", projectId=project.id)
    with pytest.raises(NotFound):
        ws.create("Document", title="Spec", projectId="nope")
    ws.update("Document", doc.id, {"title": "Spec 2", "content": None})
    assert doc.title == "Spec 2" and doc.content is None
    ws.delete("Document", doc.id)
    assert doc.trashed and doc not in ws.list("Document")
    ws.delete("Document", doc.id)
    ws.unarchive("Document", doc.id)
    assert doc in ws.list("Document")


def test_labels(ws: Workspace) -> None:
    wide = ws.create("IssueLabel", name="Bug")
    with pytest.raises(InvalidInput):
        ws.create("IssueLabel", name="bug", teamId=eng(ws).id)
    made = issue(ws, labelIds=[wide.id])
    ws.delete("IssueLabel", wide.id)
    assert made.label_ids == []
    with pytest.raises(NotFound):
        ws.delete("IssueLabel", wide.id)


def test_comments_and_relations(ws: Workspace) -> None:
    a, b = issue(ws, "a"), issue(ws, "b")
    comment = ws.create("Comment", issueId=a.identifier, body="hello")
    reply = ws.create("Comment", issueId=a.id, body="re", parentId=comment.id)
    with pytest.raises(InvalidInput):
        ws.create("Comment", issueId=a.id, body="")
    with pytest.raises(NotFound):
        ws.create("Comment", issueId="nope", body="x")
    ws.delete("Comment", comment.id)
    with pytest.raises(NotFound):
        ws.get("Comment", reply.id)
    with pytest.raises(NotFound):
        ws.delete("Comment", comment.id)
    for kind in ("blocks", "duplicate", "related", "similar"):
        ws.create("IssueRelation", issueId=a.id, relatedIssueId=b.identifier, type=kind)
    with pytest.raises(InvalidInput):
        ws.create("IssueRelation", issueId=a.id, relatedIssueId=b.id, type="parent")
    with pytest.raises(InvalidInput):
        ws.create("IssueRelation", issueId=a.id, relatedIssueId=a.id, type="blocks")
    rel = ws.all("IssueRelation")[0]
    ws.delete("IssueRelation", rel.id)
    with pytest.raises(NotFound):
        ws.delete("IssueRelation", rel.id)


# ---------------------------------------------------------------- invariants
def test_last_sync_id_strictly_increases(ws: Workspace) -> None:
    seen = [ws.last_sync_id]
    ops = team(ws, "Ops", "OPS")
    seen.append(ws.last_sync_id)
    made = issue(ws, team_id=ops.id)
    seen.append(ws.last_sync_id)
    ws.update("Issue", made.id, {"title": "y"})
    seen.append(ws.last_sync_id)
    ws.delete("Issue", made.id)
    seen.append(ws.last_sync_id)
    assert seen == sorted(set(seen))


def test_changes_are_recorded_for_observers(ws: Workspace) -> None:
    ws.drain_changes()
    made = issue(ws, "a")
    ws.update("Issue", made.id, {"title": "b"})
    ws.delete("Issue", made.id, permanently=True)
    changes = ws.drain_changes()
    assert [(c.action, c.kind) for c in changes] == [("create", "Issue"), ("update", "Issue"),
                                                     ("remove", "Issue")]
    assert changes[1].previous["title"] == "a" and changes[1].record["title"] == "b"
    assert ws.drain_changes() == []


def test_tenancy_isolation(model: Model) -> None:
    a = model.create_workspace("A", plan="unlimited", default_team=True)
    b = model.create_workspace("B", plan="unlimited", default_team=True)
    secret = issue(a, "secret")
    with pytest.raises(NotFound):
        b.issue(secret.id)
    with pytest.raises(NotFound):
        b.team(eng(a).id)
    assert secret not in b.all("Issue")
    with pytest.raises(NotFound):
        b.issue("ENG-1")  # same identifier in another workspace does not leak
    with pytest.raises(NotFound):
        issue(b, team_id=eng(a).id)
    assert a.id != b.id and a.url_key != b.url_key


def test_snapshot_round_trip(model: Model, clock: VirtualClock) -> None:
    ws = model.create_workspace("Seeded", seed_content=True, plan="unlimited", default_team=True)
    ws.delete("Issue", ws.all("Issue")[0].id)
    ws.delete("Team", team(ws, "Ops", "OPS").id)
    snap = json.loads(json.dumps(model.snapshot()))
    restored = Model.restore(snap, Rng(1), clock, shared_api().catalog)
    assert restored.snapshot() == snap
    rws = restored.workspace(ws.id)
    assert rws.issue("ENG-3").title == ws.issue("ENG-3").title
    # Behaviour continues identically after restore.
    x = issue(ws, "after")
    y = issue(rws, "after")
    assert (x.id, x.identifier) == (y.id, y.identifier)
    clock.advance(PURGE_AFTER + 1)
    assert rws.purge_expired() == 2


def test_restore_rejects_unknown_version(clock: VirtualClock) -> None:
    with pytest.raises(ValueError):
        Model.restore({"version": 99, "workspaces": []}, Rng(1), clock, shared_api().catalog)
