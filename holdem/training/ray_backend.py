"""Training through Ray actors: the same run, job, merger and supervisor, workers anywhere in a cluster.

The run keeps the master tables in this process. Workers cannot map them across machines, so the regret
table travels as versioned snapshots through Ray's object store: published before the first task, then again
every ``ray_refresh_batches`` merged batches or ``ray_refresh_seconds``, whichever comes first; each actor
takes the newest with its next task. A snapshot's version is the number of iterations applied when it was
taken, so staleness (iterations a worker cannot see, and the snapshot's age) is reported with progress.
In independent mode (small games) each actor seeds its private learner from the first snapshot, as a local
worker does from the shared table. The tree and bucket files go to the actors through the object store too.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import BettingTree
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.compact import UNIT_SCALE, decode
from holdem.mccfr.config import NUM_PARAMS, MCCFRConfig
from holdem.training.housekeeping import ProgressCallback
from holdem.training.job import BlueprintJob, drive, supervisor_config
from holdem.training.outcome import RunOutcome
from holdem.training.state import BlueprintRun
from holdem.training.worker import WORKER_SPEC_VERSION, BatchHandler, _Held
from orchestrator import EventLog, Supervisor, WorkerSpec
from orchestrator.job import Delivery
from orchestrator.ray_transport import RayTransport

FACTORY = "holdem.training.ray_backend:make_handler"
REGRET = "regret"


class RayBatchHandler(BatchHandler):
    """A worker's batch handler inside a Ray actor: tree and buckets from bytes, regrets from snapshots."""

    def __init__(self, spec: dict[str, Any], tree_bytes: bytes, bucket_bytes: bytes | None) -> None:
        if spec.get("version") != WORKER_SPEC_VERSION:
            raise ValueError(f"worker spec version {spec.get('version')} is not {WORKER_SPEC_VERSION}")
        folder = Path(tempfile.mkdtemp(prefix="holdem-actor-"))
        try:
            (folder / "tree.npz").write_bytes(tree_bytes)
            tree = BettingTree.load(folder / "tree.npz")
            if bucket_bytes is None:
                abstraction = lossless_for(tree.game)
            else:
                (folder / "buckets.npz").write_bytes(bucket_bytes)
                abstraction = CardAbstraction.load(folder / "buckets.npz", tree.game)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.mccfr = MCCFRConfig.from_dict(spec["mccfr"])
        self.independent = spec["regret_mode"] == "independent"
        self.num_workers = max(1, int(spec["num_workers"]))
        self.result_seconds = float(spec.get("result_seconds", 0.1))
        self.regret: np.ndarray | None = None
        self.regret_scale = UNIT_SCALE
        self.private: np.ndarray | None = None
        self.discount_epoch: int | None = None
        self.version = -1
        self.runner = BatchRunner(tree, abstraction, self.mccfr.algorithm, spec.get("delta_capacity"))
        self._held = _Held()

    def update(self, name: str, value: np.ndarray, version: int) -> None:
        """A new regret snapshot: read by shared-mode batches; seeds the private learner once."""
        if name != REGRET:
            return
        first = self.regret is None
        values, scale = value if isinstance(value, tuple) else (value, UNIT_SCALE)
        self.regret, self.regret_scale, self.version = values, scale, version
        if self.independent and self.private is None:
            self.private = decode(values, scale) / self.num_workers
        if first:
            self.warm_up(np.zeros(NUM_PARAMS, dtype=np.float64))

    def run(self, task: dict[str, Any]) -> None:
        if self.regret is None:
            raise RuntimeError("no regret snapshot received before the first task")
        super().run(task)

    def flush(self, allocate: Any) -> dict[str, Any]:
        out = super().flush(allocate)
        out["snapshot_version"] = self.version
        return out


def make_handler(spec: dict[str, Any], tree_bytes: bytes, bucket_bytes: bytes | None) -> RayBatchHandler:
    """The actor's handler factory (``FACTORY``)."""
    return RayBatchHandler(spec, tree_bytes, bucket_bytes)


def actor_spec(run: BlueprintRun) -> dict[str, Any]:
    """What every actor needs besides the files: the same content as a local worker's ``worker.json``."""
    return {"version": WORKER_SPEC_VERSION, "mccfr": run.config.mccfr.to_dict(), "regret_mode": run.regret_mode,
            "num_workers": run.config.workers, "result_seconds": run.config.batch_target_seconds,
            "delta_capacity": None}


class RayBlueprintJob(BlueprintJob):
    """The blueprint job with regret snapshots published to the actors and their staleness reported."""

    def __init__(self, run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None,
                 transport: RayTransport) -> None:
        super().__init__(run, events, on_progress)
        self.transport = transport
        self.supervisor_settings = {"arena_slots": 0, "arena_slot_bytes": 0}
        self.refresh_batches = run.config.ray_refresh_batches
        self.refresh_seconds = run.config.ray_refresh_seconds
        self.batches_since = 0
        self.published_at = time.monotonic()
        self.snapshots = 0
        self._publishing: asyncio.Task | None = None

    async def publish(self) -> None:
        """Put the current regret table into the object store as the newest snapshot (the copy runs off the loop;
        merges may continue meanwhile, which a snapshot read by sampling workers tolerates)."""
        version = self.run.iterations_applied
        self.batches_since, self.published_at = 0, time.monotonic()
        tables = self.run.tables
        await self.transport.publish(REGRET, (tables.regret, tables.regret_scale) if tables.compact else tables.regret,
                                     version)
        self.snapshots += 1

    async def finish(self, force: bool) -> None:
        await super().finish(force)
        if self._publishing is not None:
            await asyncio.gather(self._publishing, return_exceptions=True)

    def accept(self, delivery: Delivery) -> None:
        super().accept(delivery)
        self.batches_since += len(delivery.batch_ids)
        due = (self.batches_since >= self.refresh_batches
               or time.monotonic() - self.published_at >= self.refresh_seconds)
        if due and (self._publishing is None or self._publishing.done()):
            self._publishing = asyncio.get_running_loop().create_task(self.publish())

    def progress_extra(self) -> dict[str, Any]:
        """Staleness: iterations applied that the newest snapshot, and the oldest one a worker computes with, lack."""
        applied = self.run.iterations_applied
        newest = self.transport.published_version(REGRET)
        held = self.transport.live_versions(REGRET)
        return {"backend": "ray", "snapshots": self.snapshots,
                "snapshot_version": newest,
                "snapshot_age_s": round(time.monotonic() - self.published_at, 3),
                "snapshot_stale_iterations": None if newest is None else applied - newest,
                "worker_stale_iterations_max": applied - min(held) if held else None}


def ray_transport(run: BlueprintRun) -> RayTransport:
    """The transport whose actors run this run's batches (files shipped through the object store)."""
    import ray

    assert run.paths is not None
    tree_bytes = ray.put(run.paths.tree.read_bytes())
    bucket_bytes = None if run.buckets_path is None else ray.put(Path(run.buckets_path).read_bytes())
    return RayTransport(FACTORY, (actor_spec(run), tree_bytes, bucket_bytes))


async def train_ray(run: BlueprintRun, events: EventLog, on_progress: ProgressCallback | None) -> RunOutcome:
    """Train through Ray actors until the budget, a stop or an error, then write the final checkpoint."""
    transport = await asyncio.get_running_loop().run_in_executor(None, ray_transport, run)
    job = RayBlueprintJob(run, events, on_progress, transport)
    await job.publish()
    config = supervisor_config(run.config, 0)
    return await drive(job, Supervisor(job, WorkerSpec(argv=["ray-actor", FACTORY]), config, events=events,
                                       transport=transport))
