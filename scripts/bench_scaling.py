"""Scaling and CPU-flatness benchmark: holdem's supervisor against the queue-polling pool our users had.

Trains Leduc and heads-up no-limit for a fixed wall time with 1..cores workers (and twice the cores), in a
subprocess sampled from outside at 10 Hz (CPU% and run-queue wait of every worker and of the supervisor), then
sweeps ``--batch-size`` at the core count and kills a worker mid-run; ``bench/baselines/queue_pool.py`` runs
the same kernel the same way in the same session. Writes ``bench/results/scaling.json`` and PNGs of CPU
traces, it/s against workers and the batch-size sweep::

    python scripts/bench_scaling.py [--quick] [--seconds S] [--buckets tiny|quick] [--games leduc,hunl]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
BASELINE = ROOT / "bench" / "baselines" / "queue_pool.py"
GOALS = {"efficiency_at_2_workers": 0.95, "sawtooth_index": 0.01, "loop_lag_p99_ms": 5.0, "feedable_workers": 64}
BUSY_CPU_PERCENT = 50.0
SAMPLE_HZ = 10.0
BOOT_TIMEOUT_S = 240.0
GAME_CONFIGS = {"leduc": "leduc", "hunl": "quickstart"}
CONFIG_OVERRIDES: dict[str, Any] = {"progress_interval_seconds": 1.0, "checkpoint_interval_seconds": 3600,
                                    "snapshot_interval_seconds": 3600}
HUNL_OVERRIDES: dict[str, Any] = {"pruning_warmup": 0}
SWEEP_BATCHES = {"leduc": [64, 4096, 262144], "hunl": [16, 1024, 65536]}


# ---- the math --------------------------------------------------------------------------------------------------

def sawtooth_index(cpu_percents: Iterable[float], threshold: float = BUSY_CPU_PERCENT) -> float:
    """Share of samples of busy workers in which the worker ran below ``threshold`` % of a core."""
    values = list(cpu_percents)
    return sum(1 for v in values if v < threshold) / len(values) if values else float("nan")


def scaling_efficiency(rate: float, workers: int, rate_one: float) -> float:
    """Speed-up over one worker divided by the worker count (1.0 is perfect linear scaling)."""
    return rate / (workers * rate_one) if rate_one > 0 and workers > 0 else float("nan")


def feedable_workers(cpu_s_per_batch: float, batches_per_worker_per_s: float) -> float:
    """Workers one supervisor core could keep fed: 1 core / (CPU per merged batch x batches per worker per s)."""
    load = cpu_s_per_batch * batches_per_worker_per_s
    return 1.0 / load if load > 0 else float("inf")


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 99)) -> dict[str, float]:
    """Nearest-rank percentiles plus the max (empty input gives NaN)."""
    ordered = sorted(values)
    out: dict[str, float] = {}
    for q in qs:
        k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.4999)) - 1))
        out[f"p{q:g}"] = ordered[k] if ordered else float("nan")
    out["max"] = ordered[-1] if ordered else float("nan")
    return out


# ---- sampling from outside -------------------------------------------------------------------------------------

@dataclass
class Trace:
    """One process's samples: wall time, CPU% and run-queue wait% over the interval before, cumulative CPU s."""

    t: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    wait: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)

    def cpu_seconds_at(self, when: float) -> float:
        """Cumulative CPU seconds at ``when`` (linear between samples, clamped at the ends)."""
        if not self.t:
            return 0.0
        if when <= self.t[0]:
            return self.cpu_s[0]
        for i in range(1, len(self.t)):
            if self.t[i] >= when:
                span = self.t[i] - self.t[i - 1]
                frac = (when - self.t[i - 1]) / span if span > 0 else 1.0
                return self.cpu_s[i - 1] + frac * (self.cpu_s[i] - self.cpu_s[i - 1])
        return self.cpu_s[-1]


