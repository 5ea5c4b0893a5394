"""What an official SDL knows that the SDK's declarations do not: defaults and real names.

:func:`derive_reference` reads an official SDL (``../shared/linear/schema.graphql``, the SDL
of @linear/sdk 88.3.0) and keeps only shapes, never descriptions:

* ``defaults``: the default value of every argument and input field that has one, as a GraphQL
  literal with the type it belongs to (``"CycleSort.nulls": {"type": "PaginationNulls",
  "default": "last"}``). The declarations only say that such a value exists when the type is
  non-null (``type?: AgentActivityType``);
* ``type_names``: every type name, so the generator can give back their real name to those
  graphql-codegen spells differently (``IDComparator`` is declared as ``IdComparator``).

The committed ``reference.json`` next to this module is its output; a test checks that it
is still what the official SDL gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from fakelinear.schema_tools.compare import default_literal
from fakelinear.schema_tools.spec import SchemaSpec

__all__ = [
    "DEFAULT_REFERENCE_PATH",
    "AppliedDefaults",
    "apply_defaults",
    "derive_reference",
    "load_reference",
    "schema_defaults",
]

DEFAULT_REFERENCE_PATH = Path(__file__).with_name("reference.json")


def schema_defaults(schema: GraphQLSchema) -> dict[str, dict[str, dict[str, str]]]:
    """``{"arguments": {"T.f(a)": {...}}, "input_fields": {"I.f": {...}}}`` of a schema."""
    arguments: dict[str, dict[str, str]] = {}
    input_fields: dict[str, dict[str, str]] = {}
    for name, t in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for fname, f in t.fields.items():
                for aname, arg in f.args.items():
                    value = default_literal(arg)
                    if value is not None:
                        arguments[f"{name}.{fname}({aname})"] = {"type": str(arg.type), "default": value}
        elif isinstance(t, GraphQLInputObjectType):
            for fname, inp in t.fields.items():
                value = default_literal(inp)
                if value is not None:
                    input_fields[f"{name}.{fname}"] = {"type": str(inp.type), "default": value}
    return {"arguments": dict(sorted(arguments.items())), "input_fields": dict(sorted(input_fields.items()))}


def derive_reference(sdl: str | GraphQLSchema, source: str) -> dict[str, Any]:
    """The reference data of an official SDL (text or built schema; ``source`` says where it
    came from)."""
    schema = build_schema(sdl) if isinstance(sdl, str) else sdl
    names = sorted(n for n in schema.type_map if not n.startswith("__"))
    return {
        "source": source,
        "type_names": names,
        **schema_defaults(schema),
    }


def load_reference(path: str | Path | None = None) -> dict[str, Any]:
    """The reference data (the committed ``reference.json`` unless ``path`` is given)."""
    return json.loads(Path(path or DEFAULT_REFERENCE_PATH).read_text(encoding="utf-8"))


@dataclass
class AppliedDefaults:
    """What :func:`apply_defaults` did: defaults set (same shape as ``schema_defaults``),
    and coordinates that must have a default but have no known one (made nullable)."""

    arguments: dict[str, dict[str, str]] = field(default_factory=dict)
    input_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def apply_defaults(spec: SchemaSpec, reference: dict[str, Any] | None) -> AppliedDefaults:
    """Give arguments and input fields the reference's default where the coordinate exists
    with exactly the same type. An argument or input field the declarations mark as optional yet
    non-null with no known default becomes nullable, so clients may still omit it."""
    ref_args = (reference or {}).get("arguments", {})
    ref_inputs = (reference or {}).get("input_fields", {})
    done = AppliedDefaults()
    for t in spec.types.values():
        for i, f in enumerate(t.fields):
            new_args = []
            for a in f.arguments:
                coord = f"{t.name}.{f.name}({a.name})"
                known = ref_args.get(coord)
                if known and known["type"] == a.type:
                    a = replace(a, default=known["default"])
                    done.arguments[coord] = {"type": a.type, "default": known["default"]}
                elif a.optional:
                    done.unknown.append(coord)
                    a = replace(a, type=a.type.removesuffix("!"), optional=False)
                new_args.append(a)
            t.fields[i] = replace(f, arguments=tuple(new_args))
        for i, inp in enumerate(t.input_fields):
            coord = f"{t.name}.{inp.name}"
            known = ref_inputs.get(coord)
            if known and known["type"] == inp.type:
                t.input_fields[i] = replace(inp, default=known["default"])
                done.input_fields[coord] = {"type": inp.type, "default": known["default"]}
            elif inp.optional:
                done.unknown.append(coord)
                t.input_fields[i] = replace(inp, type=inp.type.removesuffix("!"), optional=False)
    done.arguments = dict(sorted(done.arguments.items()))
    done.input_fields = dict(sorted(done.input_fields.items()))
    done.unknown.sort()
    return done
