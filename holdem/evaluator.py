"""Poker hand evaluator for 5, 6 and 7 cards: dense ranks 1..7462, higher is better, equal for ties.

Cards are ints ``4 * rank + suit`` (see ``holdem.cards``). A hand's key is the sum of per-card keys: the low
32 bits hold the rank multiset in base 5 and bits 32..47 hold four 4-bit suit counters. A suit with five
or more cards selects a 13-bit flush table; otherwise a perfect hash of the rank multiset indexes a
table of best 5-card ranks. Both tables are built deterministically at import in well under a second.

From another numba kernel call the scalar forms directly::

    from holdem.evaluator import eval7, eval_cards

    @njit(cache=True)
    def kernel(hole, board):                     # int arrays of card codes
        r = eval7(hole[0], hole[1], board[0], board[1], board[2], board[3], board[4])
        s = eval_cards(board, 5)                 # first 5 entries of a 1-D int array
"""

from __future__ import annotations

import numpy as np
from numba import njit

N_CARDS = 52
N_HAND_RANKS = 7462
CATEGORY_NAMES: tuple[str, ...] = (
    "high card",
    "one pair",
    "two pair",
    "three of a kind",
    "straight",
    "flush",
    "full house",
    "four of a kind",
    "straight flush",
)
HIGH_CARD, ONE_PAIR, TWO_PAIR, TRIPS, STRAIGHT, FLUSH, FULL_HOUSE, QUADS, STRAIGHT_FLUSH = range(9)

_SUIT_SHIFT = 32
_FLUSH_BASE = np.int64(0x3333 << _SUIT_SHIFT)
_FLUSH_FLAGS = np.int64(0x8888 << _SUIT_SHIFT)
_RANK_MASK = np.int64((1 << _SUIT_SHIFT) - 1)
_TABLE_BITS = 17
_BUCKET_BITS = 13
_HASH_BITS = 32
_BUCKET_SHIFT = _HASH_BITS - _BUCKET_BITS
_POS_SHIFT = _BUCKET_SHIFT - _TABLE_BITS
_POS_MASK = (1 << _TABLE_BITS) - 1
_BUCKET_MASK = (1 << _BUCKET_BITS) - 1
_HASH_MASK = (1 << _HASH_BITS) - 1


def _rank_multisets() -> np.ndarray:
    """All rank-count vectors (13 ranks, each count 0..4) holding 5 to 7 cards, shape (m, 13)."""
    counts = np.zeros((1, 0), dtype=np.int64)
    for _ in range(13):
        parts = [np.hstack([counts, np.full((len(counts), 1), c)]) for c in range(5)]
        counts = np.vstack(parts)
        counts = counts[counts.sum(axis=1) <= 7]
    return counts[counts.sum(axis=1) >= 5]


def _strength5(ranks: list[int], flush: bool) -> int:
    """Orderable strength of five cards given their ranks: category then tie-break ranks in base 13."""
    counts = {r: ranks.count(r) for r in set(ranks)}
    order = sorted(counts, key=lambda r: (counts[r], r), reverse=True)
    shape = sorted(counts.values(), reverse=True)
    distinct = sorted(counts)
    straight_top = -1
    if len(distinct) == 5:
        if distinct[4] - distinct[0] == 4:
            straight_top = distinct[4]
        elif distinct == [0, 1, 2, 3, 12]:
            straight_top = 3
    if straight_top >= 0:
        cat, tie = (STRAIGHT_FLUSH if flush else STRAIGHT), [straight_top]
    elif flush:
        cat, tie = FLUSH, order
    else:
        cat = {
            (4, 1): QUADS,
            (3, 2): FULL_HOUSE,
            (3, 1, 1): TRIPS,
            (2, 2, 1): TWO_PAIR,
            (2, 1, 1, 1): ONE_PAIR,
            (1, 1, 1, 1, 1): HIGH_CARD,
        }[tuple(shape)]
        tie = order
    value = cat
    for i in range(5):
        value = value * 13 + (tie[i] if i < len(tie) else 0)
    return value


