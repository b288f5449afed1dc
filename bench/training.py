"""Benchmark blueprint training as users run it: speed with 1 and 2 workers, each worker's CPU, the
supervisor's cost per result, loop lag, and the per-core efficiency against the bare kernel.

Each case is a real training in a child process, sampled with psutil from outside (each worker's CPU
separately): Leduc; heads-up ``quick`` menu and buckets; and the seed's own command, the 5-hour config
(``mid`` menu and buckets) with 2 workers at ``--batch-size 100`` and at ``auto``, against one worker
in-process, and two in-process trainings at once (independent processes: what two cores give two copies of
the program with nothing shared, the ceiling two workers can reach). A two-worker heads-up run checkpointing
every second measures the loop lag then. The bare kernel (no merging, no files) runs for comparison, on the
tables each run ended with. With ``--repeat N`` the cases run in N interleaved rounds and each reports its
median round. Writes ``bench/results/training.json``::

    python -m bench.training [--quick] [--seconds S] [--games leduc,hunl,seed] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from orchestrator.events import percentile

ROOT = Path(__file__).resolve().parents[1]

GOALS = {"speedup_2_vs_1": 1.85, "checkpoint_loop_lag_p99_ms": 20.0, "worker_cpu_percent_batch_100": 90.0,
         "worker_cpu_percent_auto": 95.0, "loop_lag_p99_ms": 5.0, "supervisor_cpu_ms_per_result": 0.5,
         "per_core_efficiency": 0.9}
SAMPLE_S = 0.25
STOLEN = -1
"""Where a CPU sample keeps the seconds the host took from this machine's cores (no process has this id)."""
QUIET = {"checkpoint_interval_seconds": 1e6, "snapshot_interval_seconds": 1e6, "progress_interval_seconds": 1.0}


# ---- child: one training, with the supervisor's loop-lag timeline -------------------------------------


def child_main(spec_path: str) -> int:
    """Run one case as the spec says and write the supervisor's loop-lag timeline next to the events (its own
    samples, every ``holdem.training.job.LAG_INTERVAL_S``: a second timer here would wake the loop and be
    counted as its CPU)."""
    from holdem.training import create, train
    from holdem.training.config import build_config
    from holdem.training.job import train_parallel
    from orchestrator import EventLog
    from orchestrator.loop import run_async

    spec = json.loads(Path(spec_path).read_text())
    config = build_config(spec["config"])
    logdir = Path(spec["logdir"])
    samples: list[tuple[float, float]] = []
    if spec["mode"] == "inprocess":
        outcome = train(config, logdir)
    else:
        run = create(config, logdir, shared=True)
        events = EventLog(str(run.paths.events))
        try:
            events.emit("run_start", game=run.game.name, workers=config.workers, rows=run.tree.num_rows,
                        regret_mode=run.regret_mode, max_actions=run.tree.max_actions, memory=run.memory,
                        resumed_from=None, iterations=0, config=config.to_dict())
            outcome = run_async(train_parallel(run, events, None, lag_timeline=samples))
            events.emit("run_end", iterations=outcome.iterations, seconds=round(outcome.seconds, 3),
                        reason=outcome.reason, exploitability=outcome.exploitability, restarts=outcome.restarts,
                        error=outcome.error)
        finally:
            events.close()
            run.close()
    (logdir / "lag.json").write_text(json.dumps({"samples": samples, "reason": outcome.reason,
                                                 "error": outcome.error}))
    return 0 if outcome.error is None else 1


# ---- parent: launch, sample CPU from outside, read the events --------------------------------------------


def _cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _sample(root: psutil.Process, seen: dict[int, float]) -> tuple[float, float, dict[int, float]]:
    """(wall time, CPU s of the root process, CPU s of each descendant ever seen, and under ``STOLEN`` the CPU
    seconds the machine's host has taken from all its cores)."""
    now = time.time()
    own = _cpu(root)
    for child in root.children(recursive=True):
        try:
            seen[child.pid] = _cpu(child)
        except psutil.Error:
            pass
    return now, own, {**seen, STOLEN: float(getattr(psutil.cpu_times(), "steal", 0.0))}


