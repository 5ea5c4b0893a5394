"""GraphQLApi: prepare (parse + validate, cached by query text) and execute over a workspace.

The schema is built once per process from ``schema.graphql``; prepared operations are
cached per (query text, operation name). Execution maps model errors to Linear's error
shape (see :mod:`fakelinear.api.errors`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionContext,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    build_schema,
    execute,
    located_error,
    parse,
    validate,
)
from graphql.execution.execute import (
    CollectedErrors,
    default_field_resolver,
    default_type_resolver,
    get_field_def,
)
from graphql.execution.values import get_argument_values, input_is_nested_too_deeply
from graphql.language import FragmentDefinitionNode
from graphql.language.printer import print_for_error
from graphql.pyutils import Path as ResponsePath
from graphql.pyutils import Undefined, inspect, is_iterable, print_path_list
from graphql.type import is_input_type, is_non_null_type
from graphql.utilities import coerce_input_value, type_from_ast, value_from_ast

from fakelinear.api import errors as E
from fakelinear.api.budget import RequestBudget
from fakelinear.api.resolvers import Ctx, attach, default_resolver, snake
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


def _attribute_resolver(field_name: str) -> Callable[..., Any]:
    """:func:`default_resolver` specialised to one field name (same behaviour, no per-call
    name conversion): dicts by key, model objects by snake_case attribute."""
    attr = snake(field_name)

    def resolve(source: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
        if isinstance(source, dict):
            return source.get(field_name)
        return getattr(source, attr, None)

    return resolve


class _SyncContext(ExecutionContext):
    """graphql-core's executor for a world where nothing is awaitable (every resolver here
    is synchronous), with per-operation caches.

    Same algorithm and results as :class:`graphql.execution.ExecutionContext` (same error
    messages, error locations and paths, null propagation, field order); what is dropped is
    only the work that cannot matter here:

    * awaitable checks (``is_awaitable`` is always False, so the async branches of
      ``execute_field``/``execute_fields``/``complete_list_value`` are dead);
    * per-field lookups that depend only on the (cached, immutable) document and the schema:
      the field definition, its resolver, whether it takes arguments — kept in
      ``_field_plans``, shared by every execution of one prepared operation;
    * for plain attribute leaves (no resolver of their own, no arguments, scalar or enum
      type): the resolve info and the response path, which only that field's resolver and
      its error would see — the default resolver never looks at the info, and the path is
      built when an error needs it;
    * the ``isinstance`` ladder of ``complete_value`` for the exact graphql-core type classes
      (anything else, e.g. abstract types, goes to graphql-core's own code).
    """

    is_awaitable = staticmethod(_never_awaitable)
    _field_plans: dict[Any, tuple[Any, ...]] = {}

    _var_types: dict[int, Any] = {}

    @classmethod
    def build(  # type: ignore[override]
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: Any = None,
        type_resolver: Any = None,
        subscribe_field_resolver: Any = None,
        max_coercion_errors: int = 50,
        middleware: Any = None,
        is_awaitable: Any = None,
        hide_suggestions: bool = False,
    ) -> list[GraphQLError] | ExecutionContext:
        """graphql-core's ``build`` with its variable coercion (see :meth:`_coerce_variables`)."""
        if middleware is not None:
            return super().build(
                schema, document, root_value, context_value, raw_variable_values,
                operation_name, field_resolver, type_resolver, subscribe_field_resolver,
                max_coercion_errors, middleware, is_awaitable, hide_suggestions=hide_suggestions,
            )
        operation: OperationDefinitionNode | None = None
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if operation_name is None:
                    if operation:
                        return [
                            GraphQLError(
                                "Must provide operation name"
                                " if query contains multiple operations."
                            )
                        ]
                    operation = definition
                elif definition.name and definition.name.value == operation_name:
                    operation = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
        if not operation:
            if operation_name is not None:
                return [GraphQLError(f"Unknown operation named '{operation_name}'.")]
            return [GraphQLError("Must provide an operation.")]
        coerced = cls._coerce_variables(
            schema, operation.variable_definitions or (), raw_variable_values or {},
            max_coercion_errors, hide_suggestions,
        )
        if isinstance(coerced, list):
            return coerced  # errors
        return cls(
            schema, fragments, root_value, context_value, operation, coerced,
            field_resolver or default_field_resolver,
            type_resolver or default_type_resolver,
            subscribe_field_resolver or default_field_resolver,
            CollectedErrors(), None, is_awaitable,
        )

    @classmethod
    def _coerce_variables(
        cls,
        schema: GraphQLSchema,
        var_def_nodes: Any,
        inputs: dict[str, Any],
        max_errors: int | None,
        hide_suggestions: bool,
    ) -> list[GraphQLError] | dict[str, Any]:
        """graphql-core's ``get_variable_values`` + ``coerce_variable_values`` (same checks,
        same messages, same order), with each variable's type looked up once per document
        node instead of on every request."""
        errors: list[GraphQLError] = []

        def on_error(error: GraphQLError) -> None:
            if max_errors is not None and len(errors) >= max_errors:
                raise GraphQLError(
                    "Too many errors processing variables, error limit reached. Execution aborted."
                )
            errors.append(error)

        var_types = cls._var_types
        coerced_values: dict[str, Any] = {}
        try:
            for var_def_node in var_def_nodes:
                var_name = var_def_node.variable.name.value
                var_type = var_types.get(id(var_def_node), Undefined)
                if var_type is Undefined:
                    var_type = var_types[id(var_def_node)] = type_from_ast(schema, var_def_node.type)
                if not is_input_type(var_type):
                    var_type_str = print_for_error(var_def_node.type)
                    on_error(
                        GraphQLError(
                            f"Variable '${var_name}' expected value of type '{var_type_str}'"
                            " which cannot be used as an input type.",
                            var_def_node.type,
                        )
                    )
                    continue
                if var_name not in inputs:
                    if var_def_node.default_value:
                        coerced_values[var_name] = value_from_ast(var_def_node.default_value, var_type)
                    elif is_non_null_type(var_type):
                        on_error(
                            GraphQLError(
                                f"Variable '${var_name}' of required type '{inspect(var_type)}'"
                                " was not provided.",
                                var_def_node,
                            )
                        )
                    continue
                value = inputs[var_name]
                if value is None and is_non_null_type(var_type):
                    on_error(
                        GraphQLError(
                            f"Variable '${var_name}' of non-null type '{inspect(var_type)}'"
                            " must not be null.",
                            var_def_node,
                        )
                    )
                    continue

                def on_input_value_error(
                    path: list[str | int],
                    invalid_value: Any,
                    error: GraphQLError,
                    var_name: str = var_name,
                    var_def_node: Any = var_def_node,
                ) -> None:
                    prefix = f"Variable '${var_name}' got invalid value {inspect(invalid_value)}"
                    if path:
                        prefix += f" at '{var_name}{print_path_list(path)}'"
                    on_error(
                        GraphQLError(prefix + "; " + error.message, var_def_node, original_error=error)
                    )

                if input_is_nested_too_deeply(value, var_type):
                    raise RecursionError
                coerced_values[var_name] = coerce_input_value(
                    value, var_type, on_input_value_error, None, hide_suggestions
                )
            if not errors:
                return coerced_values
        except GraphQLError as e:
            errors.append(e)
        except RecursionError:
            errors.append(GraphQLError("Variable values are nested too deeply."))
        return errors

    def _plan(self, parent_type: GraphQLObjectType, field_nodes: list[FieldNode]) -> tuple[Any, ...] | None:
        """``(field_def, return_type, resolve_fn, field_name, has_args, leaf)`` or None for
        an unknown field. ``leaf`` is ``(attr, leaf_type, non_null)`` for plain attribute
        leaves (see the class docstring), else None."""
        key = (
            (parent_type, id(field_nodes[0]))
            if len(field_nodes) == 1
            else (parent_type, *map(id, field_nodes))
        )
        plan = self._field_plans.get(key)
        if plan is not None:
            return plan
        field_def = get_field_def(self.schema, parent_type, field_nodes[0])
        if not field_def:
            return None
        field_name = field_nodes[0].name.value
        return_type = field_def.type
        resolve_fn = field_def.resolve
        leaf = None
        if resolve_fn is None:
            if self.field_resolver is default_resolver and self.middleware_manager is None:
                resolve_fn = _attribute_resolver(field_name)
                non_null = type(return_type) is GraphQLNonNull
                inner = return_type.of_type if non_null else return_type
                if not field_def.args and type(inner) in (GraphQLScalarType, GraphQLEnumType):
                    leaf = (snake(field_name), inner, non_null)
            else:
                resolve_fn = self.field_resolver
        plan = (field_def, return_type, resolve_fn, field_name, bool(field_def.args), leaf)
        self._field_plans[key] = plan
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: ResponsePath | None,
        fields: dict[str, list[FieldNode]],
    ) -> dict[str, Any]:
        results: dict[str, Any] = {}
        type_name = parent_type.name
        execute_field = self.execute_field
        get_plan = self._plan
        is_dict = isinstance(source_value, dict)
        for response_name, field_nodes in fields.items():
            plan = get_plan(parent_type, field_nodes)
            if plan is None:  # unknown field: graphql-core leaves it out (Undefined)
                continue
            leaf = plan[5]
            if leaf is None:
                result = execute_field(
                    parent_type, source_value, field_nodes,
                    ResponsePath(path, response_name, type_name), plan,
                )
                if result is not Undefined:
                    results[response_name] = result
                continue
            # A plain attribute leaf: default resolver + complete_value(NonNull?(leaf)).
            attr, leaf_type, non_null = leaf
            try:
                value = (
                    source_value.get(plan[3]) if is_dict else getattr(source_value, attr, None)
                )
                if isinstance(value, Exception):
                    raise value
                if value is None or value is Undefined:
                    if non_null:
                        raise TypeError(
                            f"Cannot return null for non-nullable field {type_name}.{plan[3]}."
                        )
                    results[response_name] = None
                    continue
                results[response_name] = self.complete_leaf_value(leaf_type, value)
            except Exception as raw_error:
                field_path = ResponsePath(path, response_name, type_name)
                error = located_error(raw_error, field_nodes, field_path.as_list())
                self.handle_field_error(error, plan[1], field_path)
                results[response_name] = None
        return results

    # Mutations: graphql-core runs them one after the other; with synchronous resolvers
    # that is exactly the loop above (in document order).
    execute_fields_serially = execute_fields  # type: ignore[assignment]

    def execute_field(  # type: ignore[override]
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: ResponsePath,
        plan: tuple[Any, ...] | None = None,
    ) -> Any:
        if self.middleware_manager is not None:  # not used by the fake; keep the original
            return super().execute_field(parent_type, source, field_nodes, path)
        if plan is None:
            plan = self._plan(parent_type, field_nodes)
            if plan is None:
                return Undefined
        field_def, return_type, resolve_fn, field_name, has_args, _leaf = plan
        info = GraphQLResolveInfo(
            field_name,
            field_nodes,
            return_type,
            parent_type,
            path,
            self.schema,
            self.fragments,
            self.root_value,
            self.operation,
            self.variable_values,
            self.context_value,
            self.is_awaitable,
        )
        try:
            if has_args:
                args = get_argument_values(field_def, field_nodes[0], self.variable_values)
                result = resolve_fn(source, info, **args)
            else:
                result = resolve_fn(source, info)
            return self.complete_value(return_type, field_nodes, info, path, result)
        except Exception as raw_error:
            error = located_error(raw_error, field_nodes, path.as_list())
            self.handle_field_error(error, return_type, path)
            return None

    def complete_value(
        self,
        return_type: Any,
        field_nodes: list[FieldNode],
        info: GraphQLResolveInfo,
        path: ResponsePath,
        result: Any,
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        kind = type(return_type)
        if kind is GraphQLNonNull:
            completed = self.complete_value(return_type.of_type, field_nodes, info, path, result)
            if completed is None:
                raise TypeError(
                    "Cannot return null for non-nullable field"
                    f" {info.parent_type.name}.{info.field_name}."
                )
            return completed
        if result is None or result is Undefined:
            return None
        if kind is GraphQLScalarType or kind is GraphQLEnumType:
            return self.complete_leaf_value(return_type, result)
        if kind is GraphQLObjectType and return_type.is_type_of is None:
            return self.execute_fields(
                return_type, result, path, self.collect_subfields(return_type, field_nodes)
            )
        if kind is GraphQLList and is_iterable(result):
            item_type = return_type.of_type
            complete_value = self.complete_value
            completed_results: list[Any] = []
            append = completed_results.append
            for index, item in enumerate(result):
                item_path = path.add_key(index, None)
                try:
                    completed_item = complete_value(item_type, field_nodes, info, item_path, item)
                except Exception as raw_error:
                    error = located_error(raw_error, field_nodes, item_path.as_list())
                    self.handle_field_error(error, item_type, item_path)
                    completed_item = None
                append(completed_item)
            return completed_results
        return super().complete_value(return_type, field_nodes, info, path, result)


def _context_class(shared_subfields: dict[Any, Any] | None) -> type[ExecutionContext]:
    """An ExecutionContext for one prepared operation: every resolver here is synchronous
    (see :class:`_SyncContext`), field plans are cached per operation, and the per-request
    subfield cache is shared across requests when the document has no @skip/@include
    (field collection then does not depend on variables; keys are ids of nodes of the
    cached document)."""

    class _Context(_SyncContext):
        _field_plans: dict[Any, tuple[Any, ...]] = {}
        _var_types: dict[int, Any] = {}

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
        *,
        budget: RequestBudget | None = None,
    ) -> ExecutionOutcome:
        """Run ``prepared`` against ``workspace``. Never raises for request problems: bad
        variables give HTTP 400, resolver errors give Linear errors with HTTP 200.
        ``budget`` (optional) bounds execution time and result size; connections charge it."""
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
                context_value=Ctx(workspace, visibility, budget=budget),
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
