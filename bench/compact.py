"""Compact regret tables: memory per infoset-action, and whether they cost anything in play.

1. Memory, from the report a run gives before allocating: heads-up quick (quick menu and buckets), heads-up
   mid (mid menu, 200 buckets a street) and 6-max with 200 buckets a street (tiny menu), for float32, int32
   and int16 regrets.
2. Merge cost: the same recorded heads-up quick results merged into float32 and into int16 tables (CPU
   seconds per result on one thread).
3. Leduc for the same training seconds (one worker, in-process) with each regret type: exploitability.
   Goal: compact within 10% of float32.
4. Heads-up quick blueprints trained for the same seconds with float32 and int16 regrets (two workers), then
   ``holdem eval INT16 --against FLOAT32 --hands N``. Goal: the 95% interval of the difference holds zero.

Writes ``bench/results/compact.json``::

    python -m bench.compact [--leduc-seconds 30] [--hunl-seconds 120] [--hands 100000]
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

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"bytes_per_infoset_action": 6.0, "leduc_exploitability_vs_float32": 1.10, "hunl_ci_holds_zero": True}
DTYPES = ("float32", "int32", "int16")
SPECS = {"hunl-quick": ("hunl", "quick", "quick"), "hunl-mid": ("hunl", "mid", "mid"),
         "6max-200": ("6max", "tiny", "mid")}
QUIET = {"checkpoint_interval_seconds": 1e6, "snapshot_interval_seconds": 1e6, "progress_interval_seconds": 5.0}


def tree_for(game_name: str, menu: str, buckets: str) -> Any:
    from holdem.abstraction.actions import load_menu
    from holdem.abstraction.buckets import CardAbstraction
    from holdem.abstraction.store import spec_path
    from holdem.abstraction.tree import build_tree
    from holdem.games import load_game

    game = load_game(game_name)
    abstraction = CardAbstraction.load(spec_path(game, buckets), game)
    return build_tree(game, load_menu(menu), [int(x) for x in abstraction.num_buckets]), abstraction


def memory() -> dict[str, Any]:
    from holdem.mccfr.tables import memory_report, row_num_actions

    out = {}
    for name, spec in SPECS.items():
        tree, _ = tree_for(*spec)
        legal = int(row_num_actions(tree).sum())
        out[name] = {dtype: memory_report(tree.num_rows, tree.max_actions, regret_dtype=dtype, legal_actions=legal,
                                          lazy=dtype != "float32") for dtype in DTYPES}
    return out


def speed(frames: int = 12) -> dict[str, Any]:
    """Record heads-up quick results (0.1 s of kernel each, after a warm-up) and merge them into each table; also
    the kernel's node visits per CPU second reading the same regrets from a float32 and from an int16 table."""
    from holdem.mccfr import MCCFRConfig
    from holdem.mccfr.compact import UNIT_SCALE, encode_into, initial_scale
    from holdem.mccfr.tables import Tables, apply_deltas
    from holdem.training.sequential import SequentialTrainer

    tree, abstraction = tree_for(*SPECS["hunl-quick"])
    trainer = SequentialTrainer.for_tree(tree, abstraction, MCCFRConfig(seed=1), batch_size=2000)
    started = time.process_time()
    while time.process_time() - started < 3.0:
        trainer.run_batch(2000)
    run, runner = trainer.run, trainer.runner
    results = []
    for _ in range(frames):
        spent = 0.0
        while spent < 0.1:
            task = run.plan_batch(500)
            t0 = time.perf_counter()
            runner.accumulate(run.tables.regret, task["first_iteration"], task["iterations"], task["seed"],
                              np.asarray(task["params"]))
            spent += time.perf_counter() - t0
        results.append(runner.pack())
    actions = run.row_actions
    out: dict[str, Any] = {"rows_per_result": float(np.mean([r.num_rows for r in results]))}
    compact = np.zeros(run.tables.regret.shape, np.int16)
    compact_scale = initial_scale("int16", 1.0, tree.num_rows)
    encode_into(compact, compact_scale, run.tables.regret)
    kernel: dict[str, list[float]] = {"float32": [], "int16": []}
    for _ in range(3):
        for name, table, scale in (("float32", run.tables.regret, UNIT_SCALE), ("int16", compact, compact_scale)):
            task = run.plan_batch(2000)
            t0 = time.thread_time()
            _, visited = runner.accumulate(table, task["first_iteration"], task["iterations"], task["seed"],
                                           np.asarray(task["params"]), scale)
            kernel[name].append(visited / (time.thread_time() - t0))
            runner.pack()
    for name, rates in kernel.items():
        out[f"kernel_{name}"] = {"node_visits_per_cpu_s": round(float(np.median(rates)))}
    for dtype in ("float32", "int16"):
        shape = (tree.num_rows, tree.max_actions)
        tables = Tables(np.zeros(shape, dtype), np.zeros(shape, np.float32), initial_scale(dtype, 1.0, tree.num_rows))
        tables.regret[:] = 0
        tables.strategy_sum[:] = 0
        cpu = []
        for _ in range(3):
            for deltas in results:
                t0 = time.thread_time()
                apply_deltas(tables, deltas, actions, None, checked=True)
                cpu.append(time.thread_time() - t0)
        out[dtype] = {"merge_cpu_ms_per_result": round(1e3 * float(np.median(cpu[len(results):])), 3)}
    return out


