"""Board-major layout of card buckets: a street's buckets as rows of canonical boards, columns of hole cards.

A street that sees ``k`` board cards keeps one row per canonical board (suit-isomorphism classes of the
board as one set, numbered as :class:`HandIndexer` numbers the shape ``(k,)``; the row's representative
is that indexer's canonical hand). A row holds one entry per combination of ``h`` hole cards from the
deck positions the representative leaves free, in colex order. Looking a hand up takes:

1. the board key: the colex rank of the board's deck positions (sorted by a network, no branches)
   selects ``row << 8 | perm`` in a board table, ``perm`` being the suit permutation that moves the
   board onto its representative (2 bits per suit);
2. the hole key: the hole cards moved by ``perm``, renumbered among the free positions, colex ranked.

A deal's board key is shared by every seat. A deck position is ``(rank - rank_lo) * num_suits + suit``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange

from holdem.abstraction.isomorphism import HandIndexer, index_of, popcount
from holdem.cards import NUM_RANKS

IDENTITY_PERM = 0b11100100
MAX_BOARD = 5
MAX_HOLE = 2
BINOM_N = 65
BINOM_K = 8


def binomials() -> np.ndarray:
    """``C(n, k)`` for n < 65 and k < 8, flattened row-major (``n * 8 + k``)."""
    out = np.zeros(BINOM_N * BINOM_K, dtype=np.int64)
    for n in range(BINOM_N):
        for k in range(BINOM_K):
            out[n * BINOM_K + k] = math.comb(n, k)
    out.setflags(write=False)
    return out


@njit(cache=True, inline="always")
def card_pos(c: int, num_suits: int, rank_lo: int) -> int:
    return ((c >> 2) - rank_lo) * num_suits + (c & 3)


@njit(cache=True, inline="always")
def perm_card(c: int, perm: int) -> int:
    return (c & ~3) | ((perm >> (2 * (c & 3))) & 3)


@njit(cache=True, inline="always")
def _compare_swap(a: int, b: int) -> tuple[int, int]:
    return min(a, b), max(a, b)


@njit(cache=True, inline="always")
def board_key(binom: np.ndarray, bo: int, cards: np.ndarray, start: int, k: int, num_suits: int, rank_lo: int) -> int:
    """Colex rank of the deck positions of ``cards[start:start + k]`` (k <= 5), sorted by a network;
    ``binom[bo:]`` holds :func:`binomials`."""
    if k == 0:
        return 0
    x0 = np.int64(card_pos(np.int64(cards[start]), num_suits, rank_lo))
    if k == 1:
        return x0
    x1 = np.int64(card_pos(np.int64(cards[start + 1]), num_suits, rank_lo))
    x0, x1 = _compare_swap(x0, x1)
    if k == 2:
        return binom[bo + x0 * BINOM_K + 1] + binom[bo + x1 * BINOM_K + 2]
    x2 = np.int64(card_pos(np.int64(cards[start + 2]), num_suits, rank_lo))
    x1, x2 = _compare_swap(x1, x2)
    x0, x1 = _compare_swap(x0, x1)
    if k == 3:
        return binom[bo + x0 * BINOM_K + 1] + binom[bo + x1 * BINOM_K + 2] + binom[bo + x2 * BINOM_K + 3]
    x3 = np.int64(card_pos(np.int64(cards[start + 3]), num_suits, rank_lo))
    x2, x3 = _compare_swap(x2, x3)
    x1, x2 = _compare_swap(x1, x2)
    x0, x1 = _compare_swap(x0, x1)
    if k == 4:
        return (binom[bo + x0 * BINOM_K + 1] + binom[bo + x1 * BINOM_K + 2] + binom[bo + x2 * BINOM_K + 3]
                + binom[bo + x3 * BINOM_K + 4])
    x4 = np.int64(card_pos(np.int64(cards[start + 4]), num_suits, rank_lo))
    x3, x4 = _compare_swap(x3, x4)
    x2, x3 = _compare_swap(x2, x3)
    x1, x2 = _compare_swap(x1, x2)
    x0, x1 = _compare_swap(x0, x1)
    return (binom[bo + x0 * BINOM_K + 1] + binom[bo + x1 * BINOM_K + 2] + binom[bo + x2 * BINOM_K + 3]
            + binom[bo + x3 * BINOM_K + 4] + binom[bo + x4 * BINOM_K + 5])


@njit(cache=True, inline="always")
def board_mask(cards: np.ndarray, start: int, k: int, perm: int, num_suits: int, rank_lo: int) -> int:
    """Deck-position mask of the board moved by ``perm`` (the row's representative)."""
    m = np.int64(0)
    for i in range(k):
        m |= np.int64(1) << card_pos(perm_card(np.int64(cards[start + i]), perm), num_suits, rank_lo)
    return m


@njit(cache=True, inline="always")
def _free_pos(c: int, perm: int, used: int, num_suits: int, rank_lo: int) -> int:
    p = card_pos(perm_card(c, perm), num_suits, rank_lo)
    return p - popcount(used & ((np.int64(1) << p) - 1))


@njit(cache=True, inline="always")
def hole_key(cards: np.ndarray, start: int, h: int, perm: int, used: int, num_suits: int, rank_lo: int) -> int:
    """Colex rank of ``h`` (1 or 2) hole cards moved by ``perm``, numbered among the positions ``used`` leaves."""
    r0 = _free_pos(np.int64(cards[start]), perm, used, num_suits, rank_lo)
    if h == 1:
        return r0
    r1 = _free_pos(np.int64(cards[start + 1]), perm, used, num_suits, rank_lo)
    lo = min(r0, r1)
    hi = max(r0, r1)
    return ((hi * (hi - 1)) >> 1) + lo


@njit(cache=True)
def _unrank_colex(binom: np.ndarray, t: int, k: int, out: np.ndarray) -> None:
    for i in range(k, 0, -1):
        c = i - 1
        while binom[(c + 1) * BINOM_K + i] <= t:
            c += 1
        out[i - 1] = c
        t -= binom[c * BINOM_K + i]


@njit(cache=True, parallel=True)
def _fill_board_table(binom: np.ndarray, tables: tuple, k: int, num_suits: int, rank_lo: int, reps: np.ndarray,
                      out: np.ndarray) -> None:
    """Per board (colex rank of its positions): its canonical row and the suit permutation onto that row's
    representative (each suit goes to a suit holding the same ranks there)."""
    n = out.shape[0]
    block = 4096
    for blk in prange((n + block - 1) // block):
        pos = np.empty(MAX_BOARD + 1, dtype=np.int64)
        cards = np.empty(MAX_BOARD, dtype=np.int32)
        have = np.zeros(4, dtype=np.int64)
        want = np.zeros(4, dtype=np.int64)
        _unrank_colex(binom, blk * block, k, pos)
        for t in range(blk * block, min(n, (blk + 1) * block)):
            if t > blk * block:
                i = 0
                while i + 1 < k and pos[i] + 1 == pos[i + 1]:
                    pos[i] = i
                    i += 1
                pos[i] += 1
            have[:] = 0
            want[:] = 0
            for i in range(k):
                cards[i] = 4 * (pos[i] // num_suits + rank_lo) + pos[i] % num_suits
                have[cards[i] & 3] |= np.int64(1) << (cards[i] >> 2)
            row = index_of(tables, 0, cards, 0, k)
            for i in range(k):
                want[reps[row, i] & 3] |= np.int64(1) << (reps[row, i] >> 2)
            perm = 0
            taken = 0
            ok = True
            for s in range(4):
                target = s
                if s < num_suits:
                    target = -1
                    for d in range(num_suits):
                        if not (taken >> d) & 1 and want[d] == have[s]:
                            target = d
                            break
                    if target < 0:
                        ok = False
                        target = 0
                    taken |= 1 << target
                perm |= target << (2 * s)
            out[t] = (row << 8) | perm if ok else -1


@dataclass(frozen=True)
class BoardRows:
    """Canonical boards of ``k`` cards of one deck: representatives, weights, and the board table."""

    num_ranks: int
    num_suits: int
    k: int
    reps: np.ndarray
    weights: np.ndarray
    table: np.ndarray

    @property
    def num_rows(self) -> int:
        return len(self.reps)

    @property
    def deck_size(self) -> int:
        return self.num_ranks * self.num_suits

    @property
    def rank_lo(self) -> int:
        return NUM_RANKS - self.num_ranks

    def stride(self, hole: int) -> int:
        """Entries per row: hole-card combinations of the positions a board leaves free."""
        return math.comb(self.deck_size - self.k, hole)

    def free_cards(self) -> np.ndarray:
        """Per row, the cards the representative leaves free, ascending (rows x (deck - k), int32)."""
        deck = np.array([4 * (p // self.num_suits + self.rank_lo) + p % self.num_suits
                         for p in range(self.deck_size)], dtype=np.int32)
        taken = np.zeros((self.num_rows, 64), dtype=bool)
        np.put_along_axis(taken, self.reps.astype(np.int64), True, axis=1)
        keep = ~taken[:, deck]
        return np.ascontiguousarray(np.broadcast_to(deck, keep.shape)[keep].reshape(self.num_rows, -1))


@lru_cache(maxsize=16)
def board_rows(num_ranks: int, num_suits: int, k: int) -> BoardRows:
    """The canonical boards of ``k`` cards (cached per process: the river's table has C(52, 5) entries)."""
    deck = num_ranks * num_suits
    if not 0 <= k <= MAX_BOARD or deck > 64 or k > deck:
        raise ValueError(f"no board layout for {k} cards of a {num_ranks}x{num_suits} deck")
    binom = binomials()
    if k == 0:
        reps = np.zeros((1, 0), dtype=np.int32)
        weights = np.ones(1, dtype=np.int64)
        table = np.array([IDENTITY_PERM], dtype=np.int32)
    else:
        indexer = HandIndexer.from_shapes(num_ranks, num_suits, [(k,)])
        ids = np.arange(indexer.size(0))
        reps = indexer.unindex(0, ids)
        weights = indexer.weights(0, ids)
        table = np.empty(math.comb(deck, k), dtype=np.int32)
        _fill_board_table(binom, indexer.tables(), k, num_suits, NUM_RANKS - num_ranks, reps, table)
        if (table < 0).any():
            raise AssertionError("a board has no suit permutation onto its canonical representative")
    for a in (reps, weights, table):
        a.setflags(write=False)
    return BoardRows(num_ranks, num_suits, k, reps, weights, table)


def hole_combos(free: int, hole: int) -> np.ndarray:
    """Hole-card combinations of ``free`` positions in colex order (the column order of board rows)."""
    if hole == 1:
        return np.arange(free, dtype=np.int64)[:, None]
    hi, lo = np.tril_indices(free, -1)
    return np.stack([lo, hi], axis=1).astype(np.int64)


def board_hands(num_ranks: int, num_suits: int, k: int, hole: int, row_ids: np.ndarray) -> np.ndarray:
    """Every cell of the given board rows as a hand (hole cards then the representative board): int32
    ``(len(row_ids) * stride, hole + k)``, cells in row-major order."""
    br = board_rows(num_ranks, num_suits, k)
    free = br.free_cards()[row_ids]
    combos = hole_combos(free.shape[1], hole)
    holes = free[:, combos]
    boards = np.broadcast_to(br.reps[row_ids][:, None, :], (len(row_ids), len(combos), k))
    return np.ascontiguousarray(np.concatenate([holes, boards], axis=2).reshape(-1, hole + k))
