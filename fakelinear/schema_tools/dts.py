"""Read a GraphQL schema back out of @linear/sdk's TypeScript declarations.

The SDK's ``_generated_documents`` declarations are graphql-codegen ``typescript`` output:

* ``type Scalars = { ID: string; DateTime: Date; ... }``: built-in and custom scalars;
* ``declare enum X { Member = "value" }``: enums (the string is the GraphQL value name);
* ``type X = A | B``: unions;
* ``type X = Node & Entity & { __typename?: "X"; f: Scalars["String"]; g?: Maybe<Y> }``:
  object types (``__typename``) and the interfaces they implement (the intersection);
* the same without ``__typename``: interfaces (named in some intersection), field argument
  types (``<Type><Field>Args``) and input types;
* ``Maybe<T>``/``InputMaybe<T>`` mark nullable types, ``Array<T>`` lists; an input field or
  argument written ``name?: T`` (optional, yet not ``InputMaybe``) is non-null with a default.

After the schema types come the types of the SDK's own operations (``XFragment``,
``XQueryVariables`` ...); parsing stops at the first of them. What the declarations cannot
carry is listed in ``docs/schema-tools.md`` (defaults, descriptions, directive definitions,
argument deprecations, which interfaces an interface implements: inferred here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fakelinear.schema_tools.naming import args_type_name, pascal_case
from fakelinear.schema_tools.spec import (
    BUILTIN_SCALARS,
    ArgumentSpec,
    EnumValueSpec,
    FieldSpec,
    InputFieldSpec,
    SchemaSpec,
    TypeSpec,
)

__all__ = ["DtsParseError", "find_declarations", "parse_declarations"]


class DtsParseError(ValueError):
    """The declarations are not in the shape this parser knows (message says where)."""


# --- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<doc>/\*\*.*?\*/)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<punct>=>|[{}<>\[\]()&|;:?=,.])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


class _Tokens:
    """A lazy token stream with one token of look-ahead; JSDoc comments are kept aside."""

    def __init__(self, text: str, start: int) -> None:
        self._text = text
        self._it = self._scan(start)
        self._peek: _Tok | None = None
        self.doc: str | None = None  # the last JSDoc comment seen before the current token

    def _scan(self, start: int) -> Iterator[_Tok]:
        pos = start
        text = self._text
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise DtsParseError(f"unexpected character {text[pos]!r} at {self.where(pos)}")
            kind = m.lastgroup or ""
            pos = m.end()
            if kind in ("ws", "comment"):
                continue
            yield _Tok(kind, m.group(), m.start())

    def peek(self) -> _Tok | None:
        while self._peek is None:
            tok = next(self._it, None)
            if tok is None:
                return None
            if tok.kind == "doc":
                self.doc = tok.text
                continue
            self._peek = tok
        return self._peek

    def next(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise DtsParseError("unexpected end of declarations")
        self._peek = None
        return tok

    def take_doc(self) -> str | None:
        """The JSDoc comment before the next token (then forgotten)."""
        self.peek()
        doc, self.doc = self.doc, None
        return doc

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.text == text and tok.kind in ("punct", "ident"):
            self.next()
            return True
        return False

    def expect(self, text: str) -> _Tok:
        tok = self.next()
        if tok.text != text:
            raise DtsParseError(f"expected {text!r}, found {tok.text!r} at {self.where(tok.pos)}")
        return tok

    def where(self, pos: int) -> str:
        line = self._text.count("\n", 0, pos) + 1
        return f"line {line}"


# --- TypeScript type expressions ---------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    name: str
    args: tuple[object, ...] = ()


@dataclass(frozen=True)
class _Index:
    base: object
    key: str


@dataclass(frozen=True)
class _Lit:
    value: str


@dataclass(frozen=True)
class _Member:
    name: str
    optional: bool
    type: object
    doc: str | None


@dataclass(frozen=True)
class _Obj:
    members: tuple[_Member, ...]


@dataclass(frozen=True)
class _Union:
    parts: tuple[object, ...]


@dataclass(frozen=True)
class _Inter:
    parts: tuple[object, ...]


@dataclass(frozen=True)
class _Other:
    """Something outside the subset the schema section uses (mapped types, functions ...)."""

    text: str


def _parse_union(ts: _Tokens) -> object:
    ts.accept("|")
    parts = [_parse_inter(ts)]
    while ts.accept("|"):
        parts.append(_parse_inter(ts))
    return parts[0] if len(parts) == 1 else _Union(tuple(parts))


def _parse_inter(ts: _Tokens) -> object:
    ts.accept("&")
    parts = [_parse_primary(ts)]
    while ts.accept("&"):
        parts.append(_parse_primary(ts))
    return parts[0] if len(parts) == 1 else _Inter(tuple(parts))


def _parse_primary(ts: _Tokens) -> object:
    tok = ts.next()
    node: object
    if tok.text == "{" and tok.kind == "punct":
        node = _parse_members(ts)
    elif tok.text == "(" and tok.kind == "punct":
        node = _parse_union(ts)
        ts.expect(")")
    elif tok.kind == "str":
        node = _Lit(tok.text[1:-1])
    elif tok.kind == "num":
        node = _Lit(tok.text)
    elif tok.kind == "ident":
        if tok.text in ("keyof", "typeof", "readonly", "unique"):
            return _Other(tok.text + " " + repr(_parse_primary(ts)))
        args: list[object] = []
        if ts.accept("<"):
            args.append(_parse_union(ts))
            while ts.accept(","):
                args.append(_parse_union(ts))
            ts.expect(">")
        node = _Ref(tok.text, tuple(args))
    else:
        raise DtsParseError(f"unexpected {tok.text!r} in a type at {ts.where(tok.pos)}")
    while (nxt := ts.peek()) is not None and nxt.text == "[":
        ts.next()
        if ts.accept("]"):
            node = _Ref("Array", (node,))
            continue
        key = ts.next()
        ts.expect("]")
        node = _Index(node, key.text[1:-1] if key.kind == "str" else key.text)
    return node


def _parse_members(ts: _Tokens) -> object:
    members: list[_Member] = []
    while True:
        doc = ts.take_doc()
        tok = ts.next()
        if tok.text == "}":
            return _Obj(tuple(members))
        if tok.text == "[":
            # An index or mapped signature: not part of a schema type. Skip to its end.
            depth = 1
            while depth:
                t = ts.next()
                depth += {"[": 1, "{": 1, "(": 1, "]": -1, "}": -1, ")": -1}.get(t.text, 0)
            ts.accept("?")
            ts.expect(":")
            _parse_union(ts)
            ts.accept(";")
            members.append(_Member("[]", False, _Other("index signature"), None))
            continue
        if tok.kind not in ("ident", "str"):
            raise DtsParseError(f"expected a member name, found {tok.text!r} at {ts.where(tok.pos)}")
        name = tok.text if tok.kind == "ident" else tok.text[1:-1]
        optional = ts.accept("?")
        ts.expect(":")
        members.append(_Member(name, optional, _parse_union(ts), doc))
        if not ts.accept(";"):
            ts.accept(",")


# --- declarations ------------------------------------------------------------------------


@dataclass
class _Decl:
    name: str
    kind: str  # "type" | "enum" | "other"
    rhs: object = None
    enum_members: list[tuple[str, str, str | None]] = field(default_factory=list)
    pos: int = 0


def _declarations(text: str, start: int) -> Iterator[_Decl]:
    ts = _Tokens(text, start)
    while True:
        ts.take_doc()
        tok = ts.peek()
        if tok is None:
            return
        ts.next()
        if tok.text in ("export", "declare"):
            continue
        if tok.text == "type":
            name = ts.next()
            if ts.accept("<"):
                # A generic helper type (Maybe<T> ...): never a schema type.
                yield _Decl(name.text, "other", pos=name.pos)
                return
            ts.expect("=")
            rhs = _parse_union(ts)
            ts.accept(";")
            yield _Decl(name.text, "type", rhs, pos=name.pos)
        elif tok.text == "enum":
            name = ts.next()
            ts.expect("{")
            members: list[tuple[str, str, str | None]] = []
            while True:
                doc = ts.take_doc()
                if ts.accept("}"):
                    break
                member = ts.next()
                ts.expect("=")
                value = ts.next()
                if value.kind != "str":
                    raise DtsParseError(
                        f"enum {name.text}.{member.text}: expected a string value at {ts.where(value.pos)}"
                    )
                members.append((member.text, value.text[1:-1], doc))
                ts.accept(",")
            yield _Decl(name.text, "enum", enum_members=members, pos=name.pos)
        else:
            # namespace/const/class/function ...: name the declaration by what follows.
            nxt = ts.peek()
            name = nxt.text if nxt is not None and nxt.kind == "ident" else tok.text
            yield _Decl(name, "other", pos=tok.pos)
            return


_OPERATION_SUFFIXES = ("Fragment", "Variables", "Query", "Mutation", "Subscription", "Document")


def _schema_declarations(text: str) -> tuple[_Obj, list[_Decl]]:
    """The ``Scalars`` map and every schema declaration after it (up to the operations)."""
    m = re.search(r"^(?:export )?(?:declare )?type Scalars = \{", text, re.M)
    if not m:
        raise DtsParseError("no `type Scalars = {` in the declarations: not graphql-codegen output")
    decls: list[_Decl] = []
    scalars: _Obj | None = None
    for decl in _declarations(text, m.start()):
        if decl.name == "Scalars" and scalars is None:
            if not isinstance(decl.rhs, _Obj):
                raise DtsParseError("`Scalars` is not an object type")
            scalars = decl.rhs
            continue
        if decl.kind == "enum" or (decl.kind == "type" and _is_schema_form(decl.rhs)):
            decls.append(decl)
            continue
        if not decl.name.endswith(_OPERATION_SUFFIXES):
            line = text.count("\n", 0, decl.pos) + 1
            raise DtsParseError(
                f"declaration {decl.name} (line {line}) is neither a schema type nor an "
                "operation type: the declaration format changed"
            )
        break
    assert scalars is not None
    return scalars, decls


def _is_schema_form(rhs: object) -> bool:
    if isinstance(rhs, _Obj):
        return True
    if isinstance(rhs, _Ref):
        return not rhs.args
    if isinstance(rhs, _Union):
        return all(isinstance(p, _Ref) and not p.args for p in rhs.parts)
    if isinstance(rhs, _Inter):
        *refs, last = rhs.parts
        return isinstance(last, _Obj) and all(isinstance(r, _Ref) and not r.args for r in refs)
    return False


def _object_parts(rhs: object) -> tuple[list[str], _Obj] | None:
    if isinstance(rhs, _Obj):
        return [], rhs
    if isinstance(rhs, _Inter):
        *refs, last = rhs.parts
        assert isinstance(last, _Obj)
        return [r.name for r in refs if isinstance(r, _Ref)], last
    return None


# --- TypeScript types to SDL types -------------------------------------------------------

_NULLABLE = ("Maybe", "InputMaybe")


def _sdl_type(node: object, where: str, rename: dict[str, str]) -> str:
    """The SDL spelling of a member's TypeScript type (``!`` unless wrapped in Maybe)."""
    if isinstance(node, _Ref):
        if node.name in _NULLABLE and len(node.args) == 1:
            inner = _sdl_type(node.args[0], where, rename)
            return inner[:-1] if inner.endswith("!") else inner
        if node.name == "Array" and len(node.args) == 1:
            return f"[{_sdl_type(node.args[0], where, rename)}]!"
        if not node.args:
            return rename.get(node.name, node.name) + "!"
    if isinstance(node, _Index):
        base = node.base
        if isinstance(base, _Index):  # Scalars["ID"]["input"] (newer codegen)
            base, node = base.base, base
        if isinstance(base, _Ref) and base.name == "Scalars" and not base.args:
            return node.key + "!"
    if isinstance(node, _Union):
        # Input list coercion: `Array<T> | T` accepts a single value too; the type is [T].
        arrays = [p for p in node.parts if isinstance(p, _Ref) and p.name == "Array"]
        if len(arrays) == 1 and len(node.parts) == 2:
            single = next(p for p in node.parts if p is not arrays[0])
            if arrays[0].args == (single,):
                return _sdl_type(arrays[0], where, rename)
    raise DtsParseError(f"{where}: unsupported type expression {node!r}")


