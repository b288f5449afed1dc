"""Hand isomorphism: a dense canonical index of (hole cards, board) per street under suit symmetry.

Cards are grouped by round (hole cards, then each round's board cards); order inside a round never
matters and the suits are interchangeable. Per suit the ranks it holds in each round form a
*suit pattern*; a hand is the multiset of its suits' patterns. The index is a mixed radix over
(configuration of per-suit card counts, colex rank of each suit's rank sets, multiset rank of
suits sharing the same counts), as in Waugh's hand indexer, generic over the game's deck
(``num_ranks`` highest ranks, ``num_suits`` lowest suits) and cards per round.

Everything a kernel needs is packed into the tuple ``HandIndexer.tables()`` =
``(meta int64, cfg_id int32, cfg int64, binom int64, colex int32)`` read by :func:`index_nb`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from holdem.cards import NUM_RANKS
from holdem.games import GameDef

MAX_SUITS = 4
MAX_ROUNDS = 4
SUIT_SHIFT = 40
HDR = 4
BLK = 20
CFG_STRIDE = 17
M_ROUNDS, M_CARDS, M_CFGID, M_CFG, M_NCFG, M_SIZE, M_CPR, M_STRIDE, M_END, M_TABLE = (
    0, 1, 2, 3, 4, 5, 6, 10, 14, 18
)
_ABSENT = np.int64(1) << 62


class IsomorphismError(ValueError):
    """Cards that do not form a hand of the indexer's deck and shape."""


@intrinsic
def popcount(typingctx, x):
    if not isinstance(x, types.Integer):
        return None
    sig = types.int64(x)

    def codegen(context, builder, signature, args):
        val = context.cast(builder, args[0], signature.args[0], types.int64)
        return builder.ctpop(val)

    return sig, codegen


def street_shapes(game: GameDef, merge_board: bool = False) -> list[tuple[int, ...]]:
    """Cards per index round for each street: hole cards, then each round's board (or all board as one)."""
    shapes = []
    for r in range(game.num_rounds):
        boards = [b for b in game.num_board_cards[: r + 1] if b > 0]
        if merge_board and boards:
            boards = [sum(boards)]
        shapes.append((game.num_hole_cards, *boards))
    return shapes


def _suit_vectors(cpr: tuple[int, ...], num_ranks: int) -> list[tuple[int, ...]]:
    out = [()]
    for c in cpr:
        out = [v + (n,) for v in out for n in range(c + 1)]
    return [v for v in out if sum(v) <= num_ranks]


def _vid(v: tuple[int, ...], strides: list[int]) -> int:
    return sum(n * s for n, s in zip(v, strides))


def _suit_size(v: tuple[int, ...], num_ranks: int) -> int:
    size, left = 1, num_ranks
    for n in v:
        size *= math.comb(left, n)
        left -= n
    return size


def _configs(cpr: tuple[int, ...], num_ranks: int, num_suits: int, strides: list[int]) -> list[list[int]]:
    vecs = sorted(_suit_vectors(cpr, num_ranks), key=lambda v: _vid(v, strides))
    out: list[list[int]] = []

    def extend(prefix: list[tuple[int, ...]], start: int, left: tuple[int, ...]) -> None:
        if len(prefix) == num_suits:
            if not any(left):
                out.append([_vid(v, strides) for v in prefix])
            return
        for i in range(start, len(vecs)):
            v = vecs[i]
            if all(n <= l for n, l in zip(v, left)):
                extend(prefix + [v], i, tuple(l - n for l, n in zip(left, v)))

    extend([], 0, cpr)
    return out