def _popcount13(masks: np.ndarray) -> np.ndarray:
    return ((masks[:, None] >> np.arange(13)) & 1).sum(axis=1)


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Build card keys, the flush table, the perfect-hash tables and the rank-to-category map."""
    pow5 = 5 ** np.arange(13, dtype=np.int64)
    card_key = np.array(
        [pow5[c >> 2] + (1 << (_SUIT_SHIFT + 4 * (c & 3))) for c in range(N_CARDS)], dtype=np.int64
    )

    multisets = _rank_multisets()
    sizes = multisets.sum(axis=1)
    keys = multisets @ pow5
    five = multisets[sizes == 5]
    five_ranks = [[r for r in range(13) for _ in range(row[r])] for row in five]
    masks = np.arange(1 << 13, dtype=np.int64)
    pop = _popcount13(masks)
    flush5 = masks[pop == 5]
    strengths_nf = np.array([_strength5(rs, False) for rs in five_ranks], dtype=np.int64)
    strengths_fl = np.array(
        [_strength5([r for r in range(13) if m >> r & 1], True) for m in flush5], dtype=np.int64
    )
    ordered = np.unique(np.concatenate([strengths_nf, strengths_fl]))
    if len(ordered) != N_HAND_RANKS:
        raise RuntimeError(f"evaluator tables: {len(ordered)} distinct 5-card classes, expected 7462")

    category_of_rank = np.zeros(N_HAND_RANKS + 1, dtype=np.int8)
    category_of_rank[1:] = ordered // 13**5

    flush_table = np.zeros(1 << 13, dtype=np.int16)
    flush_table[flush5] = np.searchsorted(ordered, strengths_fl) + 1
    for n in (6, 7):
        sel = masks[pop == n]
        best = np.zeros(len(sel), dtype=np.int16)
        for r in range(13):
            has = (sel >> r & 1) == 1
            best[has] = np.maximum(best[has], flush_table[sel[has] ^ (1 << r)])
        flush_table[sel] = best

    value = np.zeros(len(keys), dtype=np.int16)
    value[sizes == 5] = np.searchsorted(ordered, strengths_nf) + 1
    order = np.argsort(keys)
    sorted_keys = keys[order]
    for n in (6, 7):
        idx = np.flatnonzero(sizes == n)
        best = np.zeros(len(idx), dtype=np.int16)
        for r in range(13):
            has = multisets[idx, r] > 0
            sub = order[np.searchsorted(sorted_keys, keys[idx[has]] - pow5[r])]
            best[has] = np.maximum(best[has], value[sub])
        value[idx] = best

    mul, disp, slots = _perfect_hash(keys)
    hash_table = np.zeros(1 << _TABLE_BITS, dtype=np.int16)
    hash_table[slots] = value
    return card_key, flush_table, disp, hash_table, category_of_rank, mul


def _perfect_hash(keys: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Hash-and-displace: slot = pos(key) ^ disp[bucket(key)], collision-free over ``keys``."""
    size = 1 << _TABLE_BITS
    for attempt in range(256):
        mul = (0x9E3779B1 + 0x7F4A7C16 * attempt) & 0xFFFFFFFF | 1
        h = keys * mul & _HASH_MASK
        bucket = (h >> _BUCKET_SHIFT) & _BUCKET_MASK
        pos = (h >> _POS_SHIFT) & _POS_MASK
        if len(np.unique(bucket << _TABLE_BITS | pos)) < len(keys):
            continue
        by_bucket = np.argsort(bucket, kind="stable")
        starts = np.searchsorted(bucket[by_bucket], np.arange(_BUCKET_MASK + 2))
        sizes = np.diff(starts)
        used = np.zeros(size, dtype=bool)
        disp = np.zeros(_BUCKET_MASK + 1, dtype=np.int64)
        trial = np.arange(256, dtype=np.int64)
        placed = True
        for b in np.argsort(-sizes, kind="stable"):
            if sizes[b] == 0:
                break
            p = pos[by_bucket[starts[b] : starts[b + 1]]]
            for base in range(0, size, len(trial)):
                free = ~used[p[:, None] ^ (trial + base)].any(axis=0)
                if free.any():
                    d = base + int(np.argmax(free))
                    break
            else:
                placed = False
                break
            disp[b] = d
            used[p ^ d] = True
        if placed:
            return mul, disp, pos ^ disp[bucket]
    raise RuntimeError("evaluator tables: no perfect hash found")


CARD_KEY, FLUSH_TABLE, HASH_DISP, HASH_TABLE, CATEGORY_OF_RANK, _HASH_MUL = _build_tables()
CATEGORY_MIN_RANK = np.searchsorted(CATEGORY_OF_RANK[1:], np.arange(9)).astype(np.int32) + 1
for _table in (CARD_KEY, FLUSH_TABLE, HASH_DISP, HASH_TABLE, CATEGORY_OF_RANK, CATEGORY_MIN_RANK):
    _table.setflags(write=False)


@njit(cache=True)
def _flush_suit(key: int) -> int:
    flags = (key + _FLUSH_BASE) & _FLUSH_FLAGS
    if flags == 0:
        return -1
    s = 0
    while ((flags >> (_SUIT_SHIFT + 4 * s + 3)) & 1) == 0:
        s += 1
    return s


