"""What a run does between batches, whichever loop drives it: checkpoints, policy snapshots, progress reports.

Heavy steps (copying and writing tables, exploitability, table fill) go through ``offload``: a thread in
the supervisor's event loop, a plain call in the sequential loop. Events are emitted by the caller's thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from holdem.policy.files import save_average_policy
from holdem.training.checkpoint import write_checkpoint
from holdem.training.state import BlueprintRun
from orchestrator.events import EventLog

ProgressCallback = Callable[[dict[str, Any]], None]
Offload = Callable[..., Awaitable[Any]]


async def inline(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` here and now (the sequential loop has nothing else to serve)."""
    return fn(*args)


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` on the default executor so the event loop keeps serving workers."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class TrainingClock:
    """Training time including time spent before a resume; it starts with the first batch issued,
    so worker start-up and kernel loading do not eat the budget."""

    def __init__(self, before: float) -> None:
        self.started: float | None = None
        self.before = before

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def elapsed(self) -> float:
        return self.before + (0.0 if self.started is None else time.monotonic() - self.started)


def write_blueprint(run: BlueprintRun, path: Path, state: dict[str, Any]) -> str:
    """The run's average policy with what it was trained on; returns the file checksum."""
    return save_average_policy(path, run.average_policy(), run.num_actions, tree=run.tree,
                               abstraction=run.abstraction, buckets_path=run.buckets_path, meta=state)


class Housekeeping:
    """Checkpoints by time or iterations, snapshots with checkpoints, progress at its interval."""

    def __init__(self, run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None,
                 clock: TrainingClock, offload: Offload = inline) -> None:
        self.run = run
        self.events = events
        self.on_progress = on_progress
        self.clock = clock
        self.offload = offload
        now = time.monotonic()
        self.last_checkpoint = now
        self.last_checkpoint_iteration = run.iterations_applied
        self.last_snapshot = now
        self.last_progress = now
        self.last_exploitability = 0.0
        self.exploitability: float | None = None
        self.progress_marks = (now, run.iterations_applied, run.nodes)

    async def maybe_checkpoint(self, force: bool = False, reason: str = "interval") -> Path | None:
        """Write a checkpoint when one is due (or ``force``); a snapshot too when that is due."""
        cfg = self.run.config
        now = time.monotonic()
        by_time = now - self.last_checkpoint >= cfg.checkpoint_interval_seconds
        by_iter = cfg.checkpoint_interval_iterations is not None and (
            self.run.iterations_applied - self.last_checkpoint_iteration >= cfg.checkpoint_interval_iterations
        )
        if not (force or by_time or by_iter) or self.run.paths is None:
            return None
        started = time.perf_counter()
        state = self.run.snapshot_state()
        elapsed = self.clock.elapsed()
        path = await self.offload(self._copy_and_write, state, elapsed)
        self.last_checkpoint = time.monotonic()
        self.last_checkpoint_iteration = self.run.iterations_applied
        self.events.emit("checkpoint", path=str(path), iterations=state["iterations"], reason=reason,
                         bytes=path.stat().st_size, seconds=round(time.perf_counter() - started, 4))
        if now - self.last_snapshot >= cfg.snapshot_interval_seconds:
            self.last_snapshot = now
            snap = self.run.paths.snapshots / f"policy-{state['iterations']:012d}.npz"
            await self.offload(write_blueprint, self.run, snap, state)
            self.events.emit("snapshot", path=str(snap), iterations=state["iterations"])
        return path

    def _copy_and_write(self, state: dict[str, Any], elapsed: float) -> Path:
        """Copy the tables (merges are paused: results are applied one at a time) and write them."""
        assert self.run.paths is not None
        regret = self.run.tables.regret.copy()
        strategy = self.run.tables.strategy_sum.copy()
        return write_checkpoint(self.run.paths.checkpoints, regret, strategy, state, elapsed,
                                self.run.config.keep_checkpoints)

    async def maybe_progress(self, extra: dict[str, Any], force: bool = False) -> None:
        """Emit a progress event (with exploitability when due) once the progress interval has passed."""
        cfg = self.run.config
        now = time.monotonic()
        if not force and now - self.last_progress < cfg.progress_interval_seconds:
            return
        if self.run.evaluator is not None and (force or now - self.last_exploitability
                                                >= cfg.exploitability_interval_seconds):
            self.exploitability = await self.offload(self.run.exploitability)
            self.last_exploitability = time.monotonic()
        table_fill = await self.offload(self.run.table_fill)
        mark_t, mark_it, mark_nodes = self.progress_marks
        span = max(1e-9, now - mark_t)
        fields = {
            **extra,
            "iterations": self.run.iterations_applied,
            "it_per_s": round((self.run.iterations_applied - mark_it) / span, 1),
            "nodes_per_s": round((self.run.nodes - mark_nodes) / span, 1),
            "elapsed_s": round(self.clock.elapsed(), 3),
            "table_fill": round(table_fill, 4),
            "exploitability": self.exploitability,
            "time_left_s": None if cfg.time_budget_seconds is None else
            round(max(0.0, cfg.time_budget_seconds - self.clock.elapsed()), 1),
        }
        self.events.emit("progress", **fields)
        if self.on_progress is not None:
            self.on_progress(fields)
        self.last_progress = now
        self.progress_marks = (now, self.run.iterations_applied, self.run.nodes)
