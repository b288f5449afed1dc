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

from holdem.abstraction.tree import DECISION
from holdem.mccfr.exploitability import ExactEvaluator, ExploitabilityError
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
    best = np.zeros(tree.num_rows, dtype=np.int32)
    players = tree.num_players
    values = np.zeros(players)
    for seat in range(players):
        values[seat] = evaluator.best_response_rows(probabilities, seat, best)
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
