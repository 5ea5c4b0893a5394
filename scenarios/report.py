"""The report: one table per scenario, its modes side by side.

Rows: faults injected by kind, creates and retries, issues filed, duplicates (with their
explanations), misses, orphans, orphans recovered, the cap, cleanup left, invariants and the
verdict. Rendered with rich on a terminal, as plain text otherwise, or as JSON. A failing
run prints its seed and the exact command that replays it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from scenarios.runner import ScenarioRun

#: (label, metric key) rows after the fault rows.
ROWS: tuple[tuple[str, str], ...] = (
    ("creates sent", "creates"),
    ("  ok / failed / unknown", "_creates_split"),
    ("retries (creates beyond the first)", "retries"),
    ("findings filed late / worst delay (cycles)", "_late"),
    ("write-back failures", "write_back_failures"),
    ("issues filed", "issues_filed"),
    ("duplicates", "duplicates"),
    ("  explained by", "_duplicate_split"),
    ("misses (I1)", "misses"),
    ("orphans left unlinked", "orphans"),
    ("orphans recovered", "orphans_recovered"),
    ("duplicates repaired (reconciler)", "duplicates_repaired"),
    ("recovered (idempotent)", "recovered"),
    ("api errors (counted)", "api_errors"),
    ("skipped: already linked (re-check)", "skipped_linked"),
    ("skipped: claimed by another replica", "skipped_claimed"),
    ("capped runs", "capped"),
    ("findings parked (I7)", "parked_findings"),
    ("runs while disabled / their HTTP calls", "_disabled"),
    ("cleanup left (I6)", "cleanup_left"),
    ("HTTP requests", "http_calls"),
)

_DUP_SHORT = {
    "duplicate_orphan": "orphan",
    "duplicate_commit_then_fail": "commit-then-fail",
    "duplicate_race": "race",
    "duplicate_unexplained": "UNEXPLAINED",
}


def group(runs: Sequence[ScenarioRun]) -> list[list[ScenarioRun]]:
    """Runs of one scenario and seed, in order of appearance (modes side by side)."""
    groups: dict[tuple[str, int], list[ScenarioRun]] = {}
    for r in runs:
        groups.setdefault((r.spec.name, r.seed), []).append(r)
    return list(groups.values())


def _cell(run: ScenarioRun, key: str) -> str:
    if run.skipped:
        return "skipped"
    if run.result is None:
        return "error"
    m = run.result.metrics
    if key == "_creates_split":
        return f"{m['creates_ok']} / {m['creates_failed']} / {m['creates_unknown']}"
    if key == "_late":
        return f"{m.get('late_findings', 0)} / {m.get('max_delay_cycles', 0)}"
    if key == "_disabled":
        return f"{m['disabled_runs']} / {m['disabled_http_calls']}"
    if key == "_duplicate_split":
        counts = run.result.counts()
        parts = [f"{counts[k]} {v}" for k, v in _DUP_SHORT.items() if counts.get(k)]
        return ", ".join(parts) or "-"
    return str(m.get(key, 0))


def table_rows(runs: list[ScenarioRun]) -> list[list[str]]:
    """The rows of one scenario's table: label, then one cell per run (mode)."""
    kinds: list[str] = sorted({k for r in runs if r.result for k in r.result.metrics["faults_injected"]})
    rows: list[list[str]] = []
    if kinds:
        for kind in kinds:
            rows.append([f"fault: {kind}"] + [
                str(r.result.metrics["faults_injected"].get(kind, 0)) if r.result else "-" for r in runs
            ])
    else:
        rows.append(["faults injected"] + ["0" if r.result else "-" for r in runs])
    for label, key in ROWS:
        rows.append([label] + [_cell(r, key) for r in runs])
    rows.append(["invariants"] + [_invariants(r) for r in runs])
    rows.append(["verdict"] + [_verdict(r) for r in runs])
    return rows


def _invariants(run: ScenarioRun) -> str:
    if run.result is None:
        return "-"
    return " ".join(f"{k}{'✓' if v == 'pass' else '✗' if v == 'fail' else '·'}"
                    for k, v in run.result.invariants.items())


def _verdict(run: ScenarioRun) -> str:
    if run.skipped:
        return "SKIP"
    return "PASS" if run.ok else "FAIL"


