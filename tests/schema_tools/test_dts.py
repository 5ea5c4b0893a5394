"""The declaration parser: each construct on a small sample, then the real 88.3.0 package."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema

from fakelinear.schema_tools.compare import compare_schemas
from fakelinear.schema_tools.dts import DtsParseError, find_declarations, parse_declarations
from fakelinear.schema_tools.reference import apply_defaults, derive_reference
from fakelinear.schema_tools.sdl import spec_to_schema

HEADER = '''import { DocumentTypeDecoration } from "@graphql-typed-document-node/core";
type Maybe<T> = T | null;
type InputMaybe<T> = Maybe<T>;
type Exact<T extends {
  [key: string]: unknown;
}> = { [K in keyof T]: T[K] };
/** All built-in and custom scalars, mapped to their actual values */
type Scalars = {
  ID: string;
  String: string;
  Boolean: boolean;
  Int: number;
  Float: number;
  /** A date. */
  DateTime: Date;
  JSONObject: any;
};
'''

SAMPLE = HEADER + '''
/** A thing with an id. */
type Node = {
  /** The id. */
  id: Scalars["ID"];
};
type Entity = {
  createdAt: Scalars["DateTime"];
  id: Scalars["ID"];
};
/** Only clients see this one: nobody implements it. */
type Lonely = {
  note?: Maybe<Scalars["String"]>;
  notes: Array<Scalars["String"]>;
};
type LonelyNotesArgs = {
  first?: InputMaybe<Scalars["Int"]>;
};
type Issue = Node & Entity & {
  __typename?: "Issue";
  children: Array<Issue>;
  createdAt: Scalars["DateTime"];
  /**
   * The old estimate.
   * @deprecated Use `estimate` instead.
   */
  guess?: Maybe<Scalars["Float"]>;
  id: Scalars["ID"];
  labels?: Maybe<Array<Maybe<Scalars["String"]>>>;
  lonely?: Maybe<Lonely>;
  state: WorkflowStateType;
  data?: Maybe<Scalars["JSONObject"]>;
};
type IssueChildrenArgs = {
  filter?: InputMaybe<IdComparator>;
  first?: InputMaybe<Scalars["Int"]>;
  ids: Array<Scalars["ID"]>;
  mode?: WorkflowStateType;
};
type Query = {
  __typename?: "Query";
  issue: Issue;
  searchable?: Maybe<Searchable>;
  attachmentsForURL: Array<Issue>;
};
type QueryIssueArgs = {
  id: Scalars["String"];
};
type QueryAttachmentsForUrlArgs = {
  url: Scalars["String"];
};
type Searchable = Issue;
type Mutation = {
  __typename?: "Mutation";
  issueCreate: Issue;
};
type MutationIssueCreateArgs = {
  input: IssueCreateInput;
};
/** Creation input. */
type IssueCreateInput = {
  /** @deprecated Use ids. */
  id?: InputMaybe<Scalars["String"]>;
  labelIds?: InputMaybe<Array<Scalars["String"]>>;
  title: Scalars["String"];
  type?: WorkflowStateType;
};
type IdComparator = {
  eq?: InputMaybe<Scalars["ID"]>;
};
declare enum WorkflowStateType {
  Backlog = "backlog",
  /** @deprecated Not any more. */
  Canceled = "canceled",
  Triage = "triage",
}
type IssueFragment = {
  __typename: "Issue";
} & Pick<Issue, "id">;
'''

EXPECTED = '''
scalar DateTime
scalar JSONObject
interface Node { id: ID! }
interface Entity implements Node { createdAt: DateTime! id: ID! }
interface Lonely { note: String notes(first: Int): [String!]! }
type Issue implements Node & Entity {
  children(filter: IDComparator, first: Int, ids: [ID!]!, mode: WorkflowStateType! = backlog): [Issue!]!
  createdAt: DateTime!
  guess: Float @deprecated(reason: "Use `estimate` instead.")
  id: ID!
  labels: [String]
  lonely: Lonely
  state: WorkflowStateType!
  data: JSONObject
}
type Query {
  issue(id: String!): Issue!
  searchable: Searchable
  attachmentsForURL(url: String!): [Issue!]!
}
union Searchable = Issue
type Mutation { issueCreate(input: IssueCreateInput!): Issue! }
input IssueCreateInput {
  id: String @deprecated(reason: "Use ids.")
  labelIds: [String!]
  title: String!
  type: WorkflowStateType
}
input IDComparator { eq: ID }
enum WorkflowStateType { backlog canceled @deprecated(reason: "Not any more.") triage }
'''

REFERENCE = {
    "source": "test",
    "type_names": ["IDComparator"],
    "arguments": {
        "Issue.children(mode)": {"type": "WorkflowStateType!", "default": "backlog"},
        # Same coordinate, another type: must not be applied.
        "Issue.children(first)": {"type": "Float", "default": "3"},
    },
    "input_fields": {},
}


def _sample_schema(text: str = SAMPLE, reference: dict | None = REFERENCE) -> GraphQLSchema:
    spec = parse_declarations(text, known_names={"IDComparator"})
    apply_defaults(spec, reference)
    return spec_to_schema(spec)


def test_every_construct_of_the_sample_is_read_back() -> None:
    schema = _sample_schema()
    assert compare_schemas(schema, build_schema(EXPECTED), reasons=True) == []


def test_optional_non_null_without_known_default_becomes_nullable() -> None:
    spec = parse_declarations(SAMPLE, known_names={"IDComparator"})
    applied = apply_defaults(spec, REFERENCE)
    assert applied.unknown == ["IssueCreateInput.type"]
    assert applied.arguments == {
        "Issue.children(mode)": {"type": "WorkflowStateType!", "default": "backlog"}
    }
    # Without a reference both stay non-null and required (what the declarations say).
    bare = parse_declarations(SAMPLE, known_names={"IDComparator"})
    schema = spec_to_schema(bare)
    assert str(schema.get_type("IssueCreateInput").fields["type"].type) == "WorkflowStateType!"


def test_without_known_names_codegen_spelling_stays() -> None:
    spec = parse_declarations(SAMPLE)
    assert "IdComparator" in spec.types and "IDComparator" not in spec.types


def test_ambiguous_known_names_are_an_error() -> None:
    with pytest.raises(DtsParseError, match="IdComparator could be any of"):
        parse_declarations(SAMPLE, known_names={"IDComparator", "IdCOMPARATOR"})


def test_parsing_stops_at_the_operation_types() -> None:
    # The fragment type after the schema would be an error if it were read as a schema type.
    spec = parse_declarations(SAMPLE, known_names={"IDComparator"})
    assert "IssueFragment" not in spec.types


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("type Nothing = {};", "no `type Scalars = {`"),
        (HEADER + "type Query = { __typename?: \"Query\"; a: Missing; };\n", "not declared: Missing"),
        (HEADER + "type Query = { __typename?: \"Query\"; a: Scalars[\"Int\"]; };\n"
         "declare function helper(): void;\n", "declaration helper"),
        (HEADER + "type Issue = { __typename?: \"Issue\"; id: Scalars[\"ID\"]; };\n",
         "no Query type"),
        (HEADER + "type Query = { __typename?: \"Query\"; a: Promise<Scalars[\"Int\"]>; };\n",
         "Query.a: unsupported type expression"),
        (HEADER + "type Query = Node & { __typename?: \"Query\"; a: Scalars[\"Int\"]; };\n",
         "undeclared types: Node"),
    ],
)
def test_unexpected_shapes_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(DtsParseError, match=message):
        parse_declarations(text)


def test_declarations_are_found_in_a_package(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.d.mts").write_text("export * from './index-abc.mjs';\n")
    (dist / "index-abc.d.mts").write_text(SAMPLE)
    assert find_declarations(tmp_path) == dist / "index-abc.d.mts"
    (dist / "index-abc.d.mts").unlink()
    with pytest.raises(FileNotFoundError, match="no graphql-codegen declarations"):
        find_declarations(tmp_path)


# --- the real thing ------------------------------------------------------------------------


def test_sdk_88_declarations_reproduce_the_official_sdl(
    sdk_88: Path, official_schema: GraphQLSchema
) -> None:
    """Issue 10, item 1: the generator run on @linear/sdk 88.3.0 reproduces the official SDL
    with 0 mismatches: every type, kind, field, argument, input field, enum value, interface
    (also on interfaces), union member, custom scalar, nullability, list wrapping,
    deprecation and default value.

    Everything but the 98 defaults comes from the declarations (names included: the official
    names only give back the two that codegen re-spelled); the defaults, which declarations
    cannot carry, come from the reference, and applying them changes nothing else.
    (The official SDL also defines @oneOf, unused; the comparer treats it as built in, as
    graphql-core 3.3 does.)
    """
    text = find_declarations(sdk_88).read_text(encoding="utf-8")
    reference = derive_reference(official_schema, "official 88.3.0")
    spec = parse_declarations(text, reference["type_names"])
    assert spec.renamed == {"IdComparator": "IDComparator", "IssueIdComparator": "IssueIDComparator"}
    applied = apply_defaults(spec, reference)
    assert applied.unknown == []  # so no type was touched, only defaults set
    assert len(applied.arguments) + len(applied.input_fields) == 98
    # reasons=True: the parser reads even the deprecation reasons right (the shipped SDL
    # then writes them neutrally).
    mismatches = compare_schemas(spec_to_schema(spec), official_schema, reasons=True)
    assert mismatches == [], "\n".join(map(str, mismatches[:40]))
