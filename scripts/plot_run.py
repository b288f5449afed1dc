"""Draw a training run from its ``events.jsonl``: it/s, per-worker CPU%, loop lag, restarts, exploitability.

    python scripts/plot_run.py LOGDIR [--out PNG]

Needs matplotlib (``pip install -e '.[plot]'``); without it, says so in one line and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class PlotError(ValueError):
    """A run that cannot be drawn; the message is one line."""


def load_events(logdir: Path) -> list[dict[str, Any]]:
    """Events of a run directory (or of an events file), skipping a torn last line."""
    path = logdir / "events.jsonl" if logdir.is_dir() else logdir
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise PlotError(f"cannot read {path}: {exc.strerror}") from None
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    if not events:
        raise PlotError(f"{path} has no events")
    return events


def series(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Time series (seconds since the first event) of everything the figure shows; each exploitability
    measurement once (progress events repeat the last one until the next is taken)."""
    t0 = events[0]["ts"]
    # The supervisor's own progress ticks sample CPU at a steady period; a run's progress events also carry a
    # sample, taken right after, over a much shorter interval. Use the steady ones when the run has them.
    steady = any(e["event"] == "progress" and "iterations" not in e and e.get("workers") for e in events)
    out: dict[str, Any] = {"it_per_s": [], "lag": [], "exploitability": [], "cpu": {}, "restarts": [], "game": None}
    for e in events:
        t = e["ts"] - t0
        kind = e["event"]
        if kind == "run_start":
            out["game"] = e.get("game")
        elif kind == "restart":
            out["restarts"].append(t)
        elif kind == "progress":
            if "it_per_s" in e and e.get("it_per_s") is not None:
                out["it_per_s"].append((t, e["it_per_s"]))
            value = e.get("exploitability")
            if value is not None and (not out["exploitability"] or out["exploitability"][-1][1] != value):
                out["exploitability"].append((t, value))
            lag = e.get("loop_lag")
            if lag:
                out["lag"].append((t, lag.get("p50_ms", 0.0), lag.get("p99_ms", 0.0), lag.get("max_ms", 0.0)))
            if steady and "iterations" in e:
                continue
            for w in e.get("workers") or []:
                if w.get("cpu_percent") is None or w.get("pid") is None:
                    continue
                label = f"slot {w.get('slot', '?')} (pid {w['pid']})"
                out["cpu"].setdefault(label, []).append((t, w["cpu_percent"]))
    return out


def panels_of(data: dict[str, Any]) -> list[str]:
    """The panels that have something to show: speed, per-worker CPU, loop lag, exploitability."""
    has = {"it": data["it_per_s"], "cpu": data["cpu"], "lag": data["lag"], "expl": data["exploitability"]}
    return [name for name, points in has.items() if points]


def draw(events: list[dict[str, Any]], out: Path, title: str | None = None) -> Path:
    """Write the run's figure to ``out`` (PNG) and return the path; panels without data are left out (a
    one-worker run has no per-worker CPU or loop lag). PlotError when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = series(events)
    panels = panels_of(data)
    if not panels:
        raise PlotError("the run has no progress events to draw yet")
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.6 * len(panels)), sharex=True, squeeze=False)
    ax_of = dict(zip(panels, (row[0] for row in axes)))

    if "it" in ax_of:
        ax = ax_of["it"]
        xs, ys = zip(*data["it_per_s"])
        ax.plot(xs, ys, marker=".", label="iterations per second")
        ax.set_ylabel("iterations / s")
        ax.set_title("Training speed")

    if "cpu" in ax_of:
        ax = ax_of["cpu"]
        for label, points in sorted(data["cpu"].items()):
            xs, ys = zip(*points)
            ax.plot(xs, ys, marker=".", label=label)
        ax.set_ylabel("CPU (% of one core)")
        ax.set_title("Per-worker CPU")
        ax.set_ylim(bottom=0)

    if "lag" in ax_of:
        ax = ax_of["lag"]
        xs, p50, p99, mx = zip(*data["lag"])
        ax.plot(xs, p50, label="p50")
        ax.plot(xs, p99, label="p99")
        ax.plot(xs, mx, label="max", linestyle=":")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylabel("loop lag (ms)")
        ax.set_title("Supervisor event-loop lag (recent window)")

    if "expl" in ax_of:
        ax = ax_of["expl"]
        xs, ys = zip(*data["exploitability"])
        ax.plot(xs, ys, marker="o", label="exploitability")
        ax.set_yscale("log")
        ax.set_ylabel("exploitability (chips)")
        ax.set_title("Exploitability of the average policy")

    for i, ax in enumerate(ax_of.values()):
        for j, t in enumerate(data["restarts"]):
            ax.axvline(t, color="red", linestyle="--", linewidth=1, label="worker restart" if j == 0 else None)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize=7, loc="upper right" if i else "lower right")
        ax.grid(alpha=0.3)
    list(ax_of.values())[-1].set_xlabel("time since run start (s)")
    fig.suptitle(title or f"Training run: {data['game'] or 'unknown game'}")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plot_run", description=__doc__.splitlines()[0])
    parser.add_argument("logdir", type=Path, help="run directory (or its events.jsonl)")
    parser.add_argument("--out", type=Path, help="PNG to write (default LOGDIR/run.png)")
    parser.add_argument("--title")
    args = parser.parse_args(argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("error: plot_run needs matplotlib: pip install -e '.[plot]'", file=sys.stderr)
        return 2
    try:
        events = load_events(args.logdir)
    except PlotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    default = (args.logdir if args.logdir.is_dir() else args.logdir.parent) / "run.png"
    try:
        path = draw(events, args.out or default, args.title)
    except PlotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