def _header(runs: list[ScenarioRun]) -> list[str]:
    return [""] + [f"{r.mode} (seed {r.seed})" for r in runs]


def _explanations(runs: list[ScenarioRun], limit: int = 6) -> list[str]:
    """Each duplicate, named with the earlier issue and what explains it (I2)."""
    lines: list[str] = []
    for r in runs:
        if r.result is None:
            continue
        dups = [a for a in r.result.anomalies if a.kind in _DUP_SHORT]
        for a in dups[:limit]:
            lines.append(f"{r.mode}: {a.detail}")
        if len(dups) > limit:
            lines.append(f"{r.mode}: ... and {len(dups) - limit} more duplicates")
    return lines


def _problems(runs: list[ScenarioRun]) -> list[str]:
    lines: list[str] = _explanations([r for r in runs if r.ok])
    for r in runs:
        if r.skipped:
            lines.append(f"{r.mode}: skipped ({r.skipped})")
            continue
        if r.ok:
            continue
        lines.append(f"{r.mode}: FAILED (seed {r.seed})")
        if r.error:
            lines.append(f"  error: {r.error}")
        for f in r.failures:
            lines.append(f"  - {f}")
        if r.result:
            for a in r.result.anomalies[:8]:
                lines.append(f"    {a.kind}: {a.issue or ''} {a.detail}".rstrip())
        lines.append(f"  replay: {r.replay}")
    return lines


def render_plain(runs: Sequence[ScenarioRun], out: TextIO) -> None:
    """Plain-text tables (for pipes and CI logs)."""
    for grp in group(runs):
        spec = grp[0].spec
        out.write(f"\n== {spec.name}: {spec.description}\n")
        if all(r.skipped for r in grp):
            out.write(f"  skipped: {grp[0].skipped}\n")
            continue
        rows = [_header(grp), *table_rows(grp)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            out.write("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        for line in _problems(grp):
            out.write(f"  {line}\n")
    out.write("\n" + summary(runs) + "\n")


def render_rich(runs: Sequence[ScenarioRun], console: Any) -> None:
    """Rich tables (for a terminal)."""
    from rich.table import Table

    for grp in group(runs):
        spec = grp[0].spec
        if all(r.skipped for r in grp):
            console.print(f"{spec.name}: skipped ({grp[0].skipped})", markup=False, highlight=False)
            continue
        table = Table(title=f"{spec.name}", caption=spec.description, title_justify="left",
                      caption_justify="left", show_lines=False)
        for i, head in enumerate(_header(grp)):
            table.add_column(head, justify="left" if i == 0 else "right")
        for row in table_rows(grp):
            if row[0] == "verdict":
                row = [row[0]] + [f"[bold green]{c}[/]" if c == "PASS" else f"[yellow]{c}[/]" if c == "SKIP"
                                  else f"[bold red]{c}[/]" for c in row[1:]]
            table.add_row(*row)
        console.print(table)
        for line in _problems(grp):
            console.print(f"  {line}", markup=False, highlight=False)
    console.print(summary(runs), markup=False, highlight=False)


def render_json(runs: Sequence[ScenarioRun], out: TextIO) -> None:
    """One JSON document: every run with its anomalies, metrics and replay command."""
    doc = {"ok": all(r.ok for r in runs), "summary": summary(runs), "runs": [r.to_dict() for r in runs]}
    json.dump(doc, out, indent=2, sort_keys=False)
    out.write("\n")


def summary(runs: Sequence[ScenarioRun]) -> str:
    """One line: how many runs passed, failed, were skipped, and how long it took."""
    passed = sum(1 for r in runs if r.ok and not r.skipped)
    skipped = sum(1 for r in runs if r.skipped)
    failed = len(runs) - passed - skipped
    secs = sum(r.elapsed for r in runs)
    return (f"{len(runs)} scenario runs: {passed} passed, {failed} failed, {skipped} skipped "
            f"in {secs:.1f}s")


def render(runs: Sequence[ScenarioRun], out: TextIO, *, as_json: bool = False, rich: bool | None = None) -> None:
    """Render to ``out``: JSON when asked, rich when ``out`` is a terminal, else plain."""
    if as_json:
        render_json(runs, out)
        return
    if rich is None:
        rich = bool(getattr(out, "isatty", lambda: False)())
    if rich:
        from rich.console import Console

        render_rich(runs, Console(file=out))
    else:
        render_plain(runs, out)
