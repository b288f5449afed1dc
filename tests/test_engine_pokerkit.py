"""The engine against pokerkit 0.7.7 on random hands: same legal options at every decision, same final stacks.

Seats map one to one, except heads-up where pokerkit seats the big blind first: our seat 0 (small
blind, button) is pokerkit's seat 1.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from pokerkit import Automation, FixedLimitTexasHoldem, NoLimitTexasHoldem, StandardHighHand, State

from holdem.cards import format_cards
from holdem.engine import HandState
from holdem.games import Betting, GameDef

pytestmark = pytest.mark.filterwarnings("ignore:A card being dealt .* is not recommended:UserWarning")

NO_LIMIT_HANDS_PER_CHUNK = 2_500
NO_LIMIT_CHUNKS = 4
LIMIT_HANDS = 1_000

AUTOMATIONS = (
    Automation.ANTE_POSTING,
    Automation.BET_COLLECTION,
    Automation.BLIND_OR_STRADDLE_POSTING,
    Automation.CARD_BURNING,
    Automation.HOLE_CARDS_SHOWING_OR_MUCKING,
    Automation.HAND_KILLING,
    Automation.CHIPS_PUSHING,
    Automation.CHIPS_PULLING,
)


def holdem_game(num_players: int, small: int, big: int, ante: int, limit: bool) -> GameDef:
    """A hold'em GameDef seated as pokerkit seats it: blinds on seats 0 and 1, button on the last seat."""
    heads_up = num_players == 2
    return GameDef(
        name=f"{'limit' if limit else 'nolimit'}-{num_players}",
        betting=Betting.LIMIT if limit else Betting.NOLIMIT,
        num_players=num_players,
        num_rounds=4,
        stack=(10**9,) * num_players,
        blind=(small, big) + (0,) * (num_players - 2),
        ante=(ante,) * num_players,
        first_player=(0, 1, 1, 1) if heads_up else (2 % num_players, 0, 0, 0),
        num_suits=4,
        num_ranks=13,
        num_hole_cards=2,
        num_board_cards=(0, 3, 1, 1),
        raise_size=(big, big, 2 * big, 2 * big) if limit else (),
        max_raises=(4, 4, 4, 4) if limit else (),
    )


def random_stacks(rng: np.random.Generator, num_players: int, big: int, ante: int) -> list[int]:
    """Stacks mixing tiny (less than the forced bets), short, medium and deep, for multi-way all-ins."""
    stacks = []
    for _ in range(num_players):
        kind = rng.integers(4)
        if kind == 0:
            stacks.append(int(rng.integers(1, big + ante + 2)))
        elif kind == 1:
            stacks.append(int(rng.integers(big, 6 * big)))
        elif kind == 2:
            stacks.append(int(rng.integers(6 * big, 40 * big)))
        else:
            stacks.append(int(rng.integers(40 * big, 250 * big)))
    return stacks


class MemoHighHand(StandardHighHand):
    """pokerkit's own hold'em ranking, memoized: its showdown re-ranks a hand per pot and comparison."""

    hands: ClassVar[dict[tuple, MemoHighHand]] = {}
    entries: ClassVar[dict[tuple, object]] = {}

    @classmethod
    def from_game(cls, hole_cards, board_cards=()):  # type: ignore[no-untyped-def]
        key = (tuple(hole_cards), tuple(board_cards))
        hand = cls.hands.get(key)
        if hand is None:
            hand = cls.hands[key] = super().from_game(*key)
        return hand

    @property
    def entry(self):  # type: ignore[no-untyped-def]
        cards = self.cards
        entry = self.entries.get(cards)
        if entry is None:
            entry = self.entries[cards] = self.lookup.get_entry(cards)
        return entry


