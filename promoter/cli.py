"""``promoter``: observe findings, run promotions, reconcile, show status, un-park.

    promoter observe   --store sqlite:///f.db --class C findings.jsonl
    promoter run       --store URL --team KEY --threshold 3 [--mode reference|idempotent]
                       [--max-per-run 5] [--class C ...] [--circuit-breaker N] [--max-wait S]
                       [--claim-ttl S] [--park-after N] [--max-backoff N] [--json]
    promoter reconcile --store URL --team KEY [--dry-run] [--max-wait S] [--json]
    promoter status    --store URL [--class C] [--limit N] [--json]
    promoter unpark    --store URL [--class C] (FINDING_ID ... | --all) [--json]

Environment: ``LINEAR_API_KEY`` (never printed whole), ``LINEAR_API_URL`` (default Linear's).

Exit status: 0 when everything asked was done; 1 when some work failed (a create, a
write-back, a repair, a lookup that still failed after the retries, the circuit breaker, a
store failing mid-run); 2 for usage and configuration errors only (bad option, missing or
rejected key, unknown team, bad store URL, a store that does not exist, a malformed findings
file). Errors are one clear line on stderr, never a traceback. ``--threshold 0`` (the kill
switch) makes no call at all, to Linear or to the store, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from promoter.findings import Finding, StoredFinding, text_problem
from promoter.protocols import Clock, SystemClock
from promoter.retry import RetriesExhausted, RetryPolicy, WaitBudget
from promoter.store.base import FindingStore, StoreError
from promoter.store.url import StoreURLError, check_url, open_store

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USER = 2
#: Default of ``--max-wait``: seconds one invocation may spend waiting in total.
DEFAULT_MAX_WAIT = 60.0


class UserError(Exception):
    """A usage or configuration problem the user can fix (exit 2); printed without a
    traceback."""


class WorkFailed(Exception):
    """Work that could not be done now, e.g. a lookup still failing after the retries (exit 1)."""


def mask(key: str) -> str:
    """``…`` + the last characters of ``key``: 6 at most, and never more than a quarter of it
    (so a short key is never shown whole, or nearly)."""
    shown = min(6, len(key) // 4)
    return "…" + key[len(key) - shown:]


def read_findings(stream: TextIO, cls: str, name: str) -> list[Finding]:
    """Parse a JSONL findings file (``ref_id``, ``kind``, ``title``, optional ``detail`` and
    ``class``); raises :class:`UserError` naming the line of the first malformed record,
    including text no store can keep (NUL, lone surrogates), so every store accepts exactly
    what this accepts."""
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
            problem = text_problem(rec.get(field, ""))
            if problem:
                raise UserError(f"{name}:{lineno}: {field!r} {problem}")
        out.append(Finding(cls, rec["ref_id"], rec["kind"], rec["title"], detail))
    return out


def _store(url: str, *, create: bool = False) -> FindingStore:
    """Open the store ``url`` names (only an existing one unless ``create``); a bad URL or an
    unopenable store is a :class:`UserError`."""
    try:
        return open_store(url, create=create)
    except StoreURLError as exc:
        raise UserError(str(exc)) from None
    except StoreError as exc:
        raise UserError(f"cannot open store: {exc}") from None


def _client() -> tuple[Any, str]:
    """A ``LinearClient`` on ``LINEAR_API_KEY`` (endpoint: ``LINEAR_API_URL``) and the key
    (for masked messages)."""
    key = os.environ.get("LINEAR_API_KEY", "").strip()
    if not key:
        raise UserError("LINEAR_API_KEY is not set (export your Linear API key)")
    if not key.isascii() or not key.isprintable():
        # It goes into an HTTP header: httpx would fail with a traceback (UnicodeEncodeError).
        raise UserError("LINEAR_API_KEY contains non-ASCII or control characters; "
                        "it cannot be a Linear API key")
    from promoter.linear import LinearClient

    return LinearClient(key), key


def _team(client: Any, key: str, team: str, policy: RetryPolicy, budget: WaitBudget) -> Any:
    """The team by key or id. Transient failures (gateway, transport, rate limit) are retried
    by ``policy`` out of ``budget`` and then are :class:`WorkFailed`; an unknown team or a
    rejected key is a :class:`UserError` (the key masked)."""
    from promoter.linear.errors import (
        AuthenticationError,
        ForbiddenError,
        LinearError,
        NotFoundError,
    )

    try:
        return policy.call(lambda: client.team(team), budget)
    except NotFoundError:
        raise UserError(f"unknown team {team!r}") from None
    except AuthenticationError:
        raise UserError(f"Linear rejected the API key {mask(key)}") from None
    except ForbiddenError:
        raise UserError(f"the API key {mask(key)} may not read team {team!r}") from None
    except RetriesExhausted as exc:
        raise WorkFailed(f"cannot look up team {team!r}: {exc}") from None
    except LinearError as exc:
        raise WorkFailed(f"cannot look up team {team!r}: {type(exc).__name__}: {exc.message}") from None


def _close(client: Any) -> None:
    """Close ``client`` when it has a ``close`` method."""
    close = getattr(client, "close", None)
    if callable(close):
        close()


def _client_and_store(args: argparse.Namespace) -> tuple[Any, str, FindingStore]:
    """The Linear client (and its key) and the existing store; the client is closed if the
    store cannot be opened."""
    client, key = _client()
    try:
        store = _store(args.store)
    except UserError:
        _close(client)
        raise
    return client, key, store


def _emit(args: argparse.Namespace, doc: dict[str, Any]) -> None:
    """Print ``doc`` as one JSON document (``--json``)."""
    print(json.dumps(doc, indent=2))


# -- observe -----------------------------------------------------------------------------------


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
    store = _store(args.store, create=True)
    try:
        n = store.observe(args.cls, findings)
    except ValueError as exc:  # the --class itself, or a store-level check
        raise UserError(str(exc)) from None
    finally:
        store.close()
    print(f"observed {n} finding(s) of class {args.cls}")
    return EXIT_OK


# -- run -----------------------------------------------------------------------------------------


def _check_run_args(args: argparse.Namespace) -> None:
    if args.threshold < 0:
        raise UserError("--threshold must be >= 0 (0 disables the promoter)")
    if args.max_per_run < 1:
        raise UserError("--max-per-run must be >= 1 (use --threshold 0 to disable the promoter)")
    if args.circuit_breaker is not None and args.circuit_breaker < 0:
        raise UserError("--circuit-breaker must be >= 0")
    if not math.isfinite(args.max_wait) or args.max_wait < 0:
        raise UserError("--max-wait must be a number of seconds >= 0")
    if not math.isfinite(args.claim_ttl) or args.claim_ttl <= 0:
        raise UserError("--claim-ttl must be a number of seconds > 0")
    if args.park_after < 1:
        raise UserError("--park-after must be >= 1")
    if args.max_backoff < 1:
        raise UserError("--max-backoff must be >= 1 (cycles)")


def cmd_run(args: argparse.Namespace, clock: Clock) -> int:
    """``promoter run``: one promotion run per class; counters, orphans and parked findings."""
    from promoter.promoter import LinearPromoter

    _check_run_args(args)
    if args.threshold == 0:
        # The kill switch: no call at all (no key needed, the store is not even opened).
        try:
            check_url(args.store)
        except StoreURLError as exc:
            raise UserError(str(exc)) from None
        if args.json:
            _emit(args, {"command": "run", "enabled": False, "ok": True, "classes": []})
        else:
            print("promoter disabled (threshold 0): nothing to do")
        return EXIT_OK
    budget = WaitBudget(clock, args.max_wait)
    policy = RetryPolicy()
    client, key, store = _client_and_store(args)
    try:
        team = _team(client, key, args.team, policy, budget)
        promoter = LinearPromoter(
            store,
            client,
            team.id,
            args.threshold,
            max_per_run=args.max_per_run,
            mode=args.mode,
            circuit_breaker=args.circuit_breaker,
            clock=clock,
            claim_ttl=args.claim_ttl,
            retry=policy,
            budget=budget,
            park_after=args.park_after,
            max_backoff=args.max_backoff,
        )
        results = [promoter.promote_class(cls) for cls in (args.cls or store.classes())]
    finally:
        store.close()
        _close(client)
    failed = any(r.failed for r in results)
    if args.json:
        _emit(args, {
            "command": "run", "enabled": True, "ok": not failed, "mode": args.mode,
            "team": {"id": team.id, "key": getattr(team, "key", None)},
            "waited_seconds": round(budget.waited, 3),
            "classes": [r.to_dict() for r in results],
        })
        return EXIT_FAILED if failed else EXIT_OK
    for r in results:
        counts = " ".join(f"{k}={v}" for k, v in r.counters().items() if v)
        print(f"{r.cls}: {counts or 'nothing to do'}")
        for fid, issue_id, ident in r.orphans:
            print(f"  ORPHAN {ident} (issue id {issue_id}) for finding {fid}")
        for fid, reason in r.parked_findings:
            print(f"  PARKED finding {fid}: {reason}")
        for fid, error in r.errors:
            print(f"  FAILED finding {fid}: {error}")
    return EXIT_FAILED if failed else EXIT_OK


# -- reconcile -----------------------------------------------------------------------------------


def cmd_reconcile(args: argparse.Namespace, clock: Clock) -> int:
    """``promoter reconcile``: link findings to their issues and mark duplicates (exit 1 when
    it aborts or a repair fails)."""
    from promoter.reconciler import ReconcileAborted, Reconciler

    if not math.isfinite(args.max_wait) or args.max_wait < 0:
        raise UserError("--max-wait must be a number of seconds >= 0")
    client, key, store = _client_and_store(args)
    policy, budget = RetryPolicy(), WaitBudget(clock, args.max_wait)
    try:
        team = _team(client, key, args.team, policy, budget)
        try:
            report = Reconciler(store, client, team.id, retry=policy, budget=budget).run(
                dry_run=args.dry_run)
        except ReconcileAborted as exc:
            if args.json:
                _emit(args, {"command": "reconcile", "ok": False, "aborted": str(exc)})
            print(f"reconcile aborted, nothing changed: {exc}", file=sys.stderr)
            return EXIT_FAILED
    finally:
        store.close()
        _close(client)
    status = EXIT_FAILED if report.errors else EXIT_OK
    if args.json:
        _emit(args, {"command": "reconcile", "ok": not report.errors,
                     **report.to_dict(dry_run=args.dry_run)})
        return status
    for action in report.actions:
        print(("would " if args.dry_run else "") + action)
    print(
        f"issues read {report.issues_read}, carrying a finding id {report.carrying}, "
        f"linked {report.linked}, duplicates marked {report.duplicates_marked}, "
        f"repairs {report.repairs}, errors {len(report.errors)}"
    )
    for err in report.errors:
        print(f"  error: {err}", file=sys.stderr)
    return status


# -- status and unpark ---------------------------------------------------------------------------


def _state(f: StoredFinding) -> str:
    if f.issue_id is not None:
        return "linked"
    if f.parked_reason is not None:
        return "parked"
    if f.retry_in > 0:
        return "backing off"
    return "failing" if f.failures else "pending"


def finding_dict(f: StoredFinding) -> dict[str, Any]:
    """One finding for ``status --json`` (full ids)."""
    return {
        "finding_id": f.finding_id, "class": f.cls, "ref_id": f.ref_id, "kind": f.kind,
        "title": f.title, "streak": f.streak, "first_seen": f.first_seen,
        "last_seen": f.last_seen, "issue_id": f.issue_id, "identifier": f.identifier,
        "state": _state(f), "failures": f.failures, "retry_in_cycles": f.retry_in,
        "last_error": f.last_error, "parked_reason": f.parked_reason,
    }


def _summary(rows: list[StoredFinding]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for f in rows:
        s = out.setdefault(f.cls, {"findings": 0, "linked": 0, "parked": 0, "backing_off": 0})
        s["findings"] += 1
        s["linked"] += f.issue_id is not None
        s["parked"] += f.issue_id is None and f.parked_reason is not None
        s["backing_off"] += f.issue_id is None and f.parked_reason is None and f.retry_in > 0
    return out


def cmd_status(args: argparse.Namespace) -> int:
    """``promoter status``: findings, streaks, links, failures and parked findings."""
    if args.limit is not None and args.limit < 0:
        raise UserError("--limit must be >= 0")
    store = _store(args.store)
    try:
        rows = store.list_findings(args.cls, args.limit)
    finally:
        store.close()
    summary = _summary(rows)
    if args.json:
        _emit(args, {"command": "status", "summary": summary,
                     "findings": [finding_dict(f) for f in rows]})
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"findings ({len(rows)})")
    table.add_column("class")
    table.add_column("finding", no_wrap=True)
    for col in ("ref", "kind", "streak", "issue", "state", "title"):
        table.add_column(col, overflow="fold")
    for f in rows:
        issue = f"{f.identifier or ''} {f.issue_id}".strip() if f.issue_id is not None else "-"
        state = _state(f)
        if f.parked_reason is not None:
            state = f"parked: {f.parked_reason}"
        elif f.retry_in > 0:
            state = f"backing off {f.retry_in} cycle(s) after {f.failures} failure(s)"
        table.add_row(f.cls, f.finding_id, f.ref_id, f.kind, str(f.streak), issue, state, f.title)
    console = Console(width=240, highlight=False)
    console.print(table)
    for cls, s in sorted(summary.items()):
        console.print(f"{cls}: {s['findings']} findings, {s['linked']} linked, {s['parked']} parked, "
                      f"{s['backing_off']} backing off")
    return EXIT_OK


def cmd_unpark(args: argparse.Namespace) -> int:
    """``promoter unpark``: clear parking and backoff so the findings are tried again."""
    if bool(args.finding_ids) == bool(args.all):
        raise UserError("give the finding ids to un-park, or --all for every parked finding")
    store = _store(args.store)
    try:
        for fid in args.finding_ids:
            row = store.get(fid)
            if row is None:
                raise UserError(f"unknown finding {fid!r} (promoter status --json lists full ids)")
            if args.cls is not None and row.cls != args.cls:
                raise UserError(f"finding {fid} is of class {row.cls!r}, not {args.cls!r}")
        n = store.unpark(args.finding_ids or None, args.cls)
    finally:
        store.close()
    if args.json:
        _emit(args, {"command": "unpark", "unparked": n})
    else:
        print(f"un-parked {n} finding(s)")
    return EXIT_OK


# -- the parser ------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"promoter: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER)


_STORE_HELP = ("findings store URL: sqlite:///path.db (relative), sqlite:////abs/path.db, "
               "or postgresql://user@host/db?schema=name")
_JSON_HELP = "print one JSON document on stdout instead of text (full finding and issue ids)"
_MAX_WAIT_HELP = (f"seconds this invocation may spend waiting in total: lookup retries and, in "
                  f"idempotent mode, reading back an existing issue id (default {DEFAULT_MAX_WAIT:g})")


def build_parser() -> argparse.ArgumentParser:
    """The ``promoter`` argument parser (usage errors exit 2 without a traceback)."""
    from promoter.promoter import DEFAULT_MAX_BACKOFF, DEFAULT_PARK_AFTER

    p = _Parser(
        prog="promoter",
        description="File each persistent finding as a Linear issue, once. Reads LINEAR_API_KEY "
                    "and LINEAR_API_URL. Exit status: 0 done, 1 some work failed, 2 usage or "
                    "configuration error.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens (on stderr)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    o = sub.add_parser("observe", help="record one cycle of findings of a class")
    o.add_argument("--store", required=True, help=_STORE_HELP + " (created if missing)")
    o.add_argument("--class", dest="cls", required=True,
                   help="the finding class this cycle is for (streaks are counted per class)")
    o.add_argument("file", help="JSONL findings file (one object per line: ref_id, kind, title, "
                                "optional detail and class), or - for stdin")
    o.set_defaults(func=cmd_observe)

    r = sub.add_parser("run", help="promote persistent findings to Linear issues")
    r.add_argument("--store", required=True, help=_STORE_HELP + " (must exist)")
    r.add_argument("--team", required=True, help="Linear team key (e.g. ENG) or team id")
    r.add_argument("--threshold", type=int, required=True,
                   help="cycles in a row a finding must be seen before it is filed; 0 disables "
                        "the promoter (no call at all)")
    r.add_argument("--mode", choices=("reference", "idempotent"), default="reference",
                   help="reference: the reference design; idempotent: the issue id is derived "
                        "from the finding id, so no retry or replica can file it twice "
                        "(default reference)")
    r.add_argument("--max-per-run", type=int, default=5,
                   help="create attempts per class per run, failed ones included (default 5)")
    r.add_argument("--circuit-breaker", type=int, default=None, metavar="N",
                   help="file nothing for a class when more than N findings would be filed")
    r.add_argument("--class", dest="cls", action="append",
                   help="only this class (repeatable; default: every class in the store)")
    r.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                   help=_MAX_WAIT_HELP)
    r.add_argument("--claim-ttl", type=float, default=300.0, metavar="SECONDS",
                   help="how long a replica's claim on a finding lasts before another replica "
                        "may take it over (default 300)")
    r.add_argument("--park-after", type=int, default=DEFAULT_PARK_AFTER, metavar="N",
                   help="park a finding after N consecutive failed creates caused by its own "
                        f"content (default {DEFAULT_PARK_AFTER})")
    r.add_argument("--max-backoff", type=int, default=DEFAULT_MAX_BACKOFF, metavar="CYCLES",
                   help="a failing finding waits 1, 2, 4, ... cycles before its next try, at "
                        f"most this many (default {DEFAULT_MAX_BACKOFF})")
    r.add_argument("--json", action="store_true", help=_JSON_HELP)
    r.set_defaults(func=cmd_run, needs_clock=True)

    c = sub.add_parser("reconcile", help="link findings to their issues and mark duplicates")
    c.add_argument("--store", required=True, help=_STORE_HELP + " (must exist)")
    c.add_argument("--team", required=True, help="Linear team key (e.g. ENG) or team id")
    c.add_argument("--dry-run", action="store_true", help="show the repairs, change nothing")
    c.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                   help=_MAX_WAIT_HELP)
    c.add_argument("--json", action="store_true", help=_JSON_HELP)
    c.set_defaults(func=cmd_reconcile, needs_clock=True)

    s = sub.add_parser("status", help="show findings, streaks, links and parked findings")
    s.add_argument("--store", required=True, help=_STORE_HELP + " (must exist)")
    s.add_argument("--class", dest="cls", default=None, help="only this class")
    s.add_argument("--limit", type=int, default=None, help="show at most this many findings")
    s.add_argument("--json", action="store_true", help=_JSON_HELP)
    s.set_defaults(func=cmd_status)

    u = sub.add_parser("unpark", help="try parked (or backing-off) findings again")
    u.add_argument("--store", required=True, help=_STORE_HELP + " (must exist)")
    u.add_argument("--class", dest="cls", default=None, help="only findings of this class")
    u.add_argument("--all", action="store_true", help="every parked finding (of --class)")
    u.add_argument("finding_ids", nargs="*", metavar="FINDING_ID",
                   help="full finding ids, as `promoter status --json` shows them")
    u.add_argument("--json", action="store_true", help=_JSON_HELP)
    u.set_defaults(func=cmd_unpark)
    return p


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Entry point; returns the exit status. ``clock`` (default: the system clock) is where
    every wait happens; tests pass a virtual one."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if getattr(args, "needs_clock", False):
            return int(args.func(args, clock if clock is not None else SystemClock()))
        return int(args.func(args))
    except UserError as exc:
        return _fail(args, EXIT_USER, "error", str(exc))
    except WorkFailed as exc:
        return _fail(args, EXIT_FAILED, "failed", str(exc))
    except StoreError as exc:
        return _fail(args, EXIT_FAILED, "store error", str(exc))


def _fail(args: argparse.Namespace, status: int, label: str, message: str) -> int:
    """One line on stderr; with ``--json`` also an ``{"ok": false}`` document on stdout."""
    print(f"promoter: {label}: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        _emit(args, {"command": args.command, "ok": False, "exit_code": status,
                     "error": f"{label}: {message}"})
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
