"""Board-major bucket layout, exact potential-aware features, EMD clustering, and a resumable build.

Builds run on a 24-card deck (six ranks, four suits, hold'em deal): the same code as the 52-card specs,
in about a second once compiled.
"""

import itertools

import numpy as np
import pytest
from numba import njit

from holdem.abstraction import emd
from holdem.abstraction.boards import binomials, board_key, board_mask, board_rows, hole_combos, hole_key
from holdem.abstraction.buckets import BucketFileError, CardAbstraction, deal_buckets_of
from holdem.abstraction.isomorphism import HandIndexer
from holdem.abstraction.specs import BucketSpec, StreetSpec
from holdem.evaluator import rank_hands
from holdem.games import format_gamedef, load_game, parse_gamedef

RANKS = 6
SPEC = BucketSpec(name="short", game="short", seed=5, flop=StreetSpec(6, "pa"), turn=StreetSpec(7, "pa"),
                  river=StreetSpec(8, "ochs"), kmeans_iterations=15, kmeans_sample=3000, opponent_clusters=4)


def short_game():
    text = format_gamedef(load_game("hunl")).replace("numRanks = 13", f"numRanks = {RANKS}")
    return parse_gamedef(text.replace("name = hunl", "name = short"))


@pytest.fixture(scope="module")
def game():
    return short_game()


@pytest.fixture(scope="module")
def built(game):
    from holdem.abstraction.builder import build_abstraction

    return build_abstraction(SPEC, game, progress=False, log=lambda msg: None)


def _deals(game, n, k, seed):
    rng = np.random.default_rng(seed)
    deck = np.array(game.deck, dtype=np.int32)
    return np.ascontiguousarray(deck[np.argsort(rng.random((n, len(deck))), axis=1)[:, :k]])


# --- layout -----------------------------------------------------------------------------------------
@njit(cache=True)
def _cells_nb(table, binom, hands, k, suits, rank_lo, out):
    for i in range(hands.shape[0]):
        e = np.int64(table[board_key(binom, 0, hands[i], 2, k, suits, rank_lo)])
        used = board_mask(hands[i], 2, k, e & 0xFF, suits, rank_lo)
        out[i, 0] = e >> 8
        out[i, 1] = hole_key(hands[i], 0, 2, e & 0xFF, used, suits, rank_lo)


def _cells(br, hands, k):
    out = np.empty((len(hands), 2), dtype=np.int64)
    _cells_nb(br.table, binomials(), hands, k, br.num_suits, br.rank_lo, out)
    return out


@pytest.mark.parametrize("ranks,k", [(13, 3), (13, 4), (RANKS, 5)])
def test_a_cell_is_one_canonical_class_and_holds_a_hand_of_it(ranks, k):
    br = board_rows(ranks, 4, k)
    indexer = HandIndexer.from_shapes(ranks, 4, [(2, k)])
    deck = [4 * r + s for r in range(13 - ranks, 13) for s in range(4)]
    hands = np.ascontiguousarray(np.array(deck, dtype=np.int32)[np.argsort(
        np.random.default_rng(k).random((20000, len(deck))), axis=1)[:, : 2 + k]])
    cells = _cells(br, hands, k)
    assert (cells[:, 1] < br.stride(2)).all() and (cells[:, 0] < br.num_rows).all()
    free = br.free_cards()
    pairs = hole_combos(free.shape[1], 2)
    back = np.concatenate([free[cells[:, 0]][np.arange(len(hands))[:, None], pairs[cells[:, 1]]],
                           br.reps[cells[:, 0]]], axis=1)
    assert np.array_equal(indexer.index(0, back), indexer.index(0, hands))
    assert br.weights.sum() == len(list(itertools.combinations(range(len(deck)), k)))


