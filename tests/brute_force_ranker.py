"""A slow, obviously correct hold'em ranker used only to check the fast ones in tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

HIGH_CARD, PAIR, TWO_PAIR, TRIPS, STRAIGHT, FLUSH, FULL_HOUSE, QUADS, STRAIGHT_FLUSH = range(9)


def rank_five(cards: Sequence[int]) -> tuple[int, ...]:
    """(category, tie-break ranks...) of exactly five cards; tuples compare like the hands."""
    ranks = sorted((c >> 2 for c in cards), reverse=True)
    flush = len({c & 3 for c in cards}) == 1
    distinct = sorted(set(ranks), reverse=True)
    straight_high = None
    if len(distinct) == 5 and distinct[0] - distinct[4] == 4:
        straight_high = distinct[0]
    elif distinct == [12, 3, 2, 1, 0]:
        straight_high = 3
    if straight_high is not None:
        return (STRAIGHT_FLUSH if flush else STRAIGHT, straight_high)
    groups = sorted(((n, r) for r, n in Counter(ranks).items()), reverse=True)
    shape = tuple(n for n, _ in groups)
    order = tuple(r for _, r in groups)
    if shape == (4, 1):
        return (QUADS, *order)
    if shape == (3, 2):
        return (FULL_HOUSE, *order)
    if flush:
        return (FLUSH, *ranks)
    category = {(3, 1, 1): TRIPS, (2, 2, 1): TWO_PAIR, (2, 1, 1, 1): PAIR}.get(shape, HIGH_CARD)
    return (category, *order)


def best_hand(cards: Sequence[int]) -> tuple[int, ...]:
    """Best five-card hand among 5 to 7 cards."""
    return max(rank_five(five) for five in combinations(cards, 5))
