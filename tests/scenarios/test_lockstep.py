"""The lockstep scheduler interleaves replicas deterministically at yield points."""

from __future__ import annotations

from scenarios.lockstep import Lockstep


def test_round_robin_at_yield_points() -> None:
    ls = Lockstep()
    trace: list[str] = []

    def job(name: str, steps: int):
        def run() -> str:
            for i in range(steps):
                trace.append(f"{name}{i}")
                ls.yield_point()
            trace.append(f"{name}-done")
            return name
        return run

    for _ in range(3):  # the same order every time
        trace.clear()
        assert ls.run([job("a", 2), job("b", 1), job("c", 3)]) == ["a", "b", "c"]
        assert trace == ["a0", "b0", "c0", "a1", "b-done", "c1", "a-done", "c2", "c-done"]


def test_exceptions_are_returned_and_others_finish() -> None:
    ls = Lockstep()

    def boom() -> None:
        ls.yield_point()
        raise ValueError("x")

    out = ls.run([boom, lambda: 7])
    assert isinstance(out[0], ValueError) and out[1] == 7


def test_single_job_runs_inline_and_yield_is_a_no_op() -> None:
    ls = Lockstep()

    def job() -> int:
        ls.yield_point()
        return 1

    assert ls.run([job]) == [1]
    ls.yield_point()  # outside a run: nothing happens
