"""The whole-schema engine: full-fragment reads, lists at scale, start-up.

(a) the SDK's full-fragment ``issue`` read vs a minimal ``issue { id title }`` read,
    in-process (handler seam, and through httpx + ``mock_linear``); aim <= 3x.
(b) ``issues(first: 50, filter: {team: ...})`` at 1k vs 50k issues (10 teams); aim <= 1.5x.
(c) a full page walk (``first: 50`` pages until the end): cost per issue at 1k vs 20k;
    aim <= 1.5x.
(d) process start to first answered request (whole schema, cache warm) vs
    ``python -c "import httpx"``; aim <= 5x.

Rounds alternate the two sides of each comparison; medians and their ratio are printed.

    .venv/bin/python -m benchmarks.bench_engine [--rounds 7] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from fakelinear.handler import FakeLinear
from fakelinear.http import Request
from fakelinear.transports.mock import mock_linear

MINIMAL = "query issue($id: String!) { issue(id: $id) { id title } }"
LIST = ("query($t: ID!, $after: String) { issues(first: 50, after: $after,"
        " filter: {team: {id: {eq: $t}}}) { nodes { id identifier title } pageInfo { hasNextPage endCursor } } }")
WALK = ("query($after: String) { issues(first: 50, after: $after) { nodes { id identifier }"
        " pageInfo { hasNextPage endCursor } } }")
STARTUP = (
    "from fakelinear import FakeLinear; from fakelinear.http import Request;"
    "f = FakeLinear(); r = f.handle(Request('POST', '/graphql', {'authorization': f.tokens[0],"
    " 'content-type': 'application/json'}, b'{\"query\": \"{ viewer { id name } }\"}', b''));"
    "assert r.status == 200, r.body"
)


def sdk_issue_document() -> str:
    """The ``issue`` document @linear/sdk sends (every field of Issue and what it nests)."""
    from tests.sdk.documents_support import documents_for_served_schema

    return next(d.text for d in documents_for_served_schema() if d.name == "issue")


def _fake_with_issues(count: int, teams: int = 10) -> tuple[FakeLinear, list[str], list[str]]:
    fake = FakeLinear(seed=1, plan="unlimited")
    ws = fake.workspace_for(fake.tokens[0])
    team_ids = [ws.team("ENG").id] + [ws.create("Team", name=f"Bench {n}").id for n in range(teams - 1)]
    ids: list[str] = []
    batch: dict[str, list[dict[str, Any]]] = {t: [] for t in team_ids}
    for n in range(count):
        team = team_ids[n % teams]
        batch[team].append({"teamId": team, "title": f"bench issue {n}"})
        if len(batch[team]) == 50:
            ids += [r.id for r in ws.create_many("Issue", batch[team])]
            batch[team] = []
    for items in batch.values():
        if items:
            ids += [r.id for r in ws.create_many("Issue", items)]
    ws.drain_changes()
    return fake, team_ids, ids


def _send(fake: FakeLinear, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = fake.handle(Request("POST", "/graphql", {"authorization": fake.tokens[0],
                                                        "content-type": "application/json"}, body, b""))
    out: dict[str, Any] = json.loads(response.body)
    assert "errors" not in out, out
    return out


def _time(fn: Callable[[], None], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def _compare(name: str, a: tuple[str, Callable[[], float]], b: tuple[str, Callable[[], float]],
             rounds: int, aim: float, unit: str = "µs", scale: float = 1e6) -> None:
    sa, sb = [], []
    for _ in range(rounds):
        sa.append(a[1]())
        sb.append(b[1]())
    ma, mb = statistics.median(sa), statistics.median(sb)
    print(f"{name}: {a[0]} {ma * scale:.1f} {unit}, {b[0]} {mb * scale:.1f} {unit},"
          f" ratio {mb / ma:.2f}x (aim <= {aim}x)", flush=True)


def full_fragment_read(rounds: int, repeat: int) -> None:
    fake, _teams, ids = _fake_with_issues(100, teams=2)
    full = sdk_issue_document()
    variables = {"id": ids[50]}
    _send(fake, full, variables)  # warm the document caches
    _send(fake, MINIMAL, variables)
    _compare("(a) issue read, handler seam",
             ("minimal", lambda: _time(lambda: _send(fake, MINIMAL, variables), repeat)),
             ("SDK full fragment", lambda: _time(lambda: _send(fake, full, variables), repeat)),
             rounds, 3.0)
    with mock_linear(fake), httpx.Client(base_url="https://api.linear.app",
                                         headers={"authorization": fake.tokens[0]}) as http:
        def post(query: str) -> Callable[[], None]:
            return lambda: http.post("/graphql", json={"query": query, "variables": variables}).raise_for_status()

        _compare("(a) issue read, httpx + mock_linear",
                 ("minimal", lambda: _time(post(MINIMAL), repeat)),
                 ("SDK full fragment", lambda: _time(post(full), repeat)),
                 rounds, 3.0)


def filtered_page(rounds: int, repeat: int, big: int) -> None:
    small_fake, small_teams, _ = _fake_with_issues(1_000)
    big_fake, big_teams, _ = _fake_with_issues(big)
    for fake, teams in ((small_fake, small_teams), (big_fake, big_teams)):
        _send(fake, LIST, {"t": teams[3]})
    _compare(f"(b) issues(first: 50, team filter), 1k vs {big // 1000}k issues",
             ("1k", lambda: _time(lambda: _send(small_fake, LIST, {"t": small_teams[3]}), repeat)),
             (f"{big // 1000}k", lambda: _time(lambda: _send(big_fake, LIST, {"t": big_teams[3]}), repeat)),
             rounds, 1.5)


def page_walk(rounds: int, big: int) -> None:
    small, _t, _ = _fake_with_issues(1_000)
    large, _t2, _ = _fake_with_issues(big)

    def walk(fake: FakeLinear, count: int) -> float:
        start = time.perf_counter()
        after, seen = None, 0
        while True:
            page = _send(fake, WALK, {"after": after})["data"]["issues"]
            seen += len(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == count, (seen, count)
        return (time.perf_counter() - start) / count

    _compare(f"(c) full page walk, per issue, 1k vs {big // 1000}k",
             ("1k", lambda: walk(small, 1_000)), (f"{big // 1000}k", lambda: walk(large, big)),
             max(3, rounds // 2), 1.5)


def startup(rounds: int) -> None:
    subprocess.run([sys.executable, "-c", STARTUP], check=True)  # warm the schema cache

    def run(code: str) -> Callable[[], float]:
        def once() -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            return time.perf_counter() - start
        return once

    _compare("(d) process start to first answer", ("python -c 'import httpx'", run("import httpx")),
             ("fakelinear, whole schema", run(STARTUP)), rounds, 5.0, unit="ms", scale=1e3)


def main(argv: list[str] | None = None) -> None:
    """Run (a)-(d) and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    repeat = 20 if args.quick else 100
    full_fragment_read(args.rounds, repeat)
    filtered_page(args.rounds, repeat, 10_000 if args.quick else 50_000)
    page_walk(args.rounds, 5_000 if args.quick else 20_000)
    startup(args.rounds)


if __name__ == "__main__":
    main()