def _is_nullable(node: object) -> bool:
    return isinstance(node, _Ref) and node.name in _NULLABLE


_DEPRECATED = re.compile(r"^\s*\*?\s*@deprecated\b ?(.*)$")
_TAG = re.compile(r"^\s*\*?\s*@\w+")


def _deprecation(doc: str | None) -> str | None:
    """The reason of the last ``@deprecated`` tag of a JSDoc comment (None: not deprecated)."""
    if not doc or "@deprecated" not in doc:
        return None
    lines = doc[3:-2].split("\n")
    reason: list[str] | None = None
    for line in lines:
        m = _DEPRECATED.match(line)
        if m:
            reason = [m.group(1).rstrip()]
        elif reason is not None and not _TAG.match(line):
            cont = re.sub(r"^\s*\*? ?", "", line).rstrip()
            if cont:
                reason.append(cont)
        elif reason is not None:
            break
    if reason is None:
        return None
    text = "\n".join(reason).strip()
    return text or "No longer supported"


# --- classification ----------------------------------------------------------------------


def parse_declarations(text: str, known_names: Iterable[str] = ()) -> SchemaSpec:
    """Parse graphql-codegen TypeScript declarations into a :class:`SchemaSpec`.

    ``known_names`` are GraphQL type names seen elsewhere (the SDK's documents, a reference
    SDL): codegen declares ``IDComparator`` as ``IdComparator``, and only object types keep
    their real name (``__typename``), so other types get their real name from this list when
    its pascal-cased form matches. Raises :class:`DtsParseError` when the text does not have
    the expected shape, naming the declaration and line, instead of guessing.
    """
    scalars_obj, decls = _schema_declarations(text)
    schema = SchemaSpec()
    for member in scalars_obj.members:
        if member.name not in BUILTIN_SCALARS:
            schema.add(TypeSpec(member.name, "scalar"))

    objects: dict[str, tuple[list[str], _Obj]] = {}
    pending: dict[str, _Obj] = {}
    enums: dict[str, _Decl] = {}
    unions: dict[str, list[str]] = {}
    implemented: set[str] = set()
    rename: dict[str, str] = {}
    for decl in decls:
        if decl.kind == "enum":
            enums[decl.name] = decl
            continue
        parts = _object_parts(decl.rhs)
        if parts is None:
            rhs = decl.rhs
            members = rhs.parts if isinstance(rhs, _Union) else (rhs,)
            unions[decl.name] = [m.name for m in members if isinstance(m, _Ref)]
            continue
        interfaces, obj = parts
        implemented.update(interfaces)
        typename = next((m for m in obj.members if m.name == "__typename"), None)
        if typename is None:
            pending[decl.name] = obj
            continue
        if not isinstance(typename.type, _Lit):
            raise DtsParseError(f"{decl.name}.__typename is not a string literal")
        objects[decl.name] = (interfaces, obj)
        rename[decl.name] = typename.type.value

    rename.update(_real_names([*pending, *enums, *unions], known_names, taken=set(rename)))

    def gql(ts_name: str) -> str:
        return rename.get(ts_name, ts_name)

    missing = implemented - set(objects) - set(pending)
    if missing:
        raise DtsParseError(f"intersections name undeclared types: {', '.join(sorted(missing))}")
    interfaces_decl, field_args = _split_pending(pending, objects, implemented, gql)

    for name, decl in enums.items():
        values = [EnumValueSpec(value, _deprecation(doc)) for _m, value, doc in decl.enum_members]
        schema.add(TypeSpec(gql(name), "enum", values=values))
    for name, members in unions.items():
        schema.add(TypeSpec(gql(name), "union", members=[gql(m) for m in members]))
    for name, obj in interfaces_decl.items():
        fields = _output_fields(name, obj, field_args, rename)
        schema.add(TypeSpec(gql(name), "interface", fields=fields))
    for name, (interfaces, obj) in objects.items():
        fields = _output_fields(name, obj, field_args, rename)
        schema.add(
            TypeSpec(gql(name), "object", fields=fields, interfaces=[gql(i) for i in interfaces])
        )
    for name, obj in pending.items():
        schema.add(TypeSpec(gql(name), "input", input_fields=_input_fields(name, obj, rename)))

    schema.renamed = {ts: real for ts, real in sorted(rename.items()) if ts != real}
    _infer_interface_implements(schema)
    if "Query" not in schema.types:
        raise DtsParseError("no Query type in the declarations")
    if "Mutation" not in schema.types:
        schema.mutation = None
    if "Subscription" not in schema.types:
        schema.subscription = None
    _check_references(schema)
    return schema


