"""Our SDL is a strict subset of Linear's public schema: zero mismatches."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)

from fakelinear.api.executor import SCHEMA_PATH

LINEAR_SCHEMA = Path(__file__).parents[2].parent / "shared/linear/schema.graphql"
BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}


@pytest.fixture(scope="module")
def linear() -> GraphQLSchema:
    if not LINEAR_SCHEMA.exists():
        pytest.skip(f"{LINEAR_SCHEMA} not available")
    return build_schema(LINEAR_SCHEMA.read_text(), assume_valid=True)


@pytest.fixture(scope="module")
def ours() -> GraphQLSchema:
    return build_schema(SCHEMA_PATH.read_text())


def mismatches(ours: GraphQLSchema, linear: GraphQLSchema) -> list[str]:
    """Every difference between a type/field/arg/input field/enum value we declare and
    Linear's declaration of the same name (types compared with wrapping)."""
    out: list[str] = []
    for name, ot in ours.type_map.items():
        if name.startswith("__") or name in BUILTIN:
            continue
        lt = linear.type_map.get(name)
        if lt is None:
            out.append(f"type {name} not in Linear")
            continue
        if type(ot) is not type(lt):
            out.append(f"{name}: kind {type(ot).__name__} != {type(lt).__name__}")
            continue
        if isinstance(ot, GraphQLEnumType):
            out += [f"enum {name}.{v} not in Linear" for v in ot.values if v not in lt.values]  # type: ignore[union-attr]
        elif isinstance(ot, GraphQLInputObjectType):
            for fname, f in ot.fields.items():
                lf = lt.fields.get(fname)  # type: ignore[union-attr]
                if lf is None:
                    out.append(f"input {name}.{fname} not in Linear")
                elif str(lf.type) != str(f.type):
                    out.append(f"input {name}.{fname}: {f.type} != {lf.type}")
        elif isinstance(ot, GraphQLObjectType | GraphQLInterfaceType):
            for iface in ot.interfaces:
                if iface.name not in {i.name for i in lt.interfaces}:  # type: ignore[union-attr]
                    out.append(f"{name} implements {iface.name}, Linear's does not")
            for fname, f in ot.fields.items():
                lf = lt.fields.get(fname)  # type: ignore[union-attr]
                if lf is None:
                    out.append(f"{name}.{fname} not in Linear")
                    continue
                if str(lf.type) != str(f.type):
                    out.append(f"{name}.{fname}: {f.type} != {lf.type}")
                for aname, arg in f.args.items():
                    la = lf.args.get(aname)
                    if la is None:
                        out.append(f"{name}.{fname}({aname}) not in Linear")
                    elif str(la.type) != str(arg.type):
                        out.append(f"{name}.{fname}({aname}): {arg.type} != {la.type}")
                for aname, la in lf.args.items():
                    # Omitting an optional argument is fine; a required one is not.
                    if aname not in f.args and "!" in str(la.type) and la.default_value is None:
                        out.append(f"{name}.{fname}: required arg {aname} omitted")
        elif isinstance(ot, GraphQLUnionType):
            lnames = {t.name for t in lt.types}  # type: ignore[union-attr]
            out += [f"union {name} member {t.name} not in Linear" for t in ot.types
                    if t.name not in lnames]
        elif not isinstance(ot, GraphQLScalarType):
            out.append(f"{name}: unexpected kind")
    return out


def test_zero_mismatches(ours: GraphQLSchema, linear: GraphQLSchema) -> None:
    assert mismatches(ours, linear) == []


def test_checker_catches_a_wrong_type(linear: GraphQLSchema) -> None:
    bad = build_schema("""
        type Query { issue(id: ID!): Issue! viewer: User }
        type Issue { id: ID! title: String priority: Float! nope: String }
        type User { id: ID! }
        enum PaginationOrderBy { createdAt sideways }
    """)
    found = mismatches(bad, linear)
    assert "Query.issue(id): ID! != String!" in found
    assert "Query.viewer: User != User!" in found
    assert "Issue.title: String != String!" in found
    assert "Issue.nope not in Linear" in found
    assert "enum PaginationOrderBy.sideways not in Linear" in found


def test_no_descriptions_copied(ours: GraphQLSchema) -> None:
    text = SCHEMA_PATH.read_text()
    assert '"""' not in text and '"' not in text


def test_required_operations_present(ours: GraphQLSchema) -> None:
    query = ours.query_type.fields  # type: ignore[union-attr]
    mutation = ours.mutation_type.fields  # type: ignore[union-attr]
    for name in ("viewer", "organization", "users", "teams", "team", "issues", "issue",
                 "searchIssues", "projects", "project", "documents", "document",
                 "issueLabels", "comments", "issueRelation", "issueRelations",
                 "workflowStates"):
        assert name in query
    for name in ("teamCreate", "teamUpdate", "teamDelete", "teamUnarchive", "issueCreate",
                 "issueUpdate", "issueArchive", "issueUnarchive", "issueDelete",
                 "issueBatchCreate", "projectCreate", "projectUpdate", "projectDelete",
                 "projectUnarchive", "documentCreate", "documentUpdate", "documentDelete",
                 "documentUnarchive", "issueLabelCreate", "issueLabelDelete", "commentCreate",
                 "commentDelete", "issueRelationCreate", "issueRelationDelete"):
        assert name in mutation


def test_generator_reproduces_committed_sdl(linear: GraphQLSchema) -> None:
    from fakelinear.api.subset import render

    assert render(linear) == SCHEMA_PATH.read_text()
