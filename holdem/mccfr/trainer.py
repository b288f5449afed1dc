"""Sequential in-process MCCFR training: the same batch kernel and delta path as the parallel run.

Batches are split at every schedule boundary (discount, epsilon, pruning warm-up), so a given
seed, batch size and iteration count give bitwise identical tables.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import BettingTree, build_tree
from holdem.fileformat import save_arrays
from holdem.games import GameDef, format_gamedef, load_game
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.config import MCCFRConfig
from holdem.mccfr.exploitability import ExactEvaluator, ExploitabilityError
from holdem.mccfr.tables import (
    Tables,
    allocate_tables,
    apply_deltas,
    average_strategy,
    discount,
    memory_report,
    row_num_actions,
)
from orchestrator.events import EventLog

POLICY_KIND = "average_policy"
POLICY_VERSION = 1
POLICY_FILE = "policy.npz"
EVENTS_FILE = "events.jsonl"


@dataclass(frozen=True)
class TrainResult:
    """How a run ended."""

    iterations: int
    seconds: float
    cpu_seconds: float
    nodes: int
    reason: str
    exploitability: float | None
    policy_path: str | None


class Trainer:
    """Runs MCCFR batches in this process and applies each batch's deltas at once."""

    def __init__(self, tree: BettingTree, abstraction: CardAbstraction, config: MCCFRConfig, *,
                 batch_size: int = 20_000, logdir: str | Path | None = None,
                 exploitability_interval_seconds: float | None = 5.0, progress_interval_seconds: float = 1.0,
                 delta_capacity: int | None = None) -> None:
        self.tree = tree
        self.abstraction = abstraction
        self.config = config
        self.batch_size = max(1, int(batch_size))
        self.memory = memory_report(tree.num_rows, tree.max_actions, delta_capacity=delta_capacity)
        self.tables: Tables = allocate_tables(tree.num_rows, tree.max_actions)
        self.runner = BatchRunner(tree, abstraction, config.algorithm, delta_capacity)
        self.iteration = 0
        self.nodes = 0
        self.kernel_seconds = 0.0
        self.exploitability_interval_seconds = exploitability_interval_seconds
        self.progress_interval_seconds = progress_interval_seconds
        self.logdir = Path(logdir) if logdir is not None else None
        try:
            self.evaluator: ExactEvaluator | None = ExactEvaluator(tree, abstraction)
        except ExploitabilityError:
            self.evaluator = None
        self.history: list[tuple[int, float]] = []

    @classmethod
    def for_game(cls, game: str | GameDef, config: MCCFRConfig, *, abstraction: CardAbstraction | None = None,
                 menu: Any = None, **kwargs: Any) -> Trainer:
        """A trainer for a shipped game; limit games default to their lossless abstraction."""
        gamedef = load_game(game) if isinstance(game, str) else game
        abstraction = abstraction or lossless_for(gamedef)
        tree = build_tree(gamedef, menu, [int(x) for x in abstraction.num_buckets])
        return cls(tree, abstraction, config, **kwargs)

    def step(self, num_iterations: int) -> int:
        """Run exactly ``num_iterations`` more iterations; returns the iteration count reached."""
        target = self.iteration + int(num_iterations)
        while self.iteration < target:
            end = min(target, self.config.next_boundary(self.iteration))
            params = self.config.kernel_params(self.iteration)
            result = self.runner.run(self.tables.regret, self.iteration, end - self.iteration,
                                     self.config.seed, params)
            apply_deltas(self.tables, result.deltas, self.config.regret_floor)
            self.iteration += result.iterations
            self.nodes += result.nodes
            self.kernel_seconds += result.seconds
            factors = self.config.discount_factors(self.iteration)
            if factors is not None:
                discount(self.tables, *factors)
        return self.iteration

    def average_policy(self) -> np.ndarray:
        """Average strategy per row (float64 [rows, max_actions]); uniform where never reached."""
        return average_strategy(self.tables.strategy_sum, row_num_actions(self.tree))

    def exploitability(self) -> float | None:
        """Exact exploitability of the average policy (None when the game is too large)."""
        if self.evaluator is None:
            return None
        return self.evaluator.exploitability(self.average_policy())

    def save_policy(self, path: str | Path) -> str:
        """Write the average policy as a checksummed npz; returns its checksum."""
        meta = {
            "game": self.tree.game.name,
            "gamedef": format_gamedef(self.tree.game),
            "menu": self.tree.menu.to_dict() if self.tree.menu is not None else None,
            "num_buckets": [int(x) for x in self.tree.num_buckets],
            "tree_hash": self.tree.content_hash(),
            "abstraction": self.abstraction.spec,
            "abstraction_hash": self.abstraction.content_hash(),
            "iterations": self.iteration,
            "config": self.config.to_dict(),
        }
        arrays = {
            "policy": self.average_policy().astype(np.float32),
            "num_actions": row_num_actions(self.tree),
        }
        return save_arrays(path, kind=POLICY_KIND, version=POLICY_VERSION, arrays=arrays, meta=meta)

    def run(self, *, iterations: int | None = None, time_budget: float | None = None) -> TrainResult:
        """Train until ``iterations`` are done or ``time_budget`` wall seconds pass (whichever first)."""
        if iterations is None and time_budget is None:
            raise ValueError("give an iteration budget, a time budget, or both")
        events = self._open_events()
        started = time.monotonic()
        cpu_started = time.process_time()
        target = None if iterations is None else self.iteration + int(iterations)
        events.emit("run_start", game=self.tree.game.name, algorithm=self.config.algorithm,
                    rows=self.tree.num_rows, max_actions=self.tree.max_actions, memory=self.memory,
                    config=self.config.to_dict(), iterations_budget=iterations, time_budget=time_budget)
        last_progress = last_eval = started
        last_iter, last_nodes = self.iteration, self.nodes
        expl: float | None = None
        reason = "iterations"
        try:
            while target is None or self.iteration < target:
                now = time.monotonic()
                if time_budget is not None and now - started >= time_budget:
                    reason = "time_budget"
                    break
                chunk = self.batch_size if target is None else min(self.batch_size, target - self.iteration)
                self.step(chunk)
                now = time.monotonic()
                if now - last_progress >= self.progress_interval_seconds:
                    span = now - last_progress
                    events.emit("progress", iterations=self.iteration, seconds=round(now - started, 3),
                                it_per_s=round((self.iteration - last_iter) / span, 1),
                                nodes_per_s=round((self.nodes - last_nodes) / span, 1))
                    last_progress, last_iter, last_nodes = now, self.iteration, self.nodes
                interval = self.exploitability_interval_seconds
                if self.evaluator is not None and interval is not None and now - last_eval >= interval:
                    expl = self._record_exploitability(events, started)
                    last_eval = time.monotonic()
        except KeyboardInterrupt:
            reason = "interrupted"
        if self.evaluator is not None:
            expl = self._record_exploitability(events, started)
        policy_path = None
        if self.logdir is not None:
            policy_path = str(self.logdir / POLICY_FILE)
            checksum = self.save_policy(policy_path)
            events.emit("policy", path=policy_path, checksum=checksum, iterations=self.iteration)
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu_started
        events.emit("run_end", iterations=self.iteration, seconds=round(seconds, 3),
                    cpu_seconds=round(cpu, 3), nodes=self.nodes, reason=reason, exploitability=expl)
        events.close()
        return TrainResult(self.iteration, seconds, cpu, self.nodes, reason, expl, policy_path)

    def _record_exploitability(self, events: EventLog, started: float) -> float | None:
        expl = self.exploitability()
        if expl is not None:
            self.history.append((self.iteration, expl))
            events.emit("exploitability", iterations=self.iteration,
                        seconds=round(time.monotonic() - started, 3), exploitability=expl)
        return expl

    def _open_events(self) -> EventLog:
        if self.logdir is None:
            return EventLog(None)
        self.logdir.mkdir(parents=True, exist_ok=True)
        return EventLog(str(self.logdir / EVENTS_FILE))


def read_events(logdir: str | Path) -> list[dict[str, Any]]:
    """The events of a run directory, oldest first."""
    path = Path(logdir) / EVENTS_FILE
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
