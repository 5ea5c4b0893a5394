"""Linear's webhook signature: ``Linear-Signature`` is the hex HMAC-SHA256 of the raw body,
keyed with the webhook's signing secret. Header names and the user agent live here too."""

from __future__ import annotations

import hashlib
import hmac

DELIVERY_HEADER = "Linear-Delivery"
EVENT_HEADER = "Linear-Event"
SIGNATURE_HEADER = "Linear-Signature"
#: Not published by Linear as far as we could find; the value receivers commonly log.
USER_AGENT = "Linear-Webhook"
CONTENT_TYPE = "application/json; charset=utf-8"
#: Receivers commonly reject deliveries whose ``webhookTimestamp`` is further than this
#: from their clock (the official SDK's ``LinearWebhookClient`` uses one minute).
FRESHNESS_SECONDS = 60.0


def sign(secret: str, body: bytes) -> str:
    """The ``Linear-Signature`` value for ``body``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is the signature of ``body`` (constant-time comparison)."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().lower().encode())


def wrong_signature(secret: str, body: bytes) -> str:
    """A well-formed signature that does not verify (the opt-in bad-signature fault): the
    HMAC with a different key, so only a receiver that really checks notices."""
    return sign(secret + "\x00not-the-secret", body)


def is_fresh(webhook_timestamp_ms: object, now: float, tolerance: float = FRESHNESS_SECONDS) -> bool:
    """Whether a payload's ``webhookTimestamp`` (epoch milliseconds) is within
    ``tolerance`` seconds of ``now`` (epoch seconds)."""
    if isinstance(webhook_timestamp_ms, bool) or not isinstance(webhook_timestamp_ms, int | float):
        return False
    return abs(now * 1000.0 - float(webhook_timestamp_ms)) <= tolerance * 1000.0
