"""A run's state: tree, card abstraction, master tables, the iterations applied, counters and schedules.

The run is the only writer of the master tables. It plans batches (the gaps a resume left first, then
onwards; cut at schedule boundaries and the iteration target), checks and merges results, records the
exact iteration ranges applied, applies discounts once every iteration below their boundary is in, and
produces the average policy. It knows nothing of processes or files beyond the paths it was given; see
:mod:`holdem.training.setup` for how one is built, :mod:`holdem.training.merger` for the parallel merge
order and :mod:`holdem.training.sequential` for the in-process loop.
"""

from __future__ import annotations

import functools
from collections import deque
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.tree import DECISION, BettingTree
from holdem.games import chip_unit
from holdem.mccfr.batch import BatchRunner, initial_delta_rows
from holdem.mccfr.compact import discount_compact, encode_into
from holdem.mccfr.config import MCCFRConfig
from holdem.mccfr.exploitability import ExactEvaluator, ExploitabilityError
from holdem.mccfr.journal import complete as journal_complete
from holdem.mccfr.tables import (
    PackedDeltas,
    TableError,
    Tables,
    allocate_tables,
    apply_deltas,
    average_strategy,
    check_deltas,
    discount,
    filled_share,
    memory_report,
    row_num_actions,
)
from holdem.training.checkpoint import read_checkpoint, run_identity
from holdem.training.config import TrainConfig
from holdem.training.paths import RunPaths
from holdem.training.ranges import IterationRanges
from holdem.training.shared_tables import SharedTables

