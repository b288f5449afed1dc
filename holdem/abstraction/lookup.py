"""How kernels read card buckets: one read-only int64 array, and inlined numba lookups over it.

``CardAbstraction.kernel_data()`` is a single int64 array (so an inlined lookup extracts nothing from a
tuple: each extraction costs a pair of atomic reference-count operations, several times the lookup):

    [header: HDR words][street meta: M_BLK words per street][binomials 65 x 8][board tables: int32 pairs]
    [rows: bytes]

The header says whether the streets are hold'em's four in hold'em board mode (then :func:`deal_buckets_of` loads every
round's board entry before any row: the loads overlap, 2.5x faster on tables that miss the cache). A
street's meta gives its mode, deck, board-table word offset, rows byte offset, stride and width. Board
mode (see :mod:`holdem.abstraction.boards`): board key -> board-table entry ``row << 8 | perm`` -> hole key
-> the byte (uint16 when wide) at ``rows + (row * stride + hole key) * width``. Direct mode (lossless
streets of small exotic decks): the byte at ``rows + mixed-radix key of the cards' deck positions``.
Street modes are ``MODE_HOLDEM`` (board mode with the 52-card deck and 2 hole cards as constants, the
hot path), ``MODE_BOARD`` and ``MODE_DIRECT``.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import njit

from holdem.abstraction.boards import IDENTITY_PERM, binomials, board_key, board_mask, card_pos, hole_key
from holdem.prefetch import prefetch_read

MODE_DIRECT, MODE_BOARD, MODE_HOLDEM = 2, 3, 4
M_MODE, M_HOLE, M_SUITS, M_RANK_LO, M_DECK, M_BOARD_OFF, M_ROWS_OFF, M_STRIDE, M_WIDE, M_BINOM = range(10)
M_BLK = 12
H_STREETS, H_ALL_HOLDEM = 0, 1
HDR = 4


@njit(cache=True, inline="always")
def _value(kd: np.ndarray, x: int, wide: int) -> np.int32:
    """The byte (uint16 when ``wide``) at byte offset ``x`` of the array (little-endian words)."""
    w = kd[x >> 3] >> ((x & 7) << 3)
    if wide:
        return np.int32(w & 0xFFFF)
    return np.int32(w & 0xFF)


@njit(cache=True, inline="always")
def _entry(kd: np.ndarray, b: int, cards: np.ndarray, start: int, k: int, suits: int, rank_lo: int) -> int:
    """Board-table entry ``row << 8 | perm`` of the board ``cards[start:start + k]``."""
    key = board_key(kd, kd[b + M_BINOM], cards, start, k, suits, rank_lo)
    return (kd[kd[b + M_BOARD_OFF] + (key >> 1)] >> ((key & 1) << 5)) & 0xFFFFFFFF


@njit(cache=True, inline="always")
def _cell(kd: np.ndarray, b: int, cards: np.ndarray, start: int, k: int, hole_start: int, hole: int, suits: int,
          rank_lo: int) -> int:
    """Byte offset of the bucket of the hole cards at ``hole_start`` on the board at ``start``."""
    entry = _entry(kd, b, cards, start, k, suits, rank_lo)
    perm = entry & 0xFF
    used = board_mask(cards, start, k, perm, suits, rank_lo)
    cell = (entry >> 8) * kd[b + M_STRIDE] + hole_key(cards, hole_start, hole, perm, used, suits, rank_lo)
    return kd[b + M_ROWS_OFF] + (cell << kd[b + M_WIDE])


@njit(cache=True, inline="always")
def _direct(kd: np.ndarray, b: int, cards: np.ndarray, start: int, n: int) -> int:
    key = 0
    deck = kd[b + M_DECK]
    for i in range(n):
        key = key * deck + card_pos(np.int64(cards[start + i]), kd[b + M_SUITS], kd[b + M_RANK_LO])
    return kd[b + M_ROWS_OFF] + (key << kd[b + M_WIDE])


@njit(cache=True, inline="always")
def bucket_of(kernel_data: np.ndarray, street: int, cards: np.ndarray, num_cards: int) -> np.int32:
    """Bucket of a hand: hole cards then board in deal order (first ``num_cards`` of ``cards``)."""
    kd = kernel_data
    b = HDR + street * M_BLK
    mode = kd[b + M_MODE]
    if mode == MODE_HOLDEM:
        x = _cell(kd, b, cards, 2, num_cards - 2, 0, 2, 4, 0)
    elif mode == MODE_BOARD:
        hole = kd[b + M_HOLE]
        x = _cell(kd, b, cards, hole, num_cards - hole, 0, hole, kd[b + M_SUITS], kd[b + M_RANK_LO])
    else:
        x = _direct(kd, b, cards, 0, num_cards)
    return _value(kd, x, kd[b + M_WIDE])


@njit(cache=True, inline="always")
def _seats(kd: np.ndarray, b: int, cards: np.ndarray, players: int, hole: int, k: int, suits: int, rank_lo: int,
           out: np.ndarray, col: int) -> None:
    start = players * hole
    entry = _entry(kd, b, cards, start, k, suits, rank_lo)
    perm = entry & 0xFF
    used = board_mask(cards, start, k, perm, suits, rank_lo)
    base = (entry >> 8) * kd[b + M_STRIDE]
    rows = kd[b + M_ROWS_OFF]
    wide = kd[b + M_WIDE]
    for p in range(players):
        cell = base + hole_key(cards, p * hole, hole, perm, used, suits, rank_lo)
        out[p, col] = _value(kd, rows + (cell << wide), wide)


@njit(cache=True, inline="always")
def street_buckets_of(kernel_data: np.ndarray, street: int, cards: np.ndarray, players: int, hole: int, k: int,
                      hand: np.ndarray, out: np.ndarray, col: int) -> None:
    """``out[p, col]`` = bucket of seat p on ``street`` for a deal laid out as every seat's hole cards then the
    board (``k`` board cards visible). A board-mode street computes its board key once for all seats;
    ``hand`` is scratch of at least hole + k cards."""
    kd = kernel_data
    b = HDR + street * M_BLK
    mode = kd[b + M_MODE]
    if mode == MODE_HOLDEM:
        _seats(kd, b, cards, players, 2, k, 4, 0, out, col)
    elif mode == MODE_BOARD:
        _seats(kd, b, cards, players, hole, k, kd[b + M_SUITS], kd[b + M_RANK_LO], out, col)
    else:
        start = players * hole
        for p in range(players):
            for j in range(hole):
                hand[j] = cards[p * hole + j]
            for j in range(k):
                hand[hole + j] = cards[start + j]
            out[p, col] = _value(kd, _direct(kd, b, hand, 0, hole + k), kd[b + M_WIDE])


@njit(cache=True, inline="always")
def _holdem_row(kd: np.ndarray, b: int, entry: int, cards: np.ndarray, start: int, k: int) -> tuple[int, int, int]:
    """Where a hold'em street's row starts (byte offset of its first cell, before the width shift), the suit
    permutation and the representative's mask, for the board entry ``entry`` of ``cards[start:start + k]``."""
    perm = entry & 0xFF
    return (entry >> 8) * kd[b + M_STRIDE], perm, board_mask(cards, start, k, perm, 4, 0)


