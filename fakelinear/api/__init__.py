"""GraphQL over the model: Linear's whole schema, bound from its shapes (see
:mod:`fakelinear.api.fields`, :mod:`fakelinear.api.roots`), Linear-shaped errors, and the
visibility policy the fault layer supplies."""

from fakelinear.api.errors import GraphQLRequestError, linear_error
from fakelinear.api.executor import (
    ExecutionOutcome,
    GraphQLApi,
    PreparedOperation,
    SchemaBundle,
    get_schema,
    schema_bundle,
)
from fakelinear.api.schema_loader import DEFAULT_SCHEMA, SchemaLoadError
from fakelinear.api.visibility import ALWAYS_VISIBLE, Visibility

__all__ = [
    "ALWAYS_VISIBLE",
    "DEFAULT_SCHEMA",
    "ExecutionOutcome",
    "GraphQLApi",
    "GraphQLRequestError",
    "PreparedOperation",
    "SchemaBundle",
    "SchemaLoadError",
    "Visibility",
    "get_schema",
    "linear_error",
    "schema_bundle",
]
