"""Run one webhook scenario: workload through the API, deliveries to the reference consumer,
Linear's whole retry schedule on the virtual clock, then the checker.

Everything is in-process and deterministic: the fake's faults derive from the scenario seed,
the workload's choices from ``random.Random(seed)``; the same seed gives the same run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from typing import Any

from fakelinear import FakeLinear
from fakelinear.http import Request
from scenarios.webhooks.checker import Verdict, check
from scenarios.webhooks.consumer import ReferenceConsumer, RereadFailed
from scenarios.webhooks.spec import WebhookScenario

RECEIVER_URL = "https://consumer.example/linear/webhooks"
_ISSUE = "id title priority updatedAt trashed team { id } state { id }"


@dataclass
class WebhookRun:
    """The outcome of one scenario run."""

    spec: WebhookScenario
    seed: int
    verdict: Verdict
    metrics: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No unmet expectation."""
        return not self.problems

    @property
    def replay(self) -> str:
        """The command that replays this run."""
        return f"python -m scenarios.webhooks {self.spec.path} --seed {self.seed}"


class Api:
    """GraphQL through the fake's request seam (the fault layer included)."""

    def __init__(self, fake: FakeLinear) -> None:
        self.fake = fake
        self.token = fake.tokens[0]
        self.errors = 0

    def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The ``data`` of a successful answer, None after any error (counted)."""
        response = self.fake.handle(Request(
            "POST", "/graphql", {"authorization": self.token, "content-type": "application/json"},
            json.dumps({"query": query, "variables": variables}).encode(),
        ))
        try:
            body = json.loads(response.body) if response.transport_fault is None else {}
        except ValueError:
            body = {}
        if response.status != 200 or body.get("errors") or "data" not in body:
            self.errors += 1
            return None
        return body["data"]  # type: ignore[no-any-return]

    def read_issue(self, issue_id: str) -> dict[str, Any] | None:
        """The consumer's re-read: None when the issue does not exist."""
        response = self.fake.handle(Request(
            "POST", "/graphql", {"authorization": self.token, "content-type": "application/json"},
            json.dumps({"query": f"query($id: String!) {{ issue(id: $id) {{ {_ISSUE} }} }}",
                        "variables": {"id": issue_id}}).encode(),
        ))
        try:
            body = json.loads(response.body) if response.transport_fault is None else {}
        except ValueError:
            body = {}
        errors = body.get("errors") or []
        if response.status == 200 and errors and errors[0].get("message") == "Entity not found: Issue":
            return None
        if response.status != 200 or errors or not body.get("data"):
            raise RereadFailed(f"HTTP {response.status}")
        issue = body["data"]["issue"]
        return {**issue, "teamId": issue["team"]["id"], "stateId": issue["state"]["id"]}


def run_scenario(spec: WebhookScenario, seed: int | None = None) -> WebhookRun:
    """Run ``spec`` (with ``seed`` instead of its own, when given) and check it."""
    seed = spec.seed if seed is None else seed
    fake = FakeLinear(seed=seed, profile=spec.plan, plan="unlimited")
    api = Api(fake)
    start = fake.clock.now()
    consumer = ReferenceConsumer(secret="", reader=_reader(api), clock=fake.clock.now, tolerance=spec.tolerance)

    def receive(request: Any) -> int:
        elapsed = fake.clock.now() - start
        if any(lo <= elapsed < hi for lo, hi in spec.down):
            consumer.stats["answered_while_down"] += 1
            return 503
        return consumer.handle(request.headers, request.body)

    fake.webhooks.register(RECEIVER_URL, receive, kind="callable")
    team_id = _setup(fake, api, consumer)
    _workload(spec, seed, fake, api, team_id)
    plan = fake.plan.webhooks
    fake.advance(sum(plan.retry_delays) + plan.delay_max + plan.reorder_window + plan.duplicate_after + 120)
    verdict = check(fake, team_id, consumer)
    metrics = _metrics(fake, api, consumer, verdict)
    run = WebhookRun(spec, seed, verdict, metrics)
    run.problems = _expectations(spec, verdict, metrics)
    return run


