"""cleanup_workspace safety and the linear-cleanup script."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from fakelinear.clock import VirtualClock
from fakelinear.testkit import cleanup_cli, workspace
from fakelinear.testkit.backends import FAKE_URL
from fakelinear.testkit.workspace import cleanup_workspace
from fakelinear.transports.mock import mock_linear
from promoter.linear import LinearClient


def inventory(client):
    """Every live-or-archived resource id, per kind."""
    return {
        "issues": {i.id for i in client.iter_issues(include_archived=True)},
        "documents": {
            d.id
            for d in workspace.iter_pages(client.documents, include_archived=True)
            if not d.trashed
        },
        "projects": {
            p.id
            for p in workspace.iter_pages(client.projects, include_archived=True)
            if not p.trashed
        },
        "labels": {
            x.id
            for x in workspace.iter_pages(client.labels, include_archived=True)
            if x.archived_at is None
        },
        "teams": {
            t.id
            for t in workspace.iter_pages(client.teams, include_archived=True)
            if t.archived_at is None
        },
    }


@pytest.fixture
def seeded():
    """A workspace with realistic non-test content plus test leftovers of every kind."""
    clock = VirtualClock()
    with mock_linear(
        seed=5, clock=clock, profile="calm", workspaces=2, plan="unlimited", seed_content=True
    ) as fake:
        client = LinearClient(fake.tokens[0], url=FAKE_URL)
        clock.advance(10)
        before = inventory(client)
        real_team = client.team_create("Platform", key="PLAT")
        test_team = client.team_create("[test] team 0badc0de", key="TBADC")
        keep = {
            "issues": {client.issue_create(real_team.id, "Real work").id},
            "projects": {client.project_create("Real roadmap", [real_team.id]).id},
            "labels": {client.label_create("real-label", team_id=real_team.id).id},
            "teams": {real_team.id},
        }
        keep["documents"] = {
            client.document_create("Real doc", project_id=next(iter(keep["projects"]))).id
        }
        gone = {
            "issues": {
                client.issue_create(real_team.id, "[test] issue 11111111").id,
                client.issue_create(test_team.id, "not named test but in a test team").id,
            },
            "projects": {client.project_create("[test] project 22222222", [real_team.id]).id},
            "labels": {
                client.label_create("[test] label 33333333").id,
                client.label_create("plain label in test team", team_id=test_team.id).id,
            },
            "teams": {test_team.id},
        }
        gone["documents"] = {client.document_create("[test] document 44444444").id}
        archived = client.issue_create(real_team.id, "[test] issue archived")
        client.issue_archive(archived.id)
        trashed = client.issue_create(real_team.id, "[test] issue trashed")
        client.issue_delete(trashed.id)
        gone["issues"] |= {archived.id, trashed.id}
        clock.advance(60)
        yield fake, client, clock, before, keep, gone


def test_safe_by_default_keeps_all_non_test_data(seeded):
    fake, client, clock, before, keep, gone = seeded
    assert sum(len(v) for v in before.values()) > 10  # the seed really has content
    report = cleanup_workspace(client, clock=clock)
    assert report.ok
    after = inventory(client)
    for kind in workspace.KINDS:
        assert before[kind] | keep[kind] <= after[kind], kind
        assert not (gone[kind] & after[kind]), kind
        assert {r.id for r in report.removed[kind]} == gone[kind], kind
    assert cleanup_workspace(client, clock=clock).total_removed == 0


def test_dry_run_lists_and_deletes_nothing(seeded):
    fake, client, clock, before, keep, gone = seeded
    snapshot = inventory(client)
    report = cleanup_workspace(client, dry_run=True, clock=clock)
    assert report.dry_run and {r.id for r in report.removed["issues"]} == gone["issues"]
    assert inventory(client) == snapshot


def test_all_wipes(seeded):
    fake, client, clock, before, keep, gone = seeded
    report = cleanup_workspace(client, all=True, clock=clock)
    assert report.ok
    after = inventory(client)
    assert (
        not after["issues"]
        and not after["projects"]
        and not after["documents"]
        and not after["labels"]
        and not after["teams"]
    )


def test_follows_every_page():
    clock = VirtualClock()
    with mock_linear(seed=6, clock=clock, profile="calm", plan="unlimited") as fake:
        client = LinearClient(fake.tokens[0], url=FAKE_URL)
        team = client.team_create("Real", key="REAL")
        for n in range(260):
            client.issue_create(team.id, f"[test] issue {n:08x}")
        clock.advance(60)
        report = cleanup_workspace(client, clock=clock)
        assert len(report.removed["issues"]) == 260
        assert not list(client.iter_issues(include_archived=True))


def test_per_kind_failures_are_reported_not_fatal(seeded, monkeypatch):
    fake, client, clock, before, keep, gone = seeded
    from promoter.linear import ForbiddenError

    def refuse(ident):
        raise ForbiddenError("not allowed")

    monkeypatch.setattr(client, "label_delete", refuse)
    report = cleanup_workspace(client, clock=clock)
    assert not report.ok and len(report.failures["labels"]) == 2
    assert {r.id for r in report.removed["teams"]} == gone["teams"]  # later kinds still ran


def test_an_unexpected_error_in_one_kind_is_reported_not_fatal(seeded, monkeypatch):
    fake, client, clock, before, keep, gone = seeded

    def broken(**kw):
        raise KeyError("boom")  # not a LinearError: a bug or an odd answer while listing

    monkeypatch.setattr(client, "documents", broken)
    report = cleanup_workspace(client, clock=clock)
    assert report.failures["documents"] and "KeyError" in report.failures["documents"][0]
    assert {r.id for r in report.removed["projects"]} == gone["projects"]
    assert {r.id for r in report.removed["teams"]} == gone["teams"]


def run_cli(fake, tokens, **kw):
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    code, results = cleanup_cli.run(
        tokens,
        clock=fake.clock,
        client_factory=lambda t: LinearClient(t, url=FAKE_URL),
        console=console,
        **kw,
    )
    return code, results, out.getvalue()


def test_cli_sweeps_every_workspace_and_survives_a_bad_one(seeded):
    fake, client, clock, *_ = seeded
    tokens = [fake.tokens[0], "lin_api_revokedTOKEN999999", fake.tokens[1]]
    code, results, text = run_cli(fake, tokens)
    assert code == 1
    assert "cleanup: workspace 1/3 (token …" + fake.tokens[0][-6:] + ")" in text
    assert "cleanup: workspace 2/3 (token …999999)" in text
    assert "cleanup: workspace 3/3 (token …" + fake.tokens[1][-6:] + ")" in text
    assert [r.ok for r in results] == [True, False, True]
    assert "Authentication required" in text and "FAILED" in text and "linear-cleanup" in text
    assert results[0].report.total_removed > 0
    for token in tokens:
        assert token not in text


def test_cli_exit_zero_and_dry_run(seeded):
    fake, client, clock, *_ = seeded
    code, results, text = run_cli(fake, fake.tokens, dry_run=True)
    assert code == 0 and "would delete issue" in text and "(dry run)" in text
    code, results, text = run_cli(fake, fake.tokens)
    assert code == 0 and "deleted issue" in text
    code, results, text = run_cli(fake, fake.tokens, dry_run=True)
    assert code == 0 and "would delete" not in text


def test_cli_main_no_token(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("LINEAR_TEST_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cleanup_cli.main([]) == 2
    assert "LINEAR_TEST_TOKEN" in capsys.readouterr().err


def test_cli_main_with_env_pool(monkeypatch, capsys):
    with mock_linear(seed=7, profile="calm", workspaces=2) as fake:
        monkeypatch.setenv("LINEAR_TEST_TOKEN", ";".join(fake.tokens) + ";")
        monkeypatch.delenv("LINEAR_API_URL", raising=False)
        assert cleanup_cli.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "cleanup: workspace 2/2" in out


def test_cleanup_zombies_once_per_process_and_only_old_ones():
    clock = VirtualClock()
    with mock_linear(seed=8, clock=clock, profile="calm", plan="unlimited") as fake:
        client = LinearClient(fake.tokens[0], url=FAKE_URL)
        team = client.team_create("Real", key="REAL")
        old = client.issue_create(team.id, "[test] issue old")
        old_label = client.label_create("[test] label old")
        clock.advance(2 * 3600)
        young = client.issue_create(team.id, "[test] issue young")
        young_label = client.label_create("[test] label young")  # a live run's, maybe
        clock.advance(60)
        workspace._reset_zombie_flag()
        try:
            report = workspace.cleanup_zombies(client, clock=clock)
            assert {r.id for r in report.removed["issues"]} == {old.id}
            assert {r.id for r in report.removed["labels"]} == {old_label.id}
            assert workspace.cleanup_zombies(client, clock=clock) is None
            assert client.issue(young.id).id == young.id
            labels = {x.id for x in workspace.iter_pages(client.labels, clock)}
            assert young_label.id in labels and old_label.id not in labels
        finally:
            workspace._reset_zombie_flag()
