"""The official @linear/sdk (TypeScript), unmodified and pinned to the version the served
schema was generated from, against ``fakelinear serve`` on loopback: typed calls across 20
entity kinds (create, read by id, lazy relations such as ``await issue.team``, list with a
filter, ``fetchNext``, update, archive, delete). Installed with npm in the test set-up; skips
without node/npm, except in CI (``FAKELINEAR_REQUIRE_NODE=1``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from fakelinear.clock import RealClock
from fakelinear.handler import FakeLinear
from fakelinear.transports.server import ServerThread
from tests.sdk.documents_support import served_sdk_version
from tests.support.npm import NodePackages

SCRIPT = Path(__file__).with_name("sdk_client_check.mjs")


def test_official_sdk_runs_unmodified(node_packages: Callable[..., NodePackages]) -> None:
    version = served_sdk_version()
    assert version is not None
    sdk = node_packages(f"@linear/sdk@{version}")
    fake = FakeLinear(seed=4, clock=RealClock(), plan="unlimited")
    with ServerThread(fake, "127.0.0.1", 0) as server:
        out = sdk.run(SCRIPT, env={"LINEAR_API_URL": server.base_url + "/graphql",
                                   "LINEAR_API_KEY": fake.tokens[0]}, timeout=180)
    assert out["version"] == version
    failed = [s for s in out["steps"] if not s["ok"]]
    assert failed == [], failed
    kinds = Counter(s["kind"] for s in out["steps"])
    assert len(kinds) >= 15, kinds
    steps = {(s["kind"], s["step"]) for s in out["steps"]}
    for expected in [("Issue", "lazy relations"), ("Issue", "fetchNext"), ("Issue", "list with filter"),
                     ("Issue", "update"), ("Issue", "archive"), ("Issue", "delete trashes"),
                     ("Cycle", "cycle.team and team.cycles"), ("Attachment", "delete")]:
        assert expected in steps, expected
    # The SDK really talked to this fake: its writes are in the journal.
    assert fake.journal.count(operation="issueCreate") >= 4
