"""Build clustered hold'em buckets from a spec: potential-aware EMD buckets, or the legacy builder.

Potential-aware (specs ``quick``, ``mid``, ``large``; Johanson et al. 2013, Ganzfried and Sandholm 2014):

- preflop: lossless (169 classes);
- river: by the hand's strength percentile on its board (1-D k-means, the legacy river), or OCHS
  (``feature: ochs``), each hand's equity against the opponent's preflop classes grouped in 8 clusters (by
  exact 1-D EMD over their river-equity distributions), clustered by k-means (L2), over all hands or
  (``bands: N``) within each of N strength bands (``quick`` and ``mid``: the legacy river's bands, each split
  in two);
- turn: the distribution of the river equity over every river card, clustered by k-medians under the
  exact 1-D EMD;
- flop: the distribution over the turn buckets of every turn card, clustered by k-means under EMD with
  the turn buckets' own EMD as ground distance (Ganzfried-Sandholm greedy, pruned by an exact bound).

Centroids are fitted on a seeded sample of cells (board drawn by weight, hole pairs uniform), then every
cell of every canonical board is labelled in chunks. Each finished chunk and fit is saved (see
:mod:`holdem.abstraction.buildstate`), so a killed build resumes; the result depends only on the spec.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np

from holdem.abstraction import emd
from holdem.abstraction.boards import BoardRows, binomials, board_hands, board_rows
from holdem.abstraction.buckets import (
    HOLDEM_SHAPES,
    MODE_BOARD,
    BucketSpecError,
    CardAbstraction,
    StreetAbstraction,
    is_holdem_deal,
    is_holdem_like_deal,
)
from holdem.abstraction.buildstate import BuildState
from holdem.abstraction.isomorphism import HandIndexer
from holdem.abstraction.progress import Progress
from holdem.abstraction.specs import BucketSpec, StreetSpec
from holdem.abstraction.sweeps import flop_features, preflop_histograms, river_features, turn_features
from holdem.cards import NUM_RANKS
from holdem.games import GameDef, load_game

BUILDER_VERSION = 1
STAGE_SEEDS = {"opponents": 1, "river": 2, "turn": 3, "flop": 4}
OPPONENT_BOARDS = 4096
OPPONENT_QUANTILES = 64
CELLS_PER_BOARD = {"river": 16, "turn": 32, "flop": 64}
CHUNK_BYTES = 48 << 20
BOARD_CARDS = {"flop": 3, "turn": 4, "river": 5}


class PotentialBuilder:
    """One potential-aware build: stages in dependency order (opponents, river, turn, flop)."""

    def __init__(self, spec: BucketSpec, game: GameDef, progress: bool, log: Callable[[str], None],
                 state: BuildState) -> None:
        self.spec = spec
        self.game = game
        self.show = progress
        self.log = log
        self.state = state
        self.num_ranks = game.num_ranks
        self.num_suits = game.num_suits
        self.rank_lo = NUM_RANKS - game.num_ranks
        self.threads = numba.config.NUMBA_NUM_THREADS
        self.quality: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def rng(self, stage: str) -> np.random.Generator:
        return np.random.default_rng([self.spec.seed, STAGE_SEEDS[stage]])

    def boards(self, street: str) -> BoardRows:
        return board_rows(self.num_ranks, self.num_suits, BOARD_CARDS[street])

    def timed(self, key: str, t0: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - t0

    # --- preflop and the opponent clusters -------------------------------------------------------------
    def preflop(self) -> StreetAbstraction:
        indexer = HandIndexer.from_shapes(self.num_ranks, self.num_suits, [(2,)])
        hands = board_hands(self.num_ranks, self.num_suits, 0, 2, np.zeros(1, dtype=np.int64))
        classes = indexer.size(0)
        dtype = np.uint8 if classes <= 256 else np.uint16
        rows = indexer.index(0, hands).astype(dtype).reshape(1, -1)
        return StreetAbstraction(MODE_BOARD, classes, 0, rows=rows, board_cards=0, hole_cards=2)

    def card_classes(self) -> tuple[np.ndarray, int]:
        """Preflop class of every ordered card pair (``c1 * 64 + c2``; -1 off the deck) and the class count."""
        indexer = HandIndexer.from_shapes(self.num_ranks, self.num_suits, [(2,)])
        deck = np.array(self.game.deck, dtype=np.int32)
        a, b = np.meshgrid(deck, deck, indexing="ij")
        keep = a != b
        pairs = np.stack([a[keep], b[keep]], axis=1)
        out = np.full(64 * 64, -1, dtype=np.int32)
        out[pairs[:, 0] * 64 + pairs[:, 1]] = indexer.index(0, pairs)
        return out, indexer.size(0)

    def opponents(self) -> tuple[np.ndarray, int]:
        """Opponent cluster of every ordered card pair (the preflop classes in clusters, weakest first), and the
        number of clusters."""
        card_class, classes = self.card_classes()
        saved = self.state.load("opponents")
        if saved is None:
            t0 = time.perf_counter()
            br = self.boards("river")
            rng = self.rng("opponents")
            draws = rng.choice(br.num_rows, size=min(br.num_rows, OPPONENT_BOARDS), p=br.weights / br.weights.sum())
            rows, counts = np.unique(draws, return_counts=True)
            hist = np.zeros((self.threads, classes, 256), dtype=np.int64)
            preflop_histograms(br.reps, br.free_cards(), rows, counts.astype(np.int64), card_class, hist)
            h = hist.sum(axis=0).astype(np.float64)
            cdf = np.cumsum(h, axis=1) / h.sum(axis=1, keepdims=True)
            u = (np.arange(OPPONENT_QUANTILES) + 0.5) / OPPONENT_QUANTILES
            X = np.stack([np.searchsorted(row, u) for row in cdf]).astype(np.uint8)
            w = h.sum(axis=1)
            k = min(self.spec.opponent_clusters, classes)
            cent = emd.seed_centroids(emd.L1, X, w, k, rng, None)
            fit = emd.lloyd(emd.L1, X, w, emd.LloydState(cent, 0, np.zeros(0, np.int64)), 200, None)
            cent = emd.order_weak_to_strong(emd.L1, fit.centroids, None)
            labels, _ = emd.nearest(emd.L1, X, cent, None)
            saved = {"class_cluster": labels.astype(np.int32)}
            self.state.save("opponents", saved)
            self.timed("opponents", t0)
        class_cluster = saved["class_cluster"]
        card_cluster = np.where(card_class >= 0, class_cluster[np.maximum(card_class, 0)], -1).astype(np.int32)
        return card_cluster, int(class_cluster.max()) + 1

    # --- the generic street: sample, fit, label ---------------------------------------------------------
    def sample(self, name: str, features: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Feature rows of a seeded sample of cells: boards drawn by weight, hole pairs uniform per board."""
        br = self.boards(name)
        stride = br.stride(2)
        rng = self.rng(name)
        per = CELLS_PER_BOARD[name]
        draws = rng.choice(br.num_rows, size=max(1, -(-self.spec.sample_for(name) // per)),
                           p=br.weights / br.weights.sum())
        rows, counts = np.unique(draws, return_counts=True)
        cols = rng.integers(0, stride, size=int(counts.sum()) * per)
        owner = np.repeat(np.arange(len(rows)), counts * per)
        parts = []
        bar = Progress(f"{name} sample ({len(rows):,} boards)", enabled=self.show)
        step = self.chunk_rows(features)
        for a in range(0, len(rows), step):
            b = min(a + step, len(rows))
            f = features(rows[a:b])
            sel = (owner >= a) & (owner < b)
            parts.append(f[owner[sel] - a, cols[sel]])
            bar.update(b, len(rows))
        self.seconds[f"{name}_sample"] = bar.done()
        return np.ascontiguousarray(np.concatenate(parts))

    def chunk_rows(self, features: Callable[[np.ndarray], np.ndarray]) -> int:
        """Boards per chunk so that one chunk's features take about ``CHUNK_BYTES``."""
        probe = features(np.zeros(1, dtype=np.int64))
        return max(1, CHUNK_BYTES // max(1, probe.nbytes))

    def fit(self, name: str, metric: int, k: int, features: Callable[[np.ndarray], np.ndarray],
            ground: emd.Ground | None, order_weights: np.ndarray | None = None) -> np.ndarray:
        """Centroids of a street, weakest first (saved once fitted; a fit in progress is saved every half
        minute). ``order_weights`` weigh the feature's coordinates when ordering (default: equally)."""
        saved = self.state.load(f"{name}-centroids")
        if saved is not None:
            self.quality[name] = float(saved["quality"].reshape(-1)[0])
            return saved["centroids"]
        X = self.sample(name, features)
        X = X.reshape(len(X), -1)
        w = np.ones(len(X))
        k = min(k, len(X))
        running = self.state.load(f"{name}-lloyd")
        t0 = time.perf_counter()
        if running is not None:
            start = emd.LloydState(running["centroids"], int(running["iteration"].reshape(-1)[0]), running["labels"])
        else:
            bar = Progress(f"{name} seeding (k={k})", enabled=self.show)
            start = emd.LloydState(emd.seed_centroids(metric, X, w, k, self.rng(name), ground, bar.update), 0,
                                   np.zeros(0, np.int64))
            bar.done()

        def checkpoint(s: emd.LloydState) -> None:
            self.state.save(f"{name}-lloyd", {"centroids": s.centroids, "iteration": np.array(s.iteration),
                                              "labels": s.labels})

        bar = Progress(f"{name} k-means ({len(X):,} cells)", enabled=self.show)
        done = emd.lloyd(metric, X, w, start, self.spec.iterations_for(name), ground, bar.update, checkpoint)
        bar.done(f"{done.iteration} iterations")
        self.seconds["serial"] = self.seconds.get("serial", 0.0) + done.serial_s
        cent = emd.order_weak_to_strong(metric, done.centroids, ground, order_weights)
        self.quality[name] = emd.within_over_total(metric, X, w, cent, ground)
        self.timed(f"{name}_kmeans", t0)
        self.state.save(f"{name}-centroids", {"centroids": cent, "quality": np.array(self.quality[name])})
        return cent

    def label(self, name: str, metric: int, cent: np.ndarray, features: Callable[[np.ndarray], np.ndarray],
              ground: emd.Ground | None,
              assign: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> StreetAbstraction:
        """Every cell's bucket, board chunk by board chunk (each chunk saved): its nearest centroid, or what
        ``assign(features, boards)`` says."""
        br = self.boards(name)
        stride = br.stride(2)
        k = len(cent)
        rows = np.empty((br.num_rows, stride), dtype=np.uint8 if k <= 256 else np.uint16)
        step = self.chunk_rows(features)
        bar = Progress(f"{name} buckets ({br.num_rows:,} boards)", enabled=self.show)
        t0 = time.perf_counter()
        for c, a in enumerate(range(0, br.num_rows, step)):
            b = min(a + step, br.num_rows)
            saved = self.state.load(f"{name}-rows-{c}")
            if saved is not None and saved["rows"].shape == (b - a, stride):
                rows[a:b] = saved["rows"]
            else:
                ids = np.arange(a, b)
                f = features(ids)
                if assign is not None:
                    labels = assign(f, ids)
                else:
                    labels, _ = emd.nearest(metric, f.reshape((b - a) * stride, -1), cent, ground)
                rows[a:b] = labels.reshape(b - a, stride)
                self.state.save(f"{name}-rows-{c}", {"rows": rows[a:b]})
            bar.update(b, br.num_rows)
        bar.done()
        self.timed(f"{name}_label", t0)
        self.log(f"{name}: {br.num_rows:,} boards x {stride:,} hole pairs -> {k} buckets; within/total "
                 f"{self.quality[name]:.3g}")
        return StreetAbstraction(MODE_BOARD, k, ("flop", "turn", "river").index(name) + 1, rows=rows,
                                 board_cards=BOARD_CARDS[name], hole_cards=2)

    # --- the streets ----------------------------------------------------------------------------------
    def ochs_features(self, card_cluster: np.ndarray, clusters: int
                      ) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
        """The river's OCHS feature of every cell of some boards, and the weight of each opponent cluster (its
        hole pairs) for numbering buckets weak to strong."""
        br = self.boards("river")
        free = br.free_cards()
        stride = br.stride(2)

        def features(ids: np.ndarray) -> np.ndarray:
            out = np.empty((len(ids), stride, clusters), dtype=np.uint8)
            river_features(br.reps, free, ids.astype(np.int64), card_cluster, clusters, out)
            return out

        deck = np.array(self.game.deck)
        first, second = np.triu_indices(len(deck), 1)
        pairs_per_cluster = np.bincount(card_cluster[deck[first] * 64 + deck[second]], minlength=clusters)
        return features, pairs_per_cluster.astype(np.float64)

    def river(self, card_cluster: np.ndarray, clusters: int) -> StreetAbstraction:
        features, order_weights = self.ochs_features(card_cluster, clusters)
        cent = self.fit("river", emd.L2, self.spec.river.buckets, features, None, order_weights=order_weights)
        return self.label("river", emd.L2, cent, features, None)

    def banded_river(self, card_cluster: np.ndarray, clusters: int) -> StreetAbstraction:
        """The river in strength bands (1-D k-means on the percentile, as the legacy river), each band's hands
        clustered apart by OCHS (k-means, L2): bucket = band x per band + cluster, so buckets keep the strength
        order between bands and split a band by which opponent hands a hand beats."""
        bands = self.spec.river.bands
        per_band = self.spec.river.buckets // bands
        band_rows = self.strength_river(bands).rows
        features, order_weights = self.ochs_features(card_cluster, clusters)

        def with_band(ids: np.ndarray) -> np.ndarray:
            return np.concatenate([features(ids), band_rows[ids][:, :, None]], axis=2)

        saved = self.state.load("river-bands-centroids")
        if saved is None:
            t0 = time.perf_counter()
            sample = self.sample("river", with_band)
            cents, within = [], 0.0
            bar = Progress(f"river k-means in {bands} bands", enabled=self.show)
            for band in range(bands):
                X = np.ascontiguousarray(sample[sample[:, -1] == band, :-1])
                if len(X) < per_band:
                    raise BucketSpecError(f"river band {band} holds {len(X)} sampled hands, fewer than its "
                                          f"{per_band} buckets: raise river.sample or lower river.bands")
                w = np.ones(len(X))
                rng = np.random.default_rng([self.spec.seed, STAGE_SEEDS["river"], band])
                start = emd.LloydState(emd.seed_centroids(emd.L2, X, w, per_band, rng, None), 0,
                                       np.zeros(0, np.int64))
                done = emd.lloyd(emd.L2, X, w, start, self.spec.iterations_for("river"), None)
                cent = emd.order_weak_to_strong(emd.L2, done.centroids, None, order_weights)
                within += emd.within_over_total(emd.L2, X, w, cent, None) * len(X) / len(sample)
                cents.append(cent)
                bar.update(band + 1, bands)
            bar.done()
            saved = {"centroids": np.stack(cents), "quality": np.array(within)}
            self.state.save("river-bands-centroids", saved)
            self.timed("river_kmeans", t0)
        cents = saved["centroids"]
        self.quality["river"] = float(saved["quality"].reshape(-1)[0])

        def nearest_in_band(f: np.ndarray, ids: np.ndarray) -> np.ndarray:
            flat = f.reshape(-1, clusters)
            band = band_rows[ids].reshape(-1).astype(np.int64)
            labels = np.empty(len(flat), dtype=np.int64)
            for k in range(bands):
                mine = np.flatnonzero(band == k)
                if len(mine):
                    labels[mine] = k * per_band + emd.nearest(emd.L2, flat[mine], cents[k], None)[0]
            return labels

        return self.label("river", emd.L2, cents.reshape(-1, clusters), features, None, nearest_in_band)

    def strength_river(self, buckets: int | None = None) -> StreetAbstraction:
        """The river by strength alone (the legacy river: 1-D k-means on the hand's percentile on the board), in
        ``buckets`` (default: the spec's river buckets)."""
        from holdem.abstraction.legacy_builder import strength_river

        saved = self.state.load("river-strength")
        if saved is not None and "buckets" in saved:
            self.quality["river"] = float(saved["quality"].reshape(-1)[0])
            rows, buckets = saved["rows"], int(saved["buckets"].reshape(-1)[0])
        else:
            t0 = time.perf_counter()
            spec = self.spec
            if buckets is not None:
                spec = BucketSpec(**{**spec.__dict__, "river": StreetSpec(buckets, "hs")})
            street, self.quality["river"] = strength_river(spec, self.game, self.show, self.log)
            rows, buckets = street.rows, street.num_buckets
            self.state.save("river-strength", {"rows": rows, "quality": np.array(self.quality["river"]),
                                               "buckets": np.array(buckets)})
            self.timed("river_strength", t0)
        return StreetAbstraction(MODE_BOARD, buckets, 3, rows=rows, board_cards=5, hole_cards=2)

    def turn(self) -> tuple[StreetAbstraction, np.ndarray]:
        br = self.boards("turn")
        free = br.free_cards()
        stride = br.stride(2)
        rivers = free.shape[1] - 2

        def features(ids: np.ndarray) -> np.ndarray:
            out = np.empty((len(ids), stride, rivers), dtype=np.uint8)
            turn_features(br.reps, free, ids.astype(np.int64), out)
            return out

        cent = self.fit("turn", emd.L1, self.spec.turn.buckets, features, None)
        return self.label("turn", emd.L1, cent, features, None), cent

    def flop(self, turn: StreetAbstraction, turn_centroids: np.ndarray) -> StreetAbstraction:
        br = self.boards("flop")
        free = br.free_cards()
        stride = br.stride(2)
        turns = free.shape[1] - 2
        turn_boards = board_rows(self.num_ranks, self.num_suits, 4).table
        binom = binomials()
        ground = emd.Ground.from_quantiles(turn_centroids / 255.0)

        def features(ids: np.ndarray) -> np.ndarray:
            out = np.empty((len(ids), stride, turns), dtype=turn.rows.dtype)
            flop_features(br.reps, free, ids.astype(np.int64), turn_boards, turn.rows, binom, self.num_suits,
                          self.rank_lo, out)
            return out

        cent = self.fit("flop", emd.GS, self.spec.flop.buckets, features, ground)
        return self.label("flop", emd.GS, cent, features, ground)

    def build(self) -> CardAbstraction:
        t0 = time.perf_counter()
        self.log(f"building {self.spec.name!r} buckets for {self.game.name} (potential-aware, seed "
                 f"{self.spec.seed}, {self.threads} threads)")
        preflop = self.preflop()
        clusters = 0
        if self.spec.river.feature == "ochs":
            card_cluster, clusters = self.opponents()
            river = (self.banded_river if self.spec.river.bands else self.river)(card_cluster, clusters)
        else:
            river = self.strength_river()
        turn, turn_centroids = self.turn()
        flop = self.flop(turn, turn_centroids)
        self.seconds["total"] = time.perf_counter() - t0
        info = {"quality": self.quality, "seconds": self.seconds, "threads": self.threads,
                "builder": f"potential-aware v{BUILDER_VERSION}", "opponent_clusters": clusters,
                "resumed_stages": len(self.state.resumed)}
        streets = [preflop, flop, turn, river]
        return CardAbstraction(self.game, self.spec.to_dict(), HOLDEM_SHAPES, streets, info=info)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build_abstraction(spec: BucketSpec, game: GameDef | None = None, seed: int | None = None,
                      progress: bool = True, log: Any = None, work_dir: str | Path | None = None) -> CardAbstraction:
    """Cluster hold'em hands per the spec; deterministic for a seed; uses every numba thread.

    With ``work_dir`` a potential-aware build saves its finished stages there and resumes from them.
    """
    game = game if game is not None else load_game(spec.game)
    if seed is not None:
        spec = BucketSpec(**{**spec.__dict__, "seed": seed})
    log = log if log is not None else _stderr
    if spec.potential_aware:
        if (spec.river.feature == "hs" or spec.river.bands) and not is_holdem_deal(game):
            raise BucketSpecError("a river by strength ('hs' or bands) needs the 52-card hold'em deal")
        if not is_holdem_like_deal(game):
            raise BucketSpecError(
                f"clustered buckets need a hold'em deal (2 hole cards, board 3/1/1); {game.name!r} has another "
                "deal: use CardAbstraction.lossless"
            )
        fingerprint = {"spec": spec.to_dict(), "deck": [game.num_ranks, game.num_suits],
                       "builder": BUILDER_VERSION}
        state = BuildState(work_dir, fingerprint)
        abstraction = PotentialBuilder(spec, game, progress, log, state).build()
        return abstraction
    if not is_holdem_deal(game):
        raise BucketSpecError(
            f"clustered buckets need a 52-card hold'em deal (2 hole cards, board 3/1/1); {game.name!r} "
            "has another deal: use CardAbstraction.lossless"
        )
    from holdem.abstraction.legacy_builder import build_legacy

    return build_legacy(spec, game, progress=progress, log=log)

