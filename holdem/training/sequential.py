"""The one in-process training loop: plan a batch, run the kernel, merge, discount when one falls due.

:class:`SequentialTrainer` is what ``--num-workers 1`` runs (bitwise reproducible for a seed, batches cut
at every schedule boundary), and what tests and benchmarks drive directly with :meth:`step`.
:func:`train_sequential` adds the budget, checkpoints, snapshots and progress of a run on disk.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import BettingTree, build_tree
from holdem.games import GameDef, load_game
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.config import MCCFRConfig
from holdem.mccfr.exploitability import ExactEvaluator
from holdem.mccfr.tables import Tables, discount_chunks
from holdem.training.errors import OutputError
from holdem.training.housekeeping import Housekeeping, ProgressCallback, TrainingClock
from holdem.training.outcome import RunOutcome
from holdem.training.signals import StopSignals
from holdem.training.state import BlueprintRun
from orchestrator.events import EventLog

SEQUENTIAL_BATCH = 1024
MAX_SEQUENTIAL_BATCH = 16_384
ROWS_PER_SEQUENTIAL_ITERATION = 200


def sequential_batch(num_rows: int) -> int:
    """Iterations per merge in process when the batch size is auto: 1,024, more on large trees (one per 200
    rows, at most 16,384), where a merge walks many rows and iterations within a batch rarely meet; a pure
    function of the tree, so a run stays bitwise reproducible."""
    return max(SEQUENTIAL_BATCH, min(MAX_SEQUENTIAL_BATCH, num_rows // ROWS_PER_SEQUENTIAL_ITERATION))


class SequentialTrainer:
    """Runs a run's batches in this process and merges each one at once."""

    def __init__(self, run: BlueprintRun, batch_size: int | None = None) -> None:
        self.run = run
        self.batch_size = max(1, int(batch_size or run.config.batch_size or sequential_batch(run.tree.num_rows)))
        self.runner = BatchRunner(run.tree, run.abstraction, run.config.mccfr.algorithm)
        self.kernel_cpu_s = 0.0
        self.merge_cpu_s = 0.0

    @classmethod
    def for_tree(cls, tree: BettingTree, abstraction: CardAbstraction, mccfr: MCCFRConfig, *,
                 batch_size: int = SEQUENTIAL_BATCH) -> SequentialTrainer:
        """A trainer over in-memory tables, with no files (tests, benchmarks, notebooks)."""
        return cls(BlueprintRun.in_memory(tree, abstraction, mccfr), batch_size)

    @classmethod
    def for_game(cls, game: str | GameDef, mccfr: MCCFRConfig, *, abstraction: CardAbstraction | None = None,
                 menu: object = None, batch_size: int = SEQUENTIAL_BATCH) -> SequentialTrainer:
        """A trainer for a shipped game; limit games default to their lossless abstraction."""
        gamedef = load_game(game) if isinstance(game, str) else game
        abstraction = abstraction or lossless_for(gamedef)
        tree = build_tree(gamedef, menu, [int(x) for x in abstraction.num_buckets])
        return cls.for_tree(tree, abstraction, mccfr, batch_size=batch_size)

    def run_batch(self, size: int) -> int:
        """Plan the next batch of at most ``size`` iterations, run it, merge it, apply discounts that fall due;
        returns its node visits. Counts the kernel's CPU seconds apart from packing and merging."""
        run = self.run
        task = run.plan_batch(size)
        started_cpu = time.thread_time()
        iterations, nodes = self.runner.accumulate(run.tables.regret, task["first_iteration"], task["iterations"],
                                                   task["seed"], np.asarray(task["params"], dtype=np.float64),
                                                   run.tables.regret_scale)
        kernel_done_cpu = time.thread_time()
        payload: dict = {"iterations": iterations, "nodes": nodes}
        problem = run.merge_buffer(self.runner, payload)
        if problem is not None:
            raise RuntimeError(f"batch at iteration {task['first_iteration']} produced bad deltas: {problem}")
        self.kernel_cpu_s += kernel_done_cpu - started_cpu
        self.merge_cpu_s += time.thread_time() - kernel_done_cpu
        run.record([task], payload)
        for factors in run.due_discounts():
            for start, stop in discount_chunks(run.tree.num_rows):
                run.discount_chunk(factors, start, stop)
            run.discount_done()
        return nodes

    def step(self, iterations: int) -> int:
        """Run exactly ``iterations`` more iterations; returns the iteration count reached."""
        target = self.run.iterations_applied + int(iterations)
        while self.run.iterations_applied < target:
            self.run_batch(min(self.batch_size, target - self.run.iterations_applied))
        return self.run.iterations_applied

    # --- what library users read -------------------------------------------------------------------
    @property
    def tree(self) -> BettingTree:
        return self.run.tree

    @property
    def tables(self) -> Tables:
        return self.run.tables

    @property
    def evaluator(self) -> ExactEvaluator | None:
        return self.run.evaluator

    @property
    def iteration(self) -> int:
        return self.run.iterations_applied

    @property
    def nodes(self) -> int:
        return self.run.nodes

    def average_policy(self) -> np.ndarray:
        """Average strategy per row (float64 [rows, max_actions]); uniform where never reached."""
        return self.run.average_policy()

    def exploitability(self) -> float | None:
        """Exact exploitability of the average policy (None when the game is too large)."""
        return self.run.exploitability()


def train_sequential(run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> RunOutcome:
    """Train in this process until the budget, a stop signal or a failure, then write the final checkpoint.

    SIGINT and SIGTERM only set a flag, read between batches, so the tables are never left half-merged and
    the final checkpoint holds a state the run passed through; a second signal abandons the run at once,
    keeping the last checkpoint written.
    """
    assert run.paths is not None
    trainer = SequentialTrainer(run)
    clock = TrainingClock(run.elapsed_before)
    keeper = Housekeeping(run, events, on_progress, clock)
    extra: dict[str, Any] = {"batch_size": trainer.batch_size, "worker_iterations": {"0": 0}}
    loop = asyncio.new_event_loop()
    reason, checkpoint, error = "time_budget", None, None
    with StopSignals(events) as stop:
        try:
            clock.start()
            while run.budget_left(clock.session()) and stop.signal is None and events.failure is None:
                before = run.iterations_applied
                trainer.run_batch(trainer.batch_size)
                extra["worker_iterations"]["0"] += run.iterations_applied - before
                extra["worker_kernel_cpu_s"] = round(trainer.kernel_cpu_s, 4)
                extra["worker_merge_cpu_s"] = round(trainer.merge_cpu_s, 4)
                if keeper.checkpoint_due():
                    loop.run_until_complete(keeper.checkpoint())
                loop.run_until_complete(keeper.maybe_progress(extra))
            if events.failure is not None:
                raise OutputError(events.failure)
            if stop.signal is not None:
                reason = f"signal {stop.signal}"
            elif run.config.iterations is not None and run.iterations_applied >= run.config.iterations:
                reason = "iterations"
            checkpoint = loop.run_until_complete(keeper.checkpoint("final"))
            loop.run_until_complete(keeper.maybe_progress(extra, force=True))
        except OutputError as exc:
            reason, error, checkpoint = "error", str(exc), keeper.last_written
        except KeyboardInterrupt:
            reason, checkpoint = f"signal {stop.signal} (forced)", keeper.last_written
        finally:
            loop.close()
    return RunOutcome(run.iterations_applied, clock.total(), reason, run.paths.blueprint, checkpoint,
                      keeper.exploitability, 0, error, signal=stop.signal)
