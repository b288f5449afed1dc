"""Pieces every MCCFR kernel shares: the kernel view of a tree, a counter-based RNG, dealing,
terminal payoffs, regret matching and the local delta buffer.

Randomness is a pure function of ``(seed, iteration, traversal)``, so an iteration draws the same
cards and samples whichever batch it falls in.
"""

from __future__ import annotations

import itertools
import math
from collections import namedtuple
from typing import Any

import numpy as np
from numba import njit

from holdem.abstraction.buckets import CardAbstraction, deal_buckets_of
from holdem.abstraction.lookup import holdem_deal_cells, holdem_deal_keys, holdem_deal_values, is_holdem_kernel_data
from holdem.abstraction.tree import CHANCE, DECISION, FOLD, SHOWDOWN, BettingTree
from holdem.games import GameDef
from holdem.prefetch import prefetch_read
from holdem.showdown import hand_rank_nb

__all__ = ["CHANCE", "DECISION", "FOLD", "SHOWDOWN", "KernelTree", "kernel_tree"]

KernelTree = namedtuple(
    "KernelTree",
    [
        "kind", "player", "street", "first_child", "num_children", "contrib", "active", "row_offset",
        "fold_value", "pot", "even_showdown", "deal_layout", "deck", "max_depth", "num_decisions",
        "num_deals", "deal_buckets", "deal_ranks",
    ],
)
"""Flat arrays a kernel reads (a tree with its card abstraction).

``deal_layout`` = [players, hole cards, rounds, board cards visible in each round...];
``fold_value[node, p]`` is seat p's payoff at a fold terminal; ``even_showdown[node]`` marks
showdowns where every live seat put in the same amount (one pot, ``pot[node]``); ``max_depth``
sizes the explicit stacks and ``num_decisions`` bounds the rows one iteration touches. Games with
few deals (Kuhn, Leduc) carry every deal's buckets and ranks (``num_deals`` > 0): an iteration
then draws one deal index instead of shuffling, indexing hands and ranking them."""

LAYOUT_PLAYERS, LAYOUT_HOLE, LAYOUT_ROUNDS, LAYOUT_BOARD = 0, 1, 2, 3
MAX_TABLED_DEALS = 1 << 17

STAT_ITERATIONS, STAT_NODES = 0, 1
NUM_STATS = 2

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STAR = np.uint64(0x2545F4914F6CDD1D)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S12, _S25, _S11 = np.uint64(12), np.uint64(25), np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


def deal_layout(game: GameDef) -> np.ndarray:
    layout = [game.num_players, game.num_hole_cards, game.num_rounds]
    layout += [game.board_cards_before(r) for r in range(game.num_rounds)]
    return np.asarray(layout, dtype=np.int32)


def count_deals(game: GameDef) -> int:
    """Distinct deals: each seat's hole cards and each round's board cards as unordered sets."""
    left = game.deck_size
    total = 1
    for take in [game.num_hole_cards] * game.num_players + list(game.num_board_cards):
        total *= math.comb(left, take)
        left -= take
    return total


def enumerate_deals(game: GameDef) -> np.ndarray:
    """Every deal (int32 [count_deals, dealt]): seat 0's hole cards, seat 1's, ..., then the board,
    each group ascending; all equally likely."""
    groups = [game.num_hole_cards] * game.num_players + [b for b in game.num_board_cards if b]
    deals: list[tuple[int, ...]] = []

    def extend(prefix: tuple[int, ...], remaining: tuple[int, ...], group: int) -> None:
        if group == len(groups):
            deals.append(prefix)
            return
        for combo in itertools.combinations(remaining, groups[group]):
            chosen = set(combo)
            extend(prefix + combo, tuple(c for c in remaining if c not in chosen), group + 1)

    extend((), tuple(game.deck), 0)
    width = sum(groups)
    return np.asarray(deals, dtype=np.int32).reshape(len(deals), width)


