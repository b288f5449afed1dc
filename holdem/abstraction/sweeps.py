"""Exact per-board features of the potential-aware builder, computed with the evaluator (numba).

Every feature is computed for one canonical board row at a time, for every hole pair the board leaves
free, in the row's column order (colex over the free cards, see :mod:`holdem.abstraction.boards`).

Equity here is blocker-aware: against an opponent pair drawn from the cards neither the board nor our
own hand holds (ties count half). With the pairs sorted by rank, one pass computes every pair's equity
against every opponent cluster by inclusion-exclusion on the pairs sharing a card with it, in
O(pairs x clusters) after the evaluations.

- river: OCHS, the equity against each of the opponent clusters (quantised to 0..255 per cluster);
- turn: the distribution of the river equity (against a uniform opponent) over every river card, as
  its sorted samples quantised to 0..255 (a quantile function: exact 1-D EMD is L1 on it);
- flop: the turn bucket of every turn card (the distribution the flop is clustered on).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from holdem.abstraction.boards import board_key, board_mask, hole_key
from holdem.abstraction.features import rank_cards
from holdem.evaluator import N_HAND_RANKS

QUANT = 255


@njit(cache=True)
def pair_cards(m: int) -> np.ndarray:
    """Free-card indices (lo, hi) of each column, colex order."""
    out = np.empty((m * (m - 1) // 2, 2), dtype=np.int32)
    q = 0
    for hi in range(1, m):
        for lo in range(hi):
            out[q, 0] = lo
            out[q, 1] = hi
            q += 1
    return out


@njit(cache=True)
def _ranks(board: np.ndarray, nb: int, free: np.ndarray, pairs: np.ndarray, skip: int, ranks: np.ndarray) -> None:
    """Hand rank of every free pair on ``board[:nb]`` (0 for pairs holding free card ``skip``)."""
    buf = np.empty(nb + 2, dtype=np.int32)
    for i in range(nb):
        buf[i] = board[i]
    for q in range(pairs.shape[0]):
        a = pairs[q, 0]
        b = pairs[q, 1]
        if a == skip or b == skip:
            ranks[q] = 0
        else:
            buf[nb] = free[a]
            buf[nb + 1] = free[b]
            ranks[q] = rank_cards(buf, nb + 2)


@njit(cache=True)
def _rank_order(ranks: np.ndarray) -> np.ndarray:
    """Indices of the pairs with rank > 0, by rank ascending (a counting sort over the ranks present)."""
    n = ranks.shape[0]
    lo = N_HAND_RANKS + 1
    hi = 0
    for q in range(n):
        r = ranks[q]
        if r > 0:
            lo = min(lo, r)
            hi = max(hi, r)
    span = max(hi - lo + 1, 1)
    start = np.zeros(span + 1, dtype=np.int32)
    for q in range(n):
        if ranks[q] > 0:
            start[ranks[q] - lo + 1] += 1
    for r in range(span):
        start[r + 1] += start[r]
    order = np.empty(start[span], dtype=np.int32)
    for q in range(n):
        r = ranks[q]
        if r > 0:
            order[start[r - lo]] = q
            start[r - lo] += 1
    return order


@njit(cache=True)
def equities(ranks: np.ndarray, pairs: np.ndarray, m: int, cluster: np.ndarray, nc: int, out: np.ndarray) -> None:
    """``out[q, c]``: equity of pair q against the pairs of cluster c that share no card with it.

    Pairs with rank 0 are absent (not in the deck); their output is left untouched. ``cluster[q]`` is
    pair q's opponent cluster (0 .. nc-1).
    """
    n = ranks.shape[0]
    order = _rank_order(ranks)
    acc = order.shape[0]
    total = np.zeros(nc, dtype=np.int32)
    deg = np.zeros((m, nc), dtype=np.int32)
    for q in range(n):
        if ranks[q] > 0:
            c = cluster[q]
            total[c] += 1
            deg[pairs[q, 0], c] += 1
            deg[pairs[q, 1], c] += 1
    below = np.zeros(nc, dtype=np.int32)
    card_below = np.zeros((m, nc), dtype=np.int32)
    tie = np.zeros(nc, dtype=np.int32)
    card_tie = np.zeros((m, nc), dtype=np.int32)
    g = 0
    while g < acc:
        e = g
        r = ranks[order[g]]
        while e < acc and ranks[order[e]] == r:
            q = order[e]
            c = cluster[q]
            tie[c] += 1
            card_tie[pairs[q, 0], c] += 1
            card_tie[pairs[q, 1], c] += 1
            e += 1
        for t in range(g, e):
            q = order[t]
            a = pairs[q, 0]
            b = pairs[q, 1]
            own = cluster[q]
            for c in range(nc):
                o = 1 if c == own else 0
                tot = total[c] - deg[a, c] - deg[b, c] + o
                if tot > 0:
                    win = below[c] - card_below[a, c] - card_below[b, c]
                    tied = tie[c] - card_tie[a, c] - card_tie[b, c] + o
                    out[q, c] = (win + 0.5 * tied) / tot
                else:
                    out[q, c] = 0.5
        for t in range(g, e):
            q = order[t]
            c = cluster[q]
            below[c] += 1
            card_below[pairs[q, 0], c] += 1
            card_below[pairs[q, 1], c] += 1
            card_tie[pairs[q, 0], c] = 0
            card_tie[pairs[q, 1], c] = 0
        for c in range(nc):
            tie[c] = 0
        g = e


@njit(cache=True)
def strengths(ranks: np.ndarray, pairs: np.ndarray, m: int, out: np.ndarray) -> None:
    """``out[q]``: equity of pair q against a uniform opponent pair sharing no card with it, as 0..255
    (:func:`equities` with one cluster, specialised: every card is in the same number of pairs)."""
    order = _rank_order(ranks)
    acc = order.shape[0]
    deg = np.zeros(m, dtype=np.int32)
    for t in range(acc):
        q = order[t]
        deg[pairs[q, 0]] += 1
        deg[pairs[q, 1]] += 1
    card_below = np.zeros(m, dtype=np.int32)
    card_tie = np.zeros(m, dtype=np.int32)
    below = 0
    g = 0
    while g < acc:
        e = g
        r = ranks[order[g]]
        while e < acc and ranks[order[e]] == r:
            q = order[e]
            card_tie[pairs[q, 0]] += 1
            card_tie[pairs[q, 1]] += 1
            e += 1
        tie = e - g
        for t in range(g, e):
            q = order[t]
            a = pairs[q, 0]
            b = pairs[q, 1]
            tot = acc - deg[a] - deg[b] + 1
            win = below - card_below[a] - card_below[b]
            tied = tie - card_tie[a] - card_tie[b] + 1
            out[q] = np.uint8(int((win + 0.5 * tied) / tot * QUANT + 0.5)) if tot > 0 else np.uint8(128)
        for t in range(g, e):
            q = order[t]
            card_below[pairs[q, 0]] += 1
            card_below[pairs[q, 1]] += 1
            card_tie[pairs[q, 0]] = 0
            card_tie[pairs[q, 1]] = 0
        below += tie
        g = e


@njit(cache=True)
def _pair_clusters(free: np.ndarray, pairs: np.ndarray, card_cluster: np.ndarray, out: np.ndarray) -> None:
    for q in range(pairs.shape[0]):
        out[q] = card_cluster[free[pairs[q, 0]] * 64 + free[pairs[q, 1]]]


@njit(cache=True, parallel=True)
def river_features(reps: np.ndarray, free: np.ndarray, row_ids: np.ndarray, card_cluster: np.ndarray, nc: int,
                   out: np.ndarray) -> None:
    """OCHS of every column of the given river rows: ``out[i, q, c]``, quantised to 0..255 (uint8)."""
    m = free.shape[1]
    pairs = pair_cards(m)
    for i in prange(row_ids.shape[0]):
        j = row_ids[i]
        ranks = np.empty(pairs.shape[0], dtype=np.int32)
        clusters = np.empty(pairs.shape[0], dtype=np.int32)
        eq = np.empty((pairs.shape[0], nc), dtype=np.float64)
        _ranks(reps[j], 5, free[j], pairs, -1, ranks)
        _pair_clusters(free[j], pairs, card_cluster, clusters)
        equities(ranks, pairs, m, clusters, nc, eq)
        for q in range(pairs.shape[0]):
            for c in range(nc):
                out[i, q, c] = np.uint8(int(eq[q, c] * QUANT + 0.5))


@njit(cache=True, parallel=True)
def turn_features(reps: np.ndarray, free: np.ndarray, row_ids: np.ndarray, out: np.ndarray) -> None:
    """Sorted river equities (0..255) of every column of the given turn rows over every river card:
    ``out[i, q, :]`` (uint8, one entry per river card the pair leaves)."""
    m = free.shape[1]
    pairs = pair_cards(m)
    n = pairs.shape[0]
    for i in prange(row_ids.shape[0]):
        j = row_ids[i]
        board = np.empty(5, dtype=np.int32)
        for t in range(4):
            board[t] = reps[j, t]
        ranks = np.empty(n, dtype=np.int32)
        hs = np.empty(n, dtype=np.uint8)
        counts = np.zeros((n, QUANT + 1), dtype=np.uint8)
        for x in range(m):
            board[4] = free[j, x]
            _ranks(board, 5, free[j], pairs, x, ranks)
            strengths(ranks, pairs, m, hs)
            for q in range(n):
                if ranks[q] > 0:
                    counts[q, hs[q]] += 1
        for q in range(n):
            f = 0
            for v in range(QUANT + 1):
                for _ in range(counts[q, v]):
                    out[i, q, f] = v
                    f += 1


@njit(cache=True, parallel=True)
def preflop_histograms(reps: np.ndarray, free: np.ndarray, row_ids: np.ndarray, weights: np.ndarray,
                       card_class: np.ndarray, hist: np.ndarray) -> None:
    """Per thread and preflop class, the weighted histogram (0..255) of river equity over the given boards."""
    m = free.shape[1]
    pairs = pair_cards(m)
    n = pairs.shape[0]
    for i in prange(row_ids.shape[0]):
        tid = numba.get_thread_id()
        j = row_ids[i]
        ranks = np.empty(n, dtype=np.int32)
        hs = np.empty(n, dtype=np.uint8)
        _ranks(reps[j], 5, free[j], pairs, -1, ranks)
        strengths(ranks, pairs, m, hs)
        w = weights[i]
        for q in range(n):
            cls = card_class[free[j, pairs[q, 0]] * 64 + free[j, pairs[q, 1]]]
            hist[tid, cls, hs[q]] += w


@njit(cache=True, parallel=True)
def flop_features(reps: np.ndarray, free: np.ndarray, row_ids: np.ndarray, turn_boards: np.ndarray,
                  turn_rows: np.ndarray, binom: np.ndarray, num_suits: int, rank_lo: int, out: np.ndarray) -> None:
    """Sorted turn buckets of every column of the given flop rows over every turn card: ``out[i, q, :]``."""
    m = free.shape[1]
    pairs = pair_cards(m)
    for i in prange(row_ids.shape[0]):
        j = row_ids[i]
        hand = np.empty(6, dtype=np.int32)
        for t in range(3):
            hand[2 + t] = reps[j, t]
        for q in range(pairs.shape[0]):
            a = pairs[q, 0]
            b = pairs[q, 1]
            hand[0] = free[j, a]
            hand[1] = free[j, b]
            f = 0
            for x in range(m):
                if x == a or x == b:
                    continue
                hand[5] = free[j, x]
                entry = np.int64(turn_boards[board_key(binom, 0, hand, 2, 4, num_suits, rank_lo)])
                perm = entry & 0xFF
                used = board_mask(hand, 2, 4, perm, num_suits, rank_lo)
                row = entry >> 8
                out[i, q, f] = turn_rows[row, hole_key(hand, 0, 2, perm, used, num_suits, rank_lo)]
                f += 1
            out[i, q].sort()

