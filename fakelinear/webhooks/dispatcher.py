"""The webhook dispatcher: committed changes in, signed deliveries out, on the fake's clock.

``fake.webhooks`` is a :class:`WebhookDispatcher`. How it runs:

* **Collect.** After every GraphQL request (once its write is committed and, with a state
  file, durable) the handler calls :meth:`collect`, which takes the workspace's change log
  and turns each change of a subscribed kind into one :class:`Delivery` per matching
  webhook. A write the state file rolled back is gone from the model, so it never delivers;
  a commit-then-fail write (F3) did commit, so it does, as on Linear. Writes made directly
  on the model (tests, seed code) are collected by the next :meth:`pump`, :meth:`advance`,
  :meth:`flush`, control request, or request on the same workspace.
* **Send.** A delivery is due at once (or later, when F8 delays or reorders it). What is due
  is sent by :meth:`pump`, which the handler calls after every request and
  :meth:`advance` calls as it moves the clock. With the in-process virtual clock, sending
  happens inline, in the caller's thread, and :meth:`advance` steps the clock through every
  due time on the way, so a retry due in an hour is sent with the clock at that hour. With a
  real clock (``fakelinear serve``), or when called from a running event loop (the loopback
  server, async tests), a background thread sends instead; :meth:`flush` waits for it.
  Nothing is ever sent while the calling thread holds the fake's lock, so a receiver may
  call the fake back (re-read on doubt) from any thread.
* **Retry.** A non-2xx answer, a timeout, or an unreachable receiver is retried on Linear's
  schedule (``webhooks.retry_delays``: 1 minute, 1 hour, 6 hours); a delivery that fails
  every attempt counts against its webhook, which is disabled after
  ``webhooks.disable_after`` such deliveries in a row. Each failure is also recorded in the
  webhook's ``failures`` (``WebhookFailureEvent``), newest 50.
* **Journal.** Every attempt is one journal entry: ``operation_name`` ``"webhook"``,
  ``status`` the receiver's answer (0 for none), ``decision`` ``passed`` or
  ``webhook:<fault>``, details (delivery id, webhook, event, attempt, outcome) in
  ``detail``. The webhook's secret is never journaled.

Pending deliveries live in memory: they are not part of the state file.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fakelinear.webhooks import signing
from fakelinear.webhooks.deliveries import Attempt, AttemptKind, Delivery
from fakelinear.webhooks.faults import WebhookFaults, decision
from fakelinear.webhooks.payload import PayloadBuilder, webhook_action
from fakelinear.webhooks.receivers import Receiver, ReceiverKind, Sender, SendResult
from fakelinear.webhooks.routing import subscribers

_log = logging.getLogger("fakelinear.webhooks")
#: Failure events kept on a webhook (``Webhook.failures``).
FAILURES_KEPT = 50
#: A background sender with nothing to do exits after this many real seconds.
_IDLE_EXIT = 2.0
#: The background sender looks at the clock at least this often (real seconds).
_POLL = 0.25
_MAX_STEPS = 100_000


@dataclass(order=True)
class _Job:
    due: float
    order: int
    delivery_id: str = field(compare=False)
    kind: AttemptKind = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


@dataclass
class _Send:
    """An attempt prepared under the lock, sent outside it."""

    delivery: Delivery
    kind: AttemptKind
    number: int
    fault: str | None
    timestamp_ms: int
    body: bytes
    headers: dict[str, str]
    url: str
    timeout: float
    time: float
    signature_valid: bool


def _lock_held(lock: Any) -> bool:
    # RLock exposes ownership only through this (stable, Condition relies on it); without
    # it, assume held and leave the sending to the next pump outside the lock.
    owned = getattr(lock, "_is_owned", None)
    return bool(owned()) if callable(owned) else True


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class WebhookDispatcher:
    """Webhook deliveries of one fake (``fake.webhooks``); see the module docstring."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.sender = Sender()
        self._builder: PayloadBuilder | None = None
        self._sending = threading.Lock()
        self._again = False
        self._wakeup = threading.Event()
        self._worker_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closing = False
        self._in_flight = 0
        self.reset()

    # ------------------------------------------------------------------ configuration
    def register(self, url: str, receiver: Any, kind: ReceiverKind | None = None) -> Receiver:
        """Deliver ``url``'s deliveries in-process to ``receiver`` (a callable, an ASGI or a
        WSGI app; see :mod:`fakelinear.webhooks.receivers`). No port is opened."""
        with self.fake.lock:
            return self.sender.register(url, receiver, kind)

    def unregister(self, url: str) -> None:
        """Stop delivering ``url`` in-process."""
        with self.fake.lock:
            self.sender.unregister(url)

    def faults(self, **knobs: Any) -> Any:
        """Add webhook fault knobs to the plan in force (``fake.webhooks.faults(duplicate=1)``);
        ``fake.faults.clear()`` removes them. Returns the plan's ``webhooks`` section."""
        return self.fake.add_plan({"webhooks": knobs}).webhooks

    @property
    def plan(self) -> Any:
        """The ``webhooks`` section of the fault plan in force."""
        return self.fake.plan.webhooks

    def reset(self) -> None:
        """Forget every delivery and pending attempt (registered receivers stay)."""
        with self.fake.lock:
            self._deliveries: dict[str, Delivery] = {}
            self._queue: list[_Job] = []
            self._jobs: dict[str, _Job] = {}  # delivery id -> its scheduled send/retry
            self._orders = itertools.count()
            self._count = 0
            self._streak: dict[str, int] = {}
            self._held: dict[tuple[str, str], list[str]] = {}

    def close(self) -> None:
        """Stop the background sender and close HTTP connections."""
        self._closing = True
        self._wakeup.set()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=5)
        self.sender.close()
        self._closing = False

    # ------------------------------------------------------------------ reading
    def deliveries(self, webhook_id: str | None = None, *, status: str | None = None,
                   event: str | None = None, entity_id: str | None = None) -> list[Delivery]:
        """Deliveries so far, oldest first, filtered by any of the arguments (live objects:
        read them, do not change them)."""
        with self.fake.lock:
            return [
                d for d in self._deliveries.values()
                if (webhook_id is None or d.webhook_id == webhook_id)
                and (status is None or d.status == status)
                and (event is None or d.event == event)
                and (entity_id is None or d.entity_id == entity_id)
            ]

    def delivery(self, delivery_id: str) -> Delivery:
        """One delivery by its ``Linear-Delivery`` id (``KeyError`` when unknown)."""
        with self.fake.lock:
            return self._deliveries[delivery_id]

    # ------------------------------------------------------------------ collecting
    def collect(self, workspace_id: str | None = None) -> int:
        """Turn committed changes into deliveries (one workspace, or all); returns how many
        deliveries were created. Reads the *current* model, so a rolled-back write (gone
        from the model) delivers nothing."""
        fake = self.fake
        with fake.lock:
            if workspace_id is None:
                workspaces = fake.model.workspaces()
            else:
                try:
                    workspaces = [fake.model.workspace(workspace_id)]
                except Exception:  # noqa: BLE001 - the workspace went away (reset)
                    return 0
            return sum(self._collect_workspace(ws) for ws in workspaces)

    def _collect_workspace(self, ws: Any) -> int:
        if not ws.changes:
            return 0
        changes = ws.drain_changes()
        if not changes or not ws.store.count("Webhook"):
            return 0
        hooks = ws.store.all("Webhook")
        batch = {c.record["id"]: c.record for c in changes if c.action == "remove"}
        created = 0
        builder = self._payloads()
        for change in changes:
            targets = [h for h in subscribers(ws, change, hooks, batch) if h["createdAt"] <= change.time]
            if not targets:
                continue
            body = builder.body(ws, change, batch)
            for hook in targets:
                self._enqueue(ws, hook, change.kind, webhook_action(change), change.record["id"], change.time, body)
                created += 1
        return created

    def _payloads(self) -> PayloadBuilder:
        if self._builder is None:
            self._builder = PayloadBuilder(self.fake.api.schema, self.fake.api.catalog)
        return self._builder

    def _enqueue(self, ws: Any, hook: dict[str, Any], event: str, action: str, entity_id: str,
                 time_: float, body: dict[str, Any]) -> Delivery:
        self._count += 1
        delivery_id = self.fake.rng.uuid4("webhook-delivery", hook["id"], ws.id, ws.last_sync_id, self._count)
        delivery = Delivery(
            id=delivery_id, seq=self._count, webhook_id=hook["id"], workspace_id=ws.id,
            url=hook.get("url") or "", event=event, action=action, entity_id=entity_id,
            created_at=time_, body=body,
        )
        self._deliveries[delivery_id] = delivery
        self._hold_predecessors(hook["id"], entity_id)
        plan = self.plan
        now = float(self.fake.clock.now())
        fault, seconds = WebhookFaults(self.fake.rng).first_send(plan, delivery_id)
        delivery.planned = fault
        if fault == "delay":
            self._schedule(delivery, now + seconds, "send")
        elif fault == "reorder":
            delivery.held = True
            self._held.setdefault((hook["id"], entity_id), []).append(delivery_id)
            self._schedule(delivery, now + plan.reorder_window, "send")
        else:
            self._schedule(delivery, now, "send")
        return delivery

    # ------------------------------------------------------------------ the queue
    def _schedule(self, delivery: Delivery, due: float, kind: AttemptKind) -> None:
        job = _Job(due, next(self._orders), delivery.id, kind)
        if kind != "duplicate":
            old = self._jobs.get(delivery.id)
            if old is not None:
                old.cancelled = True
            self._jobs[delivery.id] = job
            delivery.next_at = due
        heapq.heappush(self._queue, job)

    def _peek(self) -> _Job | None:
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0] if self._queue else None

    def next_due(self) -> float | None:
        """When the next attempt is due (the fake's clock), or None."""
        with self.fake.lock:
            job = self._peek()
            return job.due if job is not None else None

    def _pop_due(self, now: float) -> _Job | None:
        job = self._peek()
        if job is None or job.due > now:
            return None
        heapq.heappop(self._queue)
        if self._jobs.get(job.delivery_id) is job:
            del self._jobs[job.delivery_id]
        return job

    # ------------------------------------------------------------------ sending
    def _inline(self) -> bool:
        return bool(getattr(self.fake.clock, "virtual", False)) and not _in_event_loop()

    def pump(self, collect: bool = True) -> int:
        """Collect every workspace's changes (unless ``collect`` is false: the handler has
        collected the request's workspace already) and send what is due now; returns how
        many attempts were sent here (0 when a background sender does it, or when called
        while this thread holds the fake's lock: the next pump sends them)."""
        if collect:
            self.collect()
        with self.fake.lock:
            job = self._peek()
            if job is None or job.due > self.fake.clock.now():
                return 0
        if not self._inline():
            self._wake_worker()
            return 0
        if _lock_held(self.fake.lock):
            return 0
        return self._drain() or 0

    def status(self) -> dict[str, Any]:
        """``idle`` (nothing due now, nothing being sent), ``due_now``, ``in_flight``,
        ``pending`` (deliveries not yet settled) and ``next_due`` (the fake's clock)."""
        with self.fake.lock:
            now = float(self.fake.clock.now())
            due_now = sum(1 for job in self._queue if not job.cancelled and job.due <= now)
            job = self._peek()
            return {
                "idle": due_now == 0 and self._in_flight == 0 and not self._sending.locked(),
                "due_now": due_now,
                "in_flight": self._in_flight,
                "pending": sum(1 for d in self._deliveries.values() if d.status == "pending"),
                "next_due": job.due if job is not None else None,
            }

    def flush(self, timeout: float = 5.0) -> bool:
        """Send everything due now and wait (real time, at most ``timeout`` seconds) until
        a background sender has nothing due and nothing in flight; True when idle."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            with self.fake.lock:
                job = self._peek()
                idle = (job is None or job.due > self.fake.clock.now()) and self._in_flight == 0
            if idle and not self._sending.locked():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)

    def advance(self, seconds: float) -> float:
        """Move the fake's clock forward by ``seconds``, sending every attempt that falls due
        on the way at its own time (retries included), and return the new time."""
        fake = self.fake
        clock = fake.clock
        step = getattr(clock, "advance", None)
        if step is None:
            raise TypeError("this clock cannot be advanced")
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self.collect()
        with fake.lock:
            target = float(clock.now()) + float(seconds)
        stepping = self._inline() and not _lock_held(fake.lock)
        for _ in range(_MAX_STEPS if stepping else 0):
            with fake.lock:
                job = self._peek()
                if job is None or job.due > target:
                    break
                self._move_clock(max(job.due, float(clock.now())))
            if self._drain() is None:
                break
        with fake.lock:
            self._move_clock(target)
            fake.persist()
            now = float(clock.now())
        self.pump()
        return now

    def _move_clock(self, when: float) -> None:
        clock = self.fake.clock
        now = float(clock.now())
        if when <= now:
            return
        exact = getattr(clock, "set", None)
        if callable(exact):
            exact(when)
        else:
            clock.advance(when - now)

    def redeliver(self, delivery_id: str) -> Delivery:
        """Send a delivery again now, with the same ``Linear-Delivery`` id (what Linear's UI
        offers); the outcome is one more attempt (``kind="redeliver"``), never retried."""
        with self.fake.lock:
            delivery = self._deliveries[delivery_id]
            job = _Job(float(self.fake.clock.now()), next(self._orders), delivery.id, "redeliver")
            heapq.heappush(self._queue, job)
        self.pump()
        return delivery

    def _drain(self) -> int | None:
        """Send every due attempt, one at a time; returns how many were sent, or None when
        another thread is sending (it goes round once more and sends ours too)."""
        sent: int | None = None
        while True:
            if not self._sending.acquire(blocking=False):
                self._again = True
                return sent
            sent = sent or 0
            try:
                self._again = False
                while (send := self._next_send()) is not None:
                    result = self._post(send)
                    self._finish(send, result)
                    sent += 1
            finally:
                self._sending.release()
            if not self._again:
                return sent

    def _next_send(self) -> _Send | None:
        with self.fake.lock:
            while True:
                job = self._pop_due(float(self.fake.clock.now()))
                if job is None:
                    return None
                send = self._prepare(job)
                if send is not None:
                    self._in_flight += 1
                    return send

    def _post(self, send: _Send) -> SendResult:
        try:
            return self.sender.send(send.url, send.headers, send.body, send.timeout)
        except BaseException:
            with self.fake.lock:
                self._in_flight -= 1
            raise

    def _prepare(self, job: _Job) -> _Send | None:
        delivery = self._deliveries.get(job.delivery_id)
        if delivery is None:
            return None
        if job.kind in ("send", "retry") and delivery.status != "pending":
            return None
        hook = self._webhook(delivery)
        if hook is None or (not hook.get("enabled") and job.kind != "redeliver"):
            if job.kind in ("send", "retry"):
                delivery.status = "cancelled"
                delivery.next_at = None
            return None
        if job.kind in ("send", "retry"):
            delivery.next_at = None
            delivery.held = False
        plan = self.plan
        now = float(self.fake.clock.now())
        number = len(delivery.attempts) + 1
        faults = WebhookFaults(self.fake.rng)
        fault: str | None = None
        if job.kind == "duplicate":
            fault = "duplicate"
        elif job.kind == "send" and delivery.planned:
            fault = delivery.planned
        elif job.kind in ("send", "retry"):
            fault = faults.attempt(plan, delivery.id, number)
        sent_at = now - plan.stale_seconds if fault == "stale_timestamp" else now
        timestamp_ms = int(round(sent_at * 1000))
        body = json.dumps(delivery.payload(timestamp_ms), separators=(",", ":"), ensure_ascii=False).encode()
        secret = str(hook.get("secret") or "")
        signature = signing.wrong_signature(secret, body) if fault == "bad_signature" else signing.sign(secret, body)
        headers = {
            "Content-Type": signing.CONTENT_TYPE,
            "User-Agent": signing.USER_AGENT,
            signing.DELIVERY_HEADER: delivery.id,
            signing.EVENT_HEADER: delivery.event,
            signing.SIGNATURE_HEADER: signature,
        }
        url = str(hook.get("url") or delivery.url)
        return _Send(delivery, job.kind, number, fault, timestamp_ms, body, headers, url,
                     plan.timeout, now, fault != "bad_signature")

    def _webhook(self, delivery: Delivery) -> Any:
        try:
            ws = self.fake.model.workspace(delivery.workspace_id)
        except Exception:  # noqa: BLE001 - workspace gone (reset)
            return None
        return ws.store.get("Webhook", delivery.webhook_id)

    def _finish(self, send: _Send, result: SendResult) -> None:
        with self.fake.lock:
            self._in_flight -= 1
            self._record(send, result)

    def _record(self, send: _Send, result: SendResult) -> None:
        delivery = send.delivery
        plan = self.plan
        now = float(self.fake.clock.now())
        accepted = result.ok
        error = result.error
        if accepted and send.fault == "lost_ack":
            accepted = False
            error = f"lost_ack: the receiver answered {result.status}; the answer never reached Linear"
        elif not result.ok and error is None:
            error = f"http_status: {result.status}"
        outcome = self._conclude(delivery, send, accepted, now, plan)
        if not accepted:
            self._record_failure(delivery, send, result, error, now)
        entry = self.fake.journal.record(
            time=send.time,
            key_masked="",
            workspace_id=delivery.workspace_id,
            operation_name="webhook",
            root_fields=("webhook",),
            body_hash=hashlib.sha256(send.body).hexdigest(),
            variables=None,
            status=result.status,
            error_code=None if accepted else (error or "failed").split(":", 1)[0],
            decision=decision(send.fault),
            committed=False,
            detail={
                "delivery_id": delivery.id, "webhook_id": delivery.webhook_id,
                "event": delivery.event, "action": delivery.action, "entity_id": delivery.entity_id,
                "attempt": send.number, "kind": send.kind, "accepted": accepted,
                "error": error, "outcome": outcome, "webhook_timestamp": send.timestamp_ms,
            },
        )
        delivery.attempts.append(Attempt(
            number=send.number, kind=send.kind, time=send.time, status=result.status,
            accepted=accepted, error=error, fault=send.fault, webhook_timestamp=send.timestamp_ms,
            signature_valid=send.signature_valid, journal_seq=entry.seq, response=result.response,
        ))
        if send.kind in ("send", "retry"):
            self._release_held(delivery)

    def _conclude(self, delivery: Delivery, send: _Send, accepted: bool, now: float, plan: Any) -> str:
        """Move the delivery on after an attempt; returns what happened, for the journal."""
        if send.kind == "duplicate":
            return "duplicate"
        if send.kind == "redeliver":
            if accepted:
                delivery.status = "delivered"
            return "delivered" if accepted else "redelivery_failed"
        if accepted:
            delivery.status = "delivered"
            self._streak[delivery.webhook_id] = 0
            already = any(a.kind == "duplicate" for a in delivery.attempts)
            if not already and WebhookFaults(self.fake.rng).duplicate(plan, delivery.id):
                self._schedule(delivery, now + plan.duplicate_after, "duplicate")
                return "delivered; duplicate scheduled"
            return "delivered"
        if delivery.retries < len(plan.retry_delays):
            due = now + plan.retry_delays[delivery.retries]
            delivery.retries += 1
            self._schedule(delivery, due, "retry")
            return f"retry {delivery.retries} at {due:.3f}"
        delivery.status = "failed"
        streak = self._streak[delivery.webhook_id] = self._streak.get(delivery.webhook_id, 0) + 1
        if plan.disable_after and streak >= plan.disable_after:
            self._disable(delivery)
            return "failed; webhook disabled"
        return "failed"

    def _hold_predecessors(self, webhook_id: str, entity_id: str) -> None:
        """A later event of an entity exists now: deliveries held back for reorder wait for
        it to be sent (their fallback deadline no longer applies)."""
        for delivery_id in self._held.get((webhook_id, entity_id), ()):
            held = self._deliveries.get(delivery_id)
            job = self._jobs.get(delivery_id)
            if held is not None and held.held and job is not None:
                job.cancelled = True
                del self._jobs[delivery_id]
                held.next_at = None

    def _release_held(self, sent: Delivery) -> None:
        """A later event of the same entity went out: deliveries held back (reorder) go next."""
        key = (sent.webhook_id, sent.entity_id)
        held = self._held.get(key)
        if not held:
            return
        keep = []
        for delivery_id in held:
            other = self._deliveries.get(delivery_id)
            if other is None or not other.held or other.status != "pending":
                continue
            if other.seq < sent.seq:
                other.held = False
                self._schedule(other, float(self.fake.clock.now()), "send")
            else:
                keep.append(delivery_id)
        if keep:
            self._held[key] = keep
        else:
            self._held.pop(key, None)

    def _record_failure(self, delivery: Delivery, send: _Send, result: SendResult, error: str | None,
                        now: float) -> None:
        """``Webhook.failures``: Linear's record of failed attempts (not a user-visible edit,
        so no ``updatedAt`` or ``lastSyncId`` change)."""
        hook = self._webhook(delivery)
        if hook is None:
            return
        ws = self.fake.model.workspace(delivery.workspace_id)
        event = {
            "id": self.fake.rng.uuid4("webhook-failure", delivery.id, send.number),
            "createdAt": now,
            "executionId": delivery.id,
            "httpStatus": float(result.status) if result.status else None,
            "responseOrError": (error or result.response)[:500],
            "url": send.url,
            "webhookId": delivery.webhook_id,
        }
        failures = [*(hook.get("failures") or []), event][-FAILURES_KEPT:]
        ws.store.update(hook, {"failures": failures})

    def _disable(self, delivery: Delivery) -> None:
        """Linear turns off a webhook that keeps failing (a committed change of the webhook)."""
        ws = self.fake.model.workspace(delivery.workspace_id)
        ws.update("Webhook", delivery.webhook_id, {"enabled": False})
        ws.drain_changes()  # a webhook's own change is news to nobody
        _log.warning("fakelinear: webhook %s disabled after failed deliveries", delivery.webhook_id)
        try:
            self.fake.persist()
        except Exception as exc:  # noqa: BLE001 - durability of this is best effort
            _log.error("fakelinear: could not persist a disabled webhook: %s", type(exc).__name__)

    # ------------------------------------------------------------------ background sender
    def _wake_worker(self) -> None:
        with self._worker_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="fakelinear-webhooks", daemon=True)
                self._worker.start()
            self._wakeup.set()

    def _work(self) -> None:
        idle_since: float | None = None
        while not self._closing:
            self._wakeup.clear()
            try:
                self.collect()
                busy = bool(self._drain())
            except Exception:  # noqa: BLE001 - keep the sender alive; report once
                _log.exception("fakelinear: webhook sender failed")
                busy = False
            due = self.next_due()
            now = float(self.fake.clock.now())
            if due is None and not busy:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > _IDLE_EXIT:
                    with self._worker_lock:
                        if not self._wakeup.is_set():
                            self._worker = None
                            return
            else:
                idle_since = None
            wait = _POLL if due is None else min(_POLL, max(0.0, due - now))
            self._wakeup.wait(wait)
