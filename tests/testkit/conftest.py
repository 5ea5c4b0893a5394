"""Offline fixtures for the testkit's own tests: an in-process fake on a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fakelinear.clock import VirtualClock
from fakelinear.transports.mock import mock_linear
from promoter.linear import LinearClient, Team


@dataclass
class Offline:
    fake: Any
    client: LinearClient
    clock: VirtualClock
    team: Team


@pytest.fixture
def offline() -> Offline:
    """A calm fake (faults added per test) behind respx, its client, clock and a team."""
    clock = VirtualClock()
    with mock_linear(seed=11, clock=clock, profile="calm", workspaces=2, plan="unlimited") as fake:
        client = LinearClient(fake.tokens[0], url="https://api.linear.app/graphql")
        team = client.team_create("[test] team base", key="TBASE")
        yield Offline(fake, client, clock, team)
        client.close()