def _thread_times(pid: int) -> dict[int, tuple[int, int]] | None:
    """Per-thread (ns on CPU, ns runnable but waiting for a CPU) from ``/proc/PID/task/*/schedstat``."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                run_ns, wait_ns, _ = fh.read().split()
            out[int(tid)] = (int(run_ns), int(wait_ns))
        except (OSError, ValueError):
            continue
    return out


class CpuSampler:
    """Samples a process and its children at ``hz`` in a thread; one :class:`Trace` per pid."""

    def __init__(self, root_pid: int, hz: float = SAMPLE_HZ) -> None:
        import psutil

        self.root_pid = root_pid
        self.period = 1.0 / hz
        self.traces: dict[int, Trace] = {}
        self._root = psutil.Process(root_pid)
        self._prev: dict[int, tuple[float, dict[int, tuple[int, int]]]] = {}
        self._pids = [root_pid]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[int, Trace]:
        self._stop.set()
        self._thread.join()
        return self.traces

    def _children(self) -> None:
        try:
            self._pids = [self.root_pid] + [c.pid for c in self._root.children()]
        except Exception:  # noqa: BLE001 - the root may be gone; keep the last list
            pass

    def _loop(self) -> None:
        tick = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            if tick % 3 == 0:
                self._children()
            for pid in self._pids:
                self._sample(pid)
            tick += 1
            next_at += self.period
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _sample(self, pid: int) -> None:
        threads = _thread_times(pid)
        now = time.time()
        if not threads:
            return
        prev = self._prev.get(pid)
        self._prev[pid] = (now, threads)
        if prev is None:
            return
        then, old = prev
        dt = now - then
        if dt <= 0:
            return
        run = sum(max(0, r - old.get(tid, (0, 0))[0]) for tid, (r, _) in threads.items())
        wait = sum(max(0, w - old.get(tid, (0, 0))[1]) for tid, (_, w) in threads.items())
        trace = self.traces.setdefault(pid, Trace())
        trace.t.append(now)
        trace.cpu.append(100.0 * run / 1e9 / dt)
        trace.wait.append(100.0 * wait / 1e9 / dt)
        trace.cpu_s.append((trace.cpu_s[-1] if trace.cpu_s else 0.0) + run / 1e9)


# ---- running one training --------------------------------------------------------------------------------------

class EventTail:
    """Reads new complete lines of a growing ``events.jsonl``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return self.events
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].splitlines():
            try:
                self.events.append(json.loads(line))
            except ValueError:
                continue
        return self.events


@dataclass
class Launch:
    """What to run: design (inprocess | supervisor | baseline), game, workers, batch size."""

    design: str
    game: str
    workers: int
    batch: str = "auto"
    kill_at: float | None = None

    @property
    def name(self) -> str:
        kill = "-kill" if self.kill_at is not None else ""
        return f"{self.game}-{self.design}-w{self.workers}-b{self.batch}{kill}"


def _config_file(game: str, workdir: Path) -> Path:
    """The shipped config of ``game`` with progress every second (enough points in a short window) and, for
    heads-up, pruning from the first iteration, so an iteration costs the same whatever the worker count."""
    from holdem.train_config import load_config_file

    raw = load_config_file(GAME_CONFIGS[game])
    raw.update(CONFIG_OVERRIDES)
    if game == "hunl":
        raw.update(HUNL_OVERRIDES)
    path = workdir / f"{game}.yaml"
    import yaml

    path.write_text(yaml.safe_dump(raw))
    return path


def _command(launch: Launch, config: Path, logdir: Path, seconds: float, buckets: str | None) -> list[str]:
    py = sys.executable
    extra = ["--buckets", buckets] if buckets and launch.game != "leduc" else []
    if launch.design == "baseline":
        return [py, str(BASELINE), "--config", str(config), "--logdir", str(logdir), "--time-budget", str(seconds),
                "--workers", str(launch.workers), "--batch-size", launch.batch, *extra]
    common = ["--config", str(config), "--logdir", str(logdir), "--time-budget", str(seconds),
              "--batch-size", launch.batch, "--quiet", *extra]
    if launch.design == "inprocess":
        return [py, "-m", "holdem.cli.train_blueprint", *common, "--num-workers", "1"]
    if launch.workers == 1:
        return [py, str(Path(__file__).resolve()), "--supervised-one", *common]
    return [py, "-m", "holdem.cli.train_blueprint", *common, "--num-workers", str(launch.workers)]


def _training_start(launch: Launch, events: list[dict[str, Any]]) -> float | None:
    if launch.design == "inprocess":
        for e in events:
            if e["event"] == "progress" and "iterations" in e:
                return e["ts"] - e.get("elapsed_s", 0.0)
        return None
    ready = [e["ts"] for e in events if e["event"] == "ready"]
    return max(ready[: launch.workers]) if len(ready) >= launch.workers else None


