"""What sharing the machine costs the bare kernel: node visits per CPU-second of one kernel alone, and of each of
two kernels running at once (one per core), on the same game, menu, buckets and briefly trained tables.

Two workers of a run share the last-level cache and the memory bus, so per-core efficiency measured against a
kernel running alone includes what the hardware takes from two kernels side by side; this separates that part
from what the run itself costs. Each kernel runs in its own process (``bench.training.kernel_rate``). Writes
``bench/results/kernel_sharing.json``::

    python -m bench.kernel_sharing [--games hunl,seed] [--seconds 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import write_result

ROOT = Path(__file__).resolve().parents[1]


def _kernels(game: str, count: int, seconds: float, warmup_s: float) -> list[float]:
    """Node visits per CPU-second of ``count`` bare kernels started together, one process each."""
    code = ("import sys; from bench.training import _configs, kernel_rate; "
            f"print(kernel_rate(_configs('quick')[{game!r}], {seconds!r}, {warmup_s!r}))")
    children = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 cwd=ROOT, text=True) for _ in range(count)]
    rates = []
    for child in children:
        out, err = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"kernel for {game} failed: {err.strip().splitlines()[-1:]}")
        rates.append(float(out.strip().splitlines()[-1]))
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="hunl,seed", help="bench.training configs (leduc, hunl, seed)")
    parser.add_argument("--seconds", type=float, default=10.0, help="kernel CPU seconds measured per process")
    parser.add_argument("--warmup", type=float, default=10.0, help="CPU seconds of training before measuring")
    parser.add_argument("--rounds", type=int, default=2, help="alone and in pairs, interleaved")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kernel_sharing.json")
    args = parser.parse_args()
    started = time.time()
    games: dict[str, Any] = {}
    for game in args.games.split(","):
        alone: list[float] = []
        paired: list[float] = []
        for round_index in range(args.rounds):
            print(f"{game}: round {round_index + 1} of {args.rounds}, one kernel alone, then two at once ...",
                  file=sys.stderr, flush=True)
            alone += _kernels(game, 1, args.seconds, args.warmup)
            paired += _kernels(game, 2, args.seconds, args.warmup)
        mean_alone, mean_paired = sum(alone) / len(alone), sum(paired) / len(paired)
        games[game] = {"alone_node_visits_per_cpu_s": [round(x, 1) for x in alone],
                       "paired_node_visits_per_cpu_s": [round(x, 1) for x in paired],
                       "paired_over_alone": round(mean_paired / mean_alone, 3)}
        print(f"  {json.dumps(games[game])}", file=sys.stderr, flush=True)
    write_result(args.out, {"games": args.games, "seconds": args.seconds, "warmup_s": args.warmup,
                            "rounds": args.rounds, "total_s": round(time.time() - started, 1)}, games=games)
    print(json.dumps({g: v["paired_over_alone"] for g, v in games.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