@njit(cache=True, inline="always")
def _holdem_cell(rows: int, wide: int, base: int, cards: np.ndarray, p: int, perm: int, used: int) -> int:
    """Byte offset of seat p's bucket in the row at ``base`` (see :func:`_holdem_row`) of a street whose rows
    start at byte ``rows``, ``wide`` if its buckets are uint16."""
    return rows + ((base + hole_key(cards, p * 2, 2, perm, used, 4, 0)) << wide)


@njit(cache=True, inline="always")
def _holdem_seats(kd: np.ndarray, b: int, entry: int, cards: np.ndarray, players: int, k: int, out: np.ndarray,
                  col: int) -> None:
    base, perm, used = _holdem_row(kd, b, entry, cards, players * 2, k)
    rows, wide = kd[b + M_ROWS_OFF], kd[b + M_WIDE]
    for p in range(players):
        out[p, col] = _value(kd, _holdem_cell(rows, wide, base, cards, p, perm, used), wide)


@njit(cache=True)
def deal_buckets_of(kernel_data: np.ndarray, cards: np.ndarray, players: int, hole: int, board_counts: np.ndarray,
                    hand: np.ndarray, out: np.ndarray) -> None:
    """``out[p, r]`` = bucket of seat p in round r of a deal laid out as every seat's hole cards then the
    board; ``board_counts[r]`` is the number of board cards visible in round r (see :func:`street_buckets_of`)."""
    kd = kernel_data
    rounds = out.shape[1]
    if kd[H_ALL_HOLDEM] and rounds == 4:
        start = players * 2
        e1 = _entry(kd, HDR + M_BLK, cards, start, 3, 4, 0)
        e2 = _entry(kd, HDR + 2 * M_BLK, cards, start, 4, 4, 0)
        e3 = _entry(kd, HDR + 3 * M_BLK, cards, start, 5, 4, 0)
        _holdem_seats(kd, HDR, IDENTITY_PERM, cards, players, 0, out, 0)
        _holdem_seats(kd, HDR + M_BLK, e1, cards, players, 3, out, 1)
        _holdem_seats(kd, HDR + 2 * M_BLK, e2, cards, players, 4, out, 2)
        _holdem_seats(kd, HDR + 3 * M_BLK, e3, cards, players, 5, out, 3)
        return
    for r in range(rounds):
        street_buckets_of(kernel_data, r, cards, players, hole, board_counts[r], hand, out, r)