# --- exact features ---------------------------------------------------------------------------------
def test_equities_against_clusters_match_brute_force():
    from holdem.abstraction.sweeps import _ranks, equities, pair_cards, strengths

    rng = np.random.default_rng(3)
    board = rng.choice(52, 5, replace=False).astype(np.int32)
    free = np.array(sorted(set(range(52)) - set(board.tolist())), dtype=np.int32)
    pairs = pair_cards(len(free))
    ranks = np.empty(len(pairs), dtype=np.int32)
    _ranks(board, 5, free, pairs, -1, ranks)
    hands = np.concatenate([free[pairs], np.repeat(board[None], len(pairs), 0)], axis=1)
    assert np.array_equal(ranks, rank_hands(hands))
    cluster = rng.integers(0, 3, len(pairs)).astype(np.int32)
    eq = np.zeros((len(pairs), 3))
    equities(ranks, pairs, len(free), cluster, 3, eq)
    for q in rng.choice(len(pairs), 30, replace=False):
        apart = ~np.isin(pairs, pairs[q]).any(axis=1)
        for c in range(3):
            opp = ranks[apart & (cluster == c)]
            want = ((opp < ranks[q]).sum() + 0.5 * (opp == ranks[q]).sum()) / len(opp)
            assert eq[q, c] == pytest.approx(want, abs=1e-12)
    ranks[(pairs == 7).any(axis=1)] = 0
    hs = np.zeros(len(pairs), dtype=np.uint8)
    strengths(ranks, pairs, len(free), hs)
    one = np.zeros((len(pairs), 1))
    equities(ranks, pairs, len(free), np.zeros(len(pairs), dtype=np.int32), 1, one)
    live = ranks > 0
    assert np.array_equal(hs[live], (one[live, 0] * 255 + 0.5).astype(np.uint8))


def test_turn_feature_is_the_sorted_river_equity_of_every_river(game):
    from holdem.abstraction.sweeps import pair_cards, turn_features

    br = board_rows(game.num_ranks, 4, 4)
    free = br.free_cards()
    out = np.empty((1, br.stride(2), free.shape[1] - 2), dtype=np.uint8)
    row = br.num_rows // 2
    turn_features(br.reps, free, np.array([row]), out)
    pairs = pair_cards(free.shape[1])
    for q in (0, 17, len(pairs) - 1):
        mine = free[row][pairs[q]]
        want = []
        for river in free[row]:
            if river in mine:
                continue
            board = np.append(br.reps[row], river)
            rest = [c for c in free[row] if c != river and c not in mine]
            opp = np.array(list(itertools.combinations(rest, 2)), dtype=np.int32)
            r_opp = rank_hands(np.concatenate([opp, np.repeat(board[None], len(opp), 0)], axis=1))
            r_me = rank_hands(np.concatenate([mine, board])[None])[0]
            e = ((r_opp < r_me).sum() + 0.5 * (r_opp == r_me).sum()) / len(opp)
            want.append(int(e * 255 + 0.5))
        assert out[0, q].tolist() == sorted(want)


# --- clustering ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", [emd.L1, emd.L2, emd.GS])
def test_nearest_centroid_search_matches_brute_force(metric):
    rng = np.random.default_rng(metric)
    ground = None
    if metric == emd.GS:
        ground = emd.Ground.from_quantiles(np.sort(rng.random((9, 5)), axis=1))
        X = np.sort(rng.integers(0, 9, (400, 11)), axis=1).astype(np.uint8)
        cent = rng.dirichlet(np.full(9, 0.5), 12)
    else:
        X = np.sort(rng.integers(0, 256, (400, 6)), axis=1).astype(np.uint8)
        cent = np.sort(rng.integers(0, 256, (12, 6)), axis=1).astype(np.float64)
    labels, dist = emd.nearest(metric, X, cent, ground)
    if metric == emd.GS:
        X, labels, dist = X[:60], labels[:60], dist[:60]
        every = np.array([[emd.nearest(metric, x[None], c[None], ground)[1][0] for c in cent] for x in X])
    else:
        diff = X[:, None, :].astype(np.float64) - cent[None]
        every = np.abs(diff).sum(axis=2) if metric == emd.L1 else (diff**2).sum(axis=2)
    assert np.allclose(dist, every.min(axis=1)) and np.array_equal(labels, np.argmin(every, axis=1))