def _real_names(
    declared: Iterable[str], known_names: Iterable[str], taken: set[str]
) -> dict[str, str]:
    """Declared name -> real name, where exactly one known name pascal-cases to it."""
    by_pascal: dict[str, set[str]] = {}
    for name in set(known_names):
        if pascal_case(name) != name:
            by_pascal.setdefault(pascal_case(name), set()).add(name)
    out: dict[str, str] = {}
    for ts_name in declared:
        real = by_pascal.get(ts_name, set())
        if len(real) > 1:
            raise DtsParseError(f"{ts_name} could be any of {', '.join(sorted(real))}")
        if real and ts_name not in taken:
            out[ts_name] = real.pop()
    return out


def _split_pending(
    pending: dict[str, _Obj],
    objects: dict[str, tuple[list[str], _Obj]],
    implemented: set[str],
    gql: Callable[[str], str],
) -> tuple[dict[str, _Obj], dict[tuple[str, str], _Obj]]:
    """Sort the object types without ``__typename`` into interfaces and field argument types;
    what stays in ``pending`` (modified in place) are the input types."""
    interfaces = {name: pending.pop(name) for name in list(pending) if name in implemented}
    # Interfaces nobody implements: their fields use Maybe<> (inputs use InputMaybe<>), or,
    # with only non-null fields, an object type's field refers to them.
    output_refs = _referenced_names(o for _i, o in objects.values())
    for name, obj in list(pending.items()):
        uses_maybe = any(_mentions(m.type, "Maybe") for m in obj.members)
        uses_input_maybe = any(_mentions(m.type, "InputMaybe") for m in obj.members)
        if (uses_maybe and not uses_input_maybe) or (
            not uses_maybe and not uses_input_maybe and name in output_refs
        ):
            interfaces[name] = pending.pop(name)
    # Field argument types are named <Owner><Field>Args after their field (pascal-cased).
    args_of: dict[str, tuple[str, str]] = {}
    owners = {**{n: o for n, (_i, o) in objects.items()}, **interfaces}
    for owner, obj in owners.items():
        for member in obj.members:
            args_of.setdefault(args_type_name(gql(owner), member.name), (owner, member.name))
    field_args = {args_of[n]: pending.pop(n) for n in list(pending) if n in args_of}
    return interfaces, field_args


