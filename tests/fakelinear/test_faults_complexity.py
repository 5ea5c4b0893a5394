"""Query complexity as Linear documents it (fakelinear/faults/complexity.py), on any schema."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse, validate

from fakelinear.api import get_schema
from fakelinear.faults import complexity
from fakelinear.faults.complexity import (
    MAX_QUERY_COMPLEXITY,
    estimate,
    query_complexity,
    too_complex_error,
)

LINEAR = get_schema()


def cost(query: str, variables: dict | None = None, schema=LINEAR) -> int:
    document = parse(query)
    assert not validate(schema, document), validate(schema, document)
    return query_complexity(schema, document, None, variables)


@pytest.mark.parametrize(
    ("query", "points"),
    [
        ("{ viewer { id } }", 2),  # object 1 + property 0.1, rounded up
        ("{ viewer { id name email } }", 2),  # 1.3
        ("{ viewer { id name email active admin displayName url createdAt updatedAt archivedAt } }", 2),  # 2.0 exactly
        ("{ issues(first: 10) { nodes { id title } } }", 13),  # 1 + 10 x (1 + 0.2)
        ("{ issues { nodes { id } } }", 56),  # default page: 1 + 50 x 1.1
        ("{ issues(last: 4) { nodes { id } } }", 6),  # 1 + 4 x 1.1 = 5.4
        ("{ issues(first: 0) { nodes { id title } } }", 1),
        # Everything a connection selects is multiplied: 1 + 2 x (1.1 + 1.2) = 5.6.
        ("{ issues(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } } }", 6),
        ("{ issues(first: 2) { edges { cursor node { id } } } }", 6),  # 1 + 2 x 2.2 = 5.4
        ('{ issue(id: "x") { team { issues(first: 3) { nodes { id } } } } }', 7),  # 3 + 3 x 1.1
        ("{ a: viewer { id } b: viewer { id } }", 3),  # aliases count separately: 2.2
    ],
)
def test_linear_rules(query: str, points: int) -> None:
    assert cost(query) == points


def test_page_sizes_from_variables_and_their_defaults() -> None:
    q = "query Q($n: Int) { issues(first: $n) { nodes { id title } } }"
    assert cost(q, {"n": 100}) == 121
    assert cost(q, {"n": 7}) == 10  # 1 + 8.4 = 9.4
    assert cost(q, {}) == 61  # absent: the default page of 50
    assert cost(q, {"n": None}) == 61
    assert cost(q, {"n": True}) == 61  # not an Int: the executor refuses it; cost as default
    assert cost(q, {"n": 2**31}) == 61  # not a 32-bit Int either
    with_default = "query Q($n: Int = 5) { issues(first: $n) { nodes { id title } } }"
    assert cost(with_default, {}) == 7
    assert cost(with_default, {"n": 20}) == 25


def test_fragments_count_where_they_are_spread() -> None:
    inline = "{ issues(first: 10) { nodes { ... on Issue { id title } } } }"
    named = "query { issues(first: 10) { nodes { ...F } } } fragment F on Issue { id title }"
    twice = "query { issues(first: 10) { nodes { ...F } } a: issues(first: 10) { nodes { ...F } } } fragment F on Issue { id title }"
    assert cost(inline) == cost(named) == 13
    assert cost(twice) == 26


def test_any_schema_a_connection_is_a_relay_shape() -> None:
    sdl = """
        type PageInfo { hasNextPage: Boolean! endCursor: String }
        type Gadget { id: ID! name: String parts: [Part!]! }
        type Part { id: ID! }
        type GadgetPage { edges: [GadgetEdge!]! pageInfo: PageInfo! }
        type GadgetEdge { node: Gadget! cursor: String! }
        type Query { gadgets(first: Int, last: Int): GadgetPage! gadget(id: ID!): Gadget }
    """
    toy = build_schema(sdl)
    # A Relay connection under any name multiplies by its page size.
    assert cost("{ gadgets(first: 4) { edges { node { id } } } }", schema=toy) == 10  # 1 + 4 x 2.1 = 9.4
    assert cost("{ gadgets { edges { node { id } } } }", schema=toy) == 106  # default 50
    # A plain list is not a connection: counted once (Linear documents only connections).
    assert cost('{ gadget(id: "1") { parts { id } } }', schema=toy) == 3  # 1 + 1 + 0.1


def test_without_a_schema_the_same_rules_run_on_syntax() -> None:
    for query in (
        "{ viewer { id } }",
        "{ issues(first: 10) { nodes { id title } } }",
        "{ issues { nodes { id team { id } } } }",
        "query Q($n: Int) { issues(first: $n) { nodes { id } } }",
    ):
        assert estimate(parse(query), {"n": 30}) == query_complexity(LINEAR, parse(query), None, {"n": 30})
    assert estimate(None, None) == 1


def test_nested_connections_multiply_and_saturate() -> None:
    three = "{ issues { nodes { team { issues { nodes { team { issues { nodes { id } } } } } } } } }"
    # innermost 1 + 50 x 1.1 = 56; middle 1 + 50 x (1 + 1 + 56) = 2,901; outer 1 + 50 x 2,903.
    assert cost(three) == 145_151
    # 40 levels of first: 250 would be 250**40 points: saturated, still an int, still "too much".
    deep = "{ " + "issues(first: 250) { nodes { team { " * 40 + "id" + " } } }" * 40 + " }"
    big = query_complexity(LINEAR, parse(deep), None, {})
    assert isinstance(big, int) and MAX_QUERY_COMPLEXITY < big <= 10**17


def test_a_fragment_bomb_is_compiled_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fragments spreading the next one twice, 24 levels deep: 2**24 expansions if walked
    naively; each fragment must be compiled once."""
    levels = 24
    parts = ["query Q($n: Int) { issues(first: $n) { nodes { ...F0 } } }"]
    for i in range(levels):
        parts.append(f"fragment F{i} on Issue {{ a{i}: team {{ id }} ...F{i + 1} b{i}: parent {{ ...F{i + 1} }} }}")
    parts.append(f"fragment F{levels} on Issue {{ id }}")
    document = parse("\n".join(parts))
    assert not validate(LINEAR, document)
    calls = {"n": 0}
    original = complexity._Compiler.field

    def counting(self, node, parent):  # noqa: ANN001, ANN202
        calls["n"] += 1
        return original(self, node, parent)

    monkeypatch.setattr(complexity._Compiler, "field", counting)
    small = query_complexity(LINEAR, document, None, {"n": 1})
    assert calls["n"] < 10 * levels  # each field node compiled once, not 2**24 times
    assert query_complexity(LINEAR, document, None, {"n": 2}) == pytest.approx(2 * small, abs=2)  # rounding
    assert small > MAX_QUERY_COMPLEXITY  # and the bomb itself is refused


