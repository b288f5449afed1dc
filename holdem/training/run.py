"""``train()``: one training run from a validated config to a blueprint on disk.

It creates or resumes the run, logs ``run_start``, trains in this process (one worker) or through the
supervisor (several), writes the blueprint, logs ``run_end`` and returns how it ended.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from holdem.training.config import TrainConfig
from holdem.training.housekeeping import ProgressCallback, write_blueprint
from holdem.training.job import train_parallel
from holdem.training.outcome import RunOutcome
from holdem.training.sequential import train_sequential
from holdem.training.setup import create, resume
from orchestrator import EventLog
from orchestrator.loop import run_async


def train(config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
          resume_from: str | None = None, on_progress: ProgressCallback | None = None) -> RunOutcome:
    """Run a training to its budget (or a stop signal) and write the blueprint; returns how it ended."""
    parallel = config.workers > 1
    if resume_from is None:
        run = create(config, logdir, buckets_path=buckets_path, shared=parallel)
    else:
        run = resume(resume_from, config, logdir, buckets_path=buckets_path, shared=parallel)
    assert run.paths is not None
    events = EventLog(str(run.paths.events))
    try:
        events.emit("run_start", game=run.game.name, workers=config.workers, rows=run.tree.num_rows,
                    regret_mode=run.regret_mode if parallel else "sequential",
                    max_actions=run.tree.max_actions, memory=run.memory, resumed_from=resume_from,
                    iterations=run.iterations_applied, config=config.to_dict())
        if parallel:
            outcome = _run_supervisor(train_parallel(run, events, on_progress))
        else:
            outcome = train_sequential(run, events, on_progress)
        state = run.snapshot_state()
        checksum = write_blueprint(run, run.paths.blueprint, state)
        events.emit("blueprint", path=str(run.paths.blueprint), checksum=checksum, iterations=outcome.iterations)
        events.emit("run_end", iterations=outcome.iterations, seconds=round(outcome.seconds, 3),
                    reason=outcome.reason, exploitability=outcome.exploitability, restarts=outcome.restarts,
                    error=outcome.error)
        return outcome
    finally:
        events.close()
        run.close()


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
