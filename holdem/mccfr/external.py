"""External-sampling MCCFR for 2-6 players as one compiled batch kernel.

Per iteration the cards are dealt once, then each seat traverses in turn: at its own nodes every
action is explored (except those pruned), opponents' actions are sampled from their current
strategy. The traversal uses an explicit stack (only the traverser's nodes need a frame), never
recursion. Regrets are read as master + this batch's local delta, so a batch sees its own updates
while the master stays read-only; all changes go to the local delta buffer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from holdem.mccfr.compact import EXPONENT_BIAS, POW2
from holdem.mccfr.config import P_LINEAR, P_PRUNE_PROB, P_PRUNE_THRESHOLD, P_REGRET_FLOOR
from holdem.mccfr.kernels_common import (
    CHANCE,
    DECISION,
    FOLD,
    LAYOUT_PLAYERS,
    LAYOUT_ROUNDS,
    PREFETCH_MIN_BYTES,
    STAT_ITERATIONS,
    STAT_NODES,
    deal_ahead,
    deal_from_deck,
    draw_tabled_deal,
    floored,
    lookahead_deals,
    new_deal_ring,
    next_float,
    prefetch_child_slots,
    prefetch_children,
    rng_for,
    showdown_value,
)
from holdem.mccfr.tables import REGRET_HALF, STRATEGY_HALF

PRUNING_STREAM = 7
"""RNG stream of the per-traversal pruning coins (streams 1..6 sample the traversals), so switching
pruning on changes which actions are explored and nothing else."""


@njit(cache=True, nogil=True)
def external_sampling_batch(tree: Any, kernel_data: Any, regret: np.ndarray, regret_scale: np.ndarray,
                            first_iteration: int, num_iterations: int, seed: int, params: np.ndarray,
                            slot_of_row: np.ndarray,
                            touched_rows: np.ndarray, regret_delta: np.ndarray, strategy_delta: np.ndarray,
                            halves: np.ndarray,
                            counters: np.ndarray, stats: np.ndarray) -> int:
    """Run iterations ``first_iteration ..`` into the delta buffer; returns how many ran.

    Stops early (fewer than ``num_iterations``) only when the delta buffer could overflow: pack
    it and call again from the next iteration. ``regret`` is read, never written, with its ``regret_scale``
    exponents (see :mod:`holdem.mccfr.compact`).
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
    num_decisions = tree.num_decisions
    players = layout[LAYOUT_PLAYERS]
    rounds = layout[LAYOUT_ROUNDS]
    last_round = rounds - 1
    width = regret.shape[1]
    scale_per_row = regret_scale.shape[0] > 1
    depth = tree.max_depth + 1
    capacity = touched_rows.shape[0]
    bounded = capacity < slot_of_row.shape[0]
    linear = params[P_LINEAR] > 0.0
    prune_prob = params[P_PRUNE_PROB]
    threshold = params[P_PRUNE_THRESHOLD]
    floor = params[P_REGRET_FLOOR]
    far_tables = regret.nbytes > PREFETCH_MIN_BYTES
    cards = np.empty(deck.shape[0], dtype=np.int32)
    scratch = np.empty(deck.shape[0], dtype=np.int32)
    hand = np.empty(deck.shape[0], dtype=np.int32)
    ring_cards, ring_keys, ring_cells = new_deal_ring(deck.shape[0], players)
    ahead = lookahead_deals(num_deals, kernel_data)
    buckets = np.empty((players, rounds), dtype=np.int32)
    ranks = np.empty(players, dtype=np.int32)
    frame_node = np.empty(depth, dtype=np.int32)
    frame_row = np.empty(depth, dtype=np.int64)
    frame_action = np.empty(depth, dtype=np.int32)
    frame_sigma = np.empty((depth, width), dtype=np.float64)
    frame_regret = np.empty((depth, width), dtype=np.float64)
    frame_value = np.empty((depth, width), dtype=np.float64)
    frame_explore = np.empty((depth, width), dtype=np.bool_)
    done = 0
    nodes = 0
    for i in range(num_iterations):
        if bounded and counters[0] + num_decisions > capacity:
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
        coins = rng_for(seed, t, PRUNING_STREAM)
        for traverser in range(players):
            state = rng_for(seed, t, traverser + 1)
            prune = False
            if prune_prob > 0.0:
                coins, u = next_float(coins)
                prune = u < prune_prob
            sp = 0
            node = 0
            value = 0.0
            while True:
                while True:
                    nodes += 1
                    k = kind[node]
                    if k == DECISION:
                        p = player[node]
                        row = row_offset[node] + buckets[p, street[node]]
                        n = num_children[node]
                        fc = first_child[node]
                        if p == traverser and far_tables:
                            prefetch_children(tree, node, buckets, regret, regret_scale, slot_of_row)
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
                            frame_regret[sp, a] = r
                            r = r if r > 0.0 else 0.0
                            frame_sigma[sp, a] = r
                            total += r
                        if total > 0.0:
                            for a in range(n):
                                frame_sigma[sp, a] /= total
                        else:
                            for a in range(n):
                                frame_sigma[sp, a] = 1.0 / n
                        if p == traverser:
                            first = -1
                            may_prune = prune and street[node] != last_round
                            for a in range(n):
                                explore = True
                                if may_prune and frame_regret[sp, a] < threshold and kind[fc + a] <= CHANCE:
                                    explore = False
                                frame_explore[sp, a] = explore
                                if explore and first < 0:
                                    first = a
                            if first < 0:
                                first = 0
                                for a in range(n):
                                    frame_explore[sp, a] = True
                            if far_tables:
                                prefetch_child_slots(tree, node, buckets, slot_of_row, regret_delta, strategy_delta)
                            frame_node[sp] = node
                            frame_row[sp] = row
                            frame_action[sp] = first
                            sp += 1
                            node = fc + first
                        else:
                            if slot < 0:
                                slot = counters[0]
                                counters[0] = slot + 1
                                slot_of_row[row] = slot
                                touched_rows[slot] = row
                            halves[slot] |= STRATEGY_HALF
                            for a in range(n):
                                strategy_delta[slot, a] += weight * frame_sigma[sp, a]
                            state, u = next_float(state)
                            chosen = n - 1
                            acc = 0.0
                            for a in range(n - 1):
                                acc += frame_sigma[sp, a]
                                if u < acc:
                                    chosen = a
                                    break
                            node = fc + chosen
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
                descended = False
                while sp > 0:
                    f = sp - 1
                    a = frame_action[f]
                    frame_value[f, a] = value
                    parent = frame_node[f]
                    n = num_children[parent]
                    a += 1
                    while a < n and not frame_explore[f, a]:
                        a += 1
                    if a < n:
                        frame_action[f] = a
                        node = first_child[parent] + a
                        descended = True
                        break
                    total = 0.0
                    mass = 0.0
                    for b in range(n):
                        if frame_explore[f, b]:
                            total += frame_sigma[f, b] * frame_value[f, b]
                            mass += frame_sigma[f, b]
                    node_value = total / mass if mass > 0.0 else 0.0
                    row = frame_row[f]
                    slot = slot_of_row[row]
                    if slot < 0:
                        slot = counters[0]
                        counters[0] = slot + 1
                        slot_of_row[row] = slot
                        touched_rows[slot] = row
                    halves[slot] |= REGRET_HALF
                    for b in range(n):
                        if frame_explore[f, b]:
                            before = frame_regret[f, b]
                            updated = before + weight * (frame_value[f, b] - node_value)
                            regret_delta[slot, b] += floored(before, updated, floor) - before
                    value = node_value
                    sp -= 1
                if not descended:
                    break
        done += 1
    stats[STAT_ITERATIONS] += done
    stats[STAT_NODES] += nodes
    return done
