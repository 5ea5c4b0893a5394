"""The three Linears a suite can run against, behind one small interface.

* ``fake``: an in-process :class:`~fakelinear.FakeLinear` on a virtual clock. The harness's
  client talks to it through an httpx transport bound to that client; the plugin also
  intercepts every other client (see :mod:`fakelinear.testkit.intercept`).
* ``server``: ``fakelinear serve`` as a real subprocess on an ephemeral loopback port, with a
  3-token pool file and ``--virtual-clock``; real HTTP. Sleeps advance the server's clock
  through ``POST /_fake/clock/advance``.

In both, ``backend.fake`` is a :class:`~fakelinear.handle.FakeHandle` (one interface) and
each process uses the pool's first workspace (each process has a fake of its own).
* ``online``: the token pool against real Linear, real time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fakelinear.clock import Clock, RealClock, VirtualClock
from fakelinear.handle import IN_PROCESS_URL, LocalFake
from fakelinear.remote import RemoteFake
from promoter.linear.client import LinearClient, resolve_url

from .tokens import load_tokens, mask, parse_tokens, test_token

__all__ = ["Backend", "HttpClock", "HttpFake", "start_backend", "SERVER_WORKSPACES"]

SERVER_WORKSPACES = 3
FAKE_URL = IN_PROCESS_URL


class HttpClock:
    """The loopback server's virtual clock: ``now`` asks it, ``sleep`` advances it."""

    virtual = True

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(timeout=10.0)

    def now(self) -> float:
        return float(self._http.get(f"{self.base_url}/_fake/clock").json()["now"])

    def advance(self, seconds: float) -> float:
        response = self._http.post(
            f"{self.base_url}/_fake/clock/advance", json={"seconds": seconds}
        )
        response.raise_for_status()
        return float(response.json()["now"])

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def close(self) -> None:
        self._http.close()


#: Kept for code written against the first version of the harness.
HttpFake = RemoteFake


@dataclass
class Backend:
    """One running Linear: how to reach it, its pool, its clock, its control handle."""

    mode: str
    url: str
    tokens: list[str] = field(repr=False)  # never in a repr: online these are real keys
    token: str = field(repr=False)
    clock: Clock
    seed: int
    profile: str
    fake: Any = None
    process: subprocess.Popen[str] | None = None
    transport_factory: Any = None
    #: The in-process ``FakeLinear`` (fake mode only): what interception routes to.
    inprocess: Any = None
    _closers: list[Any] = field(default_factory=list)

    @property
    def workspace_index(self) -> int:
        """This process's position in the pool (0-based)."""
        return self.tokens.index(self.token)

    def describe(self) -> str:
        """The replay options plus the workspace, with the token masked."""
        return (
            f"--linear={self.mode} --fault-profile {self.profile} --fault-seed {self.seed} "
            f"(workspace {self.workspace_index + 1}/{len(self.tokens)}, token {mask(self.token)})"
        )

    def client(self, token: str | None = None) -> LinearClient:
        """A new client for ``token`` (this process's pinned token by default)."""
        transport = self.transport_factory() if self.transport_factory else None
        client = LinearClient(token or self.token, url=self.url, transport=transport)
        self._closers.append(client.close)
        return client

    def close(self) -> None:
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):  # best effort at teardown
                close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _fake_backend(seed: int, profile: str) -> Backend:
    from fakelinear.handler import FakeLinear
    from fakelinear.transports.mock import to_httpx_response, to_request

    fake = FakeLinear(
        seed=seed, clock=VirtualClock(), profile=profile, workspaces=SERVER_WORKSPACES
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return to_httpx_response(fake.handle(to_request(request)), request)

    tokens = list(fake.tokens)
    # Each process has a fake of its own: every worker uses the first workspace, so a test
    # sends the same key (and gets the same faults) with or without xdist.
    return Backend(
        mode="fake",
        url=FAKE_URL,
        tokens=tokens,
        token=tokens[0],
        clock=fake.clock,
        seed=seed,
        profile=profile,
        fake=LocalFake(fake, FAKE_URL),
        transport_factory=lambda: httpx.MockTransport(handler),
        inprocess=fake,
    )


def _server_backend(seed: int, profile: str) -> Backend:
    tmp = tempfile.mkdtemp(prefix="fakelinear-")
    tokens_file = Path(tmp) / "tokens"
    cmd = [
        sys.executable,
        "-c",
        "import sys; from fakelinear.cli import main; sys.exit(main())",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workspaces",
        str(SERVER_WORKSPACES),
        "--seed",
        str(seed),
        "--profile",
        profile,
        "--virtual-clock",
        "--tokens-file",
        str(tokens_file),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert process.stdout is not None
    first_line: list[str] = []
    reader = threading.Thread(
        target=lambda: first_line.append(process.stdout.readline()), daemon=True
    )
    reader.start()
    reader.join(timeout=30)
    base_url = (first_line[0] if first_line else "").strip()
    if not base_url.startswith("http"):
        process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
        err = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"fakelinear serve did not start: {base_url!r} {err[-2000:]}")
    # Drain the rest of stdout so the server never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    tokens = parse_tokens(tokens_file.read_text(encoding="utf-8"))
    fake = RemoteFake(base_url, tokens)
    backend = Backend(
        mode="server",
        url=base_url + "/graphql",
        tokens=tokens,
        # Each process starts a server of its own: the first workspace, as in fake mode.
        token=tokens[0],
        clock=fake.clock,
        seed=seed,
        profile=profile,
        fake=fake,
        process=process,
    )
    # The pool file's directory goes too (closers run newest first: it is removed last).
    backend._closers.extend([lambda: shutil.rmtree(tmp, ignore_errors=True), fake.close])
    return backend


def _online_backend(seed: int, profile: str) -> Backend:
    tokens = load_tokens()
    token = test_token()
    return Backend(
        mode="online",
        url=resolve_url(None),
        tokens=tokens,
        token=token,
        clock=RealClock(),
        seed=seed,
        profile=profile,
    )


def start_backend(mode: str, seed: int, profile: str) -> Backend:
    """Start (or connect to) the Linear ``mode`` names. Online raises NoTestTokenError when
    no token is configured (the plugin turns that into a skip)."""
    if mode == "fake":
        return _fake_backend(seed, profile)
    if mode == "server":
        return _server_backend(seed, profile)
    if mode == "online":
        return _online_backend(seed, profile)
    raise ValueError(f"unknown --linear mode {mode!r}")
