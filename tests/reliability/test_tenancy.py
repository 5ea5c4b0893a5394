"""Tenancy: no sequence of requests with key A reads or changes anything of workspace B.

Hypothesis draws sequences of reads, writes and references that aim at workspace B's ids
(issues, teams, states, labels, projects, documents, comments, relations, users), sent with
A's key through the handler seam. B's full snapshot must be identical before and after, no
response's ``data`` may carry one of B's ids, and every direct read of a B id must fail.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakelinear.handler import FakeLinear
from tests.reliability.conftest import gql

READS = {
    "Issue": "query Q($id: String!) { issue(id: $id) { id title team { id } } }",
    "Team": "query Q($id: String!) { team(id: $id) { id key } }",
    "Project": "query Q($id: String!) { project(id: $id) { id name } }",
    "Document": "query Q($id: String!) { document(id: $id) { id title } }",
    "IssueLabel": "query Q($id: String!) { issueLabel(id: $id) { id name } }",
    "Comment": "query Q($id: String) { comment(id: $id) { id body } }",
    "IssueRelation": "query Q($id: String!) { issueRelation(id: $id) { id type } }",
    "WorkflowState": "query Q($id: String!) { workflowState(id: $id) { id name } }",
    "User": "query Q($id: String!) { user(id: $id) { id email } }",
}

WRITES = {
    "issueUpdate": ("Issue", "mutation M($id: String!) { issueUpdate(id: $id, input: {title: \"pwned\"}) { success issue { id } } }"),
    "issueMove": ("Team", "mutation M($id: String!, $a: String!) { issueUpdate(id: $a, input: {teamId: $id}) { success issue { id } } }"),
    "issueArchive": ("Issue", "mutation M($id: String!) { issueArchive(id: $id) { success } }"),
    "issueUnarchive": ("Issue", "mutation M($id: String!) { issueUnarchive(id: $id) { success } }"),
    "issueDelete": ("Issue", "mutation M($id: String!) { issueDelete(id: $id, permanentlyDelete: true) { success } }"),
    "issueCreateInTeam": ("Team", "mutation M($id: String!) { issueCreate(input: {teamId: $id, title: \"x\"}) { success issue { id } } }"),
    "issueCreateWithId": ("Issue", "mutation M($id: String!, $t: String!) { issueCreate(input: {id: $id, teamId: $t, title: \"x\"}) { success issue { id } } }"),
    "issueCreateWithState": ("WorkflowState", "mutation M($id: String!, $t: String!) { issueCreate(input: {teamId: $t, title: \"x\", stateId: $id}) { success issue { id } } }"),
    "issueCreateWithLabel": ("IssueLabel", "mutation M($id: String!, $t: String!) { issueCreate(input: {teamId: $t, title: \"x\", labelIds: [$id]}) { success issue { id } } }"),
    "issueCreateWithParent": ("Issue", "mutation M($id: String!, $t: String!) { issueCreate(input: {teamId: $t, title: \"x\", parentId: $id}) { success issue { id } } }"),
    "issueCreateWithProject": ("Project", "mutation M($id: String!, $t: String!) { issueCreate(input: {teamId: $t, title: \"x\", projectId: $id}) { success issue { id } } }"),
    "issueCreateWithAssignee": ("User", "mutation M($id: String!, $t: String!) { issueCreate(input: {teamId: $t, title: \"x\", assigneeId: $id}) { success issue { id } } }"),
    "commentCreate": ("Issue", "mutation M($id: String!) { commentCreate(input: {issueId: $id, body: \"x\"}) { success } }"),
    "commentDelete": ("Comment", "mutation M($id: String!) { commentDelete(id: $id) { success } }"),
    "relationCreate": ("Issue", "mutation M($id: String!, $a: String!) { issueRelationCreate(input: {issueId: $a, relatedIssueId: $id, type: blocks}) { success } }"),
    "relationDelete": ("IssueRelation", "mutation M($id: String!) { issueRelationDelete(id: $id) { success } }"),
    "labelCreate": ("Team", "mutation M($id: String!) { issueLabelCreate(input: {name: \"x\", teamId: $id}) { success } }"),
    "labelDelete": ("IssueLabel", "mutation M($id: String!) { issueLabelDelete(id: $id) { success } }"),
    "projectCreate": ("Team", "mutation M($id: String!) { projectCreate(input: {name: \"x\", teamIds: [$id]}) { success } }"),
    "projectDelete": ("Project", "mutation M($id: String!) { projectDelete(id: $id) { success } }"),
    "projectUpdate": ("Project", "mutation M($id: String!) { projectUpdate(id: $id, input: {name: \"pwned\"}) { success } }"),
    "documentCreate": ("Project", "mutation M($id: String!) { documentCreate(input: {title: \"x\", projectId: $id}) { success } }"),
    "documentDelete": ("Document", "mutation M($id: String!) { documentDelete(id: $id) { success } }"),
    "documentUpdate": ("Document", "mutation M($id: String!) { documentUpdate(id: $id, input: {title: \"pwned\"}) { success } }"),
    "teamDelete": ("Team", "mutation M($id: String!) { teamDelete(id: $id) { success } }"),
    "teamUpdate": ("Team", "mutation M($id: String!) { teamUpdate(id: $id, input: {name: \"pwned\"}) { success } }"),
}

LISTS = [
    "{ issues(first: 250, includeArchived: true) { nodes { id team { id } } } }",
    "{ teams(first: 250, includeArchived: true) { nodes { id } } }",
    "{ projects(first: 250, includeArchived: true) { nodes { id } } }",
    "{ documents(first: 250, includeArchived: true) { nodes { id } } }",
    "{ issueLabels(first: 250, includeArchived: true) { nodes { id } } }",
    "{ comments(first: 250, includeArchived: true) { nodes { id } } }",
    "{ issueRelations(first: 250, includeArchived: true) { nodes { id } } }",
    "{ workflowStates(first: 250) { nodes { id } } }",
    "{ users(first: 250) { nodes { id } } }",
    '{ searchIssues(term: "a", includeArchived: true) { nodes { id } totalCount } }',
    "{ organization { id name } viewer { id organization { id } } }",
]


def _build() -> tuple[FakeLinear, str, str, dict[str, list[str]], str, str]:
    fake = FakeLinear(seed=21, workspaces=2, plan="unlimited", seed_content=True)
    a_token, b_token = fake.tokens
    b_ws = fake.workspace_for(b_token)
    b_ids = {kind: list(table) for kind, table in b_ws.store.items() if table}
    b_ids["Identifier"] = [i.identifier for i in b_ws.store["Issue"].values()]
    a_ws = fake.workspace_for(a_token)
    a_team = a_ws.team("ENG").id
    a_issue = next(iter(a_ws.store["Issue"].values())).id
    return fake, a_token, b_token, b_ids, a_team, a_issue


FAKE, A_TOKEN, B_TOKEN, B_IDS, A_TEAM, A_ISSUE = _build()
B_ALL = sorted({i for kind, ids in B_IDS.items() if kind != "Identifier" for i in ids} | {FAKE.workspace_for(B_TOKEN).id})


def _b_state() -> str:
    return json.dumps(FAKE.workspace_for(B_TOKEN).to_dict(), sort_keys=True, default=str)


STEP = st.one_of(
    st.tuples(st.just("read"), st.sampled_from(sorted(READS))),
    st.tuples(st.just("write"), st.sampled_from(sorted(WRITES))),
    st.tuples(st.just("list"), st.sampled_from(range(len(LISTS)))),
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=12), pick=st.randoms(use_true_random=False))
def test_key_a_never_reads_or_changes_workspace_b(steps: list[tuple[str, Any]], pick: Any) -> None:
    before = _b_state()
    for kind, what in steps:
        if kind == "read":
            entity = what
            target = pick.choice(B_IDS.get(entity) or B_ALL)
            if entity == "Issue" and B_IDS["Identifier"] and pick.random() < 0.3:
                target = pick.choice(B_IDS["Identifier"])  # B's identifiers resolve in A, if at all, to A's own issues
            _, body = gql(FAKE, A_TOKEN, READS[entity], {"id": target})
            data = body.get("data")
            if target in B_ALL:
                assert body.get("errors"), f"A read B's {entity} {target}: {body}"
            assert not any(b in json.dumps(data) for b in B_ALL), body
        elif kind == "write":
            entity, query = WRITES[what]
            target = pick.choice(B_IDS.get(entity) or B_ALL)
            variables = {"id": target, "a": A_ISSUE, "t": A_TEAM}
            used = {k: v for k, v in variables.items() if f"${k}" in query}
            _, body = gql(FAKE, A_TOKEN, query, used)
            assert body.get("errors"), f"A's {what} on B's {entity} {target} succeeded: {body}"
            assert body["errors"][0]["extensions"]["code"] == "INPUT_ERROR", body  # valid, refused
            assert not any(b in json.dumps(body.get("data")) for b in B_ALL), body
        else:
            _, body = gql(FAKE, A_TOKEN, LISTS[what])
            assert not any(b in json.dumps(body.get("data")) for b in B_ALL), (LISTS[what], body)
    assert _b_state() == before, f"workspace B changed after {steps}"


def test_every_b_id_reads_as_entity_not_found_with_key_a() -> None:
    for entity, query in READS.items():
        for target in B_IDS.get(entity, [])[:5]:
            _, body = gql(FAKE, A_TOKEN, query, {"id": target})
            assert body.get("data") is None or not any(b in json.dumps(body["data"]) for b in B_ALL)
            message = body["errors"][0]["message"]
            assert "not found" in message.lower(), (entity, body)
