"""Linear's GraphQL API over httpx: a sync and an async client with the same typed methods.

Each typed method builds a :class:`_Call` (document, variables, converter) and hands it to
``_run``. The sync client runs it at once; the async client's ``_run`` returns a coroutine, so
the very same method bodies serve ``await client.issue(...)``. The client never retries:
retry policy belongs to the caller (the testkit, the promoter), which knows what is safe to
repeat. It imports nothing from fakelinear.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from . import operations as ops
from .errors import (
    AuthenticationError,
    GraphQLValidationError,
    LinearError,
    NotFoundError,
    TransportError,
    error_from_response,
)
from .types import (
    Comment,
    Document,
    Issue,
    IssueRelation,
    Label,
    Page,
    Project,
    Team,
    Viewer,
    WorkflowState,
)

DEFAULT_URL = "https://api.linear.app/graphql"
USER_AGENT = "fakelinear-promoter/0.1"

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

__all__ = ["LinearClient", "AsyncLinearClient", "DEFAULT_URL", "mask_token", "resolve_url"]


def mask_token(token: str | None) -> str:
    """``…`` + the last 6 characters: the only form a token is ever shown in."""
    if not token:
        return "…"
    return "…" + token[-6:]


def resolve_url(url: str | None) -> str:
    """The endpoint: the argument, else ``LINEAR_API_URL``, else Linear's own."""
    return url or os.environ.get("LINEAR_API_URL") or DEFAULT_URL


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: Linear treats an explicit null as "clear this field"."""
    return {k: v for k, v in values.items() if v is not None}


def _classify_transport(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.ProtocolError):  # RemoteProtocolError and LocalProtocolError
        # A body cut short surfaces as a protocol error; name it for what it is.
        return "truncated" if "message body" in str(exc) else "protocol"
    if isinstance(exc, httpx.DecodingError):
        return "truncated"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "read"
    return "transport"


@dataclass(frozen=True)
class _Call:
    query: str
    variables: dict[str, Any]
    operation_name: str
    convert: Callable[[dict[str, Any]], Any]


def _payload(field: str, entity: str | None, build: Callable[[dict[str, Any]], Any] | None):
    """Converter for a mutation payload: the built entity, or ``success`` when none."""

    def convert(data: dict[str, Any]) -> Any:
        payload = data.get(field) or {}
        if build is None or entity is None:
            return bool(payload.get("success", True))
        node = payload.get(entity)
        if node is None:
            raise LinearError(f"{field} returned no {entity}", extensions={"payload": payload})
        return build(node)

    return convert


def _page(field: str, build: Callable[[dict[str, Any]], Any]):
    def convert(data: dict[str, Any]) -> Page[Any]:
        return Page.from_connection(data.get(field) or {}, build)

    return convert


def _node(field: str, build: Callable[[dict[str, Any]], Any], entity: str):
    def convert(data: dict[str, Any]) -> Any:
        node = data.get(field)
        if node is None:
            raise NotFoundError(f"Entity not found: {entity}")
        return build(node)

    return convert


class _Operations:
    """The typed methods, shared by both clients (see the module docstring)."""

    def _run(self, call: _Call) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    # -- viewer and teams -------------------------------------------------------------------

    def viewer(self) -> Viewer:
        """The key's user and organization."""
        return self._run(_Call(ops.VIEWER, {}, "Viewer", lambda d: Viewer.from_node(d["viewer"])))

    def team_create(self, name: str, key: str | None = None, id: str | None = None) -> Team:
        """Create a team (Linear creates its workflow states)."""
        input_ = _compact({"name": name, "key": key, "id": id})
        return self._run(
            _Call(
                ops.TEAM_CREATE,
                {"input": input_},
                "TeamCreate",
                _payload("teamCreate", "team", Team.from_node),
            )
        )

    def team(self, id_or_key: str) -> Team:
        """A team by id, or by key (looked up through a ``teams`` filter)."""
        if _UUID_RE.match(id_or_key):
            return self._run(
                _Call(ops.TEAM, {"id": id_or_key}, "Team", _node("team", Team.from_node, "Team"))
            )

        def first_team(data: dict[str, Any]) -> Team:
            nodes = (data.get("teams") or {}).get("nodes") or []
            if not nodes:
                raise NotFoundError("Entity not found: Team")
            return Team.from_node(nodes[0])

        variables = {"filter": {"key": {"eq": id_or_key}}, "first": 1, "includeArchived": True}
        return self._run(_Call(ops.TEAMS, variables, "Teams", first_team))

    def teams(
        self,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
        filter: dict[str, Any] | None = None,
    ) -> Page[Team]:
        """One page of teams."""
        variables = _compact(
            {"first": first, "after": after, "includeArchived": include_archived, "filter": filter}
        )
        return self._run(_Call(ops.TEAMS, variables, "Teams", _page("teams", Team.from_node)))

    def team_delete(self, id: str) -> bool:
        """Delete a team (Linear archives it; it keeps counting against plan limits)."""
        return self._run(
            _Call(ops.TEAM_DELETE, {"id": id}, "TeamDelete", _payload("teamDelete", None, None))
        )

    def workflow_states(self, team_id: str) -> list[WorkflowState]:
        """The team's workflow states (few; one page of up to 100)."""

        def convert(data: dict[str, Any]) -> list[WorkflowState]:
            nodes = (data.get("workflowStates") or {}).get("nodes") or []
            return [WorkflowState.from_node(n) for n in nodes]

        variables = {"filter": {"team": {"id": {"eq": team_id}}}, "first": 100}
        return self._run(_Call(ops.WORKFLOW_STATES, variables, "WorkflowStates", convert))

    # -- issues -----------------------------------------------------------------------------

    def issue_create(
        self,
        team_id: str,
        title: str,
        description: str | None = None,
        id: str | None = None,
        priority: int | None = None,
        label_ids: list[str] | None = None,
        state_id: str | None = None,
        project_id: str | None = None,
    ) -> Issue:
        """Create an issue. ``id`` (a UUID) makes the create idempotent on Linear's side."""
        input_ = _compact(
            {
                "teamId": team_id,
                "title": title,
                "description": description,
                "id": id,
                "priority": priority,
                "labelIds": label_ids,
                "stateId": state_id,
                "projectId": project_id,
            }
        )
        return self._run(
            _Call(
                ops.ISSUE_CREATE,
                {"input": input_},
                "IssueCreate",
                _payload("issueCreate", "issue", Issue.from_node),
            )
        )

    def issue(self, id_or_identifier: str) -> Issue:
        """An issue by id or identifier (``ENG-123``)."""
        return self._run(
            _Call(
                ops.ISSUE,
                {"id": id_or_identifier},
                "Issue",
                _node("issue", Issue.from_node, "Issue"),
            )
        )

    def issues(
        self,
        filter: dict[str, Any] | None = None,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Page[Issue]:
        """One page of issues matching an ``IssueFilter``."""
        variables = _compact(
            {"filter": filter, "first": first, "after": after, "includeArchived": include_archived}
        )
        return self._run(_Call(ops.ISSUES, variables, "Issues", _page("issues", Issue.from_node)))

    def issue_update(self, id: str, **fields: Any) -> Issue:
        """Update an issue; keyword names are snake_case ``IssueUpdateInput`` fields
        (``title``, ``state_id``, ``label_ids``...). A None value is sent as null (clears)."""
        input_ = {_camel(k): v for k, v in fields.items()}
        return self._run(
            _Call(
                ops.ISSUE_UPDATE,
                {"id": id, "input": input_},
                "IssueUpdate",
                _payload("issueUpdate", "issue", Issue.from_node),
            )
        )

    def issue_archive(self, id: str) -> bool:
        """Archive an issue."""
        return self._run(
            _Call(
                ops.ISSUE_ARCHIVE, {"id": id}, "IssueArchive", _payload("issueArchive", None, None)
            )
        )

    def issue_unarchive(self, id: str) -> bool:
        """Unarchive an issue."""
        return self._run(
            _Call(
                ops.ISSUE_UNARCHIVE,
                {"id": id},
                "IssueUnarchive",
                _payload("issueUnarchive", None, None),
            )
        )

    def issue_delete(self, id: str, permanently: bool = False) -> bool:
        """Trash an issue, or delete it for good with ``permanently=True``."""
        variables = {"id": id, "permanentlyDelete": True} if permanently else {"id": id}
        return self._run(
            _Call(ops.ISSUE_DELETE, variables, "IssueDelete", _payload("issueDelete", None, None))
        )

    def search_issues(
        self, term: str, team_id: str | None = None, include_archived: bool = False, first: int = 50
    ) -> Page[Issue]:
        """Full-text search (Linear's index lags behind writes)."""
        variables = _compact(
            {"term": term, "teamId": team_id, "includeArchived": include_archived, "first": first}
        )
        return self._run(
            _Call(
                ops.SEARCH_ISSUES, variables, "SearchIssues", _page("searchIssues", Issue.from_node)
            )
        )

    # -- projects and documents -------------------------------------------------------------

    def project_create(self, name: str, team_ids: list[str]) -> Project:
        """Create a project in the given teams."""
        input_ = {"name": name, "teamIds": list(team_ids)}
        return self._run(
            _Call(
                ops.PROJECT_CREATE,
                {"input": input_},
                "ProjectCreate",
                _payload("projectCreate", "project", Project.from_node),
            )
        )

    def project(self, id: str) -> Project:
        """A project by id."""
        return self._run(
            _Call(
                ops.PROJECT, {"id": id}, "Project", _node("project", Project.from_node, "Project")
            )
        )

    def projects(
        self,
        filter: dict[str, Any] | None = None,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Page[Project]:
        """One page of projects."""
        variables = _compact(
            {"filter": filter, "first": first, "after": after, "includeArchived": include_archived}
        )
        return self._run(
            _Call(ops.PROJECTS, variables, "Projects", _page("projects", Project.from_node))
        )

    def project_delete(self, id: str) -> bool:
        """Trash a project."""
        return self._run(
            _Call(
                ops.PROJECT_DELETE,
                {"id": id},
                "ProjectDelete",
                _payload("projectDelete", None, None),
            )
        )

    def project_unarchive(self, id: str) -> bool:
        """Restore a trashed or archived project."""
        return self._run(
            _Call(
                ops.PROJECT_UNARCHIVE,
                {"id": id},
                "ProjectUnarchive",
                _payload("projectUnarchive", None, None),
            )
        )

    def document_create(
        self, title: str, content: str | None = None, project_id: str | None = None
    ) -> Document:
        """Create a document (optionally in a project)."""
        input_ = _compact({"title": title, "content": content, "projectId": project_id})
        return self._run(
            _Call(
                ops.DOCUMENT_CREATE,
                {"input": input_},
                "DocumentCreate",
                _payload("documentCreate", "document", Document.from_node),
            )
        )

    def document(self, id: str) -> Document:
        """A document by id."""
        return self._run(
            _Call(
                ops.DOCUMENT,
                {"id": id},
                "Document",
                _node("document", Document.from_node, "Document"),
            )
        )

    def documents(
        self,
        filter: dict[str, Any] | None = None,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Page[Document]:
        """One page of documents."""
        variables = _compact(
            {"filter": filter, "first": first, "after": after, "includeArchived": include_archived}
        )
        return self._run(
            _Call(ops.DOCUMENTS, variables, "Documents", _page("documents", Document.from_node))
        )

    def document_delete(self, id: str) -> bool:
        """Trash a document."""
        return self._run(
            _Call(
                ops.DOCUMENT_DELETE,
                {"id": id},
                "DocumentDelete",
                _payload("documentDelete", None, None),
            )
        )

    # -- labels, comments, relations --------------------------------------------------------

    def label_create(
        self, name: str, team_id: str | None = None, color: str | None = None
    ) -> Label:
        """Create an issue label (workspace-wide when ``team_id`` is None)."""
        input_ = _compact({"name": name, "teamId": team_id, "color": color})
        return self._run(
            _Call(
                ops.LABEL_CREATE,
                {"input": input_},
                "IssueLabelCreate",
                _payload("issueLabelCreate", "issueLabel", Label.from_node),
            )
        )

    def labels(
        self,
        filter: dict[str, Any] | None = None,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Page[Label]:
        """One page of issue labels."""
        variables = _compact(
            {"filter": filter, "first": first, "after": after, "includeArchived": include_archived}
        )
        return self._run(
            _Call(ops.LABELS, variables, "IssueLabels", _page("issueLabels", Label.from_node))
        )

    def label_delete(self, id: str) -> bool:
        """Delete an issue label."""
        return self._run(
            _Call(
                ops.LABEL_DELETE,
                {"id": id},
                "IssueLabelDelete",
                _payload("issueLabelDelete", None, None),
            )
        )

    def comment_create(self, issue_id: str, body: str) -> Comment:
        """Comment on an issue."""
        input_ = {"issueId": issue_id, "body": body}
        return self._run(
            _Call(
                ops.COMMENT_CREATE,
                {"input": input_},
                "CommentCreate",
                _payload("commentCreate", "comment", Comment.from_node),
            )
        )

    def comment_delete(self, id: str) -> bool:
        """Delete a comment."""
        return self._run(
            _Call(
                ops.COMMENT_DELETE,
                {"id": id},
                "CommentDelete",
                _payload("commentDelete", None, None),
            )
        )

    def relation_create(self, issue_id: str, related_issue_id: str, type: str) -> IssueRelation:
        """Relate two issues (``blocks``, ``duplicate``, ``related``, ``similar``)."""
        input_ = {"issueId": issue_id, "relatedIssueId": related_issue_id, "type": type}
        return self._run(
            _Call(
                ops.RELATION_CREATE,
                {"input": input_},
                "IssueRelationCreate",
                _payload("issueRelationCreate", "issueRelation", IssueRelation.from_node),
            )
        )

    def relation_delete(self, id: str) -> bool:
        """Delete an issue relation."""
        return self._run(
            _Call(
                ops.RELATION_DELETE,
                {"id": id},
                "IssueRelationDelete",
                _payload("issueRelationDelete", None, None),
            )
        )


class _Base(_Operations):
    def __init__(
        self, api_key: str, *, url: str | None = None, oauth: bool = False, timeout: float = 30.0
    ) -> None:
        self._api_key = api_key
        self.url = resolve_url(url)
        self.oauth = oauth
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, key={mask_token(self._api_key)!r})"

    @property
    def key_masked(self) -> str:
        """The key as it may be shown: ``…`` + last 6."""
        return mask_token(self._api_key)

    def _headers(self) -> dict[str, str]:
        key = self._api_key
        if not key.isascii() or not key.isprintable():
            # httpx would raise UnicodeEncodeError / LocalProtocolError carrying the whole key
            # (in ``repr`` and ``.object``); fail typed, showing only the masked key.
            raise AuthenticationError(
                f"API key {mask_token(key)} holds a character not allowed in an HTTP header "
                "(non-ASCII or control character; check the token file's encoding)"
            )
        auth = key if not self.oauth or key.startswith("Bearer ") else f"Bearer {key}"
        return {"Authorization": auth, "Content-Type": "application/json", "User-Agent": USER_AGENT}

    @staticmethod
    def _body(
        query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        return body

    @staticmethod
    def _parse(response: httpx.Response) -> dict[str, Any]:
        """The ``data`` of a successful answer, or the typed error."""
        body = response.content
        try:
            payload = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            payload = None
            if response.status_code < 300:
                # A 2xx whose JSON does not parse was cut off in flight (F7 truncated body).
                raise TransportError(
                    "truncated", "response body is not valid JSON (truncated?)"
                ) from None
        error = error_from_response(response.status_code, response.headers, body, payload)
        if error is not None:
            raise error
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise GraphQLValidationError("response has no data", status=response.status_code)
        return payload["data"]


class LinearClient(_Base):
    """Synchronous Linear client.

    ``transport`` is an optional httpx transport (tests, ASGI); the default is a normal
    network transport that respx can intercept.
    """

    def __init__(
        self,
        api_key: str,
        *,
        url: str | None = None,
        oauth: bool = False,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, url=url, oauth=oauth, timeout=timeout)
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> LinearClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(
        self, query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
    ) -> dict[str, Any]:
        """Run any GraphQL document; returns ``data`` or raises a :class:`LinearError`."""
        headers = self._headers()
        try:
            response = self._http.post(
                self.url, json=self._body(query, variables, operation_name), headers=headers
            )
        except httpx.HTTPError as exc:
            raise TransportError(_classify_transport(exc), f"{type(exc).__name__}: {exc}") from exc
        return self._parse(response)

    def _run(self, call: _Call) -> Any:
        return call.convert(self.execute(call.query, call.variables, call.operation_name))

    def iter_issues(
        self,
        filter: dict[str, Any] | None = None,
        include_archived: bool = False,
        page_size: int = 100,
    ) -> Iterator[Issue]:
        """Every matching issue, following every page."""
        after: str | None = None
        while True:
            page = self.issues(
                filter=filter, first=page_size, after=after, include_archived=include_archived
            )
            yield from page.nodes
            if not page.has_next_page or not page.end_cursor:
                return
            after = page.end_cursor


class AsyncLinearClient(_Base):
    """Asynchronous Linear client: the same methods as :class:`LinearClient`, awaited."""

    def __init__(
        self,
        api_key: str,
        *,
        url: str | None = None,
        oauth: bool = False,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, url=url, oauth=oauth, timeout=timeout)
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncLinearClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
    ) -> dict[str, Any]:
        """Run any GraphQL document; returns ``data`` or raises a :class:`LinearError`."""
        headers = self._headers()
        try:
            response = await self._http.post(
                self.url, json=self._body(query, variables, operation_name), headers=headers
            )
        except httpx.HTTPError as exc:
            raise TransportError(_classify_transport(exc), f"{type(exc).__name__}: {exc}") from exc
        return self._parse(response)

    def _run(self, call: _Call) -> Any:
        async def run() -> Any:
            return call.convert(await self.execute(call.query, call.variables, call.operation_name))

        return run()

    async def iter_issues(
        self,
        filter: dict[str, Any] | None = None,
        include_archived: bool = False,
        page_size: int = 100,
    ) -> AsyncIterator[Issue]:
        """Every matching issue, following every page."""
        after: str | None = None
        while True:
            page = await self.issues(
                filter=filter, first=page_size, after=after, include_archived=include_archived
            )
            for issue in page.nodes:
                yield issue
            if not page.has_next_page or not page.end_cursor:
                return
            after = page.end_cursor
