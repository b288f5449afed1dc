"""A blueprint training run: master tables, batch plan, exactly-once merging, checkpoints.

The run is the only writer of the master tables. In parallel mode it hands batches to the
orchestrator's supervisor and merges each result once (merges and discounts release the GIL and
run in a thread, so the event loop keeps serving workers). With one worker it runs the same
batches in-process, bitwise reproducibly for a seed.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.actions import load_menu
from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import BettingTree, build_tree
from holdem.fileformat import FileFormatError, load_arrays, save_arrays
from holdem.games import GameDef, format_gamedef, load_game
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.exploitability import ExactEvaluator, ExploitabilityError
from holdem.mccfr.tables import (
    PackedDeltas,
    Tables,
    apply_deltas,
    average_strategy,
    discount,
    discount_chunks,
    memory_report,
    row_num_actions,
)
from holdem.shared_tables import SharedTables, remove_stale_tables
from holdem.train_config import ConfigError, TrainConfig
from holdem.worker import write_worker_spec
from orchestrator import EventLog, RestartPolicy, Supervisor, SupervisorConfig, WorkerSpec
from orchestrator.loop import run_async

CHECKPOINT_KIND = "checkpoint"
CHECKPOINT_VERSION = 1
POLICY_KIND = "average_policy"
POLICY_VERSION = 1
SEQUENTIAL_BATCH = 1024
FIRST_PARALLEL_BATCH = 16
MAX_BATCH = 10_000_000
INDEPENDENT_BELOW_ROWS = 100_000


class RunError(ValueError):
    """A run that cannot start or resume; the message is one line."""


@dataclass(frozen=True)
class RunPaths:
    """Files of a run directory."""

    logdir: Path

    @property
    def events(self) -> Path:
        return self.logdir / "events.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.logdir / "checkpoints"

    @property
    def snapshots(self) -> Path:
        return self.logdir / "snapshots"

    @property
    def tree(self) -> Path:
        return self.logdir / "tree.npz"

    @property
    def worker_spec(self) -> Path:
        return self.logdir / "worker.json"

    @property
    def blueprint(self) -> Path:
        return self.logdir / "blueprint.npz"


def prepare_logdir(logdir: Path) -> RunPaths:
    """Create the run directory tree, failing with one line if it cannot be written."""
    paths = RunPaths(Path(logdir))
    try:
        for directory in (paths.logdir, paths.checkpoints, paths.snapshots):
            directory.mkdir(parents=True, exist_ok=True)
        probe = paths.logdir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"cannot write to logdir {logdir}: {exc.strerror}") from None
    return paths


def load_abstraction(config: TrainConfig, game: GameDef, buckets_path: str | None) -> tuple[CardAbstraction,
                                                                                             Path | None]:
    """The run's card abstraction: lossless for small games, else a bucket file (built if missing)."""
    source = buckets_path or config.buckets
    if source is None or source == "lossless":
        return lossless_for(game), None
    path = Path(source)
    if path.suffix != ".npz":
        path = default_bucket_path(game, source)
        if not path.is_file():
            build_bucket_file(source, game, path)
    elif not path.is_file():
        raise RunError(f"bucket file {path} does not exist (build it with: holdem buckets build)")
    try:
        return CardAbstraction.load(path, game), path
    except ValueError as exc:
        raise RunError(str(exc).splitlines()[0]) from None


def default_bucket_path(game: GameDef, spec: str) -> Path:
    """Where ``holdem train`` keeps a bucket file built from a named spec; every game that deals
    hold'em cards (heads-up and 6-max alike) shares one file per spec."""
    from holdem.abstraction.buckets import is_holdem_deal

    family = "holdem" if is_holdem_deal(game) else game.name
    return Path(__file__).resolve().parents[1] / "assets" / "buckets" / f"{family}-{spec}.npz"


def build_bucket_file(spec_name: str, game: GameDef, path: Path) -> None:
    """Build a named bucket spec into ``path`` with a progress bar (missing files are built, not refused)."""
    from holdem.abstraction.buckets import build_abstraction, load_spec

    try:
        spec = load_spec(spec_name)
    except ValueError as exc:
        raise RunError(str(exc).splitlines()[0]) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {spec_name} buckets for {game.name} into {path}", file=sys.stderr)
    abstraction = build_abstraction(spec, game)
    abstraction.save(path)


