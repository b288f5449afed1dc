"""Running the scaling benchmark: each launch in a subprocess sampled from outside, then the report."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.scaling import (
    BOOT_TIMEOUT_S,
    BUSY_CPU_PERCENT,
    CONFIG_OVERRIDES,
    GAME_CONFIGS,
    GOALS,
    HUNL_OVERRIDES,
    RESULTS,
    ROOT,
    SAMPLE_HZ,
)
from bench.scaling.analysis import analyze, summarize, training_start
from bench.scaling.plan import Launch, plan
from bench.scaling.plots import draw, fmt, replot
from bench.scaling.sampling import CpuSampler, EventTail
from orchestrator import SupervisorConfig


def _config_file(game: str, workdir: Path) -> Path:
    """The shipped config of ``game`` with progress every second (enough points in a short window) and, for
    heads-up, pruning from the first iteration, so an iteration costs the same whatever the worker count."""
    from holdem.training.config import load_config_file

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
        return [py, "-m", "bench.baselines.queue_pool", "--config", str(config), "--logdir", str(logdir),
                "--time-budget", str(seconds),
                "--workers", str(launch.workers), "--batch-size", launch.batch, *extra]
    common = ["--config", str(config), "--logdir", str(logdir), "--time-budget", str(seconds),
              "--batch-size", launch.batch, "--quiet", *extra]
    if launch.design == "inprocess":
        return [py, "-m", "holdem.cli.train_blueprint", *common, "--num-workers", "1"]
    if launch.workers == 1:
        return [py, "-m", "bench.scaling", "--supervised-one", *common]
    return [py, "-m", "holdem.cli.train_blueprint", *common, "--num-workers", str(launch.workers)]


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
        start = start or training_start(launch, events)
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


def _supervised_one(argv: list[str]) -> int:
    """Child mode: the training CLI with one worker driven by the supervisor instead of in-process."""
    from holdem.cli import train_blueprint
    from holdem.training import job

    job.supervisor_config = one_worker(job.supervisor_config)
    return train_blueprint.main([*argv, "--num-workers", "2"])


def one_worker(supervisor_config: Callable[..., SupervisorConfig]) -> Callable[..., SupervisorConfig]:
    """The training's supervisor settings, whatever they are given, with one worker spawned."""
    def settings(*args: Any, **kwargs: Any) -> SupervisorConfig:
        return dataclasses.replace(supervisor_config(*args, **kwargs), num_workers=1)
    return settings


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
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs (about 2 minutes)")
    parser.add_argument("--seconds", type=float, help="training seconds per run (default 6, --quick 3)")
    parser.add_argument("--games", default="leduc,hunl", help="comma-separated: leduc, hunl")
    parser.add_argument("--buckets", default="quick", help="heads-up bucket spec or file (tiny is faster to build)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="core count to scale to")
    parser.add_argument("--out", type=Path, default=RESULTS / "scaling.json")
    parser.add_argument("--plots", type=Path, help="directory for the PNGs (default: --out's, or --replot's)")
    parser.add_argument("--keep", action="store_true", help="keep the run directories (printed)")
    parser.add_argument("--replot", type=Path, metavar="JSON", help="only redraw the PNGs from a scaling.json")
    args = parser.parse_args(args_list)
    if args.replot is not None:
        return replot(args.replot, args.plots or args.replot.parent)
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
            print(f"[{i}/{len(runs)}] {launch.name}: {fmt(r.get('it_per_s'), ',.0f')} it/s, sawtooth "
                  f"{fmt(r.get('sawtooth_index'))}, idle {fmt(r.get('idle_index'))}, feedable "
                  f"{fmt(r.get('feedable_workers'), '.0f')}, lag p99 {fmt((r.get('loop_lag') or {}).get('p99_ms'))}"
                  f" ms{' HUNG' if r.get('hung') else ''}{' error: ' + r['error'] if r.get('error') else ''}",
                  file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"run directories kept in {workdir}", file=sys.stderr)
    summary = summarize(results, games, cores)
    plots = draw(results, games, cores, args.plots or args.out.parent)
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
