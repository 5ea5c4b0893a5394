"""A small promoter run in its own process, for the kill test (``python -m`` this module).

    python -m tests.reliability.promoter_driver --url URL --store sqlite:///F --team TEAM_ID
        --cls C --mode idempotent|reference [--kill-after-create N] [--claim-ttl S] [--later S]

The API key comes from ``LINEAR_API_KEY``. With ``--kill-after-create N`` the client wrapper
sends SIGKILL to this very process right after the N-th ``issue_create`` returns: the issue
exists in Linear, the write-back to the store never happens. Prints one JSON line with the
run's counters otherwise. ``--later S`` runs as if S seconds had passed (the store's clock is
shifted), so a test can let a dead run's claim expire without waiting for it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

from promoter.linear.client import LinearClient
from promoter.promoter import LinearPromoter
from promoter.store.sqlite import SQLiteFindingStore


class KillAfterCreate:
    """Delegates to a Linear client; SIGKILLs the process after the N-th successful create."""

    def __init__(self, client: Any, after: int | None) -> None:
        self._client = client
        self._after = after
        self.creates = 0

    def issue_create(self, *args: Any, **kwargs: Any) -> Any:
        issue = self._client.issue_create(*args, **kwargs)
        self.creates += 1
        if self._after is not None and self.creates >= self._after:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)  # between create and write-back, for real
        return issue

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _NoWaitClock:
    """Settle delays are irrelevant against a calm loopback fake: time passes, no sleeping."""

    def __init__(self) -> None:
        self._now = time.time()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now += max(0.0, seconds)


def main(argv: list[str] | None = None) -> int:
    """Run one promotion of ``--cls``; returns 0."""
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--team", required=True)
    p.add_argument("--cls", required=True)
    p.add_argument("--mode", choices=("reference", "idempotent"), required=True)
    p.add_argument("--kill-after-create", type=int, default=None)
    p.add_argument("--claim-ttl", type=float, default=300.0)
    p.add_argument("--later", type=float, default=0.0)
    args = p.parse_args(argv)
    if not args.store.startswith("sqlite:///"):
        p.error("--store must be sqlite:///PATH")
    client = LinearClient(os.environ["LINEAR_API_KEY"], url=args.url)
    store = SQLiteFindingStore(
        args.store.removeprefix("sqlite:///"), now=lambda: time.time() + args.later
    )
    try:
        promoter = LinearPromoter(
            store,
            KillAfterCreate(client, args.kill_after_create),  # type: ignore[arg-type]
            args.team,
            threshold=1,
            mode=args.mode,
            claim_ttl=args.claim_ttl,
            clock=_NoWaitClock(),
            settle_delays=(0.1, 0.2),
        )
        result = promoter.promote_class(args.cls)
        print(json.dumps(result.counters()))
    finally:
        store.close()
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
