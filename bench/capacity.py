"""How many workers one supervisor can feed, measured without the cores: replay workers at 16 ... 256.

Real results are recorded once (heads-up ``quick`` and the 5-hour config's ``mid``: a worker's deltas after
``--result-seconds`` of kernel time, after a short warm-up so strategies are no longer uniform). Then N
replay workers (``bench/replay_worker.py``: processes that sleep and send those recorded results at the
real per-worker frame rate) feed one real supervisor and training job, which merges every frame into the
real master tables. Reported per N: merged frames/s, supervisor CPU per frame (its process, merge thread
included), loop-lag p99, the share of their time the replay workers waited (for a task or an arena slot),
whether they were fed (sent at least 95% of their real rate, waiting at most 5% of the time), and the number
of real workers one supervisor feeds at that frame rate: 1 / (CPU per frame x real frames per worker per
second), a projection from one core's worth of supervisor.

A fixed frame rate is not what a run does: its pacer (:mod:`holdem.training.pacing`) lengthens results while
merging takes more than its budget. The ``paced`` cases show that: replay workers send the result length the
run asks for (recorded 0.1 s results, and 2, 4, ... 32 of them summed, which is what a worker holding them
all would send), measured once the pacer has settled, and ``workers_fed`` is the most workers that were fed.
Writes ``bench/results/capacity.json``::

    python -m bench.capacity [--workers 16,64,128,256] [--seconds 10] [--specs quick,mid] [--no-paced]
                             [--no-merges | --no-commits] [--update]
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

from bench.frames import Frame, kernel_frames
from holdem.abstraction.actions import load_menu
from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.store import spec_path
from holdem.abstraction.tree import build_tree
from holdem.games import load_game
from holdem.mccfr import MCCFRConfig, PackedDeltas
from holdem.mccfr.batch import merge_deltas
from holdem.training import TrainConfig, create
from holdem.training.job import ARENA_SLOTS, BlueprintJob, supervisor_config
from holdem.training.sequential import SequentialTrainer
from orchestrator import EventLog, Supervisor, WorkerSpec
from orchestrator.loop import run_async

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"feedable_workers_quick": 256, "supervisor_cpu_ms_per_result": 0.5}
SPECS = {"quick": ("quick", "quick"), "mid": ("mid", "mid")}
DEFAULT_RESULT_SECONDS = 0.1
PACED_LENGTHS = 6
"""Paced replay workers send results of 0.1 s of kernel time up to 2**5 = 32 times that (3.2 s)."""
PACED_LENGTHS_BASE_FRAMES = 64
SETTLED_S = 6.0
SETTLE_LIMIT_S = 120.0
"""A pacer that has not settled by then is measured as it is (and reported ``settled: false``)."""
FED_SHARE = 0.95
"""A worker is fed when it sends at least this share of its real rate, waiting at most the rest of its time."""


def record(spec: str, result_seconds: float, frames: int, warmup_s: float, out: Path, lengths: int = 1
           ) -> dict[str, Any]:
    """Run the kernel like a worker and keep ``frames`` results of ``result_seconds`` of kernel time each, as
    ``.npy`` files in the folder ``out/0`` (replay workers map them, so N workers share one copy); with
    ``lengths`` > 1, also results 2, 4, ... times as long in ``out/1``, ``out/2``...: consecutive results summed,
    which is what a worker holding them all would have sent (rows: their union; deltas: their sums)."""
    menu, buckets = SPECS[spec]
    game = load_game("hunl")
    abstraction = CardAbstraction.load(spec_path(game, buckets), game)
    tree = build_tree(game, load_menu(menu), [int(x) for x in abstraction.num_buckets])
    trainer = SequentialTrainer.for_tree(tree, abstraction, MCCFRConfig(seed=1), batch_size=2000)
    started = time.process_time()
    while time.process_time() - started < warmup_s:
        trainer.run_batch(2000)
    recorded = kernel_frames(trainer, frames, result_seconds, 500)
    levels = []
    for level in range(lengths):
        group = 1 << level
        combined = recorded if level == 0 else [_combine(recorded[i: i + group], trainer.runner.num_actions)
                                                for i in range(0, len(recorded) - group + 1, group)]
        if not combined:
            break
        _save(combined, out / str(level))
        levels.append(_recording_figures(combined) | {"results": len(combined)})
    return levels[0] | {"rows": tree.num_rows, "lengths": levels}


def _combine(frames: list[Frame], num_actions: np.ndarray) -> Frame:
    return Frame(merge_deltas([f.deltas for f in frames], num_actions), sum(f.seconds for f in frames),
                 sum(f.iterations for f in frames), sum(f.nodes for f in frames))


def _save(frames: list[Frame], folder: Path) -> None:
    arrays: dict[str, np.ndarray] = {"nodes": np.asarray([f.nodes for f in frames], dtype=np.int64),
                                     "seconds": np.asarray([f.seconds for f in frames], dtype=np.float64)}
    for name in PackedDeltas.FIELDS:
        parts = [getattr(f.deltas, name) for f in frames]
        arrays[name] = np.concatenate(parts)
        arrays[f"{name}_offsets"] = np.cumsum([0] + [len(part) for part in parts])
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)


def _recording_figures(frames: list[Frame]) -> dict[str, float]:
    seconds = float(np.mean([f.seconds for f in frames]))
    return {"frame_rows_mean": float(np.mean([f.deltas.rows().shape[0] for f in frames])),
            "frame_bytes_mean": float(np.mean([f.deltas.nbytes for f in frames])),
            "iterations_per_frame": float(np.mean([f.iterations for f in frames])),
            "kernel_seconds_per_frame": seconds, "real_frames_per_worker_per_s": 1.0 / seconds}


class ReplayJob(BlueprintJob):
    """The real training job, also adding up how late the replay workers sent and how much work their results
    held."""

    late_s = 0.0
    held_s = 0.0
    content_s = 0.0
    frames = 0

    def accept(self, delivery: Any) -> None:
        self.late_s += float(delivery.payload.get("replay_late_s", 0.0))
        self.held_s += float(delivery.payload.get("kernel_seconds", 0.0))
        self.content_s += float(delivery.payload.get("replay_content_s", 0.0))
        self.frames += 1
        super().accept(delivery)


async def feed(spec: str, recording: Path, workers: int, recorded: dict[str, Any], result_seconds: float,
               seconds: float, logdir: Path, paced: bool = False, commits: bool = False) -> dict[str, Any]:
    """N replay workers into one supervisor for ``seconds``, from a second after all are ready and as many
    results are in as there are workers (tasks are sized from the first results: before them they are tiny).
    ``paced``: the workers send the result length the run's pacer asks for, and the window starts once the pacer
    has not changed it for ``SETTLED_S`` (and lasts at least four results); otherwise the run does not pace (its
    tasks, a whole result each, would lengthen and slow the workers below the rate measured). ``commits``: the workers
    apply their own results when their turn comes, as training workers do on float32 tables (else the supervisor
    merges them)."""
    menu, buckets = SPECS[spec]
    config = TrainConfig(game="hunl", actions=menu, buckets=buckets, num_workers=workers,
                         progress_interval_seconds=1e6, checkpoint_interval_seconds=1e6,
                         batch_target_seconds=result_seconds, mccfr=MCCFRConfig(seed=1))
    per_iteration = recorded["kernel_seconds_per_frame"] / recorded["iterations_per_frame"]
    run = create(config, logdir, shared=True)
    events = EventLog(None)
    readies: list[dict] = []
    paced_at = [0.0]

    def on_event(event: dict[str, Any]) -> None:
        if event["event"] == "ready":
            readies.append(event)
        elif event["event"] == "result_pace":
            paced_at.append(time.monotonic())

    events.subscribe(on_event)
    try:
        job = ReplayJob(run, events, None)
        if not paced:
            job.pacer = None
        journal_bytes = job.supervisor_settings["arena_journal_bytes"] if commits else 0
        settings = supervisor_config(config, job.supervisor_settings["arena_slot_bytes"], journal_bytes)
        commit_args = [f"commit={_commit_spec(run, logdir)}"] if commits else []
        worker = WorkerSpec(argv=[sys.executable, "-m", "bench.replay_worker", str(recording), repr(per_iteration),
                                  *(["paced"] if paced else []), *commit_args], cwd=str(ROOT))
        supervisor = Supervisor(job, worker, settings, events=events)
        job.supervisor = supervisor
        running = asyncio.get_running_loop().create_task(supervisor.run())
        async with asyncio.timeout(600):
            while len(readies) < workers or job.frames < workers:
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        settling = time.monotonic()
        while paced and time.monotonic() - max(settling, paced_at[-1]) < SETTLED_S:
            if time.monotonic() - settling > SETTLE_LIMIT_S:
                break
            await asyncio.sleep(0.1)
        settled = time.monotonic() - max(settling, paced_at[-1]) >= SETTLED_S
        if paced and job.pacer is not None:
            seconds = max(seconds, 4 * job.pacer.seconds)
        supervisor.reset_loop_lag()
        cpu0, wall0 = time.process_time(), time.monotonic()
        merged0, late0, frames0, held0, waited0, content0 = (job.merger.merged_units, job.late_s, job.frames,
                                                             job.held_s, job.workers_waited_s(), job.content_s)
        merge_cpu0, commit_s0, committed0 = (job.merger.merge_cpu_seconds, job.merger.commit_seconds,
                                             job.merger.committed_by_workers)
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        merged, late = job.merger.merged_units - merged0, job.late_s - late0
        merge_cpu = job.merger.merge_cpu_seconds - merge_cpu0
        commit_s, committed = job.merger.commit_seconds - commit_s0, job.merger.committed_by_workers - committed0
        received, held, waited = job.frames - frames0, job.held_s - held0, job.workers_waited_s() - waited0
        content = job.content_s - content0
        lag = supervisor.stats()["loop_lag"]
        pace = None if job.pacer is None else {"result_seconds": round(job.pacer.seconds, 3),
                                               "merge_busy": round(job.pacer.busy, 3),
                                               "budget": round(job.pacer.budget, 3), "settled": settled}
        job.stop_issuing = True
        supervisor.request_stop("measured", force=True)
        await running
        await job.finish(force=True)
    finally:
        run.close()
    per_frame = cpu / max(1, merged)
    sent_seconds = held / received if received else recorded["kernel_seconds_per_frame"]
    frames_per_s = 1.0 / sent_seconds
    offered = workers * frames_per_s
    content_seconds = content / received if received else recorded["kernel_seconds_per_frame"]
    wait_share = min(1.0, waited / max(1e-9, workers * wall))
    return {"workers": workers, "result_seconds_sent": round(content_seconds, 3),
            "seconds_between_results": round(sent_seconds, 3),
            **({"pacer": pace} if paced else {}),
            "frames_per_s_offered": round(offered, 1),
            "frames_per_s_received": round(received / wall, 1), "frames_per_s_merged": round(merged / wall, 1),
            "supervisor_cpu_cores": round(cpu / wall, 3), "supervisor_cpu_ms_per_frame": round(per_frame * 1e3, 3),
            "merge_cpu_ms_per_frame": round(merge_cpu / max(1, merged) * 1e3, 3),
            "loop_lag_p99_ms": lag["p99_ms"], "loop_lag_max_ms": lag["max_ms"],
            "late_share": round(late / max(1e-9, workers * wall), 4), "wait_share": round(wait_share, 4),
            "fed": received / wall >= FED_SHARE * offered and wait_share <= 1.0 - FED_SHARE,
            **({"frames_committed_by_workers": committed,
                "commit_wall_ms_per_frame": round(commit_s / committed * 1e3, 3) if committed else None}
               if commits else {}),
            "feedable_real_workers": _feedable(per_frame, frames_per_s, commit_s / committed if committed else None)
            if merged else None}


def _feedable(cpu_per_frame_s: float, frames_per_worker_s: float, commit_wall_s: float | None) -> float:
    """Real workers one supervisor feeds at this frame rate: one core's worth of its CPU per frame, and, when the
    workers commit, at most as many frames as one commit after another can land."""
    limit = 1.0 / (cpu_per_frame_s * frames_per_worker_s)
    if commit_wall_s:
        limit = min(limit, 1.0 / (commit_wall_s * frames_per_worker_s))
    return round(limit, 1)


def _commit_spec(run: Any, folder: Path) -> Path:
    """What a committing replay worker needs: the master tables' specs and every row's action count."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "row_actions.npy", run.row_actions)
    path = folder / "commit.json"
    path.write_text(json.dumps({"regret": run.shared.specs["regret"].to_dict(),
                                "strategy_sum": run.shared.specs["strategy_sum"].to_dict(),
                                "row_actions": str(folder / "row_actions.npy")}))
    return path


