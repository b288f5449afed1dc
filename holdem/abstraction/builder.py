"""Build clustered hold'em buckets: exact strength features per canonical class, then k-means."""

from __future__ import annotations

import sys
import time
from typing import Any

import numba
import numpy as np
from numba import njit, prange

from holdem.abstraction import features as F
from holdem.abstraction.buckets import (
    MODE_BOARD_RANK,
    MODE_IDENTITY,
    MODE_TABLE,
    BucketSpecError,
    CardAbstraction,
    StreetAbstraction,
    is_holdem_deal,
)
from holdem.abstraction.isomorphism import HandIndexer
from holdem.abstraction.kmeans import Clustering, kmeans, kmeans_1d
from holdem.abstraction.progress import Progress
from holdem.abstraction.specs import BucketSpec
from holdem.games import GameDef, load_game

HOLDEM_SHAPES = [(2,), (2, 3), (2, 4), (2, 5), (5,)]
BOARD_SLOT = 4
RUNOUTS = {1: 47 * 46, 2: 46}


@njit(cache=True, parallel=True)
def _cumulate(counts: np.ndarray) -> None:
    for i in prange(counts.shape[0]):
        for b in range(1, counts.shape[1]):
            counts[i, b] += counts[i, b - 1]


@njit(cache=True, parallel=True)
def _map_levels(p2: np.ndarray, level_bucket: np.ndarray, out: np.ndarray) -> None:
    for i in prange(p2.shape[0]):
        out[i] = level_bucket[p2[i]]


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    step = max(1, -(-n // parts))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


class _Builder:
    def __init__(self, spec: BucketSpec, game: GameDef, progress: bool, log: Any) -> None:
        self.spec = spec
        self.game = game
        self.show = progress
        self.log = log if log is not None else (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.indexer = HandIndexer.from_shapes(13, 4, HOLDEM_SHAPES)
        self.boards = HandIndexer.from_shapes(13, 4, [(3,), (4,), (5,)])
        self.threads = numba.config.NUMBA_NUM_THREADS
        self.quality: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def canonical_boards(self, street: int) -> tuple[np.ndarray, np.ndarray]:
        ids = np.arange(self.boards.size(street - 1))
        return self.boards.unindex(street - 1, ids), self.boards.weights(street - 1, ids)

    def run_chunks(self, label: str, n: int, parts: int, fn: Any) -> float:
        bar = Progress(label, enabled=self.show)
        for a, b in _chunks(n, parts):
            fn(a, b)
            bar.update(b, n)
        return bar.done()

    def strength(self, street: int, write: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weighted p2 histogram over all (board, pair), and if ``write`` per-class p2 and weights."""
        boards, weights = self.canonical_boards(street)
        nb = boards.shape[1]
        levels = F.p2_levels(nb)
        hist = np.zeros((self.threads, levels), dtype=np.int64)
        size = self.indexer.size(street) if write else 1
        p2 = np.zeros(size, dtype=np.int16)
        cw = np.zeros(size, dtype=np.int64)
        tables = self.indexer.tables()
        name = ("flop", "turn", "river")[street - 1]

        def step(a: int, b: int) -> None:
            F.strength_stage(boards[a:b], weights[a:b], tables, street, write, p2, cw, hist)

        self.seconds[f"{name}_strength"] = self.run_chunks(f"{name} strength ({len(boards)} boards)",
                                                           len(boards), 100, step)
        return hist.sum(axis=0), p2, cw

    def turn_counts(self) -> tuple[np.ndarray, np.ndarray]:
        boards, weights = self.canonical_boards(2)
        size = self.indexer.size(2)
        counts = np.zeros((size, self.spec.hist_bins), dtype=np.uint8)
        cw = np.zeros(size, dtype=np.int64)
        tables = self.indexer.tables()

        def step(a: int, b: int) -> None:
            F.turn_hist_stage(boards[a:b], weights[a:b], tables, 2, self.spec.hist_bins, counts, cw)

        self.seconds["turn_histograms"] = self.run_chunks("turn histograms (river sweeps)", len(boards),
                                                          200, step)
        return counts, cw

    def flop_counts(self, turn_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        boards, weights = self.canonical_boards(1)
        size = self.indexer.size(1)
        counts = np.zeros((size, self.spec.hist_bins), dtype=np.uint16)
        cw = np.zeros(size, dtype=np.int64)
        tables = self.indexer.tables()

        def step(a: int, b: int) -> None:
            F.flop_hist_stage(boards[a:b], weights[a:b], tables, 1, 2, turn_counts, counts, cw)

        self.seconds["flop_histograms"] = self.run_chunks("flop histograms", len(boards), 100, step)
        return counts, cw

    def cluster_levels(self, name: str, hist: np.ndarray, k: int) -> Clustering:
        c = kmeans_1d(hist, k, self.spec.kmeans_iterations)
        self.quality[name] = c.ratio
        return c

    def cluster_rows(self, name: str, counts: np.ndarray, weights: np.ndarray, k: int,
                     total: int) -> Clustering:
        _cumulate(counts)
        bar = Progress(f"{name} k-means (k={k})", enabled=self.show)
        seed = self.spec.seed + 1000 * (STREETS.index(name) + 1)
        c = kmeans(counts, 1.0 / total, weights, k, self.spec.kmeans_iterations, self.spec.kmeans_sample,
                   seed, progress=bar.update)
        self.seconds[f"{name}_kmeans"] = bar.done()
        self.quality[name] = c.ratio
        return c

    def report(self, name: str, classes: int, c: Clustering, feature: str) -> None:
        self.log(f"{name}: {classes:,} classes -> {c.k} buckets ({feature}); within/total variance of the "
                 f"feature {c.ratio:.3g}")

    def build(self) -> CardAbstraction:
        spec = self.spec
        t0 = time.perf_counter()
        self.log(f"building {spec.name!r} buckets for {self.game.name} (seed {spec.seed}, "
                 f"{self.threads} threads)")
        streets = [StreetAbstraction(MODE_IDENTITY, 169, 0)]
        need_turn_counts = "hist" in (spec.flop.feature, spec.turn.feature)
        turn_counts = turn_w = None
        if need_turn_counts:
            turn_counts, turn_w = self.turn_counts()
        for street, name in ((1, "flop"), (2, "turn")):
            s = getattr(spec, name)
            size = self.indexer.size(street)
            if s.feature == "hs":
                hist, p2, _ = self.strength(street, write=True)
                c = self.cluster_levels(name, hist, s.buckets)
                table = np.empty(size, dtype=np.uint16)
                _map_levels(p2, c.labels.astype(np.uint16), table)
                del p2
            else:
                if street == 1:
                    counts, w = self.flop_counts(turn_counts)
                else:
                    counts, w = turn_counts, turn_w
                c = self.cluster_rows(name, counts, w, s.buckets, RUNOUTS[street])
                table = c.labels.astype(np.uint16)
                del counts
            self.report(name, size, c, s.feature)
            streets.append(StreetAbstraction(MODE_TABLE, c.k, street, table=table))
        del turn_counts, turn_w
        hist, _, _ = self.strength(3, write=False)
        c = self.cluster_levels("river", hist, spec.river.buckets)
        boards, _ = self.canonical_boards(3)
        thr = np.empty((len(boards), max(c.k - 1, 1)), dtype=np.uint16)
        level_bucket = c.labels.astype(np.int64)

        def step(a: int, b: int) -> None:
            F.river_thresholds(boards[a:b], level_bucket, thr[a:b])

        self.seconds["river_thresholds"] = self.run_chunks("river thresholds", len(boards), 100, step)
        self.report("river", self.indexer.size(3), c, "hs")
        streets.append(StreetAbstraction(MODE_BOARD_RANK, c.k, 3, board_slot=BOARD_SLOT, thresholds=thr))
        self.seconds["total"] = time.perf_counter() - t0
        info = {"quality": self.quality, "seconds": self.seconds, "threads": self.threads}
        return CardAbstraction(self.game, spec.to_dict(), HOLDEM_SHAPES, streets, info=info)


STREETS = ("flop", "turn", "river")


def build_holdem(spec: BucketSpec, game: GameDef, progress: bool = True, log: Any = None) -> CardAbstraction:
    """Build the clustered abstraction of ``spec`` for a hold'em deal."""
    return _Builder(spec, game, progress, log).build()


def build_abstraction(spec: BucketSpec, game: GameDef | None = None, seed: int | None = None,
                      progress: bool = True, log: Any = None) -> CardAbstraction:
    """Cluster hold'em hands per the spec; deterministic for a seed; uses every numba thread."""
    game = game if game is not None else load_game(spec.game)
    if not is_holdem_deal(game):
        raise BucketSpecError(
            f"clustered buckets need a 52-card hold'em deal (2 hole cards, board 3/1/1); {game.name!r} "
            "has another deal: use CardAbstraction.lossless"
        )
    if seed is not None:
        spec = BucketSpec(**{**spec.__dict__, "seed": seed})
    return build_holdem(spec, game, progress=progress, log=log)
