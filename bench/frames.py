"""Results as a worker makes them: the kernel's packed deltas after a given CPU time, for benchmarks that
replay or merge real result frames."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from holdem.mccfr.tables import PackedDeltas


@dataclass
class Frame:
    """One result: its deltas and the kernel CPU seconds, iterations and node visits behind them."""

    deltas: PackedDeltas
    seconds: float
    iterations: int
    nodes: int


def kernel_frames(trainer: Any, frames: int, result_seconds: float, batch: int) -> list[Frame]:
    """``frames`` results of ``trainer``'s run, each ``result_seconds`` of kernel CPU time in batches of
    ``batch`` iterations, against its live regrets (as a worker reads the shared tables)."""
    run, runner = trainer.run, trainer.runner
    out = []
    for _ in range(frames):
        spent, iterations, nodes = 0.0, 0, 0
        while spent < result_seconds:
            task = run.plan_batch(batch)
            started = time.thread_time()
            ran, visited = runner.accumulate(run.tables.regret, task["first_iteration"], task["iterations"],
                                             task["seed"], np.asarray(task["params"]))
            spent += time.thread_time() - started
            iterations, nodes = iterations + ran, nodes + visited
        out.append(Frame(runner.pack(), spent, iterations, nodes))
    return out
