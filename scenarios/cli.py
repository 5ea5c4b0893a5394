"""``python -m scenarios run|demo|soak``.

* ``run [FILES…] [--seed S] [--repeat N] [--mode M] [--json]``: run scenario files (default:
  every curated one) and print the report; exit 1 when an expectation fails, 2 for a
  malformed file.
* ``demo [--json]``: the main job: every curated scenario against the flaky fake, reference
  and idempotent mode side by side, then a one-line verdict per scenario.
* ``soak [--examples N] [--steps N] [--seed S] [--json]``: many more examples of the
  hypothesis stateful machine in both modes; prints how many schedules and steps were
  checked and what was found.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from scenarios.errors import ScenarioError
from scenarios.loader import load, load_all
from scenarios.report import render
from scenarios.runner import ScenarioRun, run_all
from scenarios.spec import MODES, ScenarioSpec


def _quiet_logs(verbose: bool) -> None:
    """The promoter logs every orphan and API error; the report already counts them."""
    logging.basicConfig(level=logging.INFO if verbose else logging.CRITICAL, format="%(levelname)s %(name)s: %(message)s")
    if not verbose:
        for name in ("promoter", "fakelinear", "scenarios", "httpx"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scenarios",
        description="Exactly-once scenarios: the promoter against the flaky fake, checked and reported.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run scenario files (default: every curated one)")
    run.add_argument("files", nargs="*", help="scenario TOML files")
    run.add_argument("--seed", type=int, default=None, help="override every scenario's seed")
    run.add_argument("--repeat", type=int, default=1, help="run each N times (seed, seed+1, ...)")
    run.add_argument("--mode", choices=MODES, default=None, help="only this promoter mode")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("-v", "--verbose", action="store_true", help="show promoter logs")

    demo = sub.add_parser("demo", help="curated scenarios, reference vs idempotent, with a report")
    demo.add_argument("--json", action="store_true", help="print the report as JSON")
    demo.add_argument("-v", "--verbose", action="store_true", help="show promoter logs")

    soak = sub.add_parser("soak", help="many hypothesis examples of the stateful machine")
    soak.add_argument("--examples", type=int, default=200, help="examples per mode (default 200)")
    soak.add_argument("--steps", type=int, default=30, help="max steps per example (default 30)")
    soak.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    soak.add_argument("--mode", choices=MODES, default=None, help="only this promoter mode")
    soak.add_argument("--json", action="store_true", help="print the summary as JSON")
    soak.add_argument("-v", "--verbose", action="store_true", help="show promoter logs")
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point; returns the exit status."""
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    _quiet_logs(args.verbose)
    if args.command == "soak":
        try:
            from scenarios.soak import soak
        except ImportError as exc:  # hypothesis is a test extra, not a runtime dependency
            print(f"error: soak needs hypothesis ({exc.name} is not installed): "
                  "pip install 'fakelinear[test]'", file=sys.stderr)
            return 2

        if args.examples < 1 or args.steps < 1:
            print("error: --examples and --steps must be >= 1", file=sys.stderr)
            return 2

        return soak(examples=args.examples, steps=args.steps, seed=args.seed,
                    modes=(args.mode,) if args.mode else MODES, as_json=args.json, out=out)
    try:
        if args.command == "run":
            specs = [load(f) for f in args.files] if args.files else load_all()
        else:
            specs = load_all()
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "run" and args.repeat < 1:
        print("error: --repeat must be >= 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    if args.command == "run":
        runs = run_all(specs, seed=args.seed, repeat=args.repeat,
                       modes=(args.mode,) if args.mode else None)
    else:
        if not args.json:
            out.write(_DEMO_INTRO)
            out.flush()
        runs = run_all(sorted(specs, key=_demo_order))
    render(runs, out, as_json=args.json)
    if args.command == "demo" and not args.json:
        _demo_verdicts(runs, out, time.perf_counter() - started)
    return 0 if all(r.ok for r in runs) else 1


#: Demo order: the reference design's windows, the reported quirks, the storm, the rest.
_TAG_ORDER = ("window", "quirk", "storm")


def _demo_order(spec: ScenarioSpec) -> tuple[int, str]:
    ranks = [_TAG_ORDER.index(t) for t in spec.tags if t in _TAG_ORDER]
    return (min(ranks) if ranks else len(_TAG_ORDER), spec.name)


_DEMO_INTRO = """\
fakelinear demo: the promoter against a flaky fake of Linear's API
Each scenario runs the reference design and the idempotent promoter side by side on the
same seed. Reference mode must show exactly the anomalies its windows predict (orphans and
the duplicates they cause, commit-then-fail duplicates, and races when two replicas share a
store without claims); idempotent mode must show none. Everything runs in-process on a
virtual clock.
"""


def _demo_verdicts(runs: list[ScenarioRun], out: TextIO, elapsed: float) -> None:
    out.write("\nSide by side (anomalies found: reference | idempotent):\n")
    names: dict[str, dict[str, ScenarioRun]] = {}
    for r in runs:
        names.setdefault(r.spec.name, {})[r.mode] = r
    width = max((len(n) for n in names), default=10)
    rows: list[tuple[str, str, str]] = []
    for name, by_mode in names.items():
        cells = []
        for mode in MODES:
            r = by_mode.get(mode)
            if r is None:
                cells.append("-")
            elif r.skipped:
                cells.append("skipped")
            elif r.result is None:
                cells.append("ERROR")
            else:
                counts = r.result.counts()
                text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"
                cells.append(text + ("" if r.ok else "  [FAIL]"))
        rows.append((name, cells[0], cells[1]))
    ref_width = max((len(r[1]) for r in rows), default=10)
    out.write(f"  {'scenario'.ljust(width)}  {'reference'.ljust(ref_width)}  |  idempotent\n")
    for name, ref, idem in rows:
        out.write(f"  {name.ljust(width)}  {ref.ljust(ref_width)}  |  {idem}\n")
    ok = all(r.ok for r in runs)
    out.write(f"\ndemo {'PASSED' if ok else 'FAILED'} in {elapsed:.1f}s\n")
