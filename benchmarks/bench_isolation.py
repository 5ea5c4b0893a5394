"""Does a heavy query in one workspace delay a light one in another?

A ``fakelinear serve`` subprocess with two workspaces; workspace A gets ``--issues`` issues.
One client sends the heavy query (issues -> team -> issues, three levels: 129 bytes, the
report's example; then 40,000 aliases, its other one) in workspace A while another sends
``{ viewer { id } }`` in a loop in workspace B. Reported: how long the heavy request took and what it answered, and the light
requests' latency while it ran (median, max) next to their latency with nothing heavy going.

    .venv/bin/python -m benchmarks.bench_isolation [--issues 120] [--light-seconds 3]
        [--baseline-src DIR] [--budget-seconds 0.5]

``--baseline-src DIR`` runs the same thing against the server code in DIR (e.g. an export of
``main``) first. The current tree runs twice: with its defaults (the heavy query is refused
by the complexity limit) and with the complexity and result-size limits raised out of the
way and ``--max-execution-seconds BUDGET`` (the heavy query runs until its time budget cuts
it: the worst an admitted request can do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.bench_load import NO_TLS, serve_subprocess

HEAVY = "{ issues { nodes { team { issues { nodes { team { issues { nodes { id } } } } } } } } }"
#: The report's other example: 40,000 aliases (870 KB, under the 1 MiB body limit).
ALIASES = "{" + " ".join(f"a{i}: viewer {{ id }}" for i in range(40_000)) + "}"
LIGHT = "{ viewer { id } }"
CREATE = "mutation C($i: IssueCreateInput!) { issueCreate(input: $i) { success } }"


@dataclass
class Run:
    """One side's figures."""

    label: str
    heavy_seconds: float
    heavy_status: int | None
    heavy_bytes: int
    idle_ms: float
    during_p50_ms: float
    during_max_ms: float
    during_count: int

    def line(self) -> str:
        return (
            f"{self.label:<44} heavy {self.heavy_seconds * 1000:9.0f} ms (HTTP {self.heavy_status}, "
            f"{self.heavy_bytes / 1e6:7.2f} MB) | light idle p50 {self.idle_ms:6.1f} ms | light during "
            f"p50 {self.during_p50_ms:7.1f} ms, max {self.during_max_ms:8.1f} ms (n={self.during_count})"
        )


def _light_loop(
    base_url: str, token: str, stop: threading.Event, out: list[tuple[float, float]], limit: float
) -> None:
    """``(start, latency)`` of sequential light requests until ``stop`` (or ``limit`` s)."""
    with httpx.Client(base_url=base_url, headers={"authorization": token}, timeout=120, verify=NO_TLS) as http:
        end = time.monotonic() + limit
        while not stop.is_set() and time.monotonic() < end:
            began = time.perf_counter()
            r = http.post("/graphql", json={"query": LIGHT})
            out.append((began, time.perf_counter() - began))
            assert r.status_code == 200, r.text[:200]


def measure(
    label: str, args: Sequence[str], src: str | None, issues: int, light_seconds: float, heavy: str = HEAVY
) -> Run:
    with tempfile.TemporaryDirectory(prefix="fl-iso-") as tmp:
        server = serve_subprocess("--workspaces", "2", "--plan", "unlimited", *args, tmpdir=tmp, src=src)
        try:
            heavy_token, light_token = server.tokens[0], server.tokens[1]
            with httpx.Client(base_url=server.base_url, timeout=120, verify=NO_TLS) as http:
                state = http.get("/_fake/state").json()
                team = state["workspaces"][0]["entities"]["Team"][0]["id"]
                for n in range(issues):
                    http.post("/graphql", json={"query": CREATE, "variables": {"i": {"teamId": team, "title": f"iso {n}"}}},
                              headers={"authorization": heavy_token})
            idle: list[tuple[float, float]] = []
            _light_loop(server.base_url, light_token, threading.Event(), idle, 1.0)
            during: list[tuple[float, float]] = []
            stop = threading.Event()
            light = threading.Thread(target=_light_loop, args=(server.base_url, light_token, stop, during, light_seconds + 60))
            light.start()
            time.sleep(0.2)  # the light loop is running before the heavy request starts
            began = time.perf_counter()
            with httpx.Client(base_url=server.base_url, timeout=120, verify=NO_TLS) as http:
                r = http.post("/graphql", json={"query": heavy}, headers={"authorization": heavy_token})
            heavy = time.perf_counter() - began
            stop.set()
            light.join()
            ended = began + heavy
            # The light requests whose time overlapped the heavy one's.
            overlapping = [lat for start, lat in during if start < ended and start + lat > began] or [0.0]
            return Run(
                label, heavy, r.status_code, len(r.content), statistics.median(lat for _, lat in idle) * 1000,
                statistics.median(overlapping) * 1000, max(overlapping) * 1000, len(overlapping),
            )
        finally:
            server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_isolation", description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=120)
    parser.add_argument("--light-seconds", type=float, default=3.0)
    parser.add_argument("--baseline-src", default=None, help="source tree of the code to compare with")
    parser.add_argument("--budget-seconds", type=float, default=0.5)
    args = parser.parse_args(list(argv) if argv is not None else None)
    print(f"isolation, {os.cpu_count()} cores, python {sys.version.split()[0]}, {args.issues} issues in workspace A")
    if args.baseline_src:
        print(measure(f"baseline ({Path(args.baseline_src).name})", [], args.baseline_src, args.issues, args.light_seconds).line(), flush=True)
    print(measure("current, defaults", [], None, args.issues, args.light_seconds).line(), flush=True)
    if args.baseline_src:
        print(measure(f"40k aliases, baseline ({Path(args.baseline_src).name})", [], args.baseline_src, 0,
                      args.light_seconds, ALIASES).line(), flush=True)
    print(measure("40k aliases, current", [], None, 0, args.light_seconds, ALIASES).line(), flush=True)
    budget = ["--max-complexity", str(10**15), "--max-result-nodes", str(10**9),
              "--max-execution-seconds", str(args.budget_seconds)]
    print(measure(f"current, no cost limits, budget {args.budget_seconds:g} s", budget, None, args.issues,
                  args.light_seconds).line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
