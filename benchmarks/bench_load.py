"""Loopback load: N concurrent clients against ``fakelinear serve``, then a consistency check.

Each client is a thread with its own ``httpx.Client`` (one keep-alive connection) bound to
one workspace (clients share workspaces, so writes to one team race). The mix per client:
creates, reads by id, lists, searches, updates, trashes and permanent deletes of the
client's own issues. Every request is bounded (count per client, a wall-clock deadline, a
per-request timeout) and goes to 127.0.0.1 only. Afterwards :mod:`benchmarks.load_checker`
checks the journal and the final state (``/_fake/journal``, ``/_fake/state``).

    .venv/bin/python -m benchmarks.bench_load [--clients 8 32] [--profiles calm linear-observed]
        [--requests 60] [--workspaces 4] [--seed 7] [--max-seconds 60]
        [--baseline-src DIR --rounds 3]   # alternate with the server code in DIR; medians

The server runs as a separate ``fakelinear serve`` process (its own interpreter, so clients
and server do not share a GIL). Tokens go through a 0600 pool file, never to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load_checker import LOAD_TITLE_PREFIX, Ack, CheckReport, check_load

__all__ = [
    "LoadConfig",
    "LoadResult",
    "ServerProcess",
    "main",
    "run_load",
    "run_against",
    "serve_subprocess",
]

CREATE = (
    "mutation LoadCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
    "{ success lastSyncId issue { id identifier number team { id } } } }"
)
READ = "query LoadRead($id: String!) { issue(id: $id) { id identifier title number } }"
LIST = (
    "query LoadList($first: Int) { issues(first: $first, includeArchived: true) "
    "{ nodes { id identifier number } pageInfo { hasNextPage endCursor } } }"
)
SEARCH = (
    "query LoadSearch($term: String!) { searchIssues(term: $term, first: 10) "
    "{ nodes { id identifier } totalCount } }"
)
UPDATE = (
    "mutation LoadUpdate($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, "
    "input: $input) { success lastSyncId issue { id } } }"
)
DELETE = (
    "mutation LoadDelete($id: String!, $permanentlyDelete: Boolean) { issueDelete(id: $id, "
    "permanentlyDelete: $permanentlyDelete) { success lastSyncId entity { id } } }"
)
TEAM_CREATE = (
    "mutation LoadTeam($input: TeamCreateInput!) { teamCreate(input: $input) "
    "{ success lastSyncId team { id key } } }"
)

#: Plain HTTP on loopback only: a TLS context with no CA loaded is cheap to build (loading
#: the system CA bundle costs ~0.4 s per client on a busy machine) and trusts no TLS peer.
NO_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

#: Operation mix (weights) of one client.
MIX: tuple[tuple[str, int], ...] = (
    ("create", 40),
    ("read", 20),
    ("list", 12),
    ("search", 5),
    ("update", 10),
    ("trash", 7),
    ("purge", 6),
)


@dataclass
class LoadConfig:
    """One load run: how many clients, how much each does, against which profile."""

    clients: int = 8
    requests_per_client: int = 60
    workspaces: int = 4
    profile: str = "calm"
    seed: int = 7
    max_seconds: float = 60.0
    request_timeout: float = 20.0


@dataclass
class LoadResult:
    """What a run measured and what the checker found."""

    config: LoadConfig
    acks: list[Ack]
    seconds: float
    check: CheckReport
    setup_errors: list[str] = field(default_factory=list)
    #: CPU seconds the server process spent during the load phase (None if unknown).
    server_cpu: float | None = None

    @property
    def requests_per_server_cpu_second(self) -> float:
        """Completed requests per CPU-second of the server: steadier than wall time on a
        shared machine (other jobs take wall time, not the server's CPU time)."""
        return len(self.acks) / self.server_cpu if self.server_cpu else 0.0

    @property
    def requests_per_second(self) -> float:
        """Completed requests per wall-clock second of the load phase."""
        return len(self.acks) / self.seconds if self.seconds > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        """The ``q`` quantile (0..1) of request latency in milliseconds."""
        lat = sorted(a.latency for a in self.acks)
        if not lat:
            return 0.0
        index = min(len(lat) - 1, max(0, round(q * (len(lat) - 1))))
        return lat[index] * 1000.0

    def outcome_counts(self) -> dict[str, int]:
        """Requests by outcome (ok, error code, HTTP status or transport error)."""
        out: dict[str, int] = {}
        for a in self.acks:
            key = (
                "ok" if a.ok else a.transport_error or a.error_code or f"http {a.status}"
            )
            out[key] = out.get(key, 0) + 1
        return out

    def line(self) -> str:
        """One summary line (no tokens)."""
        c = self.config
        return (
            f"{c.profile:>15} clients={c.clients:>2} requests={len(self.acks):>5} "
            f"in {self.seconds:6.2f}s  {self.requests_per_second:7.1f} req/s  "
            f"p50 {self.latency_ms(0.50):7.1f} ms  p99 {self.latency_ms(0.99):7.1f} ms  "
            f"check {'OK' if self.check.ok else 'FAILED'}"
        )


# ---------------------------------------------------------------------------- the server


@dataclass
class ServerProcess:
    """A running ``fakelinear serve`` subprocess."""

    process: subprocess.Popen[str]
    base_url: str
    tokens: list[str]
    tokens_file: Path

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the server process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Terminate (bounded), then kill."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def _read_first_line(process: subprocess.Popen[str], timeout: float) -> str:
    box: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0].strip() if box else ""