class Pair:
    """Our hand and pokerkit's fed the same cards and actions."""

    def __init__(self, rng: np.random.Generator, limit: bool) -> None:
        n = int(rng.integers(2, 7))
        big = int(rng.choice([2, 3, 10, 100]))
        small = big // 2
        ante = int(rng.choice([0, 0, 0, 1, big // 5]))
        self.game = holdem_game(n, small, big, ante, limit)
        self.stacks = random_stacks(rng, n, big, ante)
        cards = [int(c) for c in rng.permutation(52)[: 2 * n + 5]]
        holes = [cards[2 * s : 2 * s + 2] for s in range(n)]
        self.runout = cards[2 * n :]
        self.mine = HandState(game=self.game, stacks=self.stacks, hole_cards=holes, board=self.runout)
        self.to_pk = [1 - s for s in range(2)] if n == 2 else list(range(n))
        pk_stacks = [0] * n
        for s in range(n):
            pk_stacks[self.to_pk[s]] = self.stacks[s]
        if limit:
            self.pk: State = FixedLimitTexasHoldem.create_state(
                AUTOMATIONS, True, ante, (small, big), big, 2 * big, pk_stacks, n
            )
        else:
            self.pk = NoLimitTexasHoldem.create_state(
                AUTOMATIONS, True, ante, (small, big), big, pk_stacks, n
            )
        MemoHighHand.hands.clear()
        self.pk.hand_types = (MemoHighHand,)
        for pk_seat in range(n):
            self.pk.deal_hole(format_cards(holes[self.to_pk.index(pk_seat)], sep=""))
        self.dealt = 0

    def deal_pk_board(self) -> None:
        while self.pk.can_deal_board():
            count = self.pk.board_dealing_count
            self.pk.deal_board(format_cards(self.runout[self.dealt : self.dealt + count], sep=""))
            self.dealt += count

    def check_same_options(self) -> None:
        mine, pk = self.mine, self.pk
        context = f"{self.game.name} stacks={self.stacks} history={mine.history_acpc()!r}"
        assert pk.actor_index == self.to_pk[mine.actor], context
        assert mine.can_fold() == pk.can_fold(), context
        assert mine.to_call() == pk.checking_or_calling_amount, context
        assert mine.min_raise_to() == pk.min_completion_betting_or_raising_to_amount, context
        assert mine.max_raise_to() == pk.max_completion_betting_or_raising_to_amount, context

    def play_random_action(self, rng: np.random.Generator) -> None:
        mine, pk = self.mine, self.pk
        low, high = mine.min_raise_to(), mine.max_raise_to()
        roll = rng.random()
        if mine.can_fold() and roll < 0.2:
            mine.fold()
            pk.fold()
        elif low is None or roll < 0.6:
            mine.check_or_call()
            pk.check_or_call()
        else:
            pick = rng.integers(4)
            to = low if pick == 0 else high if pick == 1 else min(low + 1, high) if pick == 2 else \
                int(rng.integers(low, high + 1))
            mine.bet_or_raise(to)
            pk.complete_bet_or_raise_to(to)

    def play_out(self, rng: np.random.Generator) -> None:
        while not self.mine.is_finished:
            self.deal_pk_board()
            self.check_same_options()
            self.play_random_action(rng)
        self.deal_pk_board()
        assert not self.pk.status, f"pokerkit still running after {self.mine.history_acpc()!r}"
        pk_final = [self.pk.stacks[self.to_pk[s]] for s in range(self.game.num_players)]
        assert list(self.mine.stacks) == pk_final, (
            f"{self.game.name} stacks={self.stacks} history={self.mine.history_acpc()!r}"
        )
        assert sum(self.mine.payoffs()) == 0


@pytest.mark.parametrize("chunk", range(NO_LIMIT_CHUNKS))
def test_no_limit_hands_match_pokerkit(chunk: int) -> None:
    rng = np.random.default_rng([20240611, chunk])
    for _ in range(NO_LIMIT_HANDS_PER_CHUNK):
        Pair(rng, limit=False).play_out(rng)


def test_fixed_limit_hands_match_pokerkit() -> None:
    rng = np.random.default_rng(7)
    for _ in range(LIMIT_HANDS):
        Pair(rng, limit=True).play_out(rng)
