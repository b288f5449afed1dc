"""The rules of a heads-up hand as numba functions over a small int64 state array.

This is the compiled twin of :class:`holdem.engine.HandState` restricted to two seats, limit or no-limit,
with antes and blinds; the engine stays the oracle (tests replay compiled hands through it). With two
seats the engine's multi-way rules reduce to a few lines: a raise is refused once the other seat is all
in, so short all-ins never need to reopen the betting, and a showdown pays the matched contributions
(the uncalled excess goes back).

Game constants live in an int64 array built once by :func:`game_params`; a hand is a state array of
``STATE_SIZE`` entries (stacks, street bets, contributions, who is in, street, largest bet, largest raise
increment, raises this street, the actor queue and a finished flag).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from holdem.games import GameDef

NO_CAP = 1 << 40

G_LIMIT, G_ROUNDS, G_HOLE, G_BOARD_TOTAL, G_DECK_SIZE = 0, 1, 2, 3, 4
G_STACK, G_BLIND, G_ANTE, G_FIRST, G_STEP, G_CAP, G_VISIBLE = 5, 7, 9, 11, 15, 19, 23
G_ODD_FIRST = 27
GAME_SIZE = 28

S_STACK, S_BET, S_CONTRIB, S_IN = 0, 2, 4, 6
S_STREET, S_MAXBET, S_FULL, S_RAISES, S_QLEN, S_Q, S_DONE = 8, 9, 10, 11, 12, 13, 15
STATE_SIZE = 16

FOLD, CALL, RAISE = 0, 1, 2


def supports(game: GameDef) -> bool:
    """Whether the compiled rules cover ``game`` (two seats)."""
    return game.num_players == 2


def game_params(game: GameDef) -> np.ndarray:
    """The constants the kernels read, as one int64 array (heads-up games only)."""
    if not supports(game):
        raise ValueError(f"{game.name}: the compiled rules are heads-up only, it seats {game.num_players}")
    g = np.zeros(GAME_SIZE, dtype=np.int64)
    rounds = game.num_rounds
    g[G_LIMIT] = int(game.is_limit)
    g[G_ROUNDS] = rounds
    g[G_HOLE] = game.num_hole_cards
    g[G_BOARD_TOTAL] = game.total_board_cards
    g[G_DECK_SIZE] = game.deck_size
    g[G_STACK:G_STACK + 2] = game.stack
    g[G_BLIND:G_BLIND + 2] = game.blind
    g[G_ANTE:G_ANTE + 2] = game.ante
    for r in range(rounds):
        g[G_FIRST + r] = game.first_player[r]
        g[G_STEP + r] = game.raise_size[r] if game.is_limit else game.min_bet
        g[G_CAP + r] = game.max_raises[r] if game.is_limit else NO_CAP
        g[G_VISIBLE + r] = game.board_cards_before(r)
    g[G_ODD_FIRST] = game.first_player[-1]
    return g


@njit(cache=True)
def new_hand(g: np.ndarray, st: np.ndarray) -> None:
    """Post antes and blinds and open the first round (later rounds when nobody can act)."""
    for s in range(2):
        stack = g[G_STACK + s]
        ante = min(g[G_ANTE + s], stack)
        stack -= ante
        blind = min(g[G_BLIND + s], stack)
        stack -= blind
        st[S_STACK + s] = stack
        st[S_BET + s] = blind
        st[S_CONTRIB + s] = ante + blind
        st[S_IN + s] = 1
    st[S_STREET] = 0
    st[S_MAXBET] = max(st[S_BET], st[S_BET + 1])
    st[S_DONE] = 0
    if not _open_street(g, st):
        _end_street(g, st)


@njit(cache=True)
def _open_street(g: np.ndarray, st: np.ndarray) -> bool:
    st[S_FULL] = 0
    st[S_RAISES] = 0
    callable_total = min(st[S_STACK] + st[S_BET], st[S_STACK + 1] + st[S_BET + 1])
    first = g[G_FIRST + st[S_STREET]]
    n = 0
    for k in range(2):
        s = (first + k) % 2
        if st[S_IN + s] == 1 and st[S_STACK + s] > 0 and callable_total > st[S_BET + s]:
            st[S_Q + n] = s
            n += 1
    if n == 1 and st[S_BET + st[S_Q]] >= st[S_MAXBET]:
        n = 0
    st[S_QLEN] = n
    return n > 0


@njit(cache=True)
def _end_street(g: np.ndarray, st: np.ndarray) -> None:
    last = g[G_ROUNDS] - 1
    while st[S_STREET] < last:
        st[S_STREET] += 1
        st[S_BET] = 0
        st[S_BET + 1] = 0
        st[S_MAXBET] = 0
        if _open_street(g, st):
            return
    st[S_QLEN] = 0
    st[S_DONE] = 1


@njit(cache=True)
def actor(st: np.ndarray) -> int:
    """Seat to act, or -1 once the hand is over."""
    return st[S_Q] if st[S_QLEN] > 0 else -1


@njit(cache=True)
def _pop(st: np.ndarray) -> None:
    st[S_Q] = st[S_Q + 1]
    st[S_QLEN] -= 1


@njit(cache=True)
def pot(st: np.ndarray) -> int:
    return st[S_CONTRIB] + st[S_CONTRIB + 1]


@njit(cache=True)
def can_fold(st: np.ndarray) -> bool:
    return st[S_QLEN] > 0 and st[S_BET + st[S_Q]] < st[S_MAXBET]


@njit(cache=True)
def can_raise(g: np.ndarray, st: np.ndarray) -> bool:
    """Whether the actor may bet or raise: cap not reached, chips beyond the call, the other seat not all in."""
    if st[S_QLEN] == 0:
        return False
    seat = st[S_Q]
    if st[S_RAISES] >= g[G_CAP + st[S_STREET]]:
        return False
    need = st[S_MAXBET] - st[S_BET + seat]
    if st[S_STACK + seat] <= need or need < st[S_FULL]:
        return False
    other = 1 - seat
    return st[S_IN + other] == 1 and st[S_STACK + other] + st[S_BET + other] > st[S_MAXBET]


@njit(cache=True)
def min_raise_to(g: np.ndarray, st: np.ndarray) -> int:
    """Smallest legal bet/raise as the actor's street bet (call :func:`can_raise` first)."""
    seat = st[S_Q]
    step = g[G_STEP + st[S_STREET]]
    full = st[S_FULL]
    target = st[S_MAXBET] + (full if full > step else step)
    return min(target, st[S_STACK + seat] + st[S_BET + seat])


