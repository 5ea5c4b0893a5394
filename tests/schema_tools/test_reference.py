"""The reference data (defaults, names) is what the official SDL says, and is applied right."""

from __future__ import annotations

import json

from graphql import GraphQLSchema

from fakelinear.schema_tools.reference import (
    DEFAULT_REFERENCE_PATH,
    derive_reference,
    load_reference,
)
from tests.schema_tools.conftest import SCHEMA_DIR


def test_committed_reference_is_derived_from_the_official_sdl(official_schema: GraphQLSchema) -> None:
    committed = load_reference()
    derived = derive_reference(official_schema, committed["source"])
    assert committed == derived
    # The official 88.3.0 SDL has 98 defaults, two of them on non-null types.
    assert len(committed["arguments"]) + len(committed["input_fields"]) == 98
    assert committed["input_fields"]["AgentActivityPromptCreateInputContent.type"] == {
        "type": "AgentActivityType!",
        "default": "prompt",
    }
    assert committed["arguments"]["Query.ssoUrlFromEmail(type)"] == {
        "type": "IdentityProviderType!",
        "default": "general",
    }
    assert {"IDComparator", "IssueIDComparator", "Issue"} <= set(committed["type_names"])
    # Shapes only: no description text is carried over.
    assert '"""' not in DEFAULT_REFERENCE_PATH.read_text(encoding="utf-8")


def test_reference_keeps_literals_of_every_kind() -> None:
    sdl = """
    enum Mode { a b }
    input Sort { nulls: Mode = a, tags: [String!] = [], name: String = "x", n: Int! = 3 }
    type Query { list(sort: Sort, first: Int = 50, on: Boolean = false): [String] }
    """
    ref = derive_reference(sdl, "test")
    assert ref["arguments"] == {
        "Query.list(first)": {"type": "Int", "default": "50"},
        "Query.list(on)": {"type": "Boolean", "default": "false"},
    }
    assert ref["input_fields"] == {
        "Sort.n": {"type": "Int!", "default": "3"},
        "Sort.name": {"type": "String", "default": '"x"'},
        "Sort.nulls": {"type": "Mode", "default": "a"},
        "Sort.tags": {"type": "[String!]", "default": "[]"},
    }
    assert ref["type_names"] == ["Boolean", "Int", "Mode", "Query", "Sort", "String"]


def test_generated_defaults_file_lists_what_linear_graphql_carries(generated_schema) -> None:  # type: ignore[no-untyped-def]
    from fakelinear.schema_tools.reference import schema_defaults

    data = json.loads((SCHEMA_DIR / "defaults.json").read_text(encoding="utf-8"))
    carried = schema_defaults(generated_schema)
    assert data["arguments"] == carried["arguments"]
    assert data["input_fields"] == carried["input_fields"]
    assert data["unknown_made_nullable"] == []
    # Every default the reference knows lands in 98.0.0 where its coordinate still exists.
    assert len(carried["arguments"]) + len(carried["input_fields"]) == 98
