"""What an agent sees and returns at a table, the protocols a strategy implements, and simple baselines.

An agent reads a :class:`SeatView` (public state plus its own hole cards, never the others') and returns
a :class:`Move`. A strategy that can state its action probabilities (a blueprint, a baseline) implements
:class:`Strategy`; :class:`StrategyAgent` turns one into an agent by sampling with the caller's RNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from holdem.engine import ActionKind, HandState
from holdem.games import GameDef
from holdem.translation import raise_to_for_fraction, real_raise_to


class Move(NamedTuple):
    """A decision: fold, check/call, or bet/raise so that the seat's bet in this street becomes ``to``."""

    kind: ActionKind
    to: int = 0

    @staticmethod
    def raise_to(to: int) -> Move:
        return Move(ActionKind.BET_OR_RAISE, int(to))


FOLD = Move(ActionKind.FOLD)
CHECK_OR_CALL = Move(ActionKind.CHECK_OR_CALL)


class SeatView:
    """Read-only view of a hand in progress for one seat: public state and that seat's hole cards."""

    __slots__ = ("_state", "seat")

    def __init__(self, state: HandState, seat: int) -> None:
        self._state = state
        self.seat = seat

    @property
    def game(self) -> GameDef:
        return self._state.game

    @property
    def hole_cards(self) -> tuple[int, ...]:
        return self._state.hole_cards[self.seat]

    @property
    def board(self) -> tuple[int, ...]:
        return self._state.board

    @property
    def street(self) -> int:
        return self._state.street

    @property
    def pot(self) -> int:
        return self._state.pot

    @property
    def bets(self) -> tuple[int, ...]:
        return self._state.bets

    @property
    def contributions(self) -> tuple[int, ...]:
        return self._state.contributions

    @property
    def stacks(self) -> tuple[int, ...]:
        return self._state.stacks

    @property
    def in_hand(self) -> tuple[bool, ...]:
        return self._state.in_hand

    @property
    def starting_stacks(self) -> tuple[int, ...]:
        return self._state.starting_stacks

    def history_acpc(self) -> str:
        """The betting so far as an ACPC string of real amounts (what translation reads)."""
        return self._state.history_acpc()

    def to_call(self) -> int:
        return self._state.to_call()

    def can_fold(self) -> bool:
        return self._state.can_fold()

    def can_raise(self) -> bool:
        return self._state.can_bet_or_raise()

    def min_raise_to(self) -> int | None:
        return self._state.min_raise_to()

    def max_raise_to(self) -> int | None:
        return self._state.max_raise_to()

    def raise_to_pot_fraction(self, fraction: float) -> int:
        """Legal bet in this street adding ``fraction`` of the pot after calling (clipped to min/all-in)."""
        return real_raise_to(fraction, self._state)


@runtime_checkable
class Agent(Protocol):
    """Anything that plays: ``act`` must return a legal move for the seat to act."""

    name: str

    def act(self, view: SeatView, rng: np.random.Generator) -> Move: ...


@runtime_checkable
class Strategy(Protocol):
    """A strategy that states its mixed action at a decision; probabilities sum to 1."""

    name: str

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]: ...


def sample_move(options: Sequence[tuple[Move, float]], rng: np.random.Generator) -> Move:
    """One move drawn from ``(move, probability)`` pairs with ``rng`` (no draw when there is one option)."""
    if len(options) == 1:
        return options[0][0]
    u = rng.random()
    for move, p in options:
        u -= p
        if u < 0:
            return move
    return options[-1][0]


class StrategyAgent:
    """Base for strategies: ``act`` samples ``action_probabilities``; subclasses may act faster directly."""

    name = "strategy"

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        raise NotImplementedError

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        return sample_move(self.action_probabilities(view), rng)


class AlwaysCall(StrategyAgent):
    """Checks or calls every time."""

    name = "always-call"

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        return ((CHECK_OR_CALL, 1.0),)

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        return CHECK_OR_CALL


class AlwaysMinRaise(StrategyAgent):
    """Makes the minimum bet or raise whenever allowed, otherwise checks or calls."""

    name = "always-min-raise"

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        return ((self._move(view), 1.0),)

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        return self._move(view)

    @staticmethod
    def _move(view: SeatView) -> Move:
        low = view.min_raise_to()
        return CHECK_OR_CALL if low is None else Move.raise_to(low)


class RandomAgent(StrategyAgent):
    """Uniform over the legal fold, check/call and a few bet sizes: min-raise, half pot, pot and all-in."""

    name = "random"
    pot_fractions = (0.5, 1.0)

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        moves = self._moves(view)
        p = 1.0 / len(moves)
        return [(m, p) for m in moves]

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        moves = self._moves(view)
        return moves[int(rng.random() * len(moves))]

    def _moves(self, view: SeatView) -> list[Move]:
        moves = [FOLD, CHECK_OR_CALL] if view.can_fold() else [CHECK_OR_CALL]
        low = view.min_raise_to()
        if low is not None:
            high = view.max_raise_to()
            assert high is not None
            bets = view.bets
            top = max(bets)
            pot_after_call = view.pot + top - bets[view.seat]
            targets = {low, high}
            for f in self.pot_fractions:
                targets.add(raise_to_for_fraction(f, top, pot_after_call, low, high))
            moves.extend(Move(ActionKind.BET_OR_RAISE, t) for t in sorted(targets))
        return moves
