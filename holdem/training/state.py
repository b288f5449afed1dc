"""A run's state: tree, card abstraction, master tables, counters and schedules.

The run is the only writer of the master tables. It plans batches (cut at schedule boundaries and the
budget), merges each batch's deltas, applies discounts as they fall due, and produces the average policy.
It knows nothing of processes or files beyond the paths it was given; see :mod:`holdem.training.setup`
for how one is built and :mod:`holdem.training.job` / :mod:`holdem.training.sequential` for the loops.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.tree import BettingTree
from holdem.mccfr.config import MCCFRConfig
from holdem.mccfr.exploitability import ExactEvaluator, ExploitabilityError
from holdem.mccfr.tables import (
    PackedDeltas,
    Tables,
    allocate_tables,
    apply_deltas,
    average_strategy,
    discount,
    memory_report,
    row_num_actions,
)
from holdem.training.checkpoint import read_checkpoint, run_identity
from holdem.training.config import TrainConfig
from holdem.training.paths import RunPaths
from holdem.training.shared_tables import SharedTables

INDEPENDENT_BELOW_ROWS = 100_000


def exact_evaluator(tree: BettingTree, abstraction: CardAbstraction) -> ExactEvaluator | None:
    """The exact exploitability evaluator of a small game, or None when the game is too large for it."""
    try:
        return ExactEvaluator(tree, abstraction)
    except ExploitabilityError:
        return None


class BlueprintRun:
    """One run's state: tree, abstraction, master tables, counters and schedules."""

    def __init__(self, config: TrainConfig, tree: BettingTree, abstraction: CardAbstraction, tables: Tables, *,
                 paths: RunPaths | None = None, buckets_path: Path | None = None,
                 evaluator: ExactEvaluator | None = None, shared: SharedTables | None = None) -> None:
        self.config = config
        self.paths = paths
        self.game = tree.game
        self.tree = tree
        self.abstraction = abstraction
        self.buckets_path = buckets_path
        self.tables = tables
        self.evaluator = evaluator
        self.shared = shared
        self.memory = memory_report(tree.num_rows, tree.max_actions, workers=config.workers)
        self.num_actions = row_num_actions(tree)
        self.iterations_applied = 0
        self.next_iteration = 0
        self.discounts_done = 0
        self.nodes = 0
        self.batches_applied = 0
        self.elapsed_before = 0.0

    @classmethod
    def in_memory(cls, tree: BettingTree, abstraction: CardAbstraction, mccfr: MCCFRConfig) -> BlueprintRun:
        """A run with no files: zeroed in-process tables and the exact evaluator when the game allows it."""
        config = TrainConfig(game=tree.game.name, num_workers=1, mccfr=mccfr)
        tables = allocate_tables(tree.num_rows, tree.max_actions)
        return cls(config, tree, abstraction, tables, evaluator=exact_evaluator(tree, abstraction))

    # --- identity -------------------------------------------------------------------------------
    @functools.cached_property
    def _identity(self) -> dict[str, Any]:
        return run_identity(self.tree, self.abstraction, self.config.mccfr.algorithm)

    def identity(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this run (hashed once: bucket tables are large)."""
        return dict(self._identity)

    # --- batch plan -----------------------------------------------------------------------------
    def budget_left(self, now_elapsed: float) -> bool:
        cfg = self.config
        if cfg.iterations is not None and self.next_iteration >= cfg.iterations:
            return False
        return cfg.time_budget_seconds is None or now_elapsed < cfg.time_budget_seconds

    def plan_batch(self, size: int) -> dict[str, Any]:
        """The next batch of at most ``size`` iterations, cut at schedule boundaries and the budget."""
        first = self.next_iteration
        end = min(first + max(1, size), self.config.mccfr.next_boundary(first))
        if self.config.iterations is not None:
            end = min(end, self.config.iterations)
        self.next_iteration = end
        return {
            "first_iteration": first,
            "iterations": end - first,
            "seed": self.config.mccfr.seed,
            "params": self.config.mccfr.kernel_params(first).tolist(),
            "discount_epoch": self.discounts_done,
        }

    @property
    def regret_mode(self) -> str:
        """``shared`` (workers read the master regrets) or ``independent`` (one learner per worker)."""
        mode = self.config.regret_sharing
        if mode == "auto":
            mode = "independent" if self.tree.num_rows < INDEPENDENT_BELOW_ROWS else "shared"
        return mode

    # --- merging --------------------------------------------------------------------------------
    def apply_result(self, result: dict[str, Any]) -> None:
        """Merge one batch's deltas (GIL released inside) and count it."""
        deltas = PackedDeltas(np.asarray(result["rows"]), np.asarray(result["regret"]),
                              np.asarray(result["strategy"]))
        apply_deltas(self.tables, deltas, self.config.mccfr.regret_floor)
        self.iterations_applied += int(result["iterations"])
        self.nodes += int(result["nodes"])
        self.batches_applied += 1

    def due_discounts(self) -> list[tuple[float, float, float]]:
        """Discount factors that fell due with the iterations applied so far, in order."""
        due = []
        interval = self.config.mccfr.discount_interval
        while self.config.mccfr.discount_mode != "none" and (
            (self.discounts_done + 1) * interval <= self.iterations_applied
        ):
            self.discounts_done += 1
            factors = self.config.mccfr.discount_factors(self.discounts_done * interval)
            if factors is not None:
                due.append(factors)
        return due

    def discount_chunk(self, factors: tuple[float, float, float], start: int, stop: int) -> None:
        discount(self.tables, *factors, row_start=start, row_stop=stop)

    # --- outputs --------------------------------------------------------------------------------
    def average_policy(self) -> np.ndarray:
        return average_strategy(self.tables.strategy_sum, self.num_actions)

    def exploitability(self) -> float | None:
        if self.evaluator is None:
            return None
        return float(self.evaluator.exploitability(self.average_policy()))

    def table_fill(self) -> float:
        """Share of table rows whose strategy sum is non-zero (visited at least once)."""
        touched = np.count_nonzero(np.any(self.tables.strategy_sum != 0, axis=1))
        return float(touched) / max(1, self.tree.num_rows)

    def snapshot_state(self) -> dict[str, Any]:
        """Counters a checkpoint records (copied, so writing can happen off the loop)."""
        return {
            "iterations": self.iterations_applied,
            "discounts_done": self.discounts_done,
            "batches_applied": self.batches_applied,
            "nodes": self.nodes,
            "config": self.config.to_dict(),
            **self.identity(),
        }

    def restore(self, path: Path) -> None:
        """Load tables and counters from a checkpoint, refusing one of another game, tree or abstraction."""
        arrays, meta = read_checkpoint(path, self.identity(), self.tables.regret.shape)
        self.tables.regret[:] = arrays["regret"]
        self.tables.strategy_sum[:] = arrays["strategy_sum"]
        self.iterations_applied = self.next_iteration = int(meta["iterations"])
        self.discounts_done = int(meta["discounts_done"])
        self.batches_applied = int(meta["batches_applied"])
        self.nodes = int(meta["nodes"])
        self.elapsed_before = float(meta["elapsed_seconds"])

    def close(self) -> None:
        """Release the shared tables, if any (their files are unlinked)."""
        if self.shared is not None:
            self.shared.close()
