"""Webhook delivery cost, at the handler seam (``FakeLinear.handle``), in the same run:

* **idle**: the webhook machinery with no webhook subscribed (collect + pump after every
  request) vs the same fake with both hooks stubbed out (``off``): what every user pays;
* **in-process**: one Issue webhook delivering to a no-op in-process receiver (payload from the
  schema's types, HMAC, journal entry, receiver call per create and per update) vs idle;
* **loopback**: the same webhook delivering over real HTTP to a threading server on
  127.0.0.1 vs idle.

A round is ``pairs`` of ``issueCreate`` + ``issueUpdate`` on a fresh fake (two deliveries per
pair when subscribed). Sides alternate round by round; medians are reported, of wall time
and of the process's CPU time (the receiving server thread runs in the process too; on a
shared machine the CPU figure is the steadier one).

    .venv/bin/python -m benchmarks.bench_webhooks [--pairs 300] [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fakelinear.handler import FakeLinear
from fakelinear.http import Request

CREATE = "mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id } } }"
UPDATE = "mutation U($id: String!, $t: String!) { issueUpdate(id: $id, input: {title: $t}) { success } }"
HOOK = "mutation W($i: WebhookCreateInput!) { webhookCreate(input: $i) { success } }"


def _request(token: str, query: str, variables: dict[str, Any]) -> Request:
    body = json.dumps({"query": query, "variables": variables}).encode()
    return Request("POST", "/graphql", {"authorization": token, "content-type": "application/json"}, body)


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


def _fake(side: str, sink_url: str) -> tuple[FakeLinear, str, str]:
    fake = FakeLinear(seed=1, profile="calm", plan="unlimited")
    token = fake.tokens[0]
    team = fake.workspace_for(token).team("ENG")["id"]
    if side == "off":
        fake.webhooks.collect = lambda *_a, **_k: 0  # type: ignore[method-assign]
        fake.webhooks.pump = lambda *_a, **_k: 0  # type: ignore[method-assign]
    elif side in ("in-process", "loopback"):
        url = sink_url if side == "loopback" else "https://bench.example/hook"
        if side == "in-process":
            fake.webhooks.register(url, lambda _request: 200)
        fake.handle(_request(token, HOOK, {"i": {"url": url, "resourceTypes": ["Issue"], "teamId": team}}))
    return fake, token, team


def run_round(side: str, pairs: int, sink_url: str) -> tuple[float, float]:
    """(wall, CPU) seconds for ``pairs`` create+update pairs on a fresh fake."""
    fake, token, team = _fake(side, sink_url)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(pairs):
        created = json.loads(fake.handle(_request(token, CREATE, {"input": {"teamId": team, "title": f"b{i}"}})).body)
        issue_id = created["data"]["issueCreate"]["issue"]["id"]
        assert fake.handle(_request(token, UPDATE, {"id": issue_id, "t": f"b{i}!"})).status == 200
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    if side in ("in-process", "loopback"):
        delivered = fake.webhooks.deliveries(status="delivered")
        assert len(delivered) == 2 * pairs, (side, len(delivered))
    fake.webhooks.close()
    return elapsed


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    sink = f"http://127.0.0.1:{server.server_address[1]}/hook"
    sides = ("off", "idle", "in-process", "loopback")
    times: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    try:
        for side in sides:
            run_round(side, 30, sink)  # warm caches on every side
        for _ in range(args.rounds):
            for side in sides:
                times[side].append(run_round(side, args.pairs, sink))
    finally:
        server.shutdown()
        server.server_close()
    out: dict[str, float] = {}
    for label, index in (("wall", 0), ("cpu", 1)):
        med = {side: statistics.median(t[index] for t in values) for side, values in times.items()}
        rate: Callable[[str], float] = lambda side, med=med: args.pairs / med[side]  # noqa: E731
        for side in sides:
            out[f"{label}: {side} pairs/s"] = rate(side)
        out[f"{label}: idle / off"] = rate("idle") / rate("off")
        out[f"{label}: in-process / idle"] = rate("in-process") / rate("idle")
        out[f"{label}: loopback / idle"] = rate("loopback") / rate("idle")
        out[f"{label}: in-process µs per delivery"] = (med["in-process"] - med["idle"]) / (2 * args.pairs) * 1e6
        out[f"{label}: loopback µs per delivery"] = (med["loopback"] - med["idle"]) / (2 * args.pairs) * 1e6
    for key, value in out.items():
        print(f"  {key:<34} {value:10.2f}")
    return out


if __name__ == "__main__":
    main()
