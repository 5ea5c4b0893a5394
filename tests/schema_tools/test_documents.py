"""The SDK's documents: extraction from a bundle, the 88.3.0 cross-check, 98.0.0 validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import GraphQLSchema

from fakelinear.schema_tools.documents import (
    DocumentError,
    SdkDocument,
    document_type_names,
    extract_documents,
    find_bundle,
    normalized_operations,
    validate_documents,
)
from tests.schema_tools.conftest import DOCUMENTS_98, SCHEMA_DIR

BUNDLE = r'''
var TypedDocumentString = class extends String {};
const IssueFragmentDoc = new TypedDocumentString(`
    fragment Issue on Issue {
  __typename
  id
}
    `, { fragmentName: "Issue" });
const IssueDocument = new TypedDocumentString(`
    query issue($id: String!) {
  issue(id: $id) {
    ...Issue
  }
}
    fragment Issue on Issue {
  __typename
  id
}`);
const CreateIssueDocument = new TypedDocumentString(`
    mutation createIssue($input: IssueCreateInput!) {
  __typename
  issueCreate(input: $input) { success title: lastSyncId }
}
    `);
const EscapedDocument = new TypedDocumentString(`
    query escaped { search(term: "a \`tick\` and \\\\ slash \u00e9") }
    `);
'''


def test_operations_are_extracted_fragments_alone_skipped() -> None:
    docs = extract_documents(BUNDLE)
    assert [(d.name, d.operation, d.root_fields, d.export) for d in docs] == [
        ("issue", "query", ("issue",), "IssueDocument"),
        ("createIssue", "mutation", ("issueCreate",), "CreateIssueDocument"),
        ("escaped", "query", ("search",), "EscapedDocument"),
    ]
    assert docs[0].text.startswith("query issue($id: String!)")
    assert docs[0].text.endswith("__typename\n  id\n}")
    # Template literal escapes are cooked as JavaScript would.
    assert 'term: "a `tick` and \\\\ slash é"' in docs[2].text
    assert document_type_names(docs) == {"String", "Issue", "IssueCreateInput"}


def test_documents_round_trip_through_json() -> None:
    docs = extract_documents(BUNDLE)
    assert [SdkDocument.from_json(json.loads(json.dumps(d.to_json()))) for d in docs] == docs


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        ("const x = 1;", "no `new TypedDocumentString"),
        ("const ADocument = new TypedDocumentString(`query a { a ", "unterminated"),
        ("const ADocument = new TypedDocumentString(`query a { ${b} }`);", "interpolates"),
        ("const ADocument = new TypedDocumentString(`query a { a(`);", "not a GraphQL document"),
        ("const ADocument = new TypedDocumentString(`{ a }`);", "anonymous"),
        ("const ADocument = new TypedDocumentString(`query a { a }`);\n"
         "const BDocument = new TypedDocumentString(`query a { b }`);", "both ADocument and BDocument"),
    ],
)
def test_broken_bundles_are_clear_errors(bundle: str, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        extract_documents(bundle)


def test_normalising_ignores_where_fragments_are_written() -> None:
    inlined = "query q { a { ...F } }\nfragment F on A { b ...G }\nfragment G on A { c }"
    apart = "fragment G on A { c }\nquery q {\n  a { ...F }\n}\nfragment F on A { b ...G }\nfragment Unused on A { d }"
    assert normalized_operations(inlined) == normalized_operations(apart)
    assert normalized_operations(inlined) != normalized_operations(inlined.replace("{ c }", "{ c d }"))
    with pytest.raises(DocumentError, match="undefined fragment F"):
        normalized_operations("query q { a { ...F } }")


def test_sdk_88_documents_match_the_official_documents(
    sdk_88: Path, official_documents_path: Path
) -> None:
    """Issue 10, item 2: the extractor run on the 88.3.0 bundle gives the operations of the
    official ``documents.graphql``: same names, same selections once fragments are resolved."""
    docs = extract_documents(find_bundle(sdk_88).read_text(encoding="utf-8"))
    extracted: dict[str, tuple[str, frozenset[str]]] = {}
    for doc in docs:
        extracted.update(normalized_operations(doc.text))
    official = normalized_operations(official_documents_path.read_text(encoding="utf-8"))
    assert len(docs) == len(official) == 663
    assert sorted(extracted) == sorted(official)
    different = [name for name in official if official[name] != extracted[name]]
    assert different == []


def _committed_documents() -> list[SdkDocument]:
    data = json.loads(DOCUMENTS_98.read_text(encoding="utf-8"))
    return [SdkDocument.from_json(d) for d in data]


def test_every_sdk_98_document_validates_against_the_generated_schema(
    generated_schema: GraphQLSchema,
) -> None:
    """Issue 10, item 2: 100% of the 674 documents @linear/sdk 98.0.0 sends validate
    (graphql-core ``validate`` without OverlappingFieldsCanBeMergedRule, as the SDK's codegen)."""
    docs = _committed_documents()
    assert len(docs) == 674
    source = json.loads((SCHEMA_DIR / "source.json").read_text(encoding="utf-8"))
    assert source["version"] == "98.0.0" and source["documents"] == len(docs)
    failures = validate_documents(generated_schema, docs)
    assert failures == {}, f"{len(failures)} invalid, e.g. {next(iter(failures.items()))}"


def test_committed_documents_are_what_the_sdk_98_bundle_holds(sdk_98: Path) -> None:
    extracted = extract_documents(find_bundle(sdk_98).read_text(encoding="utf-8"))
    assert extracted == _committed_documents()