class _Shape:
    """Python-side tables of one street's index shape."""

    def __init__(self, cpr: tuple[int, ...], num_ranks: int, num_suits: int) -> None:
        if not 1 <= len(cpr) <= MAX_ROUNDS or any(c < 1 for c in cpr):
            raise IsomorphismError(f"cards per round must be 1..{MAX_ROUNDS} positive counts, got {cpr}")
        if sum(cpr) > num_ranks * num_suits:
            raise IsomorphismError(f"{sum(cpr)} cards do not fit a {num_ranks}x{num_suits} deck")
        self.cpr = cpr
        self.strides = [math.prod(c + 1 for c in cpr[:r]) for r in range(len(cpr))]
        self.num_vids = math.prod(c + 1 for c in cpr)
        vecs = {_vid(v, self.strides): v for v in _suit_vectors(cpr, num_ranks)}
        self.configs = _configs(cpr, num_ranks, num_suits, self.strides)
        self.key_space = math.comb(self.num_vids + num_suits - 1, num_suits)
        if self.key_space > 1 << 24:
            raise IsomorphismError(f"index shape {cpr} is too large for the configuration table")
        self.cfg_id = np.full(self.key_space, -1, dtype=np.int32)
        self.cfg = np.zeros((len(self.configs), CFG_STRIDE), dtype=np.int64)
        offset = 0
        for ci, vids in enumerate(self.configs):
            key = sum(math.comb(v + i, i + 1) for i, v in enumerate(vids))
            self.cfg_id[key] = ci
            row = self.cfg[ci]
            row[0] = offset
            mult = 1
            p = 0
            while p < num_suits:
                q = p
                while q < num_suits and vids[q] == vids[p]:
                    q += 1
                m = q - p
                gsize = math.comb(_suit_size(vecs[vids[p]], num_ranks) + m - 1, m)
                for j in range(p, q):
                    row[1 + j] = mult
                    row[5 + j] = j - p
                    row[9 + j] = gsize
                    row[13 + j] = vids[j]
                mult *= gsize
                p = q
            offset += mult
        self.size = offset
        if self.size >= 1 << 62:
            raise IsomorphismError(f"index shape {cpr} has too many classes")


class HandIndexer:
    """Canonical suit-isomorphic indices per street of one game (or of an explicit deck and shapes)."""

    def __init__(self, game: GameDef, merge_board: bool = False) -> None:
        self._setup(game.num_ranks, game.num_suits, street_shapes(game, merge_board))

    @classmethod
    def from_shapes(cls, num_ranks: int, num_suits: int, shapes: Sequence[Sequence[int]]) -> HandIndexer:
        """An indexer for a ``num_ranks`` x ``num_suits`` deck with cards per round of each street."""
        self = cls.__new__(cls)
        self._setup(num_ranks, num_suits, [tuple(s) for s in shapes])
        return self

    def _setup(self, num_ranks: int, num_suits: int, shapes: list[tuple[int, ...]]) -> None:
        if not 1 <= num_suits <= MAX_SUITS or not 1 <= num_ranks <= NUM_RANKS:
            raise IsomorphismError(f"deck must have 1..4 suits and 1..13 ranks, got {num_suits}x{num_ranks}")
        self.num_ranks = num_ranks
        self.num_suits = num_suits
        self.rank_lo = NUM_RANKS - num_ranks
        self.shapes = shapes
        self._shapes = [_Shape(s, num_ranks, num_suits) for s in shapes]
        nb = max(NUM_RANKS + 1, max(sh.num_vids for sh in self._shapes) + num_suits + 1)
        binom = np.zeros((nb, NUM_RANKS + 1), dtype=np.int64)
        for n in range(nb):
            for k in range(min(n, NUM_RANKS) + 1):
                binom[n, k] = min(math.comb(n, k), (1 << 63) - 1)
        meta = np.zeros(HDR + BLK * len(shapes), dtype=np.int64)
        meta[:HDR] = (num_suits, num_ranks, self.rank_lo, len(shapes))
        cfg_ids, cfgs = [], []
        id_off = cfg_off = 0
        for st, sh in enumerate(self._shapes):
            b = HDR + BLK * st
            meta[b + M_ROUNDS] = len(sh.cpr)
            meta[b + M_CARDS] = sum(sh.cpr)
            meta[b + M_CFGID] = id_off
            meta[b + M_CFG] = cfg_off
            meta[b + M_NCFG] = len(sh.configs)
            meta[b + M_SIZE] = sh.size
            ends = np.cumsum(sh.cpr)
            for r in range(MAX_ROUNDS):
                meta[b + M_CPR + r] = sh.cpr[r] if r < len(sh.cpr) else 0
                meta[b + M_STRIDE + r] = sh.strides[r] if r < len(sh.cpr) else 0
                meta[b + M_END + r] = ends[r] if r < len(sh.cpr) else ends[-1]
            meta[b + M_TABLE] = -1
            cfg_ids.append(sh.cfg_id)
            cfgs.append(sh.cfg.ravel())
            id_off += len(sh.cfg_id)
            cfg_off += sh.cfg.size
        colex = np.zeros(1 << num_ranks, dtype=np.int32)
        for mask in range(1 << num_ranks):
            bits = [r for r in range(num_ranks) if mask >> r & 1]
            colex[mask] = sum(math.comb(r, j + 1) for j, r in enumerate(bits))
        self._tables = (meta, np.concatenate(cfg_ids), np.concatenate(cfgs), binom, colex)
        for a in self._tables:
            a.setflags(write=False)
        deck = np.zeros(64, dtype=bool)
        for r in range(self.rank_lo, NUM_RANKS):
            deck[4 * r : 4 * r + num_suits] = True
        self._in_deck = deck

    @property
    def num_streets(self) -> int:
        return len(self.shapes)

    def tables(self) -> tuple[np.ndarray, ...]:
        """Read-only ``(meta, cfg_id, cfg, binom, colex)`` for :func:`index_nb` and :func:`unindex_nb`."""
        return self._tables

    def size(self, street: int) -> int:
        """Number of canonical classes on ``street``."""
        return self._shapes[street].size

    def num_cards(self, street: int) -> int:
        return sum(self.shapes[street])

    def check_cards(self, street: int, cards: np.ndarray) -> np.ndarray:
        """``cards`` as a validated int32 (n, num_cards) array; raises :class:`IsomorphismError`."""
        arr = np.asarray(cards)
        if arr.ndim == 1:
            arr = arr[None, :]
        k = self.num_cards(street)
        if arr.ndim != 2 or arr.shape[1] != k:
            raise IsomorphismError(f"street {street} needs rows of {k} cards, got shape {np.shape(cards)}")
        if not np.issubdtype(arr.dtype, np.integer):
            raise IsomorphismError(f"cards must be integers, got {arr.dtype}")
        arr = arr.astype(np.int32, copy=False)
        if arr.size and (arr.min() < 0 or arr.max() > 63 or not self._in_deck[arr].all()):
            raise IsomorphismError("a card is not in this game's deck")
        if k > 1 and arr.size:
            s = np.sort(arr, axis=1)
            if (s[:, 1:] == s[:, :-1]).any():
                raise IsomorphismError("a hand holds the same card twice")
        return arr

    def index(self, street: int, cards: np.ndarray, check: bool = True) -> np.ndarray:
        """Canonical indices (int64) of hands given as rows: hole cards, then board in deal order."""
        arr = self.check_cards(street, cards) if check else np.asarray(cards, dtype=np.int32)
        out = np.empty(len(arr), dtype=np.int64)
        _index_rows(self._tables, street, np.ascontiguousarray(arr), out)
        return out

    def unindex(self, street: int, idx: np.ndarray | int) -> np.ndarray:
        """Canonical representative hands (int32 rows, each round's cards ascending) of indices."""
        ids = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        if ids.size and (ids.min() < 0 or ids.max() >= self.size(street)):
            raise IsomorphismError(f"index out of range 0..{self.size(street) - 1} on street {street}")
        out = np.empty((len(ids), self.num_cards(street)), dtype=np.int32)
        weight = np.empty(len(ids), dtype=np.int64)
        _unindex_rows(self._tables, street, ids, out, weight)
        return out

    def weights(self, street: int, idx: np.ndarray) -> np.ndarray:
        """Number of suit-permuted hands each canonical class stands for (int64)."""
        ids = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        out = np.empty((len(ids), self.num_cards(street)), dtype=np.int32)
        weight = np.empty(len(ids), dtype=np.int64)
        _unindex_rows(self._tables, street, ids, out, weight)
        return weight


