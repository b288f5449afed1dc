"""Hand ranks at showdown: comparable ints, higher wins, equal ranks split the pot.

With 5 to 7 cards the rank is the best five-card hold'em hand (``holdem.evaluator``, 1..7462).
With fewer cards (Kuhn: 1, Leduc: hole + board = 2) only rank groups count: quads, trips, two pair,
pair, high card, then the ranks from the largest group down; suits never break ties, so a Leduc
pair beats any non-pair and otherwise the higher private card wins, as in OpenSpiel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from holdem.evaluator import eval_cards


@njit(cache=True)
def _small_hand_rank(cards: np.ndarray, num_cards: int) -> np.int32:
    counts = np.zeros(13, dtype=np.int32)
    for i in range(num_cards):
        counts[cards[i] >> 2] += 1
    first = 0
    second = 0
    for r in range(13):
        c = counts[r]
        if c > first:
            second = first
            first = c
        elif c > second:
            second = c
    if first >= 4:
        category = 7
    elif first == 3:
        category = 3
    elif first == 2 and second == 2:
        category = 2
    elif first == 2:
        category = 1
    else:
        category = 0
    value = category
    for c in range(4, 0, -1):
        for r in range(12, -1, -1):
            if counts[r] == c:
                for _ in range(c):
                    value = (value << 4) | r
    for _ in range(num_cards, 4):
        value <<= 4
    return np.int32(value)


@njit(cache=True)
def hand_rank_nb(cards: np.ndarray, num_cards: int) -> np.int32:
    """Showdown rank of the first ``num_cards`` (1..7) codes of an int array; numba-callable, unchecked."""
    if num_cards >= 5:
        return eval_cards(cards, num_cards)
    return _small_hand_rank(cards, num_cards)


def hand_rank(cards: Sequence[int]) -> int:
    """Showdown rank of 1..7 distinct card codes (hole cards followed by the board)."""
    n = len(cards)
    if 5 <= n <= 7:
        return int(eval_cards(np.array(cards, dtype=np.int64), n))
    if not 1 <= n <= 4:
        raise ValueError(f"a showdown hand has 1 to 7 cards, got {n}")
    return small_hand_rank(cards)


def small_hand_rank(cards: Sequence[int]) -> int:
    """Rank of 1..4 cards by rank groups only (no straights or flushes); pure Python for the engine."""
    counts: dict[int, int] = {}
    for c in cards:
        counts[c >> 2] = counts.get(c >> 2, 0) + 1
    groups = sorted(((cnt, rank) for rank, cnt in counts.items()), reverse=True)
    first = groups[0][0]
    second = groups[1][0] if len(groups) > 1 else 0
    if first >= 4:
        category = 7
    elif first == 3:
        category = 3
    elif first == 2:
        category = 2 if second == 2 else 1
    else:
        category = 0
    value = category
    for cnt, rank in groups:
        for _ in range(cnt):
            value = (value << 4) | rank
    return value << (4 * (4 - len(cards)))