def test_greedy_emd_bounds_the_exact_one_on_a_line():
    rng = np.random.default_rng(4)
    points = rng.random(7)
    ground = emd.Ground.from_quantiles(points[:, None])
    for _ in range(50):
        x = np.sort(rng.integers(0, 7, 9)).astype(np.uint8)
        hist = rng.dirichlet(np.ones(7))
        greedy = emd.nearest(emd.GS, x[None], hist[None], ground)[1][0]
        order = np.argsort(points)
        px = np.bincount(x, minlength=7)[order] / len(x)
        exact = np.sum(np.abs(np.cumsum(px) - np.cumsum(hist[order]))[:-1] * np.diff(points[order]))
        bound = abs(points @ px[np.argsort(order)] - points @ hist)
        assert bound - 1e-12 <= exact <= greedy + 1e-12
    same = np.sort(rng.integers(0, 7, 14)).astype(np.uint8)
    assert emd.nearest(emd.GS, same[None], (np.bincount(same, minlength=7) / 14)[None], ground)[1][0] == 0


def test_k_medians_centroid_is_an_l1_barycenter():
    rng = np.random.default_rng(5)
    X = np.sort(rng.integers(0, 256, (301, 8)), axis=1).astype(np.uint8)
    w = np.ones(len(X))
    fit = emd.lloyd(emd.L1, X, w, emd.LloydState(emd.seed_centroids(emd.L1, X, w, 1, rng, None), 0,
                                                 np.zeros(0, np.int64)), 5, None)
    cost = np.abs(X - fit.centroids[0]).sum()
    for j in range(8):
        for step in (-1, 1):
            moved = fit.centroids[0].copy()
            moved[j] += step
            assert np.abs(X - moved).sum() >= cost


# --- the build ------------------------------------------------------------------------------------------
def test_build_is_deterministic_and_lookups_agree(game, built):
    from holdem.abstraction.builder import build_abstraction

    assert built.num_buckets.tolist() == [36, 6, 7, 8]
    again = build_abstraction(SPEC, game, progress=False, log=lambda msg: None)
    assert again.content_hash() == built.content_hash()
    deals = _deals(game, 3000, 9, seed=1)
    out = np.empty((2, 4), dtype=np.int32)
    hand = np.empty(9, dtype=np.int32)
    counts = np.array([0, 3, 4, 5], dtype=np.int32)
    rng = np.random.default_rng(2)
    for st, k in enumerate(counts):
        one = built.bucket(st, np.concatenate([deals[:, :2], deals[:, 4 : 4 + k]], axis=1))
        two = built.bucket(st, np.concatenate([deals[:, 2:4], deals[:, 4 : 4 + k]], axis=1))
        assert one.min() >= 0 and one.max() < built.num_buckets[st]
        assert len(np.unique(one)) == built.num_buckets[st]
        for i in range(0, len(deals), 97):
            deal_buckets_of(built.kernel_data(), deals[i], 2, 2, counts, hand, out)
            assert (out[0, st], out[1, st]) == (one[i], two[i])
        hands = np.concatenate([deals[:, :2], deals[:, 4 : 4 + k]], axis=1)
        perm = np.array([rng.permutation(4) for _ in range(len(hands))])
        moved = (hands & ~3) | np.take_along_axis(perm, hands & 3, axis=1)
        moved[:, :2] = moved[:, [1, 0]]
        moved[:, 2:] = moved[:, 2:][:, ::-1]
        assert np.array_equal(built.bucket(st, moved), one)


def test_buckets_are_numbered_weak_to_strong(game, built):
    from holdem.abstraction.sweeps import _ranks, pair_cards, strengths

    br = board_rows(game.num_ranks, 4, 5)
    free = br.free_cards()
    pairs = pair_cards(free.shape[1])
    hs, bucket = [], []
    for row in range(0, br.num_rows, 7):
        ranks = np.empty(len(pairs), dtype=np.int32)
        _ranks(br.reps[row], 5, free[row], pairs, -1, ranks)
        s = np.zeros(len(pairs), dtype=np.uint8)
        strengths(ranks, pairs, free.shape[1], s)
        hs.append(s)
        bucket.append(built.streets[3].rows[row])
    hs, bucket = np.concatenate(hs), np.concatenate(bucket)
    means = np.array([hs[bucket == b].mean() for b in range(8)])
    assert (np.diff(means) > 0).all()


