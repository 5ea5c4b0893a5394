"""Resolvers: GraphQL fields over the model. No faults here; visibility is asked, not decided.

Attribute fields resolve mechanically (``fieldName`` -> ``field_name``, see
:func:`default_resolver`); this module holds roots, mutations and relation fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from fakelinear.api.budget import RequestBudget
from fakelinear.api.connections import check_page_args, order, paginate
from fakelinear.api.filters import matches
from fakelinear.api.visibility import Visibility
from fakelinear.model.errors import InvalidInput, NotFound
from fakelinear.model.workspace import Workspace

PRIORITY_LABELS = ("No priority", "Urgent", "High", "Normal", "Low")
_SNAKE_RE = re.compile(r"(?<!^)(?=[A-Z])")
_snake_cache: dict[str, str] = {}


def snake(name: str) -> str:
    """``labelIds`` -> ``label_ids`` (cached: called for every resolved field)."""
    out = _snake_cache.get(name)
    if out is None:
        out = _snake_cache[name] = _SNAKE_RE.sub("_", name).lower()
    return out


@dataclass(slots=True)
class Ctx:
    """Per-request execution context."""

    workspace: Workspace
    visibility: Visibility
    extra: dict[str, Any] = field(default_factory=dict)
    budget: RequestBudget | None = None


def default_resolver(source: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
    """Dicts by key, model objects by snake_case attribute."""
    if isinstance(source, dict):
        return source.get(info.field_name)
    return getattr(source, snake(info.field_name), None)


def _ctx(info: GraphQLResolveInfo) -> Ctx:
    return info.context  # type: ignore[no-any-return]


def _snake_input(data: dict[str, Any] | None) -> dict[str, Any]:
    return {snake(k): v for k, v in (data or {}).items()}


# ---------------------------------------------------------------------- lists
def _connection(
    ctx: Ctx,
    kind: str,
    items: list[Any],
    args: dict[str, Any],
    purpose: str = "list",
) -> dict[str, Any]:
    check_page_args(args.get("first"), args.get("last"))
    ws = ctx.workspace
    out = _visible(ctx, kind, items, args, purpose)
    page = paginate(
        order(out, args.get("orderBy")), first=args.get("first"), after=args.get("after"),
        last=args.get("last"), before=args.get("before"), order_by=args.get("orderBy"),
        lookup=ws.find, ordered=True,
    )
    if ctx.budget is not None:
        ctx.budget.charge(len(page["nodes"]))
    return page


def _visible(ctx: Ctx, kind: str, items: list[Any], args: dict[str, Any], purpose: str) -> list[Any]:
    """Items passing includeArchived, the visibility policy and the filter."""
    ws = ctx.workspace
    include_archived = bool(args.get("includeArchived"))
    vis = ctx.visibility
    flt = args.get("filter")
    return [
        e for e in items
        if (include_archived or not ws.is_archived(e))
        and vis.visible(e, purpose)  # type: ignore[arg-type]
        and (not flt or matches(ws, kind, e, flt))
    ]


def _root_list(kind: str) -> Callable[..., Any]:
    def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        ctx = _ctx(info)
        return _connection(ctx, kind, ctx.workspace.all(kind), args)

    return resolve


def _read(ctx: Ctx, entity: Any) -> Any:
    if not ctx.visibility.visible(entity, "read"):
        raise NotFound(entity.kind)
    return entity


def _root_get(kind: str, getter: Callable[[Workspace, str], Any] | None = None) -> Callable[..., Any]:
    def resolve(_root: Any, info: GraphQLResolveInfo, id: str | None = None, **_: Any) -> Any:  # noqa: A002
        if id is None:  # comment(id) is optional in Linear's schema (comment(hash) instead)
            raise NotFound(kind)
        ctx = _ctx(info)
        ws = ctx.workspace
        entity = getter(ws, id) if getter else ws.get(kind, id)
        return _read(ctx, entity)

    return resolve


def resolve_viewer(_root: Any, info: GraphQLResolveInfo) -> Any:
    """The API key's user."""
    return _ctx(info).workspace.viewer


def resolve_organization(_root: Any, info: GraphQLResolveInfo) -> Any:
    """The workspace's organization."""
    return _ctx(info).workspace.organization


