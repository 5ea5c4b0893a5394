"""``POST /graphql``: Linear's endpoint, from an HTTP request to the fault engine.

Checks run in this order, each refusing with Linear's error shape::

    method (405) -> size (413) -> auth (401) -> content type -> UTF-8 / JSON / object / batch
        -> prepare (parse + validate: 400) -> complexity -> fault engine
           (rate limits, single-query limit, faults, execution within a RequestBudget,
            durable commit)

Parsing, validation and complexity are pure and run *outside* the fake's lock, so a large
document delays only its own client (a large one over the complexity limit is refused from
its syntax tree, before validation, which costs several times the parse); the lock is held for the part that reads or changes
state (the engine's decisions, execution, the journal, the state file), and execution is
bounded by a :class:`~fakelinear.api.budget.RequestBudget`.

Every request gets exactly one journal entry, written from data the code has in hand: the
engine writes it for requests that reach it; a request refused before (method, size, auth,
body) is journaled here from its :class:`Refusal` (status and error code), with
``decision="rejected"``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from fakelinear.api import errors as api_errors
from fakelinear.api.errors import GraphQLRequestError
from fakelinear.auth import presented_key
from fakelinear.faults.complexity import query_complexity, text_complexity
from fakelinear.faults.context import RequestContext, mask_key
from fakelinear.http import Request, Response

__all__ = ["EndpointHost", "Refusal", "handle_graphql", "json_response"]

_JSON_CT = re.compile(r"^application/(?:[a-z0-9.+-]*\+)?json\s*(?:;.*)?$", re.IGNORECASE)
_JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}
#: Documents at least this long get their complexity checked before validation.
LARGE_DOCUMENT_CHARS = 16 * 1024


class EndpointHost(Protocol):
    """What the endpoint needs from the fake (``FakeLinear`` provides it)."""

    lock: threading.RLock
    max_body_bytes: int
    max_complexity: int

    @property
    def api(self) -> Any: ...  # noqa: D102

    @property
    def engine(self) -> Any: ...  # noqa: D102

    @property
    def journal(self) -> Any: ...  # noqa: D102

    @property
    def model(self) -> Any: ...  # noqa: D102

    @property
    def clock(self) -> Any: ...  # noqa: D102

    @property
    def webhooks(self) -> Any: ...  # noqa: D102

    def workspace_id_for_key(self, key: str | None) -> str | None:
        """The workspace a key selects, None for an unknown key."""

    def next_seq(self) -> int:
        """The next global request number (called under the lock)."""

    def new_budget(self) -> Any:
        """A fresh :class:`~fakelinear.api.budget.RequestBudget` (or None: unbounded)."""

    def commit(self) -> dict[str, Any] | None:
        """Make a committed write durable; on failure roll it back and return the error
        entry to answer with (None when durable or nothing to do)."""


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A JSON response in Linear's encoding."""
    h = dict(_JSON_HEADERS)
    if headers:
        h.update(headers)
    return Response(status=status, headers=h, body=api_errors.dumps(body))


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request refused before the API: what to answer and what to journal."""

    status: int
    error: dict[str, Any]
    headers: dict[str, str] | None = None

    @property
    def code(self) -> str | None:
        """The error code (``extensions.code``)."""
        return self.error.get("extensions", {}).get("code")

    def response(self) -> Response:
        """The HTTP response."""
        return json_response(self.status, {"errors": [self.error]}, self.headers)


class _Executed:
    """An outcome the endpoint produced itself (refused by the API or rolled back)."""

    committed = False

    def __init__(self, result: dict[str, Any], status: int) -> None:
        self.result = result
        self.status = status


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_body(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | Refusal:
    """``(query, variables, operationName)`` from a JSON body, or the refusal."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, api_errors.malformed_json_error())
    try:
        # NaN/Infinity are not JSON (Linear's parser refuses them too).
        payload = json.loads(text, parse_constant=_parse_constant)
    except (ValueError, RecursionError):
        return Refusal(400, api_errors.malformed_json_error())
    if isinstance(payload, list):
        return Refusal(
            400,
            api_errors.linear_error(
                "Batched GraphQL requests are not supported.",
                "graphql error",
                "BAD_REQUEST",
                400,
                "Send one operation per request.",
            ),
        )
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return Refusal(400, api_errors.malformed_json_error())
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return Refusal(
            400, api_errors.validation_error("Variables must be a JSON object.", code="BAD_USER_INPUT")
        )
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return Refusal(
            400, api_errors.validation_error("operationName must be a string.", code="BAD_USER_INPUT")
        )
    return payload["query"], variables, operation_name


