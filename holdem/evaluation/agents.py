"""The protocols an agent and a strategy implement, and simple baselines.

An agent reads a :class:`~holdem.engine.seat.SeatView` (public state plus its own hole cards, never the
others') and returns a :class:`~holdem.engine.seat.Move`. A strategy that can state its action probabilities
(a blueprint, a baseline) implements :class:`Strategy`; :class:`StrategyAgent` turns one into an agent by
sampling with the caller's RNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from holdem.engine import ActionKind
from holdem.engine.seat import CHECK_OR_CALL, FOLD, Move, SeatView, raise_to_for_fraction


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


class AlwaysFold(StrategyAgent):
    """Folds whenever it faces a bet and checks otherwise: the weakest baseline (LBR takes 750 mbb/hand)."""

    name = "always-fold"

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        return ((FOLD if view.can_fold() else CHECK_OR_CALL, 1.0),)

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        return FOLD if view.can_fold() else CHECK_OR_CALL


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