def resolve_search_issues(_root: Any, info: GraphQLResolveInfo, term: str, **args: Any) -> Any:
    """searchIssues: every word of ``term`` in identifier, title or description (or comment
    bodies with includeComments), optional teamId; visibility purpose ``search``."""
    ctx = _ctx(info)
    ws = ctx.workspace
    check_page_args(args.get("first"), args.get("last"))
    words = term.lower().split()
    team_id = args.get("teamId")
    if team_id is not None:
        team_id = ws.team(team_id).id
    comments: dict[str, list[str]] = {}
    if args.get("includeComments"):
        for comment in ws.all("Comment"):
            if comment.issue_id:
                comments.setdefault(comment.issue_id, []).append(comment.body.lower())
    hits = []
    for issue in ws.all("Issue"):
        if team_id is not None and issue.team_id != team_id:
            continue
        text = f"{issue.identifier} {issue.title} {issue.description or ''}".lower()
        extra = comments.get(issue.id, ())
        if all(w in text or any(w in c for c in extra) for w in words):
            hits.append(issue)
    visible = _visible(ctx, "Issue", hits, args, "search")
    conn = paginate(
        order(visible, args.get("orderBy")), first=args.get("first"), after=args.get("after"),
        last=args.get("last"), before=args.get("before"), order_by=args.get("orderBy"),
        lookup=ws.find, ordered=True,
    )
    if ctx.budget is not None:
        ctx.budget.charge(len(conn["nodes"]))
    conn["totalCount"] = float(len(visible))
    return conn


# ---------------------------------------------------------------------- mutations
def _payload(ws: Workspace, key: str, value: Any) -> dict[str, Any]:
    return {"success": True, "lastSyncId": float(ws.last_sync_id), key: value}


def _need(value: Any, name: str) -> Any:
    if value is None:
        raise InvalidInput(f"{name} is required")
    return value


def m_team_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any], **_: Any) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    data = _snake_input(input)
    team = ws.create_team(data.pop("name"), data.pop("key", None), **data)
    return _payload(ws, "team", team)


def m_team_update(_root: Any, info: GraphQLResolveInfo, id: str, input: dict[str, Any], **_: Any) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "team", ws.update_team(id, _snake_input(input)))


def m_team_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entityId", ws.delete_team(id).id)


def m_team_unarchive(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.unarchive_team(id))


def m_issue_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "issue", ws.create_issue(**_snake_input(input)))


def m_issue_batch_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    issues = ws.create_issues([_snake_input(i) for i in input["issues"]])
    return _payload(ws, "issues", issues)


def m_issue_update(_root: Any, info: GraphQLResolveInfo, id: str, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "issue", ws.update_issue(id, _snake_input(input)))


def m_issue_archive(_root: Any, info: GraphQLResolveInfo, id: str, trash: bool | None = None) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.archive_issue(id, trash=bool(trash)))


def m_issue_unarchive(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.unarchive_issue(id))


def m_issue_delete(
    _root: Any, info: GraphQLResolveInfo, id: str, permanentlyDelete: bool | None = None  # noqa: A002, N803
) -> Any:
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.delete_issue(id, permanently=bool(permanentlyDelete)))


def m_project_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any], **_: Any) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    data = _snake_input(input)
    project = ws.create_project(data.pop("name"), data.pop("team_ids"), **data)
    return _payload(ws, "project", project)


def m_project_update(_root: Any, info: GraphQLResolveInfo, id: str, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "project", ws.update_project(id, _snake_input(input)))


def m_project_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.delete_project(id))


def m_project_unarchive(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.unarchive_project(id))


def m_document_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    data = _snake_input(input)
    return _payload(ws, "document", ws.create_document(data.pop("title"), **data))


def m_document_update(_root: Any, info: GraphQLResolveInfo, id: str, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "document", ws.update_document(id, _snake_input(input)))


def m_document_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.delete_document(id))


def m_document_unarchive(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entity", ws.unarchive_document(id))


def m_label_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any], **_: Any) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    data = _snake_input(input)
    return _payload(ws, "issueLabel", ws.create_label(data.pop("name"), **data))


def m_label_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entityId", ws.delete_label(id))