def _precheck(host: EndpointHost, request: Request) -> tuple[str, str, dict[str, Any] | None, str | None] | Refusal:
    """Everything before the API: ``(key, query, variables, operation name)`` or a refusal."""
    if request.method.upper() != "POST":
        return Refusal(
            405,
            api_errors.linear_error(
                "Only POST is supported on /graphql.",
                "graphql error",
                "METHOD_NOT_ALLOWED",
                405,
                "Only POST is supported.",
            ),
            {"allow": "POST"},
        )
    if len(request.body) > host.max_body_bytes:
        return Refusal(413, api_errors.payload_too_large_error(host.max_body_bytes))
    key = presented_key(request)
    if key is None or host.workspace_id_for_key(key) is None:
        return Refusal(401, api_errors.authentication_error())
    content_type = request.headers.get("content-type", "")
    if not _JSON_CT.match(content_type.strip()):
        return Refusal(400, api_errors.unsupported_content_type_error(content_type[:100]))
    parsed = parse_body(request.body)
    if isinstance(parsed, Refusal):
        return parsed
    return (key, *parsed)


def _journal_refusal(host: EndpointHost, request: Request, refusal: Refusal, response: Response) -> None:
    key = presented_key(request)
    host.journal.record(
        time=host.clock.now(),
        key_masked=mask_key(key),
        workspace_id=host.workspace_id_for_key(key),
        operation_name=None,
        root_fields=(),
        body_hash=None,
        variables=None,
        status=refusal.status,
        error_code=refusal.code,
        decision="rejected",
        committed=False,
        response_body=response.body,
    )


def _prepare(host: EndpointHost, query: str, operation_name: str | None) -> tuple[Any, GraphQLRequestError | None]:
    try:
        return host.api.prepare(query, operation_name), None
    except RecursionError:
        # A pathologically nested document: refuse it like any unparsable one.
        return None, GraphQLRequestError(
            [api_errors.validation_error("Syntax Error: document nested too deeply.", code="GRAPHQL_PARSE_FAILED")]
        )
    except GraphQLRequestError as exc:
        return None, exc


def _large_document_cost(
    schema: Any, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> int | None:
    """The complexity of a large document from its syntax, before validation (which costs
    several times the parse), so a huge document over the limit is refused unvalidated.
    None for small documents (prepare's cache makes them cheap) and for texts that do not
    parse (prepare reports those)."""
    if len(query) < LARGE_DOCUMENT_CHARS:
        return None
    return text_complexity(schema, query, operation_name, variables)


def handle_graphql(host: EndpointHost, request: Request) -> Response:
    """Answer one request to ``/graphql`` (the caller turns unexpected exceptions into 500)."""
    checked = _precheck(host, request)
    if isinstance(checked, Refusal):
        response = checked.response()
        with host.lock:
            _journal_refusal(host, request, checked, response)
        return response
    key, query, variables, operation_name = checked
    # Pure work, outside the lock: parse + validate (cached), complexity, the body hash.
    schema = getattr(host.api, "schema", None)
    early_cost = _large_document_cost(schema, query, operation_name, variables)
    if early_cost is not None and early_cost > host.max_complexity:
        prepared, refused = None, None  # refused for its cost below, never validated
    else:
        prepared, refused = _prepare(host, query, operation_name)
    client_id = (request.headers.get("x-fake-client-id") or "")[:64] or None
    ctx = RequestContext.build(key, None, prepared, query, variables, client_id=client_id)
    if prepared is not None:
        ctx.complexity = query_complexity(schema, prepared.document, prepared.operation_name, variables)
    elif early_cost is not None:
        ctx.complexity = early_cost
    with host.lock:
        workspace_id = host.workspace_id_for_key(key)
        if workspace_id is None:  # the key went away meanwhile (reset)
            refusal = Refusal(401, api_errors.authentication_error())
            response = refusal.response()
            _journal_refusal(host, request, refusal, response)
            return response
        ctx.workspace_id = workspace_id
        ctx.seq = host.next_seq()
        response = host.engine.process(ctx, _executor(host, workspace_id, prepared, variables, refused))
        # What stayed committed (and durable) becomes webhook deliveries; sent by the pump.
        host.webhooks.collect(workspace_id)
        return response


def _executor(
    host: EndpointHost,
    workspace_id: str,
    prepared: Any,
    variables: dict[str, Any] | None,
    refused: GraphQLRequestError | None,
) -> Any:
    """The ``execute(visibility)`` callback the fault engine calls (under the lock)."""

    def execute(visibility: Any) -> Any:
        if refused is not None:
            return _Executed(refused.body(), refused.status)
        budget = host.new_budget()
        workspace = host.model.workspace(workspace_id)
        if budget is None:
            outcome = host.api.execute(prepared, workspace, variables, visibility)
        else:
            outcome = host.api.execute(prepared, workspace, variables, visibility, budget=budget)
        committed = bool(getattr(outcome, "committed", False))
        if budget is not None and budget.exceeded is not None and not committed:
            # Nothing changed: answer with the budget error alone (no partial data).
            return _Executed({"errors": [budget.error()]}, 400)
        if committed:
            failure = host.commit()
            if failure is not None:
                return _Executed({"errors": [failure]}, 500)
        return outcome

    return execute
