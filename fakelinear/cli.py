"""``fakelinear`` command line: ``fakelinear serve`` runs the fake over HTTP.

The first line ``serve`` prints is the bound base URL alone (``http://127.0.0.1:PORT``), so
scripts can read it; GraphQL is at ``/graphql`` like Linear's. ``--ready-file PATH`` writes
the same URL to PATH (atomically) once the server accepts connections, for CI steps that
wait on a file. Tokens are printed masked (``…`` + at most the last 6 characters) unless
``--print-token`` asks for them whole (local use only). SIGTERM or Ctrl-C stop the server
gracefully with exit status 0.

Beyond loopback (``--host 0.0.0.0``, a LAN address) the control API could read and reset
everything, so ``serve`` refuses to start without ``--control-key`` (or the
``FAKELINEAR_CONTROL_KEY`` environment variable) unless ``--insecure-control`` says that
is intended; and the API keys are then derived from a random secret instead of the seed
alone (see :mod:`fakelinear.auth`), so nobody can compute them from the default seed.

Fault plans: ``--profile NAME`` or ``--faults FILE.toml``, then field flags generated from
the plan's own fields add to it: ``--phantom-conflict-first 3`` adds the rule
``{phantom_conflict = {first = 3}}``, ``--gateway-status 503 --gateway-after-commit true``
one gateway rule, ``--lag-read-seconds 5`` / ``--rate-limit-per-hour 100`` set fields, and
``--plan-limits``/``--no-plan-limits`` choose the free plan. ``--fault SECTION.FIELD=VALUE``
is the generic form.

Subcommands register themselves in :func:`build_parser` (``add_parser`` +
``set_defaults(run=...)``); :func:`main` dispatches on ``run``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fakelinear.files import write_atomically

__all__ = ["main", "build_parser", "fault_overrides", "write_tokens_file"]

CONTROL_KEY_ENV = "FAKELINEAR_CONTROL_KEY"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_MAX_WORKSPACES = 1000


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


def _positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0 or value > 86400:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 86400, got {raw!r}")
    return value


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}")
    return value


def _version() -> str:
    from fakelinear import __version__

    return f"fakelinear {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The ``fakelinear`` argument parser (``serve`` plus generated fault field flags)."""
    parser = argparse.ArgumentParser(
        prog="fakelinear",
        description="A stateful, flaky-on-purpose fake of Linear's GraphQL API.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_serve(sub)
    from fakelinear.schema_tools.cli import add_parser as add_schema_parser

    add_schema_parser(sub)
    return parser


def _add_serve(sub: Any) -> None:
    from fakelinear.api.budget import DEFAULT_MAX_RESULT_NODES, DEFAULT_MAX_SECONDS
    from fakelinear.faults.complexity import MAX_QUERY_COMPLEXITY
    from fakelinear.transports.server import DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT

    serve = sub.add_parser(
        "serve",
        help="serve the fake over HTTP (GraphQL at /graphql, control API under /_fake/)",
        description="Serve the fake over HTTP. Prints the base URL first, then masked tokens.",
    )
    serve.set_defaults(run=_serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; beyond loopback needs --control-key)")
    serve.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    serve.add_argument("--workspaces", type=int, default=None, help="workspaces/API keys to create (default 1; must match an existing --state)")
    serve.add_argument("--seed", type=int, default=None, help="seed for ids, keys and faults (default 0; must match an existing --state)")
    group = serve.add_mutually_exclusive_group()
    group.add_argument("--profile", default=None, help="fault profile: calm, linear-observed, storm")
    group.add_argument("--faults", metavar="FILE.toml", default=None, help="fault plan TOML file")
    serve.add_argument(
        "--plan", choices=["free", "unlimited"], default=None, help="Linear plan of the workspaces"
    )
    serve.add_argument("--virtual-clock", action="store_true", help="virtual time (moves only via /_fake/clock/advance)")
    serve.add_argument("--tokens-file", metavar="F", default=None, help="write the ';'-separated token pool file")
    serve.add_argument("--ready-file", metavar="PATH", default=None, help="write the base URL here once the server accepts connections")
    serve.add_argument("--schema", metavar="SDL", default=None,
                       help="serve this SDL instead of Linear's schema as shipped (e.g. from `fakelinear schema pull`)")
    serve.add_argument("--state", metavar="FILE", default=None, help="persist state here (survives restarts and kill -9; one server per file)")
    serve.add_argument(
        "--control-key",
        default=os.environ.get(CONTROL_KEY_ENV) or None,
        help=f"require X-Fake-Control-Key on /_fake/ requests (default: ${CONTROL_KEY_ENV})",
    )
    serve.add_argument(
        "--insecure-control",
        action="store_true",
        help="allow an open control API on a non-loopback --host (anyone who can connect can read and reset everything)",
    )
    serve.add_argument("--seed-content", action="store_true", help="fill workspaces with realistic content")
    serve.add_argument("--print-token", action="store_true", help="print whole tokens (local use only)")
    serve.add_argument(
        "--read-timeout-hold",
        type=_positive_seconds,
        default=None,
        help="max seconds a read_timeout fault holds a response (default 35)",
    )
    serve.add_argument("--header-timeout", type=_positive_seconds, default=DEFAULT_HEADER_TIMEOUT,
                       help=f"seconds a client has to send request headers (default {DEFAULT_HEADER_TIMEOUT:g})")
    serve.add_argument("--body-timeout", type=_positive_seconds, default=DEFAULT_BODY_TIMEOUT,
                       help=f"seconds a client has to send a request body (default {DEFAULT_BODY_TIMEOUT:g})")
    serve.add_argument("--max-complexity", type=_positive_int, default=MAX_QUERY_COMPLEXITY,
                       help=f"refuse queries above this complexity, as Linear does (default {MAX_QUERY_COMPLEXITY})")
    serve.add_argument("--max-execution-seconds", type=_positive_seconds, default=DEFAULT_MAX_SECONDS,
                       help=f"execution budget of one request (default {DEFAULT_MAX_SECONDS:g})")
    serve.add_argument("--max-result-nodes", type=_positive_int, default=DEFAULT_MAX_RESULT_NODES,
                       help=f"entities one response may hold (default {DEFAULT_MAX_RESULT_NODES})")
    serve.add_argument("--workers", type=int, default=None, metavar="N",
                       help="threads answering large requests (0: everything on the event loop; default 4)")
    serve.add_argument("--log-level", default="warning", choices=LOG_LEVELS, help="server log level (default warning)")
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
    write_atomically(target, content, mode=0o600)


def _fail(parser: argparse.ArgumentParser, message: str) -> int:
    """A usage error: usage line, then the message; exit status 2."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


def _error(message: str, status: int = 2) -> int:
    """An error that is not about usage: one line on stderr."""
    print(f"fakelinear: error: {message}", file=sys.stderr)
    return status


def _fault_plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    from fakelinear.faults import FaultPlan, profile
    from fakelinear.faults.plan import FaultPlanError

    try:
        plan = FaultPlan.from_toml(args.faults) if args.faults else profile(args.profile or "calm")
        extra = fault_overrides(args)
        if extra:
            plan = plan.merge(extra)
    except FileNotFoundError:
        return _fail(parser, f"--faults: no such file: {args.faults}")
    except (FaultPlanError, ValueError, TypeError) as exc:
        return _fail(parser, f"invalid fault plan: {exc}")
    return plan


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from fakelinear.api.schema_loader import SchemaLoadError
    from fakelinear.auth import is_loopback_host
    from fakelinear.clock import RealClock, VirtualClock
    from fakelinear.handler import FakeLinear, StateConflictError, mask_token
    from fakelinear.statefile import StateFileError

    if args.workspaces is not None and not 0 <= args.workspaces <= _MAX_WORKSPACES:
        return _fail(parser, f"--workspaces must be between 0 and {_MAX_WORKSPACES}")
    if not 0 <= args.port <= 65535:
        return _fail(parser, "--port must be between 0 and 65535")
    beyond_loopback = not is_loopback_host(args.host)
    if beyond_loopback and not args.control_key and not args.insecure_control:
        return _fail(
            parser,
            f"--host {args.host} is reachable beyond this machine: anyone who can connect could "
            "read /_fake/state, reset the fake and create workspaces with their keys. Add "
            f"--control-key KEY (or ${CONTROL_KEY_ENV}), or --insecure-control if that is intended",
        )
    plan = _fault_plan(parser, args)
    if isinstance(plan, int):
        return plan
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
            max_complexity=args.max_complexity,
            max_execution_seconds=args.max_execution_seconds,
            max_result_nodes=args.max_result_nodes,
            # Beyond loopback nobody may compute the keys from the (default) seed.
            key_salt=secrets.token_hex(16) if beyond_loopback else None,
            schema=args.schema,
        )
    except (StateFileError, StateConflictError, SchemaLoadError) as exc:
        return _error(f"cannot start: {exc}")
    except (OSError, ValueError, KeyError) as exc:
        return _error(f"cannot start: {type(exc).__name__}: {exc}")
    try:
        if beyond_loopback and fake.keys_predictable:
            return _error(
                f"cannot start: the keys in {args.state} derive from the seed alone (the file was "
                f"made on loopback), and --host {args.host} is reachable beyond this machine; "
                "start with a new --state file to get keys nobody can compute"
            )
        return _run_server(args, fake, plan, mask_token)
    finally:
        fake.close()


def _run_server(args: argparse.Namespace, fake: Any, plan: Any, mask: Callable[[str], str]) -> int:
    from fakelinear.auth import is_loopback_host
    from fakelinear.transports.server import (
        DEFAULT_READ_TIMEOUT_HOLD,
        DEFAULT_WORKERS,
        FakeServer,
        bind_socket,
        create_app,
        uvicorn_config,
        write_ready_file,
    )

    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _error(f"cannot bind {args.host}:{args.port}: {exc.strerror or exc}", 1)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}"
    tokens = fake.tokens
    if args.tokens_file:
        try:
            write_tokens_file(args.tokens_file, tokens)
        except OSError as exc:
            sock.close()
            return _error(f"--tokens-file {args.tokens_file}: cannot write: {exc.strerror or exc}")
    if args.ready_file:
        # Fail now, not after the URL was printed: the folder must exist and be writable.
        folder = Path(args.ready_file).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            sock.close()
            return _error(f"--ready-file {args.ready_file}: folder {folder} does not exist or is not writable")

    # First line: the base URL alone, for scripts.
    print(base_url)
    print(f"GraphQL: {base_url}/graphql   control: {base_url}/_fake/")
    print(
        f"profile: {plan.name or 'custom'}   seed: {fake.seed}   clock: "
        f"{'virtual' if args.virtual_clock else 'real'}"
        + (f"   state: {args.state}" if args.state else "")
    )
    for ws, token in zip(fake.workspaces(), tokens, strict=True):
        shown = token if args.print_token else mask(token)
        print(f"workspace {ws['index']}: {ws['id']}  token {shown}")
    if args.tokens_file:
        print(f"tokens written to {args.tokens_file}")
    if not is_loopback_host(args.host):
        if fake.control_key:
            print("control API: needs X-Fake-Control-Key")
        else:
            print(f"WARNING: the control API is open to anyone who can reach {args.host} (--insecure-control)", file=sys.stderr)
    sys.stdout.flush()

    import concurrent.futures

    workers = DEFAULT_WORKERS if args.workers is None else args.workers
    executor = (
        concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fakelinear-handler")
        if workers > 0
        else None
    )
    app = create_app(
        fake,
        read_timeout_hold=args.read_timeout_hold if args.read_timeout_hold is not None else DEFAULT_READ_TIMEOUT_HOLD,
        body_timeout=args.body_timeout,
        executor=executor,
    )
    ready_written = False

    def on_started() -> None:
        nonlocal ready_written
        if args.ready_file:
            write_ready_file(args.ready_file, base_url + "\n")
            ready_written = True

    server = FakeServer(
        uvicorn_config(app, log_level=args.log_level, header_timeout=args.header_timeout), on_started
    )
    try:
        server.run(sockets=[sock])
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if ready_written:
            with contextlib.suppress(OSError):
                if Path(args.ready_file).read_text("utf-8").strip() == base_url:
                    os.unlink(args.ready_file)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fakelinear`` script (and ``python -m fakelinear``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    try:
        if run is not None:
            return int(run(parser, args))
        if args.command == "schema":
            from fakelinear.schema_tools.cli import run as run_schema

            return run_schema(args, parser)
    except KeyboardInterrupt:
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
