"""Query complexity as Linear counts it, and Linear's limit on a single query.

Linear's documented rules (linear.app/developers/rate-limiting): every property costs 0.1
point, every object 1 point, a connection multiplies the points of what it selects by its
page size (``first``, else ``last``, else the default page of 50), and the total is rounded
up. A query above 10,000 points is refused before it runs ("Query too complex"); the points
of every query that runs count against the key's complexity rate limit (a leaky bucket, see
:mod:`fakelinear.faults.ratelimit`).

The walk is schema-driven and works on any schema: it follows the validated document with
graphql-core's public type API (field definitions, named types). A field is a *connection*
when its type has ``pageInfo`` and ``nodes`` or ``edges`` (Relay); a field with a selection
set is an object; anything else is a property. Fragments are counted where they are spread
(an inline fragment on a union counts every branch: an upper bound, as the server cannot
know which type each item will have). Without a schema (:func:`estimate`) the same rules run
on syntax alone (a connection is a field with ``first``/``last`` or selecting
``nodes``/``edges``).

Cost: a document is compiled once per (document, operation) into a small expression whose
only inputs are the page-size variables; fragments are compiled once per type and shared,
so a "fragment bomb" (fragments spreading each other twice, many levels deep) costs time
linear in the document, not in its expansion. Numbers saturate at a huge cap instead of
growing without bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef

from fakelinear.api.errors import linear_error

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_QUERY_COMPLEXITY",
    "estimate",
    "query_complexity",
    "text_complexity",
    "too_complex_error",
]

#: Linear refuses a single query above this many points.
MAX_QUERY_COMPLEXITY = 10_000
#: The page size of a connection without ``first``/``last`` (Linear's default page).
DEFAULT_PAGE_SIZE = 50
# Points are counted in tenths (a property is 1 tenth) so the arithmetic is exact; sums
# saturate here (10**17 points) so a hostile document cannot make the numbers huge.
_CAP = 10**18
_PROPERTY = 1
_OBJECT = 10
_CACHE_LIMIT = 4096

# A page size: a literal, or (variable name, size when the variable is absent or not an int).
_Page = int | tuple[str, int]


@dataclass(slots=True, eq=False)
class _Cost:
    """``const + sum(page * child)`` in tenths; ``terms`` only where a variable matters."""

    const: int = 0
    terms: list[tuple[_Page, _Cost]] = field(default_factory=list)

    def add(self, cost: _Cost, page: _Page = 1) -> None:
        """Add ``page`` times ``cost``, folding it into the constant when nothing varies."""
        if isinstance(page, int) and not cost.terms:
            self.const = min(_CAP, self.const + page * cost.const)
        else:
            self.terms.append((page, cost))


class _Compiler:
    """Compiles one operation's selection sets into :class:`_Cost` expressions."""

    def __init__(
        self,
        schema: GraphQLSchema | None,
        fragments: dict[str, FragmentDefinitionNode],
        defaults: dict[str, int],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.defaults = defaults
        self._spreads: dict[tuple[str, str | None], _Cost] = {}

    def selection_set(self, selection_set: SelectionSetNode, parent: Any) -> _Cost:
        total = _Cost()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total.add(self.field(selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                condition = self._named(selection.type_condition)
                total.add(self.selection_set(selection.selection_set, condition or parent))
            elif isinstance(selection, FragmentSpreadNode):
                total.add(self.spread(selection.name.value))
        return total

    def spread(self, name: str) -> _Cost:
        fragment = self.fragments.get(name)
        if fragment is None:  # not in a validated document
            return _Cost()
        key = (name, None)
        cost = self._spreads.get(key)
        if cost is None:
            # Placeholder first: a (never valid) fragment cycle then counts as nothing.
            self._spreads[key] = _Cost()
            cost = self.selection_set(fragment.selection_set, self._named(fragment.type_condition))
            self._spreads[key] = cost
        return cost

    def field(self, node: FieldNode, parent: Any) -> _Cost:
        if node.selection_set is None:
            return _Cost(_PROPERTY)
        named = self._field_type(parent, node.name.value)
        children = self.selection_set(node.selection_set, named)
        if self._is_connection(node, named):
            cost = _Cost(_OBJECT)
            cost.add(children, self._page(node))
            return cost
        cost = _Cost(_OBJECT)
        cost.add(children)
        return cost

    # -- schema lookups (all optional: without a schema the rules run on syntax) ---------
    def _named(self, type_condition: Any) -> Any:
        if type_condition is None or self.schema is None:
            return None
        return self.schema.get_type(type_condition.name.value)

    def _field_type(self, parent: Any, name: str) -> Any:
        if self.schema is None:
            return None
        if name in ("__schema", "__type") and parent is self.schema.query_type:
            definition = SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
        elif isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        else:
            return None
        return get_named_type(definition.type) if definition is not None else None

    @staticmethod
    def _is_connection(node: FieldNode, named: Any) -> bool:
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            fields = named.fields
            return "pageInfo" in fields and ("nodes" in fields or "edges" in fields)
        if named is not None:
            return False
        if any(arg.name.value in ("first", "last") for arg in node.arguments or ()):
            return True
        selections = node.selection_set.selections if node.selection_set else ()
        return any(
            isinstance(s, FieldNode) and s.name.value in ("nodes", "edges") for s in selections
        )

    def _page(self, node: FieldNode) -> _Page:
        found: dict[str, _Page] = {}
        for arg in node.arguments or ():
            name = arg.name.value
            if name not in ("first", "last"):
                continue
            if isinstance(arg.value, IntValueNode):
                found[name] = max(0, int(arg.value.value))
            elif isinstance(arg.value, VariableNode):
                variable = arg.value.name.value
                found[name] = (variable, self.defaults.get(variable, DEFAULT_PAGE_SIZE))
        return found.get("first", found.get("last", DEFAULT_PAGE_SIZE))


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, int]:
    out: dict[str, int] = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode):
            out[definition.variable.name.value] = max(0, int(default.value))
    return out


def _root_type(schema: GraphQLSchema | None, operation: OperationDefinitionNode) -> Any:
    if schema is None:
        return None
    kind = operation.operation.value
    if kind == "mutation":
        return schema.mutation_type
    if kind == "subscription":
        return schema.subscription_type
    return schema.query_type


def _compile(schema: GraphQLSchema | None, document: DocumentNode, operation_name: str | None) -> _Cost:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    elif len(operations) > 1 and schema is not None:
        operations = operations[:1]  # the executor refuses this document anyway
    total = _Cost()
    for operation in operations:
        compiler = _Compiler(schema, fragments, _variable_defaults(operation))
        total.add(compiler.selection_set(operation.selection_set, _root_type(schema, operation)))
    return total


# (id(schema), id(document), operation name) -> (document, schema, compiled cost). The entry
# keeps the document and schema alive, so an id reused by a new object is never a stale hit.
_compiled: dict[tuple[int, int, str | None], tuple[Any, Any, _Cost]] = {}


def _plan(schema: GraphQLSchema | None, document: DocumentNode, operation_name: str | None) -> _Cost:
    key = (id(schema), id(document), operation_name)
    hit = _compiled.get(key)
    if hit is not None and hit[0] is document and hit[1] is schema:
        return hit[2]
    try:
        cost = _compile(schema, document, operation_name)
    except RecursionError:  # nested beyond Python's stack: certainly over any limit
        cost = _Cost(_CAP)
    if len(_compiled) >= _CACHE_LIMIT:
        _compiled.clear()
    _compiled[key] = (document, schema, cost)
    return cost


def _page_size(page: _Page, variables: dict[str, Any]) -> int:
    if isinstance(page, int):
        return page
    name, fallback = page
    value = variables.get(name)
    # Only what the executor will accept (an Int is 32-bit); anything else it refuses with
    # BAD_USER_INPUT, which says more than "too complex" would.
    if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
        return max(0, value)
    return fallback


def _evaluate(cost: _Cost, variables: dict[str, Any], memo: dict[int, int]) -> int:
    done = memo.get(id(cost))
    if done is not None:
        return done
    total = cost.const
    for page, child in cost.terms:
        size = _page_size(page, variables)
        if size:
            total = min(_CAP, total + size * _evaluate(child, variables, memo))
    memo[id(cost)] = total
    return total


def _points(tenths: int) -> int:
    return max(1, -(-tenths // 10))  # rounded up, like Linear


def query_complexity(
    schema: GraphQLSchema | None,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> int:
    """Linear's complexity of the operation ``operation_name`` in ``document`` (validated
    against ``schema``), with the page sizes ``variables`` give; an integer >= 1."""
    cost = _plan(schema, document, operation_name)
    if not cost.terms:
        return _points(cost.const)
    try:
        return _points(_evaluate(cost, variables or {}, {}))
    except RecursionError:
        return _points(_CAP)


# (id(schema), query text, operation name) -> (schema, compiled cost or None if unparsable).
# Compiled costs are small (constants folded), so keeping them per text is cheap even for
# documents whose syntax tree is large.
_by_text: dict[tuple[int, str, str | None], tuple[Any, _Cost | None]] = {}


def text_complexity(
    schema: GraphQLSchema | None,
    query: str,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> int | None:
    """Like :func:`query_complexity` for a query text that has not been validated (a large
    document is refused before validation, which costs several times the parse); None when
    the text does not parse. Compiled once per text."""
    key = (id(schema), query, operation_name)
    hit = _by_text.get(key)
    if hit is not None and hit[0] is schema:
        cost = hit[1]
    else:
        try:
            document = parse(query, no_location=True)
            cost = _compile(schema, document, operation_name)
        except (GraphQLError, RecursionError):
            cost = None
        if len(_by_text) >= _CACHE_LIMIT // 16:
            _by_text.clear()
        _by_text[key] = (schema, cost)
    if cost is None:
        return None
    if not cost.terms:
        return _points(cost.const)
    try:
        return _points(_evaluate(cost, variables or {}, {}))
    except RecursionError:
        return _points(_CAP)


def estimate(document: Any, variables: dict[str, Any] | None) -> int:
    """Complexity of every operation in ``document`` without a schema (1 if no document).

    Kept for callers that build a :class:`~fakelinear.faults.context.RequestContext` without
    ``complexity``; the handler computes it against the schema instead."""
    if document is None:
        return 1
    return query_complexity(None, document, None, variables)


def too_complex_error(cost: int, limit: int = MAX_QUERY_COMPLEXITY) -> dict[str, Any]:
    """Linear's answer to a query over the single-query limit (refused before it runs)."""
    return linear_error(
        "Query too complex",
        "invalid input",
        "INPUT_ERROR",
        400,
        f"The query is too complex. Complexity: {cost}. Maximum allowed complexity: {limit}.",
    )
