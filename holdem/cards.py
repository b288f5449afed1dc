"""Card encoding, parsing and a seeded deck.

The one encoding used everywhere: ``card = 4 * rank + suit`` with ranks ``23456789TJQKA`` = 0..12
and suits ``cdhs`` = 0..3, so ``"2c"`` is 0 and ``"As"`` is 51.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

RANK_CHARS = "23456789TJQKA"
SUIT_CHARS = "cdhs"
NUM_RANKS = 13
NUM_SUITS = 4
NUM_CARDS = 52


class CardError(ValueError):
    """A card string or card code that does not name a card."""


def make_card(rank: int, suit: int) -> int:
    """Card code of a rank (0..12) and suit (0..3)."""
    if not (0 <= rank < NUM_RANKS and 0 <= suit < NUM_SUITS):
        raise CardError(f"rank {rank} / suit {suit} out of range (rank 0..12, suit 0..3)")
    return 4 * rank + suit


def card_rank(card: int) -> int:
    return card >> 2


def card_suit(card: int) -> int:
    return card & 3


def parse_card(text: str) -> int:
    """Card code of a two-character card such as ``"As"`` or ``"td"``."""
    token = text.strip()
    if len(token) != 2:
        raise CardError(f"bad card {text!r}: expected rank then suit, like 'As' or 'Td'")
    rank = RANK_CHARS.find(token[0].upper())
    suit = SUIT_CHARS.find(token[1].lower())
    if rank < 0:
        raise CardError(f"bad card {text!r}: rank {token[0]!r} is not one of {RANK_CHARS}")
    if suit < 0:
        raise CardError(f"bad card {text!r}: suit {token[1]!r} is not one of {SUIT_CHARS}")
    return 4 * rank + suit


def parse_cards(text: str, *, allow_duplicates: bool = False) -> list[int]:
    """Card codes of a string such as ``"As Kd"`` or ``"AsKd7h"`` (spaces and commas optional)."""
    compact = "".join(ch for ch in text if not ch.isspace() and ch != ",")
    if len(compact) % 2:
        raise CardError(f"bad card list {text!r}: odd number of characters")
    cards = [parse_card(compact[i : i + 2]) for i in range(0, len(compact), 2)]
    if not allow_duplicates and len(set(cards)) != len(cards):
        dup = next(c for c in cards if cards.count(c) > 1)
        raise CardError(f"card {format_card(dup)} appears twice in {text!r}")
    return cards


def format_card(card: int) -> str:
    if not 0 <= int(card) < NUM_CARDS:
        raise CardError(f"card code {card} out of range 0..51")
    return RANK_CHARS[card >> 2] + SUIT_CHARS[card & 3]


def format_cards(cards: Iterable[int], sep: str = " ") -> str:
    return sep.join(format_card(int(c)) for c in cards)


def card_mask(cards: Iterable[int]) -> int:
    """64-bit mask with bit ``card`` set for each card."""
    mask = 0
    for c in cards:
        mask |= 1 << int(c)
    return mask


def mask_cards(mask: int) -> list[int]:
    """Card codes present in a 64-bit mask, ascending."""
    return [c for c in range(NUM_CARDS) if mask >> c & 1]


class Deck:
    """A deck of chosen cards, shuffled only by an explicit ``numpy.random.Generator``."""

    def __init__(self, rng: np.random.Generator, cards: Sequence[int] | None = None) -> None:
        self._rng = rng
        self._all = np.asarray(range(NUM_CARDS) if cards is None else cards, dtype=np.int32)
        self._order = self._all.copy()
        self._next = 0
        self.shuffle()

    def shuffle(self) -> None:
        self._order = self._rng.permutation(self._all)
        self._next = 0

    def deal(self, n: int) -> list[int]:
        if self._next + n > len(self._order):
            raise CardError(f"cannot deal {n} cards: {len(self._order) - self._next} left in the deck")
        out = self._order[self._next : self._next + n]
        self._next += n
        return [int(c) for c in out]

    def remove(self, cards: Iterable[int]) -> None:
        """Take known cards out of the undealt part of the deck."""
        gone = set(int(c) for c in cards)
        rest = [int(c) for c in self._order[self._next :] if int(c) not in gone]
        self._order = np.asarray(rest, dtype=np.int32)
        self._next = 0

    def __len__(self) -> int:
        return len(self._order) - self._next
