"""Secrets: the whole online-mode flow against the fake on loopback never shows a token whole.

The fake is started from a state file whose API keys carry a recognizable marker. The pool
file (``~/.linear_api_token_test``, HOME redirected), ``LINEAR_API_URL`` and
``LINEAR_API_KEY`` point the harness, the promoter (library and CLI), the reconciler and
``linear-cleanup`` at it, exactly as online mode would point them at Linear. Afterwards no
log record, stdout/stderr, journal entry, control-API answer, exception ``str``/``repr``,
report or client ``repr`` may contain a token whole (``…`` + last 6 is allowed).
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from fakelinear.clock import VirtualClock
from fakelinear.handler import FakeLinear
from fakelinear.testkit import cleanup_cli, retry, tokens
from fakelinear.testkit.backends import HttpClock
from fakelinear.testkit.guards import Guards
from fakelinear.testkit.names import unique_name
from fakelinear.testkit.workspace import _reset_zombie_flag, create_test_team
from fakelinear.transports.server import ServerThread
from promoter import cli as promoter_cli
from promoter.findings import Finding
from promoter.linear.client import LinearClient
from promoter.linear.errors import LinearError
from promoter.promoter import LinearPromoter
from promoter.reconciler import Reconciler
from promoter.store.sqlite import SQLiteFindingStore

MARKER = "SeCrEtMaRkEr"


def _marked_fake(tmp_path: Path) -> tuple[FakeLinear, list[str]]:
    """A fake whose two API keys contain MARKER (state file written, keys swapped, reloaded)."""
    state = tmp_path / "state.json"
    with FakeLinear(seed=31, clock=VirtualClock(), workspaces=2, state_file=state):
        pass  # writes the file, then lets go of its lock
    data = json.loads(state.read_text())
    marked = [f"lin_api_{MARKER}{n}x{'q' * 20}{n}ab{n}cd" for n in range(len(data["keys"]))]
    data["keys"] = [[tok, ws] for tok, (_, ws) in zip(marked, data["keys"], strict=True)]
    state.write_text(json.dumps(data))
    fake = FakeLinear(seed=31, clock=VirtualClock(), workspaces=2, state_file=state, profile="calm")
    assert fake.tokens == marked
    # Some trouble on the way: phantom conflicts exercise the retry and error paths.
    fake.add_plan({"phantom_conflict": [{"first": 2}]})
    return fake, marked


def _texts(*objs: Any) -> str:
    return "\n".join(f"{o}\n{o!r}" for o in objs)


def test_no_token_appears_whole_anywhere_in_the_online_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    fake, pool = _marked_fake(tmp_path)
    seen: list[Any] = []
    with ServerThread(fake, "127.0.0.1", 0) as server:
        url = server.base_url + "/graphql"
        (tmp_path / ".linear_api_token_test").write_text("# test pool; do not share\n" + ";".join(pool) + "\n")
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("LINEAR_TEST_TOKEN", raising=False)
        monkeypatch.setenv("LINEAR_API_URL", url)
        tokens.reset_pin()
        _reset_zombie_flag()
        clock = HttpClock(server.base_url)
        previous = retry.get_default_clock()
        retry.set_default_clock(clock)
        try:
            _flow(tmp_path, monkeypatch, clock, server.base_url, seen)
        finally:
            retry.set_default_clock(previous)
            tokens.reset_pin()
            clock.close()
        with httpx.Client(timeout=10) as http:
            control = [http.get(server.base_url + p).text for p in ("/_fake/journal", "/_fake/workspaces", "/_fake/state", "/_fake/faults")]
    captured = capsys.readouterr()
    haystack = "\n".join(
        [caplog.text, *(r.getMessage() for r in caplog.records), captured.out, captured.err,
         fake.journal.to_json(), *control, _texts(*seen)]
        + [(tmp_path / "findings.db").read_bytes().decode("latin-1")]
    )
    assert len(fake.journal) > 20 and "promoted" in haystack  # the flow really ran
    for token in pool:
        assert token not in haystack, "a token appeared whole"
        assert token[:-6] not in haystack, "more than the last 6 characters of a token appeared"
    assert MARKER not in haystack
    assert "…" + pool[0][-6:] in haystack  # masked form is what people see


def _flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: HttpClock, base_url: str, seen: list[Any]) -> None:
    # --- the harness: pool, pinned token, client, team with guards, retried creates
    pool = tokens.load_tokens()
    token = tokens.test_token()
    client = LinearClient(token)
    seen.append(client)
    with Guards(client, clock) as guards:
        team = create_test_team(client, guards, clock)
        issue, _ = retry.retry_create(lambda name: client.issue_create(team.id, name), unique_name("issue"), kind="issue", clock=clock)
        guards.issue(issue)
        seen += [team, issue, guards]

        # --- the promoter (library): idempotent and reference, then the reconciler
        store = SQLiteFindingStore(str(tmp_path / "findings.db"))
        for _ in range(2):
            store.observe("lint", [Finding("lint", f"ref{n}", "k", f"[test] finding {n}", "d") for n in range(3)])
            store.observe("flaky", [Finding("flaky", f"ref{n}", "k", f"[test] flaky {n}", "d") for n in range(2)])
        for mode, cls in (("idempotent", "lint"), ("reference", "flaky")):
            promoter = LinearPromoter(store, client, team.id, threshold=1, mode=mode, clock=clock)  # type: ignore[arg-type]
            result = promoter.promote_class(cls)
            seen += [promoter, result]
            print(f"{mode}: promoted={result.promoted} {result.counters()}")
        seen.append(Reconciler(store, client, team.id).run())
        store.close()

        # --- the promoter CLI with LINEAR_API_KEY
        monkeypatch.setenv("LINEAR_API_KEY", token)
        store_url = f"sqlite:///{tmp_path / 'cli.db'}"
        findings = tmp_path / "f.jsonl"
        findings.write_text('{"ref_id": "cli1", "kind": "k", "title": "[test] cli"}\n')
        for _ in range(2):
            assert promoter_cli.main(["observe", "--store", store_url, "--class", "cli", str(findings)]) == 0
        assert promoter_cli.main(["-v", "run", "--store", store_url, "--team", team.key, "--threshold", "1"]) == 0
        assert promoter_cli.main(["status", "--store", store_url]) == 0
        monkeypatch.setenv("LINEAR_API_KEY", pool[1][:-3] + "zzz")  # a wrong key: clear error
        assert promoter_cli.main(["run", "--store", store_url, "--team", team.key, "--threshold", "1"]) == 2

        # --- errors: a wrong key, a missing entity
        bad = LinearClient(pool[0] + "nope")
        seen.append(bad)
        for call in (lambda: bad.viewer(), lambda: client.issue("00000000-0000-4000-8000-000000000000")):
            with pytest.raises(LinearError) as info:
                call()
            seen += [info.value, info.value.args, getattr(info.value, "extensions", None)]
        bad.close()

    # --- linear-cleanup over the whole pool (the CLI's run(), console captured)
    buf = io.StringIO()
    code, results = cleanup_cli.run(pool, url=base_url + "/graphql", clock=clock, console=Console(file=buf, width=200))
    seen += [results, buf.getvalue()]
    print(buf.getvalue())
    assert code == 0, buf.getvalue()
    client.close()


def test_short_keys_show_fewer_characters_in_journal_control_api_and_cleanup(tmp_path: Path) -> None:
    """Keys of 6 characters or fewer used to be shown whole (journal, linear-cleanup);
    now at most a quarter of a key shows (issue 12, break 7)."""
    from fakelinear.masking import mask_secret

    state = tmp_path / "state.json"
    with FakeLinear(seed=2, workspaces=3, state_file=state):
        pass
    data = json.loads(state.read_text())
    short = ["ab12", "Zq9xY7", "k3y-01234567"]  # 4, 6 and 12 characters
    data["keys"] = [[key, ws] for key, (_, ws) in zip(short, data["keys"], strict=True)]
    state.write_text(json.dumps(data))
    assert [mask_secret(k) for k in short] == ["…2", "…7", "…567"]
    with FakeLinear(seed=2, workspaces=3, state_file=state, clock=VirtualClock()) as fake, ServerThread(fake) as server:
        with httpx.Client(timeout=10) as http:
            for key in short + ["wrong1"]:
                http.post(server.graphql_url, json={"query": "{ viewer { id } }"}, headers={"authorization": key})
            control = "\n".join(http.get(server.base_url + p).text for p in ("/_fake/journal", "/_fake/workspaces"))
        buf = io.StringIO()
        code, _ = cleanup_cli.run(short, url=server.graphql_url, clock=fake.clock, console=Console(file=buf, width=200))
        assert code == 0, buf.getvalue()
        shown = "\n".join([fake.journal.to_json(), control, buf.getvalue()])
    assert [e.key_masked for e in fake.journal.entries()][:4] == ["…2", "…7", "…567", "…1"]
    for key in short + ["wrong1"]:
        allowed = len(key) // 4
        assert key not in shown
        assert "…" + key[-(allowed + 1):] not in shown  # never one character more than allowed
    assert "token …567" in buf.getvalue() or "…567" in buf.getvalue()  # cleanup shows the masked form
