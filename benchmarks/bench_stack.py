"""Handler stack vs bare transports: what the whole fake costs on top of the transport.

Workload: ``issueCreate`` then ``issue(id)`` (one "pair"), sent by a plain ``httpx.Client``.

* in-process: ``mock_linear`` + the whole stack (parse, auth, prepare, faults ``calm``,
  execute, journal) vs a bare respx route returning a constant JSON body;
* loopback: ``ServerThread`` (starlette + uvicorn + the whole stack) vs a bare starlette app
  on uvicorn returning a constant JSON body.

Rounds alternate stack/bare to spread machine noise; medians are reported with ratios.

    .venv/bin/python -m benchmarks.bench_stack [--pairs 400] [--loopback-pairs 150] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import respx
from starlette.applications import Starlette
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from fakelinear.handler import FakeLinear
from fakelinear.http import Request
from fakelinear.transports.mock import mock_linear
from fakelinear.transports.server import ServerThread

CREATE = "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier title } } }"
READ = "query R($id: String!) { issue(id: $id) { id identifier title state { name } } }"
TEAM = 'mutation { teamCreate(input: {name: "Bench", key: "BEN"}) { team { id } } }'
CONSTANT = (
    b'{"data":{"issueCreate":{"success":true,"issue":{"id":"5b7f3c1e-9a2d-4f6b-8c1e-2d3f4a5b6c7d",'
    b'"identifier":"BEN-1","title":"bench"}},"issue":{"id":"5b7f3c1e-9a2d-4f6b-8c1e-2d3f4a5b6c7d"}}}'
)


def _pairs(client: httpx.Client, team_id: str, pairs: int) -> float:
    """Seconds for ``pairs`` create+read pairs (reads the id back from the create)."""
    start = time.perf_counter()
    for i in range(pairs):
        created = client.post("/graphql", json={"query": CREATE, "variables": {"input": {"teamId": team_id, "title": f"bench {i}"}}})
        issue_id = created.json()["data"]["issueCreate"]["issue"]["id"]
        read = client.post("/graphql", json={"query": READ, "variables": {"id": issue_id}})
        assert read.status_code == 200
    return time.perf_counter() - start


def _fake() -> FakeLinear:
    return FakeLinear(seed=1, profile="calm", plan="unlimited")


def _team(client: httpx.Client) -> str:
    return client.post("/graphql", json={"query": TEAM}).json()["data"]["teamCreate"]["team"]["id"]


def inprocess_stack(pairs: int) -> float:
    fake = _fake()
    with mock_linear(fake), httpx.Client(base_url="https://api.linear.app", headers={"Authorization": fake.tokens[0]}) as client:
        return _pairs(client, _team(client), pairs)


def inprocess_bare(pairs: int) -> float:
    with respx.mock(assert_all_called=False) as router, httpx.Client(base_url="https://api.linear.app") as client:
        router.post("https://api.linear.app/graphql").mock(
            side_effect=lambda request: httpx.Response(200, content=CONSTANT, headers={"content-type": "application/json"})
        )
        return _pairs(client, "team", pairs)


def seam_pairs(pairs: int) -> float:
    """The handler core alone (``fake.handle``, no httpx): the fake's own ceiling."""
    fake = _fake()
    token = fake.tokens[0]

    def req(query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        return fake.handle(Request("POST", "/graphql", {"authorization": token, "content-type": "application/json"}, body))

    team_id = json.loads(req(TEAM).body)["data"]["teamCreate"]["team"]["id"]
    start = time.perf_counter()
    for i in range(pairs):
        created = json.loads(req(CREATE, {"input": {"teamId": team_id, "title": f"bench {i}"}}).body)
        assert req(READ, {"id": created["data"]["issueCreate"]["issue"]["id"]}).status == 200
    return time.perf_counter() - start


def _bare_app() -> Any:
    async def endpoint(request: Any) -> StarletteResponse:
        await request.body()
        return StarletteResponse(CONSTANT, media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


def loopback_stack(pairs: int) -> float:
    fake = _fake()
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url, headers={"Authorization": fake.tokens[0]}) as client:
        return _pairs(client, _team(client), pairs)


def loopback_bare(pairs: int) -> float:
    with ServerThread(None, app=_bare_app()) as server, httpx.Client(base_url=server.base_url) as client:
        return _pairs(client, "team", pairs)


def _compare(name: str, stack: Callable[[int], float], bare: Callable[[int], float], pairs: int, rounds: int) -> dict[str, float]:
    stack(20)  # warm-up: imports, parsed-document cache, connection setup
    bare(20)
    s_rates: list[float] = []
    b_rates: list[float] = []
    for _ in range(rounds):
        b_rates.append(pairs / bare(pairs))
        s_rates.append(pairs / stack(pairs))
    s, b = statistics.median(s_rates), statistics.median(b_rates)
    print(
        f"{name:<11} stack {s:8.0f} pairs/s   bare {b:8.0f} pairs/s   "
        f"stack/bare throughput {s / b:5.2f}  (bare is {b / s:4.1f}x faster; median of {rounds} rounds, "
        f"{pairs} pairs each; stack min..max {min(s_rates):.0f}..{max(s_rates):.0f})"
    )
    return {f"{name}_stack_pairs_per_s": s, f"{name}_bare_pairs_per_s": b, f"{name}_ratio": s / b}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run both comparisons and print medians and ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=400, help="pairs per in-process round")
    parser.add_argument("--loopback-pairs", type=int, default=150, help="pairs per loopback round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    print("## fakelinear: handler stack vs bare transports (issueCreate + issue read pairs)")
    results = _compare("in-process", inprocess_stack, inprocess_bare, args.pairs, args.rounds)
    results |= _compare("loopback", loopback_stack, loopback_bare, args.loopback_pairs, args.rounds)
    seam_pairs(20)
    seam = statistics.median(args.pairs / seam_pairs(args.pairs) for _ in range(args.rounds))
    results["seam_pairs_per_s"] = seam
    print(f"handler seam alone (fake.handle, no httpx): {seam:8.0f} pairs/s (median of {args.rounds} rounds)")
    aim = results["in-process_stack_pairs_per_s"]
    print(
        f"aim: in-process >= 2,000 pairs/s -> through httpx+respx {aim:.0f} "
        f"({'met' if aim >= 2000 else 'not met'}), handler seam {seam:.0f} ({'met' if seam >= 2000 else 'not met'})"
    )
    return results


if __name__ == "__main__":
    main()
