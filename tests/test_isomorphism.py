import itertools
import math

import numpy as np
import pytest
from numba import njit

from holdem.abstraction.isomorphism import HandIndexer, IsomorphismError, index_nb
from holdem.cards import NUM_RANKS
from holdem.games import load_game


@pytest.fixture(scope="module")
def hunl():
    return HandIndexer(load_game("hunl"))


@pytest.fixture(scope="module")
def hunl_merged():
    return HandIndexer(load_game("hunl"), merge_board=True)


def test_holdem_counts(hunl, hunl_merged):
    assert [hunl_merged.size(s) for s in range(4)] == [169, 1_286_792, 13_960_050, 123_156_254]
    assert [hunl.size(s) for s in range(4)] == [169, 1_286_792, 55_190_538, 2_428_287_420]
    assert hunl_merged.shapes == [(2,), (2, 3), (2, 4), (2, 5)]
    assert hunl.shapes == [(2,), (2, 3), (2, 3, 1), (2, 3, 1, 1)]


def test_small_game_counts():
    assert [HandIndexer(load_game("kuhn")).size(0)] == [3]
    leduc = HandIndexer(load_game("leduc"))
    assert [leduc.size(0), leduc.size(1)] == [3, 15]


def _random_hands(rng, deck, k, n):
    return np.array([rng.choice(deck, size=k, replace=False) for _ in range(n)], dtype=np.int32)


@pytest.mark.parametrize("merge", [False, True])
def test_index_unindex_round_trip(hunl, hunl_merged, merge):
    idx = hunl_merged if merge else hunl
    rng = np.random.default_rng(1)
    for st in range(4):
        ids = rng.integers(0, idx.size(st), size=20_000)
        ids = np.concatenate([ids, [0, idx.size(st) - 1]])
        hands = idx.unindex(st, ids)
        assert np.array_equal(idx.index(st, hands), ids)


def test_round_trip_small_games():
    for name in ("kuhn", "leduc"):
        idx = HandIndexer(load_game(name))
        for st in range(idx.num_streets):
            ids = np.arange(idx.size(st))
            assert np.array_equal(idx.index(st, idx.unindex(st, ids)), ids)


def test_suit_permutation_and_order_within_round(hunl):
    rng = np.random.default_rng(2)
    deck = np.arange(52)
    for st, k in enumerate((2, 5, 6, 7)):
        hands = _random_hands(rng, deck, k, 2000)
        base = hunl.index(st, hands)
        perm = np.array([rng.permutation(4) for _ in range(len(hands))])
        moved = (hands & ~3) | np.take_along_axis(perm, hands & 3, axis=1)
        shuffled = moved.copy()
        shuffled[:, :2] = shuffled[:, [1, 0]]
        if k >= 5:
            shuffled[:, 2:5] = shuffled[:, [4, 2, 3]]
        assert np.array_equal(hunl.index(st, shuffled), base)


def _brute_keys(hands, shape, num_suits, num_ranks):
    """Lexicographically least per-round card masks over all suit permutations, one int per hand."""
    rank_lo = NUM_RANKS - num_ranks
    width = num_ranks * num_suits
    ends = np.cumsum(shape)
    best = None
    for perm in itertools.permutations(range(num_suits)):
        p = np.array(perm)
        bits = ((hands >> 2) - rank_lo) * num_suits + p[hands & 3]
        key = np.zeros(len(hands), dtype=np.int64)
        for c, e in zip(shape, ends):
            mask = np.zeros(len(hands), dtype=np.int64)
            for j in range(e - c, e):
                mask |= np.int64(1) << bits[:, j].astype(np.int64)
            key = (key << width) | mask
        best = key if best is None else np.minimum(best, key)
    return best


def _all_hands(num_ranks, num_suits, shape):
    deck = [4 * r + s for r in range(NUM_RANKS - num_ranks, NUM_RANKS) for s in range(num_suits)]
    rows = []

    def rec(r, avail, prefix):
        if r == len(shape):
            rows.append(prefix)
            return
        for combo in itertools.combinations(avail, shape[r]):
            rec(r + 1, [c for c in avail if c not in combo], prefix + combo)

    rec(0, deck, ())
    return np.array(rows, dtype=np.int32)


@pytest.mark.parametrize(
    "num_ranks,num_suits,shape",
    [(6, 4, (2,)), (6, 4, (2, 3)), (4, 4, (2, 4)), (4, 4, (2, 3, 1)), (3, 4, (2, 2, 1, 1)), (5, 3, (2, 3)),
     (3, 2, (1, 1)), (4, 2, (2, 2, 1)), (7, 1, (2, 3))],
)
def test_brute_force_small_decks(num_ranks, num_suits, shape):
    hands = _all_hands(num_ranks, num_suits, shape)
    keys = _brute_keys(hands, shape, num_suits, num_ranks)
    idx = HandIndexer.from_shapes(num_ranks, num_suits, [shape])
    got = idx.index(0, hands)
    n_classes = len(np.unique(keys))
    assert idx.size(0) == n_classes
    assert got.min() == 0 and got.max() == n_classes - 1
    assert len(np.unique(np.stack([keys, got], axis=1), axis=0)) == n_classes
    ids = np.arange(n_classes)
    assert int(idx.weights(0, ids).sum()) == len(hands)
    rep = idx.unindex(0, ids)
    assert np.array_equal(idx.index(0, rep), ids)


def test_weights_preflop(hunl):
    w = hunl.weights(0, np.arange(169))
    assert int(w.sum()) == math.comb(52, 2)
    assert sorted(set(w.tolist())) == [4, 6, 12]


@njit(cache=True)
def _scalar_loop(tables, street, hands, out):
    for i in range(hands.shape[0]):
        out[i] = index_nb(tables, street, hands[i], hands.shape[1])


def test_numba_scalar_matches_vector(hunl_merged):
    rng = np.random.default_rng(3)
    for st, k in enumerate((2, 5, 6, 7)):
        hands = _random_hands(rng, np.arange(52), k, 3000)
        out = np.empty(len(hands), dtype=np.int64)
        _scalar_loop(hunl_merged.tables(), st, hands, out)
        assert np.array_equal(out, hunl_merged.index(st, hands))


def test_bad_cards_raise(hunl):
    with pytest.raises(IsomorphismError):
        hunl.index(0, np.array([[0, 0]]))
    with pytest.raises(IsomorphismError):
        hunl.index(1, np.array([[0, 1, 2]]))
    with pytest.raises(IsomorphismError):
        hunl.index(0, np.array([[0, 52]]))
    leduc = HandIndexer(load_game("leduc"))
    with pytest.raises(IsomorphismError):
        leduc.index(0, np.array([[0]]))
    with pytest.raises(IsomorphismError):
        hunl.unindex(0, 169)
