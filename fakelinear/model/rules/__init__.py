"""Linear's semantics beyond the generic store, one small module per kind.

Kinds without a module here get :class:`KindRules` (the generic behaviour). The
registry is keyed by GraphQL type name.
"""

from __future__ import annotations

from fakelinear.model.rules.base import KindRules
from fakelinear.model.rules.comment import CommentRules
from fakelinear.model.rules.content import DocumentRules, ProjectRules
from fakelinear.model.rules.issue import IssueRules
from fakelinear.model.rules.issue_label import IssueLabelRules
from fakelinear.model.rules.issue_relation import IssueRelationRules
from fakelinear.model.rules.team import TeamRules
from fakelinear.model.rules.webhook import WebhookRules

_GENERIC = KindRules()
RULES: dict[str, KindRules] = {
    "Team": TeamRules(),
    "Issue": IssueRules(),
    "Project": ProjectRules(),
    "Document": DocumentRules(),
    "IssueLabel": IssueLabelRules(),
    "Comment": CommentRules(),
    "IssueRelation": IssueRelationRules(),
    "Webhook": WebhookRules(),
}


def rules_for(kind: str) -> KindRules:
    """The rules of ``kind`` (the generic ones when it has none of its own)."""
    return RULES.get(kind, _GENERIC)


def register(kind: str, rules: KindRules) -> None:
    """Add or replace the rules of a kind (extensions such as webhooks use this)."""
    RULES[kind] = rules


__all__ = ["RULES", "KindRules", "register", "rules_for"]
