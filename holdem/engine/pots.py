"""Main and side pots from contributions, and their split among the best hands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pot:
    """A main or side pot: its chips and the seats (not folded) that can win it."""

    amount: int
    eligible: tuple[int, ...]


def build_pots(contributions: Sequence[int], in_hand: Sequence[bool]) -> list[Pot]:
    """Pots layered by contribution level; consecutive layers with the same eligible seats merge.

    A seat is eligible for a layer when it has not folded and put in at least that level; a layer
    only one seat reaches is its uncalled bet, returned through the pot it alone can win.
    """
    n = len(contributions)
    pots: list[Pot] = []
    previous = 0
    carry = 0
    for level in sorted(set(contributions)):
        if level == 0:
            continue
        amount = carry
        for c in contributions:
            if c > previous:
                amount += min(c, level) - previous
        eligible = tuple(i for i in range(n) if in_hand[i] and contributions[i] >= level)
        previous = level
        if not eligible:
            carry = amount
            continue
        carry = 0
        if pots and pots[-1].eligible == eligible:
            amount += pots.pop().amount
        pots.append(Pot(amount, eligible))
    if carry and pots:
        last = pots.pop()
        pots.append(Pot(last.amount + carry, last.eligible))
    return pots


def award_pots(pots: Sequence[Pot], ranks: Sequence[int], seat_order: Sequence[int]) -> list[int]:
    """Chips each seat wins: every pot splits evenly among its best ranks.

    The odd chips of a split go to the winner that comes first in ``seat_order``.
    """
    position = {seat: k for k, seat in enumerate(seat_order)}
    won = [0] * len(ranks)
    for pot in pots:
        best = max(ranks[i] for i in pot.eligible)
        winners = sorted((i for i in pot.eligible if ranks[i] == best), key=position.__getitem__)
        share, odd = divmod(pot.amount, len(winners))
        for i in winners:
            won[i] += share
        won[winners[0]] += odd
    return won
