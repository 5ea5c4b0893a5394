"""fakelinear.webhooks: Linear's signed webhooks, delivered by the fake, with F8 faults.

``fake.webhooks`` (a :class:`WebhookDispatcher`) turns every committed change of a subscribed
kind into a signed POST (``Linear-Delivery``, ``Linear-Event``, ``Linear-Signature``), on
loopback or to a receiver registered in-process, retried on Linear's schedule on the fake's
clock. See :mod:`fakelinear.webhooks.dispatcher` for how and when, and
:mod:`fakelinear.webhooks.receivers` for what a receiver may be.
"""

from fakelinear.webhooks.deliveries import Attempt, Delivery
from fakelinear.webhooks.dispatcher import WebhookDispatcher
from fakelinear.webhooks.receivers import ReceiverTimeout, WebhookRequest, WebhookResponse
from fakelinear.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    is_fresh,
    sign,
    verify,
)

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "Attempt",
    "Delivery",
    "ReceiverTimeout",
    "WebhookDispatcher",
    "WebhookRequest",
    "WebhookResponse",
    "is_fresh",
    "sign",
    "verify",
]
