"""The opponent's range that local best response keeps: weights over every holding, one set per translation branch.

The range starts with every holding that does not share LBR's cards. At each opponent action a holding's
weight is multiplied by the probability the opponent's policy gives that action in its bucket; holdings that
share a card with the board leave it. The policy's node follows the hand by translation: when a bet falls
between two abstract sizes, the range splits into two branches weighted by the translation's probabilities
(the draw is the opponent's private randomness), and branches that reach the same node merge again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from holdem.abstraction.buckets import bucket_rows
from holdem.evaluation.hu_rules import CALL, G_HOLE, G_LIMIT, G_VISIBLE, RAISE, S_BET, S_CONTRIB, S_STREET
from holdem.evaluation.kernel_agents import MAX_OPTIONS
from holdem.evaluation.tree_walk import (
    NO_NODE,
    T_COUNT,
    T_FIRST,
    T_ROW,
    advance,
    child_move,
    is_decision_of,
    step,
)

MAX_BRANCHES = 16
NEGLIGIBLE = 1e-6
LB_COUNT, LB_BUCKET_STREET, LB_SCORE_STREET, LB_PRUNED = 0, 1, 2, 3
LB_RANGES, LB_NODES, LB_META, LB_BUCKETS, LB_PREFLOP, LB_SCORES, LB_WEIGHTS, LB_CALLING, LB_LIVE, LB_SCORED = range(10)


def lbr_buffers(num_hands: int) -> tuple:
    """Scratch arrays one LBR seat needs per match chunk (ranges per branch, buckets, scores)."""
    return (np.zeros((MAX_BRANCHES, num_hands)), np.full(MAX_BRANCHES, NO_NODE, dtype=np.int64),
            np.zeros(8, dtype=np.int64), np.full(num_hands, -1, dtype=np.int32),
            np.full(num_hands, -1, dtype=np.int32), np.zeros(num_hands), np.zeros(num_hands), np.zeros(num_hands),
            np.zeros(num_hands, dtype=np.bool_), np.zeros(num_hands, dtype=np.bool_))


@njit(cache=True)
def _buckets_of(buckets: tuple, g: np.ndarray, hands: np.ndarray, board: np.ndarray, street: int,
                live: np.ndarray, out: np.ndarray) -> None:
    """Bucket of every live holding with ``street``'s board (-1 for the others)."""
    k = g[G_HOLE]
    visible = g[G_VISIBLE + street]
    count = 0
    for h in range(hands.shape[0]):
        if live[h]:
            count += 1
    rows = np.empty((count, k + visible), dtype=np.int32)
    found = np.empty(count, dtype=np.int32)
    i = 0
    for h in range(hands.shape[0]):
        if not live[h]:
            continue
        for j in range(k):
            rows[i, j] = hands[h, j]
        for j in range(visible):
            rows[i, k + j] = board[j]
        i += 1
    bucket_rows(buckets, street, rows, found)
    i = 0
    for h in range(hands.shape[0]):
        if live[h]:
            out[h] = found[i]
            i += 1
        else:
            out[h] = -1


@njit(cache=True)
def preflop_buckets(buckets: tuple, g: np.ndarray, hands: np.ndarray, out: np.ndarray) -> None:
    """Preflop bucket of every holding for a policy's bucket data."""
    live = np.ones(hands.shape[0], dtype=np.bool_)
    _buckets_of(buckets, g, hands, hands[0], np.int64(0), live, out)


@njit(cache=True)
def start(lb: tuple, hands: np.ndarray, hole: np.ndarray, k: int, policy_opponent: bool) -> None:
    """A new hand: one branch at the root holding every holding that does not share LBR's cards."""
    ranges, nodes, meta = lb[LB_RANGES], lb[LB_NODES], lb[LB_META]
    meta[LB_COUNT] = 1
    meta[LB_BUCKET_STREET] = -1
    meta[LB_SCORE_STREET] = -1
    nodes[0] = 0 if policy_opponent else NO_NODE
    for h in range(hands.shape[0]):
        a = hands[h, 0]
        b = hands[h, 1]
        clash = a == hole[0] or (k == 2 and (a == hole[1] or b == hole[0] or b == hole[1]))
        ranges[0, h] = 0.0 if clash else 1.0


@njit(cache=True)
def ensure_buckets(lb: tuple, buckets: tuple, g: np.ndarray, hands: np.ndarray, board: np.ndarray,
                    street: int) -> np.ndarray:
    """The opponent's bucket per holding on ``street``, computed once per street; holdings whose weight is
    negligible (below ``NEGLIGIBLE`` of the range) leave the range here."""
    if street == 0:
        return lb[LB_PREFLOP]
    meta = lb[LB_META]
    if meta[LB_BUCKET_STREET] != street:
        ranges, live, weights = lb[LB_RANGES], lb[LB_LIVE], lb[LB_WEIGHTS]
        count = meta[LB_COUNT]
        total = range_weights(lb, weights)
        for h in range(hands.shape[0]):
            live[h] = weights[h] > NEGLIGIBLE * total
            if not live[h]:
                for b in range(count):
                    ranges[b, h] = 0.0
        _buckets_of(buckets, g, hands, board, street, live, lb[LB_BUCKETS])
        meta[LB_BUCKET_STREET] = street
    return lb[LB_BUCKETS]