def run_one(launch: Launch, workdir: Path, seconds: float, buckets: str | None, grace_s: float) -> dict[str, Any]:
    """Run one training in a subprocess, sample it, and return its analysis (plus raw traces under ``_traces``)."""
    logdir = workdir / launch.name
    shutil.rmtree(logdir, ignore_errors=True)
    logdir.mkdir(parents=True)
    config = _config_file(launch.game, workdir)
    cmd = _command(launch, config, logdir, seconds, buckets)
    load_before = os.getloadavg()
    stderr = open(logdir / "stderr.txt", "wb")  # noqa: SIM115
    launched = time.time()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                            start_new_session=True)
    sampler = CpuSampler(proc.pid)
    sampler.start()
    tail = EventTail(logdir / "events.jsonl")
    start: float | None = None
    kill: dict[str, Any] | None = None
    hung = False
    while proc.poll() is None:
        time.sleep(0.1)
        events = tail.poll()
        now = time.time()
        start = start or _training_start(launch, events)
        if start is None and now - launched > BOOT_TIMEOUT_S:
            hung = True
            break
        if start is not None and now > start + seconds + grace_s:
            hung = True
            break
        due = launch.kill_at is not None and start is not None and now >= start + launch.kill_at * seconds
        if due and kill is None:
            pids = [e["pid"] for e in events if e["event"] == "ready"]
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                kill = {"pid": pids[0], "ts": time.time()}
    if hung:
        for pid in [proc.pid] + [e["pid"] for e in tail.poll() if e["event"] == "ready"]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    proc.wait()
    stderr.close()
    traces = sampler.stop()
    events = tail.poll()
    result = analyze(launch, events, traces, seconds, root_pid=proc.pid, kill=kill, hung=hung)
    result.update(load_avg_before=[round(x, 2) for x in load_before],
                  load_avg_after=[round(x, 2) for x in os.getloadavg()],
                  wall_s=round(time.time() - launched, 2), returncode=proc.returncode)
    if proc.returncode not in (0, None) and not hung and kill is None:
        result["stderr_tail"] = (logdir / "stderr.txt").read_text(errors="replace")[-400:]
    return result


# ---- analysis ---------------------------------------------------------------------------------------------------

def _job_progress(events: list[dict[str, Any]], lo: float, hi: float) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "progress" and "iterations" in e and lo <= e["ts"] <= hi]


