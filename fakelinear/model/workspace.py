"""One Linear workspace: a generic store plus Linear's rules, applied to every kind alike.

Not thread-safe: the handler serializes every call with one lock. Every write validates
first and mutates last, so an error never leaves a half-written state; every committed
write bumps :attr:`Workspace.last_sync_id` by one.

Lifecycle (DESIGN.md §3), the same mechanism for every kind, chosen by the catalog (from
the schema) unless a kind's rules say otherwise:

* ``trash``: kinds with a ``trashed`` field (issues, projects, documents ...). A delete sets
  ``trashed`` and ``archivedAt``; the record stays readable by id and is purged 30 days
  later. Deleting it again succeeds and returns it unchanged.
* ``archive``: a delete sets ``archivedAt`` (teams; kinds whose delete returns the entity).
* ``hard``: the record is removed at once; a second delete answers ``Entity not found``.
  What pointed at it follows the references: a non-null reference cascades the removal,
  a nullable one is cleared, an id is taken out of a ``...Ids`` list.

Archived and trashed records are hidden from lists unless ``includeArchived``; so are
records of an archived team. Plan limits (free: 250 issues that are not archived, trashed
ones included, and 2 teams, archived ones included until purged) are counted as records
change, never by scanning.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fakelinear.model.catalog import Catalog, KindSpec, Ref
from fakelinear.model.errors import AlreadyExists, InvalidInput, NotFound, UsageLimitExceeded
from fakelinear.model.keys import is_uuid
from fakelinear.model.records import SEQ, TYPENAME, Record
from fakelinear.model.rules import rules_for
from fakelinear.model.store import Store

PURGE_AFTER = 30 * 24 * 3600.0
PLAN_LIMITS: dict[str, dict[str, int | None]] = {
    "free": {"issues": 250, "teams": 2},
    "unlimited": {"issues": None, "teams": None},
}
#: User references that default to the API key's user when a create leaves them out.
VIEWER_DEFAULT_FIELDS = frozenset({"creator", "user", "actor", "owner"})
#: Internal record key: when a trashed/archived record was deleted (purge 30 days later).
DELETED_AT = "_deletedAt"


@dataclass(slots=True)
class Change:
    """A committed change, as webhooks and other observers see it."""

    action: str  # "create" | "update" | "remove"
    kind: str
    record: dict[str, Any]
    previous: dict[str, Any] = field(default_factory=dict)  # old values of changed keys
    time: float = 0.0


class IdRegistry:
    """Model-wide id index (Linear ids are global primary keys): id -> workspace id."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.owner: dict[str, str] = {}
        self._new_id = new_id

    def new_id(self) -> str:
        """A fresh id that is not in use."""
        while True:
            candidate = self._new_id()
            if candidate not in self.owner:
                return candidate


