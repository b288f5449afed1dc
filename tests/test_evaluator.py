"""Hand evaluator: exhaustive counts, brute-force and pokerkit references, scalar forms, bad input."""

import subprocess
import sys
from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from numba import njit
from pokerkit import StandardHighHand

from holdem import evaluator
from holdem.evaluator import (
    CATEGORY_NAMES,
    CATEGORY_OF_RANK,
    N_HAND_RANKS,
    categories,
    category,
    eval5,
    eval6,
    eval7,
    eval_cards,
    rank5,
    rank6,
    rank7,
    rank_hands,
)

RANKS = "23456789TJQKA"
SUITS = "cdhs"
FIVE_CARD_COUNTS = [1302540, 1098240, 123552, 54912, 10200, 5108, 3744, 624, 40]
SEVEN_CARD_COUNTS = [23294460, 58627800, 31433400, 6461620, 6180020, 4047644, 3473184, 224848, 41584]


def cards(text: str) -> list[int]:
    return [4 * RANKS.index(t[0]) + SUITS.index(t[1]) for t in text.split()]


def card_text(codes) -> str:
    return "".join(RANKS[c >> 2] + SUITS[c & 3] for c in codes)


def random_hands(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return np.argsort(rng.random((n, 52)), axis=1)[:, :k].astype(np.int64)


def brute_five(hand) -> tuple:
    """Independent reference: (category code, tie-break ranks) of five cards, compared as tuples."""
    ranks = sorted((c >> 2 for c in hand), reverse=True)
    flush = len({c & 3 for c in hand}) == 1
    uniq = sorted(set(ranks), reverse=True)
    top = None
    if len(uniq) == 5 and uniq[0] - uniq[4] == 4:
        top = uniq[0]
    if uniq == [12, 3, 2, 1, 0]:
        top = 3
    groups = sorted(Counter(ranks).items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    shape = [n for _, n in groups]
    kick = tuple(r for r, _ in groups)
    if top is not None:
        return (8 if flush else 4, (top,))
    if flush:
        return (5, kick)
    table = {(4, 1): 7, (3, 2): 6, (3, 1, 1): 3, (2, 2, 1): 2, (2, 1, 1, 1): 1, (1, 1, 1, 1, 1): 0}
    return (table[tuple(shape)], kick)


def brute_best(hand) -> tuple:
    return max(brute_five(sub) for sub in combinations(hand, 5))


@njit(cache=True)
def all_five_card_hands() -> np.ndarray:
    out = np.empty((2598960, 5), dtype=np.int8)
    n = 0
    for a in range(48):
        for b in range(a + 1, 49):
            for c in range(b + 1, 50):
                for d in range(c + 1, 51):
                    for e in range(d + 1, 52):
                        out[n, 0] = a
                        out[n, 1] = b
                        out[n, 2] = c
                        out[n, 3] = d
                        out[n, 4] = e
                        n += 1
    return out


@njit(cache=True)
def seven_card_census(category_of_rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    return counts, seen


@njit(cache=True)
def scalar_ranks(hands: np.ndarray) -> np.ndarray:
    n, k = hands.shape
    out = np.empty((n, 2), dtype=np.int32)
    for i in range(n):
        h = hands[i]
        if k == 7:
            out[i, 0] = eval7(h[0], h[1], h[2], h[3], h[4], h[5], h[6])
        elif k == 6:
            out[i, 0] = eval6(h[0], h[1], h[2], h[3], h[4], h[5])
        else:
            out[i, 0] = eval5(h[0], h[1], h[2], h[3], h[4])
        out[i, 1] = eval_cards(h, k)
    return out


def test_all_five_card_hands_give_7462_ranks_and_exact_category_counts():
    ranks = rank5(all_five_card_hands())
    assert ranks.dtype == np.int32
    assert len(np.unique(ranks)) == N_HAND_RANKS
    assert ranks.min() == 1 and ranks.max() == N_HAND_RANKS
    assert np.bincount(categories(ranks), minlength=9).tolist() == FIVE_CARD_COUNTS


def test_all_seven_card_hands_give_exact_category_counts():
    counts, seen = seven_card_census(CATEGORY_OF_RANK)
    assert counts.tolist() == SEVEN_CARD_COUNTS
    assert counts.sum() == 133784560
    assert seen.sum() == 4824


def test_seven_card_ranks_order_hands_like_a_brute_force_evaluator():
    hands = random_hands(np.random.default_rng(7), 1500, 7)
    ranks = rank7(hands)
    reference = [brute_best(h) for h in hands.tolist()]
    order = sorted(range(len(hands)), key=lambda i: reference[i])
    for i, j in zip(order, order[1:]):
        if reference[i] == reference[j]:
            assert ranks[i] == ranks[j], (card_text(hands[i]), card_text(hands[j]))
        else:
            assert ranks[i] < ranks[j], (card_text(hands[i]), card_text(hands[j]))
    assert [CATEGORY_NAMES[ref[0]] for ref in reference] == [category(r) for r in ranks]


def test_five_card_ranks_agree_with_brute_force_on_a_sample():
    hands = random_hands(np.random.default_rng(5), 20000, 5)
    ranks = rank5(hands)
    reference = [brute_five(h) for h in hands.tolist()]
    by_ref: dict[tuple, int] = {}
    for ref, r in zip(reference, ranks.tolist()):
        assert by_ref.setdefault(ref, r) == r
    keys = sorted(by_ref)
    assert [by_ref[k] for k in keys] == sorted(by_ref.values())
    assert len(set(by_ref.values())) == len(keys)


def test_seven_and_six_card_ranks_are_best_five_card_subset():
    rng = np.random.default_rng(11)
    for k in (6, 7):
        hands = random_hands(rng, 20000, k)
        subsets = np.array(list(combinations(range(k), 5)))
        best = rank5(hands[:, subsets].reshape(-1, 5)).reshape(len(hands), -1).max(axis=1)
        np.testing.assert_array_equal(rank_hands(hands), best)
    np.testing.assert_array_equal(rank6(hands[:, :6]), rank_hands(hands[:, :6]))


def test_seven_card_comparisons_agree_with_pokerkit():
    hands = random_hands(np.random.default_rng(2024), 4000, 7)
    ranks = rank7(hands)
    for i in range(0, 4000, 2):
        a, b = hands[i].tolist(), hands[i + 1].tolist()
        pa = StandardHighHand.from_game(card_text(a[:2]), card_text(a[2:]))
        pb = StandardHighHand.from_game(card_text(b[:2]), card_text(b[2:]))
        expected = (pa > pb) - (pa < pb)
        got = int(np.sign(int(ranks[i]) - int(ranks[i + 1])))
        assert got == expected, (card_text(a), card_text(b))


def test_scalar_forms_inside_a_kernel_match_the_batch_form():
    rng = np.random.default_rng(3)
    for k in (5, 6, 7):
        for dtype in (np.int64, np.int32, np.int8):
            hands = random_hands(rng, 5000, k).astype(dtype)
            batch = rank_hands(hands)
            scalar = scalar_ranks(hands)
            np.testing.assert_array_equal(scalar[:, 0], batch)
            np.testing.assert_array_equal(scalar[:, 1], batch)
    assert eval7(*cards("As Ks Qs Js Ts 2c 3d")) == N_HAND_RANKS


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("As Ks Qs Js Ts 2c 3d", "straight flush"),
        ("Ah Ad Ac As 2d 3c 4h", "four of a kind"),
        ("Kh Kd Kc Qs Qd 2c 2h", "full house"),
        ("2h 7h 9h Jh Kh Ac Ad", "flush"),
        ("Ah 2c 3d 4s 5h Kc Kd", "straight"),
        ("7h 7d 7c As Kd 2c 4h", "three of a kind"),
        ("7h 7d 5c 5s Kd Kc 4h", "two pair"),
        ("7h 7d 5c As Kd 2c 4h", "one pair"),
        ("2h 4d 6c 8s Td Qc Ah", "high card"),
    ],
)
def test_category_names(text, name):
    assert category(int(rank7(np.array([cards(text)]))[0])) == name


def test_known_orderings_and_ties():
    def r(text):
        return int(rank_hands(np.array([cards(text)]))[0])

    assert r("Ah 2c 3d 4s 5h") < r("2c 3d 4s 5h 6h") < r("Th Jc Qd Ks Ah")
    assert r("5s 4s 3s 2s As") < r("6s 5s 4s 3s 2s")
    assert r("5s 4s 3s 2s As") > r("Ah Ad Ac As Kd")
    assert r("Ah Kd 9c 7s 5h 3c 2d") == r("As Kc 9d 7h 5d 4c 2h")
    assert r("Ah Ad 9c 7s 5h") == r("Ac As 9h 7d 5s")
    assert r("Ah Ad Kc Ks Qh Qd 2c") == r("Ah Ad Kc Ks Qh 3d 2c")
    assert r("2c 3d 4h 5s 7c") == 1


@pytest.mark.parametrize(
    ("hands", "message"),
    [
        (np.zeros((3, 4), dtype=np.int64), r"shape \(n, k\) with k in 5\.\.7"),
        (np.arange(7), r"shape"),
        (np.array([[0, 1, 2, 3, 4, 5, 52]]), r"card code 52 in hand 0 is outside 0\.\.51"),
        (np.array([[0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, -1, 5, 6]]), r"card code -1 in hand 1"),
        (np.array([[0, 1, 2, 3, 4, 5, 6], [9, 1, 2, 3, 4, 5, 9]]), r"card code 9 appears twice in hand 1"),
        (np.zeros((2, 7), dtype=np.float64), r"must be integers"),
    ],
)
def test_bad_input_raises_clear_value_error(hands, message):
    with pytest.raises(ValueError, match=message):
        rank_hands(hands)


def test_named_wrappers_check_the_hand_size_and_rank_range():
    with pytest.raises(ValueError, match=r"shape \(n, 7\)"):
        rank7(np.zeros((1, 5), dtype=np.int64))
    with pytest.raises(ValueError, match=r"outside 1\.\.7462"):
        category(0)
    with pytest.raises(ValueError, match=r"1\.\.7462"):
        categories(np.array([1, 7463]))
    assert rank7(np.empty((0, 7), dtype=np.int64)).shape == (0,)


def test_tables_are_deterministic():
    rebuilt = evaluator._build_tables()
    current = (
        evaluator.CARD_KEY,
        evaluator.FLUSH_TABLE,
        evaluator.HASH_DISP,
        evaluator.HASH_TABLE,
        evaluator.CATEGORY_OF_RANK,
    )
    for new, old in zip(rebuilt, current):
        np.testing.assert_array_equal(new, old)
    assert rebuilt[5] == evaluator._HASH_MUL


def test_a_second_process_loads_the_cached_kernels():
    hands = random_hands(np.random.default_rng(9), 64, 7)
    expected = rank7(hands)
    code = (
        "import sys, numpy as np\n"
        "from numba import njit\n"
        "from holdem.evaluator import eval7, rank7\n"
        "h = np.array(eval(sys.stdin.read()), dtype=np.int64)\n"
        "f = njit(lambda a: [eval7(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in a])\n"
        "assert list(rank7(h)) == f(h)\n"
        "print(' '.join(map(str, rank7(h))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], input=repr(hands.tolist()), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert [int(x) for x in proc.stdout.split()] == expected.tolist()
