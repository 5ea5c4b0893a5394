"""Run every GraphQL document an SDK sends against a seeded fake.

A :class:`Workbench` holds a fake whose workspace has at least one record of every kind
the schema can create (made through the fake's own generic create, so references are
real), builds variables for each document from its variable definitions (ids of records
of the right kind where a variable names one), executes it through the handler seam, and
classifies the answer: data, or errors that are Linear-shaped (``Entity not found``, input
errors, "not supported by fakelinear"), or something else (a bug).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    parse,
    type_from_ast,
)
from graphql.pyutils import Undefined

from fakelinear.api.catalog_builder import lower_first
from fakelinear.clock import iso
from fakelinear.handler import FakeLinear
from fakelinear.http import Request
from fakelinear.model import ModelError
from fakelinear.schema_tools.documents import SdkDocument

#: Optional input fields worth filling so that creates succeed (a title, a name ...).
TEXT_FIELDS = frozenset({"title", "name", "body", "description"})
Document = SdkDocument
#: Error codes a real Linear answer can carry for a well-formed request.
LINEAR_CODES = frozenset({"INPUT_ERROR", "NOT_SUPPORTED", "USAGE_LIMIT_EXCEEDED", "BAD_USER_INPUT"})


@dataclass(slots=True)
class Result:
    """How one document fared."""

    name: str
    operation: str
    ok: bool
    problem: str = ""
    errors: int = 0


def load_documents_json(path: str | Path) -> list[Document]:
    """Operations extracted from an SDK bundle (``tests/data/sdk/<version>/documents.json``)."""
    return [SdkDocument.from_json(row) for row in json.loads(Path(path).read_text("utf-8"))]


class Workbench:
    """A seeded fake with a record of every creatable kind, and a variable builder."""

    def __init__(self, seed: int = 5) -> None:
        self.fake = FakeLinear(seed=seed, plan="unlimited", seed_content=True)
        self.token = self.fake.tokens[0]
        self.ws = self.fake.workspace_for(self.token)
        self.schema = self.fake.api.schema
        self.catalog = self.fake.api.catalog
        self._fresh = 1
        self.seed_every_kind()

    # ------------------------------------------------------------------ seeding
    def existing_id(self, kind: str) -> str | None:
        """An id of a live record of ``kind`` (or of a kind implementing it)."""
        for name in self.catalog.concrete(kind) or (kind,):
            for rec in self.ws.all(name):
                if rec.get("archivedAt") is None:
                    return str(rec["id"])
        return None

    def seed_every_kind(self) -> None:
        """Create one record of each kind that has a create mutation (several passes, as
        kinds reference each other)."""
        ops = self.fake.api.bundle.operations
        creates = {op.kind: (name, op) for name, op in ops.items()
                   if op.action == "create" and "input" in self.schema.mutation_type.fields[name].args}  # type: ignore[union-attr]
        pending = {k: v for k, v in creates.items()
                   if k is not None and k in self.catalog.kinds and not self.ws.all(k)}
        for _ in range(4):
            progress = False
            for kind, (name, _op) in list(pending.items()):
                field = self.schema.mutation_type.fields[name]  # type: ignore[union-attr]
                data = self.value(field.args["input"].type, "input", required_only=True)
                if isinstance(data, dict):
                    batch = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
                    try:
                        with self.fake.lock:
                            if batch:
                                self.ws.create_many(kind, batch[0])
                            else:
                                self.ws.create(kind, data)
                    except ModelError:
                        continue
                    pending.pop(kind)
                    progress = True
            if not progress:
                break
        with self.fake.lock:
            self.ws.drain_changes()

    # ------------------------------------------------------------------ variables
    def value(self, type_: Any, name: str, *, required_only: bool = False, depth: int = 0,
              owner: str | None = None) -> Any:
        """A plausible value of ``type_`` for an input or variable called ``name`` (a field
        of kind ``owner``'s input, when known)."""
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, name, required_only=required_only, depth=depth, owner=owner)
        if isinstance(type_, GraphQLList):
            item = self.value(type_.of_type, name, required_only=required_only, depth=depth, owner=owner)
            return [] if item is None else [item]
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            if depth > 3:
                return None
            kind = self._input_owner(type_.name)
            out: dict[str, Any] = {}
            for field_name, field in type_.fields.items():
                required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
                wanted = field_name.endswith("Id") or field_name in TEXT_FIELDS
                if required or (not required_only and wanted):
                    enum = self._entity_enum(kind, field_name)
                    value = next(iter(enum.values)) if enum is not None else self.value(
                        field.type, field_name, required_only=True, depth=depth + 1, owner=kind)
                    if value is not None or not required:
                        out[field_name] = value
            return out
        return self.scalar(type_, name, owner)

    def _entity_enum(self, kind: str | None, field: str) -> GraphQLEnumType | None:
        """The enum an entity answers for ``field`` (some inputs take it as a String)."""
        entity = self.schema.type_map.get(kind or "")
        fields = getattr(entity, "fields", {})
        if field not in fields:
            return None
        named = fields[field].type
        while hasattr(named, "of_type"):
            named = named.of_type
        return named if isinstance(named, GraphQLEnumType) else None

    @staticmethod
    def _strip(name: str) -> str:
        for suffix in ("CreateInput", "UpdateInput", "Input"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name

    def _input_owner(self, input_name: str) -> str | None:
        base = self._strip(input_name)
        return base if base in self.catalog.kinds else None

    def scalar(self, type_: GraphQLScalarType, name: str, owner: str | None = None) -> Any:
        """A scalar for a variable or input field named ``name``."""
        if name.endswith(("Id", "Ids")) or name == "id":
            kind = self._kind_for(name, owner)
            found = self.existing_id(kind) if kind else None
            return found or str(uuid.UUID(int=len(name), version=4))
        return {
            "String": "sdk test", "ID": "sdk-test", "Int": 1, "Float": 1.0, "Boolean": True,
            "DateTime": iso(self.fake.clock.now()), "DateTimeOrDuration": "-P1D",
            "TimelessDate": iso(self.fake.clock.now())[:10], "TimelessDateOrDuration": "-P1D",
            "JSON": {}, "JSONObject": {}, "Duration": 1000, "UUID": str(uuid.uuid4()),
        }.get(type_.name, "sdk test")

    def _kind_for(self, key: str, owner: str | None) -> str | None:
        """The kind an ``...Id`` / ``...Ids`` key names: the owner kind's reference first,
        then a kind of that name, then any kind's reference of that key."""
        if key == "id":
            return owner
        if owner is not None:
            ref = self.catalog.spec(owner).refs.get(key)
            if ref is not None:
                return ref.target
        base = key[:-3] if key.endswith("Ids") else key[:-2]
        by_lower = {lower_first(k): k for k in self.catalog.kinds}
        if base in by_lower:
            return by_lower[base]
        for spec in self.catalog.kinds.values():
            ref = spec.refs.get(key)
            if ref is not None:
                return ref.target
        return None

    def variables(self, document: Document) -> dict[str, Any]:
        """Variables for every required (and every id-like) variable of the operation."""
        op = next(d for d in parse(document.text).definitions if isinstance(d, OperationDefinitionNode))
        root_kind = self._root_kind(op)
        creates = self._is_create(op)
        out: dict[str, Any] = {}
        for definition in op.variable_definitions or ():
            name = definition.variable.name.value
            type_ = type_from_ast(self.schema, definition.type)
            required = isinstance(type_, GraphQLNonNull) and definition.default_value is None
            if name == "id" and creates:
                out[name] = str(uuid.UUID(int=self._fresh, version=4))
                self._fresh += 1
            elif name == "id" and root_kind:
                out[name] = self.existing_id(root_kind) or str(uuid.uuid4())
            elif required:
                out[name] = self.value(type_, name, required_only=name != "input", owner=root_kind)
        return out

    def _is_create(self, op: OperationDefinitionNode) -> bool:
        ops = self.fake.api.bundle.operations
        return any(getattr(ops.get(getattr(getattr(sel, "name", None), "value", "")), "action", "") == "create"
                   for sel in op.selection_set.selections)

    def _root_kind(self, op: OperationDefinitionNode) -> str | None:
        bundle = self.fake.api.bundle
        ops = bundle.operations if op.operation.value == "mutation" else bundle.queries
        by_lower = {lower_first(k): k for k in self.catalog.kinds}
        for selection in op.selection_set.selections:
            field = getattr(getattr(selection, "name", None), "value", "")
            root = ops.get(field)
            if root is not None and root.kind:
                return root.kind
            prefixes = [p for p in by_lower if field.startswith(p)]
            if prefixes:
                return by_lower[max(prefixes, key=len)]
        return None

    # ------------------------------------------------------------------ running
    def execute(self, document: Document) -> tuple[int, dict[str, Any]]:
        """Send a document through the handler seam; ``(status, body)``."""
        body = json.dumps({"query": document.text, "variables": self.variables(document),
                           "operationName": document.name}).encode()
        response = self.fake.handle(Request("POST", "/graphql", {
            "authorization": self.token, "content-type": "application/json"}, body, b""))
        return response.status, json.loads(response.body)

    def check(self, document: Document) -> Result:
        """Run one document and judge the answer."""
        status, body = self.execute(document)
        errors = body.get("errors") or []
        bad = [e for e in errors if (e.get("extensions") or {}).get("code") not in LINEAR_CODES
               or "Cannot return null" in e.get("message", "")]
        if status >= 500 or bad:
            first = (bad or errors or [{"message": f"HTTP {status}"}])[0]
            return Result(document.name, document.operation, False,
                          f"{status} {first.get('message')} {first.get('path')}", len(errors))
        return Result(document.name, document.operation, True, errors=len(errors))


def _order(documents: Iterable[Document]) -> list[Document]:
    """Queries first, then mutations, lifecycle ones last (so deletes do not starve others)."""
    def rank(doc: Document) -> int:
        if doc.operation == "query":
            return 0
        lower = doc.name.lower()
        return 2 if any(w in lower for w in ("delete", "archive", "suspend", "leave", "logout")) else 1
    return sorted(documents, key=rank)


def run_all(documents: Iterable[Document], seed: int = 5) -> list[Result]:
    """Every document against one workbench."""
    bench = Workbench(seed)
    return [bench.check(doc) for doc in _order(documents)]


REPO = Path(__file__).resolve().parents[2]


def served_sdk_version() -> str | None:
    """The @linear/sdk version the served schema was generated from."""
    from fakelinear.api.schema_loader import sdk_version

    return sdk_version()


def documents_for_served_schema() -> list[Document]:
    """The documents the SDK version behind the served schema sends (extracted from its
    bundle into ``tests/data/sdk/<version>/documents.json`` by ``fakelinear schema generate``)."""
    return load_documents_json(REPO / "tests" / "data" / "sdk" / str(served_sdk_version()) / "documents.json")
