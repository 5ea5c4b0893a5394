"""Developer tool: regenerate ``schema.graphql`` as a strict subset of Linear's public SDL.

Run ``python -m fakelinear.api.subset [path/to/linear/schema.graphql]``. It keeps only the
types and fields listed in :data:`SPEC` (names and types taken from Linear's schema, so they
cannot drift), drops every description and directive, and writes our SDL next to this
file. Not used at runtime; the conformance test checks the output independently.
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
)

_CONN = ("after", "before", "first", "last", "includeArchived", "orderBy", "filter")
_TS = ["id", "createdAt", "updatedAt", "archivedAt"]

# type -> fields to keep (None: every value/field; for enums and scalars).
SPEC: dict[str, list[str] | None] = {
    "Query": [
        "viewer", "organization", "users", "user", "teams", "team", "issues", "issue",
        "searchIssues", "projects", "project", "documents", "document", "issueLabels",
        "issueLabel", "comments", "comment", "issueRelation", "issueRelations",
        "workflowStates", "workflowState",
    ],
    "Mutation": [
        "teamCreate", "teamUpdate", "teamDelete", "teamUnarchive",
        "issueCreate", "issueUpdate", "issueArchive", "issueUnarchive", "issueDelete",
        "issueBatchCreate",
        "projectCreate", "projectUpdate", "projectDelete", "projectUnarchive",
        "documentCreate", "documentUpdate", "documentDelete", "documentUnarchive",
        "issueLabelCreate", "issueLabelDelete", "commentCreate", "commentDelete",
        "issueRelationCreate", "issueRelationDelete",
    ],
    "User": _TS + ["name", "displayName", "email", "active", "admin", "isMe", "url",
                   "organization", "assignedIssues"],
    "Organization": _TS + ["name", "urlKey", "userCount", "createdIssueCount", "users",
                           "teams"],
    "Team": _TS + ["name", "key", "description", "color", "icon", "private", "issueCount",
                   "organization", "issues", "states", "labels", "projects"],
    "WorkflowState": _TS + ["name", "type", "color", "position", "description", "team"],
    "Issue": _TS + ["identifier", "number", "title", "description", "priority",
                    "priorityLabel", "estimate", "url", "trashed", "sortOrder", "team",
                    "state", "labels", "labelIds", "project", "parent", "children",
                    "assignee", "creator", "comments", "relations", "inverseRelations"],
    "IssueSearchResult": _TS + ["identifier", "number", "title", "description", "priority",
                                "priorityLabel", "estimate", "url", "trashed", "sortOrder",
                                "team", "state", "labels", "labelIds", "project", "parent",
                                "assignee", "creator"],
    "Project": _TS + ["name", "description", "content", "color", "icon", "priority",
                      "priorityLabel", "url", "slugId", "trashed", "teams", "issues",
                      "documents", "lead", "creator"],
    "Document": _TS + ["title", "content", "icon", "color", "slugId", "url", "trashed",
                       "project", "team", "issue", "creator"],
    "IssueLabel": _TS + ["name", "color", "description", "isGroup", "team", "creator",
                         "organization", "issues"],
    "Comment": _TS + ["body", "url", "issue", "issueId", "user", "parent", "parentId"],
    "IssueRelation": _TS + ["type", "issue", "relatedIssue"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    # payloads
    "TeamPayload": ["success", "lastSyncId", "team"],
    "TeamArchivePayload": ["success", "lastSyncId", "entity"],
    "DeletePayload": ["success", "lastSyncId", "entityId"],
    "IssuePayload": ["success", "lastSyncId", "issue"],
    "IssueArchivePayload": ["success", "lastSyncId", "entity"],
    "IssueBatchPayload": ["success", "lastSyncId", "issues"],
    "ProjectPayload": ["success", "lastSyncId", "project"],
    "ProjectArchivePayload": ["success", "lastSyncId", "entity"],
    "DocumentPayload": ["success", "lastSyncId", "document"],
    "DocumentArchivePayload": ["success", "lastSyncId", "entity"],
    "IssueLabelPayload": ["success", "lastSyncId", "issueLabel"],
    "CommentPayload": ["success", "lastSyncId", "comment"],
    "IssueRelationPayload": ["success", "lastSyncId", "issueRelation"],
    "IssueSearchPayload": ["nodes", "edges", "pageInfo", "totalCount"],
    # inputs
    "TeamCreateInput": ["id", "name", "key", "description", "color", "icon", "private"],
    "TeamUpdateInput": ["name", "key", "description", "color", "icon", "private"],
    "IssueCreateInput": ["id", "teamId", "title", "description", "priority", "stateId",
                         "labelIds", "projectId", "parentId", "assigneeId", "estimate",
                         "sortOrder"],
    "IssueUpdateInput": ["title", "description", "priority", "stateId", "labelIds",
                         "addedLabelIds", "removedLabelIds", "projectId", "parentId",
                         "assigneeId", "estimate", "teamId", "trashed", "sortOrder"],
    "IssueBatchCreateInput": ["issues"],
    "ProjectCreateInput": ["id", "name", "teamIds", "description", "content", "color", "icon",
                           "priority", "leadId"],
    "ProjectUpdateInput": ["name", "teamIds", "description", "content", "color", "icon",
                           "priority", "leadId", "trashed"],
    "DocumentCreateInput": ["id", "title", "content", "icon", "color", "projectId", "teamId",
                            "issueId"],
    "DocumentUpdateInput": ["title", "content", "icon", "color", "projectId", "teamId",
                            "issueId", "trashed"],
    "IssueLabelCreateInput": ["id", "name", "color", "description", "teamId"],
    "CommentCreateInput": ["id", "body", "issueId", "parentId"],
    "IssueRelationCreateInput": ["id", "issueId", "relatedIssueId", "type"],
    # filters
    "IDComparator": ["eq", "neq", "in", "nin"],
    "IssueIDComparator": ["eq", "neq", "in", "nin"],
    "StringComparator": ["eq", "neq", "in", "nin", "eqIgnoreCase", "neqIgnoreCase",
                         "contains", "notContains", "containsIgnoreCase",
                         "notContainsIgnoreCase", "startsWith", "notStartsWith",
                         "startsWithIgnoreCase", "endsWith", "notEndsWith"],
    "NullableStringComparator": ["eq", "neq", "in", "nin", "eqIgnoreCase", "neqIgnoreCase",
                                 "contains", "notContains", "containsIgnoreCase",
                                 "notContainsIgnoreCase", "startsWith", "notStartsWith",
                                 "startsWithIgnoreCase", "endsWith", "notEndsWith", "null"],
    "NumberComparator": ["eq", "neq", "in", "nin", "lt", "lte", "gt", "gte"],
    "NullableNumberComparator": ["eq", "neq", "in", "nin", "lt", "lte", "gt", "gte", "null"],
    "DateComparator": ["eq", "neq", "lt", "lte", "gt", "gte"],
    "NullableDateComparator": ["eq", "neq", "lt", "lte", "gt", "gte", "null"],
    "IssueFilter": ["id", "title", "description", "number", "priority", "team", "state",
                    "project", "parent", "assignee", "labels", "createdAt", "updatedAt",
                    "archivedAt", "and", "or"],
    "NullableIssueFilter": ["id", "title", "description", "number", "priority", "team",
                            "state", "project", "parent", "assignee", "labels", "createdAt",
                            "updatedAt", "archivedAt", "null", "and", "or"],
    "IssueLabelCollectionFilter": ["id", "name", "some", "every", "null", "and", "or"],
    "TeamFilter": ["id", "key", "name", "description", "createdAt", "updatedAt", "and", "or"],
    "NullableTeamFilter": ["id", "key", "name", "description", "createdAt", "updatedAt",
                           "null", "and", "or"],
    "WorkflowStateFilter": ["id", "name", "type", "team", "createdAt", "updatedAt", "and",
                            "or"],
    "ProjectFilter": ["id", "name", "slugId", "createdAt", "updatedAt", "and", "or"],
    "NullableProjectFilter": ["id", "name", "slugId", "createdAt", "updatedAt", "null", "and",
                              "or"],
    "DocumentFilter": ["id", "title", "slugId", "project", "team", "createdAt", "updatedAt",
                       "and", "or"],
    "IssueLabelFilter": ["id", "name", "team", "createdAt", "updatedAt", "and", "or"],
    "CommentFilter": ["id", "body", "issue", "createdAt", "updatedAt", "and", "or"],
    "UserFilter": ["id", "name", "displayName", "email", "isMe", "createdAt", "updatedAt",
                   "and", "or"],
    "NullableUserFilter": ["id", "name", "displayName", "email", "isMe", "createdAt",
                           "updatedAt", "null", "and", "or"],
    "BooleanComparator": ["eq", "neq"],
    # enums and scalars
    "PaginationOrderBy": None,
    "IssueRelationType": None,
    "DateTime": None,
    "DateTimeOrDuration": None,
}

for _name in ("User", "Team", "Issue", "Project", "Document", "IssueLabel", "Comment",
              "IssueRelation", "WorkflowState"):
    SPEC[f"{_name}Connection"] = ["nodes", "edges", "pageInfo"]
    SPEC[f"{_name}Edge"] = ["node", "cursor"]
SPEC["IssueSearchResultEdge"] = ["node", "cursor"]


def render(linear: str | GraphQLSchema) -> str:
    """Our SDL text from Linear's SDL text (or built schema) and :data:`SPEC`."""
    schema = linear if isinstance(linear, GraphQLSchema) else build_schema(linear, assume_valid=True)
    out: list[str] = []
    for name, keep in SPEC.items():
        gtype = schema.get_type(name)
        if gtype is None:
            raise SystemExit(f"{name} is not in Linear's schema")
        if isinstance(gtype, GraphQLScalarType):
            out.append(f"scalar {name}")
        elif isinstance(gtype, GraphQLEnumType):
            values = "\n".join(f"  {v}" for v in gtype.values)
            out.append(f"enum {name} {{\n{values}\n}}")
        elif isinstance(gtype, GraphQLInputObjectType):
            lines = []
            for fname in keep or list(gtype.fields):
                lines.append(f"  {fname}: {_checked(gtype.fields[fname].type, name, fname)}")
            out.append(f"input {name} {{\n" + "\n".join(lines) + "\n}")
        elif isinstance(gtype, GraphQLObjectType):
            lines = []
            for fname in keep or list(gtype.fields):
                field = gtype.fields[fname]
                args = []
                for aname, arg in field.args.items():
                    if get_named_type(arg.type).name in SPEC or _builtin(arg.type):
                        args.append(f"{aname}: {arg.type}")
                    elif isinstance(arg.type, GraphQLNonNull):
                        raise SystemExit(f"{name}.{fname}({aname}) is required but not kept")
                sig = f"({', '.join(args)})" if args else ""
                lines.append(f"  {fname}{sig}: {_checked(field.type, name, fname)}")
            out.append(f"type {name} {{\n" + "\n".join(lines) + "\n}")
    return "\n\n".join(out) + "\n"


def _builtin(gtype: object) -> bool:
    return get_named_type(gtype).name in {"String", "Int", "Float", "Boolean", "ID"}  # type: ignore[arg-type]


def _checked(gtype: object, owner: str, field: str) -> str:
    if not _builtin(gtype) and get_named_type(gtype).name not in SPEC:  # type: ignore[arg-type]
        raise SystemExit(f"{owner}.{field} has type {gtype} which is not kept")
    return str(gtype)


def main(argv: list[str] | None = None) -> None:
    """Write ``schema.graphql`` next to this module."""
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else Path(__file__).parents[3] / "shared/linear/schema.graphql"
    target = Path(__file__).with_name("schema.graphql")
    target.write_text(render(source.read_text()))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
