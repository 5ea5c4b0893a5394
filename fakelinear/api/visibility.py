"""Who can see what: a generic policy the API asks before returning an entity.

The API layer knows nothing about faults. The fault layer supplies lag-aware policies
(read-after-create lag, search-index lag, F4) by implementing :class:`Visibility`.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

Purpose = Literal["read", "list", "search"]


@runtime_checkable
class Visibility(Protocol):
    """Decides whether ``entity`` (a model object) shows up for ``purpose``:
    ``"read"`` (single fetch by id), ``"list"`` (connections) or ``"search"``."""

    def visible(self, entity: object, purpose: Purpose) -> bool:
        """True when the entity may be returned for this purpose."""
        ...


class _AlwaysVisible:
    """Everything is visible at once (no lag)."""

    def visible(self, entity: object, purpose: Purpose) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALWAYS_VISIBLE"


ALWAYS_VISIBLE: Visibility = _AlwaysVisible()