@njit(cache=True, inline="always")
def _nonflush(key: int) -> np.int32:
    h = (key & _RANK_MASK) * _HASH_MUL & _HASH_MASK
    slot = ((h >> _POS_SHIFT) & _POS_MASK) ^ HASH_DISP[(h >> _BUCKET_SHIFT) & _BUCKET_MASK]
    return np.int32(HASH_TABLE[slot])


@njit(cache=True)
def eval_cards(cards: np.ndarray, count: int) -> np.int32:
    """Rank (1..7462) of the first ``count`` (5..7) card codes of a 1-D int array; numba-callable."""
    key = np.int64(0)
    for i in range(count):
        key += CARD_KEY[cards[i]]
    if ((key + _FLUSH_BASE) & _FLUSH_FLAGS) == 0:
        return _nonflush(key)
    s = _flush_suit(key)
    m = 0
    for i in range(count):
        if (cards[i] & 3) == s:
            m |= 1 << (cards[i] >> 2)
    return np.int32(FLUSH_TABLE[m])


@njit(cache=True, inline="always")
def _flush_bit(c: int, s: int) -> int:
    return (1 << (c >> 2)) if (c & 3) == s else 0


@njit(cache=True)
def eval7(c0: int, c1: int, c2: int, c3: int, c4: int, c5: int, c6: int) -> np.int32:
    """Rank (1..7462) of seven distinct card codes; numba-callable, no input checks."""
    key = (
        CARD_KEY[c0] + CARD_KEY[c1] + CARD_KEY[c2] + CARD_KEY[c3] + CARD_KEY[c4] + CARD_KEY[c5] + CARD_KEY[c6]
    )
    if ((key + _FLUSH_BASE) & _FLUSH_FLAGS) == 0:
        return _nonflush(key)
    s = _flush_suit(key)
    m = (
        _flush_bit(c0, s)
        | _flush_bit(c1, s)
        | _flush_bit(c2, s)
        | _flush_bit(c3, s)
        | _flush_bit(c4, s)
        | _flush_bit(c5, s)
        | _flush_bit(c6, s)
    )
    return np.int32(FLUSH_TABLE[m])


@njit(cache=True)
def eval6(c0: int, c1: int, c2: int, c3: int, c4: int, c5: int) -> np.int32:
    """Rank (1..7462) of six distinct card codes; numba-callable, no input checks."""
    key = CARD_KEY[c0] + CARD_KEY[c1] + CARD_KEY[c2] + CARD_KEY[c3] + CARD_KEY[c4] + CARD_KEY[c5]
    if ((key + _FLUSH_BASE) & _FLUSH_FLAGS) == 0:
        return _nonflush(key)
    s = _flush_suit(key)
    m = (
        _flush_bit(c0, s)
        | _flush_bit(c1, s)
        | _flush_bit(c2, s)
        | _flush_bit(c3, s)
        | _flush_bit(c4, s)
        | _flush_bit(c5, s)
    )
    return np.int32(FLUSH_TABLE[m])


@njit(cache=True)
def eval5(c0: int, c1: int, c2: int, c3: int, c4: int) -> np.int32:
    """Rank (1..7462) of five distinct card codes; numba-callable, no input checks."""
    key = CARD_KEY[c0] + CARD_KEY[c1] + CARD_KEY[c2] + CARD_KEY[c3] + CARD_KEY[c4]
    if ((key + _FLUSH_BASE) & _FLUSH_FLAGS) == 0:
        return _nonflush(key)
    s = _flush_suit(key)
    m = _flush_bit(c0, s) | _flush_bit(c1, s) | _flush_bit(c2, s) | _flush_bit(c3, s) | _flush_bit(c4, s)
    return np.int32(FLUSH_TABLE[m])


@njit(cache=True)
def board_key(board: np.ndarray, count: int, suit_masks: np.ndarray) -> np.int64:
    """Key of the first ``count`` board cards; each suit's rank mask goes to ``suit_masks`` (see eval_on_board)."""
    key = np.int64(0)
    for s in range(4):
        suit_masks[s] = 0
    for i in range(count):
        c = board[i]
        key += CARD_KEY[c]
        suit_masks[c & 3] |= 1 << (c >> 2)
    return key


