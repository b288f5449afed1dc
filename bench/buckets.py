"""Benchmark card buckets: build time per spec, and bucket lookups per second from numba loops.

Build times exclude the potential-aware builder's compilation (a warm-up build on a 24-card deck runs
first); a legacy build on a cold numba cache includes its compilation. A build's projection to 64 cores
keeps its single-threaded parts (k-means updates, and whatever wall time the threads did not cover
here) and divides the rest of its CPU time by 64: an estimate, not a run.

Writes bench/results/buckets.json. Per street, on one core, over pre-dealt random heads-up deals (best of
several runs after warm-up, by process CPU time and by wall clock; the machine may be shared). A built spec is
saved and its lookups measured in a fresh process that loads the file, as a training worker gets its tables
(measured in the process that had built them, specs with tables of the same sizes differed by a third in river
lookups from one spec to the next):

- ``lookups_per_s_cpu``: as the MCCFR kernels look buckets up, both seats of a deal at once: on hold'em
  through the kernels' deal ring (:func:`ahead_loop`, ``dealt_ahead``), else one deal at a time through
  ``street_buckets_of`` (what ``deal_buckets_of`` runs per round: one board key per deal and street);
- ``single_deal_lookups_per_s_cpu``: one deal at a time through ``street_buckets_of`` (every game);
- ``per_hand_lookups_per_s_cpu``: one hand at a time through ``bucket_of`` (policy queries);
- ``index_only_per_s_cpu``: the canonical suit-isomorphic index alone, for reference.

``deal`` adds every street of a deal through ``deal_buckets_of`` (lookups = seats x streets per deal).
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

import numba
import numpy as np
from numba import njit

from holdem.abstraction.buckets import CardAbstraction, bucket_of, deal_buckets_of, lossless_for, street_buckets_of
from holdem.abstraction.builder import build_abstraction
from holdem.abstraction.isomorphism import index_nb
from holdem.abstraction.lookup import holdem_deal_cells, holdem_deal_keys, holdem_deal_values, is_holdem_kernel_data
from holdem.abstraction.specs import load_spec
from holdem.games import load_game
from holdem.mccfr.kernels_common import CELLS_AHEAD, DEAL_RING, KEYS_AHEAD

GOAL_LOOKUPS_PER_S = 50_000_000
RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "buckets.json"
STREETS = ("preflop", "flop", "turn", "river")
SEATS = 2


@njit(cache=True)
def lookup_loop(kd: np.ndarray, street: int, deals: np.ndarray, k: int) -> int:
    total = 0
    for i in range(deals.shape[0]):
        total += bucket_of(kd, street, deals[i], k)
    return total


@njit(cache=True)
def street_loop(kd: np.ndarray, street: int, deals: np.ndarray, hole: int, k: int) -> int:
    out = np.empty((SEATS, 1), dtype=np.int32)
    hand = np.empty(deals.shape[1], dtype=np.int32)
    total = 0
    for i in range(deals.shape[0]):
        street_buckets_of(kd, street, deals[i], SEATS, hole, k, hand, out, 0)
        total += out[0, 0] + out[1, 0]
    return total


@njit(cache=True)
def deal_loop(kd: np.ndarray, deals: np.ndarray, hole: int, board_counts: np.ndarray) -> int:
    out = np.empty((SEATS, board_counts.shape[0]), dtype=np.int32)
    hand = np.empty(deals.shape[1], dtype=np.int32)
    total = 0
    for i in range(deals.shape[0]):
        deal_buckets_of(kd, deals[i], SEATS, hole, board_counts, hand, out)
        total += out[0, 0] + out[1, out.shape[1] - 1]
    return total


@njit(cache=True, inline="always")
def _ahead_rounds(kd: np.ndarray, deals: np.ndarray, players: int, lo: int, hi: int) -> int:
    n = deals.shape[0]
    ring_cards = np.zeros((DEAL_RING, deals.shape[1]), dtype=np.int32)
    ring_keys = np.zeros((DEAL_RING, 4), dtype=np.int64)
    ring_cells = np.zeros((DEAL_RING, players, 4), dtype=np.int64)
    out = np.zeros((players, 4), dtype=np.int32)
    total = 0
    for t in range(-KEYS_AHEAD, n):
        if t + KEYS_AHEAD < n:
            slot = (t + KEYS_AHEAD) % DEAL_RING
            for c in range(deals.shape[1]):
                ring_cards[slot, c] = deals[t + KEYS_AHEAD, c]
            holdem_deal_keys(kd, ring_cards, slot, players, ring_keys, lo, hi)
        if 0 <= t + CELLS_AHEAD < n:
            holdem_deal_cells(kd, ring_cards, (t + CELLS_AHEAD) % DEAL_RING, players, ring_keys, ring_cells, lo, hi)
        if t >= 0:
            holdem_deal_values(kd, ring_cells, t % DEAL_RING, out, lo, hi)
            total += out[0, hi] + out[players - 1, hi]
    return total


@njit(cache=True)
def ahead_loop(kd: np.ndarray, deals: np.ndarray, players: int, lo: int, hi: int) -> int:
    """Rounds ``lo..hi`` of every deal as the kernels look them up: keys of deal t + ``KEYS_AHEAD``, cells of
    t + ``CELLS_AHEAD``, values of t (:func:`holdem.mccfr.kernels_common.deal_ahead`, without the dealing and
    ranking: the deals are copied into the ring instead). The rounds are constants of the compiled loop, as in
    the kernels (which look up rounds 0 to 3): a loop over rounds known only at run time is 15-20% slower."""
    if lo == 0 and hi == 3:
        return _ahead_rounds(kd, deals, players, 0, 3)
    if lo == 1 and hi == 1:
        return _ahead_rounds(kd, deals, players, 1, 1)
    if lo == 2 and hi == 2:
        return _ahead_rounds(kd, deals, players, 2, 2)
    if lo == 3 and hi == 3:
        return _ahead_rounds(kd, deals, players, 3, 3)
    if lo == 0 and hi == 0:
        return _ahead_rounds(kd, deals, players, 0, 0)
    return _ahead_rounds(kd, deals, players, lo, hi)


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
    hole = game.num_hole_cards
    board_counts = np.array([game.board_cards_before(r) for r in range(game.num_rounds)], dtype=np.int32)
    deals = deals_for(list(game.deck), SEATS * hole + int(board_counts[-1]), n, seed=1)
    ahead = bool(is_holdem_kernel_data(kd))
    out = {}
    for st in range(game.num_rounds):
        k = int(board_counts[st])
        hands = deals_for(list(game.deck), hole + k, n, seed=st)
        slot = abst.streets[st].slot
        wall, cpu = best_rates(lambda st=st, k=k: street_loop(kd, st, deals, hole, k), SEATS * n, repeats)
        hwall, hcpu = best_rates(lambda st=st, d=hands, k=k: lookup_loop(kd, st, d, hole + k), n, repeats)
        iwall, icpu = best_rates(lambda s=slot, d=hands, k=k: index_loop(tables, s, d, hole + k), n, repeats)
        name = STREETS[st] if game.num_rounds == 4 else f"round{st}"
        out[name] = {
            "single_deal_lookups_per_s_wall": wall, "single_deal_lookups_per_s_cpu": cpu,
            "per_hand_lookups_per_s_wall": hwall, "per_hand_lookups_per_s_cpu": hcpu,
            "index_only_per_s_cpu": icpu, "index_only_per_s_wall": iwall,
            "buckets": int(abst.num_buckets[st]), "mode": int(abst.streets[st].mode),
        }
        if ahead:
            wall, cpu = best_rates(lambda st=st: ahead_loop(kd, deals, SEATS, st, st), SEATS * n, repeats)
        out[name].update(lookups_per_s_wall=wall, lookups_per_s_cpu=cpu, dealt_ahead=ahead, keys_ahead=KEYS_AHEAD,
                         cells_ahead=CELLS_AHEAD)
        how = "deals looked up ahead" if ahead else "one deal at a time"
        print(f"  {name:<8} {cpu / 1e6:7.1f} M lookups/s (cpu, both seats, {how})"
              f"  {out[name]['single_deal_lookups_per_s_cpu'] / 1e6:7.1f} M/s one deal at a time  "
              f"{hcpu / 1e6:7.1f} M/s one hand at a time  index alone {icpu / 1e6:6.1f} M/s")
    per_deal = SEATS * game.num_rounds
    wall, cpu = best_rates(lambda: deal_loop(kd, deals, hole, board_counts), per_deal * n, repeats)
    out["deal"] = {"single_deal_lookups_per_s_wall": wall, "single_deal_lookups_per_s_cpu": cpu,
                   "lookups_per_deal": per_deal}
    if ahead:
        wall, cpu = best_rates(lambda: ahead_loop(kd, deals, SEATS, 0, 3), per_deal * n, repeats)
    out["deal"].update(lookups_per_s_wall=wall, lookups_per_s_cpu=cpu, dealt_ahead=ahead, keys_ahead=KEYS_AHEAD,
                       cells_ahead=CELLS_AHEAD)
    print(f"  {'deal':<8} {cpu / 1e6:7.1f} M lookups/s (cpu, every street of a deal, {per_deal} lookups per deal)")
    return out


def warm_up() -> None:
    """Compile the potential-aware builder's kernels on a 24-card deck, so build times exclude compilation."""
    from holdem.abstraction.specs import BucketSpec, StreetSpec
    from holdem.games import format_gamedef, parse_gamedef

    text = format_gamedef(load_game("hunl")).replace("numRanks = 13", "numRanks = 6")
    game = parse_gamedef(text.replace("name = hunl", "name = short"))
    spec = BucketSpec(name="warm-up", game="short", seed=1, flop=StreetSpec(4, "pa"), turn=StreetSpec(4, "pa"),
                      river=StreetSpec(4, "ochs"), kmeans_iterations=3, kmeans_sample=2000, opponent_clusters=4)
    build_abstraction(spec, game, progress=False, log=lambda msg: None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--specs", default="tiny,quick,quick-pa",
                        help="comma-separated specs to build (mid, mid-pa: minutes; large: tens of minutes)")
    parser.add_argument("--n", type=int, default=1_000_000, help="deals per lookup run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--lookups-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lookups_of:
        args.out.write_text(json.dumps(lookups(CardAbstraction.load(args.lookups_of), args.n, args.repeats)))
        return

    results: dict = {
        "goal_lookups_per_s_per_core": GOAL_LOOKUPS_PER_S, "n": args.n, "repeats": args.repeats,
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
                    "python": platform.python_version(), "numba": numba.__version__,
                    "load_avg": list(os.getloadavg())},
        "build": {}, "lookups": {},
        "note": "each built spec's lookups are measured in a fresh process that loads its saved file, as a training "
                "worker gets its tables",
    }
    if args.out.is_file():
        previous = json.loads(args.out.read_text())
        results["build"].update(previous.get("build", {}))
        results["lookups"].update(previous.get("lookups", {}))
    warm_up()
    for name in ("kuhn", "leduc"):
        print(f"lossless {name}")
        results["lookups"][f"lossless-{name}"] = lookups(lossless_for(name), args.n, args.repeats)
    for spec_name in [s for s in args.specs.split(",") if s]:
        spec = load_spec(spec_name)
        t, c = time.perf_counter(), time.process_time()
        abst = build_abstraction(spec, load_game(spec.game), progress=False, log=lambda msg: None)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        serial = float(abst.info["seconds"].get("serial", 0.0))
        threads = numba.config.NUMBA_NUM_THREADS
        other = max(0.0, wall - serial - (cpu - serial) / threads)
        results["build"][spec_name] = {
            "serial_seconds": serial, "projected_64_cores_s": serial + other + (cpu - serial) / 64,
            "seconds_wall": wall, "seconds_cpu": cpu, "num_buckets": abst.num_buckets.tolist(),
            "quality_within_over_total": abst.info["quality"], "stage_seconds": abst.info["seconds"],
            "content_hash": abst.content_hash(), "load_avg_at_end": list(os.getloadavg()),
            "table_bytes": int(sum(s.rows.nbytes for s in abst.streets if s.rows is not None)),
            "measured": time.strftime("%Y-%m-%d %H:%M"),
        }
        print(f"{spec_name}: built in {wall:.1f}s wall / {cpu:.1f}s cpu, buckets "
              f"{abst.num_buckets.tolist()}, quality {abst.info['quality']}")
        with tempfile.TemporaryDirectory(prefix="bench-buckets-") as tmp:
            path, report = Path(tmp) / f"{spec_name}.npz", Path(tmp) / "lookups.json"
            abst.save(path)
            del abst
            subprocess.run([sys.executable, "-m", "bench.buckets", "--lookups-of", str(path), "--n", str(args.n),
                            "--repeats", str(args.repeats), "--out", str(report)], check=True)
            results["lookups"][spec_name] = json.loads(report.read_text())
    rates = [v["lookups_per_s_cpu"] for spec in results["lookups"].values() for street, v in spec.items()
             if street != "deal"]
    results["goal_met_all_streets"] = bool(min(rates) >= GOAL_LOOKUPS_PER_S)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
