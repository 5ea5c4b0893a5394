"""One control interface in every mode: LocalFake (in-process) and RemoteFake (loopback,
over /_fake/) expose the same public members and behave the same."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakelinear import FakeLinear
from fakelinear.faults import FaultPlanError, profile
from fakelinear.handle import LocalFake
from fakelinear.remote import RemoteFake, RemoteFakeError
from fakelinear.transports.mock import mock_linear
from fakelinear.transports.server import ServerThread

VIEWER = "query Viewer { viewer { id } }"


def _public(obj: Any) -> dict[str, str]:
    """Public members and, for methods, their parameter names."""
    out = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(type(obj), name, None)
        if callable(value) and not isinstance(value, property):
            out[name] = ",".join(inspect.signature(value).parameters)
        else:
            out[name] = "attribute"
    return out


@pytest.fixture(params=["local", "remote"])
def handle(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """``(handle, post)``: a fresh fake's handle and ``post(query)`` for GraphQL."""
    fake = FakeLinear(seed=5, profile="storm", workspaces=2)
    if request.param == "local":
        with mock_linear(fake), httpx.Client() as client:
            h = LocalFake(fake)
            yield h, lambda q: client.post(h.url, json={"query": q}, headers={"Authorization": h.tokens[0]})
    else:
        with ServerThread(fake) as server, httpx.Client() as client:
            h = RemoteFake(server.base_url, tokens=fake.tokens)
            yield h, lambda q: client.post(h.url, json={"query": q}, headers={"Authorization": h.tokens[0]})
            h.close()


def test_same_public_members_in_both_modes() -> None:
    fake = FakeLinear()
    local = LocalFake(fake)
    with ServerThread(fake) as server:
        remote = RemoteFake(server.base_url, tokens=fake.tokens)
        try:
            assert _public(local) == _public(remote)
            assert _public(local.faults) == _public(remote.faults)
            assert _public(local.journal) == _public(remote.journal)
            assert _public(local.clock) == _public(remote.clock)
            assert {"faults", "journal", "clock", "reset", "tokens"} <= set(_public(local))
            assert {"assert_called", "assert_not_called", "count", "entries", "clear", "last"} <= set(_public(local.journal))
            for override in ("phantom_conflicts", "gateway_error", "rate_limit", "read_lag", "search_lag",
                             "transport_fault", "apply", "use", "calm", "profile", "clear", "plan"):
                assert override in _public(local.faults)
        finally:
            remote.close()


def test_faults_journal_and_clock_behave_the_same(handle: tuple[Any, Any]) -> None:
    h, post = handle
    h.begin_scope("tests::one")
    assert h.faults.plan == profile("storm")
    h.faults.calm().gateway_error(503, times=1)
    assert [r.status for r in h.faults.plan.gateway] == [503]
    assert post(VIEWER).status_code == 503
    assert post(VIEWER).status_code == 200
    entries = h.journal.assert_called(operation="viewer", times=2)
    assert [e.decision for e in entries] == ["gateway_before", "passed"]
    assert entries[1].request == {"query": VIEWER, "variables": None, "operationName": "Viewer"}
    assert entries[1].response["data"]["viewer"]["id"] and "<html" in entries[0].response.lower()
    assert h.journal.count(decision="fault") == 1 and h.journal.last().seq == entries[1].seq
    h.journal.assert_not_called(operation="issueCreate")
    with pytest.raises(AssertionError, match=r"expected operation='viewer' 3 time\(s\), got 2"):
        h.journal.assert_called(operation="viewer", times=3)
    h.journal.clear()
    assert len(h.journal) == 0
    h.faults.clear()
    assert h.faults.plan == profile("storm")
    start = h.clock.now()
    h.clock.sleep(30)
    assert h.advance(30) == h.clock.now() == start + 60
    with pytest.raises(ValueError):
        h.clock.set(start)
    # A new scope: overrides gone, journal view empty.
    h.faults.use("calm")
    h.begin_scope("tests::two")
    assert h.faults.plan == profile("storm") and len(h.journal) == 0


def test_bad_rules_are_the_same_clear_error(handle: tuple[Any, Any]) -> None:
    h, _ = handle
    with pytest.raises(FaultPlanError, match=r"unknown operation 'teamCreat' \(did you mean 'teamCreate'\?\)"):
        h.faults.phantom_conflicts(on="teamCreat")
    with pytest.raises(FaultPlanError, match=r"unknown field 'probabilty' in gateway \(did you mean 'probability'\?\)"):
        h.faults.apply({"gateway": {"probabilty": 1}})
    with pytest.raises(FaultPlanError, match="did you mean 'storm'"):
        h.faults.profile("strom")
    assert h.faults.plan == profile("storm"), "a refused rule changes nothing"


def test_workspaces_snapshot_and_reset(handle: tuple[Any, Any]) -> None:
    h, post = handle
    created = h.add_workspace(name="Extra")
    assert created["token"] == h.tokens[-1] and created["token_masked"] == "…" + created["token"][-6:]
    assert [w["name"] for w in h.workspaces()][-1] == "Extra"
    assert h.snapshot()["workspaces"]
    post(VIEWER)
    h.reset()
    assert len(h.workspaces()) == 2 and len(h.journal) == 0


def test_remote_refusals_raise_remote_fake_error() -> None:
    with ServerThread(FakeLinear(control_key="k" * 12)) as server:
        remote = RemoteFake(server.base_url)
        with pytest.raises(RemoteFakeError, match="401"):
            remote.workspaces()
        remote.close()
        with RemoteFake(server.base_url, control_key="k" * 12) as ok:
            assert len(ok.workspaces()) == 1
