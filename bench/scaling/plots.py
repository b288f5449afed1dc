"""The scaling benchmark's pictures: CPU traces (ours against the queue pool), it/s against workers, and
the batch-size sweep."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.scaling import BUSY_CPU_PERCENT, GOALS, ROOT
from bench.scaling.analysis import find_run


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
            run = find_run(results, game=game, design=design, workers=cores, batch="auto")
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
            ax.set_title(f"{game}, {cores} workers: {label}\nsawtooth {fmt(run.get('sawtooth_index'), '.2f')}, "
                         f"idle {fmt(run.get('idle_index'), '.2f')}, {fmt(run.get('it_per_s'), ',.0f')} it/s, "
                         f"load {fmt(load, '.1f')}")
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
        one = find_run(results, game=game, design="supervisor", workers=1, batch="auto")
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


def fmt(value: Any, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


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
