"""A schema as plain data: what the declaration parser produces and the SDL writer prints.

Only what a GraphQL SDL can say about shapes is kept (no descriptions). Types are written the
way SDL writes them (``[String!]!``), so a :class:`TypeSpec` reads like the SDL it becomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "BUILTIN_SCALARS",
    "ArgumentSpec",
    "EnumValueSpec",
    "FieldSpec",
    "InputFieldSpec",
    "Kind",
    "SchemaSpec",
    "TypeSpec",
]

BUILTIN_SCALARS = frozenset({"ID", "String", "Boolean", "Int", "Float"})

Kind = Literal["object", "interface", "input", "enum", "union", "scalar"]


@dataclass(frozen=True)
class ArgumentSpec:
    """A field argument; ``optional`` marks a non-null argument that may be omitted (it has a
    default the declarations do not give); ``default`` is a GraphQL literal when known."""

    name: str
    type: str
    optional: bool = False
    default: str | None = None


@dataclass(frozen=True)
class InputFieldSpec(ArgumentSpec):
    """An input object field (same shape as an argument, plus a deprecation reason)."""

    deprecation: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    """An output field of an object or interface type."""

    name: str
    type: str
    arguments: tuple[ArgumentSpec, ...] = ()
    deprecation: str | None = None


@dataclass(frozen=True)
class EnumValueSpec:
    """One enum value (its GraphQL name, not the TypeScript member name)."""

    name: str
    deprecation: str | None = None


@dataclass
class TypeSpec:
    """One named type; which lists are used depends on ``kind``."""

    name: str
    kind: Kind
    fields: list[FieldSpec] = field(default_factory=list)
    input_fields: list[InputFieldSpec] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: list[EnumValueSpec] = field(default_factory=list)


@dataclass
class SchemaSpec:
    """Every named type of a schema, by name, plus the root operation type names."""

    types: dict[str, TypeSpec] = field(default_factory=dict)
    query: str = "Query"
    mutation: str | None = "Mutation"
    subscription: str | None = "Subscription"
    # Declaration name -> real name, for types the source spelled differently.
    renamed: dict[str, str] = field(default_factory=dict)

    def add(self, spec: TypeSpec) -> None:
        """Add a type; a second type of the same name is an error (the source is broken)."""
        if spec.name in self.types:
            raise ValueError(f"type {spec.name} is declared twice")
        self.types[spec.name] = spec
