"""The hooks a kind's rules may implement; the defaults are the generic behaviour.

Every write goes through :class:`fakelinear.model.workspace.Workspace`, which calls these
hooks around the generic steps (id check, reference checks, insert, index, commit). A
hook that raises leaves nothing written: ``validate_*`` run before any mutation, and
``on_*`` hooks only derive values for the record being written (or add records that the
same commit owns, such as a team's workflow states).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakelinear.model.catalog import DeleteMode
from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import Record

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace


class KindRules:
    """Generic behaviour; subclasses override what Linear does differently for a kind."""

    #: Overrides the delete mode the catalog derives from the schema.
    delete_mode: DeleteMode | None = None
    #: Name of the plan limit (``PLAN_LIMITS[plan][limit]``) this kind counts against.
    limit: str | None = None

    def lookup(self, ws: Workspace, value: str) -> str | None:
        """An id for an alternative key (an issue identifier, a team key), or None."""
        return None

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        """Check (and normalise in place) the input of a create. Must not mutate state."""

    def on_create(self, ws: Workspace, rec: Record) -> None:
        """Derive values of the new record (not yet stored; its id is final)."""

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        """Check (and normalise in place) the changes of an update. Must not mutate state."""

    def on_update(self, ws: Workspace, rec: Record, previous: dict[str, Any]) -> None:
        """React to an applied update (``previous`` holds the old values of changed keys)."""

    def on_remove(self, ws: Workspace, rec: Record) -> None:
        """Before a hard removal (the generic cascade over references runs after)."""

    def counts_toward_limit(self, rec: Record) -> bool:
        """Whether this record counts against :attr:`limit`."""
        return True

    def label(self, rec: Record) -> str:
        """How messages name the record."""
        return str(rec.get("name") or rec.get("title") or rec["id"])


def need_text(value: Any, field: str) -> str:
    """A non-empty string, or Linear's input error."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string", f"The {field} is required.")
    return value


def check_priority(value: Any) -> int:
    """Linear's priority: an integer from 0 (none) to 4 (low)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InvalidInput("priority must be an integer")
    if value < 0:
        raise InvalidInput("priority must not be less than 0")
    if value > 4:
        raise InvalidInput("priority must not be greater than 4")
    return int(value)
