"""Semantic diff of two GraphQL schemas, reported mismatch by mismatch, by path.

Compared: root operation types, named types and their kinds, fields (type with nullability and
list wrapping), arguments, input fields, default values, enum values, interfaces (also on
interfaces), union members, custom scalars, deprecations and custom directive definitions.
Descriptions and the order of anything are ignored. ``ignore`` drops whole mismatch kinds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    ast_from_value,
    build_schema,
    is_specified_scalar_type,
    print_ast,
    specified_directives,
)

__all__ = [
    "MISMATCH_KINDS",
    "Mismatch",
    "compare_schemas",
    "compare_sdl",
    "default_literal",
    "type_kind",
]

MISMATCH_KINDS = (
    "root",  # query/mutation/subscription type names
    "type",  # a named type present on one side only
    "kind",  # same name, different kind (object vs input ...)
    "field",  # object/interface field present on one side only
    "field-type",
    "argument",
    "argument-type",
    "input-field",
    "input-field-type",
    "default",  # argument or input field default value
    "enum-value",
    "interface",  # an implemented interface present on one side only
    "union-member",
    "deprecation",  # deprecated on one side only, or another reason
    "directive",  # custom directive definition present/different
)

_BUILTIN_DIRECTIVES = frozenset(d.name for d in specified_directives) | {"oneOf"}


@dataclass(frozen=True, order=True)
class Mismatch:
    """One difference. ``left``/``right`` describe each side (None: absent there)."""

    path: str
    kind: str
    left: str | None
    right: str | None

    def __str__(self) -> str:
        return f"{self.kind:<16} {self.path}: {_show(self.left)} != {_show(self.right)}"


def _show(value: str | None) -> str:
    return "(absent)" if value is None else value


def type_kind(t: GraphQLNamedType) -> str:
    """``object``, ``interface``, ``input``, ``enum``, ``union`` or ``scalar``."""
    for cls, name in (
        (GraphQLObjectType, "object"),
        (GraphQLInterfaceType, "interface"),
        (GraphQLInputObjectType, "input"),
        (GraphQLEnumType, "enum"),
        (GraphQLUnionType, "union"),
        (GraphQLScalarType, "scalar"),
    ):
        if isinstance(t, cls):
            return name
    raise TypeError(f"not a named type: {t!r}")  # pragma: no cover


def default_literal(value: GraphQLArgument | GraphQLInputField) -> str | None:
    """The default value of an argument or input field as a GraphQL literal (None: none)."""
    node = value.ast_node
    if node is not None and getattr(node, "default_value", None) is not None:
        return print_ast(node.default_value)
    # graphql-core 3.3 keeps defaults in ``.default`` (a literal or an external value);
    # 3.2 in ``.default_value``.
    default = getattr(value, "default", None)
    if default is not None:
        if getattr(default, "literal", None) is not None:
            return print_ast(default.literal)
        if getattr(default, "value", Undefined) is not Undefined:
            ast = ast_from_value(default.value, value.type)
            return print_ast(ast) if ast is not None else repr(default.value)
    if value.default_value is Undefined:
        return None
    ast = ast_from_value(value.default_value, value.type)
    return print_ast(ast) if ast is not None else repr(value.default_value)


def _deprecation(thing: object) -> str | None:
    return getattr(thing, "deprecation_reason", None)


class _Diff:
    def __init__(self, ignore: Collection[str], reasons: bool) -> None:
        unknown = set(ignore) - set(MISMATCH_KINDS)
        if unknown:
            raise ValueError(f"unknown mismatch kinds to ignore: {', '.join(sorted(unknown))}")
        self.ignore = frozenset(ignore)
        self.reasons = reasons
        self.out: list[Mismatch] = []

    def deprecation(self, path: str, a: str | None, b: str | None) -> None:
        """Deprecated on one side only; with ``reasons``, also a different reason text."""
        if (a is None) != (b is None) or (self.reasons and a != b):
            self.add(path, "deprecation", a, b)

    def add(self, path: str, kind: str, left: object, right: object) -> None:
        if kind not in self.ignore:
            self.out.append(
                Mismatch(path, kind, None if left is None else str(left), None if right is None else str(right))
            )

    def keyed(self, path: str, kind: str, left: Mapping, right: Mapping, describe) -> list[str]:  # type: ignore[no-untyped-def,type-arg]
        """Report keys on one side only; return the shared keys (sorted)."""
        for key in sorted(set(left) - set(right)):
            self.add(f"{path}{key}", kind, describe(left[key]), None)
        for key in sorted(set(right) - set(left)):
            self.add(f"{path}{key}", kind, None, describe(right[key]))
        return sorted(set(left) & set(right))

    def values(self, path: str, kind: str, left, right) -> None:  # type: ignore[no-untyped-def]
        """Arguments or input fields: presence, type, default, deprecation."""
        for name in self.keyed(path, kind, left, right, lambda v: str(v.type)):
            a, b = left[name], right[name]
            if str(a.type) != str(b.type):
                self.add(f"{path}{name}", f"{kind}-type", a.type, b.type)
            if default_literal(a) != default_literal(b):
                self.add(f"{path}{name}", "default", default_literal(a), default_literal(b))
            self.deprecation(f"{path}{name}", _deprecation(a), _deprecation(b))


def compare_schemas(
    left: GraphQLSchema, right: GraphQLSchema, *, ignore: Collection[str] = (), reasons: bool = False
) -> list[Mismatch]:
    """Every semantic difference between two schemas, sorted by path. Deprecation reasons are
    prose and written neutrally (:func:`~fakelinear.schema_tools.sdl.print_canonical`), so
    only *whether* something is deprecated is compared, unless ``reasons``."""
    d = _Diff(ignore, reasons)
    for op in ("query", "mutation", "subscription"):
        a = getattr(left, f"{op}_type")
        b = getattr(right, f"{op}_type")
        if (a and a.name) != (b and b.name):
            d.add(f"schema.{op}", "root", a and a.name, b and b.name)

    def named(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
        # Built-in scalars are in a schema only when used: their use is compared, not them.
        return {
            n: t
            for n, t in schema.type_map.items()
            if not n.startswith("__") and not is_specified_scalar_type(t)
        }

    lt, rt = named(left), named(right)
    for name in d.keyed("", "type", lt, rt, type_kind):
        a, b = lt[name], rt[name]
        ka, kb = type_kind(a), type_kind(b)
        if ka != kb:
            d.add(name, "kind", ka, kb)
            continue
        if isinstance(a, GraphQLObjectType | GraphQLInterfaceType):
            assert isinstance(b, GraphQLObjectType | GraphQLInterfaceType)
            ia = {i.name: i for i in a.interfaces}
            ib = {i.name: i for i in b.interfaces}
            d.keyed(f"{name} implements ", "interface", ia, ib, lambda i: i.name)
            for fname in d.keyed(f"{name}.", "field", a.fields, b.fields, lambda f: str(f.type)):
                fa, fb = a.fields[fname], b.fields[fname]
                path = f"{name}.{fname}"
                if str(fa.type) != str(fb.type):
                    d.add(path, "field-type", fa.type, fb.type)
                d.deprecation(path, fa.deprecation_reason, fb.deprecation_reason)
                d.values(f"{path}(", "argument", _closed(fa.args), _closed(fb.args))
        elif isinstance(a, GraphQLInputObjectType):
            assert isinstance(b, GraphQLInputObjectType)
            d.values(f"{name}.", "input-field", a.fields, b.fields)
        elif isinstance(a, GraphQLEnumType):
            assert isinstance(b, GraphQLEnumType)
            for vname in d.keyed(f"{name}.", "enum-value", a.values, b.values, lambda _v: "value"):
                d.deprecation(f"{name}.{vname}", a.values[vname].deprecation_reason,
                              b.values[vname].deprecation_reason)
        elif isinstance(a, GraphQLUnionType):
            assert isinstance(b, GraphQLUnionType)
            ma = {m.name: m for m in a.types}
            mb = {m.name: m for m in b.types}
            d.keyed(f"{name} | ", "union-member", ma, mb, lambda m: m.name)

    da = {x.name: x for x in left.directives if x.name not in _BUILTIN_DIRECTIVES}
    db = {x.name: x for x in right.directives if x.name not in _BUILTIN_DIRECTIVES}
    for name in d.keyed("@", "directive", da, db, _directive_shape):
        if _directive_shape(da[name]) != _directive_shape(db[name]):
            d.add(f"@{name}", "directive", _directive_shape(da[name]), _directive_shape(db[name]))
    return sorted(d.out)


class _ClosedArgs(dict):  # type: ignore[type-arg]
    """Arguments keyed so a path reads ``Type.field(arg)``."""


def _closed(args: Mapping[str, GraphQLArgument]) -> _ClosedArgs:
    return _ClosedArgs({f"{name})": arg for name, arg in args.items()})


def _directive_shape(directive: object) -> str:
    args = getattr(directive, "args", {})
    locations = sorted(str(getattr(loc, "name", loc)) for loc in getattr(directive, "locations", ()))
    arg_text = ", ".join(f"{n}: {a.type}" for n, a in sorted(args.items()))
    repeatable = " repeatable" if getattr(directive, "is_repeatable", False) else ""
    return f"({arg_text}){repeatable} on {' | '.join(locations)}"


def compare_sdl(
    left: str, right: str, *, ignore: Collection[str] = (), reasons: bool = False
) -> list[Mismatch]:
    """:func:`compare_schemas` of two SDL texts."""
    return compare_schemas(build_schema(left), build_schema(right), ignore=ignore, reasons=reasons)
