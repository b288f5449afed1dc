"""Expectation-based hold'em buckets (specs ``tiny``, ``quick-legacy``, ``mid-legacy``): exact strength features
per canonical class, k-means on strength or on strength histograms (L2 on CDFs), river by strength.

Kept to compare against the potential-aware builder; its output is converted to board rows like every
clustered street."""

from __future__ import annotations

import sys
import time
from typing import Any

import numba
import numpy as np
from numba import njit, prange

from holdem.abstraction import features as F
from holdem.abstraction.boards import board_rows, hole_combos
from holdem.abstraction.buckets import (
    HOLDEM_SHAPES,
    MODE_BOARD,
    CardAbstraction,
    StreetAbstraction,
)
from holdem.abstraction.isomorphism import HandIndexer, index_of
from holdem.abstraction.kmeans import Clustering, kmeans, kmeans_1d
from holdem.abstraction.progress import Progress
from holdem.abstraction.specs import BucketSpec
from holdem.games import GameDef

INDEX_SHAPES = [(2,), (2, 3), (2, 4), (2, 5)]
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


@njit(cache=True, parallel=True)
def _rows_from_classes(reps: np.ndarray, free: np.ndarray, pairs: np.ndarray, tables: tuple, slot: int,
                       class_bucket: np.ndarray, out: np.ndarray) -> None:
    """Board rows of a street whose buckets are a table over the canonical index of (hole, board)."""
    k = reps.shape[1]
    for j in prange(reps.shape[0]):
        hand = np.empty(2 + k, dtype=np.int32)
        for i in range(k):
            hand[2 + i] = reps[j, i]
        for q in range(pairs.shape[0]):
            hand[0] = free[j, pairs[q, 0]]
            hand[1] = free[j, pairs[q, 1]]
            out[j, q] = class_bucket[index_of(tables, slot, hand, 0, 2 + k)]


@njit(cache=True, parallel=True)
def _river_rows(boards: np.ndarray, level_bucket: np.ndarray, out: np.ndarray) -> None:
    """River board rows: the bucket of each pair's strength level on the board (columns in colex order)."""
    for bi in prange(boards.shape[0]):
        buf = np.empty(7, dtype=np.int32)
        avail = np.empty(52, dtype=np.int32)
        for i in range(5):
            buf[i] = boards[bi, i]
        na = F._avail(buf, 5, avail)
        npairs = na * (na - 1) // 2
        ranks = np.empty(npairs, dtype=np.int32)
        p2 = np.empty(npairs, dtype=np.int32)
        cnt = np.zeros(F.N_HAND_RANKS + 1, dtype=np.int32)
        p2map = np.empty(F.N_HAND_RANKS + 1, dtype=np.int32)
        F._sweep(buf, 5, avail, na, -1, ranks, p2, cnt, p2map)
        k = 0
        for i in range(na):
            for j in range(i + 1, na):
                out[bi, j * (j - 1) // 2 + i] = level_bucket[p2[k]]
                k += 1


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    step = max(1, -(-n // parts))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


class _Builder:
    def __init__(self, spec: BucketSpec, game: GameDef, progress: bool, log: Any) -> None:
        self.spec = spec
        self.game = game
        self.show = progress
        self.log = log if log is not None else (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.indexer = HandIndexer.from_shapes(13, 4, INDEX_SHAPES)
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
        streets = [self.board_street(0, None, 169, 0)]
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
            streets.append(self.board_street(street, table, c.k, street))
        del turn_counts, turn_w
        river, c = self.river()
        self.report("river", self.indexer.size(3), c, "hs")
        streets.append(river)
        self.seconds["total"] = time.perf_counter() - t0
        info = {"quality": self.quality, "seconds": self.seconds, "threads": self.threads}
        return CardAbstraction(self.game, spec.to_dict(), HOLDEM_SHAPES, streets, info=info)

    def river(self) -> tuple[StreetAbstraction, Any]:
        """The river by strength (1-D k-means on the blocker-free strength percentile) as board rows, and its
        clustering."""
        hist, _, _ = self.strength(3, write=False)
        c = self.cluster_levels("river", hist, self.spec.river.buckets)
        boards, _ = self.canonical_boards(3)
        rows = np.empty((len(boards), 1081), dtype=np.uint8 if c.k <= 256 else np.uint16)
        level_bucket = c.labels.astype(np.int64)

        def step(a: int, b: int) -> None:
            _river_rows(boards[a:b], level_bucket, rows[a:b])

        self.seconds["river_rows"] = self.run_chunks("river buckets", len(boards), 100, step)
        return StreetAbstraction(MODE_BOARD, c.k, 3, rows=rows, board_cards=5, hole_cards=2), c

    def board_street(self, street: int, source: np.ndarray | None, k: int, slot: int) -> StreetAbstraction:
        """A flop or turn street's buckets as board rows from its table over canonical classes (preflop: the
        canonical index itself)."""
        nb = (0, 3, 4, 5)[street]
        br = board_rows(13, 4, nb)
        pairs = hole_combos(52 - nb, 2)
        rows = np.empty((br.num_rows, len(pairs)), dtype=np.uint8 if k <= 256 else np.uint16)
        free = br.free_cards()
        if street == 0:
            rows[0] = self.indexer.index(0, free[0][pairs])
        else:
            _rows_from_classes(br.reps, free, pairs, self.indexer.tables(), street, source, rows)
        return StreetAbstraction(MODE_BOARD, k, slot, rows=rows, board_cards=nb, hole_cards=2)


STREETS = ("flop", "turn", "river")


def build_legacy(spec: BucketSpec, game: GameDef, progress: bool = True, log: Any = None) -> CardAbstraction:
    """Build the expectation-based abstraction of ``spec`` for the 52-card hold'em deal."""
    return _Builder(spec, game, progress, log).build()


def strength_river(spec: BucketSpec, game: GameDef, progress: bool, log: Any) -> tuple[StreetAbstraction, float]:
    """The legacy river (1-D k-means on the blocker-free strength percentile) as board rows, and its quality."""
    street, clustering = _Builder(spec, game, progress, log).river()
    return street, clustering.ratio
