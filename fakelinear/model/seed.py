"""Realistic demo content (faker, seeded through :class:`fakelinear.rng.Rng`)."""

from __future__ import annotations

import random

from faker import Faker

from fakelinear.model.workspace import Workspace

_LABELS = (("Bug", "#eb5757"), ("Feature", "#bb87fc"), ("Improvement", "#4ea7fc"))
_VERBS = ("Fix", "Add", "Refactor", "Investigate", "Document", "Speed up", "Remove", "Support")
_THINGS = (
    "login redirect loop", "CSV export", "webhook retries", "dark mode contrast",
    "search indexing", "billing page", "onboarding checklist", "rate limit headers",
    "mobile push notifications", "audit log filters", "SSO configuration", "API pagination",
)


def faker_for(rnd: random.Random) -> Faker:
    """A Faker whose output is fixed by ``rnd``."""
    fake = Faker()
    fake.seed_instance(rnd.getrandbits(64))
    return fake


def add_users(ws: Workspace, rnd: random.Random, count: int = 3) -> None:
    """The viewer plus ``count - 1`` teammates."""
    fake = faker_for(rnd)
    domain = f"{ws.url_key}.example.com"
    for n in range(count):
        first, last = fake.first_name(), fake.last_name()
        ws.add_user(f"{first} {last}", f"{first.lower()}.{last.lower()}@{domain}", admin=n == 0)


def seed_content(ws: Workspace, rnd: random.Random, issues: int = 12) -> None:
    """Labels, a project, issues with comments and relations, and a document, in the
    workspace's first team (created if missing)."""
    fake = faker_for(rnd)
    teams = ws.list("Team")
    team = teams[0] if teams else ws.create_team("Engineering", "ENG")
    labels = [ws.create_label(name, color=color) for name, color in _LABELS]
    project = ws.create_project(
        f"{fake.word().capitalize()} launch", [team.id], description=fake.sentence()
    )
    users = ws.all("User")
    created = []
    for n in range(issues):
        title = f"{rnd.choice(_VERBS)} {rnd.choice(_THINGS)}"
        state = rnd.choice(team.state_ids[:4])
        issue = ws.create_issue(
            team_id=team.id, title=title, description=fake.paragraph(nb_sentences=3),
            priority=rnd.randint(0, 4), state_id=state,
            label_ids=[rnd.choice(labels).id], assignee_id=rnd.choice(users).id if users else None,
            project_id=project.id if n % 3 == 0 else None,
        )
        created.append(issue)
        if n % 4 == 1:
            ws.create_comment(issue.id, fake.sentence(nb_words=12))
    if len(created) >= 3:
        ws.create_relation(created[0].id, created[1].id, "blocks")
        ws.create_relation(created[2].id, created[0].id, "related")
    ws.create_document(
        f"{project.name} plan", content="\n\n".join(fake.paragraphs(nb=3)), project_id=project.id
    )
