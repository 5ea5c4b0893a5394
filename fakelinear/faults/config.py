"""The one owner of a fake's fault configuration.

A :class:`FaultConfig` holds the *configured* plan (the profile or TOML the fake started
with, what ``clear()`` and a per-test reset return to) and the *overrides* on top of it,
and from the two the *plan in force*, which the engine reads on every request. Nothing else
stores a plan: ``FakeLinear.plan``, ``FakeLinear.faults`` (the override handle) and the
control API are views of this object.

Changes are announced to listeners (the engine drops decision state of rules that no longer
exist), so this module imports nothing from the engine. Rules are validated on the way in:
plan fields by :class:`~fakelinear.faults.plan.FaultPlan`, operation names in ``on`` by the
optional ``known_operations`` (the root fields of the schema the fake serves).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from fakelinear.faults.plan import FaultPlan
from fakelinear.faults.validation import check_operations

#: ``listener(event, kept)``: ``event`` is ``"add"``, ``"clear"``, ``"replace"`` or
#: ``"configure"``; ``kept`` maps each rule section to how many of its leading rules are still
#: the same rules (their decision state may stay); every other rule's state must go.
ChangeListener = Callable[[str, dict[str, int]], None]
_RULE_SECTIONS = ("phantom_conflict", "gateway", "transport")


def coerce_plan(value: FaultPlan | dict[str, Any] | str | None) -> FaultPlan:
    """A :class:`FaultPlan` from a plan, its dict form, a profile name or None (``calm``)."""
    from fakelinear.faults.profiles import profile

    if value is None:
        return profile("calm")
    if isinstance(value, str):
        return profile(value)
    if isinstance(value, dict):
        return FaultPlan.from_dict(value)
    if isinstance(value, FaultPlan):
        return value.copy()
    raise TypeError(f"a fault plan must be a FaultPlan, a dict or a profile name, got {type(value).__name__}")


class FaultConfig:
    """Configured plan + overrides = the plan in force.

    Args:
        plan: the configured plan (a :class:`FaultPlan`, its dict form or a profile name).
        known_operations: optional ``() -> names`` of the operations rules may name in
            ``on`` (the schema's root fields); without it ``on`` is not checked.
    """

    def __init__(
        self,
        plan: FaultPlan | dict[str, Any] | str | None = None,
        known_operations: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self._known = known_operations
        self._configured = self._checked(coerce_plan(plan))
        self._in_force = self._configured.copy()
        self._replaced = False
        self._listeners: list[ChangeListener] = []

    # -- reading ---------------------------------------------------------------------
    @property
    def plan(self) -> FaultPlan:
        """The plan in force. Not a copy (the engine reads it on every request): never
        mutate it; change the configuration through this object's methods."""
        return self._in_force

    @property
    def configured(self) -> FaultPlan:
        """The configured plan, without overrides (a copy)."""
        return self._configured.copy()

    @property
    def has_overrides(self) -> bool:
        """True when the plan in force differs from the configured plan."""
        return self._replaced or self._in_force != self._configured

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener(event, kept)`` after every change (see :data:`ChangeListener`)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: ChangeListener) -> None:
        """Stop calling ``listener`` (an engine that is being replaced)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- changing --------------------------------------------------------------------
    def configure(self, plan: FaultPlan | dict[str, Any] | str | None) -> FaultPlan:
        """Replace the configured plan; overrides and every rule's state are dropped."""
        self._configured = self._checked(coerce_plan(plan))
        self._in_force = self._configured.copy()
        self._replaced = False
        self._changed("configure", keep_rules=False)
        return self._in_force

    def add(self, extra: FaultPlan | dict[str, Any] | str) -> FaultPlan:
        """Override: append ``extra``'s rules and settings (a plan, its dict form or a
        profile name) to the plan in force; existing rules keep their state."""
        merged = self._in_force.merge(coerce_plan(extra) if isinstance(extra, str) else extra)
        self._in_force = self._checked(merged)
        self._changed("add", keep_rules=True)
        return self._in_force

    def replace(self, plan: FaultPlan | dict[str, Any] | str) -> FaultPlan:
        """Override: put ``plan`` in force instead of everything until :meth:`clear`."""
        self._in_force = self._checked(coerce_plan(plan))
        self._replaced = True
        self._changed("replace", keep_rules=False)
        return self._in_force

    def clear(self) -> FaultPlan:
        """Drop every override: back to the configured plan. The configured rules keep their
        state unless a :meth:`replace` had put other rules at their indices."""
        keep = not self._replaced
        self._in_force = self._configured.copy()
        self._replaced = False
        self._changed("clear", keep_rules=keep)
        return self._in_force

    # -- internals -------------------------------------------------------------------
    def _checked(self, plan: FaultPlan) -> FaultPlan:
        if self._known is not None:
            check_operations(plan, self._known())
        return plan

    def _changed(self, event: str, keep_rules: bool) -> None:
        # add() appends, so every rule in force keeps its index; clear() keeps the configured
        # rules (unless a replace() had put other rules at their indices).
        source = self._in_force if event == "add" else self._configured
        kept = {s: len(getattr(source, s)) if keep_rules else 0 for s in _RULE_SECTIONS}
        for listener in self._listeners:
            listener(event, kept)

    def __repr__(self) -> str:
        return f"FaultConfig(configured={self._configured.name!r}, overrides={self.has_overrides})"