def serve_subprocess(
    *args: str,
    tmpdir: str | os.PathLike[str] | None = None,
    startup_timeout: float = 30.0,
    src: str | os.PathLike[str] | None = None,
) -> ServerProcess:
    """Start ``fakelinear serve --host 127.0.0.1 --port 0 ARGS`` and wait for its URL.
    ``src`` runs the server from another source tree (a baseline to compare with)."""
    from fakelinear.testkit.tokens import parse_tokens

    directory = Path(tmpdir) if tmpdir is not None else Path(tempfile.mkdtemp(prefix="fl-load-"))
    tokens_file = directory / "tokens"
    cmd = [
        sys.executable,
        "-m",
        "fakelinear.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--tokens-file",
        str(tokens_file),
        *args,
    ]
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our CLI
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        cwd=str(src) if src is not None else None,
    )
    base_url = _read_first_line(process, startup_timeout)
    if not base_url.startswith("http://127.0.0.1:"):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"fakelinear serve did not start: {base_url!r} {err[-2000:]}")
    # Drain the rest so the server never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
    threading.Thread(target=process.stderr.read, daemon=True).start()  # type: ignore[union-attr]
    tokens = parse_tokens(tokens_file.read_text(encoding="utf-8"))
    return ServerProcess(process, base_url, tokens, tokens_file)


@contextlib.contextmanager
def running_server(*args: str, src: str | os.PathLike[str] | None = None) -> Iterator[ServerProcess]:
    """``serve_subprocess`` as a context manager (always stopped)."""
    with tempfile.TemporaryDirectory(prefix="fl-load-") as tmp:
        server = serve_subprocess(*args, tmpdir=tmp, src=src)
        try:
            yield server
        finally:
            server.stop()


# ---------------------------------------------------------------------------- the clients


