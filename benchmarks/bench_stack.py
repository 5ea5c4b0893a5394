"""Handler stack vs bare transports: what the whole fake costs on top of the transport.

Workload: ``issueCreate`` then ``issue(id)`` (one "pair"), sent by a plain ``httpx.Client``.

* in-process: ``mock_linear`` + the whole stack (parse, auth, prepare, faults ``calm``,
  execute, journal) vs a bare respx route returning a constant JSON body;
* loopback: ``ServerThread`` (starlette + uvicorn + the whole stack) vs a bare starlette app
  on uvicorn returning a constant JSON body.

Also printed: the httpx client's own floor (``httpx.MockTransport`` answering the constant body,
no respx, no fake) and the handler seam alone (``fake.handle``, no httpx), so the in-process
time can be split into client, respx and fake.

Rounds alternate stack/bare to spread machine noise; medians are reported with ratios. Each
rate is given twice: per wall-clock second and per CPU-second of this process (client, fake
and, for loopback, the server thread all run in it). On a shared machine the CPU figure is
the steadier one: other jobs stretch wall time, not the CPU time our work needs.

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


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _pairs(client: httpx.Client, team_id: str, pairs: int) -> Timing:
    """Wall and CPU seconds for ``pairs`` create+read pairs (reads the id back from the create)."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(pairs):
        created = client.post("/graphql", json={"query": CREATE, "variables": {"input": {"teamId": team_id, "title": f"bench {i}"}}})
        issue_id = created.json()["data"]["issueCreate"]["issue"]["id"]
        read = client.post("/graphql", json={"query": READ, "variables": {"id": issue_id}})
        assert read.status_code == 200
    return time.perf_counter() - start, time.process_time() - cpu


def _fake() -> FakeLinear:
    return FakeLinear(seed=1, profile="calm", plan="unlimited")


def _team(client: httpx.Client) -> str:
    return client.post("/graphql", json={"query": TEAM}).json()["data"]["teamCreate"]["team"]["id"]


def inprocess_stack(pairs: int) -> Timing:
    fake = _fake()
    with mock_linear(fake), httpx.Client(base_url="https://api.linear.app", headers={"Authorization": fake.tokens[0]}) as client:
        return _pairs(client, _team(client), pairs)


def inprocess_bare(pairs: int) -> Timing:
    with respx.mock(assert_all_called=False) as router, httpx.Client(base_url="https://api.linear.app") as client:
        router.post("https://api.linear.app/graphql").mock(
            side_effect=lambda request: httpx.Response(200, content=CONSTANT, headers={"content-type": "application/json"})
        )
        return _pairs(client, "team", pairs)


def httpx_floor(pairs: int) -> Timing:
    """The httpx client alone: a ``MockTransport`` answering the constant body (no respx)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=CONSTANT, headers={"content-type": "application/json"})

    with httpx.Client(base_url="https://api.linear.app", transport=httpx.MockTransport(answer)) as client:
        return _pairs(client, "team", pairs)


def seam_pairs(pairs: int) -> Timing:
    """The handler core alone (``fake.handle``, no httpx): the fake's own ceiling."""
    fake = _fake()
    token = fake.tokens[0]

    def req(query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        return fake.handle(Request("POST", "/graphql", {"authorization": token, "content-type": "application/json"}, body))

    team_id = json.loads(req(TEAM).body)["data"]["teamCreate"]["team"]["id"]
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(pairs):
        created = json.loads(req(CREATE, {"input": {"teamId": team_id, "title": f"bench {i}"}}).body)
        assert req(READ, {"id": created["data"]["issueCreate"]["issue"]["id"]}).status == 200
    return time.perf_counter() - start, time.process_time() - cpu


def _bare_app() -> Any:
    async def endpoint(request: Any) -> StarletteResponse:
        await request.body()
        return StarletteResponse(CONSTANT, media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


def loopback_stack(pairs: int) -> Timing:
    fake = _fake()
    with ServerThread(fake) as server, httpx.Client(base_url=server.base_url, headers={"Authorization": fake.tokens[0]}) as client:
        return _pairs(client, _team(client), pairs)


def loopback_bare(pairs: int) -> Timing:
    with ServerThread(None, app=_bare_app()) as server, httpx.Client(base_url=server.base_url) as client:
        return _pairs(client, "team", pairs)


def _rates(fn: Callable[[int], Timing], pairs: int, into: tuple[list[float], list[float]]) -> None:
    wall, cpu = fn(pairs)
    into[0].append(pairs / wall)
    into[1].append(pairs / cpu if cpu > 0 else float("inf"))


def _compare(name: str, stack: Callable[[int], Timing], bare: Callable[[int], Timing], pairs: int, rounds: int) -> dict[str, float]:
    stack(20)  # warm-up: imports, parsed-document cache, connection setup
    bare(20)
    s_rates: tuple[list[float], list[float]] = ([], [])
    b_rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        _rates(bare, pairs, b_rates)
        _rates(stack, pairs, s_rates)
    s, b = statistics.median(s_rates[0]), statistics.median(b_rates[0])
    sc, bc = statistics.median(s_rates[1]), statistics.median(b_rates[1])
    print(
        f"{name:<11} stack {s:8.0f} pairs/s   bare {b:8.0f} pairs/s   "
        f"stack/bare throughput {s / b:5.2f}  (bare is {b / s:4.1f}x faster; median of {rounds} rounds, "
        f"{pairs} pairs each; stack min..max {min(s_rates[0]):.0f}..{max(s_rates[0]):.0f})"
    )
    print(
        f"{'':<11} per CPU-second: stack {sc:8.0f} pairs/s   bare {bc:8.0f} pairs/s   "
        f"stack/bare {sc / bc:5.2f}"
    )
    return {
        f"{name}_stack_pairs_per_s": s, f"{name}_bare_pairs_per_s": b, f"{name}_ratio": s / b,
        f"{name}_stack_pairs_per_cpu_s": sc, f"{name}_bare_pairs_per_cpu_s": bc, f"{name}_cpu_ratio": sc / bc,
    }


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
    httpx_floor(20)
    seam_rates: tuple[list[float], list[float]] = ([], [])
    floor_rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(args.rounds):
        _rates(seam_pairs, args.pairs, seam_rates)
        _rates(httpx_floor, args.pairs, floor_rates)
    seam, floor = statistics.median(seam_rates[0]), statistics.median(floor_rates[0])
    seam_cpu, floor_cpu = statistics.median(seam_rates[1]), statistics.median(floor_rates[1])
    results |= {
        "seam_pairs_per_s": seam, "seam_pairs_per_cpu_s": seam_cpu,
        "httpx_floor_pairs_per_s": floor, "httpx_floor_pairs_per_cpu_s": floor_cpu,
    }
    print(
        f"handler seam alone (fake.handle, no httpx): {seam:8.0f} pairs/s, "
        f"{seam_cpu:.0f} per CPU-second (median of {args.rounds} rounds)"
    )
    print(
        f"httpx client alone (MockTransport, constant body, no respx): {floor:8.0f} pairs/s, "
        f"{floor_cpu:.0f} per CPU-second: the in-process ceiling whatever the fake does"
    )
    aim = results["in-process_stack_pairs_per_s"]
    print(
        f"aim: in-process >= 2,000 pairs/s -> through httpx+respx {aim:.0f} "
        f"({'met' if aim >= 2000 else 'not met'}), handler seam {seam:.0f} ({'met' if seam >= 2000 else 'not met'})"
    )
    return results


if __name__ == "__main__":
    main()
