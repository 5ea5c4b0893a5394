"""Hand-written resolvers: only where Linear derives a value or an operation is more than
the generic create/update/delete (DESIGN.md §3, tier 1). Everything here is looked up by
name and skipped when the schema has no such field, so a user's SDL still loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from fakelinear.api.catalog_builder import unwrap
from fakelinear.api.connections import ListSource, check_page_args, connection, paginate
from fakelinear.api.context import Ctx
from fakelinear.api.fields import Binder
from fakelinear.api.filters import parse_instant
from fakelinear.api.inputs import normalize
from fakelinear.api.operations import RootOperation
from fakelinear.api.roots import payload
from fakelinear.model.rules.webhook import new_secret
from fakelinear.model.text import slugify
from fakelinear.model.workspace import Workspace

Resolver = Callable[..., Any]
PRIORITY_LABELS = ("No priority", "Urgent", "High", "Normal", "Low")


def _ctx(info: GraphQLResolveInfo) -> Ctx:
    return info.context  # type: ignore[no-any-return]


def _ws(info: GraphQLResolveInfo) -> Workspace:
    return info.context.workspace  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- computed fields
def _priority_label(src: Any, _info: GraphQLResolveInfo, **_: Any) -> str:
    priority = src.get("priority") or 0
    return PRIORITY_LABELS[int(priority)] if 0 <= priority < 5 else "No priority"


def _branch_name(src: Any, info: GraphQLResolveInfo, **_: Any) -> str:
    user = _ws(info).viewer.get("displayName") or "user"
    return f"{user}/{str(src.get('identifier', '')).lower()}-{slugify(src.get('title') or '')}"[:80]


def _is_me(src: Any, info: GraphQLResolveInfo, **_: Any) -> bool:
    return bool(src.get("id") == _ws(info).viewer_id)


def _user_url(src: Any, info: GraphQLResolveInfo, **_: Any) -> str:
    return _ws(info).url("profiles", str(src.get("displayName") or ""))


def _issue_count(src: Any, info: GraphQLResolveInfo, includeArchived: bool | None = None, **_: Any) -> float:  # noqa: N803
    ws = _ws(info)
    index = ws.store.children("Issue", "teamId", src["id"])
    if index is None:
        return 0.0
    records = ws.store.records_of("Issue", index.forward())
    return float(sum(1 for i in records if includeArchived or i.get("archivedAt") is None))


def _org_user_count(_src: Any, info: GraphQLResolveInfo, **_: Any) -> float:
    return float(_ws(info).store.count("User"))


def _org_created_issue_count(_src: Any, info: GraphQLResolveInfo, **_: Any) -> float:
    return float(sum(t.get("_lastIssueNumber", 0) for t in _ws(info).all("Team")))


FIELD_OVERRIDES: dict[str, dict[str, Resolver]] = {
    "Issue": {"priorityLabel": _priority_label, "branchName": _branch_name},
    "IssueSearchResult": {"priorityLabel": _priority_label, "branchName": _branch_name},
    "Project": {"priorityLabel": _priority_label},
    "User": {"isMe": _is_me, "url": _user_url},
    "Team": {"issueCount": _issue_count},
    "Organization": {"userCount": _org_user_count, "createdIssueCount": _org_created_issue_count},
}


# ---------------------------------------------------------------------- queries
def _viewer(_root: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    return _ws(info).viewer


def _organization(_root: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    return _ws(info).organization


def _priority_values(_root: Any, _info: GraphQLResolveInfo, **_: Any) -> Any:
    return [{"priority": n, "label": label} for n, label in enumerate(PRIORITY_LABELS)]


def _search(kind: str, text_fields: tuple[str, ...], binder: Binder, filter_type: str | None) -> Resolver:
    """Every word of ``term`` in the identifier or text fields (or, with includeComments,
    a comment body); optional ``teamId``; visibility purpose ``search`` (F4's search lag)."""

    def resolve(_root: Any, info: GraphQLResolveInfo, term: str, **args: Any) -> Any:
        ctx = _ctx(info)
        ws = ctx.workspace
        check_page_args(args.get("first"), args.get("last"))
        words = term.lower().split()
        team_id = ws.team(args["teamId"])["id"] if args.get("teamId") is not None else None
        comments: dict[str, list[str]] = {}
        if args.get("includeComments"):
            key = kind[:1].lower() + kind[1:] + "Id"
            for comment in ws.all("Comment"):
                if comment.get(key):
                    comments.setdefault(comment[key], []).append(str(comment.get("body") or "").lower())
        hits = []
        for rec in ws.all(kind):
            if team_id is not None and rec.get("teamId") != team_id and team_id not in (rec.get("teamIds") or ()):
                continue
            text = " ".join(str(rec.get(f) or "") for f in text_fields).lower()
            extra = comments.get(rec["id"], ())
            if all(w in text or any(w in c for c in extra) for w in words):
                hits.append(rec)
        include_archived = bool(args.get("includeArchived"))
        flt = args.get("filter")
        visible = [
            r for r in hits
            if (include_archived or not ws.is_archived(r)) and ctx.visibility.visible(r, "search")
            and (not flt or binder.evaluator.matches(ws, r, flt, filter_type or "", ctx.now))
        ]
        page, page_info = paginate(ListSource(visible, args.get("orderBy")), args, lambda _r: True, ws.find)
        ctx.charge(len(page))
        out = connection(page, page_info)
        out["totalCount"] = float(len(visible))
        return out

    return resolve


# ---------------------------------------------------------------------- mutations
def _toggle_list(key: str, arg: str, add: bool, kind: str, op: RootOperation) -> Resolver:
    """``issueAddLabel(id, labelId)`` and friends: add or take an id off a reference list."""

    def resolve(_root: Any, info: GraphQLResolveInfo, id: str, **args: Any) -> Any:  # noqa: A002
        ws = _ws(info)
        rec = ws.get(kind, id)
        value = args.get(arg)
        if arg == "userId" and value is None:
            value = ws.viewer_id
        current = list(rec.get(key) or [])
        if add and value not in current:
            current.append(value)
        elif not add:
            current = [i for i in current if i != value]
        return payload(ws, op, ws.update(kind, rec["id"], {key: current}))

    return resolve


def _set_fields(kind: str, op: RootOperation, values: Callable[[Workspace, dict[str, Any]], dict[str, Any]]) -> Resolver:
    def resolve(_root: Any, info: GraphQLResolveInfo, id: str, **args: Any) -> Any:  # noqa: A002
        ws = _ws(info)
        return payload(ws, op, ws.update(kind, id, values(ws, args)))

    return resolve


def _attachment_link(op: RootOperation, source: str) -> Resolver:
    """``attachmentLinkURL`` and its per-source siblings: an attachment on the issue with
    the link (the source-specific ids are kept as metadata)."""

    def resolve(_root: Any, info: GraphQLResolveInfo, issueId: str, **args: Any) -> Any:  # noqa: N803
        ws = _ws(info)
        url = args.get("url") or f"https://{source.lower()}.example/{args.get('id') or ws.new_id()}"
        extra = {k: v for k, v in args.items() if k not in ("id", "url", "title", "createAsUser")}
        data = {"issueId": issueId, "url": url, "title": args.get("title") or url,
                "sourceType": source.lower(), "metadata": extra}
        if args.get("id") is not None:
            data["id"] = args["id"]
        return payload(ws, op, ws.create("Attachment", data))

    return resolve


def _archived(kind: str) -> Resolver:
    def resolve(_root: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
        return [r for r in _ws(info).all(kind) if r.get("archivedAt") is not None]

    return resolve


def _issue_by_branch(_root: Any, info: GraphQLResolveInfo, branchName: str, **_: Any) -> Any:  # noqa: N803
    """The issue whose identifier a branch name carries (``alice/eng-12-fix-login``)."""
    ws = _ws(info)
    for match in re.finditer(r"([A-Za-z0-9]{1,5})-(\d+)", branchName):
        rec = ws.store.get("Issue", ws.alias("Issue", match.group(0)))
        if rec is not None and ctx_visible(info, rec):
            return rec
    return None


def ctx_visible(info: GraphQLResolveInfo, rec: Any) -> bool:
    """Whether the request's visibility policy (lag) lets it read ``rec``."""
    return bool(_ctx(info).visibility.visible(rec, "read"))


def _batch_update(kind: str, op: RootOperation, input_type: Any) -> Resolver:
    """``issueBatchUpdate(ids, input)``: one update to several records, all or nothing."""

    def resolve(_root: Any, info: GraphQLResolveInfo, ids: list[str], input: dict[str, Any], **_: Any) -> Any:  # noqa: A002
        ws = _ws(info)
        records = ws.update_many(kind, list(ids), normalize(input, input_type, ws.now()))
        return payload(ws, op, records)

    return resolve


def _webhook_rotate_secret(_root: Any, info: GraphQLResolveInfo, id: str, **_: Any) -> Any:  # noqa: A002
    """A new signing secret for the webhook (the old one stops signing at once)."""
    ws = _ws(info)
    rec = ws.get("Webhook", id)  # NotFound before a secret is drawn
    rec = ws.update("Webhook", rec["id"], {"secret": new_secret(ws)})
    return {"success": True, "lastSyncId": float(ws.last_sync_id), "secret": rec["secret"]}


_BATCH_UPDATE = re.compile(r"^(?P<base>\w+?)BatchUpdate$")
_ADD_REMOVE = re.compile(r"^(?P<base>\w+?)(?P<verb>Add|Remove)Label$")
_SUBSCRIBE = re.compile(r"^(?P<base>\w+?)(?P<verb>Subscribe|Unsubscribe)$")
_RETIRE = re.compile(r"^(?P<base>\w+?Label)(?P<verb>Retire|Restore)$")


def root_overrides(schema: GraphQLSchema, binder: Binder,
                   operations: dict[str, RootOperation]) -> dict[str, dict[str, Resolver]]:
    """Hand-written root resolvers for the fields this schema has."""
    by_lower = {k[:1].lower() + k[1:]: k for k in binder.catalog.kinds}
    query: dict[str, Resolver] = {
        "viewer": _viewer,
        "organization": _organization,
        "issuePriorityValues": _priority_values,
        "archivedTeams": _archived("Team"),
        "issueVcsBranchSearch": _issue_by_branch,
    }
    searches = {"searchIssues": ("Issue", ("identifier", "title", "description")),
                "searchDocuments": ("Document", ("title", "content")),
                "searchProjects": ("Project", ("name", "description", "content"))}
    query_fields = schema.query_type.fields if schema.query_type else {}
    for name, (kind, text_fields) in searches.items():
        if name in query_fields:
            filter_arg = query_fields[name].args.get("filter")
            filter_type = getattr(filter_arg.type, "name", None) if filter_arg else None
            query[name] = _search(kind, text_fields, binder, filter_type)
    mutation: dict[str, Resolver] = {}
    for name, op in operations.items():
        match = _ADD_REMOVE.match(name)
        if match and match.group("base") in by_lower:
            kind = by_lower[match.group("base")]
            mutation[name] = _toggle_list("labelIds", "labelId", match.group("verb") == "Add", kind, op)
            continue
        match = _SUBSCRIBE.match(name)
        if match and match.group("base") in by_lower:
            kind = by_lower[match.group("base")]
            mutation[name] = _toggle_list("subscriberIds", "userId", match.group("verb") == "Subscribe", kind, op)
            continue
        match = _RETIRE.match(name)
        if match and match.group("base") in by_lower:
            retire = match.group("verb") == "Retire"
            mutation[name] = _set_fields(by_lower[match.group("base")], op, lambda ws, _a, r=retire: {
                "retiredAt": ws.now() if r else None, "retiredById": ws.viewer_id if r else None})
    if "Comment" in binder.catalog.kinds:
        mutation["commentResolve"] = _set_fields("Comment", operations.get("commentResolve", _NO_OP), lambda ws, a: {
            "resolvedAt": ws.now(), "resolvingUserId": ws.viewer_id,
            "resolvingCommentId": a.get("resolvingCommentId")})
        mutation["commentUnresolve"] = _set_fields("Comment", operations.get("commentUnresolve", _NO_OP), lambda ws, a: {
            "resolvedAt": None, "resolvingUserId": None, "resolvingCommentId": None})
    if "User" in binder.catalog.kinds:
        mutation["userSuspend"] = _set_fields("User", _NO_OP, lambda ws, a: {"active": False})
        mutation["userUnsuspend"] = _set_fields("User", _NO_OP, lambda ws, a: {"active": True})
    mutation_fields = schema.mutation_type.fields if schema.mutation_type else {}
    for name, op in operations.items():
        match = _BATCH_UPDATE.match(name)
        args = mutation_fields[name].args if name in mutation_fields else {}
        if match and match.group("base") in by_lower and "ids" in args and "input" in args:
            mutation[name] = _batch_update(by_lower[match.group("base")], op, unwrap(args["input"].type)[0])
        if name.startswith("attachmentLink") and op.kind == "Attachment":
            mutation[name] = _attachment_link(op, name[len("attachmentLink"):])
    if "webhookRotateSecret" in operations and "Webhook" in binder.catalog.kinds:
        mutation["webhookRotateSecret"] = _webhook_rotate_secret
    if "issueReminder" in operations:
        mutation["issueReminder"] = _set_fields("Issue", operations["issueReminder"],
                                                lambda ws, a: {"reminderAt": parse_instant(a["reminderAt"], ws.now())})
    return {"Query": query, "Mutation": mutation}


_NO_OP = RootOperation("", "other")
