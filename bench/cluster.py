"""Sizing a cluster on paper from measured per-batch figures (the table in docs/cluster.md).

For heads-up quick, heads-up mid and 6-max with 200 buckets a street, it records real results as a worker
sends them (``--result-seconds`` of kernel time each, after a warm-up), measures what merging one costs
(float32 and int16 regret tables, one thread), and takes the supervisor's bookkeeping CPU per result (its
CPU per result less the merge) from ``python -m bench.capacity`` replay runs (``--capacity FILE``). From these
it projects, at 64, 256 and 1,024 workers: table rows and memory, supervisor CPU (event loop and merge
thread), result bytes/s into the head and snapshot bytes/s out of it (Ray backend: one copy of the regret
table per node per refresh), and the first resource to run out. Writes ``bench/results/cluster.json``::

    python -m bench.cluster --capacity bench/results/capacity.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.compact import SPECS, tree_for
from bench.frames import kernel_frames

ROOT = Path(__file__).resolve().parents[1]
WORKERS = (64, 256, 1024)
WORKERS_PER_NODE = 64
NIC_BYTES_PER_S = 1.25e9
REFRESH_S = 1.0
CAPACITY_SPEC = {"hunl-quick": "quick", "hunl-mid": "mid", "6max-200": "mid"}
"""Which bench.capacity recording stands for each spec's supervisor bookkeeping per result."""


def record(name: str, result_seconds: float, frames: int, warmup_s: float) -> dict[str, Any]:
    """A worker's results on this spec: rows, bytes and kernel seconds each; merge CPU per result per table kind."""
    from holdem.mccfr import MCCFRConfig
    from holdem.mccfr.compact import initial_scale
    from holdem.mccfr.tables import Tables, apply_deltas, memory_report, row_num_actions
    from holdem.training.sequential import SequentialTrainer

    tree, abstraction = tree_for(*SPECS[name])
    trainer = SequentialTrainer.for_tree(tree, abstraction, MCCFRConfig(seed=1), batch_size=500)
    started = time.process_time()
    while time.process_time() - started < warmup_s:
        trainer.run_batch(200)
    run = trainer.run
    recorded = kernel_frames(trainer, frames, result_seconds, 100)
    results = [f.deltas for f in recorded]
    result_rows = [r.rows().shape[0] for r in results]
    seconds, iterations, nodes = ([getattr(f, k) for f in recorded] for k in ("seconds", "iterations", "nodes"))
    merge = {}
    for dtype in ("float32", "int16"):
        shape = (tree.num_rows, tree.max_actions)
        tables = Tables(np.zeros(shape, dtype), np.zeros(shape, np.float32), initial_scale(dtype, 1.0, tree.num_rows))
        tables.regret[:] = 0
        tables.strategy_sum[:] = 0
        cpu = []
        for deltas in results * 2:
            t0 = time.thread_time()
            apply_deltas(tables, deltas, run.row_actions, None, checked=True)
            cpu.append(time.thread_time() - t0)
        merge[dtype] = float(np.median(cpu[len(results):]))
    legal = int(row_num_actions(tree).sum())
    return {
        "rows": tree.num_rows, "max_actions": tree.max_actions, "legal_actions": legal,
        "table_bytes": {d: memory_report(tree.num_rows, tree.max_actions, regret_dtype=d)["table_bytes"]
                        for d in ("float32", "int16")},
        "regret_bytes": {"float32": tree.num_rows * tree.max_actions * 4,
                         "int16": tree.num_rows * (tree.max_actions * 2 + 4)},
        "delta_buffer_bytes_max": memory_report(tree.num_rows, tree.max_actions)["delta_buffer_bytes_per_worker_max"],
        "delta_buffer_bytes": delta_buffer_bytes(tree.num_rows, tree.max_actions,
                                                 float(np.mean(result_rows))),
        "result_rows_mean": float(np.mean(result_rows)),
        "result_bytes_mean": float(np.mean([r.nbytes for r in results])),
        "kernel_s_per_result": float(np.mean(seconds)),
        "iterations_per_result": float(np.mean(iterations)),
        "nodes_per_kernel_s": float(np.sum(nodes) / np.sum(seconds)),
        "merge_cpu_s_per_result": merge,
    }


