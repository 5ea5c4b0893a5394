"""``fakelinear`` command line: ``fakelinear serve`` runs the fake on loopback.

The first line ``serve`` prints is the bound base URL alone (``http://127.0.0.1:PORT``), so
scripts can read it; GraphQL is at ``/graphql`` like Linear's. Tokens are printed masked
(``…`` + last 6 characters) unless ``--print-token`` asks for them whole (local use only).

Fault plans: ``--profile NAME`` or ``--faults FILE.toml``, then field flags generated from
the plan's own fields add to it: ``--phantom-conflict-first 3`` adds the rule
``{phantom_conflict = {first = 3}}``, ``--gateway-status 503 --gateway-after-commit true``
one gateway rule, ``--lag-read-seconds 5`` / ``--rate-limit-per-hour 100`` set fields, and
``--plan-limits``/``--no-plan-limits`` choose the free plan. ``--fault SECTION.FIELD=VALUE``
is the generic form.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "fault_overrides", "write_tokens_file"]


def _plan_sections() -> list[tuple[str, bool, list[str]]]:
    """(section name, is a rule list, field names) from the fault plan dataclasses."""
    from fakelinear.faults import plan as fp

    out = []
    for cls, is_rule in (
        (fp.PhantomConflictRule, True),
        (fp.GatewayRule, True),
        (fp.TransportRule, True),
        (fp.LagPlan, False),
        (fp.RateLimitPlan, False),
        (fp.WebhookPlan, False),
    ):
        names = [f.name for f in dataclasses.fields(cls)]
        out.append((cls.section, is_rule, names))
    return out


def _flag(section: str, field: str) -> str:
    return "--" + f"{section}_{field}".replace("_", "-")


def _parse_value(field: str, raw: str) -> Any:
    if field == "on":
        # A comma-separated list of operation names / root fields.
        return [part.strip() for part in raw.split(",") if part.strip()]
    lowered = raw.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def build_parser() -> argparse.ArgumentParser:
    """The ``fakelinear`` argument parser (``serve`` plus generated fault field flags)."""
    parser = argparse.ArgumentParser(
        prog="fakelinear",
        description="A stateful, flaky-on-purpose fake of Linear's GraphQL API.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="serve the fake on loopback (GraphQL at /graphql, control API under /_fake/)",
        description="Serve the fake over HTTP. Prints the base URL first, then masked tokens.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    serve.add_argument("--workspaces", type=int, default=1, help="workspaces/API keys to create")
    serve.add_argument("--seed", type=int, default=0, help="seed for ids, keys and faults")
    group = serve.add_mutually_exclusive_group()
    group.add_argument("--profile", default=None, help="fault profile: calm, linear-observed, storm")
    group.add_argument("--faults", metavar="FILE.toml", default=None, help="fault plan TOML file")
    serve.add_argument(
        "--plan", choices=["free", "unlimited"], default=None, help="Linear plan of the workspaces"
    )
    serve.add_argument("--virtual-clock", action="store_true", help="virtual time (moves only via /_fake/clock/advance)")
    serve.add_argument("--tokens-file", metavar="F", default=None, help="write the ';'-separated token pool file")
    serve.add_argument("--state", metavar="FILE", default=None, help="persist state here (survives restarts and kill -9)")
    serve.add_argument("--control-key", default=None, help="require X-Fake-Control-Key on /_fake/ requests")
    serve.add_argument("--seed-content", action="store_true", help="fill workspaces with realistic content")
    serve.add_argument("--print-token", action="store_true", help="print whole tokens (local use only)")
    serve.add_argument(
        "--read-timeout-hold",
        type=float,
        default=None,
        help="max seconds a read_timeout fault holds a response (default 35)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level")
    faults = serve.add_argument_group("fault plan fields (add to the profile)")
    limits = faults.add_mutually_exclusive_group()
    limits.add_argument("--plan-limits", dest="plan_limits", action="store_const", const=True, default=None)
    limits.add_argument("--no-plan-limits", dest="plan_limits", action="store_const", const=False)
    faults.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="any fault plan field, e.g. gateway.status=503 (repeatable)",
    )
    for section, _is_rule, fields in _plan_sections():
        for field in fields:
            faults.add_argument(
                _flag(section, field),
                dest=f"fault__{section}__{field}",
                default=None,
                metavar="V",
                help=f"{section}.{field}" + (" (comma-separated)" if field == "on" else ""),
            )
    from fakelinear.schema_tools.cli import add_parser as add_schema_parser

    add_schema_parser(sub)
    return parser


def fault_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The fault plan dict the field flags describe (rule sections: one rule each)."""
    sections = {name: (is_rule, fields) for name, is_rule, fields in _plan_sections()}
    out: dict[str, dict[str, Any]] = {}
    for spec in args.fault:
        target, sep, raw = spec.partition("=")
        section, dot, field = target.strip().partition(".")
        if not sep or not dot or section not in sections:
            raise ValueError(
                f"--fault {spec!r}: expected SECTION.FIELD=VALUE with SECTION in {', '.join(sections)}"
            )
        out.setdefault(section, {})[field] = _parse_value(field, raw)
    for section, (_is_rule, fields) in sections.items():
        for field in fields:
            raw = getattr(args, f"fault__{section}__{field}", None)
            if raw is not None:
                out.setdefault(section, {})[field] = _parse_value(field, raw)
    plan: dict[str, Any] = dict(out)
    if args.plan_limits is not None:
        plan["plan_limits"] = args.plan_limits
    return plan


