"""The GraphQL documents the client sends.

Field and argument names follow Linear's public schema exactly. Selections are spelled out
inline rather than as fragments so each document stands alone (and stays inside the fake's
schema subset). Every document is named: operation names show up in Linear's logs and in the
fake's journal.
"""

from __future__ import annotations

ISSUE_FIELDS = """
    id identifier title description priority url createdAt archivedAt trashed
    team { id }
    state { id name type }
    project { id }
    labels { nodes { id } }
"""
TEAM_FIELDS = "id name key archivedAt createdAt"
STATE_FIELDS = "id name type position team { id }"
PROJECT_FIELDS = "id name archivedAt trashed createdAt teams { nodes { id } }"
DOCUMENT_FIELDS = "id title content archivedAt trashed createdAt project { id }"
LABEL_FIELDS = "id name color archivedAt createdAt team { id }"
COMMENT_FIELDS = "id body createdAt issue { id }"
RELATION_FIELDS = "id type issue { id } relatedIssue { id }"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"

VIEWER = """
query Viewer {
  viewer { id name email organization { id name } }
}
"""

TEAM_CREATE = f"""
mutation TeamCreate($input: TeamCreateInput!) {{
  teamCreate(input: $input) {{ success team {{ {TEAM_FIELDS} }} }}
}}
"""

TEAM = f"""
query Team($id: String!) {{
  team(id: $id) {{ {TEAM_FIELDS} }}
}}
"""

TEAMS = f"""
query Teams($first: Int, $after: String, $includeArchived: Boolean, $filter: TeamFilter) {{
  teams(first: $first, after: $after, includeArchived: $includeArchived, filter: $filter) {{
    nodes {{ {TEAM_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

TEAM_DELETE = """
mutation TeamDelete($id: String!) {
  teamDelete(id: $id) { success entityId }
}
"""

WORKFLOW_STATES = f"""
query WorkflowStates($filter: WorkflowStateFilter, $first: Int, $after: String) {{
  workflowStates(filter: $filter, first: $first, after: $after) {{
    nodes {{ {STATE_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

ISSUE_CREATE = f"""
mutation IssueCreate($input: IssueCreateInput!) {{
  issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }}
}}
"""

ISSUE = f"""
query Issue($id: String!) {{
  issue(id: $id) {{ {ISSUE_FIELDS} }}
}}
"""

ISSUES = f"""
query Issues($filter: IssueFilter, $first: Int, $after: String, $includeArchived: Boolean) {{
  issues(filter: $filter, first: $first, after: $after, includeArchived: $includeArchived) {{
    nodes {{ {ISSUE_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

ISSUE_UPDATE = f"""
mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) {{
  issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }}
}}
"""

ISSUE_ARCHIVE = """
mutation IssueArchive($id: String!) {
  issueArchive(id: $id) { success }
}
"""

ISSUE_UNARCHIVE = """
mutation IssueUnarchive($id: String!) {
  issueUnarchive(id: $id) { success }
}
"""

ISSUE_DELETE = """
mutation IssueDelete($id: String!, $permanentlyDelete: Boolean) {
  issueDelete(id: $id, permanentlyDelete: $permanentlyDelete) { success }
}
"""

SEARCH_ISSUES = f"""
query SearchIssues($term: String!, $teamId: String, $includeArchived: Boolean, $first: Int) {{
  searchIssues(term: $term, teamId: $teamId, includeArchived: $includeArchived, first: $first) {{
    nodes {{ {ISSUE_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

PROJECT_CREATE = f"""
mutation ProjectCreate($input: ProjectCreateInput!) {{
  projectCreate(input: $input) {{ success project {{ {PROJECT_FIELDS} }} }}
}}
"""

PROJECT = f"""
query Project($id: String!) {{
  project(id: $id) {{ {PROJECT_FIELDS} }}
}}
"""

PROJECTS = f"""
query Projects($filter: ProjectFilter, $first: Int, $after: String, $includeArchived: Boolean) {{
  projects(filter: $filter, first: $first, after: $after, includeArchived: $includeArchived) {{
    nodes {{ {PROJECT_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

PROJECT_DELETE = """
mutation ProjectDelete($id: String!) {
  projectDelete(id: $id) { success }
}
"""

PROJECT_UNARCHIVE = """
mutation ProjectUnarchive($id: String!) {
  projectUnarchive(id: $id) { success }
}
"""

DOCUMENT_CREATE = f"""
mutation DocumentCreate($input: DocumentCreateInput!) {{
  documentCreate(input: $input) {{ success document {{ {DOCUMENT_FIELDS} }} }}
}}
"""

DOCUMENT = f"""
query Document($id: String!) {{
  document(id: $id) {{ {DOCUMENT_FIELDS} }}
}}
"""

DOCUMENTS = f"""
query Documents($filter: DocumentFilter, $first: Int, $after: String, $includeArchived: Boolean) {{
  documents(filter: $filter, first: $first, after: $after, includeArchived: $includeArchived) {{
    nodes {{ {DOCUMENT_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

DOCUMENT_DELETE = """
mutation DocumentDelete($id: String!) {
  documentDelete(id: $id) { success }
}
"""

LABEL_CREATE = f"""
mutation IssueLabelCreate($input: IssueLabelCreateInput!) {{
  issueLabelCreate(input: $input) {{ success issueLabel {{ {LABEL_FIELDS} }} }}
}}
"""

LABELS = f"""
query IssueLabels($filter: IssueLabelFilter, $first: Int, $after: String, $includeArchived: Boolean) {{
  issueLabels(filter: $filter, first: $first, after: $after, includeArchived: $includeArchived) {{
    nodes {{ {LABEL_FIELDS} }}
    {PAGE_INFO}
  }}
}}
"""

LABEL_DELETE = """
mutation IssueLabelDelete($id: String!) {
  issueLabelDelete(id: $id) { success }
}
"""

COMMENT_CREATE = f"""
mutation CommentCreate($input: CommentCreateInput!) {{
  commentCreate(input: $input) {{ success comment {{ {COMMENT_FIELDS} }} }}
}}
"""

COMMENT_DELETE = """
mutation CommentDelete($id: String!) {
  commentDelete(id: $id) { success }
}
"""

RELATION_CREATE = f"""
mutation IssueRelationCreate($input: IssueRelationCreateInput!) {{
  issueRelationCreate(input: $input) {{ success issueRelation {{ {RELATION_FIELDS} }} }}
}}
"""

RELATION_DELETE = """
mutation IssueRelationDelete($id: String!) {
  issueRelationDelete(id: $id) { success }
}
"""
