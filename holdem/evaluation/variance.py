"""Variance reduction for compiled matches: unbiased per-hand estimates that replace the dealt chips.

``allin``: a hand whose betting ended before the last board card (an all-in and call) is scored by the
hero's equity over the undealt runouts rather than the runout dealt.

``aivat``: control variates in the style of AIVAT (Burch et al., 2018) from a check-down value function,
``v = at_stake * (2 * equity - 1)`` for the hero with both hands known (the chips after a fold). The
estimate is the chips minus, at every decision of an agent whose mixed strategy is known (a policy, the
random baseline), ``v(chosen) - sum_a P(a) v(a)``, and at every board deal ``v(after) - v(before)``. Each
term has zero mean whatever ``v`` is, so the estimate is unbiased; equity is exact when the undealt
runouts number at most ``runouts`` (the flop, turn and river with the default) and otherwise sampled from
an independent stream (preflop), which keeps every term zero-mean. The sampled runouts are common to both
hands of a duplicate group, so its estimates cancel where the dealt chips cancel. After an all-in the deal
terms telescope to the ``allin`` score. Deterministic agents (the heuristic, LBR) add no decision term.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from holdem.evaluation.equity import pair_equity
from holdem.evaluation.hu_rules import G_VISIBLE, S_CONTRIB, S_IN, S_STREET, apply, matched, payoff
from holdem.evaluation.kernel_rng import substream

VARIANCE_NONE, VARIANCE_ALLIN, VARIANCE_AIVAT = 0, 1, 2
VARIANCE_MODES = {"none": VARIANCE_NONE, "allin": VARIANCE_ALLIN, "aivat": VARIANCE_AIVAT}
DEFAULT_RUNOUTS = 1000


@njit(cache=True)
def reset_equity(equity: np.ndarray) -> None:
    for i in range(equity.shape[0]):
        equity[i] = np.nan


@njit(cache=True)
def equity_at(g: np.ndarray, deck: np.ndarray, hero_seat: int, holes: np.ndarray, board: np.ndarray,
              street: int, runouts: int, seed: np.uint64, equity: np.ndarray) -> float:
    """The hero's showdown share on ``street``'s board against the other hand.

    Seat 0's share is computed once per deal and street from runouts drawn from ``(seed, street)``, so both
    hands of a duplicate group use the same runouts and their estimates cancel as the dealt chips do.
    """
    if equity[street] != equity[street]:
        equity[street] = pair_equity(g, deck, holes[0], holes[1], board, g[G_VISIBLE + street], runouts,
                                     substream(seed, street))
    return equity[street] if hero_seat == 0 else 1.0 - equity[street]


@njit(cache=True)
def _value(st: np.ndarray, hero_seat: int, equity: float) -> float:
    if st[S_IN] == 0 or st[S_IN + 1] == 0:
        return float(payoff(st, hero_seat, 0, 0))
    return matched(st) * (2.0 * equity - 1.0)


@njit(cache=True)
def decision_correction(g: np.ndarray, deck: np.ndarray, st: np.ndarray, hero_seat: int, holes: np.ndarray,
                        board: np.ndarray, n: int, kinds: np.ndarray, tos: np.ndarray, probs: np.ndarray, pick: int,
                        runouts: int, seed: np.uint64, equity: np.ndarray) -> float:
    """``v(chosen) - E[v]`` over the options at a decision, with each option's chance of being drawn."""
    street = st[S_STREET]
    e = equity_at(g, deck, hero_seat, holes, board, street, runouts, seed, equity)
    after = np.empty_like(st)
    expected = 0.0
    chosen = 0.0
    cumulative = 0.0
    for i in range(n):
        for j in range(st.shape[0]):
            after[j] = st[j]
        apply(g, after, kinds[i], tos[i])
        v = _value(after, hero_seat, e)
        low = min(cumulative, 1.0)
        cumulative += probs[i]
        high = 1.0 if i == n - 1 else min(cumulative, 1.0)
        expected += (high - low) * v
        if i == pick:
            chosen = v
    return chosen - expected


@njit(cache=True)
def chance_correction(g: np.ndarray, deck: np.ndarray, st: np.ndarray, hero_seat: int, holes: np.ndarray,
                      board: np.ndarray, from_street: int, to_street: int, runouts: int, seed: np.uint64,
                      equity: np.ndarray) -> float:
    """``v(after) - v(before)`` summed over the board deals from ``from_street`` to ``to_street``."""
    at_stake = min(st[S_CONTRIB], st[S_CONTRIB + 1])
    total = 0.0
    before = equity_at(g, deck, hero_seat, holes, board, from_street, runouts, seed, equity)
    for street in range(from_street + 1, to_street + 1):
        after = equity_at(g, deck, hero_seat, holes, board, street, runouts, seed, equity)
        total += 2.0 * at_stake * (after - before)
        before = after
    return total