def m_comment_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    data = _snake_input(input)
    comment = ws.create_comment(
        data.get("issue_id"), _need(data.get("body"), "body"), id=data.get("id"),
        parent_id=data.get("parent_id"),
    )
    return _payload(ws, "comment", comment)


def m_comment_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entityId", ws.delete_comment(id))


def m_relation_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any], **_: Any) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    data = _snake_input(input)
    relation = ws.create_relation(
        data["issue_id"], data["related_issue_id"], data["type"], id=data.get("id")
    )
    return _payload(ws, "issueRelation", relation)


def m_relation_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
    ws = _ctx(info).workspace
    return _payload(ws, "entityId", ws.delete_relation(id))


# ---------------------------------------------------------------------- relations
def _ref(kind: str, attr: str) -> Callable[..., Any]:
    def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
        ref = getattr(source, attr)
        return _ctx(info).workspace.store[kind].get(ref) if ref else None

    return resolve


def _ref_required(kind: str, attr: str) -> Callable[..., Any]:
    def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
        entity = _ctx(info).workspace.store[kind].get(getattr(source, attr))
        if entity is None:
            raise NotFound(kind)
        return entity

    return resolve


def _sub_list(kind: str, select: Callable[[Workspace, Any], list[Any]]) -> Callable[..., Any]:
    def resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        ctx = _ctx(info)
        return _connection(ctx, kind, select(ctx.workspace, source), args)

    return resolve


def _by(kind: str, attr: str) -> Callable[[Workspace, Any], list[Any]]:
    return lambda ws, src: [e for e in ws.store[kind].values() if getattr(e, attr) == src.id]


def _org(_source: Any, info: GraphQLResolveInfo) -> Any:
    return _ctx(info).workspace.organization


def _priority_label(source: Any, _info: GraphQLResolveInfo) -> str:
    return PRIORITY_LABELS[source.priority] if 0 <= source.priority < 5 else "No priority"


_ISSUE_FIELDS: dict[str, Callable[..., Any]] = {
    "priorityLabel": _priority_label,
    "team": _ref_required("Team", "team_id"),
    "state": _ref_required("WorkflowState", "state_id"),
    "labels": _sub_list("IssueLabel", lambda ws, src: [
        ws.store["IssueLabel"][i] for i in src.label_ids if i in ws.store["IssueLabel"]
    ]),
    "project": _ref("Project", "project_id"),
    "parent": _ref("Issue", "parent_id"),
    "children": _sub_list("Issue", _by("Issue", "parent_id")),
    "assignee": _ref("User", "assignee_id"),
    "creator": _ref("User", "creator_id"),
    "comments": _sub_list("Comment", _by("Comment", "issue_id")),
    "relations": _sub_list("IssueRelation", _by("IssueRelation", "issue_id")),
    "inverseRelations": _sub_list("IssueRelation", _by("IssueRelation", "related_issue_id")),
}

