"""Worker process of a parallel training run: ``python -m holdem.training.worker RUN_SPEC.json``.

It loads the run's tree and card abstraction, maps the master regret table read-only, compiles
(or loads from cache) the kernels before saying ready, then runs tasks and sends their packed deltas,
several tasks to a result when they are short, into the shared-memory result arena the supervisor
gave it. With float32 tables it also applies its own results to the master tables when the supervisor gives it
the turn (journaled, on a thread of its own: :meth:`BatchHandler.commit`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import BettingTree
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.compact import UNIT_SCALE, decode
from holdem.mccfr.config import NUM_PARAMS, P_REGRET_FLOOR, MCCFRConfig
from holdem.mccfr.journal import CommitPlan, commit_payload, warm_up_commits
from holdem.mccfr.memory import large_zeros
from holdem.mccfr.tables import PackedDeltas, Tables, add_rows
from holdem.training.shared_tables import TableSpec, attach_readonly, attach_writable
from orchestrator.transport import ENV_WORKER_ID
from orchestrator.worker_runtime import run_worker

WORKER_SPEC_VERSION = 2
PATIENCE_S = 0.02
FULL_SHARE = 0.8
"""A result is due once it holds this share of its target: auto tasks are a whole result each, and one that ran a
little faster than measured must not wait for a second task (one more frame, and a wakeup of the loop)."""
ENV_DIE_IN_COMMIT = "HOLDEM_CHAOS_DIE_IN_COMMIT"
"""Chaos for tests: the first worker (id 0) kills itself in the middle of its N-th commit, one chunk written."""
REFRESH_SHARE = 0.02
"""A worker reading a private copy of the master regrets refreshes it once the copy is older than the copy's own
cost over this share: 5 ms for the 5-hour config's 65 MB, so every 0.25 s, about 2% of the worker's time."""
MIN_REFRESH_S = 0.05


def write_worker_spec(path: Path, *, tree_path: Path, buckets_path: Path | None, mccfr: MCCFRConfig,
                      regret: TableSpec, regret_mode: str, num_workers: int, result_seconds: float = 0.1,
                      delta_capacity: int | None = None, regret_scale: TableSpec | None = None,
                      regret_copy: bool = False, strategy_sum: TableSpec | None = None) -> None:
    """What every worker of a run loads; written once by the run before spawning workers. With ``strategy_sum``
    the workers apply their own results to the master tables when asked (see :meth:`BatchHandler.commit`)."""
    spec = {
        "version": WORKER_SPEC_VERSION,
        "tree": str(tree_path),
        "buckets": None if buckets_path is None else str(buckets_path),
        "mccfr": mccfr.to_dict(),
        "regret": regret.to_dict(),
        "regret_scale": None if regret_scale is None else regret_scale.to_dict(),
        "regret_mode": regret_mode,
        "num_workers": num_workers,
        "result_seconds": result_seconds,
        "delta_capacity": delta_capacity,
        "regret_copy": regret_copy,
        "strategy_sum": None if strategy_sum is None else strategy_sum.to_dict(),
    }
    path.write_text(json.dumps(spec, indent=1))


class BatchHandler:
    """Runs tasks ``{first_iteration, iterations, seed, params, discount_epoch, interval, result_seconds}`` and
    sends their deltas together once about ``result_seconds`` of kernel time is held (the task's, paced by the
    run, else the spec's), or sooner: when no task arrives within ``PATIENCE_S``, or when the next task lies in
    another discount interval or epoch (a result never spans one).

    In ``shared`` regret mode every batch reads the master regret table (pooled learning, right for
    large games). In ``independent`` mode the worker is its own learner: it reads a private regret
    table (seeded from the master's share at start) and only the strategy sums pool in the master,
    whose average is a mixture of the learners' average strategies. Small games need this: there a
    batch's staleness (the other workers' unmerged iterations) slows shared-regret convergence badly.

    With ``regret_copy`` (shared mode) batches read a private copy of the master on huge pages, refreshed
    between tasks (see ``REFRESH_SHARE``): shared memory comes in 4 KiB pages, and on them every read of a table
    far larger than the TLB covers also walks the page tables (the kernel ran a tenth slower on the 5-hour
    config).
    """

    master: np.ndarray | None = None
    commit_tables: Tables | None = None
    commits = 0
    _die_in_commit = 0

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
        scale = spec.get("regret_scale")
        self.regret_scale = UNIT_SCALE if scale is None else attach_readonly(TableSpec.from_dict(scale))
        self.independent = spec["regret_mode"] == "independent"
        self.result_seconds = float(spec.get("result_seconds", 0.1))
        self.private: np.ndarray | None = None
        self.discount_epoch: int | None = None
        if self.independent:
            self.private = decode(self.regret, self.regret_scale) / max(1, int(spec["num_workers"]))
        self.runner = BatchRunner(tree, abstraction, self.mccfr.algorithm, spec.get("delta_capacity"))
        if spec.get("strategy_sum") is not None:
            self.commit_tables = Tables(attach_writable(TableSpec.from_dict(spec["regret"])),
                                        attach_writable(TableSpec.from_dict(spec["strategy_sum"])))
        self._die_in_commit = int(os.environ.get(ENV_DIE_IN_COMMIT, "0") or 0) \
            if os.environ.get(ENV_WORKER_ID) == "0" else 0
        self._held = _Held()
        if spec.get("regret_copy"):
            self.master, self.master_scale = self.regret, self.regret_scale
            self.regret = large_zeros(self.master.shape, self.master.dtype)
            if scale is not None:
                self.regret_scale = large_zeros(self.master_scale.shape, self.master_scale.dtype)
            self.refresh()

    def refresh(self) -> None:
        """Copy the master regrets into this worker's private copy, and say when to do it again."""
        assert self.master is not None
        started, started_cpu = time.perf_counter(), time.thread_time()
        np.copyto(self.regret, self.master)
        if self.regret_scale is not UNIT_SCALE:
            np.copyto(self.regret_scale, self.master_scale)
        now = time.perf_counter()
        self._held.refresh_cpu_s += time.thread_time() - started_cpu
        self.refresh_at = now + max(MIN_REFRESH_S, (now - started) / REFRESH_SHARE)

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
        """Load or compile the kernels now, so the first real batch (and commit) is not slow."""
        self.runner.run(self.regret, 0, 1, 0, params, self.regret_scale)
        if self.commit_tables is not None:
            warm_up_commits()

    def run(self, task: dict[str, Any]) -> None:
        """Run one task's iterations into the delta buffer (reading the master, or the private learner)."""
        params = np.asarray(task["params"], dtype=np.float64)
        if self.master is not None and time.perf_counter() >= self.refresh_at:
            self.refresh()
        view, scale = self.regret, self.regret_scale
        if self.private is not None:
            self._catch_up_discounts(int(task.get("discount_epoch", 0)))
            view, scale = self.private, UNIT_SCALE
        started, started_cpu = time.perf_counter(), time.thread_time()
        iterations, nodes = self.runner.accumulate(view, int(task["first_iteration"]), int(task["iterations"]),
                                                   int(task["seed"]), params, scale)
        held = self._held
        held.seconds += time.perf_counter() - started
        held.kernel_cpu_s += time.thread_time() - started_cpu
        held.iterations += iterations
        held.nodes += nodes
        held.group = (task.get("interval", 0), task.get("discount_epoch", 0))
        held.floor = float(params[P_REGRET_FLOOR])
        held.target_s = float(task.get("result_seconds", self.result_seconds))

    def commit(self, payload: dict[str, Any], journal: np.ndarray, args: dict[str, Any]) -> str | None:
        """Apply a result this worker sent (``payload``, still in its arena slot) to the master tables, journaled
        as commit ``args["ticket"]`` with the regret floor ``args["floor"]``; why not, with nothing written, or
        None. Runs on the worker's commit thread while the next tasks run on the main one."""
        if self.commit_tables is None:
            return "this worker does not commit results"
        self.commits += 1
        if self.commits == self._die_in_commit:
            commit_payload(self.commit_tables, payload, self.runner.num_actions, journal, args, stop_after=1)
            CommitPlan(self.commit_tables, PackedDeltas.from_fields(payload), self.runner.num_actions,
                       float(args["floor"])).add(0)
            os.kill(os.getpid(), signal.SIGKILL)
        return commit_payload(self.commit_tables, payload, self.runner.num_actions, journal, args)

    def flush_due(self, upcoming: dict[str, Any]) -> bool:
        if self._held.seconds >= FULL_SHARE * self._held.target_s:
            return True
        return (upcoming.get("interval", 0), upcoming.get("discount_epoch", 0)) != self._held.group

    def patience_s(self) -> float:
        """Wait for the next task while less than the result's worth of work is held (a task's round trip)."""
        return max(0.0, min(PATIENCE_S, FULL_SHARE * self._held.target_s - self._held.seconds))

    def flush(self, allocate: Any) -> dict[str, Any]:
        """The held deltas packed into ``allocate``'d arrays (the result arena), and the counts: iterations, node
        visits, kernel seconds (wall, for sizing tasks), and the CPU seconds of the kernel, of packing and of
        refreshing the regret copy."""
        started_cpu = time.thread_time()
        deltas = self.runner.pack(allocate)
        held, self._held = self._held, _Held()
        if self.private is not None:
            add_rows(self.private, deltas.regret_rows, deltas.regret, self.runner.num_actions, held.floor)
        return {"iterations": held.iterations, "nodes": held.nodes, "kernel_seconds": held.seconds,
                "kernel_cpu_s": held.kernel_cpu_s, "pack_cpu_s": time.thread_time() - started_cpu,
                "refresh_cpu_s": held.refresh_cpu_s,
                **deltas.fields()}


class _Held:
    """What the worker has run since its last result."""

    def __init__(self) -> None:
        self.iterations = 0
        self.nodes = 0
        self.seconds = 0.0
        self.kernel_cpu_s = 0.0
        self.refresh_cpu_s = 0.0
        self.group: tuple[int, int] = (0, 0)
        self.floor = -np.inf
        self.target_s = 0.0


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