@njit(cache=True, inline="always")
def _comb_small(x: int, k: int) -> int:
    if k == 1:
        return x
    if x < k:
        return 0
    if k == 2:
        return (x * (x - 1)) >> 1
    if k == 3:
        return (x * (x - 1) >> 1) * (x - 2) // 3
    return (x * (x - 1) >> 1) * (x - 2) // 3 * (x - 3) >> 2


@njit(cache=True, inline="always")
def _compress(m: int, used: int) -> int:
    while used != 0:
        low = (used & -used) - 1
        m = (m & low) | ((m >> 1) & ~low)
        used = (used >> 1) & ~low
    return m


@njit(cache=True, inline="always")
def _suit_key(meta: np.ndarray, binom: np.ndarray, colex: np.ndarray, b: int, nrounds: int, num_ranks: int,
              u0: int, u1: int, u2: int, u3: int, s: int) -> int:
    """One suit's key: its ranks in each round (colex ranked among the ranks still free) and its shape id. The
    rounds are a loop and ``nrounds`` a runtime value: unrolled and specialised per round count, the 16 inlined
    copies took each caller about 40 s to compile (now 10-18 s), at the same indexing speed."""
    sh = s << 4
    m = (u0 >> sh) & 0xFFFF
    n = popcount(m)
    idx = np.int64(colex[m])
    if nrounds == 1:
        return (n << SUIT_SHIFT) | idx
    radix = np.int64(1)
    left = num_ranks
    used = np.int64(0)
    vid = np.int64(0)
    for r in range(1, nrounds):
        radix *= binom[left, n]
        left -= n
        used |= m
        vid += n * meta[b + M_STRIDE + r - 1] if r > 1 else n
        u = u1 if r == 1 else (u2 if r == 2 else u3)
        m = (u >> sh) & 0xFFFF
        n = popcount(m)
        idx += radix * colex[_compress(m, used)]
    vid += n * meta[b + M_STRIDE + nrounds - 1]
    return (vid << SUIT_SHIFT) | idx


