"""The official ``@linear/sdk`` webhook helper (``LinearWebhookClient`` from
``@linear/sdk/webhooks``) verifies and parses deliveries from ``fakelinear serve`` and
refuses the opt-in bad signatures and stale timestamps (node; skipped without node/npm
unless ``FAKELINEAR_REQUIRE_NODE=1``)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from tests.support.npm import NodePackages

SCRIPT = Path(__file__).with_name("node") / "sdk_webhooks.mjs"
SDK = "@linear/sdk@98.0.0"  # the SDK the served schema comes from


@contextlib.contextmanager
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``fakelinear serve`` (real clock) as a subprocess: ``(base URL, API key)``."""
    tokens = tmp_path / "tokens"
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
        [sys.executable, "-c", "import sys; from fakelinear.cli import main; sys.exit(main())",
         "serve", "--port", "0", "--seed", "3", "--tokens-file", str(tokens)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    try:
        base = (first[0] if first else "").strip()
        assert base.startswith("http://127.0.0.1:"), (base, process.stderr.read() if process.poll() else "")
        threading.Thread(target=process.stdout.read, daemon=True).start()
        token = tokens.read_text().strip().splitlines()[-1]
        yield base, token
    finally:
        process.terminate()
        process.wait(10)


def test_linear_webhook_client_verifies_parses_and_refuses(
    node_packages: Callable[[str], NodePackages], tmp_path: Path
) -> None:
    sdk = node_packages(SDK)
    with served(tmp_path) as (base, token):
        out = sdk.run(SCRIPT, env={"FAKE_BASE": base, "FAKE_TOKEN": token}, timeout=90)
        deliveries = httpx.get(f"{base}/_fake/webhooks/deliveries").json()["deliveries"]
    assert out["webhook"]["enabled"] is True and out["webhook"]["secretPrefix"] == "lin_wh_"
    # Verified and parsed by the SDK, dispatched to the "Issue" handler:
    assert [(r["action"], r["title"]) for r in out["received"]] == [
        ("create", "from the sdk"), ("update", "renamed by the sdk")]
    assert out["received"][1]["updatedFrom"]["title"] == "from the sdk"
    assert {r["webhookId"] for r in out["received"]} == {out["webhook"]["id"]}
    # Refused by the SDK's handler (400 "Invalid webhook"): a forged signature, then a
    # webhookTimestamp older than the SDK's one-minute window.
    assert [a["status"] for a in out["answers"]] == [200, 200, 400, 400]
    faults = [d["attempts"][0]["fault"] for d in deliveries]
    assert faults == [None, None, "bad_signature", "stale_timestamp"]
    assert [d["status"] for d in deliveries] == ["delivered", "delivered", "pending", "pending"]
    assert all(d["next_at"] is not None for d in deliveries[2:])  # Linear would retry them
