"""Outcome-sampling MCCFR for 2-6 players as one compiled batch kernel.

Each traversal samples a single trajectory: the traverser samples from its current strategy mixed
with epsilon-uniform exploration, opponents from their current strategy, chance on-policy. With
``q`` the traverser's sampling probability of the terminal z and ``tail`` the traverser's own
strategy probability from below a node to z, the sampled counterfactual value of the taken action
is ``u(z) * tail / q`` and regrets get that minus the node's value (unbiased estimates). Opponents'
average strategies are updated with weight ``pi_j / q(h)`` (stochastically weighted averaging).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from holdem.mccfr.compact import EXPONENT_BIAS, POW2
from holdem.mccfr.config import P_EPSILON, P_LINEAR, P_REGRET_FLOOR
from holdem.mccfr.kernels_common import (
    CHANCE,
    DECISION,
    FOLD,
    LAYOUT_PLAYERS,
    LAYOUT_ROUNDS,
    STAT_ITERATIONS,
    STAT_NODES,
    deal_ahead,
    deal_from_deck,
    draw_tabled_deal,
    floored,
    lookahead_deals,
    new_deal_ring,
    next_float,
    rng_for,
    showdown_value,
)
from holdem.mccfr.tables import REGRET_HALF, STRATEGY_HALF


@njit(cache=True, nogil=True)
def outcome_sampling_batch(tree: Any, kernel_data: Any, regret: np.ndarray, regret_scale: np.ndarray,
                           first_iteration: int, num_iterations: int, seed: int, params: np.ndarray,
                           slot_of_row: np.ndarray,
                           touched_rows: np.ndarray, regret_delta: np.ndarray, strategy_delta: np.ndarray,
                           halves: np.ndarray,
                           counters: np.ndarray, stats: np.ndarray) -> int:
    """Run iterations ``first_iteration ..`` into the delta buffer; returns how many ran.

    Same contract as :func:`holdem.mccfr.external.external_sampling_batch`; reads ``P_EPSILON``.
    """
    kind = tree.kind
    player = tree.player
    street = tree.street
    first_child = tree.first_child
    num_children = tree.num_children
    row_offset = tree.row_offset
    fold_value = tree.fold_value
    even = tree.even_showdown
    pot = tree.pot
    contrib = tree.contrib
    active = tree.active
    layout = tree.deal_layout
    deck = tree.deck
    num_deals = tree.num_deals
    deal_ranks = tree.deal_ranks
    deal_buckets = tree.deal_buckets
    players = layout[LAYOUT_PLAYERS]
    rounds = layout[LAYOUT_ROUNDS]
    width = regret.shape[1]
    scale_per_row = regret_scale.shape[0] > 1
    depth = tree.max_depth + 1
    capacity = touched_rows.shape[0]
    bounded = capacity < slot_of_row.shape[0]
    linear = params[P_LINEAR] > 0.0
    epsilon = params[P_EPSILON]
    floor = params[P_REGRET_FLOOR]
    cards = np.empty(deck.shape[0], dtype=np.int32)
    scratch = np.empty(deck.shape[0], dtype=np.int32)
    hand = np.empty(deck.shape[0], dtype=np.int32)
    ring_cards, ring_keys, ring_cells = new_deal_ring(deck.shape[0], players)
    ahead = lookahead_deals(num_deals, kernel_data)
    buckets = np.empty((players, rounds), dtype=np.int32)
    ranks = np.empty(players, dtype=np.int32)
    reach = np.empty(players, dtype=np.float64)
    path_row = np.empty(depth, dtype=np.int64)
    path_action = np.empty(depth, dtype=np.int32)
    path_width = np.empty(depth, dtype=np.int32)
    path_sigma = np.empty((depth, width), dtype=np.float64)
    path_regret = np.empty((depth, width), dtype=np.float64)
    sigma = np.empty(width, dtype=np.float64)
    done = 0
    nodes = 0
    for i in range(num_iterations):
        if bounded and counters[0] + 2 * depth * players > capacity:
            break
        t = first_iteration + i
        weight = float(t + 1) if linear else 1.0
        state = rng_for(seed, t, 0)
        if num_deals > 0:
            draw_tabled_deal(layout, num_deals, deal_ranks, deal_buckets, state, buckets, ranks)
        elif ahead:
            deal_ahead(deck, layout, kernel_data, seed, t, i == 0, ring_cards, ring_keys, ring_cells, scratch, hand,
                       buckets, ranks)
        else:
            deal_from_deck(deck, layout, kernel_data, state, cards, scratch, hand, buckets, ranks)
        for traverser in range(players):
            state = rng_for(seed, t, traverser + 1)
            for p in range(players):
                reach[p] = 1.0
            sampled = 1.0
            steps = 0
            node = 0
            value = 0.0
            while True:
                nodes += 1
                k = kind[node]
                if k == DECISION:
                    p = player[node]
                    row = row_offset[node] + buckets[p, street[node]]
                    n = num_children[node]
                    slot = slot_of_row[row]
                    total = 0.0
                    er = row if scale_per_row else 0
                    up = POW2[regret_scale[er, 0] + EXPONENT_BIAS]
                    down = POW2[regret_scale[er, 1] + EXPONENT_BIAS]
                    for a in range(n):
                        r = float(regret[row, a])
                        r = r * up if r > 0.0 else r * down
                        if slot >= 0:
                            r += regret_delta[slot, a]
                        if p == traverser:
                            path_regret[steps, a] = r
                        r = r if r > 0.0 else 0.0
                        sigma[a] = r
                        total += r
                    if total > 0.0:
                        for a in range(n):
                            sigma[a] /= total
                    else:
                        for a in range(n):
                            sigma[a] = 1.0 / n
                    state, u = next_float(state)
                    chosen = n - 1
                    acc = 0.0
                    if p == traverser:
                        for a in range(n - 1):
                            acc += epsilon / n + (1.0 - epsilon) * sigma[a]
                            if u < acc:
                                chosen = a
                                break
                        while epsilon / n + (1.0 - epsilon) * sigma[chosen] <= 0.0:
                            chosen -= 1
                        for a in range(n):
                            path_sigma[steps, a] = sigma[a]
                        path_row[steps] = row
                        path_action[steps] = chosen
                        path_width[steps] = n
                        steps += 1
                        sampled *= epsilon / n + (1.0 - epsilon) * sigma[chosen]
                    else:
                        others = 1.0
                        for q in range(players):
                            if q != traverser and q != p:
                                others *= reach[q]
                        scale = weight / (sampled * others)
                        if slot < 0:
                            slot = counters[0]
                            counters[0] = slot + 1
                            slot_of_row[row] = slot
                            touched_rows[slot] = row
                        halves[slot] |= STRATEGY_HALF
                        for a in range(n):
                            strategy_delta[slot, a] += scale * sigma[a]
                        for a in range(n - 1):
                            acc += sigma[a]
                            if u < acc:
                                chosen = a
                                break
                        while sigma[chosen] <= 0.0:
                            chosen -= 1
                    reach[p] *= sigma[chosen]
                    node = first_child[node] + chosen
                elif k == CHANCE:
                    node = first_child[node]
                elif k == FOLD:
                    value = fold_value[node, traverser]
                    break
                elif even[node]:
                    live = active[node]
                    best = -1
                    winners = 0
                    for q in range(players):
                        if (live >> q) & 1:
                            if ranks[q] > best:
                                best = ranks[q]
                                winners = 1
                            elif ranks[q] == best:
                                winners += 1
                    value = -float(contrib[node, traverser])
                    if ranks[traverser] == best and (live >> traverser) & 1:
                        value += pot[node] / winners
                    break
                else:
                    value = showdown_value(contrib, node, active[node], ranks, players, traverser)
                    break
            scaled = value / sampled
            tail = 1.0
            for s in range(steps - 1, -1, -1):
                row = path_row[s]
                chosen = path_action[s]
                taken = scaled * tail
                node_value = path_sigma[s, chosen] * taken
                slot = slot_of_row[row]
                if slot < 0:
                    slot = counters[0]
                    counters[0] = slot + 1
                    slot_of_row[row] = slot
                    touched_rows[slot] = row
                halves[slot] |= REGRET_HALF
                for b in range(path_width[s]):
                    before = path_regret[s, b]
                    gain = taken - node_value if b == chosen else -node_value
                    updated = before + weight * gain
                    regret_delta[slot, b] += floored(before, updated, floor) - before
                tail *= path_sigma[s, chosen]
        done += 1
    stats[STAT_ITERATIONS] += done
    stats[STAT_NODES] += nodes
    return done
