"""Pure in-memory state of the fake (no HTTP, no GraphQL, no faults).

A generic store of records (:mod:`records`, :mod:`store`) described by a
:class:`~fakelinear.model.catalog.Catalog` that the API layer derives from the schema, with
Linear's semantics as small per-kind rule modules (:mod:`rules`).
"""

from fakelinear.model.catalog import Backref, Catalog, KindSpec, Ref
from fakelinear.model.errors import (
    AlreadyExists,
    InvalidInput,
    ModelError,
    NotFound,
    Unsupported,
    UsageLimitExceeded,
)
from fakelinear.model.model import Model
from fakelinear.model.records import Record
from fakelinear.model.workspace import PLAN_LIMITS, PURGE_AFTER, Change, Workspace

__all__ = [
    "PLAN_LIMITS",
    "PURGE_AFTER",
    "AlreadyExists",
    "Backref",
    "Catalog",
    "Change",
    "InvalidInput",
    "KindSpec",
    "Model",
    "ModelError",
    "NotFound",
    "Record",
    "Ref",
    "Unsupported",
    "UsageLimitExceeded",
    "Workspace",
]
