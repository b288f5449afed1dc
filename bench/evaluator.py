"""Benchmark the 7-card evaluator: batch API, scalar form in a numba loop, eval7 if installed, full census.

Writes bench/results/evaluator.json. Single core (numba parallel=False); best of several runs after warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit

from holdem.evaluator import CATEGORY_NAMES, CATEGORY_OF_RANK, N_HAND_RANKS, eval7, rank7

GOAL_EVALS_PER_S = 20_000_000
SEVEN_CARD_COUNTS = [23294460, 58627800, 31433400, 6461620, 6180020, 4047644, 3473184, 224848, 41584]
RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "evaluator.json"


@njit(cache=True)
def scalar_loop(hands: np.ndarray) -> int:
    total = 0
    for i in range(hands.shape[0]):
        h = hands[i]
        total += eval7(h[0], h[1], h[2], h[3], h[4], h[5], h[6])
    return total


@njit(cache=True)
def census(category_of_rank: np.ndarray) -> tuple[np.ndarray, int]:
    counts = np.zeros(9, dtype=np.int64)
    seen = np.zeros(N_HAND_RANKS + 1, dtype=np.bool_)
    for a in range(46):
        for b in range(a + 1, 47):
            for c in range(b + 1, 48):
                for d in range(c + 1, 49):
                    for e in range(d + 1, 50):
                        for f in range(e + 1, 51):
                            for g in range(f + 1, 52):
                                r = eval7(a, b, c, d, e, f, g)
                                counts[category_of_rank[r]] += 1
                                seen[r] = True
    return counts, int(seen.sum())


def best_rate(fn, n: int, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n / best


def bench_eval7_package(hands: np.ndarray, repeats: int) -> dict:
    try:
        import eval7 as ev7
    except ImportError:
        return {"evals_per_s": None, "reason": "eval7 not installed"}
    deck = [ev7.Card("23456789TJQKA"[c >> 2] + "cdhs"[c & 3]) for c in range(52)]
    sample = [[deck[c] for c in row] for row in hands.tolist()]
    rate = best_rate(lambda: [ev7.evaluate(h) for h in sample], len(sample), repeats)
    return {"evals_per_s": rate, "hands": len(sample), "version": getattr(ev7, "__version__", None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="hands per batch")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--skip-census", action="store_true", help="skip the 133,784,560-hand enumeration")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    hands = np.argsort(rng.random((args.n, 52)), axis=1)[:, :7].astype(np.int64)
    hands8 = hands.astype(np.int8)

    result: dict = {
        "goal_evals_per_s_per_core": GOAL_EVALS_PER_S,
        "n": args.n,
        "repeats": args.repeats,
        "batch_evals_per_s": best_rate(lambda: rank7(hands), args.n, args.repeats),
        "batch_unchecked_evals_per_s": best_rate(lambda: rank7(hands, check=False), args.n, args.repeats),
        "batch_int8_evals_per_s": best_rate(lambda: rank7(hands8), args.n, args.repeats),
        "numba_scalar_loop_evals_per_s": best_rate(lambda: scalar_loop(hands), args.n, args.repeats),
        "eval7_python": bench_eval7_package(hands[:200_000], min(args.repeats, 3)),
    }
    result["goal_met"] = result["batch_evals_per_s"] >= GOAL_EVALS_PER_S

    if args.skip_census:
        result["exhaustive_7card"] = None
    else:
        census(CATEGORY_OF_RANK)
        t = time.perf_counter()
        counts, distinct = census(CATEGORY_OF_RANK)
        seconds = time.perf_counter() - t
        result["exhaustive_7card"] = {
            "hands": int(counts.sum()),
            "seconds": seconds,
            "evals_per_s": counts.sum() / seconds,
            "distinct_ranks": distinct,
            "counts": {CATEGORY_NAMES[i]: int(counts[i]) for i in range(8, -1, -1)},
            "matches_expected": counts.tolist() == SEVEN_CARD_COUNTS and distinct == 4824,
        }

    result["machine"] = {
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": np.__version__,
    }
    result["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        if key.endswith("per_s"):
            print(f"{key:34s} {value / 1e6:8.1f} M/s")
    print(f"{'eval7 (Python)':34s} {result['eval7_python']}")
    print(f"{'goal 20 M/s met':34s} {result['goal_met']}")
    if result["exhaustive_7card"]:
        ex = result["exhaustive_7card"]
        print(f"{'exhaustive 7-card':34s} {ex['seconds']:.2f} s, expected counts: {ex['matches_expected']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
