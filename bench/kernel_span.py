"""Where the per-core efficiency goes: the bare kernel's node visits per CPU-second against how many iterations
it runs between packs of its deltas, with and without the packing.

A worker gathers a result's deltas in a buffer with a slot per row touched, and packs them once per result. The
longer the span, the more rows the buffer holds and the more of its writes miss the cache; the shorter, the more
often the same rows are packed. The spans run in turn in one process on the same briefly trained tables, round
after round, so this machine's drift between minutes falls on all of them alike; each figure is a median over
rounds. Writes ``bench/results/kernel_span.json``::

    python -m bench.kernel_span [--games hunl,seed] [--spans 1000,4000,16000,64000] [--seconds 3] [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import write_result
from bench.training import _configs, kernel_span, warmed_kernel

ROOT = Path(__file__).resolve().parents[1]


def measure(raw: dict[str, Any], spans: list[int], seconds: float, rounds: int, warmup_s: float
            ) -> dict[str, Any]:
    """Per span: node visits per kernel CPU-second and per kernel-and-packing CPU-second, each round's and the
    median; and the best with packing over the kernel alone at the shortest span (the reference a run is held to)."""
    per_span: dict[int, list[tuple[float, float]]] = {span: [] for span in spans}
    with warmed_kernel(raw, warmup_s) as (run, runner, config, first):
        for round_index in range(rounds):
            for span in spans:
                nodes, kernel_cpu, pack_cpu, first = kernel_span(run, runner, config, first, span, seconds)
                per_span[span].append((nodes / kernel_cpu, nodes / (kernel_cpu + pack_cpu)))
            print(f"  round {round_index + 1}: " + ", ".join(
                f"{span}: {per_span[span][-1][0] / 1e6:.2f}/{per_span[span][-1][1] / 1e6:.2f} M"
                for span in spans), file=sys.stderr, flush=True)
    out: dict[str, Any] = {"spans": {}}
    for span, rates in per_span.items():
        out["spans"][str(span)] = {
            "kernel_node_visits_per_cpu_s": round(statistics.median(r[0] for r in rates), 1),
            "with_pack_node_visits_per_cpu_s": round(statistics.median(r[1] for r in rates), 1),
            "pack_share": round(statistics.median(1 - r[1] / r[0] for r in rates), 4),
            "rounds": [[round(r[0], 1), round(r[1], 1)] for r in rates]}
    reference = out["spans"][str(min(spans))]["kernel_node_visits_per_cpu_s"]
    best = max(v["with_pack_node_visits_per_cpu_s"] for v in out["spans"].values())
    out["best_with_pack_over_shortest_kernel"] = round(best / reference, 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="hunl,seed", help="bench.training configs (leduc, hunl, seed)")
    parser.add_argument("--spans", default="1000,4000,16000,64000", help="iterations between packs")
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per span per round")
    parser.add_argument("--rounds", type=int, default=6, help="rounds, each running every span in turn")
    parser.add_argument("--warmup", type=float, default=20.0, help="CPU seconds of training before measuring")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kernel_span.json")
    args = parser.parse_args()
    spans = sorted(int(x) for x in args.spans.split(","))
    started = time.time()
    games: dict[str, Any] = {}
    configs = _configs("quick")
    for game in args.games.split(","):
        print(f"{game}: spans {spans}, {args.rounds} rounds (kernel alone / with packing, M node visits per "
              "CPU-s) ...", file=sys.stderr, flush=True)
        games[game] = measure(configs[game], spans, args.seconds, args.rounds, args.warmup)
    write_result(args.out, {"games": args.games, "spans": spans, "seconds": args.seconds, "rounds": args.rounds,
                            "warmup_s": args.warmup, "total_s": round(time.time() - started, 1)}, games=games)
    print(json.dumps({g: v["best_with_pack_over_shortest_kernel"] for g, v in games.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
