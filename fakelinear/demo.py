"""Interim demo: the fake on loopback and a short scripted session against it.

    python -m fakelinear.demo [--profile calm] [--seed 7] [--keep-serving]

Starts the server with 3 workspaces, prints their tokens masked plus one full token (for
local use with curl), then creates a team and issues, searches, deletes one and lists what
is left, with plain httpx, printing what happened.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Any

import httpx

from fakelinear.handler import FakeLinear, mask_token
from fakelinear.transports.server import ServerThread

TEAM_CREATE = "mutation TeamCreate($i: TeamCreateInput!) { teamCreate(input: $i) { success team { id key name } } }"
ISSUE_CREATE = (
    "mutation IssueCreate($i: IssueCreateInput!) {"
    " issueCreate(input: $i) { success issue { id identifier title state { name } } } }"
)
SEARCH = (
    "query Search($t: String!, $team: String) {"
    " searchIssues(term: $t, teamId: $team) { totalCount nodes { identifier title } } }"
)
DELETE = "mutation IssueDelete($id: String!) { issueDelete(id: $id) { success entity { identifier trashed } } }"
LIST = (
    "query Issues($f: IssueFilter) {"
    " issues(filter: $f, first: 50) { nodes { identifier title state { name } } } }"
)


def _gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    try:
        body = response.json()
    except ValueError:  # a gateway fault (F3) answers with HTML, not JSON
        raise RuntimeError(f"HTTP {response.status_code}: not a JSON body") from None
    if response.status_code != 200 or body.get("errors"):
        error = (body.get("errors") or [{}])[0]
        raise RuntimeError(f"HTTP {response.status_code}: {error.get('message')}")
    return body["data"]


def run_session(base_url: str, token: str, out: Any = sys.stdout) -> None:
    """The scripted session (create a team, issues, search, delete, list)."""

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    with httpx.Client(base_url=base_url, headers={"Authorization": token}, timeout=10) as client:
        viewer = _gql(client, "{ viewer { name email } organization { name } }")
        say(f"  viewer: {viewer['viewer']['name']} <{viewer['viewer']['email']}> in {viewer['organization']['name']!r}")
        team = _gql(client, TEAM_CREATE, {"i": {"name": "Demo", "key": "DEMO"}})["teamCreate"]["team"]
        say(f"  created team {team['key']} ({team['name']})")
        titles = ["Checkout times out on slow networks", "Login page typo", "Crash when exporting CSV"]
        created = []
        for title in titles:
            issue = _gql(client, ISSUE_CREATE, {"i": {"teamId": team["id"], "title": title}})["issueCreate"]["issue"]
            created.append(issue)
            say(f"  created {issue['identifier']}: {issue['title']} [{issue['state']['name']}]")
        found = _gql(client, SEARCH, {"t": "crash", "team": team["id"]})["searchIssues"]
        say(f"  search 'crash': {found['totalCount']:.0f} hit(s): " + ", ".join(n["identifier"] for n in found["nodes"]))
        gone = _gql(client, DELETE, {"id": created[1]["id"]})["issueDelete"]["entity"]
        say(f"  deleted {gone['identifier']} (trashed={gone['trashed']})")
        left = _gql(client, LIST, {"f": {"team": {"id": {"eq": team["id"]}}}})["issues"]["nodes"]
        say("  left in DEMO: " + ", ".join(f"{n['identifier']} {n['title']!r}" for n in left))
        journal = client.get("/_fake/journal").json()["entries"]
        say(f"  the fake's journal has {len(journal)} entries; last: "
            f"{journal[-1]['operation_name']} -> {journal[-1]['status']} ({journal[-1]['decision']})")


def main(argv: list[str] | None = None) -> int:
    """Start the server, print tokens, run the session."""
    parser = argparse.ArgumentParser(prog="python -m fakelinear.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="calm")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-serving", action="store_true", help="keep the server up until Ctrl-C")
    args = parser.parse_args(argv)
    fake = FakeLinear(seed=args.seed, profile=args.profile, workspaces=3, plan="unlimited")
    with ServerThread(fake) as server:
        print(f"fakelinear serving at {server.base_url} (GraphQL at {server.graphql_url})")
        for ws, token in zip(fake.workspaces(), fake.tokens, strict=True):
            print(f"  workspace {ws['index']} {ws['name']!r}: token {mask_token(token)}")
        print(f"  full token of workspace 0, for local use only: {fake.tokens[0]}")
        print("session (plain httpx):")
        try:
            run_session(server.base_url, fake.tokens[0])
        except (RuntimeError, httpx.HTTPError) as exc:
            print(f"  the fake answered with an error: {exc}")
            return 1
        if args.keep_serving:
            print("serving until Ctrl-C ...")
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