def _train(logdir: Path, raw: dict[str, Any]) -> dict[str, Any]:
    config = logdir.with_suffix(".yaml")
    config.write_text(yaml.safe_dump({**raw, **QUIET}))
    done = subprocess.run([sys.executable, "-m", "holdem.cli.train_blueprint", "--config", str(config),
                           "--logdir", str(logdir), "--quiet"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"training {logdir.name} failed: {done.stderr.strip().splitlines()[-1:]}")
    events = [json.loads(line) for line in (logdir / "events.jsonl").read_text().splitlines()]
    end = [e for e in events if e["event"] == "run_end"][-1]
    start = [e for e in events if e["event"] == "run_start"][-1]
    return {"iterations": end["iterations"], "seconds": end["seconds"], "exploitability": end["exploitability"],
            "memory": start["memory"]}


def leduc(seconds: float, workdir: Path) -> dict[str, Any]:
    from holdem.training.config import load_config_file

    raw = {**load_config_file("leduc"), "num_workers": 1, "time_budget_seconds": seconds, "iterations": None,
           "exploitability_interval_seconds": 1e6}
    return {dtype: _train(workdir / f"leduc-{dtype}", {**raw, "regret_dtype": dtype}) for dtype in DTYPES}


def hunl(seconds: float | None, hands: int, workdir: Path, iterations: int | None = None) -> dict[str, Any]:
    """Both blueprints for the same seconds (or, given ``iterations``, the same iterations), then played."""
    from holdem.training.config import load_config_file

    workdir.mkdir(parents=True, exist_ok=True)
    raw = {**load_config_file("quickstart"), "num_workers": 2, "time_budget_seconds": seconds,
           "iterations": iterations}
    runs = {dtype: _train(workdir / f"hunl-{dtype}", {**raw, "regret_dtype": dtype}) for dtype in ("float32", "int16")}
    report = workdir / "eval.json"
    done = subprocess.run([sys.executable, "-m", "holdem.cli.main", "eval", str(workdir / "hunl-int16"), "--against",
                           str(workdir / "hunl-float32"), "--hands", str(hands), "--seed", "11", "--json", str(report),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"eval failed: {done.stderr.strip().splitlines()[-1:]}")
    return {"runs": runs, "eval": json.loads(report.read_text())}


def _ci(eval_report: dict[str, Any]) -> tuple[float, float, float]:
    """(mean, low, high) in mbb/hand of the int16 blueprint against the float32 one."""
    low, high = eval_report["ci95"]
    return float(eval_report["mbb_per_hand"]), float(low), float(high)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leduc-seconds", type=float, default=30.0)
    parser.add_argument("--hunl-seconds", type=float, default=120.0)
    parser.add_argument("--hands", type=int, default=100_000)
    parser.add_argument("--hunl-iterations", type=int, default=2_400_000,
                        help="part hunl_iterations: both heads-up blueprints for this many iterations instead")
    parser.add_argument("--parts", default="memory,speed,leduc,hunl",
                        help="what to measure; the others are kept from an existing report")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "compact.json")
    args = parser.parse_args()
    started = time.time()
    parts = set(args.parts.split(","))
    report: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    report.update({"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                               "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
                   "goals": GOALS})
    report.setdefault("settings", {}).update({k: v for k, v in vars(args).items() if k not in ("out", "parts")})
    if "memory" in parts:
        print("memory reports ...", file=sys.stderr, flush=True)
        report["memory"] = memory()
    if "speed" in parts:
        print("merge and kernel speed ...", file=sys.stderr, flush=True)
        report["merge"] = speed()
    with tempfile.TemporaryDirectory(prefix="bench-compact-") as tmp:
        if "leduc" in parts:
            print(f"leduc {args.leduc_seconds:.0f} s per regret type ...", file=sys.stderr, flush=True)
            report["leduc"] = leduc(args.leduc_seconds, Path(tmp))
        if "hunl" in parts:
            print(f"heads-up quick {args.hunl_seconds:.0f} s per regret type, then {args.hands} hands ...",
                  file=sys.stderr, flush=True)
            report["hunl"] = hunl(args.hunl_seconds, args.hands, Path(tmp))
        if "hunl_iterations" in parts:
            print(f"heads-up quick {args.hunl_iterations} iterations per regret type, then {args.hands} hands ...",
                  file=sys.stderr, flush=True)
            report["hunl_iterations"] = hunl(None, args.hands, Path(tmp) / "by-iterations", args.hunl_iterations)
    mem = report["memory"]
    measured: dict[str, Any] = {
        key: {name: {dtype: m[dtype][key] for dtype in DTYPES} for name, m in mem.items()}
        for key in ("bytes_per_infoset_action", "bytes_per_legal_action")}
    met: dict[str, Any] = {"bytes_per_infoset_action": {
        name: v["int16"] <= GOALS["bytes_per_infoset_action"]
        for name, v in measured["bytes_per_infoset_action"].items()}}
    if "leduc" in report:
        base = report["leduc"]["float32"]["exploitability"]
        measured["leduc_exploitability_vs_float32"] = {d: round(report["leduc"][d]["exploitability"] / base, 3)
                                                       for d in ("int32", "int16")}
        met["leduc_exploitability_vs_float32"] = {d: v <= GOALS["leduc_exploitability_vs_float32"]
                                                  for d, v in measured["leduc_exploitability_vs_float32"].items()}
    if "hunl" in report:
        mean, low, high = _ci(report["hunl"]["eval"])
        measured["hunl_int16_vs_float32_mbb"] = {"mean": mean, "ci95": [low, high]}
        met["hunl_ci_holds_zero"] = low <= 0.0 <= high
    if "hunl_iterations" in report:
        mean, low, high = _ci(report["hunl_iterations"]["eval"])
        measured["hunl_int16_vs_float32_mbb_equal_iterations"] = {"mean": mean, "ci95": [low, high]}
    report["measured"], report["met"] = measured, met
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["settings"]["total_s"] = round(time.time() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({"measured": measured, "met": met}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