def kernel_tree(tree: BettingTree, abstraction: CardAbstraction) -> KernelTree:
    """The kernel view of a betting tree and its card abstraction, payoffs and deals precomputed."""
    game = tree.game
    n = tree.num_nodes
    players = game.num_players
    fold_value = np.zeros((n, players), dtype=np.float64)
    pot = tree.contrib.sum(axis=1).astype(np.float64)
    even = np.zeros(n, dtype=np.int8)
    for node in range(n):
        live = [p for p in range(players) if (int(tree.active[node]) >> p) & 1]
        contrib = tree.contrib[node].astype(np.float64)
        if tree.kind[node] == FOLD:
            fold_value[node] = -contrib
            fold_value[node, live[0]] += contrib.sum()
        elif tree.kind[node] == SHOWDOWN:
            level = contrib[live]
            even[node] = int(level.min() == level.max() and contrib.max() <= level[0])
    layout = deal_layout(game)
    kernel_data = abstraction.kernel_data()
    if count_deals(game) <= MAX_TABLED_DEALS:
        deals = enumerate_deals(game)
        buckets = np.empty((len(deals), players, game.num_rounds), dtype=np.int32)
        ranks = np.empty((len(deals), players), dtype=np.int32)
        fill_deal_tables(deals, layout, kernel_data, buckets, ranks)
    else:
        buckets = np.zeros((0, players, game.num_rounds), dtype=np.int32)
        ranks = np.zeros((0, players), dtype=np.int32)
    return KernelTree(
        kind=np.ascontiguousarray(tree.kind, dtype=np.int8),
        player=np.ascontiguousarray(tree.player, dtype=np.int8),
        street=np.ascontiguousarray(tree.street, dtype=np.int8),
        first_child=np.ascontiguousarray(tree.first_child, dtype=np.int32),
        num_children=np.ascontiguousarray(tree.num_children, dtype=np.int16),
        contrib=np.ascontiguousarray(tree.contrib, dtype=np.int32),
        active=np.ascontiguousarray(tree.active, dtype=np.int32),
        row_offset=np.ascontiguousarray(tree.row_offset, dtype=np.int64),
        fold_value=fold_value,
        pot=pot,
        even_showdown=even,
        deal_layout=layout,
        deck=np.asarray(game.deck, dtype=np.int32),
        max_depth=int(tree_depth(tree.kind, tree.first_child, tree.num_children)),
        num_decisions=int(np.count_nonzero(tree.kind == DECISION)),
        num_deals=int(len(ranks)),
        deal_buckets=buckets,
        deal_ranks=ranks,
    )


@njit(cache=True)
def tree_depth(kind: np.ndarray, first_child: np.ndarray, num_children: np.ndarray) -> int:
    """Longest root-to-terminal path in edges (sizes the kernels' explicit stacks)."""
    n = kind.shape[0]
    depth = np.zeros(n, dtype=np.int32)
    best = 0
    for node in range(n):
        fc = first_child[node]
        for a in range(num_children[node] if fc >= 0 else 0):
            depth[fc + a] = depth[node] + 1
        if depth[node] > best:
            best = depth[node]
    return best


@njit(cache=True, inline="always")
def splitmix64(x: np.uint64) -> np.uint64:
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def rng_for(seed: int, iteration: int, traversal: int) -> np.uint64:
    """Nonzero RNG state for one traversal of one iteration, independent of batch boundaries."""
    s = splitmix64(np.uint64(seed) ^ splitmix64(np.uint64(iteration) * np.uint64(8) + np.uint64(traversal)))
    if s == np.uint64(0):
        s = _GOLDEN
    return s


@njit(cache=True, inline="always")
def next_u64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    """xorshift64* step: (new state, output)."""
    state ^= state >> _S12
    state ^= state << _S25
    state ^= state >> _S27
    return state, state * _STAR


@njit(cache=True, inline="always")
def next_float(state: np.uint64) -> tuple[np.uint64, float]:
    """Uniform float in [0, 1)."""
    state, out = next_u64(state)
    return state, float(out >> _S11) * _INV53


@njit(cache=True, inline="always")
def next_below(state: np.uint64, bound: int) -> tuple[np.uint64, int]:
    """Uniform int in [0, bound) (multiply-shift on the high 32 bits; bias below 2^-32 * bound)."""
    state, out = next_u64(state)
    return state, int(((out >> np.uint64(32)) * np.uint64(bound)) >> np.uint64(32))