INDEPENDENT_BELOW_ROWS = 100_000
FILL_SAMPLE_ROWS = 1 << 16
NO_DISCOUNT = (1.0, 1.0, 1.0)
"""The factors of an interval whose discount is past the cutoff: counted, nothing applied."""


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
        self.num_actions = row_num_actions(tree)
        decisions = int(np.count_nonzero(tree.kind == DECISION))
        self.memory = memory_report(tree.num_rows, tree.max_actions, workers=config.workers,
                                    delta_capacity=initial_delta_rows(tree.num_rows, decisions),
                                    regret_dtype=str(tables.regret.dtype), legal_actions=int(self.num_actions.sum()),
                                    lazy=shared is None or tables.compact, shared_memory=shared is not None)
        self.row_actions = self.num_actions.astype(np.uint8)
        self.big_blind = float(chip_unit(tree.game)[0])
        self.applied = IterationRanges()
        self.gaps: deque[tuple[int, int]] = deque()
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

    @property
    def iterations_applied(self) -> int:
        return self.applied.total()

    # --- batch plan -----------------------------------------------------------------------------
    def budget_left(self, session_seconds: float) -> bool:
        """Whether to plan more: gaps left or the iteration target not reached, within this session's time."""
        cfg = self.config
        if cfg.iterations is not None and not self.gaps and self.next_iteration >= cfg.iterations:
            return False
        return cfg.time_budget_seconds is None or session_seconds < cfg.time_budget_seconds

    def plan_batch(self, size: int) -> dict[str, Any]:
        """The next batch of at most ``size`` iterations: from the oldest gap if any, else onwards; cut at
        schedule boundaries and the iteration target."""
        mccfr = self.config.mccfr
        if self.gaps:
            first, stop = self.gaps[0]
            end = min(stop, first + max(1, size), mccfr.next_boundary(first))
            if end == stop:
                self.gaps.popleft()
            else:
                self.gaps[0] = (end, stop)
        else:
            first = self.next_iteration
            end = min(first + max(1, size), mccfr.next_boundary(first))
            if self.config.iterations is not None:
                end = min(end, self.config.iterations)
            self.next_iteration = end
        return {
            "first_iteration": first,
            "iterations": end - first,
            "seed": mccfr.seed,
            "params": mccfr.kernel_params(first, self.big_blind).tolist(),
            "discount_epoch": self.discount_epoch(),
            "interval": mccfr.discount_interval_index(first),
        }

    @property
    def regret_mode(self) -> str:
        """``shared`` (workers read the master regrets) or ``independent`` (one learner per worker)."""
        mode = self.config.regret_sharing
        if mode == "auto":
            mode = "independent" if self.tree.num_rows < INDEPENDENT_BELOW_ROWS else "shared"
        return mode

    # --- merging --------------------------------------------------------------------------------
    def check_result(self, tasks: list[dict[str, Any]], payload: dict[str, Any]) -> str | None:
        """Why a result cannot be the result of ``tasks`` (shapes, dtypes, iteration count), or None; cheap."""
        try:
            arrays = {name: payload[name] for name in PackedDeltas.FIELDS}
            iterations, nodes = int(payload["iterations"]), int(payload["nodes"])
        except (KeyError, TypeError, ValueError) as exc:
            return f"result lacks {exc}"
        for name, array in arrays.items():
            dtype = np.int32 if name.endswith("_rows") else np.float32
            if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != 1:
                return f"{name} must be a 1-D {np.dtype(dtype)} array"
        for half in ("regret", "strategy"):
            rows, values = arrays[f"{half}_rows"], arrays[half]
            if rows.shape[0] > self.tree.num_rows or values.shape[0] < rows.shape[0]:
                return f"{rows.shape[0]} {half} rows with {values.shape[0]} values do not fit the tables"
        want = sum(int(t["iterations"]) for t in tasks)
        if iterations != want or nodes < 0:
            return f"result reports {iterations} iterations, its batches hold {want}"
        return None

    def merge(self, payload: dict[str, Any], *, parts: int = 1, executor: Executor | None = None,
              applied: int | None = None) -> str | None:
        """Check a result's deltas against the tables and add them (GIL released); why not, or None. The regret
        floor is the one after ``applied`` iterations (default: those recorded so far)."""
        deltas = PackedDeltas.from_fields(payload)
        problem = check_deltas(deltas, self.row_actions)
        if problem is not None:
            return problem
        apply_deltas(self.tables, deltas, self.row_actions, self.regret_floor(applied), checked=True, parts=parts,
                     executor=executor)
        return None

    def complete_commit(self, payload: dict[str, Any], journal: np.ndarray | None, regret_floor: float,
                        ticket: int) -> tuple[int, str | None]:
        """Apply a result whose worker was asked to commit it as ``ticket`` and died (or never began): from its
        ``journal``, the chunks it had not added; how many it had, and why the result does not fit, or None."""
        try:
            return journal_complete(self.tables, PackedDeltas.from_fields(payload), self.row_actions, regret_floor,
                                    journal, ticket), None
        except (TableError, KeyError) as exc:
            return 0, str(exc)

    def merge_buffer(self, runner: BatchRunner, payload: dict[str, Any]) -> str | None:
        """Merge what an in-process ``runner`` accumulated: straight from its delta buffer into float32 tables,
        else packed into ``payload`` and merged as a worker's result would be; why not, or None."""
        try:
            if runner.apply_to(self.tables, self.regret_floor()):
                return None
        except TableError as exc:
            return str(exc)
        payload.update(runner.pack().fields())
        return self.merge(payload)

    def regret_floor(self, applied: int | None = None) -> float:
        """The regret floor after ``applied`` iterations (default: those recorded so far); -inf when off."""
        return self.config.mccfr.thresholds(self.big_blind,
                                            self.applied.prefix_end() if applied is None else applied)[1]

    def record(self, tasks: list[dict[str, Any]], payload: dict[str, Any]) -> None:
        """Count a merged result: its iteration ranges (each exactly once), node visits, batches."""
        for task in tasks:
            first = int(task["first_iteration"])
            self.applied.add(first, first + int(task["iterations"]))
        self.nodes += int(payload["nodes"])
        self.batches_applied += sum(int(task.get("batches", 1)) for task in tasks)

    def mergeable(self, first_iteration: int) -> bool:
        """Whether a result starting at ``first_iteration`` may merge now: every iteration below it is in."""
        return first_iteration <= self.applied.prefix_end()

    def due_discounts(self) -> list[tuple[float, float, float]]:
        """Discount factors due now that every iteration below their boundary is applied, in order; each is
        counted as done by :meth:`discount_done` once all its chunks have run."""
        due = []
        mccfr = self.config.mccfr
        done = self.discounts_done
        while mccfr.discount_mode != "none" and (done + 1) * mccfr.discount_interval <= self.applied.prefix_end():
            done += 1
            due.append(mccfr.discount_factors(done * mccfr.discount_interval) or NO_DISCOUNT)
        return due

    def discount_due_at(self) -> int | None:
        """The iteration count at which the next discount falls due (None: no more discounts). Past the cutoff the
        run still counts a (no-op) discount per interval, so that a cutoff raised on resume never discounts
        iterations already past; those count nothing else."""
        limit = self.config.mccfr.discount_limit()
        if limit is not None and self.discounts_done >= limit:
            return None
        return (self.discounts_done + 1) * self.config.mccfr.discount_interval

    def discount_epoch(self) -> int:
        """Discounts applied so far, not counting the no-op ones past the cutoff: results of one epoch saw the same
        discounts (a worker sends what it holds when the epoch changes)."""
        limit = self.config.mccfr.discount_limit()
        return self.discounts_done if limit is None else min(self.discounts_done, limit)

    def discount_chunk(self, factors: tuple[float, float, float], start: int, stop: int) -> None:
        if factors != NO_DISCOUNT:
            if self.tables.compact:
                discount_compact(self.tables.regret, self.tables.regret_scale, self.tables.strategy_sum, *factors,
                                 start, min(stop, self.tree.num_rows))
            else:
                discount(self.tables, *factors, row_start=start, row_stop=stop)

    def discount_done(self) -> None:
        self.discounts_done += 1

    # --- outputs --------------------------------------------------------------------------------
    def average_policy(self) -> np.ndarray:
        return average_strategy(self.tables.strategy_sum, self.num_actions)

    def exploitability(self) -> float | None:
        if self.evaluator is None:
            return None
        return float(self.evaluator.exploitability(self.average_policy()))

    def table_fill(self) -> float:
        """Share of table rows whose strategy sum is non-zero (visited at least once); estimated from an even
        sample of at most ``FILL_SAMPLE_ROWS`` rows, so a large table costs the same as a small one."""
        return filled_share(self.tables.strategy_sum, FILL_SAMPLE_ROWS)

    def snapshot_state(self) -> dict[str, Any]:
        """What a checkpoint records besides the tables (copied, so writing can happen off the loop)."""
        return {
            "iterations": self.iterations_applied,
            "applied_ranges": self.applied.to_list(),
            "discounts_done": self.discounts_done,
            "batches_applied": self.batches_applied,
            "nodes": self.nodes,
            "config": self.config.to_dict(),
            **self.identity(),
        }

    def restore(self, path: Path) -> None:
        """Load tables and counters from a checkpoint, refusing one of another game, tree or abstraction."""
        arrays, meta = read_checkpoint(path, self.identity(), self.tables.regret.shape)
        encode_into(self.tables.regret, self.tables.regret_scale, arrays["regret"])
        self.tables.strategy_sum[:] = arrays["strategy_sum"]
        self.applied = IterationRanges(meta.get("applied_ranges") or [[0, int(meta["iterations"])]])
        self.next_iteration = self.applied.end()
        self.gaps = deque(self.applied.gaps())
        self.discounts_done = int(meta["discounts_done"])
        self.batches_applied = int(meta["batches_applied"])
        self.nodes = int(meta["nodes"])
        self.elapsed_before = float(meta["elapsed_seconds"])

    def close(self) -> None:
        """Release the shared tables, if any (their files are unlinked)."""
        if self.shared is not None:
            self.shared.close()
