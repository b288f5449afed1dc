"""A policy seated at a table: it samples one real move per decision, translating off-tree bets consistently.

Every hand gets its own translation seed, so an off-menu bet maps to the same abstract size at each later
decision of that hand (the history is replayed from the start each time with the same draws).
"""

from __future__ import annotations

import numpy as np

from holdem.engine import HandState
from holdem.engine.seat import CHECK_OR_CALL, FOLD, Move, SeatView
from holdem.policy import Policy

_SALT_BOUND = 1 << 62


class PolicyPlayer:
    """Plays ``policy`` in any seat of its game; ``rng`` draws the per-hand seeds and the sampled moves."""

    def __init__(self, policy: Policy, rng: np.random.Generator) -> None:
        self.policy = policy
        self.rng = rng
        self._salt = int(rng.integers(_SALT_BOUND))

    def new_hand(self, rng: np.random.Generator | None = None) -> None:
        """Start a hand: a fresh translation seed (and, when given, a new generator for this hand)."""
        if rng is not None:
            self.rng = rng
        self._salt = int(self.rng.integers(_SALT_BOUND))

    def probabilities(self, state: HandState, seat: int) -> tuple[tuple[Move, ...], list[float]]:
        """Real moves for ``seat`` (one per abstract child, possibly repeated) and their probabilities."""
        located = self.policy.locate(state.history_acpc(), seed=self._salt)
        return self.policy.moves(SeatView(state, seat), located)

    def decide(self, state: HandState, seat: int) -> Move:
        """One legal move for ``seat``, the seat to act, drawn from the policy."""
        moves, probs = self.probabilities(state, seat)
        choice = 0
        if len(moves) > 1:
            choice, u = len(moves) - 1, self.rng.random()
            for index, p in enumerate(probs):
                u -= p
                if u < 0:
                    choice = index
                    break
        return legal(state, moves[choice])


def legal(state: HandState, move: Move) -> Move:
    """``move`` made legal at ``state``: a fold with nothing to call checks, a raise is clipped or calls."""
    if move == FOLD:
        return move if state.can_fold() else CHECK_OR_CALL
    if move == CHECK_OR_CALL:
        return move
    low, high = state.min_raise_to(), state.max_raise_to()
    if low is None or high is None:
        return CHECK_OR_CALL
    return Move.raise_to(min(max(move.to, low), high))


def apply_move(state: HandState, move: Move) -> None:
    """Play a move on the state (for the seat to act)."""
    if move == FOLD:
        state.fold()
    elif move == CHECK_OR_CALL:
        state.check_or_call()
    else:
        state.bet_or_raise(move.to)


def acpc_action(state: HandState, move: Move) -> str:
    """The ACPC token of a legal move at ``state``: ``f``, ``c``, ``r<total chips in the hand>``, or ``r`` (limit)."""
    if move == FOLD:
        return "f"
    if move == CHECK_OR_CALL:
        return "c"
    if state.game.is_limit:
        return "r"
    seat = state.actor
    assert seat is not None
    before_round = state.contributions[seat] - state.bets[seat]
    return f"r{before_round + move.to}"