def _mentions(node: object, name: str) -> bool:
    if isinstance(node, _Ref):
        return node.name == name or any(_mentions(a, name) for a in node.args)
    if isinstance(node, _Union | _Inter):
        return any(_mentions(p, name) for p in node.parts)
    return False


def _referenced_names(objs: Iterable[_Obj]) -> set[str]:
    out: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, _Ref):
            out.add(node.name)
            for a in node.args:
                walk(a)
        elif isinstance(node, _Union | _Inter):
            for p in node.parts:
                walk(p)

    for obj in objs:
        for m in obj.members:
            walk(m.type)
    return out


def _output_fields(
    owner: str,
    obj: _Obj,
    field_args: dict[tuple[str, str], _Obj],
    rename: dict[str, str],
) -> list[FieldSpec]:
    fields: list[FieldSpec] = []
    for m in obj.members:
        if m.name == "__typename":
            continue
        where = f"{owner}.{m.name}"
        args_obj = field_args.get((owner, m.name))
        args = tuple(_input_fields(where, args_obj, rename, ArgumentSpec)) if args_obj else ()
        sdl = _sdl_type(m.type, where, rename)
        fields.append(FieldSpec(m.name, sdl, args, _deprecation(m.doc)))
    return fields


def _input_fields(
    owner: str,
    obj: _Obj,
    rename: dict[str, str],
    cls: type[ArgumentSpec] = InputFieldSpec,
) -> list[ArgumentSpec]:
    out: list[ArgumentSpec] = []
    for m in obj.members:
        where = f"{owner}.{m.name}"
        sdl = _sdl_type(m.type, where, rename)
        # `name?: T` without InputMaybe: non-null, but may be omitted (it has a default).
        optional = m.optional and not _is_nullable(m.type)
        if cls is InputFieldSpec:
            out.append(InputFieldSpec(m.name, sdl, optional, None, _deprecation(m.doc)))
        else:
            out.append(cls(m.name, sdl, optional))
    return out


