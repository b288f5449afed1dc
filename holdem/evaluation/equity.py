"""Showdown equity in compiled form: one hand against every possible holding, or two known hands.

A runout completes the board. When the unseen cards allow at most ``max_runouts`` runouts they are all
enumerated (exact: the hold'em turn and river); otherwise ``max_runouts`` runouts are drawn uniformly
with replacement (the flop and preflop), which keeps every estimate unbiased. Equity counts a tie as
half a win. Hold'em hands go through the 7-card evaluator; other decks (Kuhn, Leduc) through the
showdown ranker.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numba import njit

from holdem.evaluation.hu_rules import G_BOARD_TOTAL, G_HOLE
from holdem.evaluation.kernel_rng import below
from holdem.evaluator import board_key, eval_on_board
from holdem.games import GameDef
from holdem.showdown import hand_rank_nb

MAX_CARD = 64


@functools.lru_cache(maxsize=8)
def hole_combos(game: GameDef) -> np.ndarray:
    """Every holding of ``num_hole_cards`` cards from the deck, ascending, as int64 rows (pad -1 to 2 columns)."""
    k = game.num_hole_cards
    if k > 2:
        raise ValueError(f"{game.name}: ranges over {k}-card holdings are not supported")
    rows = [tuple(c) + (-1,) * (2 - k) for c in itertools.combinations(game.deck, k)]
    table = np.asarray(rows, dtype=np.int64).reshape(len(rows), 2)
    table.setflags(write=False)
    return table


@njit(cache=True)
def is_holdem(g: np.ndarray) -> bool:
    return g[G_HOLE] == 2 and g[G_BOARD_TOTAL] == 5


@njit(cache=True)
def showdown_rank(g: np.ndarray, a: int, b: int, board: np.ndarray, scratch: np.ndarray) -> int:
    """Rank of hole cards ``a`` (and ``b`` when the game deals two) with the full board."""
    k = g[G_HOLE]
    total = g[G_BOARD_TOTAL]
    if is_holdem(g):
        masks = scratch[:4]
        return eval_on_board(board_key(board, 5, masks), masks, a, b)
    scratch[0] = a
    n = 1
    if k == 2:
        scratch[1] = b
        n = 2
    for i in range(total):
        scratch[n + i] = board[i]
    return hand_rank_nb(scratch, n + total)


@njit(cache=True)
def _unseen(deck: np.ndarray, known: np.ndarray, out: np.ndarray) -> int:
    n = 0
    for c in deck:
        if not known[c]:
            out[n] = c
            n += 1
    return n


@njit(cache=True)
def _combinations(n: int, m: int, limit: int) -> int:
    """C(n, m), or ``limit + 1`` as soon as it exceeds ``limit``."""
    if m < 0 or m > n:
        return 0
    total = 1
    for i in range(m):
        total = total * (n - i) // (i + 1)
        if total > limit:
            return limit + 1
    return total


@njit(cache=True)
def _next_runout(unseen: np.ndarray, num_unseen: int, m: int, index: np.ndarray, exact: bool,
                 first: bool, rng: np.ndarray) -> bool:
    """Advance ``index`` (positions into ``unseen``) to the next runout; False when the enumeration is done."""
    if m == 0:
        return first
    if not exact:
        for i in range(m):
            j = i + below(rng, num_unseen - i)
            c = unseen[j]
            unseen[j] = unseen[i]
            unseen[i] = c
            index[i] = i
        return True
    if first:
        for i in range(m):
            index[i] = i
        return True
    i = m - 1
    while i >= 0 and index[i] == num_unseen - m + i:
        i -= 1
    if i < 0:
        return False
    index[i] += 1
    for j in range(i + 1, m):
        index[j] = index[j - 1] + 1
    return True


@njit(cache=True)
def _runouts(g: np.ndarray, deck: np.ndarray, board: np.ndarray, num_visible: int, max_runouts: int,
             known: np.ndarray, unseen: np.ndarray) -> tuple[int, int, int, bool, int]:
    """Mark the visible board known, list the unseen cards; (unseen count, board total, cards to come, whether
    every runout is enumerated, how many runouts to draw)."""
    for i in range(num_visible):
        known[board[i]] = True
    num_unseen = _unseen(deck, known, unseen)
    total = g[G_BOARD_TOTAL]
    m = total - num_visible
    count = _combinations(num_unseen, m, max_runouts)
    exact = count <= max_runouts
    return num_unseen, total, m, exact, count if exact else max_runouts


@njit(cache=True)
def hand_scores(g: np.ndarray, deck: np.ndarray, hands: np.ndarray, hole: np.ndarray, board: np.ndarray,
                num_visible: int, max_runouts: int, rng: np.ndarray, live: np.ndarray, scores: np.ndarray) -> None:
    """``scores[h]``: the share of the pot ``hole`` wins at showdown against holding ``h``, for the ``live`` ones.

    Holdings not live, or sharing a card with ``hole`` or the visible board, get NaN.
    """
    known = np.zeros(MAX_CARD, dtype=np.bool_)
    k = g[G_HOLE]
    for i in range(k):
        known[hole[i]] = True
    unseen = np.empty(deck.shape[0], dtype=np.int64)
    num_unseen, total, m, exact, draws = _runouts(g, deck, board, num_visible, max_runouts, known, unseen)
    num_hands = hands.shape[0]
    wins = np.zeros(num_hands)
    seen = np.zeros(num_hands)
    todo = np.empty(num_hands, dtype=np.int64)
    num_todo = 0
    for h in range(num_hands):
        a = hands[h, 0]
        if live[h] and not known[a] and not (k == 2 and known[hands[h, 1]]):
            todo[num_todo] = h
            num_todo += 1
    full = np.empty(max(total, 1), dtype=np.int64)
    for i in range(num_visible):
        full[i] = board[i]
    scratch = np.empty(8, dtype=np.int64)
    masks = np.empty(4, dtype=np.int64)
    runout_card = np.zeros(MAX_CARD, dtype=np.bool_)
    index = np.zeros(max(m, 1), dtype=np.int64)
    fast = is_holdem(g)
    first = True
    for _ in range(draws):
        if not _next_runout(unseen, num_unseen, m, index, exact, first, rng):
            break
        first = False
        for i in range(m):
            c = unseen[index[i]]
            full[num_visible + i] = c
            runout_card[c] = True
        if fast:
            key = board_key(full, 5, masks)
            mine = eval_on_board(key, masks, hole[0], hole[1])
            for j in range(num_todo):
                h = todo[j]
                a = hands[h, 0]
                b = hands[h, 1]
                if runout_card[a] or runout_card[b]:
                    continue
                theirs = eval_on_board(key, masks, a, b)
                seen[h] += 1.0
                if mine > theirs:
                    wins[h] += 1.0
                elif mine == theirs:
                    wins[h] += 0.5
        else:
            mine = showdown_rank(g, hole[0], hole[1] if k == 2 else -1, full, scratch)
            for j in range(num_todo):
                h = todo[j]
                a = hands[h, 0]
                b = hands[h, 1]
                if runout_card[a] or (k == 2 and runout_card[b]):
                    continue
                theirs = showdown_rank(g, a, b, full, scratch)
                seen[h] += 1.0
                if mine > theirs:
                    wins[h] += 1.0
                elif mine == theirs:
                    wins[h] += 0.5
        for i in range(m):
            runout_card[unseen[index[i]]] = False
    for h in range(num_hands):
        scores[h] = wins[h] / seen[h] if seen[h] > 0 else np.nan


@njit(cache=True)
def pair_equity(g: np.ndarray, deck: np.ndarray, hole_a: np.ndarray, hole_b: np.ndarray, board: np.ndarray,
                num_visible: int, max_runouts: int, rng: np.ndarray) -> float:
    """Share of the pot ``hole_a`` wins against ``hole_b`` over the runouts of the visible board."""
    known = np.zeros(MAX_CARD, dtype=np.bool_)
    k = g[G_HOLE]
    for i in range(k):
        known[hole_a[i]] = True
        known[hole_b[i]] = True
    unseen = np.empty(deck.shape[0], dtype=np.int64)
    num_unseen, total, m, exact, draws = _runouts(g, deck, board, num_visible, max_runouts, known, unseen)
    full = np.empty(max(total, 1), dtype=np.int64)
    for i in range(num_visible):
        full[i] = board[i]
    scratch = np.empty(8, dtype=np.int64)
    index = np.zeros(max(m, 1), dtype=np.int64)
    a1 = hole_a[1] if k == 2 else -1
    b1 = hole_b[1] if k == 2 else -1
    wins = 0.0
    n = 0
    first = True
    for _ in range(draws):
        if not _next_runout(unseen, num_unseen, m, index, exact, first, rng):
            break
        first = False
        for i in range(m):
            full[num_visible + i] = unseen[index[i]]
        ra = showdown_rank(g, hole_a[0], a1, full, scratch)
        rb = showdown_rank(g, hole_b[0], b1, full, scratch)
        n += 1
        if ra > rb:
            wins += 1.0
        elif ra == rb:
            wins += 0.5
    return wins / n if n else 0.5
