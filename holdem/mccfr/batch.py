"""Batches of MCCFR iterations: what a worker process (or the sequential trainer) runs.

A batch reads the master regret table (read-only; shared memory in workers), accumulates in a local
:class:`DeltaBuffer`, and its changes are packed, one half per table, as sorted unique rows with only each
row's legal actions. Several batches may accumulate before one pack (a worker sending one result for several
tasks). Randomness depends only on ``(seed, iteration)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.tree import BettingTree
from holdem.mccfr.compact import UNIT_SCALE
from holdem.mccfr.external import external_sampling_batch
from holdem.mccfr.kernels_common import NUM_STATS, STAT_ITERATIONS, STAT_NODES, KernelTree, kernel_tree
from holdem.mccfr.outcome import outcome_sampling_batch
from holdem.mccfr.tables import (
    DeltaBuffer,
    PackedDeltas,
    Tables,
    apply_buffer,
    pack_deltas,
    private_array,
    row_num_actions,
)

INITIAL_DELTA_ROWS = 1 << 14
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
    """Holds a game's kernel view and a reusable delta buffer.

    :meth:`accumulate` runs iterations into the buffer; :meth:`pack` empties it into packed deltas;
    :meth:`run` does both for one batch.
    """

    def __init__(self, tree: BettingTree, abstraction: CardAbstraction, algorithm: str = "external",
                 delta_capacity: int | None = None) -> None:
        if algorithm not in KERNELS:
            raise ValueError(f"unknown algorithm {algorithm!r}: expected one of {', '.join(KERNELS)}")
        self.kernel_tree: KernelTree = kernel_tree(tree, abstraction)
        self.kernel_data: tuple = abstraction.kernel_data()
        self.algorithm = algorithm
        self.num_actions = row_num_actions(tree).astype(np.uint8)
        self.growable = delta_capacity is None
        first_capacity = initial_delta_rows(tree.num_rows, self.kernel_tree.num_decisions)
        self.buffer = DeltaBuffer(tree.num_rows, tree.max_actions, first_capacity if self.growable else delta_capacity)
        self._kernel = KERNELS[algorithm]
        self._spilled: list[PackedDeltas] = []

    def accumulate(self, regret: np.ndarray, first_iteration: int, num_iterations: int, seed: int,
                   params: np.ndarray, regret_scale: np.ndarray = UNIT_SCALE) -> tuple[int, int]:
        """Run ``num_iterations`` iterations from ``first_iteration`` into the buffer; ``regret`` (with its
        ``regret_scale``, see :mod:`holdem.mccfr.compact`) is only read. Returns (iterations, node visits).

        A buffer sized by default starts small and doubles when a batch touches more rows (up to the table);
        one of a given capacity packs what it holds aside when full."""
        stats = np.zeros(NUM_STATS, dtype=np.int64)
        done = 0
        while done < num_iterations:
            ran = self._kernel(self.kernel_tree, self.kernel_data, regret, regret_scale, first_iteration + done,
                               num_iterations - done, seed, params, *self.buffer.arrays(), stats)
            done += ran
            if done < num_iterations:
                if ran == 0 and self.buffer.count == 0:
                    raise RuntimeError("delta buffer too small for a single iteration")
                if self.growable and self.buffer.capacity < self.buffer.num_rows:
                    self.buffer.grow(2 * self.buffer.capacity)
                    continue
                self._spilled.append(pack_deltas(self.buffer, self.num_actions))
        return int(stats[STAT_ITERATIONS]), int(stats[STAT_NODES])

    def pack(self, allocate: Any = private_array) -> PackedDeltas:
        """Everything accumulated since the last pack, packed into arrays from ``allocate(dtype, shape)``."""
        if not self._spilled:
            return pack_deltas(self.buffer, self.num_actions, allocate)
        parts = [*self._spilled, pack_deltas(self.buffer, self.num_actions)]
        self._spilled = []
        return merge_deltas(parts, self.num_actions, allocate)

    def apply_to(self, tables: Tables, regret_floor: float | None = None) -> bool:
        """Add everything accumulated since the last pack straight to float32 ``tables`` (as packing and merging
        would, bitwise); False, with nothing done, when the tables are compact or part of it was packed aside."""
        if tables.compact or self._spilled:
            return False
        apply_buffer(tables, self.buffer, self.num_actions, regret_floor)
        return True

    def run(self, regret: np.ndarray, first_iteration: int, num_iterations: int, seed: int,
            params: np.ndarray, regret_scale: np.ndarray = UNIT_SCALE) -> BatchResult:
        """Run one batch and pack it; ``regret`` is only read."""
        started = time.perf_counter()
        iterations, nodes = self.accumulate(regret, first_iteration, num_iterations, seed, params, regret_scale)
        deltas = self.pack()
        return BatchResult(deltas, first_iteration, iterations, nodes, time.perf_counter() - started)


def initial_delta_rows(num_rows: int, num_decisions: int) -> int:
    """First capacity of a growable delta buffer: room for a few iterations' rows, never more than the table."""
    return int(min(num_rows, max(4 * num_decisions, INITIAL_DELTA_ROWS)))


def merge_deltas(parts: list[PackedDeltas], num_actions: np.ndarray, allocate: Any = private_array) -> PackedDeltas:
    """Sum several packed deltas into one (each half's rows sorted and unique)."""
    width = int(num_actions.max()) if num_actions.size else 0
    halves = []
    for half in range(2):
        pieces = [part.halves()[half] for part in parts]
        unique, inverse = np.unique(np.concatenate([rows for rows, _ in pieces]), return_inverse=True)
        summed = np.zeros((len(unique), width), dtype=np.float64)
        at = 0
        for rows, values in pieces:
            counts = num_actions[rows].astype(np.int64)
            columns = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            np.add.at(summed, (np.repeat(inverse[at: at + rows.shape[0]], counts), columns), values)
            at += rows.shape[0]
        mask = np.arange(width)[None, :] < num_actions[unique][:, None]
        out_rows = allocate(np.int32, (len(unique),))
        out_rows[:] = unique
        out_values = allocate(pieces[0][1].dtype, (int(mask.sum()),))
        out_values[:] = summed[mask]
        halves.extend((out_rows, out_values))
    return PackedDeltas(*halves)
