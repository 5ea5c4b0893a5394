"""A tiny in-process driver for GraphQLApi tests (no HTTP)."""

from __future__ import annotations

from typing import Any

from fakelinear.api import ALWAYS_VISIBLE, ExecutionOutcome, GraphQLApi, Visibility
from fakelinear.model import Model, Workspace
from fakelinear.rng import Rng

_API: GraphQLApi | None = None


def shared_api() -> GraphQLApi:
    """One GraphQLApi for the test session (it is stateless apart from caches)."""
    global _API
    if _API is None:
        _API = GraphQLApi()
    return _API


def new_model(rng: Rng, clock: Any) -> Model:
    """A model over the default schema's catalog (what ``FakeLinear`` builds)."""
    return Model(rng, clock, shared_api().catalog)


class Driver:
    """Runs queries against one workspace."""

    def __init__(self, ws: Workspace, visibility: Visibility = ALWAYS_VISIBLE) -> None:
        self.ws = ws
        self.api = shared_api()
        self.visibility = visibility

    def run(self, query: str, variables: dict[str, Any] | None = None,
            operation_name: str | None = None) -> ExecutionOutcome:
        prepared = self.api.prepare(query, operation_name)
        return self.api.execute(prepared, self.ws, variables, self.visibility)

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        out = self.run(query, variables)
        assert "errors" not in out.result, out.result
        assert out.status == 200
        return out.result["data"]

    def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        out = self.run(query, variables)
        assert out.result.get("errors"), out.result
        return out.result["errors"][0]

    # shortcuts
    def team_id(self, key: str = "ENG") -> str:
        return self.ws.team(key)["id"]

    def create_issue(self, title: str = "Bug", **fields: Any) -> dict[str, Any]:
        inp = {"teamId": fields.pop("teamId", self.team_id()), "title": title, **fields}
        return self.data(
            "mutation($i: IssueCreateInput!) { issueCreate(input: $i) { success lastSyncId"
            " issue { id identifier title } } }",
            {"i": inp},
        )["issueCreate"]["issue"]
