"""Every GraphQL document the official SDK sends validates against the served schema and
executes against a seeded workspace with a Linear-shaped answer: data, ``Entity not found``,
an input error, or the documented "not supported by fakelinear" error. Never a 500, never
"Cannot return null for non-nullable field"."""

from __future__ import annotations

import collections

import pytest

from fakelinear.api import GraphQLApi
from fakelinear.api.errors import GraphQLRequestError
from tests.sdk.documents_support import Document, documents_for_served_schema, run_all

DOCUMENTS = documents_for_served_schema()


def test_documents_are_the_sdk_set() -> None:
    names = [d.name for d in DOCUMENTS]
    assert len(DOCUMENTS) > 600 and len(set(names)) == len(names)
    assert {"viewer", "issue", "issues", "team", "teams", "workflowStates", "createIssue"} <= set(names)


def test_every_document_validates() -> None:
    api = GraphQLApi()
    failures = []
    for doc in DOCUMENTS:
        try:
            api.prepare(doc.text, doc.name)
        except GraphQLRequestError as exc:
            failures.append(f"{doc.name}: {exc.errors[0]['message']}")
    assert failures == [], f"{len(failures)} of {len(DOCUMENTS)} do not validate: {failures[:5]}"


def test_every_document_executes_with_a_linear_shaped_answer() -> None:
    results = run_all(DOCUMENTS)
    bad = [f"{r.name}: {r.problem}" for r in results if not r.ok]
    assert bad == [], f"{len(bad)} documents got a non-Linear answer: {bad[:10]}"
    # Most documents answer data outright; the rest are Linear-shaped refusals. A floor keeps
    # this test from passing on an engine that refuses everything.
    clean = sum(1 for r in results if r.errors == 0)
    by_kind = collections.Counter(r.operation for r in results if r.errors == 0)
    assert clean >= 0.75 * len(results), (clean, len(results), by_kind)
    assert by_kind["query"] >= 0.9 * sum(1 for d in DOCUMENTS if d.operation == "query")


@pytest.mark.parametrize("name", ["viewer", "issue", "issues", "team", "teams", "workflowStates"])
def test_the_first_calls_of_every_sdk_user_answer_data(name: str) -> None:
    doc: Document = next(d for d in DOCUMENTS if d.name == name)
    results = run_all([doc])
    assert results[0].ok and results[0].errors == 0, results[0]
