"""Fault plans: parsing, strict fields, merging (rules append), TOML and profiles."""

from __future__ import annotations

import pytest

from fakelinear.faults import FaultPlan, FaultPlanError, profile, profile_names


def test_empty_plan_defaults() -> None:
    plan = FaultPlan()
    assert plan.phantom_conflict == [] and plan.gateway == [] and plan.transport == []
    assert plan.rate_limit.per_hour == 2500 and plan.rate_limit.enforce is True
    assert not plan.lag.active


def test_dict_rule_appends() -> None:
    plan = FaultPlan.from_dict({"phantom_conflict": {"on": "teamCreate", "first": 3}})
    assert len(plan.phantom_conflict) == 1
    rule = plan.phantom_conflict[0]
    assert rule.on == ("teamCreate",) and rule.first == 3 and rule.sticky_for is None
    merged = plan.merge({"phantom_conflict": {"probability": 0.5}})
    assert [r.first for r in merged.phantom_conflict] == [3, 0]
    assert len(plan.phantom_conflict) == 1  # merge returns a new plan


def test_settings_merge_updates_given_fields_only() -> None:
    plan = FaultPlan.from_dict({"lag": {"read_seconds": 2, "search_seconds": 30}})
    merged = plan.merge({"lag": {"read_count": 3}})
    assert (merged.lag.read_seconds, merged.lag.read_count, merged.lag.search_seconds) == (2, 3, 30)
    merged2 = plan.merge(FaultPlan.from_dict({"rate_limit": {"per_hour": 10}}))
    assert merged2.rate_limit.per_hour == 10 and merged2.lag.read_seconds == 2


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"phantom_conflcit": {}}, "phantom_conflcit"),
        ({"phantom_conflict": {"probabilty": 0.1}}, "probabilty"),
        ({"gateway": {"status": 500}}, "502, 503, 504"),
        ({"gateway": {"probability": 1.5}}, "probability"),
        ({"transport": {"kind": "dns"}}, "connection_reset"),
        ({"lag": {"read_secs": 1}}, "read_secs"),
        ({"rate_limit": {"per_hour": 0}}, "per_hour"),
        ({"phantom_conflict": {"http_status": 500}}, "http_status"),
        ({"phantom_conflict": {"cold_start_scope": "session"}}, "cold_start_scope"),
        ({"gateway": {"before": {"5xx": 0.1}}}, "5xx"),
        ({"gateway": {"before": {"502": 0.1}, "after": {}}}, "after"),
    ],
)
def test_bad_fields_are_clear_errors(data: dict, needle: str) -> None:
    with pytest.raises(FaultPlanError, match=needle):
        FaultPlan.from_dict(data)


def test_compact_gateway_form_expands() -> None:
    plan = FaultPlan.from_dict({"gateway": {"before": {"502": 0.1, 503: 0.2}, "after_commit": {"504": 0.3}, "on": "mutation"}})
    got = [(r.status, r.probability, r.after_commit, r.on) for r in plan.gateway]
    assert got == [(502, 0.1, False, ("mutation",)), (503, 0.2, False, ("mutation",)), (504, 0.3, True, ("mutation",))]


def test_round_trip_and_toml(tmp_path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        """
name = "mine"
plan_limits = true
[[phantom_conflict]]
first = 2
on = ["issueCreate"]
[gateway]
before = { 502 = 0.25 }
after_commit = { 502 = 0.5 }
[[transport]]
kind = "truncated_body"
probability = 0.1
[lag]
read_seconds = 1.5
[rate_limit]
per_hour = 100
""",
        encoding="utf-8",
    )
    plan = FaultPlan.from_toml(path)
    assert plan.name == "mine" and plan.plan_limits is True
    assert plan.phantom_conflict[0].on == ("issueCreate",)
    assert [r.after_commit for r in plan.gateway] == [False, True]
    assert plan.lag.read_seconds == 1.5 and plan.rate_limit.per_hour == 100
    assert FaultPlan.from_dict(plan.to_dict()) == plan


def test_toml_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[lag]\nread = 1\n", encoding="utf-8")
    with pytest.raises(FaultPlanError, match="bad.toml.*read"):
        FaultPlan.from_toml(path)


def test_profiles() -> None:
    assert {"calm", "linear-observed", "storm"} <= set(profile_names())
    calm = profile("calm")
    assert calm.is_calm and calm.rate_limit.enforce is False
    observed = profile("linear-observed")
    assert not observed.is_calm and observed.plan_limits is True
    assert observed.phantom_conflict[0].first == 3 and observed.phantom_conflict[0].sticky_for is None
    assert any(r.after_commit for r in observed.gateway) and any(not r.after_commit for r in observed.gateway)
    assert 1 <= observed.lag.read_seconds < 10 and 10 <= observed.lag.search_seconds < 100
    assert observed.rate_limit.per_hour == 2500
    storm = profile("storm")
    assert {r.kind for r in storm.transport} == {"connection_reset", "read_timeout", "truncated_body"}
    assert {r.status for r in storm.gateway} == {502, 503, 504}
    with pytest.raises(FaultPlanError, match="unknown fault profile"):
        profile("nope")


def test_profile_returns_a_fresh_copy() -> None:
    a = profile("storm")
    a.phantom_conflict.clear()
    assert profile("storm").phantom_conflict