def summarize(report: dict[str, Any]) -> None:
    """The report's ``measured`` and ``met`` from its specs (also after specs of another run are merged in)."""
    quick = report["specs"].get("quick", {})
    paced_quick = report["specs"].get("quick, paced", {})
    committing = report["specs"].get("quick, workers commit", {})
    paced_committing = report["specs"].get("quick, paced, workers commit", {})
    report["measured"] = {
        "feedable_workers_quick": quick.get("feedable_real_workers"),
        "workers_fed_quick_paced": paced_quick.get("workers_fed"),
        "feedable_workers_quick_workers_commit": committing.get("feedable_real_workers"),
        "workers_fed_quick_paced_workers_commit": paced_committing.get("workers_fed"),
        "supervisor_cpu_ms_per_result": {s: min((r["supervisor_cpu_ms_per_frame"] for r in v["runs"]
                                                 if r["supervisor_cpu_ms_per_frame"] is not None), default=None)
                                         for s, v in report["specs"].items()}}
    goal = GOALS["feedable_workers_quick"]
    report["met"] = {
        "feedable_workers_quick": None if not quick else (quick["feedable_real_workers"] or 0) >= goal,
        "workers_fed_quick_paced": None if not paced_quick else paced_quick["workers_fed"] >= goal,
        "feedable_workers_quick_workers_commit": None if not committing
        else (committing["feedable_real_workers"] or 0) >= goal,
        "workers_fed_quick_paced_workers_commit": None if not paced_committing
        else paced_committing["workers_fed"] >= goal,
        "supervisor_cpu_ms_per_result": {s: None if v is None else v <= GOALS["supervisor_cpu_ms_per_result"]
                                         for s, v in report["measured"]["supervisor_cpu_ms_per_result"].items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="16,64,128,256")
    parser.add_argument("--specs", default="quick,mid")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--result-seconds", default=str(DEFAULT_RESULT_SECONDS),
                        help="kernel seconds a real worker holds per result, comma-separated (0.1: the training "
                             "default; a run paces longer results as merging gets busy, holdem.training.pacing)")
    parser.add_argument("--paced", action=argparse.BooleanOptionalAction, default=True,
                        help="also run replay workers that send the result length the run's pacer asks for "
                             "(0.1 to 3.2 s of kernel time; default on)")
    parser.add_argument("--fixed", action=argparse.BooleanOptionalAction, default=True,
                        help="run the fixed result lengths of --result-seconds (default on)")
    parser.add_argument("--merges", action=argparse.BooleanOptionalAction, default=True,
                        help="run each case with the supervisor merging every result (default on)")
    parser.add_argument("--commits", action=argparse.BooleanOptionalAction, default=True,
                        help="run each case with workers that apply their own results, as training workers on "
                             "float32 tables do (default on)")
    parser.add_argument("--update", action="store_true",
                        help="keep the cases of the existing --out file that this run does not measure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "capacity.json")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
                              "goals": GOALS, "settings": vars(args) | {"out": str(args.out)}, "specs": {}}
    periods = [float(x) for x in str(args.result_seconds).split(",")]
    cases = [(spec, seconds, False) for spec in args.specs.split(",") for seconds in periods if args.fixed]
    if args.paced:
        cases += [(spec, DEFAULT_RESULT_SECONDS, True) for spec in args.specs.split(",")]
    modes = [mode for mode, wanted in ((False, args.merges), (True, args.commits)) if wanted]
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as tmp:
        recordings: dict[str, dict[str, Any]] = {}
        for (spec, result_seconds, paced), commits in [(case, mode) for case in cases for mode in modes]:
            case_label = (f"{spec}, paced" if paced else spec if result_seconds == DEFAULT_RESULT_SECONDS
                          else f"{spec}, {result_seconds:g} s results")
            label = case_label + (", workers commit" if commits else "")
            recording = Path(tmp) / case_label.replace(", ", "-").replace(" ", "")
            if case_label not in recordings:
                print(f"{case_label}: recording real results ...", file=sys.stderr, flush=True)
                frames = PACED_LENGTHS_BASE_FRAMES if paced else max(4, round(1.2 / result_seconds))
                recordings[case_label] = record(spec, result_seconds, frames, 3.0, recording,
                                                PACED_LENGTHS if paced else 1)
            recorded = recordings[case_label]
            rate = recorded["real_frames_per_worker_per_s"]
            window_s = max(args.seconds, 4 * result_seconds)
            largest = max(length["frame_bytes_mean"] for length in recorded["lengths"])
            runs = []
            for n in counts:
                needed = n * ARENA_SLOTS * largest + sum(f.stat().st_size for f in recording.rglob("*.npy"))
                if needed > 0.8 * psutil.virtual_memory().available:
                    why = (f"{n} replay workers need {needed / 2**30:.1f} GiB ({ARENA_SLOTS} arena slots of "
                           f"{largest / 2**20:.0f} MiB results each, and the shared recording), "
                           "over 80% of what is free here")
                    print(f"{label}: {n} replay workers skipped: {why}", file=sys.stderr, flush=True)
                    runs.append({"workers": n, "skipped": why, "feedable_real_workers": None,
                                 "supervisor_cpu_ms_per_frame": None})
                    continue
                print(f"{label}: {n} replay workers" + (" ..." if paced else f" at {rate:.2f} frames/s each ..."),
                      file=sys.stderr, flush=True)
                result = run_async(feed(spec, recording, n, recorded, result_seconds, window_s,
                                        Path(tmp) / f"{recording.name}-{n}{'-commit' if commits else ''}", paced,
                                        commits))
                runs.append(result)
                print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)
            report["specs"][label] = {
                "spec": spec, "paced": paced, "workers_commit": commits,
                "recording": recorded | {"result_seconds": result_seconds},
                "runs": runs, "feedable_real_workers": max((r["feedable_real_workers"] or 0 for r in runs), default=0),
                "workers_fed": max((r["workers"] for r in runs if r.get("fed")), default=0)}
    if args.update and args.out.is_file():
        kept = {k: v for k, v in json.loads(args.out.read_text()).get("specs", {}).items() if k not in report["specs"]}
        report["settings"]["kept_from_earlier_run"] = sorted(kept)
        report["specs"] = {**kept, **report["specs"]}
    summarize(report)
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["measured"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
