"""Exact hold'em hand-strength features per canonical class for the legacy builder, computed with the evaluator.

The strength of a hand on a board is its percentile among every hole-card pair the rest of the deck
can form on that board (ties count half, the opponent's cards are not removed from the hand's own
deal: a board-relative, blocker-free equity against a uniform range). It is kept exactly as the
integer ``p2 = 2 * below + ties`` in ``0 .. 2 * (pairs - 1)``. A board sweep evaluates all pairs of
one board once and yields every pair's ``p2`` with a counting pass over the 7462 hand ranks.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from holdem.abstraction.isomorphism import index_at, index_of
from holdem.evaluator import N_HAND_RANKS, eval5, eval6, eval7

DECK = 52
RIVER_LEVELS = 2 * (47 * 46 // 2 - 1) + 1


def pair_count(board_cards: int) -> int:
    rest = DECK - board_cards
    return rest * (rest - 1) // 2


def p2_levels(board_cards: int) -> int:
    """Number of distinct ``p2`` values on a board of ``board_cards`` cards."""
    return 2 * (pair_count(board_cards) - 1) + 1


@njit(cache=True, inline="always")
def rank_cards(buf: np.ndarray, n: int) -> int:
    """Evaluator rank of the first ``n`` (5, 6 or 7) cards of ``buf``."""
    if n == 7:
        return eval7(buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6])
    if n == 6:
        return eval6(buf[0], buf[1], buf[2], buf[3], buf[4], buf[5])
    return eval5(buf[0], buf[1], buf[2], buf[3], buf[4])


@njit(cache=True)
def _avail(board: np.ndarray, nb: int, out: np.ndarray) -> int:
    used = np.int64(0)
    for i in range(nb):
        used |= np.int64(1) << board[i]
    k = 0
    for c in range(DECK):
        if not (used >> c) & 1:
            out[k] = c
            k += 1
    return k


@njit(cache=True)
def _sweep(buf: np.ndarray, nb: int, avail: np.ndarray, na: int, skip: int, ranks: np.ndarray,
           p2: np.ndarray, cnt: np.ndarray, p2map: np.ndarray) -> None:
    """``p2`` of every pair (i < j) of ``avail`` on the board ``buf[:nb]``; pairs holding ``skip`` get -1."""
    k = 0
    lo = N_HAND_RANKS + 1
    hi = 0
    for i in range(na):
        ci = avail[i]
        for j in range(i + 1, na):
            cj = avail[j]
            if ci == skip or cj == skip:
                ranks[k] = 0
            else:
                buf[nb] = ci
                buf[nb + 1] = cj
                r = rank_cards(buf, nb + 2)
                ranks[k] = r
                cnt[r] += 1
                lo = min(lo, r)
                hi = max(hi, r)
            k += 1
    below = 0
    for r in range(lo, hi + 1):
        c = cnt[r]
        if c:
            p2map[r] = 2 * below + c - 1
            below += c
            cnt[r] = 0
    for q in range(k):
        p2[q] = p2map[ranks[q]] if ranks[q] > 0 else -1


@njit(cache=True, parallel=True)
def strength_stage(boards: np.ndarray, weights: np.ndarray, tables: tuple, slot: int, write: bool,
                   out_p2: np.ndarray, class_w: np.ndarray, hist: np.ndarray) -> None:
    """Sweep each board: weighted ``p2`` histogram per thread; if ``write``, per-class ``p2`` and weight."""
    nb = boards.shape[1]
    for bi in prange(boards.shape[0]):
        tid = numba.get_thread_id()
        buf = np.empty(nb + 2, dtype=np.int32)
        hand = np.empty(nb + 2, dtype=np.int32)
        avail = np.empty(DECK, dtype=np.int32)
        for i in range(nb):
            buf[i] = boards[bi, i]
            hand[2 + i] = boards[bi, i]
        na = _avail(buf, nb, avail)
        npairs = na * (na - 1) // 2
        ranks = np.empty(npairs, dtype=np.int32)
        p2 = np.empty(npairs, dtype=np.int32)
        cnt = np.zeros(N_HAND_RANKS + 1, dtype=np.int32)
        p2map = np.empty(N_HAND_RANKS + 1, dtype=np.int32)
        _sweep(buf, nb, avail, na, -1, ranks, p2, cnt, p2map)
        w = weights[bi]
        k = 0
        for i in range(na):
            for j in range(i + 1, na):
                hist[tid, p2[k]] += w
                if write:
                    hand[0] = avail[i]
                    hand[1] = avail[j]
                    idx = index_of(tables, slot, hand, 0, nb + 2)
                    out_p2[idx] = p2[k]
                    class_w[idx] += w
                k += 1


@njit(cache=True, parallel=True)
def turn_hist_stage(boards: np.ndarray, weights: np.ndarray, tables: tuple, slot: int, bins: int,
                    out_counts: np.ndarray, class_w: np.ndarray) -> None:
    """Per turn class: counts of river ``p2`` over the 46 rivers in ``bins`` equal-width bins."""
    levels = RIVER_LEVELS
    for bi in prange(boards.shape[0]):
        buf = np.empty(7, dtype=np.int32)
        hand = np.empty(6, dtype=np.int32)
        avail = np.empty(DECK, dtype=np.int32)
        for i in range(4):
            buf[i] = boards[bi, i]
            hand[2 + i] = boards[bi, i]
        na = _avail(buf, 4, avail)
        npairs = na * (na - 1) // 2
        ranks = np.empty(npairs, dtype=np.int32)
        p2 = np.empty(npairs, dtype=np.int32)
        cnt = np.zeros(N_HAND_RANKS + 1, dtype=np.int32)
        p2map = np.empty(N_HAND_RANKS + 1, dtype=np.int32)
        local = np.zeros((npairs, bins), dtype=np.uint8)
        for ri in range(na):
            buf[4] = avail[ri]
            _sweep(buf, 5, avail, na, avail[ri], ranks, p2, cnt, p2map)
            for q in range(npairs):
                if p2[q] >= 0:
                    local[q, p2[q] * bins // levels] += 1
        w = weights[bi]
        k = 0
        for i in range(na):
            for j in range(i + 1, na):
                hand[0] = avail[i]
                hand[1] = avail[j]
                idx = index_of(tables, slot, hand, 0, 6)
                for b in range(bins):
                    out_counts[idx, b] = local[k, b]
                class_w[idx] += w
                k += 1


@njit(cache=True, parallel=True)
def flop_hist_stage(boards: np.ndarray, weights: np.ndarray, tables: tuple, slot3: int, slot4: int,
                    turn_counts: np.ndarray, out_counts: np.ndarray, class_w: np.ndarray) -> None:
    """Per flop class: river ``p2`` bin counts over all ordered turn-river runouts (47 * 46)."""
    bins = turn_counts.shape[1]
    for bi in prange(boards.shape[0]):
        hand = np.empty(6, dtype=np.int32)
        avail = np.empty(DECK, dtype=np.int32)
        acc = np.zeros(bins, dtype=np.int64)
        for i in range(3):
            hand[2 + i] = boards[bi, i]
        na = _avail(hand[2:], 3, avail)
        w = weights[bi]
        for i in range(na):
            for j in range(i + 1, na):
                hand[0] = avail[i]
                hand[1] = avail[j]
                idx = index_of(tables, slot3, hand, 0, 5)
                acc[:] = 0
                for t in range(na):
                    if t == i or t == j:
                        continue
                    hand[5] = avail[t]
                    idx4 = index_at(tables, slot4, hand, 0, 6)
                    for b in range(bins):
                        acc[b] += turn_counts[idx4, b]
                for b in range(bins):
                    out_counts[idx, b] = acc[b]
                class_w[idx] += w
