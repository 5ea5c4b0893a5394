"""GraphQLApi: prepare (parse + validate, cached by query text) and execute over a workspace.

Only graphql-core's public API is used (``parse``, ``validate``, ``execute`` with a field
resolver per field, ``build_client_schema``), so every graphql-core release from the
declared minimum on works the same. A :class:`SchemaBundle` (schema with resolvers bound,
its catalog, its root-field classification) is built once per SDL per process.
Execution maps model errors to Linear's error shape (see :mod:`fakelinear.api.errors`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    execute,
    parse,
    specified_rules,
    validate,
)

from fakelinear.api import errors as E
from fakelinear.api.catalog_builder import build_catalog
from fakelinear.api.context import Ctx
from fakelinear.api.fields import Binder, resolve_type
from fakelinear.api.filters import FilterEvaluator
from fakelinear.api.operations import RootOperation, RootOperations, classify
from fakelinear.api.roots import RootBinder
from fakelinear.api.schema_loader import SchemaSource, load_schema
from fakelinear.api.special import FIELD_OVERRIDES, root_overrides
from fakelinear.api.visibility import ALWAYS_VISIBLE, Visibility
from fakelinear.model.catalog import Catalog
from fakelinear.model.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    Unsupported,
    UsageLimitExceeded,
)
from fakelinear.model.workspace import Workspace

log = logging.getLogger(__name__)
_CACHE_LIMIT = 4096
#: Linear's SDK codegen does not apply this rule to its own documents, and it is quadratic
#: in a document's size; the fake validates with every other specified rule.
VALIDATION_RULES = tuple(r for r in specified_rules if r.__name__ != "OverlappingFieldsCanBeMergedRule")


@dataclass(frozen=True, slots=True)
class SchemaBundle:
    """An executable schema and what was derived from it."""

    schema: GraphQLSchema
    catalog: Catalog
    roots: RootOperations
    evaluator: FilterEvaluator
    source: SchemaSource

    @property
    def operations(self) -> dict[str, RootOperation]:
        """The classified mutations (by field name)."""
        return self.roots.mutations

    @property
    def queries(self) -> dict[str, RootOperation]:
        """The classified queries (by field name)."""
        return self.roots.queries

    def created_type(self, root_field: str) -> str | None:
        """The kind a create mutation creates (None when the field is not a create)."""
        op = self.roots.mutations.get(root_field)
        return op.kind if op is not None and op.action == "create" else None


def _bind(schema: GraphQLSchema, source: SchemaSource) -> SchemaBundle:
    catalog = build_catalog(schema)
    roots_ops = classify(schema, catalog)
    evaluator = FilterEvaluator(schema)
    binder = Binder(schema, catalog, evaluator)
    binder.bind(FIELD_OVERRIDES)
    roots = RootBinder(binder)
    special = root_overrides(schema, binder, roots_ops.mutations)
    if schema.query_type is not None:
        for name, gfield in schema.query_type.fields.items():
            gfield.resolve = special["Query"].get(name) or roots.query(gfield, roots_ops.queries[name])
    if schema.mutation_type is not None:
        for name, gfield in schema.mutation_type.fields.items():
            gfield.resolve = special["Mutation"].get(name) or roots.mutation(gfield, roots_ops.mutations[name])
    return SchemaBundle(schema, catalog, roots_ops, evaluator, source)


@lru_cache(maxsize=8)
def _bundle_for(path: str | None) -> SchemaBundle:
    schema, source = load_schema(path)
    return _bind(schema, source)


def schema_bundle(path: str | os.PathLike[str] | None = None) -> SchemaBundle:
    """The bound schema for the SDL at ``path`` (default: Linear's, as fakelinear ships it)."""
    return _bundle_for(str(Path(path).resolve()) if path is not None else None)


def get_schema() -> GraphQLSchema:
    """The default executable schema (built once per process)."""
    return schema_bundle().schema


def _never_awaitable(_value: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """A parsed, validated operation, ready to execute many times."""

    document: DocumentNode
    operation_type: str  # "query" | "mutation"
    operation_name: str | None
    root_fields: tuple[str, ...]
    is_create: bool
    query: str = ""
    #: ``(root field, kind it creates)`` for each create root field (from the schema).
    creates: tuple[tuple[str, str], ...] = field(default=(), compare=False)


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
        raise E.GraphQLRequestError([E.validation_error(f'Unknown operation named "{name}".')], 400)
    if len(ops) != 1:
        msg = ("Must provide an operation." if not ops
               else "Must provide operation name if query contains multiple operations.")
        raise E.GraphQLRequestError([E.validation_error(msg)], 400)
    return ops[0]


class GraphQLApi:
    """The GraphQL layer. Stateless apart from caches; safe to share across workspaces.

    ``schema``: a path to an SDL file (default: Linear's schema as fakelinear ships it), or
    an already bound :class:`SchemaBundle`.
    """

    def __init__(self, schema: str | os.PathLike[str] | SchemaBundle | None = None) -> None:
        self.bundle = schema if isinstance(schema, SchemaBundle) else schema_bundle(schema)
        self.schema = self.bundle.schema
        self.catalog = self.bundle.catalog
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
                [E.validation_error(err.message, _locations(err), code="GRAPHQL_PARSE_FAILED")], 400
            )
        problems = validate(self.schema, document, VALIDATION_RULES)
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
        roots = tuple(sel.name.value for sel in op.selection_set.selections if hasattr(sel, "name"))
        created = tuple(
            (r, t) for r, t in ((r, self.bundle.created_type(r)) for r in roots) if t is not None
        ) if op_type == "mutation" else ()
        prepared = PreparedOperation(
            document=document,
            operation_type=op_type,
            operation_name=op.name.value if op.name else operation_name,
            root_fields=roots,
            is_create=bool(created),
            query=query,
            creates=created,
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
        *,
        budget: Any = None,
    ) -> ExecutionOutcome:
        """Run ``prepared`` against ``workspace``. Never raises for request problems: bad
        variables give HTTP 400, resolver errors give Linear errors with HTTP 200."""
        if variables is not None and not isinstance(variables, dict):
            return ExecutionOutcome(
                {"errors": [E.validation_error("Variables must be a JSON object.", code="BAD_USER_INPUT")]},
                False, 400,
            )
        before = workspace.last_sync_id
        ctx = Ctx(workspace, visibility, float(workspace.clock.now()), budget)
        try:
            result = execute(
                self.schema,
                prepared.document,
                variable_values=variables,
                operation_name=prepared.operation_name,
                context_value=ctx,
                type_resolver=resolve_type,
                is_awaitable=_never_awaitable,
            )
        except RecursionError:
            return ExecutionOutcome(
                {"errors": [E.validation_error("Variable values are nested too deeply.",
                                               code="BAD_USER_INPUT")]},
                False, 400,
            )
        except Exception:  # a bug must not crash the fake
            log.exception("execution failed")
            return ExecutionOutcome({"errors": [E.internal_error()], "data": None},
                                    workspace.last_sync_id != before, 500)
        committed = workspace.last_sync_id != before
        if not result.errors:  # type: ignore[union-attr]
            return ExecutionOutcome({"data": result.data}, committed, 200)  # type: ignore[union-attr]
        errors = result.errors  # type: ignore[union-attr]
        if result.data is None and all(  # type: ignore[union-attr]
            (e.original_error is None or isinstance(e.original_error, GraphQLError)) and not e.path
            for e in errors
        ):
            # Variable coercion failures: the request never ran.
            return ExecutionOutcome(
                {"errors": [E.validation_error(e.message, _locations(e), code="BAD_USER_INPUT")
                            for e in errors]},
                committed, 400,
            )
        body_errors = [self._map_error(e) for e in errors]
        status = 500 if any(e["extensions"]["code"] == "INTERNAL_SERVER_ERROR" for e in body_errors) else 200
        return ExecutionOutcome({"errors": body_errors, "data": result.data}, committed, status)  # type: ignore[union-attr]

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
        elif isinstance(orig, Unsupported):
            out = E.unsupported_error(orig.operation, path)
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