@njit(cache=True)
def deal_cards(deck: np.ndarray, scratch: np.ndarray, cards: np.ndarray, count: int,
               state: np.uint64) -> np.uint64:
    """First ``count`` cards of a fresh shuffle of ``deck`` into ``cards`` (partial Fisher-Yates)."""
    n = deck.shape[0]
    for i in range(n):
        scratch[i] = deck[i]
    for i in range(count):
        state, j = next_below(state, n - i)
        j += i
        c = scratch[j]
        scratch[j] = scratch[i]
        scratch[i] = c
        cards[i] = c
    return state


@njit(cache=True)
def hand_of(cards: np.ndarray, layout: np.ndarray, player: int, board_count: int, hand: np.ndarray) -> int:
    """Player's hole cards followed by the first ``board_count`` board cards; returns the count."""
    players = layout[LAYOUT_PLAYERS]
    hole = layout[LAYOUT_HOLE]
    for h in range(hole):
        hand[h] = cards[player * hole + h]
    for b in range(board_count):
        hand[hole + b] = cards[players * hole + b]
    return hole + board_count


@njit(cache=True)
def deal_ranks(cards: np.ndarray, layout: np.ndarray, ranks: np.ndarray, hand: np.ndarray) -> None:
    """Showdown rank of every seat with the full board."""
    rounds = layout[LAYOUT_ROUNDS]
    full_board = layout[LAYOUT_BOARD + rounds - 1]
    for p in range(layout[LAYOUT_PLAYERS]):
        count = hand_of(cards, layout, p, full_board, hand)
        ranks[p] = hand_rank_nb(hand, count)


@njit(cache=True)
def showdown_value(contrib: np.ndarray, node: int, active: int, ranks: np.ndarray, players: int,
                   seat: int) -> float:
    """Seat's payoff at a showdown: main and side pots, each split among its best eligible hands."""
    value = -float(contrib[node, seat])
    prev = 0
    top = 0
    for p in range(players):
        if (active >> p) & 1:
            top = max(top, contrib[node, p])
    while prev < top:
        level = top
        for p in range(players):
            if (active >> p) & 1 and prev < contrib[node, p] < level:
                level = contrib[node, p]
        layer = 0
        for p in range(players):
            layer += min(contrib[node, p], level) - min(contrib[node, p], prev)
        best = -1
        winners = 0
        seat_wins = False
        for p in range(players):
            if (active >> p) & 1 and contrib[node, p] >= level:
                if ranks[p] > best:
                    best = ranks[p]
                    winners = 1
                    seat_wins = p == seat
                elif ranks[p] == best:
                    winners += 1
                    seat_wins = seat_wins or p == seat
        if seat_wins:
            value += layer / winners
        prev = level
    return value


@njit(cache=True, inline="always")
def terminal_value(kind: np.ndarray, fold_value: np.ndarray, even_showdown: np.ndarray, pot: np.ndarray,
                   contrib: np.ndarray, active_mask: np.ndarray, players: int, node: int, ranks: np.ndarray,
                   seat: int) -> float:
    """Seat's payoff at a terminal node for this deal's showdown ranks."""
    if kind[node] == FOLD:
        return fold_value[node, seat]
    active = active_mask[node]
    if not even_showdown[node]:
        return showdown_value(contrib, node, active, ranks, players, seat)
    best = -1
    winners = 0
    for p in range(players):
        if (active >> p) & 1:
            if ranks[p] > best:
                best = ranks[p]
                winners = 1
            elif ranks[p] == best:
                winners += 1
    value = -float(contrib[node, seat])
    if ranks[seat] == best and (active >> seat) & 1:
        value += pot[node] / winners
    return value


@njit(cache=True, inline="always")
def current_strategy(regret: np.ndarray, up: float, down: float, row: int, slot: int, regret_delta: np.ndarray,
                     n: int, effective: np.ndarray, sigma: np.ndarray, k: int) -> None:
    """Regret matching on master (``regret[row]`` times ``up`` where positive, ``down`` where negative) + local
    regrets into ``effective[k]`` and ``sigma[k]``."""
    total = 0.0
    for a in range(n):
        r = float(regret[row, a])
        r = r * up if r > 0.0 else r * down
        if slot >= 0:
            r += regret_delta[slot, a]
        effective[k, a] = r
        pos = r if r > 0.0 else 0.0
        sigma[k, a] = pos
        total += pos
    if total > 0.0:
        inv = 1.0 / total
        for a in range(n):
            sigma[k, a] *= inv
    else:
        u = 1.0 / n
        for a in range(n):
            sigma[k, a] = u


