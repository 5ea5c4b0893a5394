"""Webhooks: a URL, the resource types to send, a team or all public teams, a signing secret.

Linear's rules as far as its API and docs show them:

* ``url`` is an absolute ``http``/``https`` URL with a host (Linear itself only accepts
  public HTTPS URLs; the fake also takes loopback ones, which is the point of a fake);
* ``resourceTypes`` is a non-empty list of the data-change types Linear sends
  (:data:`RESOURCE_TYPES`);
* a webhook is scoped to one team (``teamId``, an id or a key) or to all public teams
  (``allPublicTeams``); one of the two is required, not both;
* ``secret``: when the create leaves it out, one is generated (``lin_wh_`` + 44 letters and
  digits, drawn from the model's seeded id stream) and returned on the ``Webhook`` like
  any field; ``webhookRotateSecret`` draws a new one;
* ``enabled`` defaults to true (the input type's default); the fake disables a webhook
  whose deliveries keep failing (see :mod:`fakelinear.webhooks`);
* a delete removes the webhook (hard delete).
"""

from __future__ import annotations

import hashlib
import string
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fakelinear.model.errors import InvalidInput
from fakelinear.model.records import Record
from fakelinear.model.rules.base import KindRules

if TYPE_CHECKING:
    from fakelinear.model.workspace import Workspace

#: The ``type`` values of Linear's data-change webhooks: the members of the schema's
#: ``DataWebhookPayload`` union (SDK 88.3.0), plus the other events Linear documents.
RESOURCE_TYPES = frozenset({
    "AgentActivity", "AgentSession", "Attachment", "AuditEntry", "Comment", "Customer",
    "CustomerNeed", "Cycle", "Document", "Initiative", "InitiativeUpdate", "Issue",
    "IssueLabel", "ProjectLabel", "Project", "ProjectUpdate", "Reaction", "Release",
    "ReleaseNote", "User",
    # Not data changes, but accepted as resource types by Linear.
    "IssueSLA", "OAuthApp", "AppUserNotification", "PermissionChange", "AgentSessionEvent",
})
SECRET_PREFIX = "lin_wh_"
SECRET_LENGTH = 44
_ALPHABET = string.ascii_letters + string.digits
_MAX_URL = 2048
_MAX_LABEL = 255


def new_secret(ws: Workspace) -> str:
    """A fresh signing secret from the model's seeded id stream (same seed, same secrets)."""
    material = hashlib.sha256((ws.new_id() + ws.new_id()).encode()).digest()
    material += hashlib.sha256(material).digest()
    return SECRET_PREFIX + "".join(_ALPHABET[b % len(_ALPHABET)] for b in material[:SECRET_LENGTH])


def check_url(value: Any) -> str:
    """An absolute http(s) URL with a host, or Linear's input error."""
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_URL:
        raise InvalidInput("url must be a URL address", "The webhook URL is not valid.")
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InvalidInput("url must be a URL address", "The webhook URL is not valid.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise InvalidInput("url must be a URL address", "The webhook URL is not valid.")
    return value


def check_resource_types(value: Any) -> list[str]:
    """A non-empty list of known resource types, without repeats, in the given order."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("resourceTypes must not be empty", "Select at least one resource type.")
    out: list[str] = []
    for item in value:
        if item not in RESOURCE_TYPES:
            raise InvalidInput(
                f"resourceTypes: unknown resource type {str(item)[:64]!r}",
                f"{str(item)[:64]} is not a webhook resource type.",
            )
        if item not in out:
            out.append(item)
    return out


def check_secret(value: Any) -> str:
    """A user-chosen secret: a non-empty string without surrounding whitespace."""
    if not isinstance(value, str) or not value or value != value.strip() or len(value) > 255:
        raise InvalidInput("secret must be a non-empty string", "The signing secret is not valid.")
    return value


class WebhookRules(KindRules):
    """See the module docstring."""

    delete_mode = "hard"

    def validate_create(self, ws: Workspace, data: dict[str, Any]) -> None:
        data["url"] = check_url(data.get("url"))
        data["resourceTypes"] = check_resource_types(data.get("resourceTypes"))
        all_public = data.get("allPublicTeams")
        team = data.get("teamId")
        if team is None and not all_public:
            raise InvalidInput(
                "teamId or allPublicTeams must be set",
                "Choose a team or all public teams for the webhook.",
            )
        if team is not None and all_public:
            raise InvalidInput(
                "teamId and allPublicTeams cannot both be set",
                "Choose a team or all public teams for the webhook, not both.",
            )
        if team is not None:
            data["teamId"] = ws.team(team)["id"]
        if data.get("secret") is not None:
            data["secret"] = check_secret(data["secret"])
        self._check_label(data)

    def validate_update(self, ws: Workspace, rec: Record, changes: dict[str, Any]) -> None:
        if "url" in changes:
            changes["url"] = check_url(changes["url"])
        if "resourceTypes" in changes:
            changes["resourceTypes"] = check_resource_types(changes["resourceTypes"])
        if changes.get("secret") is not None:
            changes["secret"] = check_secret(changes["secret"])
        if "enabled" in changes and not isinstance(changes["enabled"], bool):
            changes.pop("enabled")
        self._check_label(changes)

    @staticmethod
    def _check_label(data: dict[str, Any]) -> None:
        label = data.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > _MAX_LABEL):
            raise InvalidInput(f"label must be a string of at most {_MAX_LABEL} characters")

    def on_create(self, ws: Workspace, rec: Record) -> None:
        rec["allPublicTeams"] = bool(rec.get("allPublicTeams"))
        if rec.get("enabled") is None:
            rec["enabled"] = True
        if not rec.get("secret"):
            rec["secret"] = new_secret(ws)
        rec["teamIds"] = [rec["teamId"]] if rec.get("teamId") else None
        rec.setdefault("failures", [])

    def label(self, rec: Record) -> str:
        return f"Webhook {rec.get('label') or rec.get('url')}"
