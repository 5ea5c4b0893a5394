"""The catalog: what the model knows about each kind, as plain data.

The API layer derives a :class:`Catalog` from the GraphQL schema (see
:mod:`fakelinear.api.catalog_builder`); the model only reads it, so the model never imports
GraphQL. A *kind* is a GraphQL object type that implements ``Node`` (``Issue``, ``Cycle``,
``Favorite`` ...). Its lifecycle, references and inbound references are data here;
Linear semantics that are more than data live in :mod:`fakelinear.model.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DeleteMode = Literal["hard", "trash", "archive"]


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference stored in a record under ``key``: ``teamId`` -> a ``Team``, or
    ``labelIds`` -> several ``IssueLabel`` s (``many``)."""

    field: str  # the GraphQL field that resolves it ("team", "labels"); "" for input-only keys
    key: str  # the record key ("teamId", "labelIds")
    target: str  # a kind, or an interface several kinds implement
    many: bool = False
    non_null: bool = False  # the GraphQL field is non-null (removing the target cascades)


@dataclass(frozen=True, slots=True)
class Backref:
    """A collection resolved from the other side: ``Team.issues`` = issues whose ``teamId``
    is the team (``key`` may be a ``many`` key such as ``teamIds``)."""

    field: str
    source: str  # the kind holding the reference
    key: str
    via: str | None = None  # for joins: read this key of each source record (membership -> user)
    target: str | None = None  # kind read through ``via``


@dataclass(slots=True)
class KindSpec:
    """Everything the generic store needs to know about one kind."""

    name: str
    fields: frozenset[str] = frozenset()
    non_null_fields: frozenset[str] = frozenset()
    interfaces: tuple[str, ...] = ()
    refs: dict[str, Ref] = field(default_factory=dict)  # by record key
    backrefs: dict[str, Backref] = field(default_factory=dict)  # by field name
    enums: dict[str, frozenset[str]] = field(default_factory=dict)  # field -> allowed values
    delete_mode: DeleteMode = "hard"
    has_trashed: bool = False
    creatable: bool = False

    def ref_for_field(self, field_name: str) -> Ref | None:
        """The reference behind a GraphQL field, if any."""
        for ref in self.refs.values():
            if ref.field == field_name:
                return ref
        return None


@dataclass(slots=True)
class Catalog:
    """Every kind, plus the indexes the store needs (filled by :meth:`finish`)."""

    kinds: dict[str, KindSpec] = field(default_factory=dict)
    #: interface name -> kinds implementing it
    implementations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: target kind -> [(source kind, ref)] for every reference that can point at it
    inbound: dict[str, list[tuple[str, Ref]]] = field(default_factory=dict)

    def spec(self, kind: str) -> KindSpec:
        """The spec of ``kind`` (a bare spec for kinds the schema does not describe)."""
        spec = self.kinds.get(kind)
        if spec is None:
            spec = self.kinds[kind] = KindSpec(name=kind)
        return spec

    def concrete(self, name: str) -> tuple[str, ...]:
        """The kinds a reference target stands for (itself, or an interface's kinds)."""
        if name in self.kinds:
            return (name,)
        return self.implementations.get(name, ())

    def finish(self) -> Catalog:
        """Compute :attr:`inbound` from every kind's refs; returns self."""
        inbound: dict[str, list[tuple[str, Ref]]] = {}
        for spec in self.kinds.values():
            for ref in spec.refs.values():
                for target in self.concrete(ref.target):
                    inbound.setdefault(target, []).append((spec.name, ref))
        self.inbound = inbound
        return self
