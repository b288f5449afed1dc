"""Benchmark card buckets: build time per spec, and bucket lookups per second from a numba loop.

Writes bench/results/buckets.json. Lookups run on one core over pre-dealt random hands (best of several
runs after warm-up), reported by wall clock and by process CPU time (the machine may be shared).
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

from holdem.abstraction.buckets import CardAbstraction, bucket_of, lossless_for
from holdem.abstraction.builder import build_abstraction
from holdem.abstraction.isomorphism import index_nb
from holdem.abstraction.specs import load_spec
from holdem.games import load_game

GOAL_LOOKUPS_PER_S = 50_000_000
RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "buckets.json"
STREETS = ("preflop", "flop", "turn", "river")


@njit(cache=True)
def lookup_loop(kd: tuple, street: int, deals: np.ndarray, k: int) -> int:
    total = 0
    for i in range(deals.shape[0]):
        total += bucket_of(kd, street, deals[i], k)
    return total


@njit(cache=True)
def index_loop(tables: tuple, street: int, deals: np.ndarray, k: int) -> int:
    total = 0
    for i in range(deals.shape[0]):
        total += index_nb(tables, street, deals[i], k)
    return total


def best_rates(fn, n: int, repeats: int) -> tuple[float, float]:
    fn()
    wall = cpu = float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return n / wall, n / cpu


def deals_for(game_cards: list[int], k: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    deck = np.array(game_cards, dtype=np.int32)
    keys = rng.random((n, len(deck)))
    return np.ascontiguousarray(deck[np.argsort(keys, axis=1)[:, :k]])


def lookups(abst: CardAbstraction, n: int, repeats: int) -> dict[str, dict[str, float]]:
    game = abst.game
    kd = abst.kernel_data()
    tables = abst.indexer.tables()
    out = {}
    for st in range(game.num_rounds):
        k = game.num_hole_cards + game.board_cards_before(st)
        deals = deals_for(list(game.deck), k, n, seed=st)
        slot = abst.streets[st].slot
        wall, cpu = best_rates(lambda st=st, d=deals, k=k: lookup_loop(kd, st, d, k), n, repeats)
        iwall, icpu = best_rates(lambda s=slot, d=deals, k=k: index_loop(tables, s, d, k), n, repeats)
        name = STREETS[st] if game.num_rounds == 4 else f"round{st}"
        out[name] = {
            "lookups_per_s_wall": wall, "lookups_per_s_cpu": cpu,
            "index_only_per_s_cpu": icpu, "index_only_per_s_wall": iwall,
            "buckets": int(abst.num_buckets[st]), "mode": int(abst.streets[st].mode),
        }
        print(f"  {name:<8} {cpu / 1e6:7.1f} M lookups/s (cpu)  {wall / 1e6:7.1f} M/s (wall)  "
              f"index alone {icpu / 1e6:6.1f} M/s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", default="tiny,quick", help="comma-separated specs to build (mid: minutes)")
    parser.add_argument("--n", type=int, default=1_000_000, help="hands per lookup run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    results: dict = {
        "goal_lookups_per_s_per_core": GOAL_LOOKUPS_PER_S, "n": args.n, "repeats": args.repeats,
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
                    "python": platform.python_version(), "numba": numba.__version__},
        "build": {}, "lookups": {},
    }
    for name in ("kuhn", "leduc"):
        print(f"lossless {name}")
        results["lookups"][f"lossless-{name}"] = lookups(lossless_for(name), args.n, args.repeats)
    for spec_name in [s for s in args.specs.split(",") if s]:
        spec = load_spec(spec_name)
        t, c = time.perf_counter(), time.process_time()
        abst = build_abstraction(spec, load_game(spec.game), progress=False, log=lambda msg: None)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        results["build"][spec_name] = {
            "seconds_wall": wall, "seconds_cpu": cpu, "num_buckets": abst.num_buckets.tolist(),
            "quality_within_over_total": abst.info["quality"], "stage_seconds": abst.info["seconds"],
            "content_hash": abst.content_hash(),
        }
        print(f"{spec_name}: built in {wall:.1f}s wall / {cpu:.1f}s cpu, buckets "
              f"{abst.num_buckets.tolist()}, quality {abst.info['quality']}")
        results["lookups"][spec_name] = lookups(abst, args.n, args.repeats)
        del abst
    rates = [v["lookups_per_s_cpu"] for spec in results["lookups"].values() for v in spec.values()]
    results["goal_met_all_streets"] = bool(min(rates) >= GOAL_LOOKUPS_PER_S)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
