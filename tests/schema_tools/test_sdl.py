"""The SDL writer: canonical (sorted, no descriptions), valid, and faithful."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, build_schema

from fakelinear.schema_tools.compare import compare_schemas
from fakelinear.schema_tools.sdl import print_canonical, spec_to_schema
from fakelinear.schema_tools.spec import (
    ArgumentSpec,
    EnumValueSpec,
    FieldSpec,
    InputFieldSpec,
    SchemaSpec,
    TypeSpec,
)

DESCRIBED = '''
"""The root."""
type Query {
  "Zed."
  zed(
    """An argument."""
    first: Int = 5
  ): String @deprecated(reason: "Say \\"no\\".")
  alpha: Kind
}
"""A kind."""
enum Kind {
  "B value" b
  a
}
'''


def test_canonical_text_is_sorted_and_has_no_descriptions() -> None:
    text = print_canonical(build_schema(DESCRIBED))
    assert '"""' not in text and '"Zed."' not in text and "B value" not in text
    assert text.index("enum Kind") < text.index("type Query")
    assert text.index("alpha") < text.index("zed")
    assert text.index("  a\n") < text.index("  b\n")
    # Deprecated, without the reason's prose.
    assert "zed(first: Int = 5): String @deprecated\n" in text and "Say" not in text
    assert compare_schemas(build_schema(text), build_schema(DESCRIBED)) == []
    assert print_canonical(build_schema(text)) == text  # a fixed point


def test_spec_is_written_and_validated_by_graphql_core() -> None:
    spec = SchemaSpec(mutation=None, subscription=None)
    spec.add(TypeSpec("Mode", "enum", values=[EnumValueSpec("on"), EnumValueSpec("off", 'a "b"\nc')]))
    spec.add(TypeSpec("Filter", "input", input_fields=[InputFieldSpec("mode", "Mode!", default="on")]))
    spec.add(
        TypeSpec(
            "Query",
            "object",
            fields=[FieldSpec("x", "[Mode!]", (ArgumentSpec("f", "Filter"),), "gone")],
        )
    )
    schema = spec_to_schema(spec)
    assert schema.get_type("Mode").values["off"].deprecation_reason == 'a "b"\nc'
    assert schema.query_type.fields["x"].deprecation_reason == "gone"
    assert str(schema.query_type.fields["x"].args["f"].type) == "Filter"
    with pytest.raises(ValueError, match="declared twice"):
        spec.add(TypeSpec("Mode", "enum"))
    spec.add(TypeSpec("Broken", "object", fields=[FieldSpec("y", "Missing")]))
    with pytest.raises((GraphQLError, TypeError)):
        spec_to_schema(spec)
