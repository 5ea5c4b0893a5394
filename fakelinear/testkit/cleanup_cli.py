"""``linear-cleanup``: sweep test leftovers out of every pooled workspace.

Usage: ``linear-cleanup [--all] [--dry-run] [--url URL]``. Tokens come from
``LINEAR_TEST_TOKEN`` or ``~/.linear_api_token_test``; the endpoint from ``--url``,
``LINEAR_API_URL`` or Linear's. One line per workspace (``cleanup: workspace i/N (token
…last6)``), a progress bar on a terminal, a summary table. A failing workspace does not stop
the others; the exit code is 1 if any failed, 2 when there is no token at all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from fakelinear.clock import Clock, RealClock
from fakelinear.masking import mask_secret as mask  # short keys show fewer characters
from promoter.linear.client import LinearClient

from .tokens import NoTestTokenError, all_test_tokens
from .workspace import KINDS, CleanupReport, cleanup_workspace

__all__ = ["main", "run", "WorkspaceResult"]


@dataclass
class WorkspaceResult:
    """The outcome for one pooled workspace."""

    index: int
    token_masked: str
    report: CleanupReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the sweep ran and no kind failed."""
        return self.error is None and self.report is not None and self.report.ok


def build_parser() -> argparse.ArgumentParser:
    """The ``linear-cleanup`` command line."""
    parser = argparse.ArgumentParser(
        prog="linear-cleanup",
        description="Delete [test] leftovers from every pooled Linear test workspace.",
    )
    parser.add_argument(
        "--all", action="store_true", help="wipe everything (a dedicated test workspace only)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
    )
    parser.add_argument(
        "--url", default=None, help="GraphQL endpoint (default: LINEAR_API_URL or Linear's)"
    )
    return parser


def run(
    tokens: Sequence[str],
    *,
    all: bool = False,  # noqa: A002 - mirrors --all
    dry_run: bool = False,
    url: str | None = None,
    clock: Clock | None = None,
    client_factory: Callable[[str], Any] | None = None,
    console: Console | None = None,
) -> tuple[int, list[WorkspaceResult]]:
    """Sweep each workspace in turn; returns ``(exit code, results)``."""
    console = console or Console()
    clock = clock or RealClock()
    factory = client_factory or (lambda token: LinearClient(token, url=url))
    results: list[WorkspaceResult] = []
    total = len(tokens)
    progress = Progress(console=console, transient=True, disable=not console.is_terminal)
    with progress:
        task = progress.add_task("cleanup", total=total)
        for index, token in enumerate(tokens, start=1):
            result = WorkspaceResult(index, mask(token))
            console.print(
                f"cleanup: workspace {index}/{total} (token {result.token_masked})", highlight=False
            )
            try:
                client = factory(token)
                try:
                    result.report = cleanup_workspace(client, all=all, dry_run=dry_run, clock=clock)
                finally:
                    close = getattr(client, "close", None)
                    if close is not None:
                        close()
            except Exception as error:  # noqa: BLE001 - one workspace must not stop the others
                result.error = f"{type(error).__name__}: {error}"
            _print_details(console, result, dry_run)
            results.append(result)
            progress.advance(task)
    console.print(_summary(results, dry_run))
    failed = [r for r in results if not r.ok]
    if failed:
        console.print(f"cleanup: {len(failed)}/{total} workspace(s) failed", highlight=False)
        return 1, results
    return 0, results


def _print_details(console: Console, result: WorkspaceResult, dry_run: bool) -> None:
    if result.error is not None:
        console.print(f"  failed: {result.error}", highlight=False, markup=False)
        return
    assert result.report is not None
    verb = "would delete" if dry_run else "deleted"
    for kind in KINDS:
        for removal in result.report.removed[kind]:
            console.print(
                f"  {verb} {kind[:-1]} {removal.id} {removal.name}", highlight=False, markup=False
            )
        for failure in result.report.failures[kind]:
            console.print(f"  failed {kind}: {failure}", highlight=False, markup=False)


def _summary(results: list[WorkspaceResult], dry_run: bool) -> Table:
    table = Table(title="linear-cleanup" + (" (dry run)" if dry_run else ""))
    table.add_column("workspace")
    table.add_column("token")
    for kind in KINDS:
        table.add_column(kind, justify="right")
    table.add_column("status")
    for r in results:
        counts = r.report.counts() if r.report else {}
        status = "ok" if r.ok else "FAILED"
        table.add_row(
            str(r.index), r.token_masked, *(str(counts.get(k, "-")) for k in KINDS), status
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point."""
    args = build_parser().parse_args(argv)
    try:
        tokens = all_test_tokens()
    except NoTestTokenError as error:
        print(f"linear-cleanup: {error}", file=sys.stderr)
        return 2
    code, _ = run(tokens, all=args.all, dry_run=args.dry_run, url=args.url)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
