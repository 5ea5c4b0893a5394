"""The ``webhooks`` section of fault plans and what the profiles set."""

from __future__ import annotations

import pytest

from fakelinear.cli import build_parser, fault_overrides
from fakelinear.faults import FaultPlan, FaultPlanError, profile


def test_profiles_gain_webhook_knobs() -> None:
    calm, observed, storm = (profile(n).webhooks for n in ("calm", "linear-observed", "storm"))
    assert not calm.active and calm.retry_delays == (60.0, 3600.0, 21600.0) and calm.timeout == 5.0
    assert observed.active and 0 < observed.duplicate < storm.duplicate
    assert storm.reorder > observed.reorder and storm.lost_ack > observed.lost_ack
    for plan in (calm, observed, storm):
        assert plan.bad_signature == 0.0  # opt-in only
    assert profile("calm").is_calm and not profile("linear-observed").is_calm


def test_round_trip_and_merge() -> None:
    plan = FaultPlan.from_dict({"webhooks": {"duplicate": 0.5, "retry_delays": [1, 2]}})
    assert plan.webhooks.retry_delays == (1.0, 2.0)
    assert FaultPlan.from_dict(plan.to_dict()) == plan
    merged = profile("linear-observed").merge({"webhooks": {"bad_signature": 1.0}})
    assert merged.webhooks.bad_signature == 1.0 and merged.webhooks.duplicate == 0.02
    assert not FaultPlan.from_dict({"rate_limit": {"enforce": False}, "webhooks": {"delay": 0.0}}).webhooks.active


@pytest.mark.parametrize(("knobs", "message"), [
    ({"duplicate": 2}, "webhooks.duplicate.probability must be a number in [0, 1]"),
    ({"retry_delays": 60}, "webhooks.retry_delays must be a list of seconds"),
    ({"retry_delays": [-1]}, "webhooks.retry_delays[] must be a non-negative number"),
    ({"timeout": 0}, "webhooks.timeout must be a positive number"),
    ({"delay_min": 5, "delay_max": 1}, "webhooks.delay_max must not be less than webhooks.delay_min"),
    ({"disable_after": -1}, "webhooks.disable_after must be a non-negative integer"),
    ({"duplicates": 1}, "unknown field 'duplicates' in webhooks"),
])
def test_bad_knobs_are_named(knobs: dict[str, object], message: str) -> None:
    with pytest.raises(FaultPlanError, match=message.replace("[", r"\[").replace("]", r"\]")):
        FaultPlan.from_dict({"webhooks": knobs})


def test_serve_flags_set_webhook_knobs() -> None:
    args = build_parser().parse_args(["serve", "--webhooks-duplicate", "0.5", "--fault",
                                      "webhooks.retry_delays=[1, 2]", "--webhooks-bad-signature", "1"])
    overrides = fault_overrides(args)
    assert overrides == {"webhooks": {"retry_delays": [1, 2], "duplicate": 0.5, "bad_signature": 1}}
    plan = profile("calm").merge(overrides).webhooks
    assert (plan.duplicate, plan.bad_signature, plan.retry_delays) == (0.5, 1.0, (1.0, 2.0))
