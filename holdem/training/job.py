"""The supervisor-facing side of a parallel run: batches out, deltas in, each merged exactly once.

:class:`BlueprintJob` implements the orchestrator's ``Job``: it plans tasks from the run, merges results
off the event loop (the merge and discount kernels release the GIL), sizes batches from measured kernel
speed, and does the run's housekeeping between results. :func:`train_parallel` drives one run with it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from holdem.mccfr.tables import discount_chunks
from holdem.training.config import TrainConfig
from holdem.training.housekeeping import Housekeeping, ProgressCallback, TrainingClock, in_thread
from holdem.training.outcome import RunOutcome
from holdem.training.setup import create
from holdem.training.state import BlueprintRun
from holdem.training.worker import write_worker_spec
from orchestrator import EventLog, RestartPolicy, Supervisor, SupervisorConfig, WorkerSpec

FIRST_PARALLEL_BATCH = 16
MAX_BATCH = 10_000_000


def worker_spec(run: BlueprintRun) -> WorkerSpec:
    """The worker command line, after writing what workers load (tree, buckets, table, mode)."""
    assert run.shared is not None and run.paths is not None
    write_worker_spec(run.paths.worker_spec, tree_path=run.paths.tree, buckets_path=run.buckets_path,
                      mccfr=run.config.mccfr, regret=run.shared.specs["regret"], regret_mode=run.regret_mode,
                      num_workers=run.config.workers)
    return WorkerSpec(argv=[sys.executable, "-m", "holdem.training.worker", str(run.paths.worker_spec)])


class BlueprintJob:
    """The orchestrator job of a parallel run: batches out, deltas in, exactly once."""

    def __init__(self, run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> None:
        self.run = run
        self.events = events
        self.clock = TrainingClock(run.elapsed_before)
        self.housekeeping = Housekeeping(run, events, on_progress, self.clock, offload=in_thread)
        self.supervisor: Supervisor | None = None
        self.batch_size = run.config.batch_size or FIRST_PARALLEL_BATCH
        self.auto = run.config.batch_size is None
        self.issued: dict[int, dict[str, Any]] = {}
        self.applied: set[int] = set()
        self.stop_issuing = False
        self.worker_iterations: dict[int, int] = {}

    def next_task(self, batch_id: int) -> dict | None:
        if self.clock.started is None and self.supervisor is not None:
            self.supervisor.reset_loop_lag()
        self.clock.start()
        if self.stop_issuing or not self.run.budget_left(self.clock.elapsed()):
            return None
        task = self.run.plan_batch(self.batch_size)
        if task["iterations"] <= 0:
            return None
        self.issued[batch_id] = task
        return task

    def on_requeue(self, batch_id: int, reason: str) -> None:
        self.events.emit("batch_requeued", batch_id=batch_id, reason=reason)

    def exact(self) -> bool:
        """Whether every issued iteration range was applied exactly once and nothing else was."""
        ranges = sorted((t["first_iteration"], t["iterations"]) for b, t in self.issued.items() if b in self.applied)
        cursor = ranges[0][0] if ranges else 0
        for first, count in ranges:
            if first != cursor:
                return False
            cursor = first + count
        return set(self.issued) == self.applied and self.run.iterations_applied == sum(c for _, c in ranges)

    def finished(self) -> bool:
        return self.stop_issuing or not self.run.budget_left(self.clock.elapsed())

    async def on_result(self, batch_id: int, result: dict, worker: Any) -> None:
        if batch_id in self.applied:
            raise RuntimeError(f"batch {batch_id} delivered twice")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.run.apply_result, result)
        self.applied.add(batch_id)
        self.worker_iterations[worker.slot] = self.worker_iterations.get(worker.slot, 0) + int(result["iterations"])
        if self.auto and result["kernel_seconds"] > 0:
            rate = result["iterations"] / result["kernel_seconds"]
            target = int(rate * self.run.config.batch_target_seconds)
            self.batch_size = max(1, min(MAX_BATCH, target, self.batch_size * 8))
        for factors in self.run.due_discounts():
            for start, stop in discount_chunks(self.run.tree.num_rows):
                await loop.run_in_executor(None, self.run.discount_chunk, factors, start, stop)
            self.events.emit("discount", iterations=self.run.iterations_applied, factors=list(factors))
        await self.housekeeping.maybe_checkpoint()
        await self.maybe_progress()

    async def maybe_progress(self, force: bool = False) -> None:
        stats = self.supervisor.stats() if self.supervisor is not None else {}
        extra = {**stats, "batch_size": self.batch_size,
                 "worker_iterations": {str(k): v for k, v in self.worker_iterations.items()}}
        await self.housekeeping.maybe_progress(extra, force=force)


def supervisor_config(config: TrainConfig) -> SupervisorConfig:
    """The supervisor settings of a training run: worker count, credits, restart intensity, timeouts."""
    return SupervisorConfig(
        num_workers=config.workers,
        credits=config.credits,
        restart=RestartPolicy(max_restarts=config.max_restarts, restart_window_s=config.restart_window_s),
        heartbeat_timeout_s=60.0,
        boot_timeout_s=300.0,
        grace_s=30.0,
        progress_interval_s=max(1.0, config.progress_interval_seconds),
        log_batches=False,
    )


async def train_parallel(run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> RunOutcome:
    """Train through the supervisor until the budget or a stop, then write the final checkpoint."""
    assert run.paths is not None
    job = BlueprintJob(run, events, on_progress)
    supervisor = Supervisor(job, worker_spec(run), supervisor_config(run.config), events=events)
    job.supervisor = supervisor
    summary = await supervisor.run()
    reason = summary.reason
    if summary.error is None and reason in ("finished", "completed", "done"):
        reason = "iterations" if run.config.iterations is not None and (
            run.iterations_applied >= run.config.iterations) else "time_budget"
    checkpoint = await job.housekeeping.maybe_checkpoint(force=True, reason="final")
    await job.maybe_progress(force=True)
    return RunOutcome(run.iterations_applied, job.clock.elapsed(), reason, run.paths.blueprint, checkpoint,
                      job.housekeeping.exploitability, summary.restarts, summary.error)


def chaos_job(game: str = "leduc", iterations: int = 2_000_000, batch_size: int = 20_000,
              logdir: str | None = None) -> tuple[BlueprintJob, WorkerSpec]:
    """A real training job for ``scripts/chaos.py``: its ``exact()`` checks the iteration accounting."""
    import atexit
    import tempfile

    config = TrainConfig(game=game, iterations=iterations, num_workers=2, batch_size=batch_size)
    run = create(config, logdir or tempfile.mkdtemp(prefix="holdem-chaos-"), shared=True)
    atexit.register(run.close)
    assert run.paths is not None
    events = EventLog(str(run.paths.events))
    return BlueprintJob(run, events, None), worker_spec(run)