def write_tokens_file(path: str | os.PathLike[str], tokens: Sequence[str]) -> None:
    """Write the pool file of DESIGN.md §7 (``;``-separated, ``#`` comments), mode 0600,
    atomically."""
    target = Path(path)
    content = (
        "# fakelinear token pool (one workspace per token); point LINEAR_TEST_TOKEN or\n"
        "# ~/.linear_api_token_test at this file's content.\n" + ";".join(tokens) + "\n"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _fail(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from fakelinear.clock import RealClock, VirtualClock
    from fakelinear.faults import FaultPlan, profile
    from fakelinear.faults.plan import FaultPlanError
    from fakelinear.handler import FakeLinear, mask_token

    if args.workspaces < 0 or args.workspaces > 1000:
        return _fail(parser, "--workspaces must be between 0 and 1000")
    if not 0 <= args.port <= 65535:
        return _fail(parser, "--port must be between 0 and 65535")
    try:
        plan = FaultPlan.from_toml(args.faults) if args.faults else profile(args.profile or "calm")
        extra = fault_overrides(args)
        if extra:
            plan = plan.merge(extra)
    except FileNotFoundError:
        return _fail(parser, f"--faults: no such file: {args.faults}")
    except (FaultPlanError, ValueError, TypeError) as exc:
        return _fail(parser, f"invalid fault plan: {exc}")

    try:
        fake = FakeLinear(
            seed=args.seed,
            clock=VirtualClock() if args.virtual_clock else RealClock(),
            profile=plan,
            workspaces=args.workspaces,
            plan=args.plan,
            seed_content=args.seed_content,
            control_key=args.control_key,
            state_file=args.state,
        )
    except (OSError, ValueError, KeyError) as exc:
        return _fail(parser, f"cannot start: {type(exc).__name__}: {exc}")

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        print(f"fakelinear: error: cannot bind {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    sock.listen(128)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}"

    tokens = fake.tokens
    if args.tokens_file:
        write_tokens_file(args.tokens_file, tokens)
    # First line: the base URL alone, for scripts.
    print(base_url)
    print(f"GraphQL: {base_url}/graphql   control: {base_url}/_fake/")
    print(
        f"profile: {plan.name or 'custom'}   seed: {args.seed}   clock: "
        f"{'virtual' if args.virtual_clock else 'real'}"
        + (f"   state: {args.state}" if args.state else "")
    )
    for ws, token in zip(fake.workspaces(), tokens, strict=True):
        shown = token if args.print_token else mask_token(token)
        print(f"workspace {ws['index']}: {ws['id']}  token {shown}")
    if args.tokens_file:
        print(f"tokens written to {args.tokens_file}")
    sys.stdout.flush()

    import uvicorn

    from fakelinear.transports.server import DEFAULT_READ_TIMEOUT_HOLD, create_app

    app = create_app(
        fake,
        read_timeout_hold=args.read_timeout_hold
        if args.read_timeout_hold is not None
        else DEFAULT_READ_TIMEOUT_HOLD,
    )
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fakelinear`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        try:
            return _serve(parser, args)
        except KeyboardInterrupt:
            return 0
    if args.command == "schema":
        from fakelinear.schema_tools.cli import run as run_schema

        return run_schema(args)
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