@njit(cache=True, inline="always")
def floored(before: float, updated: float, floor: float) -> float:
    """A regret update with the floor applied. The floor only limits a fall: a view already below it (a worker's
    copy older than a discount that shrank the floor) keeps its rises and drops its falls, never lifted to the
    floor, which would send the gap as a positive delta."""
    if updated >= floor:
        return updated
    return floor if before >= floor else max(updated, before)


PREFETCH_MIN_BYTES = 1 << 20
"""Tables smaller than this stay in the cache: asking for rows ahead there only costs instructions."""


@njit(cache=True, inline="always")
def child_row(tree: Any, child: int, buckets: np.ndarray) -> int:
    """The table row a child of a decision node leads to (past a chance node, the decision after it), or -1."""
    if tree.kind[child] == CHANCE:
        child = tree.first_child[child]
    if tree.kind[child] != DECISION:
        return -1
    return tree.row_offset[child] + buckets[tree.player[child], tree.street[child]]


@njit(cache=True, inline="always")
def prefetch_children(tree: Any, node: int, buckets: np.ndarray, regret: np.ndarray, regret_scale: np.ndarray,
                      slot_of_row: np.ndarray) -> None:
    """Ask the cache for the regret rows and delta-slot entries of a decision node's children while the node
    itself is worked on: the tables are far larger than the cache, and without the hint every node visit waits
    for its own misses one after another."""
    first = tree.first_child[node]
    for child in range(first, first + tree.num_children[node]):
        row = child_row(tree, child, buckets)
        if row >= 0:
            prefetch_read(regret, row)
            prefetch_read(slot_of_row, row)
            if regret_scale.shape[0] > 1:
                prefetch_read(regret_scale, row)


@njit(cache=True, inline="always")
def prefetch_child_slots(tree: Any, node: int, buckets: np.ndarray, slot_of_row: np.ndarray,
                         regret_delta: np.ndarray, strategy_delta: np.ndarray) -> None:
    """:func:`prefetch_children`'s second step, once the node's own work has given the slot entries time to
    arrive: the delta-buffer slots the children already hold (a batch of many iterations touches more rows than
    the cache holds)."""
    first = tree.first_child[node]
    for child in range(first, first + tree.num_children[node]):
        row = child_row(tree, child, buckets)
        if row >= 0:
            slot = slot_of_row[row]
            if slot >= 0:
                prefetch_read(regret_delta, slot)
                prefetch_read(strategy_delta, slot)


@njit(cache=True, inline="always")
def slot_for(row: int, slot_of_row: np.ndarray, touched_rows: np.ndarray, counters: np.ndarray) -> int:
    """Local delta slot of a table row, claimed on first touch."""
    slot = slot_of_row[row]
    if slot < 0:
        slot = counters[0]
        counters[0] = slot + 1
        slot_of_row[row] = slot
        touched_rows[slot] = row
    return slot


@njit(cache=True)
def deal_buckets(layout: np.ndarray, kernel_data: Any, cards: np.ndarray, hand: np.ndarray,
                 buckets: np.ndarray) -> None:
    """Bucket of every (seat, round) for this deal (each round's board key computed once for all seats)."""
    deal_buckets_of(kernel_data, cards, layout[LAYOUT_PLAYERS], layout[LAYOUT_HOLE], layout[LAYOUT_BOARD:],
                    hand, buckets)


@njit(cache=True)
def fill_deal_tables(deals: np.ndarray, layout: np.ndarray, kernel_data: Any, buckets: np.ndarray,
                     ranks: np.ndarray) -> None:
    """Buckets and showdown ranks of every enumerated deal."""
    hand = np.empty(max(deals.shape[1], 1), dtype=np.int32)
    for d in range(deals.shape[0]):
        deal_buckets(layout, kernel_data, deals[d], hand, buckets[d])
        deal_ranks(deals[d], layout, ranks[d], hand)


