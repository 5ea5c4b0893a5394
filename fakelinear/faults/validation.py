"""Checks that catch typos in fault plans: a misspelt name must be an error, never a rule
that silently never fires.

``on`` names what a rule applies to: a root field of the schema the fake serves
(``issueCreate``), one of the keywords in :data:`ON_KEYWORDS`, or a client's operation name
written ``operation:<Name>`` (operation names are chosen by clients, so only that explicit
form skips the schema check).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from typing import Any

from fakelinear.faults.plan import FaultPlan, FaultPlanError

#: ``on`` values that are not root fields: everything, every query, every mutation, every create.
ON_KEYWORDS = ("*", "query", "mutation", "create")
OPERATION_PREFIX = "operation:"
_RULE_SECTIONS = ("phantom_conflict", "gateway", "transport")


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The valid name most like ``name`` (None when nothing is close)."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not matches:
        # Case slips (IssueCreate for issueCreate) fall below the ratio cutoff.
        lowered = {c.lower(): c for c in choices}
        return lowered.get(name.lower())
    return matches[0]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    best = closest(name, choices)
    return f" (did you mean {best!r}?)" if best else ""


def check_on(value: str, known: Collection[str], where: str) -> None:
    """Raise :class:`FaultPlanError` unless ``value`` is a valid ``on`` entry."""
    if value in ON_KEYWORDS or value in known:
        return
    if value.startswith(OPERATION_PREFIX) and value[len(OPERATION_PREFIX) :]:
        return
    raise FaultPlanError(
        f"{where}.on: unknown operation {value!r}{did_you_mean(value, [*known, *ON_KEYWORDS])}; "
        f"name a root field of the schema, one of {', '.join(map(repr, ON_KEYWORDS))}, "
        f"or a client operation name as '{OPERATION_PREFIX}<Name>'"
    )


def check_operations(plan: FaultPlan, known: Collection[str]) -> None:
    """Every rule's ``on`` names something that exists (see the module docstring)."""
    for section in _RULE_SECTIONS:
        rules: list[Any] = getattr(plan, section)
        for index, rule in enumerate(rules):
            for value in rule.on or ():
                check_on(value, known, f"{section}[{index}]")


def schema_root_fields(schema: Any) -> frozenset[str]:
    """The query and mutation root field names of a graphql-core schema."""
    names: set[str] = set()
    for root in (schema.query_type, schema.mutation_type):
        if root is not None:
            names.update(root.fields)
    return frozenset(names)
