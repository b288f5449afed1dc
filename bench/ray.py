"""Benchmark the Ray backend against the local one on this machine.

Each case is a real ``holdem train`` in a child process (the Ray cases start their own local Ray head, as a
user's run without ``--ray-address`` does). Heads-up no-limit (``quick`` menu and buckets) runs alternately
through the local backend and through Ray, two workers each; node visits per second are read from progress
events over the steady window. Leduc runs through Ray for 20 training seconds and reports its exploitability.
Writes ``bench/results/ray.json``. Goals: Ray at least 0.85x the local backend's node visits/s; Leduc through
Ray below 0.01 after 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"ray_vs_local_node_visits": 0.85, "leduc_ray_20s_exploitability": 0.01}
QUIET = {"checkpoint_interval_seconds": 1e6, "snapshot_interval_seconds": 1e6, "progress_interval_seconds": 1.0}


def _events(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _sample_cpu(child: subprocess.Popen) -> list[tuple[float, float, float, float]]:
    """(time, worker CPU s, supervisor CPU s, other descendants' CPU s) every 0.25 s until the child exits.

    Workers are the local worker processes or the Ray actors (every Ray process is a descendant of the run,
    which starts its own head)."""
    root = psutil.Process(child.pid)
    seen: dict[int, tuple[bool, float]] = {}
    samples = []
    while child.poll() is None:
        try:
            own = _cpu(root)
            for proc in root.children(recursive=True):
                try:
                    line = " ".join(proc.cmdline())
                    seen[proc.pid] = ("holdem.training.worker" in line or "RayWorker" in line, _cpu(proc))
                except psutil.Error:
                    pass
        except psutil.Error:
            break
        work = sum(c for is_worker, c in seen.values() if is_worker)
        other = sum(c for is_worker, c in seen.values() if not is_worker)
        samples.append((time.time(), work, own, other))
        time.sleep(0.25)
    return samples


def _at(samples: list[tuple[float, ...]], ts: float, index: int) -> float:
    for before, after in zip(samples, samples[1:]):
        if before[0] <= ts <= after[0]:
            w = 0.0 if after[0] == before[0] else (ts - before[0]) / (after[0] - before[0])
            return before[index] + w * (after[index] - before[index])
    return samples[0][index] if ts < samples[0][0] else samples[-1][index]


def run_case(name: str, raw: dict[str, Any], backend: str, workers: int, seconds: float, warmup_s: float,
             workdir: Path) -> dict[str, Any]:
    """One training through the CLI; node visits/s over the progress events after ``warmup_s``."""
    logdir = workdir / name
    config = workdir / f"{name}.yaml"
    config.write_text(yaml.safe_dump({**raw, **QUIET, "num_workers": workers, "backend": backend,
                                      "time_budget_seconds": warmup_s + seconds, "iterations": None}))
    started = time.time()
    load_before = os.getloadavg()
    with open(workdir / f"{name}.log", "w") as log:
        child = subprocess.Popen([sys.executable, "-m", "holdem.cli.train_blueprint", "--config", str(config),
                                  "--logdir", str(logdir), "--quiet"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        samples = _sample_cpu(child)
    if child.returncode != 0:
        tail = (workdir / f"{name}.log").read_text().strip().splitlines()[-1:]
        raise RuntimeError(f"case {name} failed: {tail}")
    events = _events(logdir / "events.jsonl")
    progress = [e for e in events if e["event"] == "progress" and e.get("iterations")]
    first_ts = progress[0]["ts"]
    steady = [e for e in progress if e["ts"] >= first_ts + warmup_s]
    spans = [(b["ts"] - a["ts"], b) for a, b in zip(steady, steady[1:])]
    window = sum(s for s, _ in spans)
    nodes = sum(s * e["nodes_per_s"] for s, e in spans)
    iterations = steady[-1]["iterations"] - steady[0]["iterations"]
    end = [e for e in events if e["event"] == "run_end"][-1]
    stale = [e.get("worker_stale_iterations_max") for e in steady if e.get("worker_stale_iterations_max") is not None]
    cpu = {part: _at(samples, steady[-1]["ts"], part) - _at(samples, steady[0]["ts"], part) for part in range(1, 4)}
    return {
        "backend": backend, "workers": workers, "window_s": round(window, 2),
        "node_visits_per_s": round(nodes / window, 1) if window > 0 else None,
        "it_per_s": round(iterations / window, 1) if window > 0 else None,
        "exploitability": end.get("exploitability"), "training_s": end.get("seconds"),
        "wall_s": round(time.time() - started, 1), "restarts": end.get("restarts"),
        "worker_stale_iterations_max": max(stale) if stale else None,
        "cpu_cores": {"workers": round(cpu[1] / window, 3), "supervisor": round(cpu[2] / window, 3),
                      "other (Ray daemons, reaper)": round(cpu[3] / window, 3)},
        "node_visits_per_worker_cpu_s": round(nodes / cpu[1], 1) if cpu[1] > 0 else None,
        "load_avg_before": [round(x, 2) for x in load_before],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=25.0, help="measured seconds per heads-up case")
    parser.add_argument("--repeats", type=int, default=2, help="local/Ray pairs, alternated")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ray.json"))
    args = parser.parse_args()
    from holdem.training.config import load_config_file

    hunl = {**load_config_file("quickstart"), "buckets": "quick", "actions": "quick"}
    leduc = load_config_file("leduc")
    results: dict[str, Any] = {}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        for repeat in range(args.repeats):
            for backend in ("local", "ray"):
                name = f"hunl-{backend}-2-r{repeat}"
                print(f"running {name} ...", file=sys.stderr, flush=True)
                results[name] = run_case(name, hunl, backend, 2, args.seconds, 5.0, Path(tmp))
        print("running leduc-ray-2 (20 s) ...", file=sys.stderr, flush=True)
        results["leduc-ray-2"] = run_case("leduc-ray-2", {**leduc, "exploitability_interval_seconds": 5.0}, "ray",
                                          2, 18.0, 2.0, Path(tmp))
    local = [r["node_visits_per_s"] for k, r in results.items() if k.startswith("hunl-local")]
    ray = [r["node_visits_per_s"] for k, r in results.items() if k.startswith("hunl-ray")]
    ratio = round(sum(ray) / sum(local), 3) if local and ray else None
    per_cpu = {backend: [r["node_visits_per_worker_cpu_s"] for k, r in results.items()
                         if k.startswith(f"hunl-{backend}") and r["node_visits_per_worker_cpu_s"]]
               for backend in ("local", "ray")}
    cpu_ratio = round(sum(per_cpu["ray"]) / len(per_cpu["ray"]) / (sum(per_cpu["local"]) / len(per_cpu["local"])), 3) \
        if per_cpu["local"] and per_cpu["ray"] else None
    measured = {"ray_vs_local_node_visits": ratio, "ray_vs_local_nodes_per_worker_cpu_s": cpu_ratio,
                "leduc_ray_20s_exploitability": results["leduc-ray-2"]["exploitability"]}
    met = {"ray_vs_local_node_visits": ratio is not None and ratio >= GOALS["ray_vs_local_node_visits"],
           "leduc_ray_20s_exploitability": measured["leduc_ray_20s_exploitability"] is not None
           and measured["leduc_ray_20s_exploitability"] < GOALS["leduc_ray_20s_exploitability"]}
    import ray as ray_module

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "ray": ray_module.__version__,
                    "load_avg_end": [round(x, 2) for x in os.getloadavg()]},
        "note": "shared 2-core machine: each Ray case starts a local Ray head (its daemons share the 2 cores); "
                "local and Ray cases alternate so both see the same background load",
        "settings": {"seconds": args.seconds, "repeats": args.repeats, "total_s": round(time.time() - started, 1)},
        "goals": GOALS, "measured": measured, "met": met, "results": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    for name, r in results.items():
        print(f"{name:<18} {r['node_visits_per_s'] or 0:>14,.0f} nodes/s {r['it_per_s'] or 0:>12,.0f} it/s "
              f"expl {r['exploitability']} load {r['load_avg_before'][0]}")
    print(f"ray/local node visits {ratio} (per worker CPU-second {cpu_ratio}); goals {GOALS}; met {met}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
