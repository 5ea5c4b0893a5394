"""An ordered index of record ids: the structure every list walks.

Entries are ``(sort value, seq, id)`` tuples kept sorted with :mod:`bisect`; ``seq`` (the
record's insertion number) makes every entry unique and breaks ties in insertion order.
Finding a cursor is a binary search, a page walks only the entries it returns (plus the
ones a filter skips), and insert/remove are a search plus a C-level ``memmove``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator

Entry = tuple[float, int, str]


class SortedIndex:
    """Ids ordered by ``(sort value, seq)``."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def insert(self, value: float, seq: int, entity_id: str) -> None:
        """Add an entry (appends are the common, cheap case)."""
        entry = (value, seq, entity_id)
        entries = self._entries
        if not entries or entries[-1] < entry:
            entries.append(entry)
        else:
            insort(entries, entry)

    def remove(self, value: float, seq: int, entity_id: str) -> None:
        """Drop an entry (no error when it is absent)."""
        entries = self._entries
        index = bisect_left(entries, (value, seq, entity_id))
        if index < len(entries) and entries[index] == (value, seq, entity_id):
            del entries[index]

    def after(self, value: float, seq: int) -> int:
        """Position of the first entry strictly after ``(value, seq)``."""
        return bisect_right(self._entries, (value, seq, "\uffff"))

    def before(self, value: float, seq: int) -> int:
        """Position of the first entry at or after ``(value, seq)`` (so everything before
        it is strictly before the key)."""
        return bisect_left(self._entries, (value, seq, ""))

    def forward(self, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """Ids from position ``start`` up to ``stop`` (exclusive), in order."""
        entries = self._entries
        end = len(entries) if stop is None else min(stop, len(entries))
        for index in range(max(start, 0), end):
            yield entries[index][2]

    def backward(self, stop: int | None = None, start: int = 0) -> Iterator[str]:
        """Ids from position ``stop - 1`` down to ``start``, in reverse order."""
        entries = self._entries
        end = len(entries) if stop is None else min(stop, len(entries))
        for index in range(end - 1, max(start, 0) - 1, -1):
            yield entries[index][2]

    def ids(self) -> list[str]:
        """Every id, in order (a copy)."""
        return [entry[2] for entry in self._entries]