class Workspace:
    """State of one workspace. See the module docstring for semantics; not thread-safe."""

    def __init__(
        self,
        *,
        id: str,  # noqa: A002 - Linear's field name
        name: str,
        url_key: str,
        plan: str,
        clock: Any,
        registry: IdRegistry,
        catalog: Catalog,
        created_at: float,
    ) -> None:
        if plan not in PLAN_LIMITS:
            raise InvalidInput(f"unknown plan {plan!r}")
        self.id = id
        self.name = name
        self.url_key = url_key
        self.plan = plan
        self.clock = clock
        self.catalog = catalog
        self.created_at = created_at
        self.last_sync_id = 1000
        self.viewer_id = ""
        self.store = Store(catalog)
        self.changes: list[Change] = []
        self._registry = registry
        self._aliases: dict[str, dict[str, str]] = {}  # kind -> alternative key -> id
        self._pending_purge: dict[str, str] = {}  # id -> kind
        self._purge_queue: list[tuple[float, str]] = []  # (deleted at, id), a heap
        self._limited: dict[str, set[str]] = {}  # limit name -> ids counting against it
        registry.owner[id] = id
        self.organization = Record(
            {TYPENAME: "Organization", "id": id, "createdAt": created_at,
             "updatedAt": created_at, "archivedAt": None, "name": name, "urlKey": url_key}
        )
        self.store.insert(self.organization)

    # ------------------------------------------------------------------ basics
    def now(self) -> float:
        """The fake's current time."""
        return float(self.clock.now())

    def new_id(self) -> str:
        """A fresh model-wide id (from the seeded id stream)."""
        return self._registry.new_id()

    def url(self, *parts: str) -> str:
        """``https://linear.app/<urlKey>/<parts...>``."""
        return "https://linear.app/" + "/".join((self.url_key, *parts))

    def commit(self) -> None:
        """One committed mutation: lastSyncId moves by one."""
        self.last_sync_id += 1

    def drain_changes(self) -> list[Change]:
        """Changes committed since the last call (observers such as webhooks take them)."""
        out, self.changes = self.changes, []
        return out

    def _emit(self, action: str, rec: Record, previous: dict[str, Any] | None = None) -> None:
        self.changes.append(Change(action, rec[TYPENAME], rec.public(), previous or {}, self.now()))

    # ------------------------------------------------------------------ aliases
    def set_alias(self, kind: str, key: str, entity_id: str) -> None:
        """Make ``key`` (case-insensitive) resolve to ``entity_id`` for ``kind``."""
        self._aliases.setdefault(kind, {})[key.upper()] = entity_id

    def drop_alias(self, kind: str, key: str) -> None:
        """Forget an alternative key."""
        self._aliases.get(kind, {}).pop(key.upper(), None)

    def alias(self, kind: str, key: str) -> str | None:
        """The id an alternative key resolves to, if any."""
        return self._aliases.get(kind, {}).get(key.upper())

    # ------------------------------------------------------------------ reads
    @property
    def viewer(self) -> Record:
        """The user the workspace's API key belongs to."""
        return self.store.tables["User"].records[self.viewer_id]

    def get(self, kind: str, entity_id: Any) -> Record:
        """A record of ``kind`` by id or alternative key (archived/trashed included);
        ``NotFound(kind)`` otherwise."""
        rec = self.store.get(kind, entity_id)
        if rec is None and isinstance(entity_id, str):
            for concrete in self.catalog.concrete(kind) or (kind,):
                alt = rules_for(concrete).lookup(self, entity_id)
                if alt is not None:
                    rec = self.store.get(concrete, alt)
                    if rec is not None:
                        break
        if rec is None:
            raise NotFound(kind)
        return rec

    def find(self, entity_id: Any) -> Record | None:
        """The record with this id, of any kind, or None."""
        return self.store.find(entity_id)

    def all(self, kind: str) -> list[Record]:
        """Every record of ``kind`` (archived/trashed included), oldest first."""
        return self.store.all(kind)

    def is_archived(self, rec: Record) -> bool:
        """Hidden from lists unless includeArchived: own archivedAt, or an archived team."""
        if rec.get("archivedAt") is not None:
            return True
        team_id = rec.get("teamId")
        if team_id and rec[TYPENAME] != "Team":
            team = self.store.get("Team", team_id)
            return team is not None and team.get("archivedAt") is not None
        return False

    def list(self, kind: str, include_archived: bool = False) -> list[Record]:
        """Records of ``kind`` for a list, oldest first."""
        records = self.store.all(kind)
        return records if include_archived else [r for r in records if not self.is_archived(r)]

    def team(self, id_or_key: Any) -> Record:
        """A team by id or key (archived included)."""
        return self.get("Team", id_or_key)

    def issue(self, id_or_identifier: Any) -> Record:
        """An issue by id or ``KEY-N`` identifier (trashed/archived included)."""
        return self.get("Issue", id_or_identifier)

    def team_states(self, team_id: str) -> list[Record]:
        """A team's workflow states by position."""
        index = self.store.children("WorkflowState", "teamId", team_id)
        states = list(self.store.records_of("WorkflowState", index.forward())) if index else []
        return sorted(states, key=lambda s: (s.get("position") or 0.0, s[SEQ]))

    def workflow_states(self, team_id: str | None = None) -> list[Record]:
        """States of one team (by position) or of every team."""
        if team_id is None:
            return self.all("WorkflowState")
        return self.team_states(self.team(team_id)["id"])

    # ------------------------------------------------------------------ limits and purge
    def limit_count(self, limit: str) -> int:
        """How many records count against the plan limit ``limit``."""
        return len(self._limited.get(limit, ()))

    def check_limit(self, limit: str, adding: int) -> None:
        """``UsageLimitExceeded`` when ``adding`` more would pass the plan's limit."""
        maximum = PLAN_LIMITS[self.plan].get(limit)
        if maximum is not None and self.limit_count(limit) + adding > maximum:
            raise UsageLimitExceeded(
                f"You've reached the limit of {maximum} {limit} on the free plan. "
                f"Upgrade to create more {limit}."
            )

    def issue_count_for_limit(self) -> int:
        """Issues counting against the plan: not archived, or trashed (until purged)."""
        return self.limit_count("issues")

    def team_count_for_limit(self) -> int:
        """Teams counting against the plan: all of them until purged."""
        return self.limit_count("teams")

    def _recount(self, rec: Record, present: bool = True) -> None:
        rules = rules_for(rec[TYPENAME])
        if rules.limit is None:
            return
        ids = self._limited.setdefault(rules.limit, set())
        if present and rules.counts_toward_limit(rec):
            ids.add(rec["id"])
        else:
            ids.discard(rec["id"])

    def purge_expired(self, now: float | None = None) -> int:
        """Remove records deleted more than 30 days ago; returns how many were purged.
        Runs lazily on writes; costs nothing until the oldest deletion is due."""
        now = self.now() if now is None else now
        queue = self._purge_queue
        purged = 0
        while queue and now - queue[0][0] >= PURGE_AFTER:
            deleted_at, entity_id = heapq.heappop(queue)
            kind = self._pending_purge.get(entity_id)
            rec = self.store.get(kind, entity_id) if kind is not None else None
            if rec is None or rec.get(DELETED_AT) != deleted_at:
                continue  # restored, purged already, or deleted again later
            purged += 1
            self._remove(rec)
        return purged

    def _schedule_purge(self, rec: Record) -> None:
        self._pending_purge[rec["id"]] = rec[TYPENAME]
        heapq.heappush(self._purge_queue, (rec[DELETED_AT], rec["id"]))

    # ------------------------------------------------------------------ writes: helpers
    def _check_new_id(self, kind: str, requested: Any, reserved: Iterable[str] = ()) -> str | None:
        """Validate a client-supplied id (F2). Ids are generated only after every check has
        passed, so a rejected write does not move the id stream."""
        if requested is None:
            return None
        if not isinstance(requested, str) or not is_uuid(requested):
            raise InvalidInput("id must be a UUID", "The provided id is not a valid UUID.")
        if requested in self._registry.owner or requested in reserved:
            raise AlreadyExists(kind, requested)
        return requested

    def resolve_ref(self, ref: Ref, value: Any) -> Any:
        """Check a reference value (an id, or a list of ids for ``many``) and return it with
        alternative keys (``ENG-1``, ``ENG``) replaced by ids; ``NotFound`` otherwise."""
        if value is None:
            return None
        if ref.many:
            if not isinstance(value, list):
                raise InvalidInput(f"{ref.key} must be a list of ids")
            out: list[str] = []
            for item in value:
                entity_id = self.get(ref.target, item)["id"]
                if entity_id not in out:
                    out.append(entity_id)
            return out
        return self.get(ref.target, value)["id"]

    @staticmethod
    def _merge_list_changes(spec: KindSpec, rec: Record, changes: dict[str, Any]) -> None:
        """``addedLabelIds`` / ``removedLabelIds`` (Linear's update inputs) edit the
        ``labelIds`` reference list instead of replacing it."""
        for key in [k for k in changes if k.startswith(("added", "removed"))]:
            verb = "added" if key.startswith("added") else "removed"
            stem = key[len(verb):]
            target = stem[:1].lower() + stem[1:]
            ref = spec.refs.get(target)
            if ref is None or not ref.many:
                continue
            ids = changes.pop(key) or []
            current = list(changes.get(target, rec.get(target)) or [])
            if verb == "added":
                current += [i for i in ids if i not in current]
            else:
                current = [i for i in current if i not in ids]
            changes[target] = current

    @staticmethod
    def _check_enums(spec: KindSpec, data: dict[str, Any]) -> None:
        """A value for an enum-typed field must be one the schema allows (some inputs take
        a plain string where the entity answers an enum)."""
        for key, allowed in spec.enums.items():
            value = data.get(key)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise InvalidInput(
                    f"{key} must be one of {', '.join(sorted(allowed))}",
                    f"{bad[0]!r} is not a valid {key}.",
                )

    def _resolve_refs(self, spec: KindSpec, data: dict[str, Any]) -> None:
        self._check_enums(spec, data)
        for key in list(data):
            ref = spec.refs.get(key)
            if ref is not None:
                data[key] = self.resolve_ref(ref, data[key])

    def _default_refs(self, spec: KindSpec, rec: Record) -> None:
        """References a create left out: the viewer for ``creator``/``user``-like fields;
        for other non-null ones, the workspace's first record of that kind (e.g. the
        default project status), when it has one."""
        for ref in spec.refs.values():
            if ref.many or not ref.field or rec.get(ref.key) is not None:
                continue
            if ref.target == "User" and ref.field in VIEWER_DEFAULT_FIELDS and self.viewer_id:
                rec[ref.key] = self.viewer_id
            elif ref.non_null and ref.target not in ("Organization",):
                first = next(iter(self.store.all(ref.target)), None)
                if first is not None:
                    rec[ref.key] = first["id"]

    def insert(self, rec: Record) -> Record:
        """Store a record built by a rule (e.g. a team's workflow states) in the current
        write; it gets the generic bookkeeping but no validation or commit of its own."""
        self.store.insert(rec)
        self._registry.owner[rec["id"]] = self.id
        self._recount(rec)
        self._emit("create", rec)
        return rec

    def new_record(self, kind: str, data: dict[str, Any], entity_id: str | None = None) -> Record:
        """A record of ``kind`` with system fields set (not stored)."""
        now = self.now()
        rec = Record({TYPENAME: kind, "id": entity_id or self.new_id(), "createdAt": now,
                      "updatedAt": now, "archivedAt": None})
        rec.update(data)
        return rec

    # ------------------------------------------------------------------ writes: generic
    def create(self, kind: str, data: dict[str, Any] | None = None, **fields: Any) -> Record:
        """Create a record of ``kind`` from input ``data`` (GraphQL input field names)."""
        return self.create_many(kind, [{**(data or {}), **fields}])[0]

    def create_many(self, kind: str, items: list[dict[str, Any]]) -> list[Record]:
        """Create several records of ``kind`` all-or-nothing, in one commit."""
        if kind not in self.catalog.kinds:
            raise InvalidInput(f"{kind} is not a kind records can be created of")
        self.purge_expired()
        spec = self.catalog.spec(kind)
        rules = rules_for(kind)
        prepared: list[tuple[dict[str, Any], str | None]] = []
        reserved: list[str] = []
        for item in items:
            data = dict(item)
            requested = self._check_new_id(kind, data.pop("id", None), reserved)
            if requested is not None:
                reserved.append(requested)
            rules.validate_create(self, data)
            self._resolve_refs(spec, data)
            prepared.append((data, requested))
        if rules.limit is not None:
            self.check_limit(rules.limit, len(prepared))
        created = []
        for data, requested in prepared:
            data = {k: v for k, v in data.items() if v is not None or k in spec.fields}
            rec = self.new_record(kind, data, requested or self.new_id())
            self._default_refs(spec, rec)
            rules.on_create(self, rec)
            self.insert(rec)
            created.append(rec)
        self.commit()
        return created

    def update(self, kind: str, entity_id: Any, changes: dict[str, Any]) -> Record:
        """Apply input ``changes`` to a record. ``null`` clears a nullable field and is
        ignored for a non-null one; ``trashed`` moves a record in or out of the trash."""
        return self.update_many(kind, [entity_id], changes)[0]

    def update_many(self, kind: str, entity_ids: list[Any], changes: dict[str, Any]) -> list[Record]:
        """The same ``changes`` to several records, all or nothing, in one commit."""
        self.purge_expired()
        if not entity_ids:
            raise InvalidInput("ids must not be empty")
        prepared = [self._prepare_update(self.get(kind, entity_id), changes) for entity_id in entity_ids]
        if len({rec["id"] for rec, _ in prepared}) != len(prepared):
            raise InvalidInput("ids must not repeat")
        for rec, final in prepared:
            previous = {k: rec.get(k) for k in final}
            self._apply(rec, final)
            rules_for(rec[TYPENAME]).on_update(self, rec, previous)
            self._emit("update", rec, previous)
        self.commit()
        return [rec for rec, _ in prepared]

    def _prepare_update(self, rec: Record, changes: dict[str, Any]) -> tuple[Record, dict[str, Any]]:
        """Validate ``changes`` for ``rec`` and return the record keys to write (no mutation)."""
        kind = rec[TYPENAME]
        spec = self.catalog.spec(kind)
        changes = {k: v for k, v in changes.items() if k != "id"}
        for key in list(changes):
            field_name = spec.refs[key].field if key in spec.refs else key
            if changes[key] is None and field_name in spec.non_null_fields:
                del changes[key]
        self._merge_list_changes(spec, rec, changes)
        trashed = changes.pop("trashed", None) if spec.has_trashed else None
        rules_for(kind).validate_update(self, rec, changes)
        self._resolve_refs(spec, changes)
        now = self.now()
        if trashed is True:
            changes.update(self._trash_changes(rec, now))
        elif trashed is False:
            self._check_limit_change(rec, {"archivedAt": None, "trashed": None})
            changes.update(self._restore_changes(rec))
        changes["updatedAt"] = now
        return rec, changes

    def delete(self, kind: str, entity_id: Any, *, permanently: bool = False) -> Record:
        """Delete as the kind's lifecycle says (see the module docstring); returns the
        record (for hard deletes, the removed record)."""
        self.purge_expired()
        rec = self.get(kind, entity_id)
        mode = rules_for(rec[TYPENAME]).delete_mode or self.catalog.spec(rec[TYPENAME]).delete_mode
        if permanently or mode == "hard":
            self._remove(rec)
        elif mode == "trash":
            self._change_lifecycle(rec, self._trash_changes(rec, self.now()))
        else:
            self._change_lifecycle(rec, self._archive_changes(rec, self.now(), deleting=True))
        self.commit()
        return rec

    def archive(self, kind: str, entity_id: Any, *, trash: bool = False) -> Record:
        """Archive (or, with ``trash``, trash) a record; idempotent."""
        self.purge_expired()
        rec = self.get(kind, entity_id)
        now = self.now()
        changes = (self._trash_changes(rec, now) if trash and self.catalog.spec(rec[TYPENAME]).has_trashed
                   else self._archive_changes(rec, now, deleting=False))
        self._change_lifecycle(rec, changes)
        self.commit()
        return rec

    def unarchive(self, kind: str, entity_id: Any) -> Record:
        """Restore an archived or trashed record."""
        self.purge_expired()
        rec = self.get(kind, entity_id)
        self._change_lifecycle(rec, self._restore_changes(rec))
        self.commit()
        return rec

    # ------------------------------------------------------------------ lifecycle internals
    @staticmethod
    def _trash_changes(rec: Record, now: float) -> dict[str, Any]:
        if rec.get("trashed"):
            return {}
        return {"trashed": True, "archivedAt": now, DELETED_AT: now}

    @staticmethod
    def _archive_changes(rec: Record, now: float, *, deleting: bool) -> dict[str, Any]:
        """An archive; a delete that archives (teams) is also purged 30 days later."""
        if rec.get("archivedAt") is not None:
            return {}
        return {"archivedAt": now, DELETED_AT: now} if deleting else {"archivedAt": now}

    def _restore_changes(self, rec: Record) -> dict[str, Any]:
        out: dict[str, Any] = {"archivedAt": None, DELETED_AT: None}
        if self.catalog.spec(rec[TYPENAME]).has_trashed:
            out["trashed"] = None
        return out

    def _change_lifecycle(self, rec: Record, changes: dict[str, Any]) -> None:
        self._check_limit_change(rec, changes)
        changes = {**changes, "updatedAt": self.now()}
        previous = {k: rec.get(k) for k in changes}
        self._apply(rec, changes)
        self._emit("update", rec, previous)

    def _check_limit_change(self, rec: Record, changes: dict[str, Any]) -> None:
        """A restore that would make a record count against a full plan limit is refused."""
        rules = rules_for(rec[TYPENAME])
        if rules.limit is None or rules.counts_toward_limit(rec):
            return
        if rules.counts_toward_limit(Record({**rec, **changes})):
            self.check_limit(rules.limit, 1)

    def _apply(self, rec: Record, changes: dict[str, Any]) -> None:
        self.store.update(rec, changes)
        self._recount(rec)
        if DELETED_AT in changes:  # deleted records are purged 30 days later
            if changes[DELETED_AT] is None:
                self._pending_purge.pop(rec["id"], None)
            else:
                self._schedule_purge(rec)

    def _remove(self, rec: Record) -> None:
        """Hard-remove ``rec`` and follow the references that point at it."""
        if self.store.find(rec["id"]) is not rec:
            return
        rules_for(rec[TYPENAME]).on_remove(self, rec)
        self.store.remove(rec)
        self._registry.owner.pop(rec["id"], None)
        self._pending_purge.pop(rec["id"], None)
        self._recount(rec, present=False)
        self._emit("remove", rec)
        for source, ref in self.catalog.inbound.get(rec[TYPENAME], ()):
            index = self.store.children(source, ref.key, rec["id"])
            if index is None:
                continue
            for child in list(self.store.records_of(source, index.forward())):
                if ref.many:
                    kept = [i for i in child.get(ref.key) or () if i != rec["id"]]
                    self._apply(child, {ref.key: kept})
                elif ref.non_null:
                    self._remove(child)
                else:
                    self._apply(child, {ref.key: None})

    # ------------------------------------------------------------------ setup helpers
    def add_user(self, name: str, email: str, *, admin: bool = False) -> Record:
        """Add a member (setup helper, not an API mutation; still bumps lastSyncId).
        The first user becomes the viewer."""
        display = name.split()[0].lower() if name.split() else name
        rec = self.new_record("User", {"name": name, "displayName": display, "email": email,
                                       "active": True, "admin": admin})
        self.insert(rec)
        if not self.viewer_id:
            self.viewer_id = rec["id"]
        self.commit()
        return rec

    # ------------------------------------------------------------------ snapshot
    def to_dict(self) -> dict[str, Any]:
        """JSON-able state of this workspace."""
        return {
            "id": self.id,
            "name": self.name,
            "url_key": self.url_key,
            "plan": self.plan,
            "created_at": self.created_at,
            "last_sync_id": self.last_sync_id,
            "viewer_id": self.viewer_id,
            "next_seq": self.store.next_seq,
            "entities": {
                kind: [dict(table.records[i]) for i in table.by_created.forward()]
                for kind, table in self.store.tables.items() if table.records
            },
            "aliases": {kind: dict(keys) for kind, keys in self._aliases.items()},
            "pending_purge": dict(self._pending_purge),
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], clock: Any, registry: IdRegistry, catalog: Catalog
    ) -> Workspace:
        """Inverse of :meth:`to_dict`."""
        ws = cls(
            id=data["id"], name=data["name"], url_key=data["url_key"], plan=data["plan"],
            clock=clock, registry=registry, catalog=catalog, created_at=data["created_at"],
        )
        ws.store = Store(catalog)
        for rows in data["entities"].values():
            for row in rows:
                rec = Record(row)
                ws.store.insert(rec)
                registry.owner[rec["id"]] = ws.id
                ws._recount(rec)
        ws.organization = ws.store.tables["Organization"].records[ws.id]
        ws.store.next_seq = max(ws.store.next_seq, data.get("next_seq", 1))
        ws.last_sync_id = data["last_sync_id"]
        ws.viewer_id = data["viewer_id"]
        ws._aliases = {kind: dict(keys) for kind, keys in data.get("aliases", {}).items()}
        for entity_id in data["pending_purge"]:
            rec = ws.store.find(entity_id)
            if rec is not None and rec.get(DELETED_AT) is not None:
                ws._schedule_purge(rec)
        return ws