def _post(http: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return http.post("/graphql", json={"query": query, "variables": variables or {}})


def _error_code(body: Any) -> str | None:
    try:
        return str(body["errors"][0]["extensions"]["code"])
    except (KeyError, IndexError, TypeError):
        return None


def setup_workspace(base_url: str, token: str, deadline: float) -> None:
    """Give the workspace a second team (the free plan allows two), tolerant of injected
    faults: retried with a fresh name (phantom conflicts stick to the body) until it exists.

    Teams are not listed here: under ``linear-observed`` new entities (the default team
    included) stay invisible to reads for a few seconds; :func:`run_against` takes the
    teams from ``/_fake/state`` instead.
    """
    with httpx.Client(
        base_url=base_url, headers={"authorization": token}, timeout=20.0, verify=NO_TLS
    ) as http:
        for attempt in range(30):
            if time.monotonic() > deadline:
                return
            response = _post(http, TEAM_CREATE, {"input": {"name": f"Load {attempt}", "key": "LOD"}})
            body = response.json() if response.status_code == 200 else None
            if isinstance(body, dict) and body.get("data"):
                return
            message = str(body.get("errors", [{}])[0].get("message", "")) if isinstance(body, dict) else ""
            if "already in use" in message or _error_code(body) == "USAGE_LIMIT_EXCEEDED":
                return  # a 502 after commit created it, or the plan is full: enough teams


def _teams_of(state: dict[str, Any], workspace_id: str) -> list[dict[str, str]]:
    for ws in state.get("workspaces", []):
        if ws["id"] == workspace_id:
            return [
                {"id": t["id"], "key": t["key"]}
                for t in ws["entities"].get("Team", [])
                if t.get("archived_at") is None
            ]
    raise KeyError(workspace_id)


class _Client:
    """One load client: a thread, a connection, a workspace, a seeded choice of ops."""

    def __init__(
        self,
        index: int,
        base_url: str,
        token: str,
        workspace_id: str,
        teams: list[dict[str, str]],
        config: LoadConfig,
        deadline: float,
        start: threading.Barrier,
    ) -> None:
        self.index = index
        self.base_url = base_url
        self.token = token
        self.workspace_id = workspace_id
        self.teams = teams
        self.config = config
        self.deadline = deadline
        self.start = start
        self.rnd = random.Random(f"{config.seed}:{index}")
        self.acks: list[Ack] = []
        self.mine: list[str] = []  # ids of this client's live issues
        self.seq = 0

    def run(self) -> None:
        ops, weights = zip(*MIX, strict=True)
        with httpx.Client(
            base_url=self.base_url,
            headers={"authorization": self.token, "x-fake-client-id": f"load-{self.index}"},
            timeout=self.config.request_timeout,
            verify=NO_TLS,
        ) as http:
            self.start.wait(timeout=30)
            for n in range(self.config.requests_per_client):
                if time.monotonic() > self.deadline:
                    break
                op = self.rnd.choices(ops, weights)[0]
                if op in {"read", "update", "trash", "purge"} and not self.mine:
                    op = "create"
                getattr(self, f"_{op}")(http, n)

    def _send(
        self, http: httpx.Client, root: str, query: str, variables: dict[str, Any], **known: Any
    ) -> tuple[Ack, Any]:
        self.seq += 1
        began = time.perf_counter()
        try:
            response = _post(http, query, variables)
            body: Any = None
            with contextlib.suppress(ValueError):
                body = response.json()
            latency = time.perf_counter() - began
            data = body.get("data") if isinstance(body, dict) else None
            ok = response.status_code == 200 and isinstance(data, dict) and not body.get("errors")
            payload = data.get(root) if ok and data else None
            sync = payload.get("lastSyncId") if isinstance(payload, dict) else None
            ack = Ack(
                client=self.index,
                workspace_id=self.workspace_id,
                op=root,
                status=response.status_code,
                ok=ok,
                latency=latency,
                error_code=None if ok else (_error_code(body) or f"HTTP{response.status_code}"),
                last_sync_id=sync,
                seq=self.seq,
                **known,
            )
            self.acks.append(ack)
            return ack, payload
        except httpx.HTTPError as exc:
            ack = Ack(
                client=self.index,
                workspace_id=self.workspace_id,
                op=root,
                status=None,
                ok=False,
                latency=time.perf_counter() - began,
                transport_error=type(exc).__name__,
                seq=self.seq,
                **known,
            )
            self.acks.append(ack)
            return ack, None

    def _create(self, http: httpx.Client, n: int) -> None:
        team = self.rnd.choice(self.teams)
        title = f"{LOAD_TITLE_PREFIX}c{self.index} n{n} {self.rnd.getrandbits(32):08x}"
        variables = {"input": {"teamId": team["id"], "title": title, "priority": n % 5}}
        ack, payload = self._send(http, "issueCreate", CREATE, variables, title=title)
        if ack.ok and payload and payload.get("issue"):
            issue = payload["issue"]
            self.acks[-1] = Ack(
                **{
                    **ack.__dict__,
                    "issue_id": issue["id"],
                    "identifier": issue["identifier"],
                    "number": int(issue["number"]),
                    "team_id": issue["team"]["id"],
                }
            )
            self.mine.append(issue["id"])

    def _read(self, http: httpx.Client, n: int) -> None:
        target = self.rnd.choice(self.mine)
        self._send(http, "issue", READ, {"id": target}, target_id=target)

    def _list(self, http: httpx.Client, n: int) -> None:
        self._send(http, "issues", LIST, {"first": 50})

    def _search(self, http: httpx.Client, n: int) -> None:
        self._send(http, "searchIssues", SEARCH, {"term": f"c{self.index}"})

    def _update(self, http: httpx.Client, n: int) -> None:
        target = self.rnd.choice(self.mine)
        self._send(
            http, "issueUpdate", UPDATE, {"id": target, "input": {"priority": n % 5}}, target_id=target
        )

    def _trash(self, http: httpx.Client, n: int) -> None:
        target = self.rnd.choice(self.mine)
        self._send(http, "issueDelete", DELETE, {"id": target}, target_id=target)

    def _purge(self, http: httpx.Client, n: int) -> None:
        target = self.mine.pop(self.rnd.randrange(len(self.mine)))
        self._send(
            http,
            "issueDelete",
            DELETE,
            {"id": target, "permanentlyDelete": True},
            target_id=target,
            permanently=True,
        )


def _get(base_url: str, path: str, control_key: str | None = None) -> Any:
    headers = {"x-fake-control-key": control_key} if control_key else {}
    with httpx.Client(base_url=base_url, timeout=60.0, headers=headers, verify=NO_TLS) as http:
        response = http.get(path)
        response.raise_for_status()
        return response.json()


def run_against(
    base_url: str,
    tokens: Sequence[str],
    config: LoadConfig,
    *,
    transport_faults_planned: bool = False,
    control_key: str | None = None,
    server_cpu: Callable[[], float | None] | None = None,
) -> LoadResult:
    """Drive the load against a running fake at ``base_url`` and check the result."""
    deadline = time.monotonic() + config.max_seconds
    workspaces = _get(base_url, "/_fake/workspaces", control_key)["workspaces"]
    ws_ids = [w["id"] for w in workspaces][: len(tokens)]
    used = min(config.workspaces, len(tokens))
    for i in range(used):
        setup_workspace(base_url, tokens[i], deadline)
    baseline = _get(base_url, "/_fake/state", control_key)
    teams = [_teams_of(baseline, ws_ids[i]) for i in range(used)]
    entries = _get(base_url, "/_fake/journal", control_key)["entries"]
    baseline_seq = max((int(e["seq"]) for e in entries), default=0)

    barrier = threading.Barrier(config.clients + 1)
    clients = [
        _Client(i, base_url, tokens[i % used], ws_ids[i % used], teams[i % used], config, deadline, barrier)
        for i in range(config.clients)
    ]
    threads = [threading.Thread(target=c.run, name=f"load-{c.index}", daemon=True) for c in clients]
    for t in threads:
        t.start()
    cpu_before = server_cpu() if server_cpu is not None else None
    barrier.wait(timeout=30)
    began = time.perf_counter()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic() + config.request_timeout))
    seconds = time.perf_counter() - began
    cpu_after = server_cpu() if server_cpu is not None else None
    acks = [a for c in clients for a in c.acks]

    final = _get(base_url, "/_fake/state", control_key)
    journal = _get(base_url, "/_fake/journal", control_key)["entries"]
    check = check_load(
        acks,
        journal,
        baseline,
        final,
        baseline_journal_seq=baseline_seq,
        transport_faults_planned=transport_faults_planned,
    )
    if any(t.is_alive() for t in threads):
        check.add("bounded", "a load client was still running after the deadline")
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return LoadResult(config, acks, seconds, check, server_cpu=cpu)


