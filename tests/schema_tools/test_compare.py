"""The comparer reports every kind of mismatch, by path, and nothing for equal schemas."""

from __future__ import annotations

import pytest
from graphql import build_schema, validate_schema

from fakelinear.schema_tools.compare import MISMATCH_KINDS, Mismatch, compare_sdl

BASE = '''
schema { query: Query mutation: Mutation }
directive @cached(ttl: Int) on FIELD_DEFINITION
scalar DateTime
interface Node { id: ID! }
interface Entity implements Node { id: ID! createdAt: DateTime! }
interface Other { id: ID! }
type Issue implements Node & Entity {
  id: ID!
  createdAt: DateTime!
  title: String!
  labels(first: Int = 50, filter: LabelFilter): [Label!]!
  estimate: Float @deprecated(reason: "Use points.")
}
type Label implements Node { id: ID! name: String }
union Searchable = Issue | Label
enum State { backlog started done @deprecated(reason: "Gone.") }
input LabelFilter { name: String = "x" and: [LabelFilter!] state: State }
type Query { issue(id: String!): Issue! search: [Searchable] }
type Mutation { noop: Boolean }
'''

# (replace this, with that) -> the one mismatch expected (path, kind, left, right).
MUTATIONS = [
    (("schema { query: Query mutation: Mutation }", "schema { query: Query }"),
     ("schema.mutation", "root", "Mutation", None)),
    (("type Mutation { noop: Boolean }", "type Mutation { noop: Boolean }\ntype Extra { a: Int }"),
     ("Extra", "type", None, "object")),
    (("scalar DateTime\n", "enum DateTime { a }\n"), ("DateTime", "kind", "scalar", "enum")),
    (("  title: String!\n", ""), ("Issue.title", "field", "String!", None)),
    (("  title: String!\n", "  title: String\n"), ("Issue.title", "field-type", "String!", "String")),
    (("labels(first: Int = 50, filter: LabelFilter): [Label!]!", "labels(first: Int = 50, filter: LabelFilter): [Label]!"),
     ("Issue.labels", "field-type", "[Label!]!", "[Label]!")),
    (("labels(first: Int = 50, filter: LabelFilter): [Label!]!", "labels(first: Int = 50, filter: LabelFilter): Label!"),
     ("Issue.labels", "field-type", "[Label!]!", "Label!")),
    (("labels(first: Int = 50, filter: LabelFilter)", "labels(first: Int = 50, filter: LabelFilter, last: Int)"),
     ("Issue.labels(last)", "argument", None, "Int")),
    (("issue(id: String!)", "issue(id: String)"),
     ("Query.issue(id)", "argument-type", "String!", "String")),
    (("labels(first: Int = 50,", "labels(first: Int = 20,"),
     ("Issue.labels(first)", "default", "50", "20")),
    (('name: String = "x" and', "name: String and"),
     ("LabelFilter.name", "default", '"x"', None)),
    (("and: [LabelFilter!] state", "state"), ("LabelFilter.and", "input-field", "[LabelFilter!]", None)),
    (("and: [LabelFilter!]", "and: [LabelFilter]"),
     ("LabelFilter.and", "input-field-type", "[LabelFilter!]", "[LabelFilter]")),
    (("enum State { backlog started", "enum State { backlog"), ("State.started", "enum-value", "value", None)),
    (("type Label implements Node {", "type Label {"), ("Label implements Node", "interface", "Node", None)),
    (("type Label implements Node {", "type Label implements Node & Other {"),
     ("Label implements Other", "interface", None, "Other")),
    (("union Searchable = Issue | Label", "union Searchable = Issue"),
     ("Searchable | Label", "union-member", "Label", None)),
    (("scalar DateTime", "scalar DateTime\nscalar Duration"), ("Duration", "type", None, "scalar")),
    (('@deprecated(reason: "Use points.")', ""), ("Issue.estimate", "deprecation", "Use points.", None)),
    (('done @deprecated(reason: "Gone.")', 'done @deprecated(reason: "Went.")'),
     ("State.done", "deprecation", "Gone.", "Went.")),
    (("directive @cached(ttl: Int) on FIELD_DEFINITION", "directive @cached(ttl: Int!) on FIELD_DEFINITION"),
     ("@cached", "directive", "(ttl: Int) on FIELD_DEFINITION", "(ttl: Int!) on FIELD_DEFINITION")),
]


def _mutate(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def test_equal_schemas_have_no_mismatch_whatever_the_order() -> None:
    reordered = BASE.replace(
        'enum State { backlog started done @deprecated(reason: "Gone.") }',
        'enum State { done @deprecated(reason: "Gone.") started backlog }',
    ).replace("id: ID! createdAt: DateTime! }", "createdAt: DateTime! id: ID! }")
    assert reordered != BASE
    assert compare_sdl(BASE, reordered) == []


@pytest.mark.parametrize(("edit", "expected"), MUTATIONS, ids=[m[1][1] + ":" + m[1][0] for m in MUTATIONS])
def test_each_mismatch_kind_is_reported_by_path(edit: tuple[str, str], expected: tuple) -> None:
    mutated = _mutate(*edit)
    assert validate_schema(build_schema(mutated)) == []  # the mutation is a valid schema
    reasons = expected[1] == "deprecation" and None not in (expected[2], expected[3])
    mismatches = compare_sdl(BASE, mutated, reasons=reasons)
    assert [(m.path, m.kind, m.left, m.right) for m in mismatches] == [expected]
    # And the other way round, left and right swap.
    back = compare_sdl(mutated, BASE, reasons=reasons)
    assert [(m.path, m.kind, m.left, m.right) for m in back] == [
        (expected[0], expected[1], expected[3], expected[2])
    ]


def test_a_different_deprecation_reason_is_reported_only_when_asked() -> None:
    mutated = _mutate('done @deprecated(reason: "Gone.")', 'done @deprecated(reason: "Went.")')
    assert compare_sdl(BASE, mutated) == []  # prose: the shipped SDL writes it neutrally
    assert [m.kind for m in compare_sdl(BASE, mutated, reasons=True)] == ["deprecation"]


def test_every_mismatch_kind_is_exercised() -> None:
    assert {m[1][1] for m in MUTATIONS} == set(MISMATCH_KINDS)


def test_ignored_kinds_are_not_reported_and_unknown_kinds_are_refused() -> None:
    mutated = _mutate("labels(first: Int = 50,", "labels(first: Int = 20,")
    assert compare_sdl(BASE, mutated, ignore={"default"}) == []
    with pytest.raises(ValueError, match="unknown mismatch kinds"):
        compare_sdl(BASE, mutated, ignore={"defaults"})


def test_mismatches_print_as_one_line_each() -> None:
    m = Mismatch("Issue.title", "field-type", "String!", None)
    assert str(m) == "field-type       Issue.title: String! != (absent)"