@njit(cache=True)
def _merge(lb: tuple) -> None:
    """Join branches at the same node, drop empty ones."""
    ranges, nodes, meta = lb[LB_RANGES], lb[LB_NODES], lb[LB_META]
    count = meta[LB_COUNT]
    out = 0
    width = ranges.shape[1]
    for b in range(count):
        mass = 0.0
        for h in range(width):
            mass += ranges[b, h]
        if mass <= 0.0:
            continue
        target = -1
        for q in range(out):
            if nodes[q] == nodes[b]:
                target = q
                break
        if target >= 0:
            for h in range(width):
                ranges[target, h] += ranges[b, h]
            continue
        if out != b:
            for h in range(width):
                ranges[out, h] = ranges[b, h]
            nodes[out] = nodes[b]
        out += 1
    meta[LB_COUNT] = max(out, 1)


@njit(cache=True)
def observe(lb: tuple, tree: np.ndarray, fraction: np.ndarray, probs: np.ndarray, buckets: tuple, g: np.ndarray,
            hands: np.ndarray, board: np.ndarray, prev: np.ndarray, seat: int, kind: int, to: int, opponent: int,
            policy_opponent: bool, street_after: int) -> None:
    """Update the range and the branches' nodes after ``seat`` played ``(kind, to)`` at state ``prev``."""
    ranges, nodes, meta = lb[LB_RANGES], lb[LB_NODES], lb[LB_META]
    street = prev[S_STREET]
    if policy_opponent:
        count = meta[LB_COUNT]
        if seat == opponent:
            hand_buckets = ensure_buckets(lb, buckets, g, hands, board, street)
            match = np.zeros(MAX_OPTIONS, dtype=np.bool_)
            for b in range(count):
                node = advance(tree, nodes[b], street)
                nodes[b] = node
                if not is_decision_of(tree, node, seat):
                    if kind != CALL:
                        for h in range(hands.shape[0]):
                            ranges[b, h] = 0.0
                    continue
                first = tree[node, T_FIRST]
                n = tree[node, T_COUNT]
                for i in range(n):
                    mk, mt = child_move(tree, fraction, g, prev, first + i)
                    match[i] = mk == kind and (mk != RAISE or mt == to)
                row0 = tree[node, T_ROW]
                for h in range(hands.shape[0]):
                    w = ranges[b, h]
                    if w <= 0.0:
                        continue
                    row = row0 + hand_buckets[h]
                    like = 0.0
                    for i in range(n):
                        if match[i]:
                            like += probs[row, i]
                    ranges[b, h] = w * like
        to_total = prev[S_CONTRIB + seat] - prev[S_BET + seat] + to
        limit = g[G_LIMIT] == 1
        for b in range(count):
            node = advance(tree, nodes[b], street)
            a, pa, other = step(tree, fraction, limit, node, seat, kind, to_total, prev[S_CONTRIB],
                                prev[S_CONTRIB + 1])
            nodes[b] = a
            if other >= 0:
                n = meta[LB_COUNT]
                if n < MAX_BRANCHES:
                    for h in range(hands.shape[0]):
                        w = ranges[b, h]
                        ranges[n, h] = w * (1.0 - pa)
                        ranges[b, h] = w * pa
                    nodes[n] = other
                    meta[LB_COUNT] = n + 1
                else:
                    meta[LB_PRUNED] += 1
                    if pa < 0.5:
                        nodes[b] = other
        _merge(lb)
    if street_after != street:
        _drop_board_clashes(lb, g, hands, board, street_after)


@njit(cache=True)
def _drop_board_clashes(lb: tuple, g: np.ndarray, hands: np.ndarray, board: np.ndarray, street: int) -> None:
    ranges, meta = lb[LB_RANGES], lb[LB_META]
    visible = g[G_VISIBLE + street]
    for h in range(hands.shape[0]):
        a = hands[h, 0]
        b = hands[h, 1]
        for i in range(visible):
            if board[i] == a or board[i] == b:
                for q in range(meta[LB_COUNT]):
                    ranges[q, h] = 0.0
                break


@njit(cache=True)
def range_weights(lb: tuple, weights: np.ndarray) -> float:
    ranges, meta = lb[LB_RANGES], lb[LB_META]
    total = 0.0
    for h in range(weights.shape[0]):
        w = 0.0
        for b in range(meta[LB_COUNT]):
            w += ranges[b, h]
        weights[h] = w
        total += w
    return total


@njit(cache=True)
def reset_range(lb: tuple, g: np.ndarray, hands: np.ndarray, hole: np.ndarray, board: np.ndarray,
                 visible: int) -> None:
    """An impossible range (every holding ruled out): start again from every holding still possible."""
    ranges, meta = lb[LB_RANGES], lb[LB_META]
    count = meta[LB_COUNT]
    k = g[G_HOLE]
    for h in range(hands.shape[0]):
        possible = True
        for j in range(k):
            c = hands[h, j]
            if c == hole[0] or (k == 2 and c == hole[1]):
                possible = False
            for i in range(visible):
                if c == board[i]:
                    possible = False
        for b in range(count):
            ranges[b, h] = 1.0 / count if possible else 0.0