def run_load(
    config: LoadConfig, src: str | os.PathLike[str] | None = None, extra: Sequence[str] = ()
) -> LoadResult:
    """Start ``fakelinear serve`` with the config's profile and seed (from the source tree
    ``src`` when given, with ``extra`` flags), drive it, stop it."""
    with running_server(
        "--workspaces",
        str(config.workspaces),
        "--profile",
        config.profile,
        "--seed",
        str(config.seed),
        *extra,
        src=src,
    ) as server:
        return run_against(server.base_url, server.tokens, config, server_cpu=server.cpu_seconds)


def _compare(configs: list[LoadConfig], baseline_src: str, rounds: int) -> int:
    """Each cell ``rounds`` times, baseline and current alternating; medians and ratios."""
    failed = 0
    for config in configs:
        runs: dict[str, list[LoadResult]] = {"baseline": [], "current": []}
        for _ in range(rounds):
            for side, src in (("baseline", baseline_src), ("current", None)):
                result = run_load(config, src)
                runs[side].append(result)
                if not result.check.ok:
                    failed += 1
                    print(f"{side}: {result.check.summary()}")
        med = {
            side: (
                statistics.median(r.requests_per_second for r in results),
                statistics.median(r.requests_per_server_cpu_second for r in results),
                statistics.median(r.latency_ms(0.50) for r in results),
                statistics.median(r.latency_ms(0.99) for r in results),
            )
            for side, results in runs.items()
        }
        (b_rps, b_cpu, b50, b99), (c_rps, c_cpu, c50, c99) = med["baseline"], med["current"]
        print(
            f"{config.profile:>15} clients={config.clients:>2} medians of {rounds}: "
            f"baseline {b_rps:6.1f} req/s ({b_cpu:6.1f}/server CPU-s) p50 {b50:6.1f} p99 {b99:6.1f} ms | "
            f"current {c_rps:6.1f} req/s ({c_cpu:6.1f}/server CPU-s) p50 {c50:6.1f} p99 {c99:6.1f} ms | "
            f"throughput {c_rps / b_rps:4.2f}x wall, {c_cpu / b_cpu:4.2f}x per CPU-s, p99 {c99 / b99:4.2f}x",
            flush=True,
        )
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load matrix (clients x profiles) and print one line per run."""
    parser = argparse.ArgumentParser(prog="bench_load", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--profiles", nargs="+", default=["calm", "linear-observed"])
    parser.add_argument("--requests", type=int, default=60, help="requests per client")
    parser.add_argument("--workspaces", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--baseline-src", default=None, help="compare with the server code in this source tree")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side when comparing")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if any(c < 1 or c > 256 for c in args.clients) or args.requests < 1 or args.workspaces < 1:
        parser.error("clients must be 1..256, requests and workspaces >= 1")
    failed = 0
    print(f"loopback load, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if args.baseline_src:
        configs = [
            LoadConfig(clients=c, requests_per_client=args.requests, workspaces=args.workspaces,
                       profile=p, seed=args.seed, max_seconds=args.max_seconds)
            for p in args.profiles for c in args.clients
        ]
        return _compare(configs, args.baseline_src, max(1, args.rounds))
    for profile in args.profiles:
        for clients in args.clients:
            config = LoadConfig(
                clients=clients,
                requests_per_client=args.requests,
                workspaces=args.workspaces,
                profile=profile,
                seed=args.seed,
                max_seconds=args.max_seconds,
            )
            result = run_load(config)
            print(result.line(), flush=True)
            outcomes = ", ".join(f"{k}={v}" for k, v in sorted(result.outcome_counts().items()))
            print(f"{'':>15} outcomes: {outcomes}")
            if not result.check.ok:
                failed += 1
                print(result.check.summary())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
