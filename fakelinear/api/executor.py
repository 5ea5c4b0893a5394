"""GraphQLApi: prepare (parse + validate, cached by query text) and execute over a workspace.

The schema is built once per process from ``schema.graphql``; prepared operations are
cached per (query text, operation name). Execution maps model errors to Linear's error
shape (see :mod:`fakelinear.api.errors`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionContext,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from fakelinear.api import errors as E
from fakelinear.api.resolvers import Ctx, attach, default_resolver
from fakelinear.api.visibility import ALWAYS_VISIBLE, Visibility
from fakelinear.clock import iso
from fakelinear.model.errors import AlreadyExists, InvalidInput, NotFound, UsageLimitExceeded
from fakelinear.model.workspace import Workspace

log = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
_CACHE_LIMIT = 4096


def _serialize_datetime(value: Any) -> str:
    return iso(value) if isinstance(value, int | float) else str(value)


@lru_cache(maxsize=1)
def get_schema() -> GraphQLSchema:
    """Our executable schema (built once per process)."""
    schema = build_schema(SCHEMA_PATH.read_text())
    schema.type_map["DateTime"].serialize = _serialize_datetime  # type: ignore[union-attr]
    attach(schema)
    return schema


def _never_awaitable(_value: Any) -> bool:
    return False


def _context_class(shared_subfields: dict[Any, Any] | None) -> type[ExecutionContext]:
    """An ExecutionContext for one prepared operation: every resolver here is synchronous
    (skip graphql-core's awaitable checks), and the per-request subfield cache is shared
    across requests when the document has no @skip/@include (field collection then does
    not depend on variables; keys are ids of nodes of the cached document)."""

    class _Context(ExecutionContext):
        is_awaitable = staticmethod(_never_awaitable)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if shared_subfields is not None:
                self._subfields_cache = shared_subfields

    return _Context


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """A parsed, validated operation, ready to execute many times."""

    document: DocumentNode
    operation_type: str  # "query" | "mutation"
    operation_name: str | None
    root_fields: tuple[str, ...]
    is_create: bool
    query: str = ""
    context_class: type[ExecutionContext] = field(default=ExecutionContext, compare=False)


@dataclass(slots=True)
class ExecutionOutcome:
    """What :meth:`GraphQLApi.execute` returns: the body, whether state changed, the status."""

    result: dict[str, Any]
    committed: bool
    status: int = 200


def _locations(err: GraphQLError) -> list[dict[str, int]] | None:
    if not err.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in err.locations]


def _select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in ops:
            if op.name and op.name.value == name:
                return op
        raise E.GraphQLRequestError(
            [E.validation_error(f'Unknown operation named "{name}".')], 400
        )
    if len(ops) != 1:
        msg = ("Must provide an operation." if not ops
               else "Must provide operation name if query contains multiple operations.")
        raise E.GraphQLRequestError([E.validation_error(msg)], 400)
    return ops[0]


class GraphQLApi:
    """The GraphQL layer. Stateless apart from caches; safe to share across workspaces."""

    def __init__(self, schema: GraphQLSchema | None = None) -> None:
        self.schema = schema or get_schema()
        self._documents: dict[str, DocumentNode | E.GraphQLRequestError] = {}
        self._prepared: dict[tuple[str, str | None], PreparedOperation] = {}

    # ------------------------------------------------------------------ prepare
    def _document(self, query: str) -> DocumentNode:
        cached = self._documents.get(query)
        if cached is None:
            cached = self._parse_validate(query)
            if len(self._documents) >= _CACHE_LIMIT:
                self._documents.clear()
            self._documents[query] = cached
        if isinstance(cached, E.GraphQLRequestError):
            raise cached
        return cached

    def _parse_validate(self, query: str) -> DocumentNode | E.GraphQLRequestError:
        if not isinstance(query, str) or not query.strip():
            return E.GraphQLRequestError(
                [E.validation_error("Must provide query string.", code="BAD_REQUEST")], 400
            )
        try:
            document = parse(query)
        except GraphQLSyntaxError as err:
            return E.GraphQLRequestError(
                [E.validation_error(err.message, _locations(err), code="GRAPHQL_PARSE_FAILED")],
                400,
            )
        problems = validate(self.schema, document)
        if problems:
            return E.GraphQLRequestError(
                [E.validation_error(p.message, _locations(p)) for p in problems], 400
            )
        return document

    def prepare(self, query: str, operation_name: str | None = None) -> PreparedOperation:
        """Parse and validate (cached); raises :class:`GraphQLRequestError` (HTTP 400)."""
        key = (query, operation_name)
        prepared = self._prepared.get(key)
        if prepared is not None:
            return prepared
        document = self._document(query)
        op = _select_operation(document, operation_name)
        op_type = op.operation.value
        if op_type not in ("query", "mutation"):
            raise E.GraphQLRequestError(
                [E.validation_error("Subscriptions are not supported over HTTP.")], 400
            )
        roots = tuple(
            sel.name.value for sel in op.selection_set.selections if hasattr(sel, "name")
        )
        prepared = PreparedOperation(
            document=document,
            operation_type=op_type,
            operation_name=op.name.value if op.name else operation_name,
            root_fields=roots,
            is_create=any(r.endswith("Create") for r in roots),
            query=query,
            context_class=_context_class(
                None if ("@skip" in query or "@include" in query) else {}
            ),
        )
        if len(self._prepared) >= _CACHE_LIMIT:
            self._prepared.clear()
        self._prepared[key] = prepared
        return prepared

    # ------------------------------------------------------------------ execute
    def execute(
        self,
        prepared: PreparedOperation,
        workspace: Workspace,
        variables: dict[str, Any] | None = None,
        visibility: Visibility = ALWAYS_VISIBLE,
    ) -> ExecutionOutcome:
        """Run ``prepared`` against ``workspace``. Never raises for request problems: bad
        variables give HTTP 400, resolver errors give Linear errors with HTTP 200."""
        if variables is not None and not isinstance(variables, dict):
            return ExecutionOutcome(
                {"errors": [E.validation_error("Variables must be a JSON object.",
                                               code="BAD_USER_INPUT")]},
                False, 400,
            )
        before = workspace.last_sync_id
        try:
            result = execute(
                self.schema,
                prepared.document,
                variable_values=variables,
                operation_name=prepared.operation_name,
                context_value=Ctx(workspace, visibility),
                field_resolver=default_resolver,
                execution_context_class=prepared.context_class,
            )
        except Exception:  # a bug must not crash the fake
            log.exception("execution failed")
            return ExecutionOutcome({"errors": [E.internal_error()], "data": None},
                                    workspace.last_sync_id != before, 500)
        committed = workspace.last_sync_id != before
        if not result.errors:
            return ExecutionOutcome({"data": result.data}, committed, 200)
        if result.data is None and all(
            (e.original_error is None or isinstance(e.original_error, GraphQLError))
            and not e.path
            for e in result.errors
        ):
            # Variable coercion failures: the request never ran.
            return ExecutionOutcome(
                {"errors": [E.validation_error(e.message, _locations(e), code="BAD_USER_INPUT")
                            for e in result.errors]},
                committed, 400,
            )
        body_errors = [self._map_error(e) for e in result.errors]
        status = 500 if any(e["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
                            for e in body_errors) else 200
        return ExecutionOutcome({"errors": body_errors, "data": result.data}, committed, status)

    @staticmethod
    def _map_error(err: GraphQLError) -> dict[str, Any]:
        orig = err.original_error
        path = list(err.path) if err.path else None
        if isinstance(orig, NotFound):
            out = E.not_found_error(orig.entity_type, path)
        elif isinstance(orig, AlreadyExists):
            out = E.conflict_on_insert_error(orig.entity_type, orig.entity_id, path)
        elif isinstance(orig, UsageLimitExceeded):
            out = E.usage_limit_error(orig.message, path)
        elif isinstance(orig, InvalidInput):
            out = E.invalid_input_error(orig.message, orig.user_presentable, path)
        elif orig is None or isinstance(orig, GraphQLError):
            out = E.invalid_input_error(err.message, path=path)
        else:
            log.error("resolver crashed", exc_info=orig)
            out = E.internal_error()
            if path:
                out["path"] = path
        locations = _locations(err)
        if locations:
            out = {"message": out["message"], "locations": locations,
                   **{k: v for k, v in out.items() if k != "message"}}
        return out
