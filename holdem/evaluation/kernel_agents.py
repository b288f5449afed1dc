"""Agents the compiled match can seat: the baselines, the hand-strength heuristic and a policy, as numba code.

Each kind states its mixed action at a decision as options ``(kind, to, probability)`` at the real
state, exactly as its Python agent would (same sizes, same thresholds); the match samples one. Local best
response is a kind too (:mod:`holdem.evaluation.lbr`). :func:`kernel_agent` maps a Python agent to its
kind and parameters, or None when it has no compiled form (then the match runs through the engine).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from holdem.evaluation.agents import Agent, AlwaysCall, AlwaysFold, AlwaysMinRaise, RandomAgent
from holdem.evaluation.equity import MAX_CARD
from holdem.evaluation.heuristic import HeuristicAgent, postflop_strength, preflop_equity_table
from holdem.evaluation.hu_rules import (
    CALL,
    FOLD,
    G_DECK_SIZE,
    G_HOLE,
    RAISE,
    S_BET,
    S_MAXBET,
    S_STACK,
    S_STREET,
    can_fold,
    can_raise,
    max_raise_to,
    min_raise_to,
    pot,
    raise_to_fraction,
)
from holdem.evaluation.tree_walk import T_COUNT, T_FIRST, T_ROW, KernelPolicy, child_move
from holdem.games import GameDef
from holdem.showdown import hand_rank_nb

KIND_CALL, KIND_FOLD, KIND_MIN_RAISE, KIND_RANDOM, KIND_HEURISTIC, KIND_POLICY, KIND_LBR = range(7)
MAX_OPTIONS = 16
NUM_INT_PARAMS = 16
NUM_FLOAT_PARAMS = 32
RANDOM_FRACTIONS = (0.5, 1.0)


@dataclass(frozen=True)
class KernelAgent:
    """How one agent plays in the compiled match: its kind, parameters and (for a policy) its tables."""

    kind: int
    ints: np.ndarray
    floats: np.ndarray
    policy: KernelPolicy | None = None

    @property
    def card_independent(self) -> bool:
        """Whether its action never depends on its cards (so a range learns nothing from it)."""
        return self.kind in (KIND_CALL, KIND_FOLD, KIND_MIN_RAISE, KIND_RANDOM)


def _params(kind: int, floats: tuple[float, ...] = ()) -> KernelAgent:
    ints = np.zeros(NUM_INT_PARAMS, dtype=np.int64)
    ints[0] = kind
    values = np.zeros(NUM_FLOAT_PARAMS, dtype=np.float64)
    values[:len(floats)] = floats
    return KernelAgent(kind, ints, values)


def kernel_agent(agent: Agent, game: GameDef) -> KernelAgent | None:
    """The compiled form of ``agent`` for ``game``, or None when it has none.

    Baselines are known here; other agents offer ``kernel_agent(game)`` themselves (a policy, LBR).
    """
    kind = type(agent)
    if kind is AlwaysCall:
        return _params(KIND_CALL)
    if kind is AlwaysFold:
        return _params(KIND_FOLD)
    if kind is AlwaysMinRaise:
        return _params(KIND_MIN_RAISE)
    if kind is RandomAgent and tuple(agent.pot_fractions) == RANDOM_FRACTIONS:
        return _params(KIND_RANDOM)
    if kind is HeuristicAgent:
        return _params(KIND_HEURISTIC, (agent.preflop_raise_at, agent.raise_at, agent.bet_at, agent.call_margin,
                                        agent.raise_fraction, agent.bet_fraction))
    own = getattr(agent, "kernel_agent", None)
    return own(game) if callable(own) else None


def policy_agent(policy: KernelPolicy) -> KernelAgent:
    """A policy seat (see :func:`holdem.evaluation.tree_walk.policy_data`)."""
    base = _params(KIND_POLICY)
    return KernelAgent(KIND_POLICY, base.ints, base.floats, policy)


def heuristic_table() -> np.ndarray:
    """The preflop equity table the heuristic reads (the same array its Python form reads)."""
    return np.ascontiguousarray(preflop_equity_table(), dtype=np.float64)


@njit(cache=True)
def _enumerated_strength(g: np.ndarray, deck: np.ndarray, cards: np.ndarray, num_cards: int) -> float:
    """Share of unseen holdings that the seat's cards (hole then board) beat, ties half."""
    k = g[G_HOLE]
    mine = hand_rank_nb(cards, num_cards)
    seen = np.zeros(MAX_CARD, dtype=np.bool_)
    for i in range(num_cards):
        seen[cards[i]] = True
    theirs = cards.copy()
    score = 0.0
    total = 0
    n = deck.shape[0]
    for i in range(n):
        x = deck[i]
        if seen[x]:
            continue
        if k == 1:
            theirs[0] = x
            r = hand_rank_nb(theirs, num_cards)
            total += 1
            score += 1.0 if mine > r else (0.5 if mine == r else 0.0)
            continue
        for j in range(i + 1, n):
            y = deck[j]
            if seen[y]:
                continue
            theirs[0] = x
            theirs[1] = y
            r = hand_rank_nb(theirs, num_cards)
            total += 1
            score += 1.0 if mine > r else (0.5 if mine == r else 0.0)
    return score / total


