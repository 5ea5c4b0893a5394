"""Run every benchmark: each ``benchmarks/bench_*.py`` module's ``main()``, in name order.

    .venv/bin/python -m benchmarks            # all of them
    .venv/bin/python -m benchmarks stack      # only bench_stack (names are substrings)
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import time
import traceback

import benchmarks


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; returns the number that failed."""
    wanted = sys.argv[1:] if argv is None else argv
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if wanted:
        names = [n for n in names if any(w in n for w in wanted)]
    failed = 0
    for name in names:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            entry = module.main
            # Benchmarks parse their own flags: give them none, not ours.
            params = inspect.signature(entry).parameters
            entry([]) if params else entry()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed += 1
            traceback.print_exc()
        print(f"({name}: {time.perf_counter() - start:.1f}s)", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
