"""The supervisor-facing side of a parallel run: batches out, results in, each iteration merged exactly once.

:class:`BlueprintJob` implements the orchestrator's ``Job`` with ``accept``: it plans tasks from the run,
checks each result against the batches it settles (a bad one is rejected: its worker is restarted and
its batches issued again), sizes batches from measured kernel speed, and hands results to the
:class:`~holdem.training.merger.Merger`, which merges them in canonical order off the event loop.
Workers write their deltas into shared-memory result arenas, so a result costs the event loop only its
bookkeeping. :func:`train_parallel` drives one run with it.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from typing import Any

import psutil

from holdem.mccfr.journal import JOURNAL_BYTES, warm_up_merges
from holdem.mccfr.tables import PackedDeltas, packed_bytes
from holdem.training.config import TrainConfig
from holdem.training.housekeeping import HelperThreads, Housekeeping, ProgressCallback, TrainingClock
from holdem.training.merger import Merger, Unit
from holdem.training.outcome import RunOutcome
from holdem.training.pacing import Average, ResultPacer
from holdem.training.setup import create
from holdem.training.state import BlueprintRun
from holdem.training.worker import write_worker_spec
from orchestrator import EventLog, RestartPolicy, Supervisor, SupervisorConfig, WorkerSpec
from orchestrator.arena import ALIGN
from orchestrator.job import Delivery
from orchestrator.priority import WORKER_NICE

FIRST_PARALLEL_BATCH = 16
MAX_BATCH = 10_000_000
ARENA_SLOTS = 3
COPY_MEMORY_SHARE = 0.25
MAX_CREDITS = 64
LAG_INTERVAL_S = 0.1
"""The loop-lag timer's period: every wakeup of the loop costs about 0.19 ms of CPU on this machine, so sampling at
50 Hz took 9.3 ms a second, at 10 Hz 1.9 (600 samples a minute still give a p99)."""


def worker_spec(run: BlueprintRun) -> WorkerSpec:
    """The worker command line, after writing what workers load (tree, buckets, table, mode). Workers run
    ``WORKER_NICE`` steps below the supervisor, so on a machine with every core busy the loop and the merge
    thread are served first and the workers lose only the time those actually use."""
    assert run.shared is not None and run.paths is not None
    write_worker_spec(run.paths.worker_spec, tree_path=run.paths.tree, buckets_path=run.buckets_path,
                      mccfr=run.config.mccfr, regret=run.shared.specs["regret"], regret_mode=run.regret_mode,
                      regret_scale=run.shared.specs["regret_scale"], regret_copy=regret_copies_fit(run),
                      strategy_sum=run.shared.specs["strategy_sum"] if workers_commit(run) else None,
                      num_workers=run.config.workers, result_seconds=run.config.batch_target_seconds)
    return WorkerSpec(argv=[sys.executable, "-m", "holdem.training.worker", str(run.paths.worker_spec)],
                      nice=WORKER_NICE)


def workers_commit(run: BlueprintRun) -> bool:
    """Whether workers apply their own results to the master tables (journaled, in the merger's order): with
    float32 tables; compact regrets are merged by the supervisor."""
    return run.shared is not None and not run.tables.compact


def regret_copies_fit(run: BlueprintRun) -> bool:
    """Whether shared-mode workers each keep a private copy of the regrets (on huge pages, see
    :class:`~holdem.training.worker.BatchHandler`): when all the copies take at most ``COPY_MEMORY_SHARE`` of
    the machine's memory."""
    regret_bytes = run.tables.regret.nbytes + run.tables.regret_scale.nbytes
    return (run.regret_mode == "shared"
            and run.config.workers * regret_bytes <= COPY_MEMORY_SHARE * psutil.virtual_memory().total)


def result_slot_bytes(run: BlueprintRun) -> int:
    """An arena slot holds the largest possible result: every row changing both tables (each of its arrays
    aligned)."""
    return packed_bytes(run.tree.num_rows, int(run.row_actions.sum())) + len(PackedDeltas.FIELDS) * ALIGN


class BlueprintJob:
    """The orchestrator job of a parallel run: batches out, deltas in, exactly once."""

    def __init__(self, run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> None:
        self.run = run
        self.events = events
        self.clock = TrainingClock(run.elapsed_before)
        self.helpers = HelperThreads()
        self.housekeeping = Housekeeping(run, events, on_progress, self.clock, offload=self.helpers)
        self.merger = Merger(run, self.housekeeping, events, fail=self.fail, threads=run.config.merge_threads,
                             restore=self._reissue, commits=workers_commit(run))
        self.supervisor: Supervisor | None = None
        self.batch_size = run.config.batch_size or FIRST_PARALLEL_BATCH
        self.auto = run.config.batch_size is None
        self.group = self._group_said = 1
        self.notices: list[str] = []
        self._grouping_said = False
        self.tasks: dict[int, dict[str, Any]] = {}
        self.issued: list[tuple[int, int]] = []
        self.stop_issuing = False
        self.error: str | None = None
        self.worker_iterations: dict[int, int] = {}
        self.worker_cpu_split = {"kernel_cpu_s": 0.0, "pack_cpu_s": 0.0, "refresh_cpu_s": 0.0}
        self.worker_waits = {"wait_task_s": 0.0, "wait_slot_s": 0.0}
        self._progress: asyncio.Task | None = None
        self.supervisor_settings = {"arena_slots": ARENA_SLOTS, "arena_slot_bytes": result_slot_bytes(run),
                                    "arena_journal_bytes": JOURNAL_BYTES if workers_commit(run) else 0}
        self._iteration_seconds = Average()
        self.pacer = ResultPacer(run.config.batch_target_seconds, run.config.workers, run.config.merge_threads) \
            if run.regret_mode == "shared" else None

    # --- the orchestrator's Job ------------------------------------------------------------------
    def next_task(self, batch_id: int) -> dict | None:
        if self.clock.started is None:
            self.merger.start()
            if self.supervisor is not None:
                self.supervisor.reset_loop_lag()
        self.clock.start()
        if self.stop_issuing or not self.run.budget_left(self.clock.session()):
            return None
        task = self.run.plan_batch(self._task_iterations())
        if task["iterations"] <= 0:
            return None
        if not self.auto:
            task["batches"] = -(-int(task["iterations"]) // self.batch_size)
        if self.pacer is not None:
            task["result_seconds"] = self.pacer.seconds
        self.tasks[batch_id] = task
        self.issued.append((task["first_iteration"], task["iterations"]))
        return task

    def _task_iterations(self) -> int:
        """The next task's size: a batch (or group of batches), but no longer than the time budget has left at the
        measured speed, so the run ends near its budget however long results are paced."""
        size = self.batch_size * self.group
        budget = self.run.config.time_budget_seconds
        per_iteration = self._iteration_seconds.value
        if budget is None or per_iteration <= 0:
            return size
        left_s = budget - self.clock.session()
        return max(1, min(size, math.ceil(left_s / per_iteration)))

    def accept(self, delivery: Delivery) -> None:
        """Check a result against its batches and queue it for merging (on the loop: cheap checks only)."""
        tasks = [self.tasks.get(batch_id) for batch_id in delivery.batch_ids]
        if any(task is None for task in tasks):
            delivery.reject(f"batches {delivery.batch_ids} were not issued by this run")
            return
        problem = self.run.check_result(tasks, delivery.payload)  # type: ignore[arg-type]
        if problem is not None:
            delivery.reject(problem)
            return
        for batch_id in delivery.batch_ids:
            del self.tasks[batch_id]
        payload = delivery.payload
        slot = delivery.worker.slot
        self.worker_iterations[slot] = self.worker_iterations.get(slot, 0) + int(payload["iterations"])
        for key in self.worker_cpu_split:
            self.worker_cpu_split[key] += float(payload.get(key) or 0.0)
        for key in self.worker_waits:
            self.worker_waits[key] += float(delivery.stats.get(key) or 0.0)
        seconds = float(payload.get("kernel_seconds") or 0.0)
        if seconds > 0:
            self._size_tasks(int(payload["iterations"]), seconds)
        self.merger.add(Unit(min(int(t["first_iteration"]) for t in tasks), tasks, delivery))  # type: ignore[index]
        merge_cpu_s = self.merger.merge_cpu_seconds + self.merger.commit_cpu_seconds
        if self.pacer is not None and self.pacer.observe(time.monotonic(), merge_cpu_s, self.workers_waited_s()):
            self.events.emit("result_pace", result_seconds=round(self.pacer.seconds, 4),
                             merge_busy=round(self.pacer.busy, 4), budget=round(self.pacer.budget, 4),
                             workers_waiting=round(self.pacer.waiting, 4))
        self._maybe_progress()

    def workers_waited_s(self) -> float:
        """Seconds the workers spent waiting for a task or an arena slot so far, all of them together."""
        return sum(self.worker_waits.values())

    def _size_tasks(self, iterations: int, seconds: float) -> None:
        """Size the next tasks from measured kernel speed: auto batches to :meth:`task_seconds` (growing at most
        8x past the larger of the last size and the iterations measured, so one noisy first task cannot
        oversize them, yet a long result made of tiny tasks sizes them in one step); a fixed batch
        size whose batches take under a quarter of that goes out several batches to a task, as long as an auto one
        at the same measured speed (said once), so the loop is not busy handing out 5 ms tasks; credits to queue
        about ``batch_target_seconds`` of work per worker, at the mean speed."""
        last_per_iteration = seconds / max(1, iterations)
        self._iteration_seconds.add(last_per_iteration)
        per_iteration = self._iteration_seconds.value
        if self.auto:
            target = int(iterations / seconds * self.task_seconds())
            self.batch_size = max(1, min(MAX_BATCH, target, max(self.batch_size, iterations) * 8))
        else:
            batch_seconds = self.batch_size * last_per_iteration
            task_seconds = self.task_seconds()
            wanted = 1 if batch_seconds * 4 >= task_seconds else math.ceil(task_seconds / batch_seconds - 1e-9)
            self._regroup(min(max(1, MAX_BATCH // self.batch_size), wanted), last_per_iteration)
        if self.supervisor is not None:
            credits = self.credits_for(per_iteration * self.batch_size * self.group)
            if abs(credits - self.supervisor.credits) * 4 > self.supervisor.credits:
                self.supervisor.set_credits(credits)

    def _regroup(self, group: int, per_iteration: float) -> None:
        """Tasks of ``group`` batches from now on, as long as an auto-sized one; said in an event when the group
        changed by more than a quarter since last said."""
        self.group = group
        if abs(group - self._group_said) * 4 <= self._group_said:
            return
        self._group_said = group
        batch_ms = round(self.batch_size * per_iteration * 1e3, 2)
        self.events.emit("batches_grouped", batch_size=self.batch_size, batches_per_task=group, batch_ms=batch_ms)
        if group > 1 and not self._grouping_said:
            self._grouping_said = True
            self.notices.append(f"--batch-size {self.batch_size} takes about {batch_ms:g} ms of work: tasks carry "
                                f"{group} batches ({group * self.batch_size:,} iterations) so the supervisor keeps "
                                "up; the batches and the results are the same")

    def task_seconds(self) -> float:
        """Kernel seconds an auto-sized batch should take: ``batch_target_seconds``, or a whole paced result once
        results are longer. Each task then ends in one result frame, and the loop wakes once per result instead of
        also for every task's ``done`` (four tasks a result cost it three more wakeups on heads-up ``quick``, about
        0.4 ms of its CPU a result)."""
        return max(self.run.config.batch_target_seconds, 0.0 if self.pacer is None else self.pacer.seconds)

    def credits_for(self, task_seconds: float) -> int:
        """Tasks a worker should hold queued so that about ``batch_target_seconds`` of work waits for it: short
        tasks (``--batch-size 100``) must not leave a worker idle while the loop answers its last ``done``."""
        wanted = self.run.config.batch_target_seconds / max(task_seconds, 1e-6)
        return max(self.run.config.credits, min(MAX_CREDITS, math.ceil(wanted)))

    def _reissue(self, unit: Unit) -> None:
        """A result rejected at merge time: its batches are this run's again (the ledger sends them out anew)."""
        self.tasks.update(zip(unit.delivery.batch_ids, unit.tasks))

    def on_requeue(self, batch_id: int, reason: str) -> None:
        task = self.tasks.get(batch_id)
        self.merger.reopen(None if task is None else int(task["first_iteration"]))
        self.events.emit("batch_requeued", batch_id=batch_id, reason=reason)

    def finished(self) -> bool:
        return self.stop_issuing or not self.run.budget_left(self.clock.session())

    # --- the run around it -----------------------------------------------------------------------
    async def finish(self, force: bool) -> None:
        """After the supervisor returns: merge what can still merge (all of it unless ``force``), drop the
        rest (its iterations are not recorded, so a resume issues them again), report progress a last time."""
        await self.merger.finish(force)
        left = self.merger.abandon()
        if left:
            self.events.emit("unmerged", results=len(left), batches=sum(len(u.tasks) for u in left),
                             iterations=sum(int(t["iterations"]) for u in left for t in u.tasks))
        if self._progress is not None:
            await self._progress
        await self.progress(force=True)

    def fail(self, message: str) -> None:
        """End the run now with ``message`` (a disk that cannot be written, a merge that failed)."""
        if self.error is None:
            self.error = message
        self.stop_issuing = True
        if self.supervisor is not None:
            self.supervisor.fail("job_error", message)

    def exact(self) -> bool:
        """Whether the iterations applied are exactly those of the batches issued and merged, each once."""
        issued = sorted(self.issued)
        cursor = 0
        for first, count in issued:
            if first != cursor:
                return False
            cursor = first + count
        return self.run.applied.to_list() == ([[0, cursor]] if cursor else [])

    def _maybe_progress(self) -> None:
        if self._progress is not None and not self._progress.done():
            return
        if time.monotonic() - self.housekeeping.last_progress < self.run.config.progress_interval_seconds:
            return
        self._progress = asyncio.get_running_loop().create_task(self.progress())

    async def progress(self, force: bool = False) -> None:
        stats = self.supervisor.stats() if self.supervisor is not None else {}
        notices = list(self.notices)
        extra = {**stats, "batch_size": self.batch_size, "batches_per_task": self.group,
                 "waiting_results": self.merger.waiting,
                 "merge_s": round(self.merger.merge_seconds, 6), "merge_cpu_s": round(self.merger.merge_cpu_seconds, 6),
                 "results_merged": self.merger.merged_units,
                 "results_committed_by_workers": self.merger.committed_by_workers,
                 "commit_s": round(self.merger.commit_seconds, 6),
                 "worker_commit_cpu_s": round(self.merger.commit_cpu_seconds, 6),
                 "discount_cpu_s": round(self.merger.discount_cpu_seconds, 6),
                 "batches_applied": self.run.batches_applied,
                 "result_seconds": None if self.pacer is None else round(self.pacer.seconds, 4),
                 "worker_iterations": {str(k): v for k, v in self.worker_iterations.items()},
                 **{f"worker_{k}": round(v, 4) for k, v in (self.worker_cpu_split | self.worker_waits).items()},
                 **({"notices": notices} if notices else {}), **self.progress_extra()}
        if await self.housekeeping.maybe_progress(extra, force=force):
            del self.notices[:len(notices)]

    def progress_extra(self) -> dict[str, Any]:
        """More fields for progress events (a backend's own figures)."""
        return {}


def supervisor_config(config: TrainConfig, slot_bytes: int = 0, journal_bytes: int = 0) -> SupervisorConfig:
    """The supervisor settings of a training run: workers, credits, restart intensity, timeouts, and result
    arenas of ``slot_bytes`` per slot ending in ``journal_bytes`` (the job's ``supervisor_settings``)."""
    return SupervisorConfig(
        num_workers=config.workers,
        credits=config.credits,
        restart=RestartPolicy(max_restarts=config.max_restarts, restart_window_s=config.restart_window_s),
        heartbeat_timeout_s=60.0,
        boot_timeout_s=300.0,
        grace_s=30.0,
        progress_interval_s=max(1.0, config.progress_interval_seconds),
        log_batches=False,
        arena_slots=ARENA_SLOTS if slot_bytes else 0,
        arena_slot_bytes=slot_bytes,
        arena_journal_bytes=journal_bytes if slot_bytes else 0,
        pin_loop_cpu=True,
        lag_interval_s=LAG_INTERVAL_S,
    )


async def train_parallel(run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None,
                         lag_timeline: list[tuple[float, float]] | None = None) -> RunOutcome:
    """Train through the supervisor until the budget, a stop or an error, then write the final checkpoint;
    ``lag_timeline`` receives the supervisor's loop-lag samples as (wall time, ms)."""
    job = BlueprintJob(run, events, on_progress)
    config = supervisor_config(run.config, job.supervisor_settings["arena_slot_bytes"],
                               job.supervisor_settings["arena_journal_bytes"])
    supervisor = Supervisor(job, worker_spec(run), config, events=events)
    if lag_timeline is not None:
        supervisor.record_loop_lag(lag_timeline)
    return await drive(job, supervisor)


async def drive(job: BlueprintJob, supervisor: Supervisor) -> RunOutcome:
    """Run the supervisor to its end, settle the job, write the final checkpoint: the run's outcome (any
    backend)."""
    run = job.run
    assert run.paths is not None
    job.supervisor = supervisor
    batches_before = run.batches_applied
    warm_up_merges(str(run.tables.regret.dtype))
    run.table_fill()  # loads its kernel on this thread, before any helper thread the loop awaits needs it
    try:
        summary = await supervisor.run()
        await job.finish(force=supervisor.forced or summary.error is not None)
        error = job.error or summary.error
        checkpoint = job.housekeeping.last_written
        if job.error is None and run.batches_applied > batches_before:
            checkpoint, final_error = await job.housekeeping.final_checkpoint()
            error = error or final_error
    finally:
        job.helpers.close()
    reason = summary.reason
    if error is None and reason in ("finished", "completed", "done"):
        reason = "iterations" if run.config.iterations is not None and (
            run.iterations_applied >= run.config.iterations) else "time_budget"
    return RunOutcome(run.iterations_applied, job.clock.total(), reason, run.paths.blueprint, checkpoint,
                      job.housekeeping.exploitability, summary.restarts, error, signal=supervisor.signal)


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