def delta_buffer_bytes(rows: int, max_actions: int, touched_rows: float) -> int:
    """A worker's delta buffer once grown (doubling from 16,384 rows) to hold what one result touches."""
    from holdem.mccfr.tables import delta_slot_bytes

    capacity = 1 << 14
    while capacity < touched_rows and capacity < rows:
        capacity *= 2
    return int(4 * rows + min(capacity, rows) * (8 + delta_slot_bytes(max_actions)))


def bookkeeping(capacity: dict[str, Any]) -> dict[str, float]:
    """Supervisor CPU per result besides the merge, per bench.capacity spec (the lowest over its runs)."""
    out = {}
    for spec, data in capacity["specs"].items():
        measured = [r for r in data["runs"] if r.get("supervisor_cpu_ms_per_frame") is not None]
        if measured:
            out[spec] = min((r["supervisor_cpu_ms_per_frame"] - r["merge_cpu_ms_per_frame"]) / 1e3 for r in measured)
    return out


def project(figures: dict[str, Any], book_s: float, workers: int, dtype: str) -> dict[str, Any]:
    """What ``workers`` workers cost the head, and the first resource to run out."""
    results_per_s = workers / figures["kernel_s_per_result"]
    nodes = -(-workers // WORKERS_PER_NODE)
    use = {
        "event loop (1 core)": results_per_s * book_s,
        "merge thread (1 core)": results_per_s * figures["merge_cpu_s_per_result"][dtype],
        "results into the head (10 Gb/s)": results_per_s * figures["result_bytes_mean"] / NIC_BYTES_PER_S,
        "snapshots out of the head (10 Gb/s)": nodes * figures["regret_bytes"][dtype] / REFRESH_S / NIC_BYTES_PER_S,
    }
    first = max(use, key=use.get)
    return {
        "workers": workers, "nodes": nodes, "results_per_s": round(results_per_s, 1),
        "supervisor_loop_cores": round(use["event loop (1 core)"], 3),
        "merge_thread_cores": round(use["merge thread (1 core)"], 3),
        "result_bytes_per_s_per_worker": round(figures["result_bytes_mean"] / figures["kernel_s_per_result"]),
        "result_bytes_per_s_into_head": round(results_per_s * figures["result_bytes_mean"]),
        "snapshot_bytes_per_s_per_node": round(figures["regret_bytes"][dtype] / REFRESH_S),
        "snapshot_bytes_per_s_out_of_head": round(nodes * figures["regret_bytes"][dtype] / REFRESH_S),
        "head_table_bytes": figures["table_bytes"][dtype] + 2 * figures["regret_bytes"][dtype],
        "node_bytes": figures["regret_bytes"][dtype] + WORKERS_PER_NODE * figures["delta_buffer_bytes"],
        "merge_thread_cores_float32": round(results_per_s * figures["merge_cpu_s_per_result"]["float32"], 3),
        "utilisation": {k: round(v, 3) for k, v in use.items()},
        "bottleneck": first if use[first] >= 1.0 else None,
        "next_bottleneck": first,
    }


def markdown(report: dict[str, Any], dtype: str = "int16") -> str:
    """The sizing table of docs/cluster.md, from a report."""
    lines = ["| abstraction | rows | result every | workers | head memory | node memory | loop cores "
             "| merge cores int16 (float32) | results in | snapshots out | per worker in | first to run out |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for spec, by_seconds in report["specs"].items():
        for seconds, figures in by_seconds.items():
            for p in figures["projections"][dtype]:
                over = p["bottleneck"] or f"({p['next_bottleneck']})"
                lines.append(
                    f"| {spec} | {figures['rows']:,} | {seconds} s | {p['workers']:,} | "
                    f"{p['head_table_bytes'] / 1e9:.2f} GB | {p['node_bytes'] / 1e9:.1f} GB | "
                    f"{p['supervisor_loop_cores']:.2f} | {p['merge_thread_cores']:.2f} "
                    f"({p['merge_thread_cores_float32']:.2f}) | "
                    f"{p['result_bytes_per_s_into_head'] / 1e6:,.0f} MB/s | "
                    f"{p['snapshot_bytes_per_s_out_of_head'] / 1e6:,.0f} MB/s | "
                    f"{p['result_bytes_per_s_per_worker'] / 1e6:.1f} MB/s | {over} |")
    return "\n".join(lines)


def feedable(figures: dict[str, Any], book_s: float, dtype: str) -> dict[str, Any]:
    """The most workers one head feeds before a resource that grows with workers is full, and which one."""
    per_worker = project(figures, book_s, 1, dtype)["utilisation"]
    linear = {name: use for name, use in per_worker.items() if "snapshots" not in name}
    limit = max(linear, key=linear.get)
    return {"workers": int(1.0 / linear[limit]), "limit": limit}


def feedable_markdown(report: dict[str, Any]) -> str:
    """Workers one head feeds, per abstraction, result length and regret storage."""
    lines = ["| abstraction | result every | int16 tables | float32 tables |", "|---|---:|---|---|"]
    for spec, by_seconds in report["specs"].items():
        for seconds, figures in by_seconds.items():
            cells = [f"{f['workers']:,} ({f['limit']})" for f in (figures["feedable"][d] for d in ("int16", "float32"))]
            lines.append(f"| {spec} | {seconds} s | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=Path, help="a bench.capacity report (JSON)")
    parser.add_argument("--markdown", type=Path, help="print the sizing table of this cluster report and exit")
    parser.add_argument("--reproject", type=Path, help="recompute the projections of this report from its figures")
    parser.add_argument("--result-seconds", default="0.1,1.0",
                        help="kernel CPU seconds a worker holds per result (batch_target_seconds), comma-separated")
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cluster.json")
    args = parser.parse_args()
    if args.markdown is not None:
        report = json.loads(args.markdown.read_text())
        print(markdown(report) + "\n\n" + feedable_markdown(report))
        return 0
    if args.reproject is not None:
        report = json.loads(args.reproject.read_text())
        for name, by_seconds in report["specs"].items():
            for figures in by_seconds.values():
                tree, _ = tree_for(*SPECS[name])
                figures["delta_buffer_bytes"] = delta_buffer_bytes(tree.num_rows, tree.max_actions,
                                                                   figures["result_rows_mean"])
                book_s = report["bookkeeping_cpu_s_per_result"][CAPACITY_SPEC[name]]
                figures["projections"] = {dtype: [project(figures, book_s, n, dtype) for n in WORKERS]
                                          for dtype in ("float32", "int16")}
                figures["feedable"] = {dtype: feedable(figures, book_s, dtype) for dtype in ("float32", "int16")}
        args.reproject.write_text(json.dumps(report, indent=1) + "\n")
        return 0
    if args.capacity is None:
        parser.error("--capacity FILE is required to measure")
    capacity = json.loads(args.capacity.read_text())
    book = bookkeeping(capacity)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
        "assumptions": {"workers_per_node": WORKERS_PER_NODE, "nic_bytes_per_s": NIC_BYTES_PER_S,
                        "snapshot_refresh_s": REFRESH_S,
                        "bookkeeping_from": str(args.capacity)},
        "bookkeeping_cpu_s_per_result": book, "specs": {},
        "capacity_runs": {spec: data["runs"] for spec, data in capacity["specs"].items()},
    }
    for name in SPECS:
        report["specs"][name] = {}
        for result_seconds in (float(x) for x in args.result_seconds.split(",")):
            print(f"{name}: recording results of {result_seconds:g} s ...", file=sys.stderr, flush=True)
            figures = record(name, result_seconds, args.frames, 3.0)
            book_s = book[CAPACITY_SPEC[name]]
            figures["projections"] = {dtype: [project(figures, book_s, n, dtype) for n in WORKERS]
                                      for dtype in ("float32", "int16")}
            figures["feedable"] = {dtype: feedable(figures, book_s, dtype) for dtype in ("float32", "int16")}
            report["specs"][name][f"{result_seconds:g}"] = figures
            for row in figures["projections"]["int16"]:
                print(f"  {row['workers']:>5} workers: loop {row['supervisor_loop_cores']:.2f} cores, merge "
                      f"{row['merge_thread_cores']:.2f}, in {row['result_bytes_per_s_into_head'] / 1e6:.0f} MB/s, "
                      f"out {row['snapshot_bytes_per_s_out_of_head'] / 1e6:.0f} MB/s -> {row['next_bottleneck']}",
                      file=sys.stderr, flush=True)
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
