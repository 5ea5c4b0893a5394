"""The model root: all workspaces of one fake, plus snapshot/restore."""

from __future__ import annotations

from typing import Any

from fakelinear.model.catalog import Catalog
from fakelinear.model.errors import NotFound
from fakelinear.model.seed import add_users, add_workspace_defaults
from fakelinear.model.seed import seed_content as _fill_with_seed_content
from fakelinear.model.workspace import IdRegistry, Workspace
from fakelinear.rng import Rng

SNAPSHOT_VERSION = 2
_ID_STREAM = "model:ids"


class Model:
    """Every workspace of one fake. Not thread-safe: callers serialize writes (the handler
    holds one lock around prepare+execute). ``catalog`` describes the kinds (derived from
    the GraphQL schema by the API layer)."""

    def __init__(self, rng: Rng, clock: Any, catalog: Catalog) -> None:
        self.rng = rng
        self.clock = clock
        self.catalog = catalog
        self.registry = IdRegistry(lambda: rng.stream_uuid4(_ID_STREAM))
        self._workspaces: dict[str, Workspace] = {}

    def create_workspace(
        self,
        name: str | None = None,
        plan: str = "free",
        seed_content: bool = False,
        *,
        default_team: bool = True,
        users: int = 3,
    ) -> Workspace:
        """A new workspace with an organization, ``users`` members (the first is the
        viewer), Linear's default project statuses and, unless ``default_team=False``, one
        team "Engineering" (ENG): a real workspace always has a team, and it takes one of
        the free plan's two team slots. ``seed_content`` adds realistic demo data."""
        n = len(self._workspaces) + 1
        name = name or f"Workspace {n}"
        url_key = _url_key(name, {w.url_key for w in self._workspaces.values()})
        ws = Workspace(
            id=self.registry.new_id(), name=name, url_key=url_key, plan=plan, clock=self.clock,
            registry=self.registry, catalog=self.catalog, created_at=float(self.clock.now()),
        )
        self._workspaces[ws.id] = ws
        rnd = self.rng.stream(f"model:seed:{n}")
        add_users(ws, rnd, max(1, users))
        add_workspace_defaults(ws)
        if default_team and "Team" in self.catalog.kinds:
            ws.create("Team", name="Engineering", key="ENG")
        if seed_content:
            _fill_with_seed_content(ws, rnd)
        ws.drain_changes()  # setup is not news to anyone
        return ws

    def workspace(self, workspace_id: str) -> Workspace:
        """A workspace by id (NotFound("Organization") otherwise)."""
        ws = self._workspaces.get(workspace_id)
        if ws is None:
            raise NotFound("Organization")
        return ws

    def workspaces(self) -> list[Workspace]:
        """All workspaces in creation order."""
        return list(self._workspaces.values())

    def owner_of(self, entity_id: str) -> str | None:
        """The workspace id that holds ``entity_id``, if any (model-wide id index)."""
        return self.registry.owner.get(entity_id)

    def snapshot(self) -> dict[str, Any]:
        """JSON-able full state; :meth:`restore` rebuilds an equal model."""
        return {
            "version": SNAPSHOT_VERSION,
            "rng_streams": {
                k: v for k, v in self.rng.stream_states().items() if k.startswith("model:")
            },
            "workspaces": [ws.to_dict() for ws in self._workspaces.values()],
        }

    @classmethod
    def restore(cls, data: dict[str, Any], rng: Rng, clock: Any, catalog: Catalog) -> Model:
        """Rebuild a model from :meth:`snapshot` output."""
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported snapshot version {data.get('version')!r}")
        model = cls(rng, clock, catalog)
        rng.restore_stream_states(data.get("rng_streams", {}))
        for row in data["workspaces"]:
            ws = Workspace.from_dict(row, clock, model.registry, catalog)
            model._workspaces[ws.id] = ws
        return model


def _url_key(name: str, taken: set[str]) -> str:
    base = "".join(c.lower() for c in name if c.isalnum()) or "workspace"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{n}"
    return key
