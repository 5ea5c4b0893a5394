"""``python -m scenarios.webhooks [FILES…] [--seed S] [--json]``: run webhook scenarios and
print a report; exit 1 when an expectation fails, 2 for a malformed file."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from scenarios.errors import ScenarioError
from scenarios.webhooks.runner import WebhookRun, run_scenario
from scenarios.webhooks.spec import curated, load


def render(run: WebhookRun) -> str:
    """A plain-text report of one run."""
    verdict = "ok" if run.ok else "FAILED"
    lines = [f"== {run.spec.name} (seed {run.seed}): {verdict}", f"   {run.spec.description}"]
    for key in sorted(run.metrics):
        lines.append(f"   {key:<40} {run.metrics[key]:g}")
    for divergence in run.verdict.divergent:
        lines.append(f"   diverged {divergence.issue_id}: {divergence.explanation or 'UNEXPLAINED'}")
    lines += [f"   problem: {p}" for p in run.problems]
    if not run.ok:
        lines.append(f"   replay: {run.replay}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m scenarios.webhooks", description=__doc__)
    parser.add_argument("files", nargs="*", help="scenario files (default: every curated one)")
    parser.add_argument("--seed", type=int, default=None, help="run with this seed instead of the files'")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    try:
        specs = [load(p) for p in (args.files or curated())]
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runs = [run_scenario(spec, args.seed) for spec in specs]
    if args.json:
        print(json.dumps([{"name": r.spec.name, "seed": r.seed, "ok": r.ok, "metrics": r.metrics,
                           "problems": r.problems, "replay": r.replay} for r in runs], indent=2))
    else:
        print("\n\n".join(render(r) for r in runs))
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