def test_cache_ignores_an_entry_left_by_another_document() -> None:
    # The cache is keyed by ids; a freed document's id can be reused by a new one.
    document = parse("{ issues(first: 10) { nodes { id title } } }")
    fresh = query_complexity(LINEAR, document)
    key = (id(LINEAR), id(document), None)
    complexity._compiled[key] = (object(), LINEAR, complexity._Cost(10 * (fresh + 1000)))
    assert query_complexity(LINEAR, document) == fresh


def test_too_complex_error_is_linears() -> None:
    error = too_complex_error(44_000)
    assert error["message"] == "Query too complex"
    ext = error["extensions"]
    assert (ext["code"], ext["type"], ext["statusCode"], ext["userError"]) == ("INPUT_ERROR", "invalid input", 400, True)
    assert ext["userPresentableMessage"] == (
        "The query is too complex. Complexity: 44000. Maximum allowed complexity: 10000."
    )


def test_text_complexity_checks_a_document_before_validation() -> None:
    query = "query Q($n: Int) { issues(first: $n) { nodes { id nope } } }"  # invalid: 'nope'
    assert complexity.text_complexity(LINEAR, query, None, {"n": 10}) == 13
    assert complexity.text_complexity(LINEAR, query, None, {"n": 20}) == 25  # cached per text
    assert complexity.text_complexity(LINEAR, "{ viewer { ", None, {}) is None
    valid = "{ issues(first: 10) { nodes { id title } } }"
    assert complexity.text_complexity(LINEAR, valid) == query_complexity(LINEAR, parse(valid))
