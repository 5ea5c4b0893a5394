"""Relay connections over ordered lists of model entities.

Cursors are entity ids (Linear's cursors are opaque; ids keep them stable across inserts).
Order: oldest first by ``createdAt`` (or by ``updatedAt`` when ``orderBy: updatedAt``),
ties broken by insertion order.
"""

from __future__ import annotations

from typing import Any

from fakelinear.model.errors import InvalidInput

DEFAULT_PAGE = 50
MAX_PAGE = 250


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


def order(items: list[Any], order_by: str | None) -> list[Any]:
    """Items in the connection's order (stable)."""
    if order_by == "updatedAt":
        return sorted(items, key=lambda e: e.updated_at)
    return sorted(items, key=lambda e: e.created_at)


def _position(items: list[Any], cursor: str, order_by: str | None, lookup: Any) -> tuple[int, bool]:
    """Index of ``cursor`` in ``items`` and whether it is present. Unknown-to-this-list
    cursors (entity filtered out or hidden) are placed by their sort key when we can
    find the entity; otherwise the cursor is invalid."""
    for index, item in enumerate(items):
        if item.id == cursor:
            return index, True
    entity = lookup(cursor) if lookup is not None else None
    if entity is None:
        raise PaginationError("Invalid cursor", "The pagination cursor is not valid.")
    attr = "updated_at" if order_by == "updatedAt" else "created_at"
    key = getattr(entity, attr)
    index = 0
    while index < len(items) and getattr(items[index], attr) <= key:
        index += 1
    return index, False


def paginate(
    items: list[Any],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    order_by: str | None = None,
    lookup: Any = None,
    ordered: bool = False,
) -> dict[str, Any]:
    """A Relay connection dict (nodes, edges, pageInfo) for ``items``."""
    check_page_args(first, last)
    if not ordered:
        items = order(items, order_by)
    start, end = 0, len(items)
    if after is not None:
        index, present = _position(items, after, order_by, lookup)
        start = index + 1 if present else index
    if before is not None:
        index, _present = _position(items, before, order_by, lookup)
        end = min(end, index)
    start = min(start, end)
    window = items[start:end]
    has_next = end < len(items)
    has_prev = start > 0
    if first is None and last is None:
        first = DEFAULT_PAGE
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_prev = has_prev or len(window) > last
        window = window[len(window) - last :] if last else []
    return {
        "nodes": window,
        "edges": [{"node": node, "cursor": node.id} for node in window],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": window[0].id if window else None,
            "endCursor": window[-1].id if window else None,
        },
    }
