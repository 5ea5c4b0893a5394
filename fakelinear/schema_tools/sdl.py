"""Write SDL: from a :class:`SchemaSpec`, or canonically from any graphql-core schema.

Every SDL this package writes goes through :func:`print_canonical`: graphql-core builds the
schema (so an invalid result fails here, not in the engine), types and fields are sorted by
name and no description is printed. Two schemas that are the same print the same text.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    DEFAULT_DEPRECATION_REASON,
    GraphQLEnumType,
    GraphQLSchema,
    build_client_schema,
    build_schema,
    introspection_from_schema,
    is_specified_scalar_type,
    lexicographic_sort_schema,
    print_schema,
)

from fakelinear.schema_tools.spec import ArgumentSpec, FieldSpec, SchemaSpec, TypeSpec

__all__ = ["print_canonical", "spec_to_schema", "spec_to_sdl"]


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    # A JSON string is a valid GraphQL string (same escapes for what we emit).
    return f" @deprecated(reason: {json.dumps(reason, ensure_ascii=False)})"


def _value(arg: ArgumentSpec) -> str:
    return f"{arg.name}: {arg.type}" + (f" = {arg.default}" if arg.default is not None else "")


def _field(f: FieldSpec) -> str:
    args = f"({', '.join(_value(a) for a in f.arguments)})" if f.arguments else ""
    return f"  {f.name}{args}: {f.type}{_deprecated(f.deprecation)}"


def _type(t: TypeSpec) -> str:
    if t.kind == "scalar":
        return f"scalar {t.name}"
    if t.kind == "union":
        return f"union {t.name} = {' | '.join(t.members)}"
    if t.kind == "enum":
        body = [f"  {v.name}{_deprecated(v.deprecation)}" for v in t.values]
        return f"enum {t.name} {{\n" + "\n".join(body) + "\n}"
    if t.kind == "input":
        body = [f"  {_value(f)}{_deprecated(f.deprecation)}" for f in t.input_fields]
        return f"input {t.name} {{\n" + "\n".join(body) + "\n}"
    keyword = "type" if t.kind == "object" else "interface"
    implements = f" implements {' & '.join(t.interfaces)}" if t.interfaces else ""
    body = [_field(f) for f in t.fields]
    return f"{keyword} {t.name}{implements} {{\n" + "\n".join(body) + "\n}"


def spec_to_sdl(spec: SchemaSpec) -> str:
    """Raw SDL text of a spec (declaration order). Prefer :func:`spec_to_schema`."""
    roots = [f"  query: {spec.query}"]
    if spec.mutation:
        roots.append(f"  mutation: {spec.mutation}")
    if spec.subscription:
        roots.append(f"  subscription: {spec.subscription}")
    parts = ["schema {\n" + "\n".join(roots) + "\n}"]
    parts += [_type(t) for t in spec.types.values()]
    return "\n\n".join(parts) + "\n"


def spec_to_schema(spec: SchemaSpec) -> GraphQLSchema:
    """Build (and so validate) the graphql-core schema of a spec."""
    return build_schema(spec_to_sdl(spec))


def print_canonical(schema: GraphQLSchema) -> str:
    """The canonical SDL of a schema: sorted, descriptions dropped, deprecation reasons
    replaced by graphql's default (they are Linear's prose, like descriptions: what stays
    is *that* a field is deprecated), ending with a newline."""
    if _has_descriptions(schema):
        schema = _without_descriptions(schema)
    sorted_schema = lexicographic_sort_schema(schema)
    _neutral_deprecations(sorted_schema)
    text = print_schema(sorted_schema)
    return text.rstrip("\n") + "\n"


def _neutral_deprecations(schema: GraphQLSchema) -> None:
    """Every deprecation reason becomes ``No longer supported`` (printed as a bare
    ``@deprecated``). Mutates ``schema``: call it on a copy."""
    for name, t in schema.type_map.items():
        if name.startswith("__"):
            continue
        things: list[Any] = list(t.values.values()) if isinstance(t, GraphQLEnumType) else []
        for field in getattr(t, "fields", {}).values():
            things.append(field)
            things.extend(getattr(field, "args", {}).values())
        for thing in things:
            if getattr(thing, "deprecation_reason", None) is not None:
                thing.deprecation_reason = DEFAULT_DEPRECATION_REASON


def _has_descriptions(schema: GraphQLSchema) -> bool:
    for name, t in schema.type_map.items():
        if name.startswith("__") or is_specified_scalar_type(t):
            continue
        if t.description:
            return True
        things: list[object] = []
        for f in (getattr(t, "fields", None) or {}).values():
            things.append(f)
            things.extend((getattr(f, "args", None) or {}).values())
        things.extend((getattr(t, "values", None) or {}).values())
        if any(getattr(x, "description", None) for x in things):
            return True
    return any(d.description for d in schema.directives if d.ast_node is not None)


def _without_descriptions(schema: GraphQLSchema) -> GraphQLSchema:
    """The same schema with every description removed (a copy, through introspection)."""
    return build_client_schema(introspection_from_schema(schema, descriptions=False))