def analyze(launch: Launch, events: list[dict[str, Any]], traces: dict[int, Trace], seconds: float, *,
            root_pid: int, kill: dict[str, Any] | None = None, hung: bool = False) -> dict[str, Any]:
    """Throughput, CPU flatness, supervisor cost and loop lag of one run from its events and CPU traces."""
    out: dict[str, Any] = {"name": launch.name, "design": launch.design, "game": launch.game,
                           "workers": launch.workers, "batch": launch.batch, "hung": hung}
    start = _training_start(launch, events)
    if start is None:
        out["error"] = "no training started"
        return out
    stops = [e["ts"] for e in events if e["event"] in ("stop_requested", "run_end")]
    stop = min(stops) if stops else max((t.t[-1] for t in traces.values() if t.t), default=start)
    settle = min(1.0, 0.15 * seconds)
    lo, hi = start + settle, stop - 0.1
    ready = {e["pid"]: e["ts"] for e in events if e["event"] == "ready"}
    workers = {root_pid: start} if launch.design == "inprocess" else ready
    cpu, idle = [], []
    for pid, ready_ts in workers.items():
        trace = traces.get(pid)
        if trace is None:
            continue
        for t, c, w in zip(trace.t, trace.cpu, trace.wait):
            if max(lo, ready_ts + 0.2) <= t <= hi:
                cpu.append(c)
                idle.append(c + w)
    out["samples"] = len(cpu)
    out["sawtooth_index"] = round(sawtooth_index(cpu), 4) if cpu else None
    out["idle_index"] = round(sawtooth_index(idle), 4) if idle else None
    out["mean_worker_cpu_percent"] = round(sum(cpu) / len(cpu), 1) if cpu else None
    progress = _job_progress(events, lo, hi)
    end = next((e for e in events if e["event"] == "run_end"), None)
    if len(progress) >= 2:
        first, last = progress[0], progress[-1]
        span = last["ts"] - first["ts"]
        out["it_per_s"] = round((last["iterations"] - first["iterations"]) / span, 1)
        out["window_s"] = round(span, 2)
        worker_cpu = sum(traces[p].cpu_seconds_at(last["ts"]) - traces[p].cpu_seconds_at(first["ts"])
                         for p in workers if p in traces)
        out["it_per_worker_cpu_s"] = round((last["iterations"] - first["iterations"]) / worker_cpu, 1) \
            if worker_cpu > 0 else None
        if launch.design != "inprocess" and "batches_done" in last:
            batches = last["batches_done"] - first["batches_done"]
            sup = traces.get(root_pid)
            sup_cpu = sup.cpu_seconds_at(last["ts"]) - sup.cpu_seconds_at(first["ts"]) if sup else 0.0
            if batches > 0:
                per_batch = sup_cpu / batches
                per_worker = batches / span / launch.workers
                out["batches_per_worker_per_s"] = round(per_worker, 2)
                out["supervisor_cpu_percent"] = round(100 * sup_cpu / span, 1)
                waits = [w for t, w in zip(sup.t, sup.wait) if first["ts"] <= t <= last["ts"]] if sup else []
                out["supervisor_runqueue_wait_percent"] = round(sum(waits) / len(waits), 1) if waits else None
                out["supervisor_cpu_ms_per_batch"] = round(per_batch * 1e3, 3)
                feedable = feedable_workers(per_batch, per_worker)
                out["feedable_workers"] = round(feedable, 1) if feedable != float("inf") else None
        if "loop_lag" in last:
            out["loop_lag"] = {k: last["loop_lag"][k] for k in ("p50_ms", "p99_ms", "max_ms") if k in last["loop_lag"]}
        out["batch_size_end"] = last.get("batch_size")
    elif end is not None and end.get("seconds"):
        out["it_per_s"] = round(end["iterations"] / end["seconds"], 1)
    if end is not None:
        out["iterations"] = end["iterations"]
        out["reason"] = end.get("reason")
        if end.get("error"):
            out["error"] = end["error"]
    if kill is not None:
        out["kill"] = _kill_outcome(launch, events, kill, hung, end)
    out["_traces"] = _trim_traces(traces, workers, root_pid, start, stop)
    return out


def _trim_traces(traces: dict[int, Trace], workers: dict[int, float], root_pid: int, start: float, stop: float
                 ) -> dict[str, list[list[float]]]:
    out = {}
    for pid, trace in traces.items():
        if pid in workers:
            label = f"worker {pid}"
        elif pid == root_pid:
            label = "supervisor"
        else:
            continue
        out[label] = [[round(t - start, 2), round(c, 1), round(w, 1)] for t, c, w in zip(trace.t, trace.cpu, trace.wait)
                      if start - 1 <= t <= stop]
    return out


def _kill_outcome(launch: Launch, events: list[dict[str, Any]], kill: dict[str, Any], hung: bool,
                  end: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"killed_pid": kill["pid"], "hung": hung, "finished": end is not None}
    if launch.design == "baseline":
        died = next((e for e in events if e["event"] == "worker_died"), None)
        if end is not None:
            out["lost_iterations"] = end.get("lost", 0)
        elif died is not None:
            out["lost_iterations"] = died["issued"] - died["merged"]
        out["detected_s"] = round(died["ts"] - kill["ts"], 3) if died else None
        out["replaced"] = False
        return out
    after = [e for e in events if e["event"] == "ready" and e["ts"] > kill["ts"]]
    shutdown = next((e for e in events if e["event"] == "shutdown"), {})
    abandoned = shutdown.get("abandoned") or []
    out["requeued_batches"] = sum(1 for e in events if e["event"] == "batch_requeued")
    out["abandoned_batches"] = len(abandoned)
    out["lost_iterations"] = 0 if end is not None and not abandoned and not (end or {}).get("error") else None
    out["replaced"] = bool(after)
    out["replacement_ready_s"] = round(after[0]["ts"] - kill["ts"], 3) if after else None
    return out


# ---- the plan ---------------------------------------------------------------------------------------------------

