"""Showdown ranks: hold'em hands agree with a brute-force ranker; small-deck games rank like OpenSpiel."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force_ranker import best_hand
from numba import njit

from holdem.cards import parse_cards
from holdem.showdown import hand_rank, hand_rank_nb


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


@pytest.mark.parametrize("num_cards", [5, 6, 7])
def test_holdem_ranks_order_hands_like_brute_force(num_cards: int) -> None:
    rng = np.random.default_rng(num_cards)
    for _ in range(1500):
        deal = [int(c) for c in rng.permutation(52)[: 2 * num_cards]]
        a, b = deal[:num_cards], deal[num_cards:]
        expected = (best_hand(a) > best_hand(b)) - (best_hand(a) < best_hand(b))
        assert sign(hand_rank(a) - hand_rank(b)) == expected, (a, b)


def test_holdem_ties_ignore_suits() -> None:
    board = parse_cards("Ah Kd 7c 7s 2h")
    assert hand_rank(parse_cards("Qs Jd") + board) == hand_rank(parse_cards("Qh Jc") + board)
    assert hand_rank(parse_cards("3s 4d") + board) == hand_rank(parse_cards("4h 3c") + board)


def test_kuhn_single_card_ranks_by_rank() -> None:
    queen, king, ace = (parse_cards(c) for c in ("Qc", "Kc", "Ac"))
    assert hand_rank(queen) < hand_rank(king) < hand_rank(ace)


def test_leduc_pair_beats_any_high_card_and_otherwise_private_card_decides() -> None:
    board = parse_cards("Qd")
    pair, ace, king = (hand_rank(parse_cards(h) + board) for h in ("Qc", "Ac", "Kc"))
    assert pair > ace > king
    assert hand_rank(parse_cards("Kc Qd")) == hand_rank(parse_cards("Kd Qc"))


def test_small_hands_rank_groups_before_ranks() -> None:
    trips, two_pair, pair, high = (
        hand_rank(parse_cards(h)) for h in ("2c 2d 2h 3c", "Ac Ad Kc Kd", "Ac Ad Kc Qd", "Ac Kd Qc Jd")
    )
    assert trips > two_pair > pair > high
    assert hand_rank(parse_cards("Ac Ad 2c")) > hand_rank(parse_cards("Kc Kd Qc"))
    assert hand_rank(parse_cards("Kc Kd 3c")) > hand_rank(parse_cards("Kh Ks 2c"))


@pytest.mark.parametrize("num_cards", range(1, 8))
def test_numba_rank_matches_python_rank(num_cards: int) -> None:
    rng = np.random.default_rng(100 + num_cards)
    for _ in range(300):
        cards = rng.permutation(52)[:num_cards].astype(np.int32)
        padded = np.concatenate([cards, np.zeros(7 - num_cards, dtype=np.int32)])
        assert hand_rank_nb(padded, num_cards) == hand_rank([int(c) for c in cards])


@pytest.mark.parametrize("count", [0, 8])
def test_wrong_card_count_is_refused(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 7 cards"):
        hand_rank(list(range(count)))


@njit(cache=True)
def _best_of(hands: np.ndarray, num_cards: int) -> int:
    best, winner = -1, -1
    for i in range(hands.shape[0]):
        rank = hand_rank_nb(hands[i], num_cards)
        if rank > best:
            best, winner = rank, i
    return winner


def test_numba_rank_is_callable_from_a_kernel() -> None:
    board = "2c 7d 9h Jc 3s"
    hands = np.array([parse_cards(board + " Kd Kh"), parse_cards(board + " Ac Ad")], dtype=np.int32)
    assert _best_of(hands, 7) == 1
    assert _best_of(np.array([parse_cards("Kc"), parse_cards("Ad")], dtype=np.int32), 1) == 1
