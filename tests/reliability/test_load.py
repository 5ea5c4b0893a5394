"""A small bounded version of the loopback load benchmark, plus the checker's own tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from benchmarks.bench_load import LoadConfig, run_against, running_server
from benchmarks.load_checker import Ack, check_load


@pytest.mark.parametrize("profile", ["calm", "linear-observed"])
def test_bounded_load_keeps_every_invariant(profile: str) -> None:
    """8 clients x 15 mixed requests over 2 workspaces on `fakelinear serve`: checker OK."""
    config = LoadConfig(clients=8, requests_per_client=15, workspaces=2, profile=profile, seed=11, max_seconds=40)
    with running_server("--workspaces", "2", "--profile", profile, "--seed", "11") as server:
        result = run_against(server.base_url, server.tokens, config)
        assert server.process.poll() is None, "server died under load"
    assert result.check.ok, result.check.summary()
    assert len(result.acks) == config.clients * config.requests_per_client
    assert result.check.counts["journal_entries"] == len(result.acks)  # nothing lost or added
    assert result.check.counts["acked_creates"] > 0
    assert result.requests_per_second > 0 and result.latency_ms(0.99) >= result.latency_ms(0.5)


# ----------------------------------------------------------------------------- checker


def _issue(ws: str, team: str, number: int, title: str, iid: str) -> dict[str, Any]:
    return {"id": iid, "teamId": team, "number": float(number), "identifier": f"ENG-{number}", "title": title}


def _state(issues: list[dict[str, Any]], count: int, sync: int) -> dict[str, Any]:
    return {
        "workspaces": [
            {
                "id": "w1",
                "last_sync_id": sync,
                "entities": {
                    "Team": [{"id": "t1", "key": "ENG", "_lastIssueNumber": count}],
                    "Issue": issues,
                },
            }
        ]
    }


def _ack(n: int, iid: str, sync: float, **kw: Any) -> Ack:
    return Ack(
        client=0, workspace_id="w1", op="issueCreate", status=200, ok=True, latency=0.01,
        last_sync_id=sync, issue_id=iid, identifier=f"ENG-{n}", number=n, team_id="t1",
        title=f"load {n}", seq=n, **kw,
    )


def _entry(seq: int, title: str, committed: bool = True, status: int = 200, decision: str = "passed") -> dict[str, Any]:
    return {
        "seq": seq, "workspace_id": "w1", "root_fields": ["issueCreate"], "committed": committed,
        "variables": {"input": {"teamId": "t1", "title": title}}, "status": status,
        "decision": decision, "operation_name": "C",
    }


def _good() -> tuple[list[Ack], list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    acks = [_ack(1, "i1", 1001), _ack(2, "i2", 1002)]
    journal = [_entry(1, "load 1"), _entry(2, "load 2")]
    base = _state([], 0, 1000)
    final = _state([_issue("w1", "t1", 1, "load 1", "i1"), _issue("w1", "t1", 2, "load 2", "i2")], 2, 1002)
    return acks, journal, base, final


def test_checker_accepts_a_consistent_run() -> None:
    acks, journal, base, final = _good()
    report = check_load(acks, journal, base, final)
    assert report.ok, report.summary()


@pytest.mark.parametrize(
    "mutate, check",
    [
        ("lose", "lost-write"),
        ("double", "doubled-write"),
        ("gap", "numbering"),
        ("dup_number", "numbering"),
        ("uninjected_502", "uninjected-5xx"),
        ("sync_dup", "last-sync-id"),
        ("sync_drift", "journal-vs-state"),
        ("uncommitted_present", "journal-vs-state"),
        ("committed_missing", "lost-write"),
    ],
)
def test_checker_catches_each_broken_invariant(mutate: str, check: str) -> None:
    acks, journal, base, final = _good()
    final = copy.deepcopy(final)
    issues = final["workspaces"][0]["entities"]["Issue"]
    if mutate == "lose":
        issues.pop()
    elif mutate == "double":
        issues.append(_issue("w1", "t1", 3, "load 2", "i3"))
        final["workspaces"][0]["entities"]["Team"][0]["_lastIssueNumber"] = 3
    elif mutate == "gap":
        final["workspaces"][0]["entities"]["Team"][0]["_lastIssueNumber"] = 3
    elif mutate == "dup_number":
        issues[1]["number"] = 1.0
    elif mutate == "uninjected_502":
        journal.append({**_entry(3, "x"), "root_fields": ["issue"], "status": 502, "committed": False})
    elif mutate == "sync_dup":
        acks[1] = _ack(2, "i2", 1001)
    elif mutate == "sync_drift":
        final["workspaces"][0]["last_sync_id"] = 1003
    elif mutate == "uncommitted_present":
        journal.append(_entry(3, "load 3", committed=False, decision="phantom_conflict"))
        issues.append(_issue("w1", "t1", 3, "load 3", "i3"))
        final["workspaces"][0]["entities"]["Team"][0]["_lastIssueNumber"] = 3
    elif mutate == "committed_missing":  # a commit-then-fail create the state lost
        journal.append(_entry(3, "load 3", committed=True, status=502, decision="gateway_after_commit"))
        final["workspaces"][0]["last_sync_id"] = 1003
    report = check_load(acks, journal, base, final)
    assert check in {v.check for v in report.violations}, report.summary()


def test_checker_accepts_gaps_explained_by_permanent_deletes() -> None:
    acks, journal, base, final = _good()
    final = copy.deepcopy(final)
    final["workspaces"][0]["entities"]["Issue"].pop(0)
    final["workspaces"][0]["last_sync_id"] = 1003
    journal.append({
        "seq": 3, "workspace_id": "w1", "root_fields": ["issueDelete"], "committed": True,
        "variables": {"id": "i1", "permanentlyDelete": True}, "status": 200, "decision": "passed",
    })
    report = check_load(acks, journal, base, final)
    assert report.ok, report.summary()
