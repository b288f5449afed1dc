"""Worker process of a parallel training run: ``python -m holdem.training.worker RUN_SPEC.json``.

It loads the run's tree and card abstraction, maps the master regret table read-only, compiles
(or loads from cache) the kernel before saying ready, then answers each task with one batch's
packed deltas. It never writes the master tables.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import BettingTree
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.config import NUM_PARAMS, MCCFRConfig
from holdem.training.shared_tables import TableSpec, attach_readonly
from orchestrator.worker_runtime import run_worker

WORKER_SPEC_VERSION = 1


def write_worker_spec(path: Path, *, tree_path: Path, buckets_path: Path | None, mccfr: MCCFRConfig,
                      regret: TableSpec, regret_mode: str, num_workers: int,
                      delta_capacity: int | None = None) -> None:
    """What every worker of a run loads; written once by the run before spawning workers."""
    spec = {
        "version": WORKER_SPEC_VERSION,
        "tree": str(tree_path),
        "buckets": None if buckets_path is None else str(buckets_path),
        "mccfr": mccfr.to_dict(),
        "regret": regret.to_dict(),
        "regret_mode": regret_mode,
        "num_workers": num_workers,
        "delta_capacity": delta_capacity,
    }
    path.write_text(json.dumps(spec, indent=1))


class BatchHandler:
    """Runs tasks of the form ``{first_iteration, iterations, seed, params, discount_epoch}``.

    In ``shared`` regret mode every batch reads the master regret table (pooled learning, right for
    large games). In ``independent`` mode the worker is its own learner: it reads a private regret
    table (seeded from the master's share at start) and only the strategy sums pool in the master,
    whose average is a mixture of the learners' average strategies. Small games need this: there a
    batch's staleness (the other workers' unmerged iterations) slows shared-regret convergence badly.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        if spec.get("version") != WORKER_SPEC_VERSION:
            raise ValueError(f"worker spec version {spec.get('version')} is not {WORKER_SPEC_VERSION}")
        tree = BettingTree.load(spec["tree"])
        if spec["buckets"] is None:
            abstraction = lossless_for(tree.game)
        else:
            abstraction = CardAbstraction.load(spec["buckets"], tree.game)
        self.mccfr = MCCFRConfig.from_dict(spec["mccfr"])
        self.regret = attach_readonly(TableSpec.from_dict(spec["regret"]))
        self.independent = spec["regret_mode"] == "independent"
        self.private: np.ndarray | None = None
        self.discount_epoch: int | None = None
        if self.independent:
            self.private = np.array(self.regret, dtype=np.float32) / max(1, int(spec["num_workers"]))
        self.runner = BatchRunner(tree, abstraction, self.mccfr.algorithm, spec.get("delta_capacity"))

    def _catch_up_discounts(self, epoch: int) -> None:
        """Apply to the private regrets the discounts the master applied since this learner's last batch."""
        assert self.private is not None
        if self.discount_epoch is None:
            self.discount_epoch = epoch
        while self.discount_epoch < epoch:
            self.discount_epoch += 1
            factors = self.mccfr.discount_factors(self.discount_epoch * self.mccfr.discount_interval)
            if factors is not None:
                positive = self.private > 0
                self.private *= np.where(positive, np.float32(factors[0]), np.float32(factors[1]))

    def warm_up(self, params: np.ndarray) -> None:
        """Load or compile the kernel now, so the first real batch is not slow."""
        self.runner.run(self.regret, 0, 1, 0, params)

    def __call__(self, task: dict[str, Any]) -> dict[str, Any]:
        params = np.asarray(task["params"], dtype=np.float64)
        view = self.regret
        if self.private is not None:
            self._catch_up_discounts(int(task.get("discount_epoch", 0)))
            view = self.private
        result = self.runner.run(view, int(task["first_iteration"]), int(task["iterations"]),
                                 int(task["seed"]), params)
        deltas = result.deltas
        if self.private is not None:
            updated = self.private[deltas.rows] + deltas.regret
            if self.mccfr.regret_floor is not None:
                np.maximum(updated, np.float32(self.mccfr.regret_floor), out=updated)
            self.private[deltas.rows] = updated
        return {
            "first_iteration": result.first_iteration,
            "iterations": result.iterations,
            "nodes": result.nodes,
            "kernel_seconds": result.seconds,
            "rows": deltas.rows,
            "regret": deltas.regret,
            "strategy": deltas.strategy,
        }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m holdem.training.worker RUN_SPEC.json", file=sys.stderr)
        return 2
    handler = BatchHandler(json.loads(Path(args[0]).read_text()))
    handler.warm_up(np.zeros(NUM_PARAMS, dtype=np.float64))
    run_worker(handler, info={"rows": int(handler.regret.shape[0])})


if __name__ == "__main__":
    sys.exit(main())
