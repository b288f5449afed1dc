"""What one seat sees of a hand and what it may answer: a read-only view and a move, with pot-fraction sizing.

Agents, policies and the evaluation harness all speak in these terms; sizes are pot fractions of the pot
after the actor calls, as the action menus state them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from holdem.engine.records import ActionKind
from holdem.engine.state import HandState
from holdem.games.gamedef import GameDef


def pot_fraction(to_total: int, contributions: Sequence[int], seat: int) -> float:
    """Size of a raise to ``to_total`` chips in the hand, as a fraction of the pot after ``seat`` calls."""
    top = max(contributions)
    pot_after_call = sum(contributions) + top - contributions[seat]
    return (to_total - top) / pot_after_call


def raise_to_for_fraction(fraction: float, top: int, pot_after_call: int, low: int, high: int) -> int:
    """Street bet adding ``fraction`` of ``pot_after_call`` on top of ``top``, clipped to [low, high]."""
    return min(max(top + int(fraction * pot_after_call + 0.5), low), high)


def real_raise_to(fraction: float, state: HandState) -> int:
    """The actor's legal bet in this street for a pot-fraction raise, clipped to min-raise/all-in."""
    low, high = state.min_raise_to(), state.max_raise_to()
    seat = state.actor
    if low is None or high is None or seat is None:
        raise ValueError("the actor may not bet or raise here")
    bets = state.bets
    top = max(bets)
    return raise_to_for_fraction(fraction, top, state.pot + top - bets[seat], low, high)



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