def test_interrupted_build_resumes_to_the_same_file(game, built, tmp_path, monkeypatch):
    from holdem.abstraction import buildstate
    from holdem.abstraction.builder import build_abstraction

    real_save = buildstate.BuildState.save
    calls = []

    def dying_save(self, name, arrays):
        real_save(self, name, arrays)
        calls.append(name)
        if len(calls) == 6:
            raise KeyboardInterrupt

    monkeypatch.setattr(buildstate.BuildState, "save", dying_save)
    work = tmp_path / "short.npz.partial"
    with pytest.raises(KeyboardInterrupt):
        build_abstraction(SPEC, game, progress=False, log=lambda msg: None, work_dir=work)
    monkeypatch.setattr(buildstate.BuildState, "save", real_save)
    saved = sorted(p.name for p in work.iterdir())
    assert len(saved) == 6
    (work / saved[-1]).write_bytes(b"garbage")
    resumed = build_abstraction(SPEC, game, progress=False, log=lambda msg: None, work_dir=work)
    assert resumed.info["resumed_stages"] == 5
    assert resumed.content_hash() == built.content_hash()
    other = BucketSpec(**{**SPEC.__dict__, "seed": 6})
    fresh = build_abstraction(other, game, progress=False, log=lambda msg: None, work_dir=work)
    assert fresh.info["resumed_stages"] == 0


def test_file_round_trip_and_refusals(game, built, tmp_path):
    path = tmp_path / "short.npz"
    digest = built.save(path)
    back = CardAbstraction.load(path, game)
    assert back.content_hash() == digest
    deals = _deals(game, 500, 7, seed=3)
    assert np.array_equal(back.bucket(3, deals), built.bucket(3, deals))
    with pytest.raises(BucketFileError, match="built for game 'short'"):
        CardAbstraction.load(path, load_game("hunl"))
    with np.load(path, allow_pickle=False) as npz:
        files = dict(npz.items())
    files["format_version"] = np.array(3)
    np.savez(tmp_path / "newer.npz", **files)
    with pytest.raises(BucketFileError, match="format version 3.*rebuild"):
        CardAbstraction.load(tmp_path / "newer.npz")
    files["format_version"] = np.array(1)
    np.savez(tmp_path / "relabelled.npz", **files)
    with pytest.raises(BucketFileError, match="checksum"):
        CardAbstraction.load(tmp_path / "relabelled.npz")


def test_specs_pair_potential_aware_streets(tmp_path, game):
    from holdem.abstraction.buckets import BucketSpecError
    from holdem.abstraction.builder import build_abstraction
    from holdem.abstraction.specs import load_spec

    path = tmp_path / "s.yaml"
    path.write_text("flop: {buckets: 9, feature: pa, sample: 5000}\nturn: {buckets: 9, feature: pa}\n"
                    "river: {buckets: 9, feature: hs}\n")
    spec = load_spec(path)
    assert spec.potential_aware and spec.sample_for("flop") == 5000 and spec.sample_for("turn") == spec.kmeans_sample
    with pytest.raises(BucketSpecError, match="52-card"):
        build_abstraction(spec, game, progress=False, log=lambda msg: None)
    for bad in ("flop: {buckets: 9, feature: pa}\nturn: {buckets: 9, feature: hist}\nriver: {buckets: 9, "
                "feature: ochs}\n", "flop: {buckets: 9, feature: hs}\nturn: {buckets: 9, feature: hs}\n"
                "river: {buckets: 9, feature: ochs}\n"):
        path.write_text(bad)
        with pytest.raises(BucketSpecError, match="potential-aware features go together"):
            load_spec(path)
    assert load_spec("quick").potential_aware and not load_spec("quick-legacy").potential_aware


