"""The conventional design our users had, kept as a reference: a ``multiprocessing`` pool, one shared result queue.

Workers run the same batch kernel as holdem (:class:`holdem.mccfr.batch.BatchRunner`) on their own tables and
put each batch's deltas on a shared ``multiprocessing.Queue``; the main process hands out one batch per worker
per round, polls ``queue.get(timeout=...)`` until the round is complete, then merges (no discounting). A dead
worker is logged, not replaced, and its batch is never re-issued. Each worker leads its own session, as holdem's
workers do, so a scheduler with autogroups gives both designs the same CPU share. Writes ``events.jsonl`` like a
holdem run, so ``python -m bench.scaling`` measures both the same way. Usage::

    python -m bench.baselines.queue_pool --config leduc --logdir DIR --time-budget 10 --workers 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from holdem.training.config import TrainConfig, build_config, load_config_file
from orchestrator.events import EventLog

POLL_S = 0.01
PUT_TIMEOUT_S = 60.0
LIVENESS_CHECK_S = 0.1
BOOT_TIMEOUT_S = 300.0
FIRST_BATCH = 16


def _worker_main(worker_id: int, tree_path: str, buckets_path: str | None, algorithm: str,
                 regret_floor: float | None, tasks: Any, results: Any, poll_s: float) -> None:
    """Pool worker: own tables, tasks from the shared task queue, deltas onto the shared result queue."""
    from holdem.abstraction.buckets import CardAbstraction, lossless_for
    from holdem.abstraction.tree import BettingTree
    from holdem.mccfr.batch import BatchRunner
    from holdem.mccfr.config import NUM_PARAMS
    from holdem.mccfr.tables import Tables, apply_deltas

    os.setsid()
    parent = os.getppid()
    tree = BettingTree.load(tree_path)
    abstraction = lossless_for(tree.game) if buckets_path is None else CardAbstraction.load(buckets_path, tree.game)
    runner = BatchRunner(tree, abstraction, algorithm)
    shape = (tree.num_rows, tree.max_actions)
    tables = Tables(np.zeros(shape, np.float32), np.zeros(shape, np.float32))
    runner.run(tables.regret, 0, 1, 0, np.zeros(NUM_PARAMS, dtype=np.float64))
    results.put({"type": "ready", "worker": worker_id, "pid": os.getpid()})
    while True:
        try:
            task = tasks.get(timeout=poll_s)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if task is None:
            return
        out = runner.run(tables.regret, task["first_iteration"], task["iterations"], task["seed"],
                         np.asarray(task["params"], dtype=np.float64))
        apply_deltas(tables, out.deltas, runner.num_actions, regret_floor)
        try:
            results.put({"type": "result", "worker": worker_id, "first_iteration": task["first_iteration"],
                         "iterations": out.iterations, "nodes": out.nodes,
                         "kernel_seconds": out.seconds, **out.deltas.fields()}, timeout=PUT_TIMEOUT_S)
        except queue.Full:
            print(f"worker {worker_id}: result queue full, batch dropped", file=sys.stderr)


class QueuePool:
    """Main side of the pool: round-based dispatch, polling collection, merges into its master tables."""

    def __init__(self, config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
                 poll_s: float = POLL_S) -> None:
        from holdem.training import create

        self.config = config
        self.run = create(config, logdir, buckets_path=buckets_path)
        self.events = EventLog(str(self.run.paths.events))
        self.poll_s = poll_s
        self.workers = config.workers
        self.batch_size = config.batch_size or FIRST_BATCH
        self.auto = config.batch_size is None
        self.issued = 0
        self.merged = 0
        self.batches_done = 0
        self.dead: set[int] = set()

    def _start(self, ctx: Any) -> tuple[list[Any], Any, Any]:
        tasks, results = ctx.Queue(), ctx.Queue()
        buckets = None if self.run.buckets_path is None else str(self.run.buckets_path)
        procs = [ctx.Process(target=_worker_main, daemon=True,
                             args=(i, str(self.run.paths.tree), buckets, self.config.mccfr.algorithm,
                                   self.config.mccfr.regret_floor, tasks, results, self.poll_s))
                 for i in range(self.workers)]
        self.events.emit("start", num_workers=self.workers, design="queue_pool", poll_s=self.poll_s)
        for i, proc in enumerate(procs):
            proc.start()
            self.events.emit("spawn", worker=i, slot=i, pid=proc.pid)
        ready = 0
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while ready < self.workers:
            msg = results.get(timeout=max(0.0, deadline - time.monotonic()))
            self.events.emit("ready", worker=msg["worker"], slot=msg["worker"], pid=msg["pid"])
            ready += 1
        return procs, tasks, results

    def _check_liveness(self, procs: list[Any]) -> None:
        for i, proc in enumerate(procs):
            if i not in self.dead and not proc.is_alive() and proc.exitcode is not None and proc.exitcode != 0:
                self.dead.add(i)
                self.events.emit("worker_died", worker=i, pid=proc.pid, exitcode=proc.exitcode,
                                 issued=self.issued, merged=self.merged, lost_so_far=self.issued - self.merged)

    def _collect(self, procs: list[Any], results: Any, expected: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        last_check = time.monotonic()
        while len(got) < expected:
            try:
                got.append(results.get(timeout=self.poll_s))
            except queue.Empty:
                pass
            if time.monotonic() - last_check >= LIVENESS_CHECK_S:
                self._check_liveness(procs)
                last_check = time.monotonic()
        return got

    def train(self) -> dict[str, Any]:
        """Run rounds until the time budget; returns the run_end fields."""
        ctx = mp.get_context("spawn")
        self.events.emit("run_start", game=self.run.game.name, workers=self.workers, rows=self.run.tree.num_rows,
                         design="queue_pool")
        procs, tasks, results = self._start(ctx)
        started = time.monotonic()
        last_progress = (started, 0)
        budget = self.config.time_budget_seconds
        try:
            while budget is None or time.monotonic() - started < budget:
                round_tasks = [self.run.plan_batch(self.batch_size) for _ in range(self.workers)]
                round_tasks = [t for t in round_tasks if t["iterations"] > 0]
                if not round_tasks:
                    break
                for task in round_tasks:
                    tasks.put(task)
                    self.issued += task["iterations"]
                got = self._collect(procs, results, len(round_tasks))
                for result in got:
                    problem = self.run.merge(result)
                    if problem is not None:
                        raise RuntimeError(f"bad result from worker {result['worker']}: {problem}")
                    self.run.record([result], result)
                    self.merged += int(result["iterations"])
                    self.batches_done += 1
                rate = sum(r["iterations"] for r in got) / max(1e-9, max(r["kernel_seconds"] for r in got))
                if self.auto:
                    target = int(rate / max(1, len(got)) * self.config.batch_target_seconds)
                    self.batch_size = max(1, min(target, self.batch_size * 8))
                now = time.monotonic()
                if now - last_progress[0] >= self.config.progress_interval_seconds:
                    self.events.emit("progress", iterations=self.merged,
                                     it_per_s=round((self.merged - last_progress[1]) / (now - last_progress[0]), 1),
                                     elapsed_s=round(now - started, 3), batch_size=self.batch_size,
                                     batches_done=self.batches_done, issued=self.issued, workers=[])
                    last_progress = (now, self.merged)
        finally:
            seconds = time.monotonic() - started
            self.events.emit("stop_requested", reason="time_budget")
            for _ in procs:
                tasks.put(None)
            for proc in procs:
                proc.join(timeout=5.0)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
        fields = {"iterations": self.merged, "issued": self.issued, "lost": self.issued - self.merged,
                  "seconds": round(seconds, 3), "batches_done": self.batches_done, "dead_workers": len(self.dead),
                  "reason": "time_budget"}
        self.events.emit("run_end", **fields)
        self.events.close()
        return fields


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="queue_pool", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="leduc", help="YAML file, or a name in configs/")
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--buckets", help="bucket file (.npz) or spec name")
    parser.add_argument("--time-budget", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", default="auto", help="iterations per worker per round, or 'auto'")
    parser.add_argument("--poll", type=float, default=POLL_S, help="queue.get timeout in seconds")
    args = parser.parse_args(argv)
    raw = load_config_file(args.config)
    raw.update({"time_budget_seconds": args.time_budget, "num_workers": args.workers,
                "batch_size": None if args.batch_size == "auto" else int(args.batch_size)})
    fields = QueuePool(build_config(raw), args.logdir, buckets_path=args.buckets, poll_s=args.poll).train()
    print(f"{fields['reason']}: {fields['iterations']:,} iterations merged in {fields['seconds']:.1f} s, "
          f"{fields['lost']:,} lost", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