def _at(samples: list[tuple[float, float, dict[int, float]]], ts: float, pid: int | None) -> float:
    """Linear interpolation of the root's (``pid`` None) or one descendant's CPU seconds at wall time ``ts``."""
    def value(sample: tuple[float, float, dict[int, float]]) -> float:
        return sample[1] if pid is None else sample[2].get(pid, 0.0)

    for a, b in zip(samples, samples[1:]):
        if a[0] <= ts <= b[0]:
            w = 0.0 if b[0] == a[0] else (ts - a[0]) / (b[0] - a[0])
            return value(a) + w * (value(b) - value(a))
    return value(samples[0]) if ts < samples[0][0] else value(samples[-1])


def _read_events(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path) as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def _ms_stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(percentile(ordered, 50), 3), "p99_ms": round(percentile(ordered, 99), 3),
            "max_ms": round(ordered[-1] if ordered else 0.0, 3), "samples": len(ordered)}


def run_case(name: str, raw: dict[str, Any], mode: str, workers: int, seconds: float, warmup: float,
             workdir: Path) -> dict[str, Any]:
    """One training in a child process (mode ``pair``: two in-process trainings at once, each in its own child,
    what two independent processes get from this machine); it/s over the steady window, CPU split, lag,
    checkpoints."""
    if mode != "pair":
        child = _launch(name, raw, mode, workers, seconds, warmup, workdir / name)
        return _measure(child, raw, mode, workers, warmup, _watch([child])[0])
    children = [_launch(name, raw, "inprocess", 1, seconds, warmup, workdir / name / side) for side in ("a", "b")]
    return _together([_measure(child, raw, "inprocess", 1, warmup, samples)
                      for child, samples in zip(children, _watch(children))])


def _together(both: list[dict[str, Any]]) -> dict[str, Any]:
    """Two runs at once as one case: their speeds, iterations and cores added, node visits per CPU-second (and per
    kernel CPU-second) over both; the other fields are the first run's."""
    window = min(r["window_s"] for r in both)
    cpu = sum(r["worker_cpu_cores"] * r["window_s"] for r in both)
    nodes = sum(r["node_visits_per_s"] * r["window_s"] for r in both)
    kernel = [r["node_visits_per_kernel_cpu_s"] for r in both if r.get("node_visits_per_kernel_cpu_s")]
    return {**both[0], "mode": "pair", "window_s": window,
            "iterations": sum(r["iterations"] for r in both),
            "node_visits_per_kernel_cpu_s": round(statistics.mean(kernel), 1) if kernel else None,
            "it_per_s": round(sum(r["it_per_s"] for r in both), 1),
            "node_visits_per_s": round(sum(r["node_visits_per_s"] for r in both), 1),
            "node_visits_per_worker_cpu_s": round(nodes / cpu, 1) if cpu > 0 else None,
            "worker_cpu_cores": round(sum(r["worker_cpu_cores"] for r in both), 3),
            "worker_cpu_percent": [c for r in both for c in r["worker_cpu_percent"]],
            "each": [{key: r.get(key) for key in ("node_visits_per_s", "worker_cpu_percent", "window_s")}
                     for r in both]}


@dataclass
class _Child:
    """A case's training process."""

    name: str
    logdir: Path
    process: subprocess.Popen
    load_before: tuple[float, float, float]


def _launch(name: str, raw: dict[str, Any], mode: str, workers: int, seconds: float, warmup: float,
            logdir: Path) -> _Child:
    logdir.mkdir(parents=True)
    load_before = os.getloadavg()
    config = {**raw, "num_workers": workers, "time_budget_seconds": warmup + seconds + 1.0, "iterations": None}
    spec = logdir / "spec.json"
    spec.write_text(json.dumps({"config": config, "logdir": str(logdir), "mode": mode}))
    with open(logdir / "child.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bench.training", "--child", str(spec)],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    return _Child(name, logdir, process, load_before)


def _watch(children: list[_Child]) -> list[list[tuple[float, float, dict[int, float]]]]:
    """Sample each child's CPU (and its descendants') until all have exited; each one's samples."""
    roots = [psutil.Process(child.process.pid) for child in children]
    seen: list[dict[int, float]] = [{} for _ in children]
    samples: list[list[tuple[float, float, dict[int, float]]]] = [[] for _ in children]
    while any(child.process.poll() is None for child in children):
        for i, child in enumerate(children):
            if child.process.poll() is None:
                try:
                    samples[i].append(_sample(roots[i], seen[i]))
                except psutil.Error:
                    pass
        time.sleep(SAMPLE_S)
    for child in children:
        if child.process.returncode != 0:
            tail = (child.logdir / "child.log").read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"case {child.name} failed with status {child.process.returncode}: "
                               f"{' | '.join(tail)}")
    return samples


