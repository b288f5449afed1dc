"""How many workers one supervisor can feed, measured without the cores: replay workers at 16 ... 256.

Real results are recorded once (heads-up ``quick`` and the 5-hour config's ``mid``: a worker's deltas after
``--result-seconds`` of kernel time, after a short warm-up so strategies are no longer uniform). Then N
replay workers (``bench/replay_worker.py``: processes that sleep and send those recorded results at the
real per-worker frame rate) feed one real supervisor and training job, which merges every frame into the
real master tables. Reported per N: merged frames/s, supervisor CPU per frame (its process, merge thread
included), loop-lag p99, how late the replay workers were (waiting for a task or an arena slot), and the
number of real workers one supervisor feeds: 1 / (CPU per frame x real frames per worker per second).
Writes ``bench/results/capacity.json``::

    python -m bench.capacity [--workers 16,64,128,256] [--seconds 10] [--specs quick,mid]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.frames import kernel_frames
from holdem.abstraction.actions import load_menu
from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.store import spec_path
from holdem.abstraction.tree import build_tree
from holdem.games import load_game
from holdem.mccfr import MCCFRConfig, PackedDeltas
from holdem.training import TrainConfig, create
from holdem.training.job import ARENA_SLOTS, BlueprintJob, supervisor_config
from holdem.training.sequential import SequentialTrainer
from orchestrator import EventLog, Supervisor, WorkerSpec
from orchestrator.loop import run_async

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"feedable_workers_quick": 256, "supervisor_cpu_ms_per_result": 0.5}
SPECS = {"quick": ("quick", "quick"), "mid": ("mid", "mid")}
DEFAULT_RESULT_SECONDS = 0.1


def record(spec: str, result_seconds: float, frames: int, warmup_s: float, out: Path) -> dict[str, Any]:
    """Run the kernel like a worker and keep ``frames`` results of ``result_seconds`` of kernel time each, as
    ``.npy`` files in the folder ``out`` (replay workers map them, so N workers share one copy)."""
    menu, buckets = SPECS[spec]
    game = load_game("hunl")
    abstraction = CardAbstraction.load(spec_path(game, buckets), game)
    tree = build_tree(game, load_menu(menu), [int(x) for x in abstraction.num_buckets])
    trainer = SequentialTrainer.for_tree(tree, abstraction, MCCFRConfig(seed=1), batch_size=2000)
    started = time.process_time()
    while time.process_time() - started < warmup_s:
        trainer.run_batch(2000)
    recorded = kernel_frames(trainer, frames, result_seconds, 500)
    nodes, iterations, seconds = ([getattr(f, k) for f in recorded] for k in ("nodes", "iterations", "seconds"))
    arrays: dict[str, np.ndarray] = {"nodes": np.asarray(nodes, dtype=np.int64)}
    for name in PackedDeltas.FIELDS:
        parts = [getattr(f.deltas, name) for f in recorded]
        arrays[name] = np.concatenate(parts)
        arrays[f"{name}_offsets"] = np.cumsum([0] + [len(part) for part in parts])
    out.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(out / f"{name}.npy", array)
    rows = [f.deltas.rows().shape[0] for f in recorded]
    return {"rows": tree.num_rows, "frame_rows_mean": float(np.mean(rows)),
            "frame_bytes_mean": float(np.mean([f.deltas.nbytes for f in recorded])),
            "iterations_per_frame": float(np.mean(iterations)), "kernel_seconds_per_frame": float(np.mean(seconds)),
            "real_frames_per_worker_per_s": float(1.0 / np.mean(seconds))}


class ReplayJob(BlueprintJob):
    """The real training job, also adding up how late the replay workers sent."""

    late_s = 0.0
    frames = 0

    def accept(self, delivery: Any) -> None:
        self.late_s += float(delivery.payload.get("replay_late_s", 0.0))
        self.frames += 1
        super().accept(delivery)


async def feed(spec: str, recording: Path, workers: int, recorded: dict[str, Any], result_seconds: float,
               seconds: float, logdir: Path) -> dict[str, Any]:
    """N replay workers into one supervisor for ``seconds``, from a second after all are ready and as many
    results are in as there are workers (tasks are sized from the first results: before them they are tiny)."""
    menu, buckets = SPECS[spec]
    config = TrainConfig(game="hunl", actions=menu, buckets=buckets, num_workers=workers,
                         progress_interval_seconds=1e6, checkpoint_interval_seconds=1e6,
                         batch_target_seconds=result_seconds, mccfr=MCCFRConfig(seed=1))
    frames_per_s = recorded["real_frames_per_worker_per_s"]
    per_iteration = recorded["kernel_seconds_per_frame"] / recorded["iterations_per_frame"]
    run = create(config, logdir, shared=True)
    events = EventLog(None)
    readies: list[dict] = []
    events.subscribe(lambda e: readies.append(e) if e["event"] == "ready" else None)
    try:
        job = ReplayJob(run, events, None)
        settings = supervisor_config(config, job.supervisor_settings["arena_slot_bytes"])
        worker = WorkerSpec(argv=[sys.executable, "-m", "bench.replay_worker", str(recording), repr(per_iteration),
                                  repr(result_seconds)], cwd=str(ROOT))
        supervisor = Supervisor(job, worker, settings, events=events)
        job.supervisor = supervisor
        running = asyncio.get_running_loop().create_task(supervisor.run())
        async with asyncio.timeout(600):
            while len(readies) < workers or job.frames < workers:
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        supervisor.reset_loop_lag()
        cpu0, wall0 = time.process_time(), time.monotonic()
        merged0, late0, frames0 = job.merger.merged_units, job.late_s, job.frames
        merge_cpu0 = job.merger.merge_cpu_seconds
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        merged, late = job.merger.merged_units - merged0, job.late_s - late0
        merge_cpu = job.merger.merge_cpu_seconds - merge_cpu0
        received = job.frames - frames0
        lag = supervisor.stats()["loop_lag"]
        job.stop_issuing = True
        supervisor.request_stop("measured", force=True)
        await running
        await job.finish(force=True)
    finally:
        run.close()
    per_frame = cpu / max(1, merged)
    return {"workers": workers, "frames_per_s_offered": round(workers * frames_per_s, 1),
            "frames_per_s_received": round(received / wall, 1), "frames_per_s_merged": round(merged / wall, 1),
            "supervisor_cpu_cores": round(cpu / wall, 3), "supervisor_cpu_ms_per_frame": round(per_frame * 1e3, 3),
            "merge_cpu_ms_per_frame": round(merge_cpu / max(1, merged) * 1e3, 3),
            "loop_lag_p99_ms": lag["p99_ms"], "loop_lag_max_ms": lag["max_ms"],
            "late_share": round(late / max(1e-9, workers * wall), 4), "waited_for_credit": late > 0.05 * wall,
            "feedable_real_workers": round(1.0 / (per_frame * frames_per_s), 1) if merged else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="16,64,128,256")
    parser.add_argument("--specs", default="quick,mid")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--result-seconds", default=str(DEFAULT_RESULT_SECONDS),
                        help="kernel seconds a real worker holds per result, comma-separated (0.1: the training "
                             "default; a run paces longer results as merging gets busy, holdem.training.pacing)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "capacity.json")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
                              "goals": GOALS, "settings": vars(args) | {"out": str(args.out)}, "specs": {}}
    periods = [float(x) for x in str(args.result_seconds).split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as tmp:
        for spec, result_seconds in ((s, t) for s in args.specs.split(",") for t in periods):
            label = spec if result_seconds == DEFAULT_RESULT_SECONDS else f"{spec}, {result_seconds:g} s results"
            recording = Path(tmp) / f"{spec}-{result_seconds:g}"
            print(f"{label}: recording real results ...", file=sys.stderr, flush=True)
            recorded = record(spec, result_seconds, max(4, round(1.2 / result_seconds)), 3.0, recording)
            rate = recorded["real_frames_per_worker_per_s"]
            window_s = max(args.seconds, 4 * result_seconds)
            runs = []
            for n in counts:
                needed = n * ARENA_SLOTS * recorded["frame_bytes_mean"] + sum(
                    f.stat().st_size for f in recording.iterdir())
                if needed > 0.8 * psutil.virtual_memory().available:
                    why = (f"{n} replay workers need {needed / 2**30:.1f} GiB ({ARENA_SLOTS} arena slots of "
                           f"{recorded['frame_bytes_mean'] / 2**20:.0f} MiB results each, and the shared recording), "
                           "over 80% of what is free here")
                    print(f"{label}: {n} replay workers skipped: {why}", file=sys.stderr, flush=True)
                    runs.append({"workers": n, "skipped": why, "feedable_real_workers": None,
                                 "supervisor_cpu_ms_per_frame": None})
                    continue
                print(f"{label}: {n} replay workers at {rate:.2f} frames/s each ...", file=sys.stderr, flush=True)
                result = run_async(feed(spec, recording, n, recorded, result_seconds, window_s,
                                        Path(tmp) / f"{spec}-{result_seconds:g}-{n}"))
                runs.append(result)
                print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)
            best = max((r["feedable_real_workers"] or 0 for r in runs), default=0)
            report["specs"][label] = {"spec": spec, "recording": recorded | {"result_seconds": result_seconds},
                                      "runs": runs, "feedable_real_workers": best}
    fed_quick = max((v["feedable_real_workers"] or 0 for v in report["specs"].values() if v["spec"] == "quick"),
                    default=None)
    report["measured"] = {"feedable_workers_quick": fed_quick,
                          "supervisor_cpu_ms_per_result": {s: min(r["supervisor_cpu_ms_per_frame"] for r in v["runs"]
                                                                   if r["supervisor_cpu_ms_per_frame"] is not None)
                                                           for s, v in report["specs"].items()}}
    report["met"] = {
        "feedable_workers_quick": (fed_quick or 0) >= GOALS["feedable_workers_quick"],
        "supervisor_cpu_ms_per_result": {s: v <= GOALS["supervisor_cpu_ms_per_result"]
                                         for s, v in report["measured"]["supervisor_cpu_ms_per_result"].items()},
    }
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["measured"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
