"""Card abstraction: per-street buckets of canonical hands, as flat arrays read by :func:`bucket_of`.

A street's bucket comes from one of three modes:

- identity: the canonical suit-isomorphic index itself (lossless; Kuhn, hold'em preflop);
- table: a uint16 lookup table from the canonical index to a bucket (Leduc's suit merge, clustered
  flop and turn);
- board rank (hold'em river): the canonical index of the board alone selects a row of uint16
  hand-rank thresholds and the bucket is the number of thresholds at or below the hand's rank
  from the evaluator.

Files are ``.npz`` (never pickled) with a format version, the spec, and a sha256 content hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from holdem.abstraction.isomorphism import HandIndexer, index_at, street_shapes
from holdem.evaluator import eval7
from holdem.games import GameDef, GameDefError, format_gamedef, load_game, parse_gamedef

FORMAT_VERSION = 1
MODE_IDENTITY, MODE_TABLE, MODE_BOARD_RANK = 0, 1, 2
AM_MODE, AM_SLOT, AM_TABLE, AM_BOARD_SLOT, AM_THR, AM_NTHR, AM_HOLE = range(7)
AM_BLK = 8


class BucketError(ValueError):
    """A bucket spec or file that cannot be used; the message is one line for the user."""


class BucketFileError(BucketError):
    """A bucket file that is missing, truncated, corrupt, of another version or for another game."""


class BucketSpecError(BucketError):
    """A bucket spec that is unknown or malformed."""


def suits_matter(game: GameDef) -> bool:
    """Whether showdowns can depend on suits (flushes need five cards; see the hand-rank contract)."""
    return game.num_suits > 1 and game.num_hole_cards + game.total_board_cards >= 5


def card_signature(game: GameDef) -> dict[str, Any]:
    """What a card abstraction depends on: the deck and the cards dealt per round."""
    return {
        "num_ranks": game.num_ranks,
        "num_suits": game.num_suits,
        "num_hole_cards": game.num_hole_cards,
        "num_board_cards": list(game.num_board_cards),
    }


@njit(cache=True, inline="always")
def bucket_of(kernel_data: tuple, street: int, cards: np.ndarray, num_cards: int) -> np.int32:
    """Bucket of a hand: hole cards then board in deal order (first ``num_cards`` of ``cards``)."""
    ameta = kernel_data[5]
    table = kernel_data[6]
    thr = kernel_data[7]
    b = street * AM_BLK
    mode = ameta[b + AM_MODE]
    if mode == MODE_BOARD_RANK:
        start = ameta[b + AM_HOLE]
        slot = ameta[b + AM_BOARD_SLOT]
    else:
        start = 0
        slot = ameta[b + AM_SLOT]
    idx = index_at(kernel_data, slot, cards, start, num_cards - start)
    if mode == MODE_IDENTITY:
        return np.int32(idx)
    if mode == MODE_TABLE:
        return np.int32(table[ameta[b + AM_TABLE] + idx])
    r = eval7(cards[0], cards[1], cards[2], cards[3], cards[4], cards[5], cards[6])
    n = ameta[b + AM_NTHR]
    off = ameta[b + AM_THR] + idx * n
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if thr[off + mid] <= r:
            lo = mid + 1
        else:
            hi = mid
    return np.int32(lo)


@njit(cache=True)
def bucket_rows(kernel_data: tuple, street: int, cards: np.ndarray, out: np.ndarray) -> None:
    """Buckets of the hands in the rows of a C-contiguous int32 array; numba-callable without inlining."""
    k = cards.shape[1]
    for i in range(cards.shape[0]):
        out[i] = bucket_of(kernel_data, street, cards[i], k)


@dataclass
class StreetAbstraction:
    """How one street maps hands to buckets."""

    mode: int
    num_buckets: int
    slot: int
    table: np.ndarray | None = None
    board_slot: int = -1
    thresholds: np.ndarray | None = None


@dataclass
class CardAbstraction:
    """Buckets per street for one game; ``kernel_data()`` feeds :func:`bucket_of`."""

    game: GameDef
    spec: dict[str, Any]
    shapes: list[tuple[int, ...]]
    streets: list[StreetAbstraction]
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.indexer = HandIndexer.from_shapes(self.game.num_ranks, self.game.num_suits, self.shapes)
        self.num_buckets = np.array([s.num_buckets for s in self.streets], dtype=np.int32)
        self._kernel_data: tuple | None = None

    @classmethod
    def lossless(cls, game: GameDef) -> CardAbstraction:
        """Lossless abstraction: canonical suit-isomorphic index per street (game rounds kept apart).

        When suits cannot matter at showdown (fewer than five cards, e.g. Leduc) classes with the same
        ranks per round are merged as well, which is still lossless (suits are then exchangeable
        rank by rank): Kuhn 3, Leduc 3 and 9.
        """
        shapes = street_shapes(game)
        indexer = HandIndexer.from_shapes(game.num_ranks, game.num_suits, shapes)
        streets = []
        for st in range(game.num_rounds):
            size = indexer.size(st)
            if size >= 1 << 31:
                raise BucketError(
                    f"{game.name} street {st} has {size:,} canonical classes: too many for lossless buckets"
                )
            if suits_matter(game) or game.num_suits == 1:
                streets.append(StreetAbstraction(MODE_IDENTITY, size, st))
                continue
            if size > 50_000_000:
                raise BucketError(f"street {st} has {size} classes: too many for a lossless table")
            table, n = _rank_classes(indexer, st)
            if n > 1 << 16:
                raise BucketError(f"street {st} has {n} rank classes: too many for a uint16 table")
            if n == size:
                streets.append(StreetAbstraction(MODE_IDENTITY, size, st))
            else:
                streets.append(StreetAbstraction(MODE_TABLE, n, st, table=table))
        spec = {"name": "lossless", "game": game.name, "features": ["lossless"] * game.num_rounds}
        return cls(game, spec, shapes, streets)

    def kernel_data(self) -> tuple:
        """``(*HandIndexer.tables(), abstraction meta, tables uint16, thresholds uint16)``; opaque."""
        if self._kernel_data is None:
            ameta = np.zeros(AM_BLK * len(self.streets), dtype=np.int64)
            tables, thrs = [], []
            t_off = h_off = 0
            for st, s in enumerate(self.streets):
                b = AM_BLK * st
                ameta[b + AM_MODE] = s.mode
                ameta[b + AM_SLOT] = s.slot
                ameta[b + AM_HOLE] = self.game.num_hole_cards
                ameta[b + AM_TABLE] = ameta[b + AM_THR] = ameta[b + AM_BOARD_SLOT] = -1
                if s.table is not None:
                    ameta[b + AM_TABLE] = t_off
                    tables.append(s.table)
                    t_off += len(s.table)
                if s.thresholds is not None:
                    ameta[b + AM_BOARD_SLOT] = s.board_slot
                    ameta[b + AM_THR] = h_off
                    ameta[b + AM_NTHR] = s.thresholds.shape[1]
                    thrs.append(s.thresholds.ravel())
                    h_off += s.thresholds.size
            table = np.concatenate(tables).astype(np.uint16) if tables else np.zeros(1, np.uint16)
            thr = np.concatenate(thrs).astype(np.uint16) if thrs else np.zeros(1, np.uint16)
            data = (*self.indexer.tables(), ameta, table, thr)
            for a in data:
                a.setflags(write=False)
            self._kernel_data = data
        return self._kernel_data

    def bucket(self, street: int, cards: np.ndarray) -> np.ndarray:
        """Buckets (int32) of hands given as rows of hole cards then board in deal order."""
        arr = np.asarray(cards)
        arr = self.indexer.check_cards(self.streets[street].slot, arr)
        out = np.empty(len(arr), dtype=np.int32)
        bucket_rows(self.kernel_data(), street, np.ascontiguousarray(arr), out)
        return out

    def _header(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "game": format_gamedef(self.game),
            "game_name": self.game.name,
            "cards": card_signature(self.game),
            "spec": self.spec,
            "shapes": [list(s) for s in self.shapes],
            "streets": [
                {"mode": s.mode, "num_buckets": s.num_buckets, "slot": s.slot, "board_slot": s.board_slot}
                for s in self.streets
            ],
        }

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for st, s in enumerate(self.streets):
            if s.table is not None:
                dtype = np.uint8 if s.num_buckets <= 256 else np.uint16
                out[f"table{st}"] = np.ascontiguousarray(s.table, dtype=dtype)
            if s.thresholds is not None:
                out[f"thresholds{st}"] = np.ascontiguousarray(s.thresholds, dtype=np.uint16)
        return out

    def content_hash(self) -> str:
        """sha256 of the header (game, spec, layout) and every table."""
        return _hash(json.dumps(self._header(), sort_keys=True), self._arrays())

    def save(self, path: str | Path) -> str:
        """Write the ``.npz`` file atomically; returns the content hash."""
        path = Path(path)
        header = json.dumps(self._header(), sort_keys=True)
        arrays = self._arrays()
        digest = _hash(header, arrays)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                format_version=np.array(FORMAT_VERSION, dtype=np.int64),
                header=np.array(header),
                info=np.array(json.dumps(self.info, sort_keys=True)),
                content_hash=np.array(digest),
                **arrays,
            )
        os.replace(tmp, path)
        return digest

    @classmethod
    def load(cls, path: str | Path, game: GameDef | None = None) -> CardAbstraction:
        """Read and validate a bucket file; raises :class:`BucketFileError` with a one-line reason."""
        path = Path(path)
        if not path.is_file():
            raise BucketFileError(f"bucket file {str(path)!r} does not exist")
        try:
            with np.load(path, allow_pickle=False) as npz:
                files = dict(npz.items())
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
            raise BucketFileError(
                f"bucket file {str(path)!r} is truncated or not a bucket file ({type(exc).__name__})"
            ) from None
        try:
            version = int(files["format_version"])
            if version != FORMAT_VERSION:
                raise BucketFileError(
                    f"bucket file {str(path)!r} has format version {version}, expected {FORMAT_VERSION}"
                )
            header_text = str(files["header"])
            digest = str(files["content_hash"])
            info = json.loads(str(files.get("info", "{}")))
            arrays = {k: v for k, v in files.items() if k.startswith(("table", "thresholds"))}
        except (KeyError, ValueError, TypeError) as exc:
            raise BucketFileError(f"bucket file {str(path)!r} is missing a field ({exc})") from None
        if _hash(header_text, arrays) != digest:
            raise BucketFileError(f"bucket file {str(path)!r} fails its checksum (corrupt or edited)")
        try:
            header = json.loads(header_text)
            stored_game = parse_gamedef(header["game"])
            shapes = [tuple(s) for s in header["shapes"]]
            streets = []
            for st, s in enumerate(header["streets"]):
                streets.append(StreetAbstraction(
                    int(s["mode"]), int(s["num_buckets"]), int(s["slot"]),
                    table=arrays.get(f"table{st}"), board_slot=int(s["board_slot"]),
                    thresholds=arrays.get(f"thresholds{st}"),
                ))
        except (KeyError, ValueError, TypeError, GameDefError) as exc:
            raise BucketFileError(f"bucket file {str(path)!r} has a malformed header ({exc})") from None
        if game is not None and card_signature(game) != card_signature(stored_game):
            raise BucketFileError(
                f"bucket file {str(path)!r} was built for game {stored_game.name!r} "
                f"({_describe(stored_game)}), not {game.name!r} ({_describe(game)})"
            )
        return cls(stored_game, header["spec"], shapes, streets, info=info)


def _describe(game: GameDef) -> str:
    return (
        f"{game.num_ranks}x{game.num_suits} deck, {game.num_hole_cards} hole, "
        f"board {'/'.join(map(str, game.num_board_cards))}"
    )


def _hash(header: str, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    h.update(header.encode())
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _rank_classes(indexer: HandIndexer, street: int) -> tuple[np.ndarray, int]:
    """Table merging canonical classes with equal ranks per round, numbered in index order."""
    size = indexer.size(street)
    hands = indexer.unindex(street, np.arange(size))
    shape = indexer.shapes[street]
    ranks = hands >> 2
    ends = np.cumsum(shape)
    parts = [np.sort(ranks[:, e - c : e], axis=1) for c, e in zip(shape, ends)]
    keys = np.concatenate(parts, axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[inverse.ravel()].astype(np.uint16), len(order)


def lossless_for(game: GameDef | str) -> CardAbstraction:
    """The lossless abstraction of a game object or shipped game name."""
    return CardAbstraction.lossless(load_game(game) if isinstance(game, str) else game)


def is_holdem_deal(game: GameDef) -> bool:
    return (game.num_ranks, game.num_suits, game.num_hole_cards, tuple(game.num_board_cards)) == (
        13, 4, 2, (0, 3, 1, 1))
