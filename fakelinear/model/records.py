"""Records: the one shape every stored entity has.

A record is a ``dict`` keyed by Linear's GraphQL field names (``title``, ``teamId``,
``createdAt`` ...), plus two internal keys: ``__typename`` (its kind) and ``_seq`` (the
workspace-wide insertion number that breaks ties in orderings). References are stored as
ids under ``<field>Id`` / ``<singular>Ids`` keys, the names Linear's input types use.
Times are epoch seconds (floats); the API layer turns them into ISO strings.

For Python callers (tests, scenarios, the fault layer) attribute access in snake_case
reads and writes the same keys: ``issue.team_id is issue["teamId"]``.
"""

from __future__ import annotations

import re
from typing import Any

TYPENAME = "__typename"
SEQ = "_seq"

_CAMEL_RE = re.compile(r"_([a-z0-9])")
_camel_cache: dict[str, str] = {}


def camel(name: str) -> str:
    """``team_id`` -> ``teamId`` (cached)."""
    out = _camel_cache.get(name)
    if out is None:
        out = _camel_cache[name] = _CAMEL_RE.sub(lambda m: m.group(1).upper(), name)
    return out


class Record(dict[str, Any]):
    """One stored entity (see the module docstring)."""

    __slots__ = ()

    @property
    def kind(self) -> str:
        """The GraphQL type name of this record."""
        return self[TYPENAME]  # type: ignore[no-any-return]

    @property
    def id(self) -> str:
        """The entity id."""
        return self["id"]  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(camel(name))

    def __setattr__(self, name: str, value: Any) -> None:
        self[camel(name)] = value

    def copy(self) -> Record:  # type: ignore[override]
        """A shallow copy that is still a :class:`Record`."""
        return Record(self)

    def public(self) -> dict[str, Any]:
        """The record without internal keys (what a snapshot or a webhook shows)."""
        return {k: v for k, v in self.items() if k != SEQ}
