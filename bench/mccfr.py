"""Benchmark the MCCFR core: iterations per second and exact exploitability after 1, 5 and 30
CPU-seconds on Kuhn and Leduc (one core), node visits per second on heads-up no-limit, and
OpenSpiel's C++ external sampling side by side when ``open_spiel`` is installed.

Writes ``bench/results/mccfr.json`` and prints a table. CPU time is ``time.process_time`` of the
training steps only (exploitability checks are not counted). The machine is shared: expect noise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np

from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.builder import build_abstraction
from holdem.abstraction.specs import load_spec
from holdem.abstraction.tree import build_tree
from holdem.games import load_game
from holdem.mccfr import MCCFRConfig
from holdem.training.sequential import SequentialTrainer

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"leduc_it_per_s": 1_500_000, "leduc_exploitability": {1: 0.02, 5: 0.008, 30: 0.003},
         "hunl_node_visits_per_s": 10_000_000}


def bench_small(game: str, algorithm: str, marks: list[float], batch: int) -> dict[str, Any]:
    trainer = SequentialTrainer.for_game(game, MCCFRConfig(seed=1, algorithm=algorithm), batch_size=batch)
    trainer.step(10)
    cpu = 0.0
    points = []
    pending = list(marks)
    while pending:
        started = time.process_time()
        trainer.step(batch)
        cpu += time.process_time() - started
        if cpu >= pending[0]:
            pending.pop(0)
            points.append({"cpu_seconds": round(cpu, 3), "iterations": trainer.iteration,
                           "it_per_s": round(trainer.iteration / cpu), "exploitability": trainer.exploitability()})
    return {"game": game, "algorithm": algorithm, "info_sets_rows": trainer.tree.num_rows, "points": points}


def bench_openspiel(game: str, marks: list[float]) -> dict[str, Any] | None:
    try:
        import pyspiel
        from open_spiel.python.algorithms import exploitability
    except ImportError:
        return None
    spiel_game = pyspiel.load_game(game)
    solver = pyspiel.ExternalSamplingMCCFRSolver(spiel_game, 1, pyspiel.MCCFRAverageType.SIMPLE)
    cpu = 0.0
    iterations = 0
    points = []
    pending = list(marks)
    while pending:
        started = time.process_time()
        for _ in range(1000):
            solver.run_iteration()
        cpu += time.process_time() - started
        iterations += 1000
        if cpu >= pending[0]:
            pending.pop(0)
            expl = exploitability.exploitability(spiel_game, solver.average_policy())
            points.append({"cpu_seconds": round(cpu, 3), "iterations": iterations,
                           "it_per_s": round(iterations / cpu), "exploitability": expl})
    return {"game": game, "algorithm": "openspiel C++ external sampling (SIMPLE averaging)", "points": points}


def bench_hunl(menu_name: str, buckets_name: str, seconds: float) -> dict[str, Any] | None:
    from holdem.abstraction.actions import load_menu

    game = load_game("hunl")
    path = ROOT / "assets" / "buckets" / f"hunl-{buckets_name}.npz"
    abstraction = CardAbstraction.load(path, game) if path.is_file() else build_abstraction(
        load_spec(buckets_name), game, progress=False)
    tree = build_tree(game, load_menu(menu_name), [int(x) for x in abstraction.num_buckets])
    trainer = SequentialTrainer.for_tree(tree, abstraction, MCCFRConfig(seed=1), batch_size=20_000)
    trainer.step(10)
    cpu = 0.0
    nodes0, iters0 = trainer.nodes, trainer.iteration
    while cpu < seconds:
        started = time.process_time()
        trainer.step(20_000)
        cpu += time.process_time() - started
    nodes = trainer.nodes - nodes0
    return {"menu": menu_name, "buckets": buckets_name, "nodes": tree.num_nodes, "rows": tree.num_rows,
            "table_bytes": trainer.run.memory["table_bytes"], "cpu_seconds": round(cpu, 3),
            "iterations": trainer.iteration - iters0, "it_per_s": round((trainer.iteration - iters0) / cpu),
            "node_visits_per_s": round(nodes / cpu)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marks", default="1,5,30", help="CPU-second marks (default 1,5,30)")
    parser.add_argument("--hunl-seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "mccfr.json")
    args = parser.parse_args()
    marks = [float(x) for x in args.marks.split(",")]
    runs = [bench_small("kuhn", "external", marks, 50_000), bench_small("leduc", "external", marks, 20_000),
            bench_small("leduc", "outcome", marks, 50_000)]
    reference = bench_openspiel("leduc_poker", marks)
    try:
        hunl = bench_hunl("quick", "quick", args.hunl_seconds)
    except (OSError, ValueError) as exc:
        hunl = {"error": str(exc)}
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numba": numba.__version__,
                    "load_average": os.getloadavg()},
        "note": "one core, CPU seconds of training steps; shared noisy machine (read figures as +-25%)",
        "goals": GOALS,
        "runs": runs,
        "openspiel": reference,
        "hunl": hunl,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=float) + "\n")
    header = f"{'solver':<34}{'game':<8}" + "".join(f"{f'@{m:g}s it/s':>14}{'expl':>10}" for m in marks)
    print(header)
    for run in runs + ([reference] if reference else []):
        cells = "".join(f"{p['it_per_s']:>14,}{p['exploitability']:>10.4f}" for p in run["points"])
        print(f"{run['algorithm'][:33]:<34}{run['game'][:7]:<8}{cells}")
    if "node_visits_per_s" in hunl:
        print(f"hunl {hunl['menu']}/{hunl['buckets']}: {hunl['node_visits_per_s']:,} node visits/s, "
              f"{hunl['it_per_s']:,} it/s, {hunl['rows']:,} rows")
    else:
        print(f"hunl: {hunl.get('error')}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