def test_every_shipped_spec_loads_and_the_defaults_split_strength_bands():
    """A shipped spec with a bad key would fail only when someone builds it: each one is validated here. The
    defaults split strength bands in two by OCHS; quick's river is as wide as quick-legacy's (same k-means
    settings), so the two train as many iterations a second."""
    from holdem.abstraction.specs import builtin_specs, load_spec

    specs = {name: load_spec(name) for name in builtin_specs()}
    assert {"tiny", "quick", "mid", "quick-legacy", "mid-legacy"} <= set(specs)
    for name in ("quick", "mid"):
        river = specs[name].river
        assert specs[name].potential_aware and river.feature == "ochs" and river.buckets == 2 * river.bands
    quick, legacy = specs["quick"], specs["quick-legacy"]
    assert quick.river.buckets == legacy.river.buckets and legacy.river.feature == "hs"
    assert (quick.seed, quick.kmeans_iterations, quick.kmeans_sample) == (legacy.seed, legacy.kmeans_iterations,
                                                                          legacy.kmeans_sample)


def _strength_bands(game, bands):
    """Each short-deck river cell's band by its strength percentile (the 52-card build bands by the legacy river)."""
    from holdem.abstraction.buckets import MODE_BOARD, StreetAbstraction
    from holdem.abstraction.sweeps import _ranks, pair_cards, strengths

    br = board_rows(game.num_ranks, 4, 5)
    free = br.free_cards()
    pairs = pair_cards(free.shape[1])
    rows = np.empty((br.num_rows, len(pairs)), dtype=np.uint8)
    ranks = np.empty(len(pairs), dtype=np.int32)
    s = np.zeros(len(pairs), dtype=np.uint8)
    for row in range(br.num_rows):
        _ranks(br.reps[row], 5, free[row], pairs, -1, ranks)
        strengths(ranks, pairs, free.shape[1], s)
        rows[row] = s.astype(np.int64) * bands // 256
    return StreetAbstraction(MODE_BOARD, bands, 3, rows=rows, board_cards=5, hole_cards=2)


def test_a_banded_river_splits_each_strength_band_by_ochs(game, built, monkeypatch):
    from holdem.abstraction import builder
    from holdem.abstraction.builder import PotentialBuilder, build_abstraction

    monkeypatch.setattr(PotentialBuilder, "strength_river", lambda self, buckets: _strength_bands(game, buckets))
    monkeypatch.setattr(builder, "is_holdem_deal", lambda game: True)
    spec = BucketSpec(**{**SPEC.__dict__, "river": StreetSpec(8, "ochs", bands=2)})
    banded = build_abstraction(spec, game, progress=False, log=lambda msg: None)
    band = _strength_bands(game, 2).rows.astype(np.int64)
    river = banded.streets[3].rows.astype(np.int64)
    assert np.array_equal(river // 4, band)
    assert len(np.unique(river)) == 8
    for b in range(2):
        assert len(np.unique(river[band == b])) == 4
    assert np.array_equal(banded.streets[2].rows, built.streets[2].rows)
    again = build_abstraction(spec, game, progress=False, log=lambda msg: None)
    assert again.content_hash() == banded.content_hash()


def test_river_bands_are_checked_when_the_spec_is_read(tmp_path):
    from holdem.abstraction.buckets import BucketSpecError
    from holdem.abstraction.specs import load_spec

    path = tmp_path / "s.yaml"
    head = "flop: {buckets: 9, feature: pa}\nturn: {buckets: 9, feature: pa}\n"
    path.write_text(head + "river: {buckets: 12, feature: ochs, bands: 3}\n")
    assert load_spec(path).river.bands == 3 and load_spec(path).to_dict()["river"]["bands"] == 3
    assert "bands" not in load_spec("quick-pa").to_dict()["river"]
    for river, message in (("{buckets: 12, feature: hs, bands: 3}", "OCHS river only"),
                           ("{buckets: 12, feature: ochs, bands: 5}", "must divide"),
                           ("{buckets: 12, feature: ochs, bands: 12}", "must divide")):
        path.write_text(head + f"river: {river}\n")
        with pytest.raises(BucketSpecError, match=message):
            load_spec(path)
