"""Load the SDL the fake serves, fast.

Parsing Linear's whole SDL with graphql-core takes most of a second; rebuilding the same
schema from its introspection result (``build_client_schema``, public API) takes a
fraction of that. So the first load of an SDL writes its introspection JSON to a cache
file keyed by the SDL's sha256, and later loads (other processes included) start from it.
A cache that cannot be read or written is ignored: the SDL is the source of truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    build_client_schema,
    build_schema,
    introspection_from_schema,
)

from fakelinear.files import write_atomically

#: The SDL fakelinear serves by default (generated from @linear/sdk; see source.json).
DEFAULT_SCHEMA = Path(__file__).with_name("schema") / "linear.graphql"
SOURCE_FILE = DEFAULT_SCHEMA.with_name("source.json")
_CACHE_FORMAT = "fakelinear-schema-cache/1"
_log = logging.getLogger(__name__)


class SchemaLoadError(ValueError):
    """The SDL file cannot be read or is not a valid GraphQL schema."""


@dataclass(frozen=True, slots=True)
class SchemaSource:
    """Where a schema came from: its path, content hash and (for ours) the SDK version."""

    path: Path
    sha256: str
    sdk_version: str | None


def cache_dir() -> Path:
    """``$FAKELINEAR_CACHE_DIR``, else ``$XDG_CACHE_HOME/fakelinear``, else ``~/.cache/fakelinear``."""
    explicit = os.environ.get("FAKELINEAR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fakelinear"


def sdk_version(path: Path = DEFAULT_SCHEMA) -> str | None:
    """The @linear/sdk version the SDL at ``path`` was generated from, if recorded."""
    source = path.with_name("source.json")
    try:
        return str(json.loads(source.read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_sdl(path: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """The resolved path and text of an SDL file (``SchemaLoadError`` when unreadable)."""
    resolved = Path(path) if path is not None else DEFAULT_SCHEMA
    try:
        return resolved, resolved.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaLoadError(f"cannot read schema {resolved}: {exc}") from exc


def load_schema(path: str | os.PathLike[str] | None = None) -> tuple[GraphQLSchema, SchemaSource]:
    """A fresh (unbound) schema built from the SDL at ``path`` (default: ours)."""
    resolved, sdl = read_sdl(path)
    digest = hashlib.sha256(sdl.encode()).hexdigest()
    source = SchemaSource(resolved, digest, sdk_version(resolved) if path is None else None)
    cached = _read_cache(digest)
    if cached is not None:
        try:
            return build_client_schema(cached, assume_valid=True), source
        except Exception:  # noqa: BLE001 - a stale or damaged cache is just rebuilt
            _log.debug("ignoring unusable schema cache", exc_info=True)
    try:
        schema = build_schema(sdl)
    except (GraphQLError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchemaLoadError(f"{resolved} is not a valid GraphQL schema: {first_line}") from exc
    if schema.query_type is None:
        raise SchemaLoadError(f"{resolved} has no Query type")
    _write_cache(digest, introspection_from_schema(schema))
    return schema, source


def _cache_file(digest: str) -> Path:
    return cache_dir() / f"schema-{digest[:32]}.json"


def _read_cache(digest: str) -> Any:
    try:
        data = json.loads(_cache_file(digest).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT or data.get("sha256") != digest:
        return None
    return data.get("introspection")


def _write_cache(digest: str, introspection: Any) -> None:
    target = _cache_file(digest)
    payload = {"format": _CACHE_FORMAT, "sha256": digest, "introspection": introspection}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, json.dumps(payload, separators=(",", ":")))
    except OSError:
        _log.debug("schema cache not written", exc_info=True)
