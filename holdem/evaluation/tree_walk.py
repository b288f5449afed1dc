"""A policy in compiled form: its tree as one int64 table, real actions walked onto the tree, its moves.

This is the numba twin of :mod:`holdem.policy.translation` and :meth:`holdem.policy.Policy.moves`: a seat
follows the abstract node of the hand action by action (an off-menu raise maps pseudo-harmonically to a
neighbouring size, drawn once when the action is seen, as a seeded translation draws it once per hand),
and plays each child's real move at the real state. Tests hold it to the Python translation on real hands.

The tree is one ``(nodes, TREE_FIELDS)`` int64 array rather than a tuple of arrays: kernels that pass a
policy around then compile in a fraction of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from holdem.abstraction.buckets import bucket_rows, lossless_for
from holdem.abstraction.tree import CHANCE, DECISION, EDGE_CALL, EDGE_FOLD, EDGE_RAISE, BettingTree
from holdem.evaluation.hu_rules import CALL, FOLD, RAISE, can_fold, can_raise, raise_to_fraction
from holdem.games import load_game
from holdem.policy import Policy

EXACT = 1e-9
NO_NODE = -1
T_KIND, T_PLAYER, T_STREET, T_FIRST, T_COUNT, T_C0, T_C1, T_EDGE, T_AMOUNT, T_ROW = range(10)
TREE_FIELDS = 10


@dataclass(frozen=True)
class KernelPolicy:
    """What the kernels read of a policy: the tree table, raise fractions, probabilities and bucket data."""

    tree: np.ndarray
    fraction: np.ndarray
    probs: np.ndarray
    buckets: tuple


def edge_fractions(tree: BettingTree) -> np.ndarray:
    """Pot fraction of every raise edge at its parent's contributions (0 elsewhere), as the translation reads it."""
    fraction = np.zeros(tree.num_nodes, dtype=np.float64)
    parent = tree.parents()
    for child in np.nonzero(tree.edge_kind == EDGE_RAISE)[0]:
        node = int(parent[child])
        contrib = tree.contrib[node].tolist()
        top = max(contrib)
        fraction[child] = (int(tree.edge_amount[child]) - top) / (sum(contrib) + top - contrib[int(tree.player[node])])
    return fraction


def tree_table(tree: BettingTree) -> np.ndarray:
    """The tree's arrays as the columns of one int64 table (heads-up trees)."""
    table = np.zeros((tree.num_nodes, TREE_FIELDS), dtype=np.int64)
    for column, values in ((T_KIND, tree.kind), (T_PLAYER, tree.player), (T_STREET, tree.street),
                           (T_FIRST, tree.first_child), (T_COUNT, tree.num_children), (T_C0, tree.contrib[:, 0]),
                           (T_C1, tree.contrib[:, 1]), (T_EDGE, tree.edge_kind), (T_AMOUNT, tree.edge_amount),
                           (T_ROW, tree.row_offset)):
        table[:, column] = values
    return table


def policy_data(policy: Policy) -> KernelPolicy:
    """The kernel form of a (heads-up) policy."""
    probs = np.require(policy.probabilities, dtype=np.float32, requirements=("C", "W"))
    return KernelPolicy(tree_table(policy.tree), edge_fractions(policy.tree), probs, policy.abstraction.kernel_data())


def no_policy() -> KernelPolicy:
    """A placeholder with the same types, for a role that plays no policy."""
    return KernelPolicy(np.zeros((1, TREE_FIELDS), dtype=np.int64), np.zeros(1), np.zeros((1, 1), np.float32),
                        lossless_for(load_game("kuhn")).kernel_data())


@njit(cache=True)
def _child(tree: np.ndarray, node: int, edge: int) -> int:
    first = tree[node, T_FIRST]
    for c in range(first, first + tree[node, T_COUNT]):
        if tree[c, T_EDGE] == edge:
            return c
    return NO_NODE


@njit(cache=True)
def is_decision_of(tree: np.ndarray, node: int, seat: int) -> bool:
    return node >= 0 and tree[node, T_KIND] == DECISION and tree[node, T_PLAYER] == seat


