"""What a new workspace starts with, and optional realistic demo content (faker, seeded
through :class:`fakelinear.rng.Rng`)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from fakelinear.model.workspace import Workspace

if TYPE_CHECKING:
    from faker import Faker

_LABELS = (("Bug", "#eb5757"), ("Feature", "#bb87fc"), ("Improvement", "#4ea7fc"))
_VERBS = ("Fix", "Add", "Refactor", "Investigate", "Document", "Speed up", "Remove", "Support")
_THINGS = (
    "login redirect loop", "CSV export", "webhook retries", "dark mode contrast",
    "search indexing", "billing page", "onboarding checklist", "rate limit headers",
    "mobile push notifications", "audit log filters", "SSO configuration", "API pagination",
)
#: Linear's default project statuses: (name, type, color).
PROJECT_STATUSES = (
    ("Backlog", "backlog", "#bec2c8"),
    ("Planned", "planned", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"),
    ("Completed", "completed", "#5e6ad2"),
    ("Canceled", "canceled", "#95a2b3"),
)


#: Member names (every workspace has users; faker is only loaded for ``seed_content``).
_FIRST = ("Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Radia", "Ken",
          "Margaret", "Dennis", "Hedy", "Linus", "Katherine", "Tim", "Annie", "Niklaus", "Joan")
_LAST = ("Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Knuth", "Perlman",
         "Thompson", "Hamilton", "Ritchie", "Lamarr", "Torvalds", "Johnson", "Berners", "Easley")


def faker_for(rnd: random.Random) -> Faker:
    """A Faker whose output is fixed by ``rnd`` (imported on first use: it is slow to load)."""
    from faker import Faker

    fake = Faker()
    fake.seed_instance(rnd.getrandbits(64))
    return fake


def add_users(ws: Workspace, rnd: random.Random, count: int = 3) -> None:
    """The viewer plus ``count - 1`` teammates, named from ``rnd``."""
    domain = f"{ws.url_key}.example.com"
    taken: set[str] = set()
    for n in range(count):
        first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
        while f"{first} {last}" in taken:
            first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
        taken.add(f"{first} {last}")
        ws.add_user(f"{first} {last}", f"{first.lower()}.{last.lower()}@{domain}", admin=n == 0)


#: Customer statuses a workspace starts with: (name, type, color).
CUSTOMER_STATUSES = (("Active", "active", "#4cb782"), ("Churned", "inactive", "#eb5757"))


def add_workspace_defaults(ws: Workspace) -> None:
    """Records every Linear workspace has from the start (when the schema knows them): the
    project and customer statuses new projects and customers point at."""
    if "ProjectStatus" in ws.catalog.kinds:
        for position, (name, status_type, color) in enumerate(PROJECT_STATUSES):
            ws.insert(ws.new_record("ProjectStatus", {
                "name": name, "type": status_type, "color": color, "position": float(position),
                "indefinite": status_type == "backlog",
            }))
    if "CustomerStatus" in ws.catalog.kinds:
        for position, (name, status_type, color) in enumerate(CUSTOMER_STATUSES):
            ws.insert(ws.new_record("CustomerStatus", {
                "name": name, "displayName": name, "type": status_type, "color": color,
                "position": float(position),
            }))
    ws.commit()


def seed_content(ws: Workspace, rnd: random.Random, issues: int = 12) -> None:
    """Labels, a project, issues with comments and relations, and a document, in the
    workspace's first team (created if missing)."""
    fake = faker_for(rnd)
    teams = ws.list("Team")
    team = teams[0] if teams else ws.create("Team", name="Engineering", key="ENG")
    labels = [ws.create("IssueLabel", name=name, color=color) for name, color in _LABELS]
    project = ws.create("Project", name=f"{fake.word().capitalize()} launch",
                        teamIds=[team.id], description=fake.sentence())
    states = ws.team_states(team.id)
    users = ws.all("User")
    created = []
    for n in range(issues):
        title = f"{rnd.choice(_VERBS)} {rnd.choice(_THINGS)}"
        state = rnd.choice(states[:4])
        issue = ws.create(
            "Issue", teamId=team.id, title=title, description=fake.paragraph(nb_sentences=3),
            priority=rnd.randint(0, 4), stateId=state.id,
            labelIds=[rnd.choice(labels).id], assigneeId=rnd.choice(users).id if users else None,
            projectId=project.id if n % 3 == 0 else None,
        )
        created.append(issue)
        if n % 4 == 1:
            ws.create("Comment", issueId=issue.id, body=fake.sentence(nb_words=12))
    if len(created) >= 3:
        ws.create("IssueRelation", issueId=created[0].id, relatedIssueId=created[1].id, type="blocks")
        ws.create("IssueRelation", issueId=created[2].id, relatedIssueId=created[0].id, type="related")
    ws.create("Document", title=f"{project.name} plan",
              content="\n\n".join(fake.paragraphs(nb=3)), projectId=project.id)