@njit(cache=True)
def eval_on_board(key_of_board: np.int64, suit_masks: np.ndarray, a: int, b: int) -> np.int32:
    """Rank of hole cards ``a, b`` with a five-card board summarised by :func:`board_key` (equals ``eval7``)."""
    key = key_of_board + CARD_KEY[a] + CARD_KEY[b]
    if ((key + _FLUSH_BASE) & _FLUSH_FLAGS) == 0:
        return _nonflush(key)
    s = _flush_suit(key)
    return np.int32(FLUSH_TABLE[suit_masks[s] | _flush_bit(a, s) | _flush_bit(b, s)])


@njit(cache=True)
def _first_bad_row(cards: np.ndarray) -> int:
    n, k = cards.shape
    for i in range(n):
        seen = np.int64(0)
        bad = False
        for j in range(k):
            c = np.int64(cards[i, j])
            if c < 0 or c >= N_CARDS:
                bad = True
                break
            bit = np.int64(1) << c
            bad |= (seen & bit) != 0
            seen |= bit
        if bad:
            return i
    return -1


@njit(cache=True)
def _rank_rows(cards: np.ndarray, out: np.ndarray) -> None:
    n, k = cards.shape
    if k == 7:
        for i in range(n):
            h = cards[i]
            out[i] = eval7(h[0], h[1], h[2], h[3], h[4], h[5], h[6])
    elif k == 6:
        for i in range(n):
            h = cards[i]
            out[i] = eval6(h[0], h[1], h[2], h[3], h[4], h[5])
    else:
        for i in range(n):
            h = cards[i]
            out[i] = eval5(h[0], h[1], h[2], h[3], h[4])


_KERNEL_DTYPES = (np.int8, np.uint8, np.int16, np.int32, np.int64)


def _as_hands(cards: np.ndarray, k: int | None) -> np.ndarray:
    arr = np.asarray(cards)
    if arr.ndim != 2 or not 5 <= arr.shape[1] <= 7 or (k is not None and arr.shape[1] != k):
        want = f"(n, {k})" if k is not None else "(n, k) with k in 5..7"
        raise ValueError(f"hands must have shape {want}, got {arr.shape}")
    if arr.dtype.kind not in "iu" and arr.size > 0:
        raise ValueError(f"card codes must be integers, got dtype {arr.dtype}")
    if arr.dtype.type not in _KERNEL_DTYPES:
        arr = arr.astype(np.int64)
    return np.ascontiguousarray(arr)


def _describe_bad_row(row: np.ndarray, i: int) -> str:
    for c in row:
        if not 0 <= int(c) < N_CARDS:
            return f"card code {int(c)} in hand {i} is outside 0..51"
    dup = next(int(c) for j, c in enumerate(row) if c in row[:j])
    return f"card code {dup} appears twice in hand {i}"


def rank_hands(cards: np.ndarray, check: bool = True) -> np.ndarray:
    """Ranks (int32, 1..7462, higher better) of an (n, k) int array of card codes, k in 5..7.

    ``check`` validates codes (0..51) and distinctness per hand and raises ValueError naming the hand.
    """
    arr = _as_hands(cards, None)
    if check:
        bad = _first_bad_row(arr)
        if bad >= 0:
            raise ValueError(_describe_bad_row(arr[bad], bad))
    out = np.empty(arr.shape[0], dtype=np.int32)
    _rank_rows(arr, out)
    return out


def rank7(cards: np.ndarray, check: bool = True) -> np.ndarray:
    """Ranks of an (n, 7) int array of card codes: best 5-card rank, int32 1..7462."""
    return rank_hands(_as_hands(cards, 7), check)


def rank6(cards: np.ndarray, check: bool = True) -> np.ndarray:
    """Ranks of an (n, 6) int array of card codes: best 5-card rank, int32 1..7462."""
    return rank_hands(_as_hands(cards, 6), check)


def rank5(cards: np.ndarray, check: bool = True) -> np.ndarray:
    """Ranks of an (n, 5) int array of card codes on the dense 1..7462 scale."""
    return rank_hands(_as_hands(cards, 5), check)


def categories(ranks: np.ndarray) -> np.ndarray:
    """Category codes (int8, 0 = high card .. 8 = straight flush, indexing CATEGORY_NAMES) of ranks."""
    r = np.asarray(ranks)
    if r.size and (r.min() < 1 or r.max() > N_HAND_RANKS):
        raise ValueError(f"hand ranks must lie in 1..{N_HAND_RANKS}")
    return CATEGORY_OF_RANK[r]


def category(rank: int) -> str:
    """Hand class name of one rank, e.g. "full house"."""
    if not 1 <= int(rank) <= N_HAND_RANKS:
        raise ValueError(f"hand rank {rank} is outside 1..{N_HAND_RANKS}")
    return CATEGORY_NAMES[CATEGORY_OF_RANK[int(rank)]]
