"""Random operation sequences: the model never crashes on bad input, a rejected write
changes nothing, and every committed write bumps lastSyncId by exactly one."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.model import PURGE_AFTER, Model, ModelError, Workspace
from fakelinear.rng import Rng
from tests.fakelinear.api_helpers import new_model


def _pick(rnd: random.Random, ws: Workspace, kind: str) -> Any:
    pool = [e.id for e in ws.all(kind)]
    if kind == "Issue":
        pool += [i.identifier for i in ws.all("Issue")]
    garbage = ["", "nope", str(uuid.UUID(int=rnd.getrandbits(128), version=4)), None, 7, "ENG-999"]
    if pool and rnd.random() < 0.8:
        return rnd.choice(pool)
    return rnd.choice(garbage)


def _maybe_id(rnd: random.Random, ws: Workspace) -> Any:
    roll = rnd.random()
    if roll < 0.6:
        return None
    if roll < 0.8:
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    if roll < 0.9:
        return rnd.choice([e.id for e in ws.all("Issue")] or ["x"])
    return "not-a-uuid"


def _text(rnd: random.Random) -> Any:
    return rnd.choice(["t", "Title", "", "  ", None, 5, "x" * 30])


def _op(rnd: random.Random, ws: Workspace) -> tuple[str, Any]:
    i = lambda: _pick(rnd, ws, "Issue")  # noqa: E731
    t = lambda: _pick(rnd, ws, "Team")  # noqa: E731
    ops = [
        ("create_team", lambda: ws.create("Team", name=_text(rnd), key=rnd.choice([None, "AB", "TOOLONG", "x1"]),
                                          id=_maybe_id(rnd, ws))),
        ("update_team", lambda: ws.update("Team", t(), {"name": _text(rnd), "key": rnd.choice([None, "QQ", "!"])})),
        ("delete_team", lambda: ws.delete("Team", t())),
        ("unarchive_team", lambda: ws.unarchive("Team", t())),
        ("create_issue", lambda: ws.create(
            "Issue", teamId=t(), title=_text(rnd), priority=rnd.choice([None, 0, 2, 4, 5, -1, True]),
            stateId=rnd.choice([None, _pick(rnd, ws, "WorkflowState")]),
            labelIds=rnd.choice([None, [], [_pick(rnd, ws, "IssueLabel")], "bad"]),
            parentId=rnd.choice([None, i()]), projectId=rnd.choice([None, _pick(rnd, ws, "Project")]),
            id=_maybe_id(rnd, ws))),
        ("create_issues", lambda: ws.create_many("Issue", [
            {"teamId": t(), "title": _text(rnd), "id": _maybe_id(rnd, ws)}
            for _ in range(rnd.randint(1, 3))])),
        ("update_issue", lambda: ws.update("Issue", i(), rnd.choice([
            {"title": _text(rnd)}, {"priority": rnd.choice([1, 9])}, {"teamId": t()},
            {"parentId": i()}, {"stateId": _pick(rnd, ws, "WorkflowState")},
            {"addedLabelIds": [_pick(rnd, ws, "IssueLabel")]}, {"trashed": rnd.choice([True, False])},
            {"projectId": None}]))),
        ("archive_issue", lambda: ws.archive("Issue", i(), trash=rnd.random() < 0.5)),
        ("unarchive_issue", lambda: ws.unarchive("Issue", i())),
        ("delete_issue", lambda: ws.delete("Issue", i(), permanently=rnd.random() < 0.3)),
        ("create_project", lambda: ws.create("Project", name=_text(rnd), teamIds=rnd.choice([[t()], [], "x"]),
                                             id=_maybe_id(rnd, ws))),
        ("delete_project", lambda: ws.delete("Project", _pick(rnd, ws, "Project"))),
        ("create_document", lambda: ws.create("Document", title=_text(rnd), projectId=rnd.choice(
            [None, _pick(rnd, ws, "Project")]), id=_maybe_id(rnd, ws))),
        ("delete_document", lambda: ws.delete("Document", _pick(rnd, ws, "Document"))),
        ("create_label", lambda: ws.create("IssueLabel", name=_text(rnd), teamId=rnd.choice([None, t()]),
                                           id=_maybe_id(rnd, ws))),
        ("delete_label", lambda: ws.delete("IssueLabel", _pick(rnd, ws, "IssueLabel"))),
        ("create_comment", lambda: ws.create("Comment", issueId=i(), body=_text(rnd), id=_maybe_id(rnd, ws))),
        ("delete_comment", lambda: ws.delete("Comment", _pick(rnd, ws, "Comment"))),
        ("create_relation", lambda: ws.create("IssueRelation", issueId=i(), relatedIssueId=i(),
                                              type=rnd.choice(["blocks", "related", "x"]), id=_maybe_id(rnd, ws))),
        ("delete_relation", lambda: ws.delete("IssueRelation", _pick(rnd, ws, "IssueRelation"))),
        ("create_cycle", lambda: ws.create("Cycle", teamId=t(), startsAt=0.0, endsAt=1.0, id=_maybe_id(rnd, ws))),
        ("delete_cycle", lambda: ws.delete("Cycle", _pick(rnd, ws, "Cycle"))),
    ]
    return rnd.choice(ops)


@pytest.mark.parametrize("seed", range(6))
def test_random_operations(seed: int) -> None:
    rnd = random.Random(seed)
    clock = VirtualClock()
    model = new_model(Rng(seed), clock)
    ws = model.create_workspace("Fuzz", plan=rnd.choice(["free", "unlimited"]))
    ok = failed = 0
    for _ in range(400):
        if rnd.random() < 0.05:
            clock.advance(rnd.choice([1.0, PURGE_AFTER / 2, PURGE_AFTER + 1]))
        ws.purge_expired()  # purges are not writes: settle them before comparing
        before = model.snapshot()
        name, call = _op(rnd, ws)
        try:
            call()
        except ModelError:
            failed += 1
            assert model.snapshot() == before, f"{name} left a partial write"
        else:
            ok += 1
            assert ws.last_sync_id == before["workspaces"][0]["last_sync_id"] + 1, name
        for issue in ws.all("Issue"):
            assert issue.state_id in [st.id for st in ws.team_states(issue.team_id)]
            assert all(lb in ws.store["IssueLabel"] for lb in issue.label_ids)
            assert issue.parent_id is None or issue.parent_id in ws.store["Issue"]
            assert ws.issue(issue.identifier) is issue
    assert ok > 20 and failed > 20
    restored = Model.restore(model.snapshot(), Rng(seed), clock, model.catalog)
    assert restored.snapshot() == model.snapshot()