@njit(cache=True)
def advance(tree: np.ndarray, node: int, street: int) -> int:
    """Past chance nodes (and abstract rounds still open, by their call) to ``street``'s betting; -1 if off."""
    while node >= 0:
        k = tree[node, T_KIND]
        if k == CHANCE:
            node = tree[node, T_FIRST]
            continue
        if k != DECISION:
            return NO_NODE
        s = tree[node, T_STREET]
        if s == street:
            return node
        if s > street:
            return NO_NODE
        node = _child(tree, node, EDGE_CALL)
    return NO_NODE


@njit(cache=True)
def step(tree: np.ndarray, fraction: np.ndarray, limit: bool, node: int, seat: int, kind: int, to_total: int,
         c0: int, c1: int) -> tuple[int, float, int]:
    """Children a real action maps to from ``node`` (already at the action's street): ``(a, P(a), b)``.

    ``b`` is -1 unless an off-menu raise lies between two abstract sizes; ``a`` is -1 when the tree cannot
    follow. ``c0, c1`` are the real contributions before the action; in ``limit`` games a raise is the raise.
    """
    if not is_decision_of(tree, node, seat):
        return NO_NODE, 1.0, NO_NODE
    if kind == FOLD:
        child = _child(tree, node, EDGE_FOLD)
        if child < 0:
            child = _child(tree, node, EDGE_CALL)
        return child, 1.0, NO_NODE
    first = tree[node, T_FIRST]
    lo = NO_NODE
    n = 0
    for c in range(first, first + tree[node, T_COUNT]):
        if tree[c, T_EDGE] == EDGE_RAISE:
            if lo < 0:
                lo = c
            n += 1
    if kind == CALL:
        child = _child(tree, node, EDGE_CALL)
        return (child if child >= 0 else lo), 1.0, NO_NODE
    if n == 0:
        return _child(tree, node, EDGE_CALL), 1.0, NO_NODE
    if limit:
        return lo, 1.0, NO_NODE
    if tree[node, T_C0] == c0 and tree[node, T_C1] == c1:
        for c in range(lo, lo + n):
            if tree[c, T_AMOUNT] == to_total:
                return c, 1.0, NO_NODE
    top = max(c0, c1)
    own = c0 if seat == 0 else c1
    x = (to_total - top) / (c0 + c1 + top - own)
    hi = 0
    while hi < n and fraction[lo + hi] < x:
        hi += 1
    if hi < n and abs(fraction[lo + hi] - x) <= EXACT:
        return lo + hi, 1.0, NO_NODE
    if hi > 0 and abs(fraction[lo + hi - 1] - x) <= EXACT:
        return lo + hi - 1, 1.0, NO_NODE
    if hi == 0:
        return lo, 1.0, NO_NODE
    if hi == n:
        return lo + n - 1, 1.0, NO_NODE
    low = fraction[lo + hi - 1]
    high = fraction[lo + hi]
    return lo + hi - 1, ((high - x) * (1.0 + low)) / ((high - low) * (1.0 + x)), lo + hi


@njit(cache=True)
def child_move(tree: np.ndarray, fraction: np.ndarray, g: np.ndarray, st: np.ndarray, child: int) -> tuple[int, int]:
    """The real move ``(kind, to)`` that abstract ``child`` plays at state ``st`` (for the seat to act)."""
    edge = tree[child, T_EDGE]
    if edge == EDGE_FOLD:
        return (FOLD, 0) if can_fold(st) else (CALL, 0)
    if edge == EDGE_CALL or not can_raise(g, st):
        return CALL, 0
    return RAISE, raise_to_fraction(g, st, fraction[child])


@njit(cache=True)
def bucket(buckets: tuple, street: int, cards: np.ndarray, num_cards: int) -> int:
    """Card bucket of hole cards followed by the visible board (the first ``num_cards`` of ``cards``)."""
    row = np.empty((1, num_cards), dtype=np.int32)
    for i in range(num_cards):
        row[0, i] = cards[i]
    out = np.empty(1, dtype=np.int32)
    bucket_rows(buckets, street, row, out)
    return out[0]
