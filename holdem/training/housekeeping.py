"""What a run does between batches, whichever loop drives it: checkpoints, policy snapshots, progress reports.

Heavy steps (copying and writing tables, exploitability, table fill) go through ``offload``: helper threads
beside the supervisor's event loop (:class:`HelperThreads`), a plain call in the sequential loop. Events are
emitted by the caller's thread. A checkpoint is captured (tables copied) between merges, so it holds a state
the run passed through, and written afterwards while merging goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.mccfr.compact import decode
from holdem.mccfr.tables import Tables, average_strategy
from holdem.policy.files import save_average_policy
from holdem.training.checkpoint import write_checkpoint
from holdem.training.errors import OutputError
from holdem.training.state import BlueprintRun
from orchestrator.events import EventLog
from orchestrator.priority import helper_pool

ProgressCallback = Callable[[dict[str, Any]], None]
Offload = Callable[..., Awaitable[Any]]

FILL_INTERVAL_S = 10.0
"""Table fill is measured at most this often (and in the last progress event): it moves slowly, and on ``mid`` each
measurement took 1.0-1.4 ms of the supervisor's CPU, a quarter of what it spent a second besides results."""


async def inline(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` here and now (the sequential loop has nothing else to serve)."""
    return fn(*args)


class HelperThreads:
    """An offload for housekeeping on its own threads, started as the supervisor's helper threads (off the event
    loop's CPU when it keeps one), instead of the loop's default executor, whose threads share the loop's CPU."""

    def __init__(self, threads: int = 2) -> None:
        self._pool = helper_pool(threads, "housekeeping")

    async def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class TrainingClock:
    """Training time: this session's seconds (what ``--time-budget`` limits) and the total including the
    sessions before a resume. It starts with the first batch issued, so worker start-up and kernel loading
    do not eat the budget."""

    def __init__(self, before: float) -> None:
        self.started: float | None = None
        self.before = before

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def session(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    def total(self) -> float:
        return self.before + self.session()


@dataclass
class Capture:
    """A consistent copy of a run, taken between merges: counters and both tables."""

    state: dict[str, Any]
    regret: np.ndarray
    strategy_sum: np.ndarray
    elapsed: float


def write_blueprint(run: BlueprintRun, path: Path, state: dict[str, Any],
                    strategy_sum: np.ndarray | None = None) -> str:
    """The average policy (of ``strategy_sum``, default the live table) with what it was trained on;
    returns the file checksum. OutputError names the file when it cannot be written."""
    table = run.tables.strategy_sum if strategy_sum is None else strategy_sum
    try:
        return save_average_policy(path, average_strategy(table, run.num_actions), run.num_actions, tree=run.tree,
                                   abstraction=run.abstraction, buckets_path=run.buckets_path, meta=state)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


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
        self.last_fill: tuple[float, float] | None = None
        self.progress_marks = (now, run.iterations_applied, run.nodes)
        self.last_written: Path | None = None

    def checkpoint_due(self) -> bool:
        cfg = self.run.config
        if self.run.paths is None:
            return False
        if time.monotonic() - self.last_checkpoint >= cfg.checkpoint_interval_seconds:
            return True
        return cfg.checkpoint_interval_iterations is not None and (
            self.run.iterations_applied - self.last_checkpoint_iteration >= cfg.checkpoint_interval_iterations)

    async def capture(self) -> Capture:
        """Copy the tables and counters; the caller makes sure no merge or discount runs meanwhile."""
        state = self.run.snapshot_state()
        regret, strategy = await self.offload(_copy_tables, self.run.tables)
        self.last_checkpoint = time.monotonic()
        self.last_checkpoint_iteration = state["iterations"]
        return Capture(state, regret, strategy, self.clock.total())

    async def write(self, capture: Capture, reason: str) -> Path:
        """Write a captured checkpoint (and a policy snapshot when one is due); OutputError if the disk fails."""
        assert self.run.paths is not None
        started = time.perf_counter()
        path = await self.offload(self._write_checkpoint, capture)
        self.last_written = path
        self.events.emit("checkpoint", path=str(path), iterations=capture.state["iterations"], reason=reason,
                         bytes=path.stat().st_size, seconds=round(time.perf_counter() - started, 4))
        now = time.monotonic()
        if now - self.last_snapshot >= self.run.config.snapshot_interval_seconds:
            self.last_snapshot = now
            snap = self.run.paths.snapshots / f"policy-{capture.state['iterations']:012d}.npz"
            await self.offload(write_blueprint, self.run, snap, capture.state, capture.strategy_sum)
            self.events.emit("snapshot", path=str(snap), iterations=capture.state["iterations"])
        return path

    async def checkpoint(self, reason: str = "interval") -> Path | None:
        """Capture and write now (a run with no directory writes nothing)."""
        if self.run.paths is None:
            return None
        return await self.write(await self.capture(), reason)

    async def final_checkpoint(self) -> tuple[Path | None, str | None]:
        """The run's last checkpoint and the error that kept it from being written, if one did: a full disk
        at the end still leaves the newest complete checkpoint named."""
        try:
            return await self.checkpoint("final"), None
        except OutputError as exc:
            return self.last_written, str(exc)

    def _write_checkpoint(self, capture: Capture) -> Path:
        assert self.run.paths is not None
        directory = self.run.paths.checkpoints
        try:
            return write_checkpoint(directory, capture.regret, capture.strategy_sum, capture.state, capture.elapsed,
                                    self.run.config.keep_checkpoints)
        except OSError as exc:
            raise OutputError(f"cannot write a checkpoint into {directory}: {exc.strerror or exc}") from None

    async def maybe_progress(self, extra: dict[str, Any], force: bool = False) -> bool:
        """Emit a progress event (with exploitability when due) once the progress interval has passed; whether
        it did."""
        cfg = self.run.config
        now = time.monotonic()
        if not force and now - self.last_progress < cfg.progress_interval_seconds:
            return False
        if self.run.evaluator is not None and (force or now - self.last_exploitability
                                                >= cfg.exploitability_interval_seconds):
            self.exploitability = await self.offload(self.run.exploitability)
            self.last_exploitability = time.monotonic()
        if force or self.last_fill is None or now - self.last_fill[0] >= FILL_INTERVAL_S:
            self.last_fill = (now, await self.offload(self.run.table_fill))
        table_fill = self.last_fill[1]
        mark_t, mark_it, mark_nodes = self.progress_marks
        span = max(1e-9, now - mark_t)
        fields = {
            **extra,
            "iterations": self.run.iterations_applied,
            "it_per_s": round((self.run.iterations_applied - mark_it) / span, 1),
            "nodes_per_s": round((self.run.nodes - mark_nodes) / span, 1),
            "nodes": self.run.nodes,
            "elapsed_s": round(self.clock.total(), 3),
            "table_fill": round(table_fill, 4),
            "exploitability": self.exploitability,
            "time_left_s": None if cfg.time_budget_seconds is None else
            round(max(0.0, cfg.time_budget_seconds - self.clock.session()), 1),
        }
        self.events.emit("progress", **fields)
        if self.on_progress is not None:
            self.on_progress(fields)
        self.last_progress = now
        self.progress_marks = (now, self.run.iterations_applied, self.run.nodes)
        return True


def _copy_tables(tables: Tables) -> tuple[np.ndarray, np.ndarray]:
    """Copies for a checkpoint: regrets as float32 whatever their storage (checkpoints do not depend on it)."""
    return decode(tables.regret, tables.regret_scale), tables.strategy_sum.copy()