FIELD_RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {
        "viewer": resolve_viewer,
        "organization": resolve_organization,
        "users": _root_list("User"),
        "user": _root_get("User"),
        "teams": _root_list("Team"),
        "team": _root_get("Team", lambda ws, i: ws.team(i)),
        "issues": _root_list("Issue"),
        "issue": _root_get("Issue", lambda ws, i: ws.issue(i)),
        "searchIssues": resolve_search_issues,
        "projects": _root_list("Project"),
        "project": _root_get("Project"),
        "documents": _root_list("Document"),
        "document": _root_get("Document"),
        "issueLabels": _root_list("IssueLabel"),
        "issueLabel": _root_get("IssueLabel"),
        "comments": _root_list("Comment"),
        "comment": _root_get("Comment"),
        "issueRelation": _root_get("IssueRelation"),
        "issueRelations": _root_list("IssueRelation"),
        "workflowStates": _root_list("WorkflowState"),
        "workflowState": _root_get("WorkflowState"),
    },
    "Mutation": {
        "teamCreate": m_team_create,
        "teamUpdate": m_team_update,
        "teamDelete": m_team_delete,
        "teamUnarchive": m_team_unarchive,
        "issueCreate": m_issue_create,
        "issueUpdate": m_issue_update,
        "issueArchive": m_issue_archive,
        "issueUnarchive": m_issue_unarchive,
        "issueDelete": m_issue_delete,
        "issueBatchCreate": m_issue_batch_create,
        "projectCreate": m_project_create,
        "projectUpdate": m_project_update,
        "projectDelete": m_project_delete,
        "projectUnarchive": m_project_unarchive,
        "documentCreate": m_document_create,
        "documentUpdate": m_document_update,
        "documentDelete": m_document_delete,
        "documentUnarchive": m_document_unarchive,
        "issueLabelCreate": m_label_create,
        "issueLabelDelete": m_label_delete,
        "commentCreate": m_comment_create,
        "commentDelete": m_comment_delete,
        "issueRelationCreate": m_relation_create,
        "issueRelationDelete": m_relation_delete,
    },
    "User": {
        "isMe": lambda src, info: src.id == _ctx(info).workspace.viewer_id,
        "url": lambda src, info: (
            f"https://linear.app/{_ctx(info).workspace.url_key}/profiles/{src.display_name}"
        ),
        "organization": _org,
        "assignedIssues": _sub_list("Issue", _by("Issue", "assignee_id")),
    },
    "Organization": {
        "userCount": lambda src, info: len(_ctx(info).workspace.store["User"]),
        "createdIssueCount": lambda src, info: sum(
            t.issue_count for t in _ctx(info).workspace.store["Team"].values()
        ),
        "users": _sub_list("User", lambda ws, src: ws.all("User")),
        "teams": _sub_list("Team", lambda ws, src: ws.all("Team")),
    },
    "Team": {
        "issueCount": lambda src, info, includeArchived=None: sum(  # noqa: N803
            1 for i in _ctx(info).workspace.store["Issue"].values()
            if i.team_id == src.id and (includeArchived or i.archived_at is None)
        ),
        "organization": _org,
        "issues": _sub_list("Issue", _by("Issue", "team_id")),
        "states": _sub_list("WorkflowState", lambda ws, src: [
            ws.store["WorkflowState"][s] for s in src.state_ids
        ]),
        "labels": _sub_list("IssueLabel", lambda ws, src: [
            lb for lb in ws.store["IssueLabel"].values() if lb.team_id in (None, src.id)
        ]),
        "projects": _sub_list("Project", lambda ws, src: [
            p for p in ws.store["Project"].values() if src.id in p.team_ids
        ]),
    },
    "WorkflowState": {"team": _ref_required("Team", "team_id")},
    "Issue": _ISSUE_FIELDS,
    "IssueSearchResult": _ISSUE_FIELDS,
    "Project": {
        "priorityLabel": _priority_label,
        "teams": _sub_list("Team", lambda ws, src: [
            ws.store["Team"][t] for t in src.team_ids if t in ws.store["Team"]
        ]),
        "issues": _sub_list("Issue", _by("Issue", "project_id")),
        "documents": _sub_list("Document", _by("Document", "project_id")),
        "lead": _ref("User", "lead_id"),
        "creator": _ref("User", "creator_id"),
    },
    "Document": {
        "project": _ref("Project", "project_id"),
        "team": _ref("Team", "team_id"),
        "issue": _ref("Issue", "issue_id"),
        "creator": _ref("User", "creator_id"),
    },
    "IssueLabel": {
        "isGroup": lambda src, info: False,
        "team": _ref("Team", "team_id"),
        "creator": _ref("User", "creator_id"),
        "organization": _org,
        "issues": _sub_list("Issue", lambda ws, src: [
            i for i in ws.store["Issue"].values() if src.id in i.label_ids
        ]),
    },
    "Comment": {
        "issue": _ref("Issue", "issue_id"),
        "user": _ref("User", "user_id"),
        "parent": _ref("Comment", "parent_id"),
    },
    "IssueRelation": {
        "issue": _ref_required("Issue", "issue_id"),
        "relatedIssue": _ref_required("Issue", "related_issue_id"),
    },
}


def attach(schema: GraphQLSchema) -> None:
    """Install :data:`FIELD_RESOLVERS` on ``schema`` (once, at build time)."""
    for type_name, fields in FIELD_RESOLVERS.items():
        gtype = schema.type_map[type_name]
        for field_name, resolver in fields.items():
            gfield = gtype.fields.get(field_name)  # type: ignore[union-attr]
            if gfield is not None:  # shared maps (Issue/IssueSearchResult) may be wider
                gfield.resolve = resolver
