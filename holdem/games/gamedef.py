"""A typed poker game definition: players, stacks, forced bets, rounds and the deck."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from holdem.cards import NUM_RANKS, NUM_SUITS


class GameDefError(ValueError):
    """A game definition that cannot describe a playable game."""


class Betting(StrEnum):
    LIMIT = "limit"
    NOLIMIT = "nolimit"


LIMIT_STACK = 1 << 30


@dataclass(frozen=True, kw_only=True)
class GameDef:
    """One poker variant.

    Seats are 0..num_players-1. ``first_player[r]`` is the seat that acts first in round r.
    The deck holds the highest ``num_ranks`` ranks in the lowest ``num_suits`` suits, so Kuhn
    (three ranks, one suit) and Leduc (three ranks, two suits) use the same card codes as hold'em.
    In limit games ``raise_size[r]`` is the fixed bet/raise increment and ``max_raises[r]`` caps
    the bets and raises of round r; in no-limit games ``max_raises`` is empty (no cap).
    """

    name: str
    betting: Betting
    num_players: int
    num_rounds: int
    stack: tuple[int, ...]
    blind: tuple[int, ...]
    ante: tuple[int, ...]
    first_player: tuple[int, ...]
    num_suits: int
    num_ranks: int
    num_hole_cards: int
    num_board_cards: tuple[int, ...]
    raise_size: tuple[int, ...] = ()
    max_raises: tuple[int, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        n, r = self.num_players, self.num_rounds
        if not 2 <= n <= 6:
            raise GameDefError(f"numPlayers must be 2..6, got {n}")
        if not 1 <= r <= 4:
            raise GameDefError(f"numRounds must be 1..4, got {r}")
        for key, values, want in (
            ("stack", self.stack, n),
            ("blind", self.blind, n),
            ("ante", self.ante, n),
            ("firstPlayer", self.first_player, r),
            ("numBoardCards", self.num_board_cards, r),
        ):
            if len(values) != want:
                raise GameDefError(f"{key} needs {want} values, got {len(values)}")
        if any(s <= 0 for s in self.stack):
            raise GameDefError(f"stack values must be positive, got {list(self.stack)}")
        if any(b < 0 for b in self.blind) or any(a < 0 for a in self.ante):
            raise GameDefError("blind and ante values must be non-negative")
        if any(b + a > s for b, a, s in zip(self.blind, self.ante, self.stack)):
            raise GameDefError("a seat's blind plus ante exceeds its stack")
        if any(not 0 <= p < n for p in self.first_player):
            raise GameDefError(f"firstPlayer seats must be in 1..{n} (1-based in files)")
        if not 1 <= self.num_suits <= NUM_SUITS or not 1 <= self.num_ranks <= NUM_RANKS:
            raise GameDefError(
                f"numSuits must be 1..4 and numRanks 1..13, got {self.num_suits}, {self.num_ranks}"
            )
        if self.num_hole_cards < 1:
            raise GameDefError("numHoleCards must be at least 1")
        if any(b < 0 for b in self.num_board_cards):
            raise GameDefError("numBoardCards values must be non-negative")
        needed = n * self.num_hole_cards + sum(self.num_board_cards)
        if needed > self.deck_size:
            raise GameDefError(f"the deck has {self.deck_size} cards but a hand deals {needed}")
        if self.betting is Betting.LIMIT:
            if len(self.raise_size) != r or any(x <= 0 for x in self.raise_size):
                raise GameDefError(f"a limit game needs {r} positive raiseSize values")
            if len(self.max_raises) != r or any(x < 0 for x in self.max_raises):
                raise GameDefError(f"a limit game needs {r} non-negative maxRaises values")
        elif self.raise_size:
            raise GameDefError("raiseSize belongs to limit games only")
        if self.big_blind <= 0 and self.betting is Betting.NOLIMIT:
            raise GameDefError("a no-limit game needs a positive big blind (the minimum bet)")

    @property
    def is_limit(self) -> bool:
        return self.betting is Betting.LIMIT

    @property
    def deck_size(self) -> int:
        return self.num_suits * self.num_ranks

    @property
    def ranks(self) -> tuple[int, ...]:
        """Rank indices (0 = deuce .. 12 = ace) present in the deck."""
        return tuple(range(NUM_RANKS - self.num_ranks, NUM_RANKS))

    @property
    def deck(self) -> tuple[int, ...]:
        """Card codes of the deck, ascending."""
        return tuple(4 * r + s for r in self.ranks for s in range(self.num_suits))

    @property
    def big_blind(self) -> int:
        return max(self.blind) if self.blind else 0

    @property
    def min_bet(self) -> int:
        """Smallest opening bet in no-limit: the big blind, or one chip without blinds."""
        return max(self.big_blind, 1)

    def board_cards_before(self, round_index: int) -> int:
        """Board cards visible in round ``round_index`` (dealt at its start and before)."""
        return sum(self.num_board_cards[: round_index + 1])

    @property
    def total_board_cards(self) -> int:
        return sum(self.num_board_cards)


def chip_unit(game: GameDef) -> tuple[int, str]:
    """Chips in the unit results are reported in, and its name: the big blind, or the ante without blinds."""
    if game.big_blind > 0:
        return game.big_blind, "big blind"
    ante = max(game.ante)
    if ante > 0:
        return ante, "ante"
    return 1, "chip"
