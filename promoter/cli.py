"""``promoter``: observe findings, run promotions, reconcile, show status.

    promoter observe   --store sqlite:///f.db --class C findings.jsonl
    promoter run       --store URL --team KEY --threshold 3 [--mode reference|idempotent]
                       [--max-per-run 5] [--class C ...] [--circuit-breaker N]
    promoter reconcile --store URL --team KEY [--dry-run]
    promoter status    --store URL [--class C] [--limit N]

The API key comes from ``LINEAR_API_KEY`` (never printed whole). User errors (missing key,
unknown team, bad store URL, malformed findings file) print one clear line on stderr and exit
with status 2; a failed reconcile exits 1. No traceback for user errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from promoter.findings import Finding
from promoter.store.base import FindingStore, StoreError
from promoter.store.url import StoreURLError, open_store

EXIT_USER = 2
EXIT_FAILED = 1


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def mask(key: str) -> str:
    """``…`` + the last characters of ``key``: 6 at most, and never more than a quarter of it
    (so a short key is never shown whole, or nearly)."""
    shown = min(6, len(key) // 4)
    return "…" + key[len(key) - shown:]


def _is_encodable(text: str) -> bool:
    """JSON allows lone surrogates (``\\ud800``); they cannot be hashed or stored as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_findings(stream: TextIO, cls: str, name: str) -> list[Finding]:
    """Parse a JSONL findings file (``ref_id``, ``kind``, ``title``, optional ``detail`` and
    ``class``); raises :class:`UserError` naming the line of the first malformed record."""
    out: list[Finding] = []
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{name}:{lineno}: invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise UserError(f"{name}:{lineno}: JSON nested too deeply") from None
        if not isinstance(rec, dict):
            raise UserError(f"{name}:{lineno}: expected a JSON object")
        missing = [k for k in ("ref_id", "kind", "title") if not isinstance(rec.get(k), str) or not rec.get(k)]
        if missing:
            raise UserError(f"{name}:{lineno}: missing or non-string field(s): {', '.join(missing)}")
        if "class" in rec and rec["class"] != cls:
            raise UserError(f"{name}:{lineno}: class {rec['class']!r} does not match --class {cls!r}")
        detail = rec.get("detail", "")
        if not isinstance(detail, str):
            raise UserError(f"{name}:{lineno}: 'detail' must be a string")
        for field in ("ref_id", "kind", "title", "detail"):
            if not _is_encodable(rec.get(field, "")):
                raise UserError(f"{name}:{lineno}: {field!r} is not valid Unicode (lone surrogate)")
        out.append(Finding(cls, rec["ref_id"], rec["kind"], rec["title"], detail))
    return out


def _store(url: str) -> FindingStore:
    """Open the store ``url`` names; a bad URL or an unopenable store is a :class:`UserError`."""
    try:
        return open_store(url)
    except StoreURLError as exc:
        raise UserError(str(exc)) from None
    except StoreError as exc:
        raise UserError(f"cannot open store: {exc}") from None


def _client() -> tuple[Any, str]:
    """A ``LinearClient`` on ``LINEAR_API_KEY`` and the key (for masked messages)."""
    key = os.environ.get("LINEAR_API_KEY", "").strip()
    if not key:
        raise UserError("LINEAR_API_KEY is not set (export your Linear API key)")
    if not key.isascii() or not key.isprintable():
        # It goes into an HTTP header: httpx would fail with a traceback (UnicodeEncodeError).
        raise UserError("LINEAR_API_KEY contains non-ASCII or control characters; "
                        "it cannot be a Linear API key")
    from promoter.linear import LinearClient

    return LinearClient(key), key


def _team(client: Any, key: str, team: str) -> Any:
    """The team by key or id; lookup failures are :class:`UserError` (the key masked)."""
    from promoter.linear.errors import AuthenticationError, LinearError, NotFoundError

    try:
        return client.team(team)
    except NotFoundError:
        raise UserError(f"unknown team {team!r}") from None
    except AuthenticationError:
        raise UserError(f"Linear rejected the API key {mask(key)}") from None
    except LinearError as exc:
        raise UserError(f"cannot look up team {team!r}: {exc.message}") from None


def cmd_observe(args: argparse.Namespace) -> int:
    """``promoter observe``: record one cycle of a class from a JSONL file (or stdin)."""
    name = args.file
    try:
        if name == "-":
            findings = read_findings(sys.stdin, args.cls, "<stdin>")
        else:
            with open(name, encoding="utf-8") as fh:
                findings = read_findings(fh, args.cls, name)
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{name}: not UTF-8 text") from None
    store = _store(args.store)
    try:
        n = store.observe(args.cls, findings)
    finally:
        store.close()
    print(f"observed {n} finding(s) of class {args.cls}")
    return 0


def _close(client: Any) -> None:
    """Close ``client`` when it has a ``close`` method."""
    close = getattr(client, "close", None)
    if callable(close):
        close()