@njit(cache=True, inline="always")
def _four_keys(meta: np.ndarray, binom: np.ndarray, colex: np.ndarray, b: int, nrounds: int, num_ranks: int,
               num_suits: int, u0: int, u1: int, u2: int, u3: int) -> tuple[int, int, int, int]:
    k0 = _suit_key(meta, binom, colex, b, nrounds, num_ranks, u0, u1, u2, u3, 0)
    k1 = _suit_key(meta, binom, colex, b, nrounds, num_ranks, u0, u1, u2, u3, 1) if num_suits > 1 else _ABSENT
    k2 = _suit_key(meta, binom, colex, b, nrounds, num_ranks, u0, u1, u2, u3, 2) if num_suits > 2 else _ABSENT
    k3 = _suit_key(meta, binom, colex, b, nrounds, num_ranks, u0, u1, u2, u3, 3) if num_suits > 3 else _ABSENT
    return k0, k1, k2, k3


@njit(cache=True, inline="always")
def index_nb(tables: tuple, street: int, cards: np.ndarray, num_cards: int) -> np.int64:
    """Canonical index of one hand (hole cards then board in deal order); numba, allocation free."""
    return index_at(tables, street, cards, 0, num_cards)


@njit(cache=True, inline="always")
def index_at(tables: tuple, street: int, cards: np.ndarray, start: int, num_cards: int) -> np.int64:
    """Index of ``cards[start:start + num_cards]``; ``tables`` may be any tuple starting with ``tables()``."""
    meta, cfg_id, cfg, binom, colex = tables[0], tables[1], tables[2], tables[3], tables[4]
    num_suits = meta[0]
    num_ranks = meta[1]
    rank_lo = meta[2]
    b = HDR + BLK * street
    nrounds = meta[b + M_ROUNDS]
    e0 = meta[b + M_END]
    e1 = meta[b + M_END + 1]
    e2 = meta[b + M_END + 2]
    u0 = np.int64(0)
    u1 = np.int64(0)
    u2 = np.int64(0)
    u3 = np.int64(0)
    for i in range(num_cards):
        c = np.int64(cards[start + i])
        bit = np.int64(1) << (((c & 3) << 4) + (c >> 2) - rank_lo)
        if i < e0:
            u0 |= bit
        elif i < e1:
            u1 |= bit
        elif i < e2:
            u2 |= bit
        else:
            u3 |= bit
    k0, k1, k2, k3 = _four_keys(meta, binom, colex, b, nrounds, num_ranks, num_suits, u0, u1, u2, u3)
    if k0 > k1:
        k0, k1 = k1, k0
    if k2 > k3:
        k2, k3 = k3, k2
    if k0 > k2:
        k0, k2 = k2, k0
    if k1 > k3:
        k1, k3 = k3, k1
    if k1 > k2:
        k1, k2 = k2, k1
    low = (np.int64(1) << SUIT_SHIFT) - 1
    key = binom[k0 >> SUIT_SHIFT, 1]
    if num_suits > 1:
        key += binom[(k1 >> SUIT_SHIFT) + 1, 2]
        if num_suits > 2:
            key += binom[(k2 >> SUIT_SHIFT) + 2, 3]
            if num_suits > 3:
                key += binom[(k3 >> SUIT_SHIFT) + 3, 4]
    c = cfg_id[meta[b + M_CFGID] + key]
    base = meta[b + M_CFG] + CFG_STRIDE * c
    j = cfg[base + 5]
    idx = cfg[base] + cfg[base + 1] * _comb_small((k0 & low) + j, j + 1)
    if num_suits > 1:
        j = cfg[base + 6]
        idx += cfg[base + 2] * _comb_small((k1 & low) + j, j + 1)
        if num_suits > 2:
            j = cfg[base + 7]
            idx += cfg[base + 3] * _comb_small((k2 & low) + j, j + 1)
            if num_suits > 3:
                j = cfg[base + 8]
                idx += cfg[base + 4] * _comb_small((k3 & low) + j, j + 1)
    return idx


