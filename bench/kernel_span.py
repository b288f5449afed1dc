"""Where the per-core efficiency goes: the bare kernel's node visits per CPU-second against how many iterations
it runs between packs of its deltas: alone, with the packing, and with the packed deltas added to the tables.

A worker gathers a result's deltas in a buffer with a slot per row touched, and packs them once per result. The
longer the span, the more rows the buffer holds and the more of its writes miss the cache; the shorter, the more
often the same rows are packed and merged. The spans run in turn in one process on the same tables (trained for
a while first, then by the measured spans themselves), round after round, so this machine's drift between
minutes falls on all of them alike; each figure is a median over rounds. Writes
``bench/results/kernel_span.json``::

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
from bench.training import _configs, timed_span, warmed_kernel

ROOT = Path(__file__).resolve().parents[1]


def measure(raw: dict[str, Any], spans: list[int], seconds: float, rounds: int, warmup_s: float
            ) -> dict[str, Any]:
    """Per span: node visits per CPU-second of the kernel alone, with its packing, and with the packed deltas also
    added to the tables (as a merge or a worker's commit does), each round's and the median; and the best span
    with packing (a worker whose results the supervisor merges) and with merging too (a worker that commits, or the
    in-process trainer) over the kernel alone at the shortest span, the reference a run is held to."""
    per_span: dict[int, list[tuple[float, float, float]]] = {span: [] for span in spans}
    with warmed_kernel(raw, warmup_s) as (run, runner, config, first):
        trained = first
        for round_index in range(rounds):
            for span in spans:
                nodes, kernel_cpu, pack_cpu, merge_cpu, first = timed_span(run, runner, config, first, span, seconds,
                                                                            merge=True)
                per_span[span].append((nodes / kernel_cpu, nodes / (kernel_cpu + pack_cpu),
                                       nodes / (kernel_cpu + pack_cpu + merge_cpu)))
            print(f"  round {round_index + 1}: " + ", ".join(
                f"{span}: " + "/".join(f"{rate / 1e6:.2f}" for rate in per_span[span][-1]) + " M"
                for span in spans), file=sys.stderr, flush=True)
    out: dict[str, Any] = {"iterations_trained_before": trained, "spans": {}}
    for span, rates in per_span.items():
        out["spans"][str(span)] = {
            "kernel_node_visits_per_cpu_s": round(statistics.median(r[0] for r in rates), 1),
            "with_pack_node_visits_per_cpu_s": round(statistics.median(r[1] for r in rates), 1),
            "with_pack_and_merge_node_visits_per_cpu_s": round(statistics.median(r[2] for r in rates), 1),
            "pack_share": round(statistics.median(1 - r[1] / r[0] for r in rates), 4),
            "merge_share": round(statistics.median(1 - r[2] / r[1] for r in rates), 4),
            "rounds": [[round(rate, 1) for rate in r] for r in rates]}
    reference = out["spans"][str(min(spans))]["kernel_node_visits_per_cpu_s"]
    for key, field in (("best_with_pack_over_shortest_kernel", "with_pack_node_visits_per_cpu_s"),
                       ("best_with_merge_over_shortest_kernel", "with_pack_and_merge_node_visits_per_cpu_s")):
        out[key] = round(max(v[field] for v in out["spans"].values()) / reference, 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="hunl,seed", help="bench.training configs (leduc, hunl, seed)")
    parser.add_argument("--spans", default="1000,4000,16000,64000", help="iterations between packs")
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per span per round")
    parser.add_argument("--rounds", type=int, default=6, help="rounds, each running every span in turn")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="CPU seconds of training before measuring (on the 5-hour config, past pruning's start)")
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