def _client_and_store(args: argparse.Namespace) -> tuple[Any, str, FindingStore]:
    """The Linear client (and its key) and the store; the client is closed if the store
    cannot be opened."""
    client, key = _client()
    try:
        store = _store(args.store)
    except UserError:
        _close(client)
        raise
    return client, key, store


def cmd_run(args: argparse.Namespace) -> int:
    """``promoter run``: one promotion run per class; prints counters and orphans."""
    from promoter.promoter import LinearPromoter

    if args.threshold < 0:
        raise UserError("--threshold must be >= 0 (0 disables the promoter)")
    if args.max_per_run < 1:
        raise UserError("--max-per-run must be >= 1 (use --threshold 0 to disable the promoter)")
    if args.circuit_breaker is not None and args.circuit_breaker < 0:
        raise UserError("--circuit-breaker must be >= 0")
    client, key, store = _client_and_store(args)
    try:
        team = _team(client, key, args.team)
        promoter = LinearPromoter(
            store,
            client,
            team.id,
            args.threshold,
            max_per_run=args.max_per_run,
            mode=args.mode,
            circuit_breaker=args.circuit_breaker,
        )
        if not promoter.enabled():
            print("promoter disabled (threshold 0): nothing to do")
            return 0
        classes = args.cls or store.classes()
        for cls in classes:
            r = promoter.promote_class(cls)
            counts = " ".join(f"{k}={v}" for k, v in r.counters().items() if v)
            print(f"{cls}: {counts or 'nothing to do'}")
            for fid, ident in r.orphans:
                print(f"  ORPHAN {ident} for finding {fid}")
    finally:
        store.close()
        _close(client)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    """``promoter reconcile``: link findings to their issues and mark duplicates (exit 1 when
    it aborts or a repair fails)."""
    from promoter.reconciler import ReconcileAborted, Reconciler

    client, key, store = _client_and_store(args)
    try:
        team = _team(client, key, args.team)
        try:
            report = Reconciler(store, client, team.id).run(dry_run=args.dry_run)
        except ReconcileAborted as exc:
            print(f"reconcile aborted, nothing changed: {exc}", file=sys.stderr)
            return EXIT_FAILED
    finally:
        store.close()
        _close(client)
    for action in report.actions:
        print(("would " if args.dry_run else "") + action)
    print(
        f"issues read {report.issues_read}, carrying a finding id {report.carrying}, "
        f"linked {report.linked}, duplicates marked {report.duplicates_marked}, "
        f"repairs {report.repairs}, errors {len(report.errors)}"
    )
    for err in report.errors:
        print(f"  error: {err}", file=sys.stderr)
    return EXIT_FAILED if report.errors else 0


def cmd_status(args: argparse.Namespace) -> int:
    """``promoter status``: a table of findings, streaks and links."""
    from rich.console import Console
    from rich.table import Table

    store = _store(args.store)
    try:
        rows = store.list_findings(args.cls, args.limit)
    finally:
        store.close()
    table = Table(title=f"findings ({len(rows)})")
    for col in ("class", "finding", "ref", "kind", "streak", "issue", "title"):
        table.add_column(col)
    for f in rows:
        table.add_row(
            f.cls, f.finding_id[:12], f.ref_id, f.kind, str(f.streak),
            f.identifier or ("linked" if f.issue_id else "-"), f.title,
        )
    Console(width=160).print(table)
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"promoter: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER)


def build_parser() -> argparse.ArgumentParser:
    """The ``promoter`` argument parser (usage errors exit 2 without a traceback)."""
    p = _Parser(prog="promoter", description="File each persistent finding as a Linear issue, once.")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    o = sub.add_parser("observe", help="record one cycle of findings of a class")
    o.add_argument("--store", required=True)
    o.add_argument("--class", dest="cls", required=True)
    o.add_argument("file", help="JSONL findings file, or - for stdin")
    o.set_defaults(func=cmd_observe)

    r = sub.add_parser("run", help="promote persistent findings to Linear issues")
    r.add_argument("--store", required=True)
    r.add_argument("--team", required=True, help="team key or id")
    r.add_argument("--threshold", type=int, required=True)
    r.add_argument("--mode", choices=("reference", "idempotent"), default="reference")
    r.add_argument("--max-per-run", type=int, default=5)
    r.add_argument("--circuit-breaker", type=int, default=None)
    r.add_argument("--class", dest="cls", action="append", help="only this class (repeatable)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("reconcile", help="link findings to their issues and mark duplicates")
    c.add_argument("--store", required=True)
    c.add_argument("--team", required=True)
    c.add_argument("--dry-run", action="store_true")
    c.set_defaults(func=cmd_reconcile)

    s = sub.add_parser("status", help="show findings, streaks and links")
    s.add_argument("--store", required=True)
    s.add_argument("--class", dest="cls", default=None)
    s.add_argument("--limit", type=int, default=None)
    s.set_defaults(func=cmd_status)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"promoter: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except StoreError as exc:
        print(f"promoter: store error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
