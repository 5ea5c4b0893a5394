"""Fault layer overhead: the whole handler with the ``calm`` plan vs no fault layer at all.

Both sides run the same workload through ``FakeLinear.handle`` (the transport seam): an
``issueCreate`` followed by an ``issue(id)`` read, per pair. The baseline replaces the fault
engine with a pass-through that calls ``execute(ALWAYS_VISIBLE)`` and serializes the result
(no rate-limit bucket, no headers, no journal), so the ratio is what the fault layer costs
when it injects nothing. Rounds alternate between the two sides to spread machine noise;
medians are reported.

    .venv/bin/python -m benchmarks.bench_faults [--pairs 300] [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from fakelinear.api import errors as api_errors
from fakelinear.api.visibility import ALWAYS_VISIBLE
from fakelinear.handler import FakeLinear
from fakelinear.http import Request, Response

CREATE = "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier } } }"
READ = "query R($id: String!) { issue(id: $id) { id title identifier } }"
TEAM = 'mutation { teamCreate(input: {name: "Bench"}) { team { id } } }'


class PassThrough:
    """No fault layer: what the handler would do if faults did not exist."""

    faults = None

    def process(self, ctx: Any, execute: Any) -> Response:
        outcome = execute(ALWAYS_VISIBLE)
        return Response(outcome.status, {"content-type": "application/json"}, api_errors.dumps(outcome.result))


def _request(token: str, query: str, variables: dict[str, Any] | None = None) -> Request:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return Request("POST", "/graphql", {"authorization": token, "content-type": "application/json"}, body)


def _fake(pass_through: bool) -> tuple[FakeLinear, str, str]:
    fake = FakeLinear(seed=1, profile="calm", plan="unlimited")
    if pass_through:
        fake._engine = PassThrough()  # noqa: SLF001 - the benchmark's whole point
    token = fake.tokens[0]
    team = json.loads(fake.handle(_request(token, TEAM)).body)["data"]["teamCreate"]["team"]["id"]
    return fake, token, team


def run_round(pass_through: bool, pairs: int) -> float:
    """Seconds for ``pairs`` create+read pairs on a fresh fake."""
    fake, token, team = _fake(pass_through)
    requests = [_request(token, CREATE, {"input": {"teamId": team, "title": f"bench {i}"}}) for i in range(pairs)]
    start = time.perf_counter()
    for req in requests:
        created = json.loads(fake.handle(req).body)
        issue_id = created["data"]["issueCreate"]["issue"]["id"]
        read = fake.handle(_request(token, READ, {"id": issue_id}))
        assert read.status == 200
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    run_round(False, 50)  # warm caches (parsed documents, imports) on both sides
    run_round(True, 50)
    calm: list[float] = []
    bare: list[float] = []
    for _ in range(args.rounds):
        bare.append(run_round(True, args.pairs))
        calm.append(run_round(False, args.pairs))
    m_calm, m_bare = statistics.median(calm), statistics.median(bare)
    result = {
        "pairs_per_round": args.pairs,
        "rounds": args.rounds,
        "calm_pairs_per_s": args.pairs / m_calm,
        "passthrough_pairs_per_s": args.pairs / m_bare,
        "calm_us_per_request": m_calm / (2 * args.pairs) * 1e6,
        "passthrough_us_per_request": m_bare / (2 * args.pairs) * 1e6,
        "ratio_calm_over_passthrough": m_calm / m_bare,
    }
    print(f"fault layer overhead ({args.rounds} rounds x {args.pairs} create+read pairs, medians)")
    print(f"  no fault layer: {result['passthrough_pairs_per_s']:8.0f} pairs/s  "
          f"({result['passthrough_us_per_request']:.1f} us/request)")
    print(f"  calm plan:      {result['calm_pairs_per_s']:8.0f} pairs/s  "
          f"({result['calm_us_per_request']:.1f} us/request)")
    print(f"  ratio calm / no fault layer (time): {result['ratio_calm_over_passthrough']:.3f}")
    return result


if __name__ == "__main__":
    main()