@njit(cache=True)
def deal_from_deck(deck: np.ndarray, layout: np.ndarray, kernel_data: Any, state: np.uint64,
                   cards: np.ndarray, scratch: np.ndarray, hand: np.ndarray, buckets: np.ndarray,
                   ranks: np.ndarray) -> np.uint64:
    """Shuffle, bucket and rank one deal (kept out of line: inlined, it slows the hot loop)."""
    dealt = layout[LAYOUT_PLAYERS] * layout[LAYOUT_HOLE] + layout[LAYOUT_BOARD + layout[LAYOUT_ROUNDS] - 1]
    state = deal_cards(deck, scratch, cards, dealt, state)
    deal_buckets(layout, kernel_data, cards, hand, buckets)
    deal_ranks(cards, layout, ranks, hand)
    return state


KEYS_AHEAD = 16
CELLS_AHEAD = 8
"""How far ahead a kernel works on its deals: iteration t's buckets are read while t + 8's bucket lines and
t + 16's board entries are asked of memory. The hold'em tables are far larger than the cache, and a lookup
does little work between misses: back to back (bench/buckets.py), two ahead gave 19 M river lookups a second,
this depth about 50 M."""
DEAL_RING = 32
"""Slots of the deal ring (a power of two above ``KEYS_AHEAD``)."""


@njit(cache=True)
def new_deal_ring(deck_size: int, players: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cards, board keys and bucket offsets of the deals in flight (see :func:`deal_ahead`)."""
    return (np.zeros((DEAL_RING, deck_size), dtype=np.int32), np.zeros((DEAL_RING, 4), dtype=np.int64),
            np.zeros((DEAL_RING, players, 4), dtype=np.int64))


@njit(cache=True, inline="always")
def lookahead_deals(num_deals: int, kernel_data: Any) -> bool:
    """Whether a kernel deals ahead (:func:`deal_ahead`): hold'em from the deck, every street in board rows."""
    return num_deals == 0 and is_holdem_kernel_data(kernel_data)


@njit(cache=True)
def deal_ahead(deck: np.ndarray, layout: np.ndarray, kernel_data: Any, seed: int, t: int, first: bool,
               ring_cards: np.ndarray, ring_keys: np.ndarray, ring_cells: np.ndarray, scratch: np.ndarray,
               hand: np.ndarray, buckets: np.ndarray, ranks: np.ndarray) -> None:
    """Iteration t's hold'em deal, bucketed and ranked, exactly as :func:`deal_from_deck` gives it, with the deals
    of t + 1 to t + ``KEYS_AHEAD`` started (``first``: the batch's first iteration, whose own ring is filled first).
    Each bucket lookup then finds its board entry and its row in the cache instead of waiting on memory twice."""
    players = layout[LAYOUT_PLAYERS]
    dealt = players * 2 + layout[LAYOUT_BOARD + 3]
    for ahead in range(0 if first else KEYS_AHEAD, KEYS_AHEAD + 1):
        slot = (t + ahead) % DEAL_RING
        deal_cards(deck, scratch, ring_cards[slot], dealt, rng_for(seed, t + ahead, 0))
        holdem_deal_keys(kernel_data, ring_cards, slot, players, ring_keys, 0, 3)
    for ahead in range(0 if first else CELLS_AHEAD, CELLS_AHEAD + 1):
        holdem_deal_cells(kernel_data, ring_cards, (t + ahead) % DEAL_RING, players, ring_keys, ring_cells, 0, 3)
    slot = t % DEAL_RING
    holdem_deal_values(kernel_data, ring_cells, slot, buckets, 0, 3)
    deal_ranks(ring_cards[slot], layout, ranks, hand)


@njit(cache=True, inline="always")
def draw_tabled_deal(layout: np.ndarray, num_deals: int, deal_ranks: np.ndarray, deal_buckets: np.ndarray,
                     state: np.uint64, buckets: np.ndarray, ranks: np.ndarray) -> np.uint64:
    """Draw one of the precomputed deals: every seat's bucket per round and showdown rank."""
    state, d = next_below(state, num_deals)
    for p in range(layout[LAYOUT_PLAYERS]):
        ranks[p] = deal_ranks[d, p]
        for r in range(layout[LAYOUT_ROUNDS]):
            buckets[p, r] = deal_buckets[d, p, r]
    return state