@njit(cache=True, inline="always")
def holdem_deal_keys(kernel_data: np.ndarray, ring_cards: np.ndarray, slot: int, players: int,
                     ring_keys: np.ndarray, lo: int = 0, hi: int = 3) -> None:
    """First of three steps that look a hold'em deal's buckets up (rounds ``lo..hi``) without waiting on memory:
    for the deal ``ring_cards[slot]``, each postflop round's board key into ``ring_keys[slot, r]``, its board
    entry asked of the memory system (a prefetch). The second step (:func:`holdem_deal_cells`) and the third
    (:func:`holdem_deal_values`) follow on later deals' turns (the kernels' deal ring,
    :func:`holdem.mccfr.kernels_common.deal_ahead`): run far enough ahead, each lookup finds its lines in the
    cache. Keys and cells are indexed by slot, not through row views of the ring: on deals already in the cache
    that took turn lookups from 47 M to 89 M a second."""
    kd = kernel_data
    start = players * 2
    for r in range(max(lo, 1), hi + 1):
        b = HDR + r * M_BLK
        key = board_key(kd, kd[b + M_BINOM], ring_cards[slot], start, r + 2, 4, 0)
        ring_keys[slot, r] = key
        prefetch_read(kd, kd[b + M_BOARD_OFF] + (key >> 1))


@njit(cache=True, inline="always")
def holdem_deal_cells(kernel_data: np.ndarray, ring_cards: np.ndarray, slot: int, players: int,
                      ring_keys: np.ndarray, ring_cells: np.ndarray, lo: int = 0, hi: int = 3) -> None:
    """Second step: from the board entries of ``ring_keys[slot]``, ``ring_cells[slot, p, r]`` = byte offset of
    seat p's bucket in round r, each asked of the memory system."""
    kd = kernel_data
    cards = ring_cards[slot]
    for r in range(lo, hi + 1):
        b = HDR + r * M_BLK
        entry = IDENTITY_PERM
        k = 0
        if r > 0:
            key = ring_keys[slot, r]
            entry = (kd[kd[b + M_BOARD_OFF] + (key >> 1)] >> ((key & 1) << 5)) & 0xFFFFFFFF
            k = r + 2
        base, perm, used = _holdem_row(kd, b, entry, cards, players * 2, k)
        rows, wide = kd[b + M_ROWS_OFF], kd[b + M_WIDE]
        for p in range(players):
            cell = _holdem_cell(rows, wide, base, cards, p, perm, used)
            ring_cells[slot, p, r] = cell
            prefetch_read(kd, cell >> 3)