def _infer_interface_implements(schema: SchemaSpec) -> None:
    """Interfaces implementing interfaces are not written in the declarations (``type Entity
    = {...}``), but GraphQL requires every implementer of I to list what I implements. So I
    implements J when every implementer of I also implements J and I has J's fields."""
    interfaces = {n: t for n, t in schema.types.items() if t.kind == "interface"}
    implementers: dict[str, list[TypeSpec]] = {n: [] for n in interfaces}
    for t in schema.types.values():
        if t.kind == "object":
            for i in t.interfaces:
                implementers[i].append(t)
    for name, iface in interfaces.items():
        impls = implementers[name]
        if not impls:
            continue
        own = {f.name: f.type for f in iface.fields}
        common = set.intersection(*(set(t.interfaces) for t in impls)) - {name}
        iface.interfaces = sorted(
            j
            for j in common
            if all(own.get(f.name) == f.type for f in interfaces[j].fields)
        )


def _base_name(sdl_type: str) -> str:
    return sdl_type.strip("[]!")


def _check_references(schema: SchemaSpec) -> None:
    known = set(schema.types) | BUILTIN_SCALARS
    unknown: set[str] = set()
    for t in schema.types.values():
        names = [_base_name(f.type) for f in t.fields]
        names += [_base_name(a.type) for f in t.fields for a in f.arguments]
        names += [_base_name(f.type) for f in t.input_fields]
        names += t.members + t.interfaces
        unknown.update(n for n in names if n not in known)
    if unknown:
        raise DtsParseError(f"types used but not declared: {', '.join(sorted(unknown))}")


def find_declarations(package_dir: str | Path) -> Path:
    """The declaration file of an installed @linear/sdk that holds the schema types.

    Newer packages bundle them into ``dist/index-<hash>.d.mts``; older ones ship
    ``dist/_generated_documents.d.ts``. Raises FileNotFoundError naming the directory.
    """
    dist = Path(package_dir) / "dist"
    candidates = sorted(dist.glob("**/*.d.mts")) + sorted(dist.glob("**/*.d.ts"))
    candidates += sorted(dist.glob("**/*.d.cts"))
    for path in candidates:
        with path.open(encoding="utf-8") as f:
            if re.search(r"^(?:export )?(?:declare )?type Scalars = \{", f.read(), re.M):
                return path
    raise FileNotFoundError(f"no graphql-codegen declarations (type Scalars) under {dist}")