@njit(cache=True)
def index_of(tables: tuple, street: int, cards: np.ndarray, start: int, num_cards: int) -> np.int64:
    """:func:`index_at` as a call rather than inlined: for loops that index once per many operations, where
    another inlined copy would only add compile time (each costs several seconds on a cold cache)."""
    return index_at(tables, street, cards, start, num_cards)


@njit(cache=True)
def _largest_t(g: int, k: int) -> int:
    """Largest t with C(t, k) <= g."""
    if k == 1:
        return g
    est = int((float(g) * math.gamma(k + 1.0)) ** (1.0 / k)) + k
    t = max(est, k - 1)
    while t > k - 1 and _comb_small(t, k) > g:
        t -= 1
    while _comb_small(t + 1, k) <= g:
        t += 1
    return t


@njit(cache=True)
def unindex_nb(tables: tuple, street: int, idx: int, out: np.ndarray) -> np.int64:
    """Write the canonical hand of ``idx`` into ``out``; returns the number of hands it stands for."""
    meta, cfg, binom = tables[0], tables[2], tables[3]
    num_suits = meta[0]
    num_ranks = meta[1]
    rank_lo = meta[2]
    b = HDR + BLK * street
    nrounds = meta[b + M_ROUNDS]
    cfg0 = meta[b + M_CFG]
    lo = 0
    hi = meta[b + M_NCFG] - 1
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if cfg[cfg0 + CFG_STRIDE * mid] <= idx:
            lo = mid
        else:
            hi = mid - 1
    base = cfg0 + CFG_STRIDE * lo
    rem = idx - cfg[base]
    fill = np.zeros(MAX_ROUNDS, dtype=np.int64)
    starts = np.zeros(MAX_ROUNDS, dtype=np.int64)
    for r in range(1, nrounds):
        starts[r] = meta[b + M_END + r - 1]
    suit_idx = np.zeros(MAX_SUITS, dtype=np.int64)
    p = 0
    while p < num_suits:
        mult = cfg[base + 1 + p]
        gsize = cfg[base + 9 + p]
        q = p
        while q < num_suits and cfg[base + 13 + q] == cfg[base + 13 + p]:
            q += 1
        g = (rem // mult) % gsize
        for j in range(q - p - 1, -1, -1):
            t = _largest_t(g, j + 1)
            g -= _comb_small(t, j + 1)
            suit_idx[p + j] = t - j
        p = q
    weight = np.int64(1)
    run = 1
    for s in range(num_suits):
        if s > 0 and cfg[base + 13 + s] == cfg[base + 13 + s - 1] and suit_idx[s] == suit_idx[s - 1]:
            run += 1
            weight *= run
        else:
            run = 1
        vid = cfg[base + 13 + s]
        x = suit_idx[s]
        used = 0
        left = num_ranks
        for r in range(nrounds):
            stride_next = meta[b + M_STRIDE + r + 1] if r + 1 < nrounds else np.int64(1) << 40
            n = (vid % stride_next) // meta[b + M_STRIDE + r]
            radix = binom[left, n]
            cx = x % radix
            x //= radix
            for j in range(n, 0, -1):
                pos = j - 1
                while pos + 1 < left and binom[pos + 1, j] <= cx:
                    pos += 1
                cx -= binom[pos, j]
                rank = -1
                cnt = -1
                while cnt < pos:
                    rank += 1
                    if not (used >> rank) & 1:
                        cnt += 1
                out[starts[r] + fill[r]] = 4 * (rank + rank_lo) + s
                fill[r] += 1
                used |= np.int64(1) << rank
            left -= n
    for r in range(nrounds):
        a = starts[r]
        e = a + fill[r]
        for i in range(a + 1, e):
            v = out[i]
            k = i - 1
            while k >= a and out[k] > v:
                out[k + 1] = out[k]
                k -= 1
            out[k + 1] = v
    total = np.int64(1)
    for s in range(2, num_suits + 1):
        total *= s
    return total // weight


@njit(cache=True, parallel=True)
def _index_rows(tables: tuple, street: int, cards: np.ndarray, out: np.ndarray) -> None:
    k = cards.shape[1]
    for i in prange(cards.shape[0]):
        out[i] = index_nb(tables, street, cards[i], k)


@njit(cache=True, parallel=True)
def _unindex_rows(tables: tuple, street: int, ids: np.ndarray, out: np.ndarray, weight: np.ndarray) -> None:
    for i in prange(ids.shape[0]):
        weight[i] = unindex_nb(tables, street, ids[i], out[i])

