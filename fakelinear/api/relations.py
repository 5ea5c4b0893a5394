"""Reading a record's related records, by field name: the one mechanism behind object
fields, connections and relation filters.

How a field reads is decided by the record's kind in the catalog (a reference, a
reference list, a backref or a join) and cached per ``(kind, field)``. Fields of the
organization list every record of their kind.
"""

from __future__ import annotations

from typing import Any

from fakelinear.api.connections import EMPTY, IndexSource, ListSource, Source
from fakelinear.model.records import TYPENAME, Record
from fakelinear.model.workspace import Workspace

_plans: dict[tuple[int, str, str], tuple[Any, ...]] = {}


def _plan(ws: Workspace, kind: str, field: str) -> tuple[Any, ...]:
    key = (id(ws.catalog), kind, field)
    plan = _plans.get(key)
    if plan is None:
        spec = ws.catalog.spec(kind)
        ref = spec.ref_for_field(field)
        if ref is not None:
            plan = ("many", ref) if ref.many else ("one", ref)
        elif field in spec.backrefs:
            plan = ("back", spec.backrefs[field])
        else:
            plan = ("none",)
        _plans[key] = plan
    return plan


def related_one(ws: Workspace, rec: dict[str, Any], field: str, target: str) -> Record | None:
    """The record ``rec.field`` points at (None when unset or gone)."""
    if target == "Organization":
        return ws.organization
    kind = rec.get(TYPENAME)
    key = None
    if kind is not None:
        plan = _plan(ws, kind, field)
        if plan[0] == "one":
            key = plan[1].key
    value = rec.get(key or field + "Id")
    return ws.store.get(target, value) if value is not None else None


def related_source(
    ws: Workspace, rec: dict[str, Any], field: str, target: str, order_by: str | None
) -> Source:
    """The ordered records a list or connection field of ``rec`` holds."""
    kind = rec.get(TYPENAME)
    store = ws.store
    if kind == "Organization":
        return root_source(ws, target, order_by)
    if kind is None:
        return EMPTY
    plan = _plan(ws, kind, field)
    if plan[0] == "many":
        ids = rec.get(plan[1].key) or ()
        return ListSource([r for r in (store.get(target, i) for i in ids) if r is not None], order_by)
    if plan[0] != "back":
        return EMPTY
    backref = plan[1]
    index = store.children(backref.source, backref.key, rec["id"])
    if index is None:
        return EMPTY
    if backref.via is not None:
        joined = (store.get(backref.target or target, j.get(backref.via))
                  for j in store.records_of(backref.source, index.forward()))
        return ListSource([r for r in joined if r is not None], order_by)
    if order_by == "updatedAt":
        return ListSource(list(store.records_of(backref.source, index.forward())), order_by)
    return IndexSource(store.table(backref.source).records, index, order_by)


def related_many(ws: Workspace, rec: dict[str, Any], field: str, target: str) -> list[Record]:
    """Every record of a list or connection field of ``rec`` (oldest first)."""
    source = related_source(ws, rec, field, target, None)
    return list(source.forward(0, len(source)))


def root_source(ws: Workspace, kind: str, order_by: str | None) -> Source:
    """Every record of ``kind`` (or of an interface's kinds), ordered."""
    kinds = ws.catalog.concrete(kind) or (kind,)
    if len(kinds) == 1:
        table = ws.store.table(kinds[0])
        return IndexSource(table.records, table.index(order_by), order_by)
    return ListSource(ws.store.all(kind), order_by)