@njit(cache=True)
def hand_strength(g: np.ndarray, deck: np.ndarray, table: np.ndarray, cards: np.ndarray, num_board: int) -> float:
    """The heuristic's strength: the preflop table, the hold'em enumeration, or the generic enumeration."""
    k = g[G_HOLE]
    if k == 2 and g[G_DECK_SIZE] == 52 and num_board != 1 and num_board != 2:
        if num_board == 0:
            a = cards[0] >> 2
            b = cards[1] >> 2
            hi = max(a, b)
            lo = min(a, b)
            return table[hi, lo] if (cards[0] & 3) == (cards[1] & 3) else table[lo, hi]
        return postflop_strength(cards, num_board)
    return _enumerated_strength(g, deck, cards, k + num_board)


@njit(cache=True)
def _heuristic(g: np.ndarray, st: np.ndarray, seat: int, strength: float, f: np.ndarray) -> tuple[int, int]:
    raisable = can_raise(g, st)
    to_call = min(st[S_MAXBET] - st[S_BET + seat], st[S_STACK + seat])
    if to_call > 0:
        raise_at = f[0] if st[S_STREET] == 0 else f[1]
        if raisable and strength >= raise_at:
            return RAISE, raise_to_fraction(g, st, f[4])
        if strength >= to_call / (pot(st) + to_call) + f[3]:
            return CALL, 0
        return FOLD, 0
    if raisable and strength >= f[2]:
        return RAISE, raise_to_fraction(g, st, f[5])
    return CALL, 0


@njit(cache=True)
def _add(kinds: np.ndarray, tos: np.ndarray, n: int, kind: int, to: int) -> int:
    for i in range(n):
        if kinds[i] == kind and tos[i] == to:
            return n
    kinds[n] = kind
    tos[n] = to
    return n + 1


@njit(cache=True)
def random_moves(g: np.ndarray, st: np.ndarray, kinds: np.ndarray, tos: np.ndarray) -> int:
    """The random baseline's moves: fold (facing a bet), check/call, and min, half pot, pot and all in."""
    n = 0
    if can_fold(st):
        kinds[n] = FOLD
        tos[n] = 0
        n += 1
    kinds[n] = CALL
    tos[n] = 0
    n += 1
    if can_raise(g, st):
        first = n
        n = _add(kinds, tos, n, RAISE, min_raise_to(g, st))
        n = _add(kinds, tos, n, RAISE, max_raise_to(g, st))
        n = _add(kinds, tos, n, RAISE, raise_to_fraction(g, st, 0.5))
        n = _add(kinds, tos, n, RAISE, raise_to_fraction(g, st, 1.0))
        for i in range(first + 1, n):
            j = i
            while j > first and tos[j - 1] > tos[j]:
                tos[j - 1], tos[j] = tos[j], tos[j - 1]
                j -= 1
    return n


@njit(cache=True)
def options(kind: int, f: np.ndarray, tree: np.ndarray, fraction: np.ndarray, table_probs: np.ndarray,
            g: np.ndarray, deck: np.ndarray, table: np.ndarray, st: np.ndarray, seat: int, node: int,
            bucket_index: int, cards: np.ndarray, num_board: int, kinds: np.ndarray, tos: np.ndarray,
            probs: np.ndarray) -> int:
    """Fill the agent's options at its decision; returns how many. A policy needs ``node`` and its bucket."""
    if kind == KIND_FOLD:
        kinds[0] = FOLD if can_fold(st) else CALL
        tos[0] = 0
        probs[0] = 1.0
        return 1
    if kind == KIND_MIN_RAISE:
        if can_raise(g, st):
            kinds[0] = RAISE
            tos[0] = min_raise_to(g, st)
        else:
            kinds[0] = CALL
            tos[0] = 0
        probs[0] = 1.0
        return 1
    if kind == KIND_RANDOM:
        n = random_moves(g, st, kinds, tos)
        for i in range(n):
            probs[i] = 1.0 / n
        return n
    if kind == KIND_HEURISTIC:
        strength = hand_strength(g, deck, table, cards, num_board)
        kinds[0], tos[0] = _heuristic(g, st, seat, strength, f)
        probs[0] = 1.0
        return 1
    if kind == KIND_POLICY and node >= 0:
        first = tree[node, T_FIRST]
        count = tree[node, T_COUNT]
        row = tree[node, T_ROW] + bucket_index
        for i in range(count):
            kinds[i], tos[i] = child_move(tree, fraction, g, st, first + i)
            probs[i] = table_probs[row, i]
        return count
    kinds[0] = CALL
    tos[0] = 0
    probs[0] = 1.0
    return 1


@njit(cache=True)
def draw(n: int, probs: np.ndarray, u: float) -> int:
    """Index of the option drawn by ``u`` in [0, 1) (the last one if rounding leaves a remainder)."""
    for i in range(n):
        u -= probs[i]
        if u < 0:
            return i
    return n - 1
