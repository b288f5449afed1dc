"""``train()``: one training run from a validated config to a blueprint on disk.

It creates or resumes the run, logs ``run_start``, trains in this process (one worker) or through the
supervisor (several), writes the blueprint, logs ``run_end`` and returns how it ended. A run that cannot
write its files ends with the error named and the last complete checkpoint kept.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from holdem.training.config import TrainConfig
from holdem.training.errors import OutputError, RunError
from holdem.training.housekeeping import ProgressCallback, write_blueprint
from holdem.training.job import train_parallel
from holdem.training.outcome import RunOutcome
from holdem.training.sequential import train_sequential
from holdem.training.setup import create, resume
from holdem.training.state import BlueprintRun
from orchestrator import EventLog
from orchestrator.loop import run_async


def train(config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
          resume_from: str | None = None, on_progress: ProgressCallback | None = None,
          overwrite: bool = False, on_start: Callable[[BlueprintRun], None] | None = None) -> RunOutcome:
    """Run a training to its budget (or a stop signal) and write the blueprint; returns how it ended.

    ``--iters`` is the run's total target; ``--time-budget`` counts this call's training seconds. A new
    run refuses a directory holding another run unless ``overwrite``; RunError says why in one line. ``on_start`` sees
    the run once it is built and has work to do.
    """
    cluster = None
    if config.backend == "ray":
        cluster, config = _join_ray(config)
    try:
        return _train(config, logdir, buckets_path, resume_from, on_progress, overwrite, on_start)
    finally:
        if cluster is not None:
            cluster.stop()


def _join_ray(config: TrainConfig) -> tuple[Any, TrainConfig]:
    """Join (or start) the Ray cluster before any event loop runs; ``num_workers: 0`` means its every CPU."""
    from orchestrator.ray_cluster import RayCluster, RayClusterError

    try:
        cluster = RayCluster(config.ray_address).start()
    except RayClusterError as exc:
        raise RunError(str(exc)) from None
    if config.num_workers == 0:
        config = replace(config, num_workers=cluster.total_cpus())
    return cluster, config


def _train(config: TrainConfig, logdir: str | Path, buckets_path: str | None, resume_from: str | None,
           on_progress: ProgressCallback | None, overwrite: bool,
           on_start: Callable[[BlueprintRun], None] | None) -> RunOutcome:
    ray_backend = config.backend == "ray"
    parallel = config.workers > 1 or ray_backend
    shared = parallel and not ray_backend
    if resume_from is None:
        run = create(config, logdir, buckets_path=buckets_path, shared=shared, overwrite=overwrite)
    else:
        run = resume(resume_from, config, logdir, buckets_path=buckets_path, shared=shared)
    try:
        _check_work_left(run)
        assert run.paths is not None
        if on_start is not None:
            on_start(run)
        try:
            events = EventLog(str(run.paths.events))
        except OSError as exc:
            raise RunError(f"cannot write {run.paths.events}: {exc.strerror}") from None
        try:
            events.emit("run_start", game=run.game.name, workers=config.workers, rows=run.tree.num_rows,
                        regret_mode=run.regret_mode if parallel else "sequential", backend=config.backend,
                        max_actions=run.tree.max_actions, memory=run.memory,
                        resumed_from=None if resume_from is None else str(resume_from),
                        iterations=run.iterations_applied, applied_ranges=len(run.applied),
                        config=config.to_dict())
            if ray_backend:
                from holdem.training.ray_backend import train_ray

                outcome = _run_supervisor(train_ray(run, events, on_progress))
            elif parallel:
                outcome = _run_supervisor(train_parallel(run, events, on_progress))
            else:
                outcome = train_sequential(run, events, on_progress)
            if outcome.error is None and not outcome.reason.endswith("(forced)"):
                outcome = _write_blueprint(run, outcome, events)
            events.emit("run_end", iterations=outcome.iterations, seconds=round(outcome.seconds, 3),
                        reason=outcome.reason, exploitability=outcome.exploitability, restarts=outcome.restarts,
                        error=outcome.error, checkpoint=None if outcome.checkpoint is None else str(outcome.checkpoint))
            return outcome
        finally:
            events.close()
    finally:
        run.close()


def _check_work_left(run: BlueprintRun) -> None:
    """A resumed run with nothing left to do says so instead of exiting quietly."""
    target = run.config.iterations
    if target is not None and not run.gaps and run.iterations_applied >= target:
        raise RunError(f"nothing to do: the run already has {run.iterations_applied:,} iterations and --iters "
                       f"{target:,} is the total target (raise it to train on)")
    budget = run.config.time_budget_seconds
    if budget is not None and budget <= 0:
        raise RunError(f"nothing to do: --time-budget {budget:g} leaves no training time")


def _write_blueprint(run: BlueprintRun, outcome: RunOutcome, events: EventLog) -> RunOutcome:
    assert run.paths is not None
    try:
        checksum = write_blueprint(run, run.paths.blueprint, run.snapshot_state())
    except OutputError as exc:
        outcome.error = str(exc)
        return outcome
    events.emit("blueprint", path=str(run.paths.blueprint), checksum=checksum, iterations=outcome.iterations)
    return outcome


def _run_supervisor(main: Coroutine[Any, Any, RunOutcome]) -> RunOutcome:
    """``run_async`` here, or on a thread with its own loop when this thread already runs one (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_async(main)
    box: dict[str, Any] = {}

    def supervise() -> None:
        try:
            box["outcome"] = run_async(main)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=supervise, name="holdem-supervisor")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["outcome"]
