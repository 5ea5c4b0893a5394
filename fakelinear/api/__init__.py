"""GraphQL over the model: our SDL subset, resolvers, Linear-shaped errors, visibility."""

from fakelinear.api.errors import GraphQLRequestError, linear_error
from fakelinear.api.executor import ExecutionOutcome, GraphQLApi, PreparedOperation, get_schema
from fakelinear.api.visibility import ALWAYS_VISIBLE, Visibility

__all__ = [
    "ALWAYS_VISIBLE",
    "ExecutionOutcome",
    "GraphQLApi",
    "GraphQLRequestError",
    "PreparedOperation",
    "Visibility",
    "get_schema",
    "linear_error",
]
