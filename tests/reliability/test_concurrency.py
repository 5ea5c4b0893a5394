"""Concurrency safety of the fake, in-process: one lock serializes every request.

Threads hammer ``issueCreate`` into the same team, half through ``mock_linear`` (respx +
httpx, the way user code reaches the fake) and half straight through ``FakeLinear.handle``.
Identifiers must come out unique and gapless and ``lastSyncId`` strictly increasing. The
virtual clock never moves and nothing sleeps.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx

from benchmarks.bench_load import NO_TLS
from fakelinear.handler import FakeLinear
from fakelinear.transports.mock import mock_linear
from tests.reliability.conftest import CREATE_ISSUE, gql

THREADS = 8
PER_THREAD = 25


def _team_id(fake: FakeLinear, token: str) -> str:
    return fake.workspace_for(token).team("ENG").id


def test_concurrent_creates_in_one_team_are_unique_gapless_and_ordered() -> None:
    fake = FakeLinear(seed=5, workspaces=1, plan="unlimited", profile="calm")
    token = fake.tokens[0]
    team_id = _team_id(fake, token)
    start_sync = fake.workspace_for(token).last_sync_id
    results: dict[int, list[dict[str, Any]]] = {i: [] for i in range(THREADS)}
    errors: list[str] = []
    barrier = threading.Barrier(THREADS)

    def via_httpx(index: int) -> None:
        with httpx.Client(
            base_url="https://api.linear.app", headers={"authorization": token}, verify=NO_TLS
        ) as http:
            barrier.wait(timeout=30)
            for n in range(PER_THREAD):
                r = http.post(
                    "/graphql",
                    json={"query": CREATE_ISSUE, "variables": {"input": {"teamId": team_id, "title": f"t{index} n{n}"}}},
                )
                body = r.json()
                if r.status_code != 200 or body.get("errors"):
                    errors.append(f"{r.status_code} {body}")
                    continue
                results[index].append(body["data"]["issueCreate"])

    def via_handle(index: int) -> None:
        barrier.wait(timeout=30)
        for n in range(PER_THREAD):
            r, body = gql(fake, token, CREATE_ISSUE, {"input": {"teamId": team_id, "title": f"t{index} n{n}"}})
            if r.status != 200 or body.get("errors"):
                errors.append(f"{r.status} {body}")
                continue
            results[index].append(body["data"]["issueCreate"])

    with mock_linear(fake):
        threads = [
            threading.Thread(target=via_httpx if i % 2 else via_handle, args=(i,), daemon=True)
            for i in range(THREADS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]

    total = THREADS * PER_THREAD
    payloads = [p for items in results.values() for p in items]
    assert len(payloads) == total
    numbers = sorted(int(p["issue"]["number"]) for p in payloads)
    assert numbers == list(range(1, total + 1))  # unique and gapless
    idents = Counter(p["issue"]["identifier"] for p in payloads)
    assert len(idents) == total and set(idents) == {f"ENG-{n}" for n in range(1, total + 1)}
    syncs = sorted(p["lastSyncId"] for p in payloads)
    assert syncs == [float(start_sync + n) for n in range(1, total + 1)]  # one bump each, no sharing
    for items in results.values():  # and each thread saw its own sequence strictly increase
        seq = [p["lastSyncId"] for p in items]
        assert all(b > a for a, b in zip(seq, seq[1:], strict=False)), seq
    by_sync = sorted(payloads, key=lambda p: p["lastSyncId"])
    assert [int(p["issue"]["number"]) for p in by_sync] == list(range(1, total + 1))

    ws = fake.workspace_for(token)
    assert ws.last_sync_id == start_sync + total
    assert len(fake.journal.entries(operation="issueCreate", committed=True)) == total
    state_numbers = sorted(i.number for i in ws.list("Issue", True) if i.team_id == team_id)
    assert state_numbers == list(range(1, total + 1))


def test_concurrent_mixed_workspaces_do_not_interfere() -> None:
    """Writers in two workspaces at once: each workspace's sync ids and numbers stay its own."""
    fake = FakeLinear(seed=6, workspaces=2, plan="unlimited", profile="calm")
    tokens = fake.tokens
    teams = [_team_id(fake, t) for t in tokens]
    starts = [fake.workspace_for(t).last_sync_id for t in tokens]
    out: list[tuple[int, float, int]] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        w = index % 2
        for n in range(20):
            _, body = gql(fake, tokens[w], CREATE_ISSUE, {"input": {"teamId": teams[w], "title": f"w{w} {index} {n}"}})
            payload = body["data"]["issueCreate"]
            with lock:
                out.append((w, payload["lastSyncId"], int(payload["issue"]["number"])))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for w in (0, 1):
        mine = sorted((s, n) for ww, s, n in out if ww == w)
        assert [s for s, _ in mine] == [float(starts[w] + k) for k in range(1, 61)]
        assert [n for _, n in mine] == list(range(1, 61))