@njit(cache=True, inline="always")
def holdem_deal_values(kernel_data: np.ndarray, ring_cells: np.ndarray, slot: int, out: np.ndarray, lo: int = 0,
                       hi: int = 3) -> None:
    """Third step: ``out[p, r]`` = the bucket at ``ring_cells[slot, p, r]``."""
    kd = kernel_data
    for r in range(lo, hi + 1):
        wide = kd[HDR + r * M_BLK + M_WIDE]
        for p in range(ring_cells.shape[1]):
            out[p, r] = _value(kd, ring_cells[slot, p, r], wide)


@njit(cache=True, inline="always")
def is_holdem_kernel_data(kernel_data: np.ndarray) -> bool:
    """Whether :func:`holdem_deal_keys` and the steps after it apply (the four hold'em streets in board mode)."""
    return kernel_data[H_ALL_HOLDEM] != 0


@njit(cache=True)
def bucket_rows(kernel_data: np.ndarray, street: int, cards: np.ndarray, out: np.ndarray) -> None:
    k = cards.shape[1]
    for i in range(cards.shape[0]):
        out[i] = bucket_of(kernel_data, street, cards[i], k)


def pack_kernel_data(streets: list[dict], holdem: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    """The kernel array of streets given as ``{mode, hole, suits, rank_lo, deck, board_table, rows}``, and each
    street's rows as a read-only view into it (so the caller can drop its own copy). ``holdem``: the deal is
    hold'em's (2 hole cards of 52, board 0/3/4/5 cards by round)."""
    if sys.byteorder != "little":
        raise RuntimeError("bucket lookups read bytes out of little-endian words")
    n = len(streets)
    binom_off = HDR + M_BLK * n
    words = binom_off + len(binomials())
    board_offs: dict[int, int] = {}
    tables: dict[int, np.ndarray] = {}
    for s in streets:
        t = s.get("board_table")
        if t is not None and id(t) not in board_offs:
            board_offs[id(t)] = words
            tables[id(t)] = t
            words += (len(t) + 1) // 2
    row_offs = []
    nbytes = words * 8
    for s in streets:
        nbytes += nbytes % 2
        row_offs.append(nbytes)
        nbytes += s["rows"].nbytes
    kd = np.zeros((nbytes + 7) // 8, dtype=np.int64)
    view = kd.view(np.uint8)
    kd[binom_off : binom_off + len(binomials())] = binomials()
    for key, t in tables.items():
        off = board_offs[key]
        kd[off : off + (len(t) + 1) // 2].view(np.int32)[: len(t)] = t
    out_rows = []
    kd[H_STREETS] = n
    kd[H_ALL_HOLDEM] = int(holdem and n == 4 and all(s["mode"] == MODE_HOLDEM for s in streets))
    for st, s in enumerate(streets):
        b = HDR + M_BLK * st
        rows = s["rows"]
        wide = int(rows.dtype == np.uint16)
        kd[b + M_MODE] = s["mode"]
        kd[b + M_HOLE] = s["hole"]
        kd[b + M_SUITS] = s["suits"]
        kd[b + M_RANK_LO] = s["rank_lo"]
        kd[b + M_DECK] = s["deck"]
        kd[b + M_BOARD_OFF] = board_offs[id(s["board_table"])] if s.get("board_table") is not None else -1
        kd[b + M_ROWS_OFF] = row_offs[st]
        kd[b + M_STRIDE] = rows.shape[1]
        kd[b + M_WIDE] = wide
        kd[b + M_BINOM] = binom_off
        dest = view[row_offs[st] : row_offs[st] + rows.nbytes].view(rows.dtype).reshape(rows.shape)
        dest[...] = rows
        dest.setflags(write=False)
        out_rows.append(dest)
    kd.setflags(write=False)
    return kd, out_rows


__all__ = ["MODE_BOARD", "MODE_DIRECT", "MODE_HOLDEM", "bucket_of", "bucket_rows", "deal_buckets_of",
           "pack_kernel_data", "street_buckets_of"]
