"""A cheap estimate of Linear's query complexity, for the ``X-Complexity`` headers.

Linear scores roughly 0.1 point per scalar, 1 per object, and multiplies a connection's
contents by its page size (``first``/``last``, default 50). We follow that shape without
claiming Linear's exact numbers; the estimate is cached per document and page sizes.
"""

from __future__ import annotations

import math
from typing import Any

from graphql.language import FieldNode, IntValueNode, VariableNode

from fakelinear.api.connections import DEFAULT_PAGE as _DEFAULT_PAGE

# Keyed by ``id(document)``; the entry keeps the document itself, so an id reused by a new
# document after the old one was freed (the API's caches are bounded) is not a stale hit.
_cache: dict[tuple[int, tuple[Any, ...]], tuple[Any, int]] = {}


def _page(field: FieldNode, variables: dict[str, Any]) -> int | None:
    for arg in field.arguments or ():
        if arg.name.value in ("first", "last"):
            if isinstance(arg.value, IntValueNode):
                return int(arg.value.value)
            if isinstance(arg.value, VariableNode):
                v = variables.get(arg.value.name.value)
                if isinstance(v, int):
                    return v
    return None


def _score(selections: Any, variables: dict[str, Any]) -> float:
    total = 0.0
    for sel in selections or ():
        sub = getattr(sel, "selection_set", None)
        if not isinstance(sel, FieldNode):
            # Fragments: count their contents in place.
            total += _score(sub.selections if sub else (), variables)
            continue
        if sub is None:
            total += 0.1
            continue
        inner = _score(sub.selections, variables)
        names = {getattr(s, "name", None) and s.name.value for s in sub.selections}
        if "nodes" in names or "edges" in names:
            page = _page(sel, variables) or _DEFAULT_PAGE
            total += 1 + inner * page
        else:
            total += 1 + inner
    return total


def estimate(document: Any, variables: dict[str, Any] | None) -> int:
    """Integer complexity of ``document`` (a graphql-core DocumentNode); 1 if unknown."""
    if document is None:
        return 1
    variables = variables or {}
    key = (id(document), tuple(sorted((k, v) for k, v in variables.items() if isinstance(v, int))))
    cached = _cache.get(key)
    if cached is not None and cached[0] is document:
        return cached[1]
    total = 0.0
    for definition in getattr(document, "definitions", ()):
        sel = getattr(definition, "selection_set", None)
        if sel is not None:
            total += _score(sel.selections, variables)
    value = max(1, math.ceil(total))
    if len(_cache) > 10_000:  # documents are cached upstream; keep ours bounded anyway
        _cache.clear()
    _cache[key] = (document, value)
    return value
