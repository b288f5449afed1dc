"""A hand-strength baseline: raise strong hands, call medium ones, fold weak ones facing a bet.

Strength is the chance to beat one random opponent hand: preflop hold'em reads a 169-class equity table
(Monte Carlo against a random hand, fixed seed); later streets enumerate every opponent holding against
the current board with the evaluator. Small decks (Kuhn, Leduc) enumerate through the showdown ranker.
With several opponents in the hand the strength is raised to their number.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from holdem.engine.seat import CHECK_OR_CALL, FOLD, Move, SeatView
from holdem.evaluation.agents import StrategyAgent
from holdem.evaluator import eval7, eval_cards
from holdem.showdown import hand_rank

PREFLOP_SAMPLES = 4000
PREFLOP_SEED = 20130


@njit(cache=True)
def _preflop_equity_table(samples: int, seed: int) -> np.ndarray:
    """Equity against one random hand per starting class: [hi, lo] suited, [lo, hi] offsuit, [r, r] pairs."""
    np.random.seed(seed)
    table = np.zeros((13, 13), dtype=np.float64)
    rest = np.empty(50, dtype=np.int64)
    for a in range(13):
        for b in range(13):
            hi, lo = max(a, b), min(a, b)
            c0 = 4 * hi
            c1 = 4 * lo if a > b else 4 * lo + 1
            m = 0
            for c in range(52):
                if c != c0 and c != c1:
                    rest[m] = c
                    m += 1
            score = 0.0
            for _ in range(samples):
                for i in range(7):
                    j = i + np.random.randint(0, 50 - i)
                    rest[i], rest[j] = rest[j], rest[i]
                mine = eval7(c0, c1, rest[2], rest[3], rest[4], rest[5], rest[6])
                theirs = eval7(rest[0], rest[1], rest[2], rest[3], rest[4], rest[5], rest[6])
                if mine > theirs:
                    score += 1.0
                elif mine == theirs:
                    score += 0.5
            table[a, b] = score / samples
    return table


@njit(cache=True)
def postflop_strength(cards: np.ndarray, num_board: int) -> float:
    """Share of opponent hole pairs that ``cards`` (2 hole cards then the board) beats, ties counting half."""
    count = 2 + num_board
    mine = eval_cards(cards, count)
    used = np.zeros(52, dtype=np.bool_)
    for i in range(count):
        used[cards[i]] = True
    theirs = cards.copy()
    score = 0.0
    total = 0
    for x in range(52):
        if used[x]:
            continue
        for y in range(x + 1, 52):
            if used[y]:
                continue
            theirs[0] = x
            theirs[1] = y
            r = eval_cards(theirs, count)
            total += 1
            if mine > r:
                score += 1.0
            elif mine == r:
                score += 0.5
    return score / total


@functools.cache
def preflop_equity_table() -> np.ndarray:
    """The 13x13 preflop equity table (computed once per process)."""
    return _preflop_equity_table(PREFLOP_SAMPLES, PREFLOP_SEED)


def preflop_equity(c0: int, c1: int) -> float:
    """Equity of two hole cards against one random hand, from the table."""
    a, b = c0 >> 2, c1 >> 2
    hi, lo = (a, b) if a >= b else (b, a)
    table = preflop_equity_table()
    return float(table[hi, lo] if (c0 & 3) == (c1 & 3) else table[lo, hi])


def enumerated_strength(hole: Sequence[int], board: Sequence[int], deck: Sequence[int]) -> float:
    """Share of opponent holdings (from the unseen ``deck`` cards) that ``hole`` beats on ``board``."""
    seen = set(hole) | set(board)
    mine = hand_rank(tuple(hole) + tuple(board))
    score = 0.0
    total = 0
    for other in itertools.combinations([c for c in deck if c not in seen], len(hole)):
        theirs = hand_rank(other + tuple(board))
        total += 1
        score += 1.0 if mine > theirs else 0.5 if mine == theirs else 0.0
    return score / total


@functools.lru_cache(maxsize=4096)
def _holdem_strength(hole: tuple[int, ...], board: tuple[int, ...]) -> float:
    if not board:
        return preflop_equity(hole[0], hole[1])
    return float(postflop_strength(np.array(hole + board, dtype=np.int64), len(board)))


def hand_strength(view: SeatView) -> float:
    """Chance to beat one random opponent holding given what the seat sees now (memoised per cards)."""
    hole, board, game = view.hole_cards, view.board, view.game
    if len(hole) == 2 and len(board) != 1 and len(board) != 2 and game.deck_size == 52:
        return _holdem_strength(hole, board)
    return enumerated_strength(hole, board, game.deck)


@dataclass(frozen=True)
class HeuristicAgent(StrategyAgent):
    """Deterministic hand-strength play: thresholds on strength, sized bets as pot fractions.

    Facing a bet it raises at ``raise_at`` (preflop ``preflop_raise_at``), calls when strength beats the
    pot odds by ``call_margin``, else folds; unopposed it bets at ``bet_at``, else checks.
    """

    name: str = "heuristic"
    preflop_raise_at: float = 0.62
    raise_at: float = 0.85
    bet_at: float = 0.65
    call_margin: float = 0.1
    raise_fraction: float = 1.0
    bet_fraction: float = 0.75

    def __post_init__(self) -> None:
        preflop_equity_table()
        postflop_strength(np.arange(5, dtype=np.int64), 3)

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        return ((self._move(view), 1.0),)

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        return self._move(view)

    def _move(self, view: SeatView) -> Move:
        opponents = sum(view.in_hand) - 1
        strength = hand_strength(view) ** max(opponents, 1)
        can_raise = view.can_raise()
        to_call = view.to_call()
        if to_call > 0:
            raise_at = self.preflop_raise_at if view.street == 0 else self.raise_at
            if can_raise and strength >= raise_at:
                return Move.raise_to(view.raise_to_pot_fraction(self.raise_fraction))
            if strength >= to_call / (view.pot + to_call) + self.call_margin:
                return CHECK_OR_CALL
            return FOLD
        if can_raise and strength >= self.bet_at:
            return Move.raise_to(view.raise_to_pot_fraction(self.bet_fraction))
        return CHECK_OR_CALL
