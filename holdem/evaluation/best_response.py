"""The exact best response to a policy on a small game, as a pure policy table an agent can play.

Every deal is enumerated (:class:`holdem.mccfr.exploitability.ExactEvaluator`). The responder picks, per
table row (decision node and card bucket), the action with the highest counterfactual value against the
policy. On a lossless abstraction (Kuhn, Leduc) a row is a whole class of equivalent card-level
information sets, so this is a best response of the full game; its value is checked against the
evaluator's card-level best response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from holdem.abstraction.tree import CHANCE, DECISION
from holdem.mccfr.exploitability import ExactEvaluator, ExploitabilityError, _payoff, _reach
from holdem.policy import Policy

VALUE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class BestResponse:
    """A one-hot table over the policy's rows (each seat's rows answer that seat) and the values."""

    table: np.ndarray
    values: np.ndarray
    policy_values: np.ndarray

    @property
    def exploitability(self) -> float:
        """Mean best-response gain over the seats, in chips per game (OpenSpiel's exploitability)."""
        return float((self.values - self.policy_values).mean())


def best_response(policy: Policy) -> BestResponse:
    """Exact best responses to ``policy`` for every seat, one table; ExploitabilityError if impossible."""
    tree = policy.tree
    evaluator = ExactEvaluator(tree, policy.abstraction)
    probabilities = np.ascontiguousarray(policy.probabilities, dtype=np.float64)
    k = evaluator.kernel
    best = np.zeros(tree.num_rows, dtype=np.int32)
    num_buckets = np.asarray(tree.num_buckets, dtype=np.int64)
    players = tree.num_players
    values = np.zeros(players)
    for seat in range(players):
        values[seat] = _best_rows(k.kind, k.player, k.street, k.first_child, k.num_children, k.row_offset,
                                  k.fold_value, k.contrib, k.active, probabilities, evaluator.buckets,
                                  evaluator.ranks, num_buckets, seat, best)
        exact = evaluator.best_response_value(probabilities, seat)
        if abs(values[seat] - exact) > VALUE_TOLERANCE * max(1.0, abs(exact)):
            raise ExploitabilityError(f"seat {seat}: a best response over buckets is worth {values[seat]:.6f}, "
                                      f"over cards {exact:.6f}: the card abstraction is lossy")
    table = np.zeros_like(policy.probabilities)
    decisions = np.nonzero(tree.kind == DECISION)[0]
    rows = np.concatenate([np.arange(tree.row_offset[n], tree.row_offset[n] + tree.num_buckets[tree.street[n]])
                           for n in decisions])
    table[rows, best[rows]] = 1.0
    return BestResponse(table, values, evaluator.policy_value(probabilities))


@njit(cache=True)
def _best_rows(kind: np.ndarray, player: np.ndarray, street: np.ndarray, first_child: np.ndarray,
               num_children: np.ndarray, row_offset: np.ndarray, fold_value: np.ndarray, contrib: np.ndarray,
               active: np.ndarray, policy: np.ndarray, buckets: np.ndarray, ranks: np.ndarray,
               num_buckets: np.ndarray, seat: int, best: np.ndarray) -> float:
    """Value of ``seat``'s best response; writes its best action per row of its nodes into ``best``."""
    reach = _reach(kind, player, street, first_child, num_children, row_offset, policy, buckets, seat)
    n = kind.shape[0]
    deals = buckets.shape[0]
    value = np.zeros((n, deals), dtype=np.float64)
    for node in range(n - 1, -1, -1):
        k = kind[node]
        fc = first_child[node]
        if k > CHANCE:
            for d in range(deals):
                if reach[node, d] > 0.0:
                    value[node, d] = reach[node, d] * _payoff(kind, fold_value, contrib, active, node, ranks[d],
                                                              seat)
        elif k == CHANCE:
            value[node, :] = value[fc, :]
        elif player[node] != seat:
            for a in range(num_children[node]):
                for d in range(deals):
                    value[node, d] += value[fc + a, d]
        else:
            s = street[node]
            na = num_children[node]
            totals = np.zeros((num_buckets[s], na), dtype=np.float64)
            for a in range(na):
                for d in range(deals):
                    totals[buckets[d, seat, s], a] += value[fc + a, d]
            base = row_offset[node]
            for b in range(num_buckets[s]):
                top = 0
                for a in range(1, na):
                    if totals[b, a] > totals[b, top]:
                        top = a
                best[base + b] = top
            for d in range(deals):
                value[node, d] = value[fc + best[base + buckets[d, seat, s]], d]
    total = 0.0
    for d in range(deals):
        total += value[0, d]
    return total
