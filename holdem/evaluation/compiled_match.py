"""Duplicate heads-up matches played entirely in numba: dealing, legal moves, policy lookups, showdown.

One kernel call plays a chunk of duplicate groups: each deal is played twice with the hero in each seat
(role 0 is the hero, role 1 the opponent). Agents are the compiled kinds of
:mod:`holdem.evaluation.kernel_agents`, a policy seat follows the hand on its tree
(:mod:`holdem.evaluation.tree_walk`), and local best response reads its opponent
(:mod:`holdem.evaluation.lbr`). The engine remains the oracle: a chunk can log every action, node and
bucket so tests replay the hands through :class:`holdem.engine.HandState` and the Python policy.

Variance reduction (:mod:`holdem.evaluation.variance`) scores each hand by an unbiased estimate instead of
the dealt chips; the plain chips are returned beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

import holdem.evaluation.lbr as lbr
import holdem.evaluation.lbr_range as lbr_range
from holdem.abstraction.tree import DECISION
from holdem.evaluation.agents import Agent
from holdem.evaluation.equity import hole_combos, showdown_rank
from holdem.evaluation.hu_rules import (
    G_BOARD_TOTAL,
    G_HOLE,
    G_LIMIT,
    G_VISIBLE,
    RAISE,
    S_BET,
    S_CONTRIB,
    S_IN,
    S_STREET,
    STATE_SIZE,
    actor,
    apply,
    game_params,
    legal,
    new_hand,
    payoff,
    supports,
)
from holdem.evaluation.kernel_agents import (
    KIND_LBR,
    KIND_POLICY,
    MAX_OPTIONS,
    KernelAgent,
    draw,
    heuristic_table,
    kernel_agent,
    options,
)
from holdem.evaluation.kernel_rng import below, next_u64, rng_state, uniform
from holdem.evaluation.tree_walk import T_KIND, advance, bucket, no_policy, step
from holdem.evaluation.variance import (
    DEFAULT_RUNOUTS,
    VARIANCE_AIVAT,
    VARIANCE_ALLIN,
    VARIANCE_MODES,
    chance_correction,
    decision_correction,
    equity_at,
    reset_equity,
)
from holdem.games import GameDef

LOG_SEAT, LOG_KIND, LOG_TO, LOG_NODE, LOG_BUCKET, LOG_STREET = range(6)
LOG_FIELDS = 6
MAX_LOG_ACTIONS = 64


@njit(cache=True)
def _deal(deck: np.ndarray, scratch: np.ndarray, cards: np.ndarray, count: int, rng: np.ndarray) -> None:
    n = deck.shape[0]
    for i in range(n):
        scratch[i] = deck[i]
    for i in range(count):
        j = i + below(rng, n - i)
        c = scratch[j]
        scratch[j] = scratch[i]
        scratch[i] = c
        cards[i] = c


@njit(cache=True)
def _seat_cards(g: np.ndarray, holes: np.ndarray, board: np.ndarray, seat: int, street: int,
                out: np.ndarray) -> int:
    """Hole cards of ``seat`` then the board visible on ``street``; returns the count."""
    k = g[G_HOLE]
    n = 0
    for i in range(k):
        out[n] = holes[seat, i]
        n += 1
    for i in range(g[G_VISIBLE + street]):
        out[n] = board[i]
        n += 1
    return n


@njit(cache=True)
def play_hand(g: np.ndarray, deck: np.ndarray, hands: np.ndarray, table: np.ndarray, ints: np.ndarray,
              floats: np.ndarray, t0: np.ndarray, f0: np.ndarray, pr0: np.ndarray, kd0: tuple, t1: np.ndarray,
              f1: np.ndarray, pr1: np.ndarray, kd1: tuple, lb: tuple, rng: np.ndarray, holes: np.ndarray,
              board: np.ndarray, hero_seat: int, variance: int, runouts: int, seed: np.uint64, equity: np.ndarray,
              log: np.ndarray, log_u: np.ndarray, log_count: np.ndarray, log_index: int) -> tuple[int, float, bool]:
    """One hand with the hero (role 0) in ``hero_seat``: its chips, its estimate, whether every move was legal.

    ``log_index`` >= 0 records the hand's actions into row ``log_index`` of the log arrays.
    """
    st = np.zeros(STATE_SIZE, dtype=np.int64)
    prev = np.zeros(STATE_SIZE, dtype=np.int64)
    new_hand(g, st)
    roles = np.zeros(2, dtype=np.int64)
    roles[1 - hero_seat] = 1
    nodes = np.full(2, -1, dtype=np.int64)
    for s in range(2):
        if ints[roles[s], 0] == KIND_POLICY:
            nodes[s] = 0
    lbr_seat = -1
    for s in range(2):
        if ints[roles[s], 0] == KIND_LBR:
            lbr_seat = s
    opp_kind = -1
    if lbr_seat >= 0:
        opp_kind = ints[roles[1 - lbr_seat], 0]
        lbr_range.start(lb, hands, holes[lbr_seat], g[G_HOLE], opp_kind == KIND_POLICY)
    opp_role = 0 if lbr_seat >= 0 and roles[1 - lbr_seat] == 0 else 1
    t_opp = t0 if opp_role == 0 else t1
    f_opp = f0 if opp_role == 0 else f1
    pr_opp = pr0 if opp_role == 0 else pr1
    kd_opp = kd0 if opp_role == 0 else kd1
    limit = g[G_LIMIT] == 1
    cards64 = np.zeros(8, dtype=np.int64)
    kinds = np.zeros(MAX_OPTIONS, dtype=np.int64)
    tos = np.zeros(MAX_OPTIONS, dtype=np.int64)
    probs = np.zeros(MAX_OPTIONS, dtype=np.float64)
    correction = 0.0
    count = 0
    last_street = 0
    while True:
        seat = actor(st)
        if seat < 0:
            break
        street = st[S_STREET]
        last_street = street
        role = roles[seat]
        kind = ints[role, 0]
        tree = t0 if role == 0 else t1
        fraction = f0 if role == 0 else f1
        table_probs = pr0 if role == 0 else pr1
        num_cards = _seat_cards(g, holes, board, seat, street, cards64)
        used_node = -1
        used_bucket = -1
        if kind == KIND_LBR:
            move_kind, move_to = lbr.decide(lb, t_opp, f_opp, pr_opp, kd_opp, g, deck, hands, st, seat, holes[seat],
                                            board, ints[role], floats[role], opp_kind, rng)
        else:
            if kind == KIND_POLICY:
                node = advance(tree, nodes[seat], street)
                nodes[seat] = node
                if node >= 0 and tree[node, T_KIND] == DECISION:
                    used_node = node
                    used_bucket = bucket(kd0 if role == 0 else kd1, street, cards64, num_cards)
            n = options(kind, floats[role], tree, fraction, table_probs, g, deck, table, st, seat, used_node,
                        used_bucket, cards64, g[G_VISIBLE + street], kinds, tos, probs)
            pick = draw(n, probs, uniform(rng)) if n > 1 else 0
            move_kind = kinds[pick]
            move_to = tos[pick]
            if variance == VARIANCE_AIVAT and n > 1:
                correction += decision_correction(g, deck, st, hero_seat, holes, board, n, kinds, tos, probs, pick,
                                                  runouts, seed, equity)
        if not legal(g, st, move_kind, move_to):
            if log_index >= 0:
                log_count[log_index] = count
            return 0, 0.0, False
        for i in range(STATE_SIZE):
            prev[i] = st[i]
        apply(g, st, move_kind, move_to)
        if log_index >= 0 and count < log.shape[1]:
            row = log[log_index, count]
            row[LOG_SEAT] = seat
            row[LOG_KIND] = move_kind
            row[LOG_TO] = move_to
            row[LOG_NODE] = used_node
            row[LOG_BUCKET] = used_bucket
            row[LOG_STREET] = street
        to_total = prev[S_CONTRIB + seat] - prev[S_BET + seat] + move_to
        for s in range(2):
            if nodes[s] < 0:
                continue
            q_tree = t0 if roles[s] == 0 else t1
            q_fraction = f0 if roles[s] == 0 else f1
            here = advance(q_tree, nodes[s], street)
            a, pa, other = step(q_tree, q_fraction, limit, here, seat, move_kind, to_total, prev[S_CONTRIB],
                                prev[S_CONTRIB + 1])
            if other >= 0:
                u = uniform(rng)
                if log_index >= 0 and count < log.shape[1]:
                    log_u[log_index, count, s] = u
                a = a if u < pa else other
            nodes[s] = a
        if lbr_seat >= 0:
            lbr_range.observe(lb, t_opp, f_opp, pr_opp, kd_opp, g, hands, board, prev, seat, move_kind,
                              move_to if move_kind == RAISE else 0, 1 - lbr_seat, opp_kind == KIND_POLICY,
                              st[S_STREET])
        if variance == VARIANCE_AIVAT and st[S_STREET] > street:
            correction += chance_correction(g, deck, st, hero_seat, holes, board, street, st[S_STREET], runouts,
                                            seed, equity)
        count += 1
    if log_index >= 0:
        log_count[log_index] = count
    showdown = st[S_IN] == 1 and st[S_IN + 1] == 1
    rank_hero = 0
    rank_other = 0
    if showdown:
        rank_hero, rank_other = _ranks(g, holes, board, hero_seat)
    chips = payoff(st, hero_seat, rank_hero, rank_other)
    estimate = float(chips)
    if variance == VARIANCE_AIVAT:
        estimate -= correction
    elif variance == VARIANCE_ALLIN and showdown and g[G_VISIBLE + last_street] < g[G_BOARD_TOTAL]:
        at_stake = min(st[S_CONTRIB], st[S_CONTRIB + 1])
        estimate = at_stake * (2.0 * equity_at(g, deck, hero_seat, holes, board, last_street, runouts, seed,
                                               equity) - 1.0)
    return chips, estimate, True


@njit(cache=True)
def _ranks(g: np.ndarray, holes: np.ndarray, board: np.ndarray, hero_seat: int) -> tuple[int, int]:
    scratch = np.zeros(8, dtype=np.int64)
    k = g[G_HOLE]
    other = 1 - hero_seat
    hero = showdown_rank(g, holes[hero_seat, 0], holes[hero_seat, 1] if k == 2 else -1, board, scratch)
    them = showdown_rank(g, holes[other, 0], holes[other, 1] if k == 2 else -1, board, scratch)
    return hero, them


@njit(cache=True)
def play_chunk(g: np.ndarray, deck: np.ndarray, hands: np.ndarray, table: np.ndarray, ints: np.ndarray,
               floats: np.ndarray, t0: np.ndarray, f0: np.ndarray, pr0: np.ndarray, kd0: tuple, t1: np.ndarray,
               f1: np.ndarray, pr1: np.ndarray, kd1: tuple, lb: tuple, rng: np.ndarray, num_groups: int,
               variance: int, runouts: int, estimates: np.ndarray, chips: np.ndarray, seat_estimates: np.ndarray,
               log: np.ndarray, log_u: np.ndarray, log_count: np.ndarray, log_cards: np.ndarray) -> int:
    """Play ``num_groups`` duplicate groups; per group the hero's estimate and plain chips. Returns -1, or the
    index (2 * group + hero seat) of the first hand where an agent made an illegal move."""
    k = g[G_HOLE]
    total = g[G_BOARD_TOTAL]
    dealt = 2 * k + total
    scratch = np.zeros(deck.shape[0], dtype=np.int64)
    cards = np.zeros(dealt, dtype=np.int64)
    holes = np.zeros((2, 2), dtype=np.int64)
    board = np.zeros(max(total, 1), dtype=np.int64)
    equity = np.zeros(8, dtype=np.float64)
    logging = log.shape[0] > 0
    for group in range(num_groups):
        _deal(deck, scratch, cards, dealt, rng)
        for s in range(2):
            for i in range(k):
                holes[s, i] = cards[s * k + i]
        for i in range(total):
            board[i] = cards[2 * k + i]
        group_estimate = 0.0
        group_chips = 0
        seed = next_u64(rng)
        reset_equity(equity)
        for hero_seat in range(2):
            index = 2 * group + hero_seat
            log_index = index if logging and index < log.shape[0] else -1
            if log_index >= 0:
                for i in range(dealt):
                    log_cards[log_index, i] = cards[i]
            won, estimate, ok = play_hand(g, deck, hands, table, ints, floats, t0, f0, pr0, kd0, t1, f1, pr1, kd1, lb,
                                          rng, holes, board, hero_seat, variance, runouts, seed, equity, log, log_u,
                                          log_count, log_index)
            if not ok:
                return index
            group_estimate += estimate
            group_chips += won
            seat_estimates[hero_seat] += estimate
        estimates[group] = group_estimate
        chips[group] = group_chips
    return -1


class MatchSetupError(ValueError):
    """A pairing the compiled match cannot play as asked (one line for the user)."""


class CompiledMatch:
    """Two agents in their compiled forms for one heads-up game, ready to play chunks of duplicate groups."""

    def __init__(self, game: GameDef, hero: KernelAgent, opponent: KernelAgent, *, variance: str = "none",
                 runouts: int = DEFAULT_RUNOUTS) -> None:
        if variance not in VARIANCE_MODES:
            raise MatchSetupError(f"variance reduction must be one of {sorted(VARIANCE_MODES)}, got {variance!r}")
        if hero.kind == KIND_LBR and opponent.kind == KIND_LBR:
            raise MatchSetupError("local best response needs a strategy to read, not another local best response")
        for me, other in ((hero, opponent), (opponent, hero)):
            if me.kind == KIND_LBR and not lbr.opponent_supported(other):
                raise MatchSetupError("local best response reads its opponent's strategy: it plays a policy or a "
                                      "baseline whose play ignores its cards (always-call, always-fold, "
                                      "always-min-raise, random)")
        self.game = game
        self.variance = VARIANCE_MODES[variance]
        self.runouts = runouts
        self.g = game_params(game)
        self.deck = np.asarray(game.deck, dtype=np.int64)
        self.hands = hole_combos(game).copy()
        self.table = heuristic_table()
        self.ints = np.stack([hero.ints, opponent.ints])
        self.floats = np.stack([hero.floats, opponent.floats])
        placeholder = no_policy() if hero.policy is None or opponent.policy is None else None
        self.policies = (hero.policy or placeholder, opponent.policy or placeholder)
        self.lb = lbr_range.lbr_buffers(self.hands.shape[0])
        for me, other in ((hero, opponent), (opponent, hero)):
            if me.kind == KIND_LBR and other.kind == KIND_POLICY:
                lbr_range.preflop_buckets(other.policy.buckets, self.g, self.hands, self.lb[lbr_range.LB_PREFLOP])

    @classmethod
    def build(cls, game: GameDef, hero: Agent, opponent: Agent, *, variance: str = "none",
              runouts: int = DEFAULT_RUNOUTS) -> CompiledMatch | None:
        """The compiled match of two agents, or None when the game or an agent has no compiled form."""
        lbr_seated = isinstance(hero, lbr.LocalBestResponse) or isinstance(opponent, lbr.LocalBestResponse)
        if not supports(game):
            if lbr_seated:
                raise MatchSetupError(f"local best response is heads-up only; {game.name} seats {game.num_players}")
            return None
        compiled = kernel_agent(hero, game), kernel_agent(opponent, game)
        if compiled[0] is None or compiled[1] is None:
            if lbr_seated:
                raise MatchSetupError("local best response reads its opponent's strategy: it plays a policy or a "
                                      "baseline whose play ignores its cards")
            return None
        return cls(game, compiled[0], compiled[1], variance=variance, runouts=runouts)

    def run(self, seed: int, chunk: int, num_groups: int, *, log_hands: int = 0) -> ChunkResult:
        """Play chunk ``chunk`` (its stream depends on ``seed`` and ``chunk`` only) of ``num_groups`` groups."""
        estimates = np.zeros(num_groups, dtype=np.float64)
        chips = np.zeros(num_groups, dtype=np.int64)
        seat_estimates = np.zeros(2, dtype=np.float64)
        log = np.zeros((log_hands, MAX_LOG_ACTIONS, LOG_FIELDS), dtype=np.int64)
        log_u = np.full((log_hands, MAX_LOG_ACTIONS, 2), np.nan)
        log_count = np.zeros(log_hands, dtype=np.int64)
        log_cards = np.zeros((log_hands, 2 * self.game.num_hole_cards + self.game.total_board_cards), dtype=np.int64)
        a, b = self.policies
        bad = play_chunk(self.g, self.deck, self.hands, self.table, self.ints, self.floats, a.tree, a.fraction,
                         a.probs, a.buckets, b.tree, b.fraction, b.probs, b.buckets, self.lb, rng_state(seed, chunk),
                         num_groups, self.variance, self.runouts, estimates, chips, seat_estimates, log, log_u,
                         log_count, log_cards)
        return ChunkResult(estimates, chips, seat_estimates, bad, log, log_u, log_count, log_cards)


@dataclass(frozen=True)
class ChunkResult:
    """Per group the hero's estimate and plain chips, per hero seat the estimates, and the optional log.

    ``illegal`` is -1, or the hand (2 * group + hero seat) where an agent made an illegal move.
    """

    estimates: np.ndarray
    chips: np.ndarray
    seat_estimates: np.ndarray
    illegal: int
    log: np.ndarray
    log_u: np.ndarray
    log_count: np.ndarray
    log_cards: np.ndarray
