"""The GraphQL documents an @linear/sdk bundle sends, as data.

The bundle (``dist/index.mjs`` or ``index.cjs``) holds each operation as
``const XDocument = new TypedDocumentString(`query x(...) {...} fragment ...`)``: the
operation followed by every fragment it uses. :func:`extract_documents` returns one
:class:`SdkDocument` per operation; fragments alone (``XFragmentDoc``) are not sent and are
skipped. The SDK's codegen validates documents without ``OverlappingFieldsCanBeMergedRule``,
so :func:`validate_documents` does the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.language import Visitor, visit

__all__ = [
    "SDK_VALIDATION_RULES",
    "DocumentError",
    "SdkDocument",
    "document_type_names",
    "extract_documents",
    "find_bundle",
    "normalized_operations",
    "parse_document",
    "validate_documents",
]


class DocumentError(ValueError):
    """The bundle's documents cannot be read (message says which and why)."""


@dataclass(frozen=True)
class SdkDocument:
    """One operation the SDK sends: its name, type, root fields and full text."""

    name: str
    operation: str  # "query" | "mutation" | "subscription"
    root_fields: tuple[str, ...]
    text: str
    export: str  # the bundle's constant, e.g. "IssueDocument"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (``root_fields`` as a list)."""
        out = asdict(self)
        out["root_fields"] = list(self.root_fields)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SdkDocument:
        """The inverse of :meth:`to_json`."""
        return cls(
            name=data["name"],
            operation=data["operation"],
            root_fields=tuple(data["root_fields"]),
            text=data["text"],
            export=data["export"],
        )


_DOCUMENT = re.compile(r"\b(?:const|let|var)\s+(\w+)\s*=\s*new TypedDocumentString\(`")
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _template_literal(text: str, start: int, where: str) -> str:
    """The cooked value of the template literal whose body starts at ``start``."""
    out: list[str] = []
    pos = start
    while True:
        tick = text.find("`", pos)
        if tick < 0:
            raise DocumentError(f"{where}: unterminated template literal")
        chunk = text[pos:tick]
        # An odd run of backslashes before the backtick escapes it.
        run = len(chunk) - len(chunk.rstrip("\\"))
        if run % 2:
            out.append(chunk + "`")
            pos = tick + 1
            continue
        out.append(chunk)
        break
    raw = "".join(out)
    if "${" in raw.replace("\\${", ""):
        raise DocumentError(f"{where}: the document interpolates a value (${{...}})")

    def cook(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[esc]
        if esc.startswith("u{"):
            return chr(int(esc[2:-1], 16))
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return "" if esc == "\n" else esc

    return _ESCAPE.sub(cook, raw)


def _iter_literals(bundle: str) -> Iterator[tuple[str, str]]:
    for m in _DOCUMENT.finditer(bundle):
        yield m.group(1), _template_literal(bundle, m.end(), m.group(1))


def extract_documents(bundle: str) -> list[SdkDocument]:
    """Every operation document of an SDK bundle, in bundle order.

    Raises :class:`DocumentError` when the bundle holds no ``TypedDocumentString`` documents,
    when one does not parse, or when two operations share a name.
    """
    documents: list[SdkDocument] = []
    seen: dict[str, str] = {}
    for export, text in _iter_literals(bundle):
        try:
            ast = parse_document(text.strip())
        except GraphQLError as exc:
            raise DocumentError(f"{export}: not a GraphQL document: {exc.message}") from exc
        operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
        if not operations:
            continue  # a fragment document (XFragmentDoc): never sent on its own
        if len(operations) > 1:
            raise DocumentError(f"{export}: {len(operations)} operations in one document")
        op = operations[0]
        if op.name is None:
            raise DocumentError(f"{export}: anonymous operation")
        name = op.name.value
        if name in seen:
            raise DocumentError(f"operation {name} is defined by both {seen[name]} and {export}")
        seen[name] = export
        roots = tuple(
            s.name.value
            for s in op.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value != "__typename"
        )
        documents.append(SdkDocument(name, op.operation.value, roots, text.strip(), export))
    if not documents:
        raise DocumentError("no `new TypedDocumentString(...)` operation documents in the bundle")
    return documents


def find_bundle(package_dir: str | Path) -> Path:
    """The JavaScript bundle of an installed @linear/sdk that holds its documents."""
    dist = Path(package_dir) / "dist"
    preferred = [dist / "index.mjs", dist / "index.cjs", dist / "index.js"]
    others = sorted(p for p in dist.glob("**/*") if p.suffix in (".mjs", ".cjs", ".js"))
    for path in [*preferred, *others]:
        if path.is_file() and "new TypedDocumentString(`" in path.read_text(encoding="utf-8"):
            return path
    raise FileNotFoundError(f"no bundle with TypedDocumentString documents under {dist}")


@functools.lru_cache(maxsize=4096)
def parse_document(text: str) -> DocumentNode:
    """The parsed document (cached: the same texts are parsed by several steps)."""
    return parse(text, no_location=True)


class _Names(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_named_type(self, node: NamedTypeNode, *_args: object) -> None:
        self.names.add(node.name.value)


def document_type_names(documents: Iterable[SdkDocument]) -> set[str]:
    """Every type name the documents mention (variable types, type conditions)."""
    collector = _Names()
    for doc in documents:
        visit(parse_document(doc.text), collector)
    return collector.names


SDK_VALIDATION_RULES = tuple(r for r in specified_rules if r is not OverlappingFieldsCanBeMergedRule)


def validate_documents(
    schema: GraphQLSchema, documents: Iterable[SdkDocument]
) -> dict[str, list[str]]:
    """Validation errors by operation name (empty: every document validates)."""
    failures: dict[str, list[str]] = {}
    for doc in documents:
        errors = validate(schema, parse_document(doc.text), SDK_VALIDATION_RULES)
        if errors:
            failures[doc.name] = [e.message for e in errors]
    return failures


def _spreads(node: object) -> set[str]:
    found: set[str] = set()

    def walk(selection_set: Any) -> None:
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FragmentSpreadNode):
                found.add(sel.name.value)
            elif isinstance(sel, FieldNode | InlineFragmentNode):
                walk(sel.selection_set)

    walk(getattr(node, "selection_set", None))
    return found


def normalized_operations(document: DocumentNode | str) -> dict[str, tuple[str, frozenset[str]]]:
    """Each operation as (printed operation, printed fragments it uses, transitively).

    Two sources define the same operations when these are equal, whether fragments are
    inlined per document (the bundle) or written once for all (``documents.graphql``).
    """
    ast = parse(document) if isinstance(document, str) else document
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for op in ast.definitions:
        if not isinstance(op, OperationDefinitionNode) or op.name is None:
            continue
        todo, used = list(_spreads(op)), set()
        while todo:
            name = todo.pop()
            if name in used:
                continue
            used.add(name)
            if name not in fragments:
                raise DocumentError(f"operation {op.name.value} uses undefined fragment {name}")
            todo.extend(_spreads(fragments[name]))
        out[op.name.value] = (print_ast(op), frozenset(print_ast(fragments[n]) for n in used))
    return out