def _reader(api: Api) -> Any:
    def read(issue_id: str) -> dict[str, Any] | None:
        return api.read_issue(issue_id)

    return read


def _setup(fake: FakeLinear, api: Api, consumer: ReferenceConsumer) -> str:
    """The team, and the consumer's webhook (set up through the model, so API faults of the
    profile cannot make the setup itself flaky)."""
    ws = fake.workspace_for(api.token)
    team = ws.team("ENG")
    hook = ws.create("Webhook", url=RECEIVER_URL, resourceTypes=["Issue"], teamId=team["id"])
    consumer.secret = hook["secret"]
    fake.webhooks.pump()
    return str(team["id"])


def _workload(spec: WebhookScenario, seed: int, fake: FakeLinear, api: Api, team_id: str) -> None:
    rnd = random.Random(f"webhook-workload:{seed}")
    ws = fake.workspace_for(api.token)
    states = [s["id"] for s in ws.team_states(team_id)]

    def live() -> list[str]:
        return [r["id"] for r in ws.all("Issue") if r.get("teamId") == team_id and not r.get("trashed")]

    def step() -> None:
        if rnd.random() >= spec.burst:
            fake.advance(spec.step_seconds)

    for n in range(spec.issues):
        api.call('mutation($t: String!, $team: String!) { issueCreate(input: {teamId: $team, title: $t}) '
                 "{ success } }", {"t": f"issue {n}", "team": team_id})
        step()
    for n in range(spec.updates):
        targets = live()
        if not targets:
            break
        changes: dict[str, Any] = rnd.choice([
            {"title": f"title {n}"}, {"priority": rnd.randint(0, 4)}, {"stateId": rnd.choice(states)},
        ])
        api.call("mutation($id: String!, $i: IssueUpdateInput!) { issueUpdate(id: $id, input: $i) "
                 "{ success } }", {"id": rnd.choice(targets), "i": changes})
        step()
    for purge in [False] * spec.deletes + [True] * spec.purges:
        targets = live()
        if not targets:
            break
        api.call("mutation($id: String!, $p: Boolean) { issueDelete(id: $id, permanentlyDelete: $p) "
                 "{ success } }", {"id": rnd.choice(targets), "p": purge})
        step()


def _metrics(fake: FakeLinear, api: Api, consumer: ReferenceConsumer, verdict: Verdict) -> dict[str, float]:
    deliveries = fake.webhooks.deliveries()
    out: dict[str, float] = {
        "issues": float(verdict.issues),
        "divergent": float(len(verdict.divergent)),
        "unexplained": float(len(verdict.unexplained)),
        "deliveries": float(len(deliveries)),
        "attempts": float(sum(len(d.attempts) for d in deliveries)),
        "deliveries_failed": float(sum(d.status == "failed" for d in deliveries)),
        "api_errors": float(api.errors),
    }
    for entry in fake.journal.entries(operation="webhook", decision="fault"):
        key = f"faults.{entry.decision}"
        out[key] = out.get(key, 0.0) + 1
    for key, value in consumer.stats.items():
        out[f"consumer.{key}"] = float(value)
    return out


def _expectations(spec: WebhookScenario, verdict: Verdict, metrics: dict[str, float]) -> list[str]:
    problems = [f"W1: {line}" for line in verdict.unexplained_lines()]
    if spec.converged and verdict.divergent:
        problems.append(f"expected the consumer's view to equal the fake's state; {len(verdict.divergent)} "
                        "issues differ")
    for key, bound in spec.at_least.items():
        if metrics.get(key, 0.0) < bound:
            problems.append(f"expected {key} >= {bound:g}, got {metrics.get(key, 0.0):g}")
    for key, bound in spec.at_most.items():
        if metrics.get(key, 0.0) > bound:
            problems.append(f"expected {key} <= {bound:g}, got {metrics.get(key, 0.0):g}")
    return problems


def with_seed(spec: WebhookScenario, seed: int) -> WebhookScenario:
    """``spec`` with another seed."""
    return replace(spec, seed=seed)
