"""Relay connections that cost O(page), not O(workspace).

A connection walks an ordered *source* (a store index, or a small sorted list) from the
cursor's position, found by binary search, and stops as soon as the page is full; records
that fail the filter on the way are the only extra cost. Cursors are entity ids (Linear's
cursors are opaque; ids keep them stable across inserts). Order: oldest first by
``createdAt``, or by ``updatedAt`` with ``orderBy: updatedAt``; ties in insertion order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import SEQ, Record
from fakelinear.model.sorted_index import SortedIndex

DEFAULT_PAGE = 50
MAX_PAGE = 250

Predicate = Callable[[Record], bool]


class PaginationError(InvalidInput):
    """Bad first/last/after/before arguments (an INPUT_ERROR on the wire)."""


def check_page_args(first: int | None, last: int | None) -> None:
    """Linear's limits: at most 250 per page, no negative counts."""
    for name, value in (("first", first), ("last", last)):
        if value is None:
            continue
        if value > MAX_PAGE:
            raise PaginationError(f"{name} must not be greater than {MAX_PAGE}")
        if value < 0:
            raise PaginationError(f"{name} must not be less than 0")


def order_field(order_by: str | None) -> str:
    """The record key an ``orderBy`` value sorts on."""
    return "updatedAt" if order_by == "updatedAt" else "createdAt"


class Source(Protocol):
    """An ordered sequence of records that can be entered at a cursor."""

    def __len__(self) -> int: ...
    def position_after(self, rec: Record) -> int: ...
    def position_before(self, rec: Record) -> int: ...
    def forward(self, start: int, stop: int) -> Iterator[Record]: ...
    def backward(self, stop: int, start: int) -> Iterator[Record]: ...


class IndexSource:
    """A store index of one kind (a whole table, or the records referencing one id)."""

    __slots__ = ("_records", "_index", "_field")

    def __init__(self, records: dict[str, Record], index: SortedIndex, order_by: str | None) -> None:
        self._records = records
        self._index = index
        self._field = order_field(order_by)

    def __len__(self) -> int:
        return len(self._index)

    def position_after(self, rec: Record) -> int:
        return self._index.after(rec[self._field], rec[SEQ])

    def position_before(self, rec: Record) -> int:
        return self._index.before(rec[self._field], rec[SEQ])

    def forward(self, start: int, stop: int) -> Iterator[Record]:
        records = self._records
        for entity_id in self._index.forward(start, stop):
            rec = records.get(entity_id)
            if rec is not None:
                yield rec

    def backward(self, stop: int, start: int) -> Iterator[Record]:
        records = self._records
        for entity_id in self._index.backward(stop, start):
            rec = records.get(entity_id)
            if rec is not None:
                yield rec


class ListSource:
    """A small list of records (a reference list, a join, a merge of several kinds)."""

    __slots__ = ("_items", "_keys", "_field")

    def __init__(self, items: list[Record], order_by: str | None) -> None:
        field = order_field(order_by)
        self._field = field
        self._items = sorted(items, key=lambda r: (r[field], r[SEQ]))
        self._keys = [(r[field], r[SEQ]) for r in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def position_after(self, rec: Record) -> int:
        return bisect_right(self._keys, (rec[self._field], rec[SEQ]))

    def position_before(self, rec: Record) -> int:
        return bisect_left(self._keys, (rec[self._field], rec[SEQ]))

    def forward(self, start: int, stop: int) -> Iterator[Record]:
        yield from self._items[max(start, 0):stop]

    def backward(self, stop: int, start: int) -> Iterator[Record]:
        for index in range(min(stop, len(self._items)) - 1, max(start, 0) - 1, -1):
            yield self._items[index]


EMPTY = ListSource([], None)


def _take(records: Iterator[Record], predicate: Predicate, count: int) -> list[Record]:
    out: list[Record] = []
    if count <= 0:
        return out
    for rec in records:
        if predicate(rec):
            out.append(rec)
            if len(out) >= count:
                break
    return out


def _cursor(lookup: Callable[[str], Record | None], cursor: Any) -> Record:
    rec = lookup(cursor) if isinstance(cursor, str) else None
    if rec is None:
        raise PaginationError("Invalid cursor", "The pagination cursor is not valid.")
    return rec


def paginate(
    source: Source,
    args: dict[str, Any],
    predicate: Predicate,
    lookup: Callable[[str], Record | None],
) -> tuple[list[Record], dict[str, Any]]:
    """The page of ``source`` that ``args`` (first/last/after/before) select among the
    records passing ``predicate``, and its ``pageInfo``."""
    first, last = args.get("first"), args.get("last")
    check_page_args(first, last)
    after, before = args.get("after"), args.get("before")
    start, stop = 0, len(source)
    if after is not None:
        start = source.position_after(_cursor(lookup, after))
    if before is not None:
        stop = source.position_before(_cursor(lookup, before))
    if last is not None and first is None:
        window = _take(source.backward(stop, start), predicate, last + 1)
        overflow_back, overflow_forward = len(window) > last, False
        page = window[:last][::-1]
    else:
        count = DEFAULT_PAGE if first is None else first
        window = _take(source.forward(start, stop), predicate, count + 1)
        overflow_forward, overflow_back = len(window) > count, False
        page = window[:count]
        if last is not None:
            overflow_back = len(page) > last
            page = page[len(page) - last:] if last else []
    # Like Relay's reference: a page also has neighbours beyond its cursors.
    has_next = overflow_forward or (
        before is not None and bool(_take(source.forward(stop, len(source)), predicate, 1))
    )
    has_prev = overflow_back or (
        after is not None and bool(_take(source.backward(start, 0), predicate, 1))
    )
    return page, {
        "hasNextPage": has_next,
        "hasPreviousPage": has_prev,
        "startCursor": page[0]["id"] if page else None,
        "endCursor": page[-1]["id"] if page else None,
    }


def connection(page: list[Record], page_info: dict[str, Any]) -> dict[str, Any]:
    """The Relay connection object for a page."""
    return {
        "nodes": page,
        "edges": [{"node": rec, "cursor": rec["id"]} for rec in page],
        "pageInfo": page_info,
    }