def _measure(child: _Child, raw: dict[str, Any], mode: str, workers: int, warmup: float,
             samples: list[tuple[float, float, dict[int, float]]]) -> dict[str, Any]:
    """A finished case's figures from its events and the CPU samples taken from outside."""
    name, logdir = child.name, child.logdir
    events = _read_events(logdir / "events.jsonl")
    stop = min([e["ts"] for e in events if e["event"] == "stop_requested"]
               + [e["ts"] for e in events if e["event"] == "checkpoint" and e.get("reason") == "final"]
               + [float("inf")])
    progress = [e for e in events if e["event"] == "progress" and "iterations" in e and e["ts"] < stop]
    if len(progress) < 2:
        raise RuntimeError(f"case {name}: too few progress events to measure")
    t0 = progress[0]["ts"]
    steady = [e for e in progress if e["ts"] >= t0 + warmup] or progress[-2:]
    if len(steady) < 2:
        steady = progress[-2:]
    first, last = steady[0], steady[-1]
    span = last["ts"] - first["ts"]
    iterations = last["iterations"] - first["iterations"]
    own_cpu = _at(samples, last["ts"], None) - _at(samples, first["ts"], None)
    worker_pids = [e["pid"] for e in events if e["event"] == "ready" and e["ts"] < first["ts"]]
    per_worker = {pid: _at(samples, last["ts"], pid) - _at(samples, first["ts"], pid) for pid in worker_pids}
    stolen = _at(samples, last["ts"], STOLEN) - _at(samples, first["ts"], STOLEN)
    worker_cpu = own_cpu if mode == "inprocess" else sum(per_worker.values())
    supervisor_cpu = None if mode == "inprocess" else own_cpu
    nodes = last.get("nodes", 0) - first.get("nodes", 0)
    result: dict[str, Any] = {
        "mode": mode, "workers": workers, "batch": raw.get("batch_size") or "auto", "window_s": round(span, 3),
        "iterations": iterations, "it_per_s": round(iterations / span, 1),
        "node_visits_per_s": round(nodes / span, 1),
        "it_per_worker_cpu_s": round(iterations / worker_cpu, 1) if worker_cpu > 0 else None,
        "node_visits_per_worker_cpu_s": round(nodes / worker_cpu, 1) if worker_cpu > 0 else None,
        "worker_cpu_cores": round(worker_cpu / span, 3),
        "worker_cpu_percent": [round(100 * c / span, 1) for c in per_worker.values()] if per_worker else
        [round(100 * own_cpu / span, 1)],
        "host_steal_share": round(stolen / (span * (os.cpu_count() or 1)), 4),
        "load_avg_before": [round(x, 2) for x in child.load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "regret_mode": next((e.get("regret_mode") for e in events if e["event"] == "run_start"), None),
        "batch_size_end": last.get("batch_size"),
        "result_seconds_end": last.get("result_seconds"),
    }

    def grew(key: str) -> float:
        """How much a progress counter grew over the window (0 where the run does not report it)."""
        return (last.get(key) or 0) - (first.get(key) or 0)

    split = {part: grew(f"worker_{part}_cpu_s") for part in ("kernel", "pack", "refresh", "merge")}
    if worker_cpu > 0 and split["kernel"] > 0:
        shares = {part: round(seconds / worker_cpu, 4) for part, seconds in split.items() if seconds > 0}
        result["worker_cpu_split"] = shares | {"other": round(1.0 - sum(shares.values()), 4)}
        result["node_visits_per_kernel_cpu_s"] = round(nodes / split["kernel"], 1)
    waits = {part: grew(f"worker_wait_{part}_s") for part in ("task", "slot")}
    if mode != "inprocess" and workers:
        result["worker_wait_share"] = {part: round(seconds / (span * workers), 4) for part, seconds in waits.items()}
    results_merged = grew("results_merged")
    if supervisor_cpu is not None and results_merged > 0:
        result["results_merged"] = results_merged
        result["batches_per_result"] = round(grew("batches_applied") / results_merged, 2)
        result["supervisor_cpu_ms_per_result"] = round(1e3 * supervisor_cpu / results_merged, 3)
        result["merge_cpu_ms_per_result"] = round(1e3 * grew("merge_cpu_s") / results_merged, 3)
        result["discount_cpu_ms_per_s"] = round(1e3 * grew("discount_cpu_s") / span, 3)
        if last.get("frames_cpu_s") is not None:
            frames = grew("frames_cpu_s")
            result["frames_cpu_ms_per_result"] = round(1e3 * frames / results_merged, 3)
            result["supervisor_other_cpu_ms_per_s"] = round(
                1e3 * (supervisor_cpu - frames - grew("merge_cpu_s") - grew("discount_cpu_s")) / span, 3)
    if supervisor_cpu is not None:
        result["supervisor_cpu_cores"] = round(supervisor_cpu / span, 4)
        result["supervisor_cpu_share"] = round(supervisor_cpu / max(1e-9, supervisor_cpu + worker_cpu), 4)
        lag_samples = json.loads((logdir / "lag.json").read_text())["samples"]
        in_window = [lag for ts, lag in lag_samples if first["ts"] <= ts <= last["ts"]]
        result["loop_lag_steady"] = _ms_stats(in_window)
        sup = [e for e in events if e["event"] == "progress" and isinstance(e.get("loop_lag"), dict)]
        result["loop_lag_supervisor_last"] = sup[-1]["loop_lag"] if sup else None
        checkpoints = [e for e in events if e["event"] == "checkpoint" and e.get("reason") != "final"
                       and first["ts"] <= e["ts"] <= last["ts"] + 1.0]
        if checkpoints:
            near = [lag for ts, lag in lag_samples if any(c["ts"] - c["seconds"] - 0.05 <= ts <= c["ts"] + 0.1
                                                          for c in checkpoints)]
            result["checkpoints"] = {
                "count": len(checkpoints), "bytes": checkpoints[-1]["bytes"],
                "write_s_mean": round(sum(c["seconds"] for c in checkpoints) / len(checkpoints), 4),
                "write_s_max": round(max(c["seconds"] for c in checkpoints), 4),
                "copy_on_loop_s_mean": round(sum(c.get("copy_s", 0.0) for c in checkpoints) / len(checkpoints), 4),
                "copy_on_loop_s_max": round(max(c.get("copy_s", 0.0) for c in checkpoints), 4),
                "loop_lag_near_checkpoints": _ms_stats(near),
            }
    final = [e for e in events if e["event"] == "checkpoint" and e.get("reason") == "final"]
    if final:
        result["final_checkpoint"] = {"bytes": final[-1]["bytes"], "write_s": final[-1]["seconds"],
                                      "copy_on_loop_s": final[-1].get("copy_s")}
    return result


def _configs(buckets: str) -> dict[str, dict[str, Any]]:
    from holdem.training.config import load_config_file

    leduc = {**load_config_file("leduc"), **QUIET}
    hunl = {**load_config_file("quickstart"), **QUIET, "buckets": buckets, "actions": "quick"}
    seed = {**load_config_file("blueprint_training_5h_parallel"), **QUIET}
    return {"leduc": leduc, "hunl": hunl, "seed": seed}


@contextmanager
def warmed_kernel(raw: dict[str, Any], warmup_s: float = 10.0, checkpoint: Path | None = None
                  ) -> Iterator[tuple[Any, Any, Any, int]]:
    """The bare kernel (no merging, no files) on a config's game, menu and buckets, ready to run: (run, its
    :class:`~holdem.mccfr.batch.BatchRunner`, config, next iteration). It reads the tables of ``checkpoint`` (a
    run's directory), else tables trained for ``warmup_s`` CPU seconds first: empty tables, with uniform
    strategies, walk the tree differently from the tables a run reads, and the walk keeps changing as they train,
    so a run is compared with the kernel on the tables it ended with."""
    from holdem.training import create, resume
    from holdem.training.config import build_config
    from holdem.training.sequential import SequentialTrainer

    config = build_config({**raw, "num_workers": 1})
    with tempfile.TemporaryDirectory(prefix="bench-kernel-") as tmp:
        run = resume(checkpoint, config, tmp) if checkpoint is not None else create(config, tmp, shared=False)
        try:
            trainer = SequentialTrainer(run)
            started = time.process_time()
            while checkpoint is None and time.process_time() - started < warmup_s:
                trainer.run_batch(trainer.batch_size)
            runner, first = trainer.runner, run.iterations_applied
            runner.accumulate(run.tables.regret, first, 10, 1, config.mccfr.kernel_params(first, run.big_blind),
                              run.tables.regret_scale)
            runner.pack()
            yield run, runner, config, first
        finally:
            run.close()


def timed_span(run: Any, runner: Any, config: Any, first: int, span: int, seconds: float, merge: bool = False
                ) -> tuple[int, float, float, float, int]:
    """Run the kernel ``span`` iterations at a time, packing its deltas after each (and with ``merge`` adding them
    to the tables, as a merge or a worker's commit does), for at least ``seconds`` of CPU: (node visits, kernel,
    packing and merging CPU seconds, next iteration)."""
    nodes, kernel_cpu, pack_cpu, merge_cpu = 0, 0.0, 0.0, 0.0
    while kernel_cpu + pack_cpu + merge_cpu < seconds:
        params = config.mccfr.kernel_params(first, run.big_blind)
        started = time.process_time()
        _, visited = runner.accumulate(run.tables.regret, first, span, 1, params, run.tables.regret_scale)
        kernel_done = time.process_time()
        deltas = runner.pack()
        packed = time.process_time()
        if merge:
            problem = run.merge(deltas.fields(), applied=first)
            if problem is not None:
                raise RuntimeError(f"the kernel's own deltas did not merge: {problem}")
        kernel_cpu += kernel_done - started
        pack_cpu += packed - kernel_done
        merge_cpu += time.process_time() - packed
        nodes, first = nodes + visited, first + span
    return nodes, kernel_cpu, pack_cpu, merge_cpu, first


def kernel_rate(raw: dict[str, Any], seconds: float, warmup_s: float = 10.0, checkpoint: Path | None = None,
                span: int = 1000, with_pack: bool = False) -> float:
    """Node visits per CPU-second of the bare kernel (see :func:`warmed_kernel`). The kernel runs ``span``
    iterations between packs of its deltas; ``with_pack`` counts the packing's CPU too, as a worker must spend
    it once per result."""
    with warmed_kernel(raw, warmup_s, checkpoint) as (run, runner, config, first):
        nodes, kernel_cpu, pack_cpu, _, _ = timed_span(run, runner, config, first, span, seconds)
    return nodes / (kernel_cpu + pack_cpu if with_pack else kernel_cpu)


def _iterations_per_pack(result: dict[str, Any]) -> int:
    """How many iterations a run's deltas gather between packs: a worker packs once per result (which may carry
    several batches), the in-process trainer once per batch."""
    if result.get("results_merged"):
        return max(1, round(result["iterations"] / result["results_merged"]))
    return max(1, int(result.get("batch_size_end") or 1000))


def _median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median node visit rate (one whole run's figures, not a mix), and every round's key
    figures: this machine's speed drifts by 10-20% between minutes, so cases run in rounds, interleaved."""
    ordered = sorted(runs, key=lambda r: r["node_visits_per_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        chosen["rounds"] = [_round_figures(r) for r in runs]
    return chosen


def _speedups(results: dict[str, Any], game: str) -> dict[str, Any]:
    one, two, seq = (results.get(f"{game}-supervisor-1"), results.get(f"{game}-supervisor-2"),
                     results.get(f"{game}-inprocess-1"))
    out: dict[str, Any] = {}
    if one and two:
        out["wall_2_vs_1_supervisor"] = round(two["node_visits_per_s"] / one["node_visits_per_s"], 3)
    if seq and two:
        out["wall_2_vs_1_inprocess"] = round(two["node_visits_per_s"] / seq["node_visits_per_s"], 3)
    b100 = results.get(f"{game}-supervisor-2-b100")
    if seq and b100:
        out["wall_2_vs_1_inprocess_batch_100"] = round(b100["node_visits_per_s"] / seq["node_visits_per_s"], 3)
    for key, run in (("wall_2_vs_1_inprocess_same_tables", two), ("wall_2_vs_1_inprocess_batch_100_same_tables", b100)):
        ratio = _same_tables_ratio(run, seq) if run and seq else None
        if ratio is not None:
            out[key] = ratio
    for key, run in (("wall_2_vs_1_inprocess_paired", two), ("wall_2_vs_1_inprocess_batch_100_paired", b100)):
        ratio = _paired_ratio(run, seq) if run and seq else None
        if ratio is not None:
            out[key] = ratio
    pair = results.get(f"{game}-inprocess-pair")
    if pair and seq:
        out["wall_two_inprocess_runs_vs_1"] = round(pair["node_visits_per_s"] / seq["node_visits_per_s"], 3)
        out["wall_two_inprocess_runs_vs_1_paired"] = _paired_ratio(pair, seq)
    for key, run in (("wall_2_vs_two_inprocess_runs", two), ("wall_2_vs_two_inprocess_runs_batch_100", b100)):
        if pair and run:
            out[key] = round(run["node_visits_per_s"] / pair["node_visits_per_s"], 3)
            out[f"{key}_paired"] = _paired_ratio(run, pair)
    return out


def _paired_ratio(run: dict[str, Any], base: dict[str, Any]) -> float | None:
    """``run`` over ``base`` in node visits/s round by round: each round runs the cases a few minutes apart, so the
    machine's drift between rounds (10-20%) cancels out of each ratio. None with one round."""
    if len(run.get("rounds") or []) < 2 or len(base.get("rounds") or []) < 2:
        return None
    return _round_by_round(run, base, lambda r: r["node_visits_per_s"])


def _same_tables_ratio(run: dict[str, Any], base: dict[str, Any]) -> float | None:
    """``run`` over ``base`` in node visits/s, each over the bare kernel's rate on the tables it ended with, round by
    round: a faster run reaches later, more trained tables, where a node visit costs more, so the raw ratio
    understates it."""
    return _round_by_round(run, base, lambda r: r.get("kernel_on_final_tables") and
                           r["node_visits_per_s"] / r["kernel_on_final_tables"])


def _round_by_round(run: dict[str, Any], base: dict[str, Any], rate: Any) -> float | None:
    """The median (the lower middle one for an even count) over rounds of ``rate(run's round)`` over ``rate(base's
    round)``, skipping rounds where either is missing; None when none is left."""
    pairs = zip(run.get("rounds") or [_round_figures(run)], base.get("rounds") or [_round_figures(base)])
    ratios = sorted(rate(a) / rate(b) for a, b in pairs if rate(a) and rate(b))
    return round(ratios[(len(ratios) - 1) // 2], 3) if ratios else None


def _round_figures(r: dict[str, Any]) -> dict[str, Any]:
    """One round's key figures, as kept for every round when cases run in several."""
    return {"node_visits_per_s": r["node_visits_per_s"], "worker_cpu_percent": r["worker_cpu_percent"],
            "node_visits_per_worker_cpu_s": r["node_visits_per_worker_cpu_s"],
            "kernel_on_final_tables": r.get("kernel_node_visits_per_cpu_s_on_final_tables"),
            "supervisor_cpu_ms_per_result": r.get("supervisor_cpu_ms_per_result"),
            "loop_lag_p99_ms": r.get("loop_lag_steady", {}).get("p99_ms"),
            "worker_wait_share": r.get("worker_wait_share"), "host_steal_share": r.get("host_steal_share")}


def _plan(games: list[str], configs: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any], str, int]]:
    plan: list[tuple[str, str, dict[str, Any], str, int]] = []
    for game in games:
        if game == "seed":
            plan += [("seed", "seed-inprocess-1", configs["seed"], "inprocess", 1),
                     ("seed", "seed-inprocess-pair", configs["seed"], "pair", 1),
                     ("seed", "seed-supervisor-2", configs["seed"], "supervisor", 2),
                     ("seed", "seed-supervisor-2-b100", {**configs["seed"], "batch_size": 100}, "supervisor", 2)]
            continue
        for mode, workers in (("supervisor", 1), ("supervisor", 2), ("inprocess", 1)):
            plan.append((game, f"{game}-{mode}-{workers}", configs[game], mode, workers))
    if "hunl" in games:
        plan.append(("hunl", "hunl-checkpoints-2", {**configs["hunl"], "checkpoint_interval_seconds": 1.0},
                     "supervisor", 2))
    return plan


def _efficiency(results: dict[str, Any], kernels: dict[str, float]) -> dict[str, Any]:
    """Node visits per worker CPU-second in each run over the bare kernel's on the tables the run ended with;
    independent learners read private tables no checkpoint holds, so for them the kernel on briefly trained ones,
    measured right after the run (one measurement at the end put Leduc's runs at 1.2-1.3 of a kernel caught in a
    slow minute)."""
    out: dict[str, Any] = {}
    for name, r in results.items():
        rate = (r.get("kernel_node_visits_per_cpu_s_on_final_tables")
                or r.get("kernel_node_visits_per_cpu_s_briefly_trained") or kernels.get(r["game"]))
        if rate and r.get("node_visits_per_worker_cpu_s"):
            out[name] = round(r["node_visits_per_worker_cpu_s"] / rate, 3)
    return out


def main() -> int:
    """Run the cases, write the JSON report and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized: short windows, tiny buckets, no seed config")
    parser.add_argument("--buckets", choices=("quick", "tiny"), help="heads-up bucket spec (default quick)")
    parser.add_argument("--seconds", type=float, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, help="seconds before measuring (default 10: result pacing settles)")
    parser.add_argument("--games", help="comma-separated subset of leduc,hunl,seed (default all; --quick: leduc,hunl)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every case, interleaved; each case reports its median round (default 1)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "training.json"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(args.child)
    buckets = args.buckets or ("tiny" if args.quick else "quick")
    seconds = args.seconds or (3.0 if args.quick else 20.0)
    warmup = args.warmup if args.warmup is not None else (1.5 if args.quick else 10.0)
    games = [g for g in (args.games or ("leduc,hunl" if args.quick else "leduc,hunl,seed")).split(",") if g]
    configs = _configs(buckets)
    started = time.time()
    kernel_s = 2.0 if args.quick else 5.0
    rounds: dict[str, list[dict[str, Any]]] = {}
    for round_index in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
            for game, name, raw, mode, workers in _plan(games, configs):
                print(f"running {name} ({seconds:.0f} s measured, round {round_index + 1} of {args.repeat}) ...",
                      file=sys.stderr, flush=True)
                result = {"game": game, **run_case(name, raw, mode, workers, seconds, warmup, Path(tmp))}
                if result["regret_mode"] != "independent":
                    logdir = Path(tmp) / name / "a" if mode == "pair" else Path(tmp) / name
                    result["kernel_node_visits_per_cpu_s_on_final_tables"] = round(
                        kernel_rate(raw, kernel_s, checkpoint=logdir), 1)
                    span = _iterations_per_pack(result)
                    result["kernel_with_pack_node_visits_per_cpu_s"] = {
                        "iterations_per_pack": span,
                        "rate": round(kernel_rate(raw, kernel_s, checkpoint=logdir, span=span, with_pack=True), 1)}
                else:
                    result["kernel_node_visits_per_cpu_s_briefly_trained"] = round(
                        kernel_rate(raw, kernel_s, 2.0 if args.quick else 10.0), 1)
                rounds.setdefault(name, []).append(result)
    results = {name: _median_round(runs) for name, runs in rounds.items()}
    briefly: dict[str, list[float]] = {}
    for r in (r for runs in rounds.values() for r in runs if "kernel_node_visits_per_cpu_s_briefly_trained" in r):
        briefly.setdefault(r["game"], []).append(r["kernel_node_visits_per_cpu_s_briefly_trained"])
    kernels = {game: statistics.median(rates) for game, rates in briefly.items()}
    speedups = {game: _speedups(results, game) for game in games}
    efficiency = _efficiency(results, kernels)
    ckpt = results.get("hunl-checkpoints-2", {}).get("checkpoints")
    seed_auto, seed_100 = results.get("seed-supervisor-2", {}), results.get("seed-supervisor-2-b100", {})
    measured = {
        "speedup_2_vs_1": {g: s.get("wall_2_vs_1_inprocess") for g, s in speedups.items()},
        "checkpoint_loop_lag_p99_ms": ckpt["loop_lag_near_checkpoints"]["p99_ms"] if ckpt else None,
        "steady_loop_lag_p99_ms_during_checkpoint_run":
            results.get("hunl-checkpoints-2", {}).get("loop_lag_steady", {}).get("p99_ms"),
        "worker_cpu_percent_batch_100": min(seed_100.get("worker_cpu_percent") or [None]),
        "worker_cpu_percent_auto": min(seed_auto.get("worker_cpu_percent") or [None]),
        "loop_lag_p99_ms": {name: r.get("loop_lag_steady", {}).get("p99_ms") for name, r in results.items()
                            if r["mode"] == "supervisor" and r["workers"] == 2},
        "supervisor_cpu_ms_per_result": {name: r.get("supervisor_cpu_ms_per_result") for name, r in results.items()
                                         if r.get("supervisor_cpu_ms_per_result") is not None},
        "per_core_efficiency": efficiency,
        "seed_speedup_batch_100": speedups.get("seed", {}).get("wall_2_vs_1_inprocess_batch_100"),
        "speedup_2_vs_1_same_tables": {g: s.get("wall_2_vs_1_inprocess_same_tables") for g, s in speedups.items()},
        "seed_speedup_batch_100_same_tables":
            speedups.get("seed", {}).get("wall_2_vs_1_inprocess_batch_100_same_tables"),
        "speedup_2_vs_1_paired": {g: s.get("wall_2_vs_1_inprocess_paired") for g, s in speedups.items()},
        "seed_speedup_batch_100_paired": speedups.get("seed", {}).get("wall_2_vs_1_inprocess_batch_100_paired"),
        "seed_two_inprocess_runs_vs_1": speedups.get("seed", {}).get("wall_two_inprocess_runs_vs_1"),
        "seed_two_inprocess_runs_vs_1_paired": speedups.get("seed", {}).get("wall_two_inprocess_runs_vs_1_paired"),
        "seed_supervisor_2_vs_two_inprocess_runs": speedups.get("seed", {}).get("wall_2_vs_two_inprocess_runs"),
        "seed_supervisor_2_vs_two_inprocess_runs_paired":
            speedups.get("seed", {}).get("wall_2_vs_two_inprocess_runs_paired"),
    }

    def at_least(value: Any, goal: float) -> bool | None:
        return None if value is None else value >= goal

    met = {
        "speedup_2_vs_1": {g: at_least(v, GOALS["speedup_2_vs_1"]) for g, v in measured["speedup_2_vs_1"].items()},
        "checkpoint_loop_lag_p99_ms": measured["checkpoint_loop_lag_p99_ms"] is not None
        and measured["checkpoint_loop_lag_p99_ms"] < GOALS["checkpoint_loop_lag_p99_ms"],
        "worker_cpu_percent_batch_100": at_least(measured["worker_cpu_percent_batch_100"],
                                                 GOALS["worker_cpu_percent_batch_100"]),
        "worker_cpu_percent_auto": at_least(measured["worker_cpu_percent_auto"], GOALS["worker_cpu_percent_auto"]),
        "loop_lag_p99_ms": {k: None if v is None else v < GOALS["loop_lag_p99_ms"]
                            for k, v in measured["loop_lag_p99_ms"].items()},
        "supervisor_cpu_ms_per_result": {k: v <= GOALS["supervisor_cpu_ms_per_result"]
                                         for k, v in measured["supervisor_cpu_ms_per_result"].items()},
        "per_core_efficiency": {k: v >= GOALS["per_core_efficiency"] for k, v in efficiency.items()},
    }
    import numba
    import numpy

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": numpy.__version__,
                    "numba": numba.__version__, "load_avg_end": [round(x, 2) for x in os.getloadavg()]},
        "note": "worker CPU is sampled from outside per worker process; wall-clock speedups depend on the cores "
                "the workers got, node_visits_per_worker_cpu_s does not. per_core_efficiency is a run's node "
                "visits per worker CPU-second over the bare kernel's (no merging, no files) on the tables the run "
                "ended with (its final checkpoint), or for independent learners (private tables, no checkpoint holds "
                "them) on tables trained briefly, measured right after each run (kernel_node_visits_per_cpu_s: "
                "their median, only for those games)",
        "settings": {"quick": args.quick, "buckets": buckets, "seconds": seconds, "warmup_s": warmup,
                     "rounds": args.repeat,
                     "total_s": round(time.time() - started, 1)},
        "kernel_node_visits_per_cpu_s": {g: round(v, 1) for g, v in kernels.items()},
        "goals": GOALS, "measured": measured, "met": met, "speedups": speedups, "results": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'case':<24} {'nodes/s':>12} {'worker cpu %':>16} {'eff':>5} {'sup ms/res':>10} {'lag p99':>8} {'load':>5}")
    for name, r in results.items():
        lag = r.get("loop_lag_steady", {}).get("p99_ms")
        cpu = "/".join(f"{c:.0f}" for c in r["worker_cpu_percent"])
        per = r.get("supervisor_cpu_ms_per_result")
        print(f"{name:<24} {r['node_visits_per_s']:>12,.0f} {cpu:>16} {efficiency.get(name, 0):>5.2f} "
              f"{'-' if per is None else f'{per:.2f}':>10} {'-' if lag is None else f'{lag:.1f}ms':>8} "
              f"{r['load_avg_before'][0]:>5.1f}")
    for game, sp in speedups.items():
        print(f"{game}: {sp}")
    print(f"goals {GOALS}; met {met}; load average {report['machine']['load_avg_end']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
