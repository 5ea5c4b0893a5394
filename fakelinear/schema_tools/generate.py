"""Generate the fake's SDL from a given @linear/sdk version.

``generate("98.0.0")`` installs the package with npm (cached), reads its declarations and
bundle, and writes into ``fakelinear/api/schema/``:

* ``linear.graphql``: the canonical SDL (sorted, no descriptions, known defaults applied);
* ``source.json``: where it came from (package, version, tarball and integrity, file hashes,
  counts, renamed types, defaults applied) so anyone can reproduce it;
* ``defaults.json``: the argument and input-field defaults ``linear.graphql`` carries, for
  the engine (the declarations have none; they come from the reference SDL).

The three files are written next to each other and renamed into place only when all are
ready, so a failure leaves the previous ones untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql

from fakelinear.schema_tools import npm
from fakelinear.schema_tools.documents import (
    SdkDocument,
    document_type_names,
    extract_documents,
    find_bundle,
    validate_documents,
)
from fakelinear.schema_tools.dts import find_declarations, parse_declarations
from fakelinear.schema_tools.reference import apply_defaults, load_reference
from fakelinear.schema_tools.sdl import print_canonical, spec_to_schema

__all__ = [
    "DEFAULT_OUTPUT_DIR",
    "PACKAGE",
    "Generated",
    "build_from_package",
    "generate",
    "write_atomically",
    "write_documents",
]

PACKAGE = "@linear/sdk"
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent.parent / "api" / "schema"


@dataclass
class Generated:
    """The result of one generation: SDL text, documents and the metadata written."""

    sdl: str
    documents: list[SdkDocument]
    source: dict[str, Any]
    defaults: dict[str, Any]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_from_package(
    package_dir: Path,
    *,
    version: str,
    reference: Mapping[str, Any] | None,
    resolved: Mapping[str, str] | None = None,
    registry: str = "",
) -> Generated:
    """Build the SDL of an installed @linear/sdk (no writing). ``reference=None`` gives the
    declarations alone: no defaults and no names from an official SDL."""
    declarations = find_declarations(package_dir)
    bundle = find_bundle(package_dir)
    documents = extract_documents(bundle.read_text(encoding="utf-8"))
    doc_names = document_type_names(documents)
    ref_names = set(reference.get("type_names", [])) if reference else set()
    spec = parse_declarations(declarations.read_text(encoding="utf-8"), doc_names | ref_names)
    applied = apply_defaults(spec, dict(reference) if reference else None)
    schema = spec_to_schema(spec)
    sdl = print_canonical(schema)
    invalid = validate_documents(schema, documents)
    if invalid:
        first = next(iter(invalid.items()))
        raise ValueError(
            f"{len(invalid)} of the SDK's own documents do not validate against the generated "
            f"schema, e.g. {first[0]}: {first[1][0]}"
        )
    kinds = Counter(t.kind for t in spec.types.values())
    # Non-object names neither the documents nor the reference confirm: if codegen had
    # re-spelled one of them (an acronym), it would keep the declared spelling.
    declared_only = sorted(
        t.name
        for t in spec.types.values()
        if t.kind in ("input", "enum", "interface", "union")
        and t.name not in doc_names | ref_names
    )
    source: dict[str, Any] = {
        "package": PACKAGE,
        "version": version,
        "registry": registry,
        **({"tarball": resolved["resolved"]} if resolved and resolved.get("resolved") else {}),
        "integrity": (resolved or {}).get("integrity", ""),
        "declarations": {
            "file": declarations.relative_to(package_dir).as_posix(),
            "sha256": _sha256(declarations),
        },
        "bundle": {"file": bundle.relative_to(package_dir).as_posix(), "sha256": _sha256(bundle)},
        "documents": len(documents),
        "types": dict(sorted(kinds.items())),
        # Declared name -> real name (from the documents or the reference's names).
        "renamed_types": spec.renamed,
        "reference": (reference or {}).get("source"),
        "defaults_applied": len(applied.arguments) + len(applied.input_fields),
        "defaults_unknown_made_nullable": applied.unknown,
        "type_names_from_declarations_only": declared_only,
        "sdl_sha256": hashlib.sha256(sdl.encode()).hexdigest(),
        "generator": "fakelinear.schema_tools (fakelinear schema generate --sdk-version "
        f"{version})",
        "graphql_core": graphql.__version__,
    }
    defaults = {
        "about": "Default values of arguments and input fields in linear.graphql. The SDK's "
        "declarations carry none; these come from the reference SDL and were applied "
        "where the same coordinate has the same type. Values are GraphQL literals "
        "(graphql.parse_value + value_from_ast).",
        "reference": (reference or {}).get("source"),
        "arguments": applied.arguments,
        "input_fields": applied.input_fields,
        "unknown_made_nullable": applied.unknown,
    }
    return Generated(sdl, documents, source, defaults)


def write_atomically(files: Mapping[Path, str]) -> None:
    """Write several text files so that either all are replaced or none is."""
    for path in files:
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory")
    temps: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        # Every file is written in full first; only then are they renamed into place.
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temps.append((tmp, path))
            os.fchmod(fd, 0o666 & ~umask)  # as open() would create it, not mkstemp's 0600
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
        temps.clear()
    finally:
        for tmp, _path in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_documents(documents: list[SdkDocument], path: Path) -> None:
    """Write documents as the JSON list the tests read (``tests/data/sdk/<v>/documents.json``)."""
    write_atomically({path: _json([d.to_json() for d in documents])})


def generate(
    version: str,
    *,
    output_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    reference: Mapping[str, Any] | None | bool = True,
    documents_out: str | os.PathLike[str] | None = None,
) -> Generated:
    """Install ``@linear/sdk@version`` and write ``linear.graphql``, ``source.json`` and
    ``defaults.json`` into ``output_dir`` (default: the package's ``api/schema``).
    ``reference=True`` uses the committed reference, ``None`` none, or pass the data."""
    installation = npm.install({PACKAGE: version}, cache_dir)
    ref = load_reference() if reference is True else (reference or None)
    generated = build_from_package(
        installation.package_dir(PACKAGE),
        version=version,
        reference=ref,  # type: ignore[arg-type]
        resolved=installation.resolved.get(PACKAGE),
        registry=installation.registry,
    )
    out = Path(output_dir) if output_dir is not None else DEFAULT_OUTPUT_DIR
    files = {
        out / "linear.graphql": generated.sdl,
        out / "source.json": _json(generated.source),
        out / "defaults.json": _json(generated.defaults),
    }
    if documents_out is not None:
        files[Path(documents_out)] = _json([d.to_json() for d in generated.documents])
    write_atomically(files)
    return generated