def plan(games: Sequence[str], cores: int, quick: bool) -> list[Launch]:
    """Runs in order, ours and the baseline back to back so they share the machine's mood."""
    runs: list[Launch] = []
    counts = sorted({1, 2, cores}) if not quick else sorted({1, cores})
    for i, game in enumerate(games):
        if not quick:
            runs.append(Launch("inprocess", game, 1))
        for n in counts:
            runs.append(Launch("supervisor", game, n))
            if not quick or n == cores:
                runs.append(Launch("baseline", game, n))
        if not quick or i == 0:
            runs.append(Launch("supervisor", game, 2 * cores))
    for game in games[:1] if quick else games:
        sizes = SWEEP_BATCHES[game]
        for size in (sizes[::2] if quick else sizes):
            runs.append(Launch("supervisor", game, cores, str(size)))
            runs.append(Launch("baseline", game, cores, str(size)))
    sweep_game = games[0]
    runs.append(Launch("supervisor", sweep_game, cores, kill_at=0.5))
    runs.append(Launch("baseline", sweep_game, cores, kill_at=0.5))
    return runs


def _find(results: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    for r in results:
        if all(r.get(k) == v for k, v in match.items()) and "kill" not in r:
            return r
    return None


def summarize(results: list[dict[str, Any]], games: Sequence[str], cores: int) -> dict[str, Any]:
    """Efficiencies, goals met, and ours/baseline ratios from the list of runs."""
    per_game: dict[str, Any] = {}
    for game in games:
        one = _find(results, game=game, design="supervisor", workers=1, batch="auto")
        base_one = _find(results, game=game, design="baseline", workers=1, batch="auto")
        for r in results:
            if r["game"] != game or r["batch"] != "auto" or "kill" in r or not r.get("it_per_s"):
                continue
            ref = one if r["design"] != "baseline" else base_one
            if ref and ref.get("it_per_s"):
                r["efficiency"] = round(scaling_efficiency(r["it_per_s"], r["workers"], ref["it_per_s"]), 3)
                if r.get("it_per_worker_cpu_s") and ref.get("it_per_worker_cpu_s"):
                    r["cpu_efficiency"] = round(r["it_per_worker_cpu_s"] / ref["it_per_worker_cpu_s"], 3)
        ours = _find(results, game=game, design="supervisor", workers=cores, batch="auto") or {}
        base = _find(results, game=game, design="baseline", workers=cores, batch="auto") or {}
        over = _find(results, game=game, design="supervisor", workers=2 * cores, batch="auto") or {}
        inproc = _find(results, game=game, design="inprocess", workers=1) or {}
        two = _find(results, game=game, design="supervisor", workers=2, batch="auto") or {}
        sweep: dict[str, list[dict[str, Any]]] = {"supervisor": [], "baseline": []}
        for r in sorted(_sweep_runs(results, game), key=lambda r: int(r["batch"])):
            sweep[r["design"]].append({"batch": int(r["batch"]), **{k: r.get(k) for k in (
                "it_per_s", "sawtooth_index", "idle_index", "feedable_workers", "supervisor_cpu_ms_per_batch")}})
        per_game[game] = {
            "efficiency_at_2_workers": two.get("efficiency"),
            "cpu_efficiency_at_2_workers": two.get("cpu_efficiency"),
            "efficiency_vs_inprocess_at_2_workers": round(two["it_per_s"] / (2 * inproc["it_per_s"]), 3)
            if two.get("it_per_s") and inproc.get("it_per_s") else None,
            "sawtooth_index": ours.get("sawtooth_index"),
            "idle_index": ours.get("idle_index"),
            "mean_worker_cpu_percent": ours.get("mean_worker_cpu_percent"),
            "loop_lag_p99_ms": (ours.get("loop_lag") or {}).get("p99_ms"),
            "feedable_workers": ours.get("feedable_workers"),
            "supervisor_cpu_ms_per_batch": ours.get("supervisor_cpu_ms_per_batch"),
            "supervisor_runqueue_wait_percent": ours.get("supervisor_runqueue_wait_percent"),
            "oversubscribed_over_cores_it_per_s": round(over["it_per_s"] / ours["it_per_s"], 3)
            if over.get("it_per_s") and ours.get("it_per_s") else None,
            "batch_sweep": sweep,
            "baseline": {
                "it_per_s_ratio": _ratio(ours.get("it_per_s"), base.get("it_per_s")),
                "it_per_worker_cpu_s_ratio": _ratio(ours.get("it_per_worker_cpu_s"), base.get("it_per_worker_cpu_s")),
                "mean_worker_cpu_percent": base.get("mean_worker_cpu_percent"),
                "sawtooth_index": base.get("sawtooth_index"),
                "idle_index": base.get("idle_index"),
                "efficiency_at_2_workers": (_find(results, game=game, design="baseline", workers=2,
                                                  batch="auto") or {}).get("efficiency"),
            },
        }
    kills = {r["design"]: r["kill"] for r in results if "kill" in r}
    measured = {
        "efficiency_at_2_workers": {g: v["efficiency_at_2_workers"] for g, v in per_game.items()},
        "sawtooth_index": {g: v["sawtooth_index"] for g, v in per_game.items()},
        "loop_lag_p99_ms": {g: v["loop_lag_p99_ms"] for g, v in per_game.items()},
        "feedable_workers": {g: v["feedable_workers"] for g, v in per_game.items()},
    }
    met = {
        "efficiency_at_2_workers": _all(measured["efficiency_at_2_workers"], lambda v: v >= 0.95),
        "sawtooth_index": _all(measured["sawtooth_index"], lambda v: v < 0.01),
        "loop_lag_p99_ms": _all(measured["loop_lag_p99_ms"], lambda v: v < 5.0),
        "feedable_workers": _all(measured["feedable_workers"], lambda v: v >= 64),
    }
    return {"per_game": per_game, "measured": measured, "met": met, "kill": kills}


def _sweep_runs(results: list[dict[str, Any]], game: str) -> list[dict[str, Any]]:
    return [r for r in results if r["game"] == game and r["batch"] != "auto" and "kill" not in r]


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _all(values: dict[str, Any], ok: Any) -> bool | None:
    present = [v for v in values.values() if v is not None]
    return all(ok(v) for v in present) if present else None


# ---- plots -----------------------------------------------------------------------------------------------------

def draw(results: list[dict[str, Any]], games: Sequence[str], cores: int, out_dir: Path) -> list[str]:
    """CPU traces (ours vs baseline), it/s against workers, and the batch-size sweep, as PNGs."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[plot]'): no plots drawn", file=sys.stderr)
        return []
    written = []
    fig, axes = plt.subplots(2, len(games), figsize=(6.5 * len(games), 7), squeeze=False, sharey=True)
    for col, game in enumerate(games):
        for row, design in enumerate(("supervisor", "baseline")):
            ax = axes[row][col]
            run = _find(results, game=game, design=design, workers=cores, batch="auto")
            label = "holdem supervisor" if design == "supervisor" else "queue-polling pool (baseline)"
            if not run or not run.get("_traces"):
                ax.set_title(f"{game}: {label} — no data")
                continue
            for name, points in sorted(run["_traces"].items()):
                if not points:
                    continue
                xs, ys, waits = zip(*points)
                if name == "supervisor":
                    ax.plot(xs, ys, linestyle="--", color="black", linewidth=1,
                            label="main process" if design == "baseline" else "supervisor")
                    continue
                (line,) = ax.plot(xs, ys, label=f"{name} CPU")
                ax.plot(xs, [y + w for y, w in zip(ys, waits)], linestyle=":", color=line.get_color(), linewidth=1,
                        label=f"{name} CPU + run-queue wait")
            ax.axhline(BUSY_CPU_PERCENT, color="grey", linewidth=0.6, linestyle=":")
            load = (run.get("load_avg_before") or [None])[0]
            ax.set_title(f"{game}, {cores} workers: {label}\nsawtooth {_fmt(run.get('sawtooth_index'), '.2f')}, "
                         f"idle {_fmt(run.get('idle_index'), '.2f')}, {_fmt(run.get('it_per_s'), ',.0f')} it/s, "
                         f"load {_fmt(load, '.1f')}")
            ax.set_xlabel("time since training start (s)")
            ax.set_ylabel("CPU (% of one core)")
            ax.set_ylim(-5, 130)
            ax.legend(loc="lower right", fontsize=6)
    fig.suptitle(f"Per-process CPU sampled at 10 Hz from outside on a shared {cores}-core machine\n"
                 f"dotted: CPU + time runnable but waiting for a core, summed over the process's threads")
    fig.tight_layout()
    written.append(_save(fig, out_dir / "scaling_cpu_traces.png"))
    plt.close(fig)

    fig, axes = plt.subplots(1, len(games), figsize=(6 * len(games), 4.2), squeeze=False)
    for col, game in enumerate(games):
        ax = axes[0][col]
        for design, marker in (("supervisor", "o"), ("baseline", "s"), ("inprocess", "^")):
            pts = sorted((r["workers"], r["it_per_s"]) for r in results if r["game"] == game and r["design"] == design
                         and r["batch"] == "auto" and "kill" not in r and r.get("it_per_s"))
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker=marker, label={"supervisor": "holdem supervisor", "baseline": "queue pool",
                                                      "inprocess": "in-process (1 worker)"}[design])
        one = _find(results, game=game, design="supervisor", workers=1, batch="auto")
        if one and one.get("it_per_s"):
            xs = list(range(1, cores + 1))
            ax.plot(xs, [one["it_per_s"] * x for x in xs], linestyle=":", color="grey", label="linear from 1 worker")
        ax.axvline(cores, color="grey", linewidth=0.6)
        ax.set_title(f"{game}: iterations per second against workers ({cores} cores)")
        ax.set_xlabel("workers")
        ax.set_ylabel("iterations per second")
        ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(_save(fig, out_dir / "scaling_it_per_s.png"))
    plt.close(fig)

    sweep_games = [g for g in games if any(r["game"] == g and r["batch"] != "auto" for r in results)]
    if sweep_games:
        fig, axes = plt.subplots(len(sweep_games), 3, figsize=(16, 4.2 * len(sweep_games)), squeeze=False)
        for row, game in enumerate(sweep_games):
            ax1, ax2, ax3 = axes[row]
            for design in ("supervisor", "baseline"):
                pts = sorted((int(r["batch"]), r.get("it_per_s") or 0, r.get("sawtooth_index") or 0,
                              r.get("idle_index") or 0, r.get("feedable_workers"))
                             for r in results if r["game"] == game and r["batch"] != "auto" and "kill" not in r
                             and r["design"] == design)
                if not pts:
                    continue
                xs, rates, saw, idle, feed = zip(*pts)
                name = "holdem supervisor" if design == "supervisor" else "queue pool"
                (line,) = ax1.plot(xs, rates, marker="o", label=name)
                ax2.plot(xs, [100 * v for v in saw], marker="o", color=line.get_color(), label=f"{name}: sawtooth")
                ax2.plot(xs, [100 * v for v in idle], marker="x", linestyle=":", color=line.get_color(),
                         label=f"{name}: idle (not runnable)")
                ax3.plot(xs, [v if v is not None else float("nan") for v in feed], marker="o", label=name)
            ax3.axhline(GOALS["feedable_workers"], color="grey", linestyle=":", label="goal")
            for ax, ylabel, title in ((ax1, "iterations per second", "throughput"),
                                      (ax2, "% of worker samples below 50% CPU", "CPU flatness"),
                                      (ax3, "workers (log scale)", "workers one main process could feed")):
                ax.set_xscale("log")
                ax.set_xlabel("batch size (iterations per task)")
                ax.set_ylabel(ylabel)
                ax.set_title(f"{game}, {cores} workers: {title}")
                ax.legend(fontsize=7)
            ax3.set_yscale("log")
        fig.tight_layout()
        written.append(_save(fig, out_dir / "scaling_batch_sweep.png"))
        plt.close(fig)
    return written


def _save(fig: Any, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def _fmt(value: Any, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


# ---- main -------------------------------------------------------------------------------------------------------

def replot(path: Path, out_dir: Path) -> int:
    """Redraw the PNGs of an earlier run from its JSON (the CPU traces it kept included)."""
    report = json.loads(path.read_text())
    results = report["runs"]
    cores, games = report["settings"]["cores"], report["settings"]["games"]
    for r in results:
        if r["batch"] == "auto" and r["workers"] == cores and "kill" not in r:
            r["_traces"] = report.get("traces", {}).get(f"{r['game']}/{r['design']}")
    for written in draw(results, games, cores, out_dir):
        print(written)
    return 0


def _supervised_one(argv: list[str]) -> int:
    """Child mode: the training CLI with one worker driven by the supervisor instead of in-process."""
    import dataclasses

    import holdem.training as training
    from holdem.cli import train_blueprint

    base = training._supervisor_config
    training._supervisor_config = lambda config: dataclasses.replace(base(config), num_workers=1)
    return train_blueprint.main([*argv, "--num-workers", "2"])


def warm_up(games: Sequence[str], workdir: Path, buckets: str | None) -> None:
    """One short in-process run per game: builds missing bucket files and fills the kernel cache, unmeasured."""
    for game in games:
        logdir = workdir / f"warmup-{game}"
        cmd = _command(Launch("inprocess", game, 1), _config_file(game, workdir), logdir, 1.0, buckets)
        done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"warm-up of {game} failed: {done.stderr.strip()[-300:]}")


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] == ["--supervised-one"]:
        return _supervised_one(args_list[1:])
    parser = argparse.ArgumentParser(prog="bench_scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs (about 2 minutes)")
    parser.add_argument("--seconds", type=float, help="training seconds per run (default 6, --quick 3)")
    parser.add_argument("--games", default="leduc,hunl", help="comma-separated: leduc, hunl")
    parser.add_argument("--buckets", default="quick", help="heads-up bucket spec or file (tiny is faster to build)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="core count to scale to")
    parser.add_argument("--out", type=Path, default=RESULTS / "scaling.json")
    parser.add_argument("--plots", type=Path, default=RESULTS, help="directory for the PNGs")
    parser.add_argument("--keep", action="store_true", help="keep the run directories (printed)")
    parser.add_argument("--replot", type=Path, metavar="JSON", help="only redraw the PNGs from a scaling.json")
    args = parser.parse_args(args_list)
    if args.replot is not None:
        return replot(args.replot, args.plots)
    games = [g.strip() for g in args.games.split(",") if g.strip()]
    unknown = [g for g in games if g not in GAME_CONFIGS]
    if unknown:
        print(f"error: unknown game {unknown[0]!r}: expected one of {', '.join(GAME_CONFIGS)}", file=sys.stderr)
        return 2
    seconds = args.seconds or (3.0 if args.quick else 6.0)
    cores = max(1, args.workers)
    grace = max(5.0, seconds)
    workdir = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    started = time.time()
    load_start = os.getloadavg()
    try:
        print(f"warming up (kernel cache, bucket files) in {workdir}", file=sys.stderr)
        warm_up(games, workdir, args.buckets)
        results = []
        runs = plan(games, cores, args.quick)
        for i, launch in enumerate(runs, 1):
            r = run_one(launch, workdir, seconds, args.buckets, grace)
            results.append(r)
            print(f"[{i}/{len(runs)}] {launch.name}: {_fmt(r.get('it_per_s'), ',.0f')} it/s, sawtooth "
                  f"{_fmt(r.get('sawtooth_index'))}, idle {_fmt(r.get('idle_index'))}, feedable "
                  f"{_fmt(r.get('feedable_workers'), '.0f')}, lag p99 {_fmt((r.get('loop_lag') or {}).get('p99_ms'))}"
                  f" ms{' HUNG' if r.get('hung') else ''}{' error: ' + r['error'] if r.get('error') else ''}",
                  file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"run directories kept in {workdir}", file=sys.stderr)
    summary = summarize(results, games, cores)
    plots = draw(results, games, cores, args.plots)
    traced = {f"{r['game']}/{r['design']}": r["_traces"] for r in results
              if r["batch"] == "auto" and r["workers"] == cores and r["design"] != "inprocess" and "kill" not in r}
    for r in results:
        r.pop("_traces", None)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_start": [round(x, 2) for x in load_start],
                    "load_avg_end": [round(x, 2) for x in os.getloadavg()]},
        "note": "shared, noisy machine: other jobs compete for the cores. sawtooth_index counts samples below 50% "
                "CPU for any reason; idle_index counts only samples where the worker itself was not runnable "
                "(CPU + run-queue wait < 50%), i.e. idle by design rather than starved by other tenants. Loop lag "
                "is the supervisor's own recent window at the end of training, worker start-up included.",
        "settings": {"seconds": seconds, "games": games, "buckets": args.buckets, "cores": cores, "quick": args.quick,
                     "configs": GAME_CONFIGS, "config_overrides": CONFIG_OVERRIDES, "hunl_overrides": HUNL_OVERRIDES,
                     "sample_hz": SAMPLE_HZ, "busy_cpu_percent": BUSY_CPU_PERCENT,
                     "elapsed_s": round(time.time() - started, 1)},
        "goals": GOALS,
        **summary,
        "runs": results,
        "plots": plots,
        "traces": traced,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({"measured": summary["measured"], "met": summary["met"], "kill": summary["kill"],
                      "baseline": {g: v["baseline"] for g, v in summary["per_game"].items()}}, indent=1))
    print(f"wrote {args.out} and {len(plots)} plots in {time.time() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
