"""``fakelinear schema ...``: generate, pull, compare and check the fake's SDL.

* ``generate --sdk-version V``: install ``@linear/sdk@V`` with npm, write
  ``fakelinear/api/schema/{linear.graphql,source.json,defaults.json}``;
* ``pull --url URL [--api-key KEY] [--output PATH]``: SDL of a live endpoint by introspection;
* ``diff A B``: semantic differences of two SDL files (exit 1 when there are any);
* ``documents --sdk-version V --output PATH``: the SDK's operation documents as JSON;
* ``reference SDL``: rederive ``reference.json`` (defaults, names) from an official SDL.

Exit status: 0 done, 1 the operation failed (or ``diff`` found differences), 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["add_parser", "build_parser", "main", "run"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add the ``schema`` command (and its subcommands) to a parent parser's subparsers."""
    schema = sub.add_parser(
        "schema",
        help="generate, pull and compare the fake's GraphQL schema",
        description="Tools for the fake's SDL (Linear's whole public schema).",
    )
    schema.set_defaults(schema_parser=schema)
    cmds = schema.add_subparsers(dest="schema_command", metavar="SUBCOMMAND")

    gen = cmds.add_parser("generate", help="regenerate the SDL from an @linear/sdk version (needs npm)")
    gen.add_argument("--sdk-version", required=True, metavar="V", help="exact version, e.g. 98.0.0")
    gen.add_argument("--output-dir", metavar="DIR", default=None, help="default: fakelinear/api/schema")
    gen.add_argument("--cache-dir", metavar="DIR", default=None, help="npm install cache (default ~/.cache/fakelinear/npm)")
    gen.add_argument("--reference", metavar="JSON", default=None, help="reference data (default: the committed reference.json)")
    gen.add_argument("--no-reference", action="store_true", help="declarations only: no defaults, no names from a reference SDL")
    gen.add_argument("--documents", metavar="PATH", default=None, help="also write the SDK's documents as JSON here")

    pull = cmds.add_parser("pull", help="write the SDL of a live endpoint (introspection)")
    pull.add_argument("--url", required=True, help="GraphQL endpoint, e.g. https://api.linear.app/graphql")
    pull.add_argument("--api-key", default=None, help="API key (default: $LINEAR_API_KEY); never printed")
    pull.add_argument("--output", metavar="PATH", default=None, help="file to write (default: stdout)")
    pull.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")

    diff = cmds.add_parser("diff", help="semantic differences between two SDL files")
    diff.add_argument("left", metavar="A")
    diff.add_argument("right", metavar="B")
    diff.add_argument("--ignore", default="", metavar="KINDS", help="comma-separated mismatch kinds to skip")

    docs = cmds.add_parser("documents", help="write the operation documents an @linear/sdk version sends")
    docs.add_argument("--sdk-version", required=True, metavar="V")
    docs.add_argument("--output", required=True, metavar="PATH")
    docs.add_argument("--cache-dir", metavar="DIR", default=None)

    ref = cmds.add_parser("reference", help="rederive reference.json from an official SDL")
    ref.add_argument("sdl", metavar="SDL")
    ref.add_argument("--source", default=None, help="where the SDL came from (recorded)")
    ref.add_argument("--output", metavar="PATH", default=None, help="default: the packaged reference.json")
    return schema


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser (``python -m fakelinear.schema_tools``)."""
    parser = argparse.ArgumentParser(prog="fakelinear")
    add_parser(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def _error(message: str, code: int = 1) -> int:
    print(f"fakelinear schema: error: {message}", file=sys.stderr)
    return code


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SystemExit(_error(f"no such file: {path}", 2)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(_error(f"cannot read {path}: {exc}", 2)) from None


def _generate(args: argparse.Namespace) -> int:
    from fakelinear.schema_tools import npm
    from fakelinear.schema_tools.generate import DEFAULT_OUTPUT_DIR, generate
    from fakelinear.schema_tools.reference import load_reference

    try:
        npm.parse_packages({"@linear/sdk": args.sdk_version})
    except ValueError as exc:
        return _error(str(exc), 2)
    reference: object = True
    if args.no_reference:
        reference = None
    elif args.reference:
        import json

        try:
            reference = json.loads(_read(args.reference))
        except ValueError as exc:
            return _error(f"{args.reference} is not JSON: {exc}", 2)
    else:
        reference = load_reference()
    try:
        result = generate(
            args.sdk_version,
            output_dir=args.output_dir,
            cache_dir=args.cache_dir,
            reference=reference,  # type: ignore[arg-type]
            documents_out=args.documents,
        )
    except (ValueError, npm.NpmError, OSError) as exc:
        return _error(str(exc))
    out = Path(args.output_dir) if args.output_dir else DEFAULT_OUTPUT_DIR
    src = result.source
    print(
        f"@linear/sdk@{src['version']}: {sum(src['types'].values())} types, "
        f"{src['documents']} documents (all valid), {src['defaults_applied']} defaults applied"
    )
    for coord in src["defaults_unknown_made_nullable"]:
        print(f"warning: {coord} is optional but non-null with no known default: made nullable")
    print(f"wrote {out / 'linear.graphql'}, source.json, defaults.json")
    if args.documents:
        print(f"wrote {args.documents}")
    return 0


def _pull(args: argparse.Namespace) -> int:
    from fakelinear.schema_tools.generate import write_atomically
    from fakelinear.schema_tools.pull import PullError, pull_sdl

    key = args.api_key if args.api_key is not None else os.environ.get("LINEAR_API_KEY")
    try:
        sdl = pull_sdl(args.url, key or None, timeout=args.timeout)
    except PullError as exc:
        return _error(str(exc))
    if args.output in (None, "-"):
        sys.stdout.write(sdl)
        return 0
    try:
        write_atomically({Path(args.output): sdl})
    except OSError as exc:
        return _error(f"cannot write {args.output}: {exc}")
    print(f"wrote {args.output} ({sdl.count(chr(10))} lines)", file=sys.stderr)
    return 0


def _diff(args: argparse.Namespace) -> int:
    from graphql import GraphQLError, build_schema

    from fakelinear.schema_tools.compare import MISMATCH_KINDS, compare_schemas

    ignore = [k.strip() for k in args.ignore.split(",") if k.strip()]
    bad = [k for k in ignore if k not in MISMATCH_KINDS]
    if bad:
        return _error(f"unknown kinds {', '.join(bad)}; known: {', '.join(MISMATCH_KINDS)}", 2)
    schemas = []
    for path in (args.left, args.right):
        try:
            schemas.append(build_schema(_read(path)))
        except (GraphQLError, TypeError) as exc:
            return _error(f"{path} is not a valid SDL: {exc}", 2)
    mismatches = compare_schemas(schemas[0], schemas[1], ignore=ignore)
    for m in mismatches:
        print(m)
    print(f"{len(mismatches)} mismatches", file=sys.stderr)
    return 1 if mismatches else 0


def _documents(args: argparse.Namespace) -> int:
    from fakelinear.schema_tools import npm
    from fakelinear.schema_tools.documents import DocumentError, extract_documents, find_bundle
    from fakelinear.schema_tools.generate import PACKAGE, write_documents

    try:
        npm.parse_packages({PACKAGE: args.sdk_version})
    except ValueError as exc:
        return _error(str(exc), 2)
    try:
        inst = npm.install({PACKAGE: args.sdk_version}, args.cache_dir)
        docs = extract_documents(find_bundle(inst.package_dir(PACKAGE)).read_text(encoding="utf-8"))
        write_documents(docs, Path(args.output))
    except (npm.NpmError, DocumentError, OSError) as exc:
        return _error(str(exc))
    print(f"wrote {len(docs)} documents to {args.output}")
    return 0


def _reference(args: argparse.Namespace) -> int:
    import json

    from graphql import GraphQLError

    from fakelinear.schema_tools.generate import write_atomically
    from fakelinear.schema_tools.reference import DEFAULT_REFERENCE_PATH, derive_reference

    try:
        data = derive_reference(_read(args.sdl), args.source or f"official SDL ({Path(args.sdl).name})")
    except (GraphQLError, TypeError) as exc:
        return _error(f"{args.sdl} is not a valid SDL: {exc}", 2)
    out = Path(args.output) if args.output else DEFAULT_REFERENCE_PATH
    write_atomically({out: json.dumps(data, indent=2, ensure_ascii=False) + "\n"})
    print(f"wrote {out}: {len(data['arguments'])} argument and {len(data['input_fields'])} input field defaults")
    return 0


_COMMANDS = {
    "generate": _generate,
    "pull": _pull,
    "diff": _diff,
    "documents": _documents,
    "reference": _reference,
}


def run(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    """Run a parsed ``fakelinear schema ...`` command; returns the exit status."""
    command = _COMMANDS.get(getattr(args, "schema_command", None) or "")
    if command is None:
        (getattr(args, "schema_parser", None) or parser or build_parser()).print_help(sys.stderr)
        return 2
    try:
        return command(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fakelinear.schema_tools schema ...``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return run(args, parser)
