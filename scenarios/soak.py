"""``python -m scenarios soak``: the stateful machine with many more examples.

Prints, per mode, how many schedules (examples) and steps were checked, which faults were
injected, and which anomalies were found. Reference mode is expected to find orphans and
explained duplicates (proof that the checker sees them); idempotent mode must find none.
A violation stops the soak with hypothesis's minimal failing schedule and a non-zero exit.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import get_state_machine_test, run_state_machine_as_test

from scenarios.machine import ALLOWED, MACHINES, STATS


def machine_settings(examples: int, steps: int, *, derandomize: bool = False) -> settings:
    """Hypothesis settings for the machine: no deadline (replicas run in threads), no
    example database (runs are reproduced by seed), every health check off."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def run_machine(mode: str, examples: int, steps: int, seed: int | None = None,
                derandomize: bool = False) -> None:
    """Run one mode's machine; raises what hypothesis raises on a violation."""
    machine = MACHINES[mode]
    cfg = machine_settings(examples, steps, derandomize=derandomize)
    if seed is None or derandomize:
        run_state_machine_as_test(machine, settings=cfg)
        return
    # The machine's @given test, seeded: the same seed explores the same schedules.
    test = hypothesis_seed(seed)(get_state_machine_test(machine, settings=cfg))
    test()


def replay_command(seed: int, examples: int, steps: int, modes: Sequence[str]) -> str:
    """The command that explores the same schedules again (same seed, budget and modes)."""
    cmd = f"python -m scenarios soak --seed {seed} --examples {examples} --steps {steps}"
    if len(modes) == 1:
        cmd += f" --mode {modes[0]}"
    return cmd


def soak(*, examples: int = 200, steps: int = 30, seed: int | None = None,
         modes: Sequence[str] = ("reference", "idempotent"), as_json: bool = False,
         out: TextIO) -> int:
    """Run the soak and print its summary; returns the exit status."""
    seed = random.randrange(2**32) if seed is None else seed
    STATS.reset()
    summary: dict[str, Any] = {"seed": seed, "examples_per_mode": examples, "max_steps": steps, "modes": {}}
    failed = False
    started = time.perf_counter()
    for mode in modes:
        t0 = time.perf_counter()
        error = None
        try:
            run_machine(mode, examples, steps, seed)
        except Exception as exc:  # hypothesis already printed the minimal failing schedule
            failed = True
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        anomalies = dict(STATS.anomalies.get(mode, {}))
        unexpected = sorted(k for k in anomalies if k not in ALLOWED[mode])
        summary["modes"][mode] = {
            "schedules": STATS.examples[mode],
            "steps": STATS.steps[mode],
            "faults_injected": dict(sorted(STATS.faults.get(mode, {}).items())),
            "anomalies": dict(sorted(anomalies.items())),
            "allowed": sorted(ALLOWED[mode]),
            "unexpected": unexpected,
            "poison_parked": STATS.parked[mode],
            "marker_findings_filed": STATS.markers_filed[mode],
            "error": error,
            "seconds": round(time.perf_counter() - t0, 1),
        }
    summary["ok"] = not failed
    summary["replay"] = replay_command(seed, examples, steps, modes)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    if as_json:
        json.dump(summary, out, indent=2)
        out.write("\n")
    else:
        _print(summary, out)
    return 1 if failed else 0


def _print(summary: dict[str, Any], out: TextIO) -> None:
    out.write(f"soak: hypothesis seed {summary['seed']}, up to {summary['examples_per_mode']} "
              f"schedules per mode, up to {summary['max_steps']} steps each\n")
    for mode, s in summary["modes"].items():
        out.write(f"\n{mode} mode: {s['schedules']} schedules, {s['steps']} steps checked "
                  f"in {s['seconds']}s\n")
        faults = ", ".join(f"{v} {k}" for k, v in s["faults_injected"].items()) or "none"
        out.write(f"  faults injected: {faults}\n")
        found = ", ".join(f"{v} {k}" for k, v in s["anomalies"].items()) or "none"
        out.write(f"  anomalies found: {found}\n")
        out.write(f"  hostile findings: {s['poison_parked']} poison parked, "
                  f"{s['marker_findings_filed']} forged-marker findings filed\n")
        allowed = ", ".join(s["allowed"]) or "none"
        out.write(f"  allowed in this mode: {allowed}\n")
        if s["error"]:
            out.write(f"  VIOLATION: {s['error']}\n")
    verdict = "OK" if summary["ok"] else "FAILED"
    out.write(f"\nsoak {verdict} in {summary['seconds']}s (replay: {summary['replay']})\n")
