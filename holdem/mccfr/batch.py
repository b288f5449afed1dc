"""One batch of MCCFR iterations: what a worker process (or the sequential trainer) runs.

A batch reads the master regret table (read-only; shared memory in workers), accumulates in a
local :class:`DeltaBuffer`, and returns the batch's changes packed as sorted unique rows. Its
randomness depends only on ``(seed, iteration)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.tree import BettingTree
from holdem.mccfr.external import external_sampling_batch
from holdem.mccfr.kernels_common import NUM_STATS, STAT_ITERATIONS, STAT_NODES, KernelTree, kernel_tree
from holdem.mccfr.outcome import outcome_sampling_batch
from holdem.mccfr.tables import DeltaBuffer, PackedDeltas, pack_deltas

KERNELS: dict[str, Callable[..., int]] = {
    "external": external_sampling_batch,
    "outcome": outcome_sampling_batch,
}


@dataclass(frozen=True)
class BatchResult:
    """A batch's deltas and what it cost."""

    deltas: PackedDeltas
    first_iteration: int
    iterations: int
    nodes: int
    seconds: float


class BatchRunner:
    """Holds a game's kernel view and a reusable delta buffer; :meth:`run` executes one batch."""

    def __init__(self, tree: BettingTree, abstraction: CardAbstraction, algorithm: str = "external",
                 delta_capacity: int | None = None) -> None:
        if algorithm not in KERNELS:
            raise ValueError(f"unknown algorithm {algorithm!r}: expected one of {', '.join(KERNELS)}")
        self.kernel_tree: KernelTree = kernel_tree(tree, abstraction)
        self.kernel_data: tuple = abstraction.kernel_data()
        self.algorithm = algorithm
        self.buffer = DeltaBuffer(tree.num_rows, tree.max_actions, delta_capacity)
        self._kernel = KERNELS[algorithm]

    def run(self, regret: np.ndarray, first_iteration: int, num_iterations: int, seed: int,
            params: np.ndarray) -> BatchResult:
        """Run ``num_iterations`` iterations from ``first_iteration``; ``regret`` is only read."""
        started = time.perf_counter()
        stats = np.zeros(NUM_STATS, dtype=np.int64)
        parts: list[PackedDeltas] = []
        done = 0
        while done < num_iterations:
            ran = self._kernel(self.kernel_tree, self.kernel_data, regret, first_iteration + done,
                               num_iterations - done, seed, params, *self.buffer.arrays(), stats)
            done += ran
            if done < num_iterations:
                if ran == 0 and self.buffer.count == 0:
                    raise RuntimeError("delta buffer too small for a single iteration")
                parts.append(pack_deltas(self.buffer))
        parts.append(pack_deltas(self.buffer))
        deltas = parts[0] if len(parts) == 1 else merge_deltas(parts)
        return BatchResult(deltas, first_iteration, int(stats[STAT_ITERATIONS]), int(stats[STAT_NODES]),
                           time.perf_counter() - started)


def merge_deltas(parts: list[PackedDeltas]) -> PackedDeltas:
    """Sum several packed deltas into one (rows sorted and unique)."""
    rows = np.concatenate([p.rows for p in parts])
    unique, inverse = np.unique(rows, return_inverse=True)
    width = parts[0].regret.shape[1]
    regret = np.zeros((len(unique), width), dtype=np.float64)
    strategy = np.zeros((len(unique), width), dtype=np.float64)
    np.add.at(regret, inverse, np.concatenate([p.regret for p in parts]))
    np.add.at(strategy, inverse, np.concatenate([p.strategy for p in parts]))
    dtype: Any = parts[0].regret.dtype
    return PackedDeltas(unique.astype(np.int64), regret.astype(dtype), strategy.astype(dtype))