@njit(cache=True)
def max_raise_to(g: np.ndarray, st: np.ndarray) -> int:
    """Largest legal bet/raise: all in, or the fixed size in limit games."""
    if g[G_LIMIT] == 1:
        return min_raise_to(g, st)
    seat = st[S_Q]
    return st[S_STACK + seat] + st[S_BET + seat]


@njit(cache=True)
def raise_to_fraction(g: np.ndarray, st: np.ndarray, fraction: float) -> int:
    """Street bet adding ``fraction`` of the pot after calling, clipped to [min raise, all in]."""
    seat = st[S_Q]
    top = st[S_MAXBET]
    pot_after_call = pot(st) + top - st[S_BET + seat]
    target = top + int(fraction * pot_after_call + 0.5)
    return min(max(target, min_raise_to(g, st)), max_raise_to(g, st))


@njit(cache=True)
def fold(g: np.ndarray, st: np.ndarray) -> None:
    st[S_IN + st[S_Q]] = 0
    st[S_QLEN] = 0
    st[S_DONE] = 1


@njit(cache=True)
def call(g: np.ndarray, st: np.ndarray) -> None:
    seat = st[S_Q]
    amount = min(st[S_MAXBET] - st[S_BET + seat], st[S_STACK + seat])
    st[S_BET + seat] += amount
    st[S_STACK + seat] -= amount
    st[S_CONTRIB + seat] += amount
    _pop(st)
    if st[S_QLEN] == 0:
        _end_street(g, st)


@njit(cache=True)
def bet_or_raise(g: np.ndarray, st: np.ndarray, to: int) -> None:
    """Raise so the actor's street bet becomes ``to`` (legality is the caller's)."""
    seat = st[S_Q]
    increment = to - st[S_MAXBET]
    delta = to - st[S_BET + seat]
    st[S_BET + seat] = to
    st[S_STACK + seat] -= delta
    st[S_CONTRIB + seat] += delta
    st[S_MAXBET] = to
    other = 1 - seat
    st[S_Q] = other
    st[S_QLEN] = 1
    if increment > st[S_FULL]:
        st[S_FULL] = increment
    st[S_RAISES] += 1


@njit(cache=True)
def apply(g: np.ndarray, st: np.ndarray, kind: int, to: int) -> None:
    if kind == FOLD:
        fold(g, st)
    elif kind == CALL:
        call(g, st)
    else:
        bet_or_raise(g, st, to)


@njit(cache=True)
def legal(g: np.ndarray, st: np.ndarray, kind: int, to: int) -> bool:
    """Whether the actor may make the move (a fold only facing a bet, a raise within [min, max])."""
    if st[S_QLEN] == 0:
        return False
    if kind == FOLD:
        return can_fold(st)
    if kind == CALL:
        return True
    if not can_raise(g, st):
        return False
    return min_raise_to(g, st) <= to <= max_raise_to(g, st)


@njit(cache=True)
def matched(st: np.ndarray) -> int:
    """Chips each seat has at stake in a showdown: the smaller contribution."""
    return min(st[S_CONTRIB], st[S_CONTRIB + 1])


@njit(cache=True)
def payoff(st: np.ndarray, seat: int, rank_seat: int, rank_other: int) -> int:
    """Chips ``seat`` wins in a finished hand; the ranks are read only at a showdown."""
    other = 1 - seat
    if st[S_IN + other] == 0:
        return st[S_CONTRIB + other]
    if st[S_IN + seat] == 0:
        return -st[S_CONTRIB + seat]
    m = matched(st)
    if rank_seat > rank_other:
        return m
    if rank_seat < rank_other:
        return -m
    return 0
