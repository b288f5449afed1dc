"""Worker process of a parallel training run: ``python -m holdem.worker RUN_SPEC.json``.

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
from holdem.shared_tables import TableSpec, attach_readonly

WORKER_SPEC_VERSION = 1


def write_worker_spec(path: Path, *, tree_path: Path, buckets_path: Path | None, algorithm: str,
                      regret: TableSpec, delta_capacity: int | None) -> None:
    """What every worker of a run loads; written once by the run before spawning workers."""
    spec = {
        "version": WORKER_SPEC_VERSION,
        "tree": str(tree_path),
        "buckets": None if buckets_path is None else str(buckets_path),
        "algorithm": algorithm,
        "regret": regret.to_dict(),
        "delta_capacity": delta_capacity,
    }
    path.write_text(json.dumps(spec, indent=1))


class BatchHandler:
    """Runs tasks of the form ``{first_iteration, iterations, seed, params}`` on the shared regret table."""

    def __init__(self, spec: dict[str, Any]) -> None:
        if spec.get("version") != WORKER_SPEC_VERSION:
            raise ValueError(f"worker spec version {spec.get('version')} is not {WORKER_SPEC_VERSION}")
        tree = BettingTree.load(spec["tree"])
        if spec["buckets"] is None:
            abstraction = lossless_for(tree.game)
        else:
            abstraction = CardAbstraction.load(spec["buckets"], tree.game)
        self.regret = attach_readonly(TableSpec.from_dict(spec["regret"]))
        self.runner = BatchRunner(tree, abstraction, spec["algorithm"], spec.get("delta_capacity"))

    def warm_up(self, params: np.ndarray) -> None:
        """Load or compile the kernel now, so the first real batch is not slow."""
        self.runner.run(self.regret, 0, 1, 0, params)

    def __call__(self, task: dict[str, Any]) -> dict[str, Any]:
        params = np.asarray(task["params"], dtype=np.float64)
        result = self.runner.run(self.regret, int(task["first_iteration"]), int(task["iterations"]),
                                 int(task["seed"]), params)
        deltas = result.deltas
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
    from holdem.mccfr.config import NUM_PARAMS
    from orchestrator.worker_runtime import run_worker

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m holdem.worker RUN_SPEC.json", file=sys.stderr)
        return 2
    handler = BatchHandler(json.loads(Path(args[0]).read_text()))
    handler.warm_up(np.zeros(NUM_PARAMS, dtype=np.float64))
    run_worker(handler, info={"rows": int(handler.regret.shape[0])})


if __name__ == "__main__":
    sys.exit(main())
