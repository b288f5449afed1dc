"""Local best response (Lisý and Bowling, 2017): a lower bound on how much a strategy can be exploited.

LBR sits opposite a strategy it can read (a policy, or a baseline whose action does not depend on its
cards). It keeps the opponent's range over every holding (1,326 in hold'em), weighted by Bayes' rule with
the strategy's own action probabilities at every opponent action (holdings whose weight falls below a
millionth of the range are dropped). At its own decision it computes its equity against that range (exact
when the runouts number at most ``@N``: the river and, with the default 50, the turn; otherwise ``N``
sampled runouts) and picks fold, call or one of its raise sizes by expected value, assuming the opponent
answers a raise as the strategy would and the hand is then checked down: a raise is worth
``P(fold) * pot + P(no fold) * showdown against the range that does not fold``.

A bet LBR makes off the policy's menu maps pseudo-harmonically onto the policy's tree, as the policy's own
translation maps it; since that draw is the opponent's private randomness, LBR keeps one range per
translation branch (weighted by its probability) instead of peeking at the draw.

Spec: ``lbr`` (= ``lbr:fcpa``), ``lbr:MENU`` for every round, or ``lbr:M0/M1/...`` one menu per round, with an
optional ``@N`` for the runouts per equity (default 50; more changed nothing measurable against the
quickstart blueprint and costs speed). Menu letters: ``f`` fold, ``c`` check or call (required), ``h`` half
pot, ``p`` pot, ``d`` twice the pot, ``a`` all in. A round whose menu is ``c`` only is not best-responded:
LBR checks or calls there. In limit games any raise letter means the raise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from holdem.abstraction.tree import EDGE_FOLD
from holdem.engine.seat import Move, SeatView
from holdem.evaluation.equity import hand_scores
from holdem.evaluation.hu_rules import (
    CALL,
    FOLD,
    G_LIMIT,
    G_VISIBLE,
    RAISE,
    S_BET,
    S_CONTRIB,
    S_MAXBET,
    S_STACK,
    S_STREET,
    bet_or_raise,
    can_fold,
    can_raise,
    max_raise_to,
    min_raise_to,
    raise_to_fraction,
)
from holdem.evaluation.kernel_agents import (
    KIND_CALL,
    KIND_FOLD,
    KIND_LBR,
    KIND_MIN_RAISE,
    KIND_POLICY,
    KIND_RANDOM,
    MAX_OPTIONS,
    NUM_FLOAT_PARAMS,
    NUM_INT_PARAMS,
    KernelAgent,
    random_moves,
)
from holdem.evaluation.lbr_range import (
    LB_BUCKET_STREET,
    LB_CALLING,
    LB_COUNT,
    LB_LIVE,
    LB_META,
    LB_NODES,
    LB_PREFLOP,
    LB_RANGES,
    LB_SCORE_STREET,
    LB_SCORED,
    LB_SCORES,
    LB_WEIGHTS,
    NEGLIGIBLE,
    ensure_buckets,
    range_weights,
    reset_range,
)
from holdem.evaluation.tree_walk import T_COUNT, T_EDGE, T_FIRST, T_ROW, advance, is_decision_of, step
from holdem.games import GameDef

PREFIX = "lbr"
DEFAULT_MENU = "fcpa"
DEFAULT_RUNOUTS = 50
MAX_SIZES = 4
SIZE_LETTERS = {"h": 0.5, "p": 1.0, "d": 2.0}
FLAG_FOLD, FLAG_ALL_IN = 1, 2


class LBRSpecError(ValueError):
    """An ``lbr`` spec that cannot be read; the message is one line."""


@dataclass(frozen=True)
class RoundMenu:
    """What LBR may do in one round: fold or not, bets as pot fractions, all in or not."""

    fold: bool
    fractions: tuple[float, ...]
    all_in: bool

    @property
    def responds(self) -> bool:
        return self.fold or self.all_in or bool(self.fractions)


@dataclass(frozen=True)
class LBRSettings:
    """One menu per round and the runouts sampled per equity when they cannot all be enumerated."""

    menus: tuple[RoundMenu, ...]
    runouts: int
    spec: str


def _menu(text: str, spec: str) -> RoundMenu:
    if not text or any(ch not in "fchpda" for ch in text) or len(set(text)) != len(text):
        raise LBRSpecError(f"{spec!r}: menu {text!r} must use each of the letters f c h p d a at most once")
    if "c" not in text:
        raise LBRSpecError(f"{spec!r}: menu {text!r} needs 'c' (check or call)")
    fractions = tuple(sorted(SIZE_LETTERS[ch] for ch in text if ch in SIZE_LETTERS))
    return RoundMenu("f" in text, fractions, "a" in text)


def is_lbr_spec(spec: str) -> bool:
    """Whether an agent spec names local best response (``lbr``, ``lbr:...``, ``lbr@N``)."""
    return spec == PREFIX or spec.startswith((PREFIX + ":", PREFIX + "@"))


def parse_lbr(spec: str, game: GameDef) -> LBRSettings:
    """Settings from ``lbr``, ``lbr:fcpa``, ``lbr:fc/fcpa/fcpa/fcpa@500``, ``lbr@50`` and the like."""
    if not is_lbr_spec(spec):
        raise LBRSpecError(f"{spec!r} is not an lbr spec (lbr, lbr:MENU or lbr:M0/M1/..., optionally @RUNOUTS)")
    body, _, count = spec[len(PREFIX):].partition("@")
    runouts = DEFAULT_RUNOUTS
    if count:
        try:
            runouts = int(count)
        except ValueError:
            raise LBRSpecError(f"{spec!r}: runouts after '@' must be an integer, got {count!r}") from None
        if runouts < 1:
            raise LBRSpecError(f"{spec!r}: runouts after '@' must be at least 1, got {runouts}")
    parts = (body.removeprefix(":") or DEFAULT_MENU).split("/")
    if len(parts) == 1:
        parts = parts * game.num_rounds
    if len(parts) != game.num_rounds:
        raise LBRSpecError(f"{spec!r}: {len(parts)} menus given, {game.name} has {game.num_rounds} rounds")
    return LBRSettings(tuple(_menu(p, spec) for p in parts), runouts, spec)


class LocalBestResponse:
    """The LBR seat: it plays only in the compiled heads-up match, where it can read its opponent."""

    def __init__(self, settings: LBRSettings) -> None:
        self.settings = settings
        self.name = settings.spec

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        raise RuntimeError("local best response plays only in the compiled heads-up match")

    def kernel_agent(self, game: GameDef) -> KernelAgent:
        ints = np.zeros(NUM_INT_PARAMS, dtype=np.int64)
        floats = np.zeros(NUM_FLOAT_PARAMS, dtype=np.float64)
        ints[0] = KIND_LBR
        ints[1] = self.settings.runouts
        for r, menu in enumerate(self.settings.menus):
            ints[2 + r] = (FLAG_FOLD if menu.fold else 0) | (FLAG_ALL_IN if menu.all_in else 0)
            ints[6 + r] = len(menu.fractions)
            floats[MAX_SIZES * r:MAX_SIZES * r + len(menu.fractions)] = menu.fractions
        return KernelAgent(KIND_LBR, ints, floats)


# ---- compiled ---------------------------------------------------------------------------------------------------

@njit(cache=True)
def _fold_share(kind: int, g: np.ndarray, after: np.ndarray) -> float:
    """How often a card-independent opponent folds to a raise that left state ``after``."""
    if not can_fold(after):
        return 0.0
    if kind == KIND_FOLD:
        return 1.0
    if kind == KIND_RANDOM:
        kinds = np.zeros(MAX_OPTIONS, dtype=np.int64)
        tos = np.zeros(MAX_OPTIONS, dtype=np.int64)
        return 1.0 / random_moves(g, after, kinds, tos)
    return 0.0


@njit(cache=True)
def _raise_value(lb: tuple, tree: np.ndarray, fraction: np.ndarray, probs: np.ndarray, hand_buckets: np.ndarray,
                 g: np.ndarray, st: np.ndarray, seat: int, to: int, opp_kind: int, weights: np.ndarray, total: float,
                 scores: np.ndarray) -> float:
    """Expected chips (of the whole hand) of raising to ``to``: the opponent folds or it is checked down."""
    ranges, nodes, meta = lb[LB_RANGES], lb[LB_NODES], lb[LB_META]
    calling = lb[LB_CALLING]
    opponent = 1 - seat
    after = st.copy()
    bet_or_raise(g, after, to)
    street = st[S_STREET]
    num_hands = weights.shape[0]
    fold_mass = 0.0
    if opp_kind == KIND_POLICY:
        for h in range(num_hands):
            calling[h] = 0.0
        to_total = st[S_CONTRIB + seat] - st[S_BET + seat] + to
        limit = g[G_LIMIT] == 1
        for b in range(meta[LB_COUNT]):
            node = advance(tree, nodes[b], street)
            a, pa, other = step(tree, fraction, limit, node, seat, np.int64(RAISE), to_total, st[S_CONTRIB],
                                st[S_CONTRIB + 1])
            for t in range(2):
                child = a if t == 0 else other
                share = pa if t == 0 else 1.0 - pa
                if t == 1 and other < 0:
                    break
                reply = advance(tree, child, street)
                fold_col = -1
                row0 = 0
                if is_decision_of(tree, reply, opponent):
                    first = tree[reply, T_FIRST]
                    for i in range(tree[reply, T_COUNT]):
                        if tree[first + i, T_EDGE] == EDGE_FOLD:
                            fold_col = i
                    row0 = tree[reply, T_ROW]
                for h in range(num_hands):
                    w = ranges[b, h]
                    if w <= 0.0 or not weights[h] > 0.0:
                        continue
                    pf = probs[row0 + hand_buckets[h], fold_col] if fold_col >= 0 else 0.0
                    fold_mass += share * w * pf
                    calling[h] += share * w * (1.0 - pf)
    else:
        pf = _fold_share(opp_kind, g, after)
        fold_mass = total * pf
        for h in range(num_hands):
            calling[h] = weights[h] * (1.0 - pf)
    fold_p = min(max(fold_mass / total, 0.0), 1.0)
    call_mass = 0.0
    won = 0.0
    for h in range(num_hands):
        w = calling[h]
        if w > 0.0 and weights[h] > 0.0:
            call_mass += w
            won += w * scores[h]
    equity = won / call_mass if call_mass > 0.0 else 0.5
    at_stake = min(after[S_CONTRIB + seat], after[S_CONTRIB + opponent] + after[S_STACK + opponent])
    return fold_p * st[S_CONTRIB + opponent] + (1.0 - fold_p) * at_stake * (2.0 * equity - 1.0)


@njit(cache=True)
def decide(lb: tuple, tree: np.ndarray, fraction: np.ndarray, probs: np.ndarray, buckets: tuple, g: np.ndarray,
           deck: np.ndarray, hands: np.ndarray, st: np.ndarray, seat: int, hole: np.ndarray, board: np.ndarray,
           ints: np.ndarray, floats: np.ndarray, opp_kind: int, rng: np.ndarray) -> tuple[int, int]:
    """LBR's move at its decision: the best of its menu by expected value against the range (a raise wins a tie
    with checking or calling, as it risks nothing more in this model)."""
    street = st[S_STREET]
    flags = ints[2 + street]
    num_sizes = ints[6 + street]
    folds = (flags & FLAG_FOLD) != 0 and can_fold(st)
    raisable = can_raise(g, st) and ((flags & FLAG_ALL_IN) != 0 or num_sizes > 0)
    if not folds and not raisable:
        return CALL, 0
    meta, scores, weights, scored = lb[LB_META], lb[LB_SCORES], lb[LB_WEIGHTS], lb[LB_SCORED]
    visible = g[G_VISIBLE + street]
    total = range_weights(lb, weights)
    if total <= 0.0:
        reset_range(lb, g, hands, hole, board, visible)
        meta[LB_BUCKET_STREET] = -1
        total = range_weights(lb, weights)
    live = lb[LB_LIVE]
    stale = meta[LB_SCORE_STREET] != street
    for h in range(weights.shape[0]):
        live[h] = weights[h] > NEGLIGIBLE * total
        if live[h] and not scored[h]:
            stale = True
    if stale:
        hand_scores(g, deck, hands, hole, board, visible, ints[1], rng, live, scores)
        for h in range(weights.shape[0]):
            scored[h] = live[h]
        meta[LB_SCORE_STREET] = street
    total = 0.0
    for h in range(weights.shape[0]):
        if not live[h] or scores[h] != scores[h]:
            weights[h] = 0.0
        total += weights[h]
    hand_buckets = lb[LB_PREFLOP]
    if opp_kind == KIND_POLICY:
        hand_buckets = ensure_buckets(lb, buckets, g, hands, board, street)
    won = 0.0
    for h in range(weights.shape[0]):
        if weights[h] > 0.0:
            won += weights[h] * scores[h]
    equity = won / total
    opponent = 1 - seat
    to_call = min(st[S_MAXBET] - st[S_BET + seat], st[S_STACK + seat])
    best = min(st[S_CONTRIB + seat] + to_call, st[S_CONTRIB + opponent]) * (2.0 * equity - 1.0)
    best_kind = CALL
    best_to = 0
    if raisable:
        tried = np.zeros(MAX_SIZES + 1, dtype=np.int64)
        n = 0
        candidates = num_sizes + (1 if (flags & FLAG_ALL_IN) != 0 else 0)
        for i in range(candidates):
            if g[G_LIMIT] == 1:
                to = min_raise_to(g, st)
            elif i < num_sizes:
                to = raise_to_fraction(g, st, floats[MAX_SIZES * street + i])
            else:
                to = max_raise_to(g, st)
            seen = False
            for j in range(n):
                if tried[j] == to:
                    seen = True
            if seen:
                continue
            tried[n] = to
            n += 1
            value = _raise_value(lb, tree, fraction, probs, hand_buckets, g, st, seat, to, opp_kind, weights, total,
                                 scores)
            if value >= best:
                best = value
                best_kind = RAISE
                best_to = to
    if folds and -float(st[S_CONTRIB + seat]) > best:
        return FOLD, 0
    return best_kind, best_to


def opponent_supported(agent: KernelAgent) -> bool:
    """Whether LBR can read this opponent: a policy, or a baseline whose play ignores its cards."""
    return agent.kind == KIND_POLICY or agent.kind in (KIND_CALL, KIND_FOLD, KIND_MIN_RAISE, KIND_RANDOM)