class BlueprintRun:
    """One run's state: tree, abstraction, master tables, counters and schedules."""

    def __init__(self, config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
                 resume_from: str | None = None, shared: bool = False) -> None:
        self.config = config
        self.paths = prepare_logdir(Path(logdir))
        self.game = load_game(config.game)
        menu = None if self.game.is_limit else load_menu(config.actions or "quick")
        self.abstraction, self.buckets_path = load_abstraction(config, self.game, buckets_path)
        self.tree: BettingTree = build_tree(self.game, menu, [int(x) for x in self.abstraction.num_buckets])
        self.tree.save(self.paths.tree)
        self.memory = memory_report(self.tree.num_rows, self.tree.max_actions, workers=config.workers)
        shape = (self.tree.num_rows, self.tree.max_actions)
        self._shared: SharedTables | None = None
        if shared:
            remove_stale_tables()
            self._shared = SharedTables(secrets.token_hex(4))
            self.tables = Tables(self._shared.create("regret", shape), self._shared.create("strategy_sum", shape))
        else:
            self.tables = Tables(np.zeros(shape, np.float32), np.zeros(shape, np.float32))
        self.num_actions = row_num_actions(self.tree)
        self.iterations_applied = 0
        self.next_iteration = 0
        self.discounts_done = 0
        self.nodes = 0
        self.batches_applied = 0
        self.elapsed_before = 0.0
        self.checkpoints_written: list[Path] = []
        try:
            self.evaluator: ExactEvaluator | None = ExactEvaluator(self.tree, self.abstraction)
        except ExploitabilityError:
            self.evaluator = None
        if resume_from is not None:
            self.restore(Path(resume_from))

    # --- identity -------------------------------------------------------------------------------
    @functools.cached_property
    def _identity(self) -> dict[str, Any]:
        return {
            "game": self.game.name,
            "gamedef": format_gamedef(self.game),
            "tree_hash": self.tree.content_hash(),
            "abstraction_hash": self.abstraction.content_hash(),
            "algorithm": self.config.mccfr.algorithm,
        }

    def identity(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this run (hashed once: bucket tables are large)."""
        return dict(self._identity)

    # --- batch plan -----------------------------------------------------------------------------
    def budget_left(self, now_elapsed: float) -> bool:
        cfg = self.config
        if cfg.iterations is not None and self.next_iteration >= cfg.iterations:
            return False
        return cfg.time_budget_seconds is None or now_elapsed < cfg.time_budget_seconds

    def plan_batch(self, size: int) -> dict[str, Any]:
        """The next batch of at most ``size`` iterations, cut at schedule boundaries and the budget."""
        first = self.next_iteration
        end = min(first + max(1, size), self.config.mccfr.next_boundary(first))
        if self.config.iterations is not None:
            end = min(end, self.config.iterations)
        self.next_iteration = end
        return {
            "first_iteration": first,
            "iterations": end - first,
            "seed": self.config.mccfr.seed,
            "params": self.config.mccfr.kernel_params(first).tolist(),
            "discount_epoch": self.discounts_done,
        }

    @property
    def regret_mode(self) -> str:
        """``shared`` (workers read the master regrets) or ``independent`` (one learner per worker)."""
        mode = self.config.regret_sharing
        if mode == "auto":
            mode = "independent" if self.tree.num_rows < INDEPENDENT_BELOW_ROWS else "shared"
        return mode

    def write_worker_spec(self) -> WorkerSpec:
        """The worker command line, after writing what workers load (tree, buckets, table, mode)."""
        assert self._shared is not None
        write_worker_spec(self.paths.worker_spec, tree_path=self.paths.tree, buckets_path=self.buckets_path,
                          mccfr=self.config.mccfr, regret=self._shared.specs["regret"],
                          regret_mode=self.regret_mode, num_workers=self.config.workers)
        return WorkerSpec(argv=[sys.executable, "-m", "holdem.worker", str(self.paths.worker_spec)])

    # --- merging --------------------------------------------------------------------------------
    def apply_result(self, result: dict[str, Any]) -> None:
        """Merge one batch's deltas (GIL released inside) and count it."""
        deltas = PackedDeltas(np.asarray(result["rows"]), np.asarray(result["regret"]),
                              np.asarray(result["strategy"]))
        apply_deltas(self.tables, deltas, self.config.mccfr.regret_floor)
        self.iterations_applied += int(result["iterations"])
        self.nodes += int(result["nodes"])
        self.batches_applied += 1

    def due_discounts(self) -> list[tuple[float, float, float]]:
        """Discount factors that fell due with the iterations applied so far, in order."""
        due = []
        interval = self.config.mccfr.discount_interval
        while self.config.mccfr.discount_mode != "none" and (
            (self.discounts_done + 1) * interval <= self.iterations_applied
        ):
            self.discounts_done += 1
            factors = self.config.mccfr.discount_factors(self.discounts_done * interval)
            if factors is not None:
                due.append(factors)
        return due

    def discount_chunk(self, factors: tuple[float, float, float], start: int, stop: int) -> None:
        discount(self.tables, *factors, row_start=start, row_stop=stop)

    # --- outputs --------------------------------------------------------------------------------
    def average_policy(self) -> np.ndarray:
        return average_strategy(self.tables.strategy_sum, self.num_actions)

    def exploitability(self) -> float | None:
        if self.evaluator is None:
            return None
        return float(self.evaluator.exploitability(self.average_policy()))

    def table_fill(self) -> float:
        """Share of table rows whose strategy sum is non-zero (visited at least once)."""
        touched = np.count_nonzero(np.any(self.tables.strategy_sum != 0, axis=1))
        return float(touched) / max(1, self.tree.num_rows)

    def snapshot_state(self) -> dict[str, Any]:
        """Counters a checkpoint records (copied, so writing can happen off the loop)."""
        return {
            "iterations": self.iterations_applied,
            "discounts_done": self.discounts_done,
            "batches_applied": self.batches_applied,
            "nodes": self.nodes,
            "config": self.config.to_dict(),
            **self.identity(),
        }

    def write_checkpoint(self, regret: np.ndarray, strategy_sum: np.ndarray, state: dict[str, Any],
                         elapsed: float) -> Path:
        """Atomically write a checkpoint (temp file, fsync, rename) and keep the last K."""
        path = self.paths.checkpoints / f"checkpoint-{state['iterations']:012d}.npz"
        save_arrays(path, kind=CHECKPOINT_KIND, version=CHECKPOINT_VERSION,
                    arrays={"regret": regret, "strategy_sum": strategy_sum},
                    meta={**state, "elapsed_seconds": elapsed})
        self.checkpoints_written.append(path)
        existing = sorted(self.paths.checkpoints.glob("checkpoint-*.npz"))
        for old in existing[: -self.config.keep_checkpoints]:
            old.unlink(missing_ok=True)
        return path

    def write_policy(self, path: Path, policy: np.ndarray, state: dict[str, Any]) -> str:
        """The average policy with what it was trained on, for export, query and evaluation."""
        meta = {**state, "num_buckets": [int(x) for x in self.tree.num_buckets],
                "menu": self.tree.menu.to_dict() if self.tree.menu is not None else None,
                "abstraction": self.abstraction.spec,
                "buckets_path": None if self.buckets_path is None else str(self.buckets_path)}
        arrays = {"policy": policy.astype(np.float32), "num_actions": self.num_actions}
        return save_arrays(path, kind=POLICY_KIND, version=POLICY_VERSION, arrays=arrays, meta=meta)

    def restore(self, path: Path) -> None:
        """Load tables and counters from a checkpoint, refusing one of another game, tree or abstraction."""
        if path.is_dir():
            found = sorted(path.glob("checkpoints/checkpoint-*.npz")) or sorted(path.glob("checkpoint-*.npz"))
            if not found:
                raise RunError(f"no checkpoint in {path}")
            path = found[-1]
        try:
            arrays, meta = load_arrays(path, kind=CHECKPOINT_KIND, versions=(CHECKPOINT_VERSION,))
        except FileFormatError as exc:
            raise RunError(str(exc)) from None
        mine = self.identity()
        for key in ("game", "tree_hash", "abstraction_hash", "algorithm"):
            if meta.get(key) != mine[key]:
                what = {"tree_hash": "betting tree (action menu)", "abstraction_hash": "card abstraction"}
                raise RunError(f"checkpoint {path} was made for another {what.get(key, key)}: "
                               f"{meta.get(key)!r} != {mine[key]!r}")
        if arrays["regret"].shape != self.tables.regret.shape:
            raise RunError(f"checkpoint {path} tables have shape {arrays['regret'].shape}, "
                           f"this run needs {self.tables.regret.shape}")
        self.tables.regret[:] = arrays["regret"]
        self.tables.strategy_sum[:] = arrays["strategy_sum"]
        self.iterations_applied = self.next_iteration = int(meta["iterations"])
        self.discounts_done = int(meta["discounts_done"])
        self.batches_applied = int(meta["batches_applied"])
        self.nodes = int(meta["nodes"])
        self.elapsed_before = float(meta["elapsed_seconds"])

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()


@dataclass
class RunOutcome:
    iterations: int
    seconds: float
    reason: str
    blueprint: Path
    checkpoint: Path | None
    exploitability: float | None
    restarts: int
    error: str | None


ProgressCallback = Callable[[dict[str, Any]], None]


class _Clock:
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


class BlueprintJob:
    """The orchestrator job of a parallel run: batches out, deltas in, exactly once."""

    def __init__(self, run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> None:
        self.run = run
        self.events = events
        self.on_progress = on_progress
        self.clock = _Clock(run.elapsed_before)
        self.supervisor: Supervisor | None = None
        self.batch_size = run.config.batch_size or FIRST_PARALLEL_BATCH
        self.auto = run.config.batch_size is None
        self.requeued: dict[int, dict[str, Any]] = {}
        self.issued: dict[int, dict[str, Any]] = {}
        self.applied: set[int] = set()
        self.stop_issuing = False
        self.last_checkpoint = time.monotonic()
        self.last_checkpoint_iteration = run.iterations_applied
        self.last_snapshot = time.monotonic()
        self.last_progress = time.monotonic()
        self.last_exploitability = 0.0
        self.exploitability: float | None = None
        self.progress_marks = (time.monotonic(), run.iterations_applied, run.nodes)
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
        await self.maybe_checkpoint()
        await self.maybe_progress()

    async def maybe_checkpoint(self, force: bool = False, reason: str = "interval") -> Path | None:
        cfg = self.run.config
        now = time.monotonic()
        by_time = now - self.last_checkpoint >= cfg.checkpoint_interval_seconds
        by_iter = cfg.checkpoint_interval_iterations is not None and (
            self.run.iterations_applied - self.last_checkpoint_iteration >= cfg.checkpoint_interval_iterations
        )
        if not (force or by_time or by_iter):
            return None
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        state = self.run.snapshot_state()
        elapsed = self.clock.elapsed()
        path = await loop.run_in_executor(None, self._copy_and_write, state, elapsed)
        self.last_checkpoint = time.monotonic()
        self.last_checkpoint_iteration = self.run.iterations_applied
        self.events.emit("checkpoint", path=str(path), iterations=state["iterations"], reason=reason,
                         bytes=path.stat().st_size, seconds=round(time.perf_counter() - started, 4))
        if now - self.last_snapshot >= cfg.snapshot_interval_seconds:
            self.last_snapshot = now
            snap = self.run.paths.snapshots / f"policy-{state['iterations']:012d}.npz"
            await loop.run_in_executor(None, lambda: self.run.write_policy(snap, self.run.average_policy(), state))
            self.events.emit("snapshot", path=str(snap), iterations=state["iterations"])
        return path

    def _copy_and_write(self, state: dict[str, Any], elapsed: float) -> Path:
        """Copy the tables (merges are paused: results are applied one at a time) and write them."""
        regret = self.run.tables.regret.copy()
        strategy = self.run.tables.strategy_sum.copy()
        return self.run.write_checkpoint(regret, strategy, state, elapsed)

    async def maybe_progress(self, force: bool = False) -> None:
        cfg = self.run.config
        now = time.monotonic()
        if not force and now - self.last_progress < cfg.progress_interval_seconds:
            return
        loop = asyncio.get_running_loop()
        if self.run.evaluator is not None and (force or now - self.last_exploitability
                                                >= cfg.exploitability_interval_seconds):
            self.exploitability = await loop.run_in_executor(None, self.run.exploitability)
            self.last_exploitability = time.monotonic()
        table_fill = await loop.run_in_executor(None, self.run.table_fill)
        mark_t, mark_it, mark_nodes = self.progress_marks
        span = max(1e-9, now - mark_t)
        stats = self.supervisor.stats() if self.supervisor is not None else {}
        fields = {
            **stats,
            "iterations": self.run.iterations_applied,
            "it_per_s": round((self.run.iterations_applied - mark_it) / span, 1),
            "nodes_per_s": round((self.run.nodes - mark_nodes) / span, 1),
            "elapsed_s": round(self.clock.elapsed(), 3),
            "batch_size": self.batch_size,
            "table_fill": round(table_fill, 4),
            "exploitability": self.exploitability,
            "time_left_s": None if cfg.time_budget_seconds is None else
            round(max(0.0, cfg.time_budget_seconds - self.clock.elapsed()), 1),
            "worker_iterations": {str(k): v for k, v in self.worker_iterations.items()},
        }
        self.events.emit("progress", **fields)
        if self.on_progress is not None:
            self.on_progress(fields)
        self.last_progress = now
        self.progress_marks = (now, self.run.iterations_applied, self.run.nodes)


def _supervisor_config(config: TrainConfig) -> SupervisorConfig:
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


async def _train_parallel(run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None
                          ) -> RunOutcome:
    spec = run.write_worker_spec()
    job = BlueprintJob(run, events, on_progress)
    supervisor = Supervisor(job, spec, _supervisor_config(run.config), events=events)
    job.supervisor = supervisor
    summary = await supervisor.run()
    reason = summary.reason
    if summary.error is None and reason in ("finished", "completed", "done"):
        reason = "iterations" if run.config.iterations is not None and (
            run.iterations_applied >= run.config.iterations) else "time_budget"
    checkpoint = await job.maybe_checkpoint(force=True, reason="final")
    await job.maybe_progress(force=True)
    return RunOutcome(run.iterations_applied, job.clock.elapsed(), reason, run.paths.blueprint, checkpoint,
                      job.exploitability, summary.restarts, summary.error)


def _train_sequential(run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> RunOutcome:
    runner = BatchRunner(run.tree, run.abstraction, run.config.mccfr.algorithm)
    job = BlueprintJob(run, events, on_progress)
    job.batch_size = run.config.batch_size or SEQUENTIAL_BATCH
    job.auto = False
    worker = type("InProcess", (), {"slot": 0})()
    reason = "interrupted"
    loop = asyncio.new_event_loop()
    try:
        batch_id = 0
        while True:
            task = job.next_task(batch_id)
            if task is None:
                reason = "iterations" if run.config.iterations is not None and (
                    run.iterations_applied >= run.config.iterations) else "time_budget"
                break
            result = runner.run(run.tables.regret, task["first_iteration"], task["iterations"], task["seed"],
                                np.asarray(task["params"], dtype=np.float64))
            payload = {"iterations": result.iterations, "nodes": result.nodes, "kernel_seconds": result.seconds,
                       "rows": result.deltas.rows, "regret": result.deltas.regret,
                       "strategy": result.deltas.strategy}
            loop.run_until_complete(job.on_result(batch_id, payload, worker))
            batch_id += 1
    except KeyboardInterrupt:
        reason = "interrupted"
    checkpoint = loop.run_until_complete(job.maybe_checkpoint(force=True, reason="final"))
    loop.run_until_complete(job.maybe_progress(force=True))
    loop.close()
    return RunOutcome(run.iterations_applied, job.clock.elapsed(), reason, run.paths.blueprint, checkpoint,
                      job.exploitability, 0, None)


def chaos_job(game: str = "leduc", iterations: int = 2_000_000, batch_size: int = 20_000,
              logdir: str | None = None) -> tuple[BlueprintJob, WorkerSpec]:
    """A real training job for ``scripts/chaos.py``: its ``exact()`` checks the iteration accounting."""
    import atexit
    import tempfile

    config = TrainConfig(game=game, iterations=iterations, num_workers=2, batch_size=batch_size)
    run = BlueprintRun(config, logdir or tempfile.mkdtemp(prefix="holdem-chaos-"), shared=True)
    atexit.register(run.close)
    events = EventLog(str(run.paths.events))
    spec = run.write_worker_spec()
    return BlueprintJob(run, events, None), spec


def train(config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
          resume_from: str | None = None, on_progress: ProgressCallback | None = None) -> RunOutcome:
    """Run a training to its budget (or a stop signal) and write the blueprint; returns how it ended."""
    parallel = config.workers > 1
    run = BlueprintRun(config, logdir, buckets_path=buckets_path, resume_from=resume_from, shared=parallel)
    events = EventLog(str(run.paths.events))
    try:
        events.emit("run_start", game=run.game.name, workers=config.workers, rows=run.tree.num_rows,
                    regret_mode=run.regret_mode if parallel else "sequential",
                    max_actions=run.tree.max_actions, memory=run.memory, resumed_from=resume_from,
                    iterations=run.iterations_applied, config=config.to_dict())
        if parallel:
            outcome = run_async(_train_parallel(run, events, on_progress))
        else:
            outcome = _train_sequential(run, events, on_progress)
        state = run.snapshot_state()
        checksum = run.write_policy(run.paths.blueprint, run.average_policy(), state)
        events.emit("blueprint", path=str(run.paths.blueprint), checksum=checksum, iterations=outcome.iterations)
        events.emit("run_end", iterations=outcome.iterations, seconds=round(outcome.seconds, 3),
                    reason=outcome.reason, exploitability=outcome.exploitability, restarts=outcome.restarts,
                    error=outcome.error)
        return outcome
    finally:
        events.close()
        run.close()


__all__ = ["BlueprintRun", "ConfigError", "RunError", "RunOutcome", "train"]
