"""The generic store of one workspace: a table per kind plus the indexes lists need.

Every record lives in its kind's :class:`Table` (by id, and ordered by ``createdAt`` and by
``updatedAt``). Every reference the catalog declares is indexed the other way round, so
``team.issues`` or ``issues(filter: {team: {id: {eq: X}}})`` walks just that team's
issues, and removing a record finds what points at it without a scan. The store knows
nothing of Linear's rules: :class:`fakelinear.model.workspace.Workspace` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fakelinear.model.catalog import Catalog, Ref
from fakelinear.model.records import SEQ, TYPENAME, Record
from fakelinear.model.sorted_index import SortedIndex


class Table:
    """The records of one kind."""

    __slots__ = ("kind", "records", "by_created", "by_updated")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.records: dict[str, Record] = {}
        self.by_created = SortedIndex()
        self.by_updated = SortedIndex()

    def __len__(self) -> int:
        return len(self.records)

    def index(self, order_by: str | None) -> SortedIndex:
        """The index for an ``orderBy`` value (``createdAt`` unless ``updatedAt``)."""
        return self.by_updated if order_by == "updatedAt" else self.by_created


def _ref_ids(rec: Record, ref: Ref) -> Iterable[str]:
    value = rec.get(ref.key)
    if value is None:
        return ()
    if ref.many:
        return value if isinstance(value, list) else ()
    return (value,) if isinstance(value, str) else ()


class Store:
    """Tables, the id -> kind map and the reverse-reference indexes of one workspace."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.tables: dict[str, Table] = {}
        self.kind_of: dict[str, str] = {}
        # (source kind, key) -> target id -> source records ordered by createdAt
        self._refs: dict[tuple[str, str], dict[str, SortedIndex]] = {}
        self.next_seq = 1

    # ------------------------------------------------------------------ reads
    def __getitem__(self, kind: str) -> dict[str, Record]:
        """``store["Issue"]``: the kind's records by id (read it; write through the workspace)."""
        return self.table(kind).records

    def items(self) -> Iterator[tuple[str, dict[str, Record]]]:
        """``(kind, records by id)`` for every kind that has a table."""
        return ((kind, table.records) for kind, table in self.tables.items())

    def table(self, kind: str) -> Table:
        """The table of ``kind`` (created empty on first use)."""
        table = self.tables.get(kind)
        if table is None:
            table = self.tables[kind] = Table(kind)
        return table

    def get(self, kind: str, entity_id: Any) -> Record | None:
        """The record ``entity_id`` if it is of ``kind`` (or implements interface ``kind``)."""
        if not isinstance(entity_id, str):
            return None
        actual = self.kind_of.get(entity_id)
        if actual is None:
            return None
        if actual != kind and actual not in self.catalog.concrete(kind):
            return None
        return self.tables[actual].records.get(entity_id)

    def find(self, entity_id: Any) -> Record | None:
        """The record ``entity_id`` of any kind, or None."""
        kind = self.kind_of.get(entity_id) if isinstance(entity_id, str) else None
        return None if kind is None else self.tables[kind].records.get(entity_id)

    def all(self, kind: str) -> list[Record]:
        """Every record of ``kind`` (or of an interface's kinds), oldest first."""
        kinds = self.catalog.concrete(kind) or (kind,)
        out: list[Record] = []
        for name in kinds:
            table = self.tables.get(name)
            if table is not None:
                records = table.records
                out.extend(records[i] for i in table.by_created.forward())
        if len(kinds) > 1:
            out.sort(key=sort_key)
        return out

    def count(self, kind: str) -> int:
        """How many records of ``kind`` exist."""
        table = self.tables.get(kind)
        return 0 if table is None else len(table)

    def children(self, source: str, key: str, target_id: str) -> SortedIndex | None:
        """Records of kind ``source`` whose ``key`` references ``target_id``."""
        by_target = self._refs.get((source, key))
        return None if by_target is None else by_target.get(target_id)

    def records_of(self, kind: str, ids: Iterator[str]) -> Iterator[Record]:
        """Resolve ids of one kind's index to records."""
        records = self.tables[kind].records if kind in self.tables else {}
        for entity_id in ids:
            rec = records.get(entity_id)
            if rec is not None:
                yield rec

    # ------------------------------------------------------------------ writes
    def insert(self, rec: Record) -> None:
        """Add a new record and index it (assigns its ``_seq`` when missing)."""
        if SEQ not in rec:
            rec[SEQ] = self.next_seq
            self.next_seq += 1
        else:
            self.next_seq = max(self.next_seq, rec[SEQ] + 1)
        kind = rec[TYPENAME]
        table = self.table(kind)
        table.records[rec["id"]] = rec
        self.kind_of[rec["id"]] = kind
        self._index_order(table, rec)
        self._index_refs(rec, self.catalog.spec(kind).refs.values())

    def remove(self, rec: Record) -> None:
        """Drop a record and every index entry of it."""
        kind = rec[TYPENAME]
        table = self.tables.get(kind)
        if table is None or table.records.get(rec["id"]) is not rec:
            return
        del table.records[rec["id"]]
        self.kind_of.pop(rec["id"], None)
        self._unindex_order(table, rec)
        self._unindex_refs(rec, self.catalog.spec(kind).refs.values())

    def update(self, rec: Record, changes: dict[str, Any]) -> None:
        """Apply ``changes`` to a stored record, keeping every index right."""
        kind = rec[TYPENAME]
        spec = self.catalog.spec(kind)
        table = self.tables[kind]
        reorder = "createdAt" in changes or "updatedAt" in changes
        refs = [spec.refs[k] for k in changes if k in spec.refs]
        if "createdAt" in changes:
            refs = list(spec.refs.values())  # ref indexes are ordered by createdAt too
        if reorder:
            self._unindex_order(table, rec)
        if refs:
            self._unindex_refs(rec, refs)
        rec.update(changes)
        if reorder:
            self._index_order(table, rec)
        if refs:
            self._index_refs(rec, refs)

    # ------------------------------------------------------------------ indexes
    @staticmethod
    def _index_order(table: Table, rec: Record) -> None:
        table.by_created.insert(rec["createdAt"], rec[SEQ], rec["id"])
        table.by_updated.insert(rec["updatedAt"], rec[SEQ], rec["id"])

    @staticmethod
    def _unindex_order(table: Table, rec: Record) -> None:
        table.by_created.remove(rec["createdAt"], rec[SEQ], rec["id"])
        table.by_updated.remove(rec["updatedAt"], rec[SEQ], rec["id"])

    def _index_refs(self, rec: Record, refs: Iterable[Ref]) -> None:
        kind = rec[TYPENAME]
        for ref in refs:
            ids = _ref_ids(rec, ref)
            if not ids:
                continue
            by_target = self._refs.setdefault((kind, ref.key), {})
            for target_id in ids:
                index = by_target.get(target_id)
                if index is None:
                    index = by_target[target_id] = SortedIndex()
                index.insert(rec["createdAt"], rec[SEQ], rec["id"])

    def _unindex_refs(self, rec: Record, refs: Iterable[Ref]) -> None:
        kind = rec[TYPENAME]
        for ref in refs:
            by_target = self._refs.get((kind, ref.key))
            if by_target is None:
                continue
            for target_id in _ref_ids(rec, ref):
                index = by_target.get(target_id)
                if index is not None:
                    index.remove(rec["createdAt"], rec[SEQ], rec["id"])
                    if not len(index):
                        del by_target[target_id]


def sort_key(rec: Record) -> tuple[float, int]:
    """The default list order: oldest first, ties in insertion order."""
    return (rec["createdAt"], rec[SEQ])
