"""Card abstraction: per-street buckets of canonical hands, and the array :func:`bucket_of` reads.

A street maps hands to buckets in one of three modes:

- board (every clustered hold'em street): the board-major rows of :mod:`holdem.abstraction.boards`, one
  uint8 (uint16 beyond 256 buckets) entry per canonical board and hole-card combination;
- identity: the canonical suit-isomorphic index itself (lossless);
- table: a lookup table over the canonical index (lossless suit merges).

Kernels never compute a canonical index: :meth:`CardAbstraction.kernel_data` turns every street into board
rows (lossless streets whose board is dealt in one round) or a direct table (other small decks) packed in one
array (:mod:`holdem.abstraction.lookup`). Files are ``.npz`` (never pickled) with a format version, the spec,
and a sha256 content hash.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.boards import MAX_BOARD, MAX_HOLE, board_hands, board_rows
from holdem.abstraction.isomorphism import HandIndexer, street_shapes
from holdem.abstraction.legacy_file import v1_arrays, v1_lossless_header, v1_streets
from holdem.abstraction.lookup import (
    MODE_BOARD,
    MODE_DIRECT,
    MODE_HOLDEM,
    bucket_of,
    bucket_rows,
    deal_buckets_of,
    pack_kernel_data,
    street_buckets_of,
)
from holdem.fileformat import atomic_write
from holdem.games import GameDef, GameDefError, format_gamedef, load_game, parse_gamedef

FORMAT_VERSION = 2
MODE_IDENTITY, MODE_TABLE = 0, 1
MODE_NAMES = {MODE_IDENTITY: "lossless index", MODE_TABLE: "index table", MODE_BOARD: "board rows"}
HOLDEM_SHAPES = [(2,), (2, 3), (2, 4), (2, 5)]
BOARD_ORDER = "hand-indexer-v1"
MAX_KERNEL_CELLS = 1 << 24

__all__ = ["bucket_of", "deal_buckets_of", "street_buckets_of"]


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


@dataclass
class StreetAbstraction:
    """How one street maps hands to buckets (``rows``: board mode, ``table``: table mode)."""

    mode: int
    num_buckets: int
    slot: int
    table: np.ndarray | None = None
    rows: np.ndarray | None = None
    board_cards: int = 0
    hole_cards: int = 0


@dataclass
class CardAbstraction:
    """Buckets per street for one game; ``kernel_data()`` feeds :func:`bucket_of`."""

    game: GameDef
    spec: dict[str, Any]
    shapes: list[tuple[int, ...]]
    streets: list[StreetAbstraction]
    info: dict[str, Any] = field(default_factory=dict)
    stored_hash: str | None = None

    def __post_init__(self) -> None:
        self.indexer = HandIndexer.from_shapes(self.game.num_ranks, self.game.num_suits, self.shapes)
        self.num_buckets = np.array([s.num_buckets for s in self.streets], dtype=np.int32)
        self._kernel_data: np.ndarray | None = None

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

    def _kernel_street(self, st: int) -> StreetAbstraction:
        """A street as the kernels read it: board rows (clustered streets, and lossless ones whose board is
        dealt in one round), else a direct table over the raw cards of a small deck."""
        s = self.streets[st]
        if s.mode == MODE_BOARD:
            return s
        game = self.game
        hole = game.num_hole_cards
        k = game.board_cards_before(st)
        deck = game.num_ranks * game.num_suits
        if s.num_buckets > 1 << 16:
            raise BucketError(f"{game.name} street {st} has {s.num_buckets:,} lossless classes: the kernels read "
                              "at most 65,536 buckets a street")
        dtype = np.uint8 if s.num_buckets <= 256 else np.uint16
        one_round = sum(1 for n in game.num_board_cards[: st + 1] if n > 0) <= 1
        if 1 <= hole <= MAX_HOLE and k <= MAX_BOARD and one_round:
            br = board_rows(game.num_ranks, game.num_suits, k)
            if br.num_rows * br.stride(hole) <= MAX_KERNEL_CELLS:
                hands = board_hands(game.num_ranks, game.num_suits, k, hole, np.arange(br.num_rows))
                rows = self._lossless_buckets(st, hands).astype(dtype).reshape(br.num_rows, -1)
                return StreetAbstraction(MODE_BOARD, s.num_buckets, s.slot, rows=rows, board_cards=k, hole_cards=hole)
        n = hole + k
        if deck**n > MAX_KERNEL_CELLS:
            raise BucketError(f"{game.name} street {st}: no bucket table fits ({deck}^{n} direct entries)")
        cards = np.array(game.deck, dtype=np.int32)
        hands = np.array(list(itertools.permutations(cards.tolist(), n)), dtype=np.int32).reshape(-1, n)
        pos = ((hands >> 2) - (13 - game.num_ranks)) * game.num_suits + (hands & 3)
        keys = (pos * deck ** np.arange(n - 1, -1, -1)).sum(axis=1)
        rows = np.zeros(deck**n, dtype=dtype)
        rows[keys] = self._lossless_buckets(st, hands)
        return StreetAbstraction(MODE_DIRECT, s.num_buckets, s.slot, rows=rows[None, :], board_cards=k,
                                 hole_cards=hole)

    def _lossless_buckets(self, st: int, hands: np.ndarray) -> np.ndarray:
        s = self.streets[st]
        idx = self.indexer.index(s.slot, hands)
        return idx if s.mode == MODE_IDENTITY else s.table[idx]

    def kernel_data(self) -> np.ndarray:
        """The read-only int64 array :func:`bucket_of` reads (opaque to callers), built once. The streets'
        own board rows become views into it, so the tables are held once."""
        if self._kernel_data is None:
            game = self.game
            streets = [self._kernel_street(st) for st in range(len(self.streets))]
            full = (game.num_ranks, game.num_suits, game.num_hole_cards) == (13, 4, 2)
            layout = []
            for s in streets:
                board = (board_rows(game.num_ranks, game.num_suits, s.board_cards).table if s.mode == MODE_BOARD
                         else None)
                layout.append({"mode": MODE_HOLDEM if s.mode == MODE_BOARD and full else s.mode,
                               "hole": game.num_hole_cards, "suits": game.num_suits,
                               "rank_lo": 13 - game.num_ranks, "deck": game.num_ranks * game.num_suits,
                               "board_table": board, "rows": s.rows})
            kd, views = pack_kernel_data(layout, is_holdem_deal(game))
            for own, view in zip(self.streets, views):
                if own.mode == MODE_BOARD:
                    own.rows = view
            self._kernel_data = kd
        return self._kernel_data

    def bucket(self, street: int, cards: np.ndarray) -> np.ndarray:
        """Buckets (int32) of hands given as rows of hole cards then board in deal order."""
        arr = np.asarray(cards)
        arr = self.indexer.check_cards(self.streets[street].slot, arr)
        out = np.empty(len(arr), dtype=np.int32)
        bucket_rows(self.kernel_data(), street, np.ascontiguousarray(arr), out)
        return out

    def _header(self) -> dict[str, Any]:
        streets = []
        for s in self.streets:
            entry: dict[str, Any] = {"mode": s.mode, "num_buckets": s.num_buckets, "slot": s.slot}
            if s.mode == MODE_BOARD:
                entry.update(board_cards=s.board_cards, hole_cards=s.hole_cards)
            streets.append(entry)
        return {
            "format_version": FORMAT_VERSION,
            "game": format_gamedef(self.game),
            "game_name": self.game.name,
            "cards": card_signature(self.game),
            "spec": self.spec,
            "shapes": [list(s) for s in self.shapes],
            "board_order": BOARD_ORDER,
            "streets": streets,
        }

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for st, s in enumerate(self.streets):
            if s.mode == MODE_BOARD:
                out[f"rows{st}"] = s.rows
            if s.table is not None:
                out[f"table{st}"] = np.ascontiguousarray(s.table, dtype=np.uint8 if s.num_buckets <= 256
                                                         else np.uint16)
        return out

    def content_hash(self) -> str:
        """sha256 of the header (game, spec, layout) and every table; a converted version-1 file keeps the hash
        it was written with, and lossless buckets keep version 1's (blueprints and checkpoints name them)."""
        if self.spec.get("name") == "lossless":
            header = v1_lossless_header(self.game, card_signature(self.game), self.spec, self.shapes,
                                        [(s.mode, s.num_buckets, s.slot) for s in self.streets])
            return _hash(header, self._arrays())
        if self.stored_hash is not None:
            return self.stored_hash
        return _hash(json.dumps(self._header(), sort_keys=True), self._arrays())

    def save(self, path: str | Path) -> str:
        """Write the ``.npz`` file atomically; returns the hash a run made on it records (the file's own checksum
        except for lossless buckets, which keep version 1's)."""
        header = json.dumps(self._header(), sort_keys=True)
        arrays = self._arrays()
        digest = _hash(header, arrays)

        def write(fh: Any) -> None:
            np.savez(fh, format_version=np.array(FORMAT_VERSION, dtype=np.int64), header=np.array(header),
                     info=np.array(json.dumps(self.info, sort_keys=True)), content_hash=np.array(digest),
                     **arrays)

        atomic_write(path, write)
        return self.content_hash() if self.spec.get("name") == "lossless" else digest

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
            header_text = str(files["header"])
            digest = str(files["content_hash"])
            info = json.loads(str(files.get("info", "{}")))
        except (KeyError, ValueError, TypeError) as exc:
            raise BucketFileError(f"bucket file {str(path)!r} is missing a field ({exc})") from None
        if version not in (1, FORMAT_VERSION):
            raise BucketFileError(
                f"bucket file {str(path)!r} has format version {version}, this build reads 1 and {FORMAT_VERSION}: "
                f"rebuild it (holdem buckets build --spec NAME --out {path})"
            )
        arrays = v1_arrays(files) if version == 1 else {k: v for k, v in files.items()
                                                         if k.startswith(("table", "rows"))}
        del files
        if _hash(header_text, arrays) != digest:
            raise BucketFileError(f"bucket file {str(path)!r} fails its checksum (corrupt or edited)")
        try:
            header = json.loads(header_text)
            stored_game = parse_gamedef(header["game"])
        except (KeyError, ValueError, TypeError, GameDefError) as exc:
            raise BucketFileError(f"bucket file {str(path)!r} has a malformed header ({exc})") from None
        if game is not None and card_signature(game) != card_signature(stored_game):
            raise BucketFileError(
                f"bucket file {str(path)!r} was built for game {stored_game.name!r} "
                f"({_describe(stored_game)}), not {game.name!r} ({_describe(game)})"
            )
        if not isinstance(info, dict):
            info = {}
        try:
            if version == 1:
                return _from_v1(header, arrays, digest, info)
            if header.get("board_order", BOARD_ORDER) != BOARD_ORDER:
                raise ValueError(f"board order {header['board_order']!r}")
            shapes = [tuple(int(n) for n in s) for s in header["shapes"]]
            if len(header["streets"]) != stored_game.num_rounds or not isinstance(header["spec"], dict):
                raise ValueError(f"{len(header['streets'])} streets for {stored_game.num_rounds} rounds")
            streets = [_street_from_header(st, s, arrays, stored_game) for st, s in enumerate(header["streets"])]
            return cls(stored_game, header["spec"], shapes, streets, info=info, stored_hash=digest)
        except (KeyError, ValueError, TypeError, AttributeError, GameDefError) as exc:
            raise BucketFileError(f"bucket file {str(path)!r} has a malformed header ({exc})") from None


def _from_v1(header: dict[str, Any], arrays: dict[str, np.ndarray], digest: str, info: dict[str, Any]
             ) -> CardAbstraction:
    """A version-1 hold'em file as board rows, keeping the hash it was written with."""
    game, converted = v1_streets(header, arrays)
    streets = [StreetAbstraction(MODE_IDENTITY, s.num_buckets, 0) if s.rows is None else
               StreetAbstraction(MODE_BOARD, s.num_buckets, st, rows=s.rows, board_cards=s.board_cards, hole_cards=2)
               for st, s in enumerate(converted)]
    return CardAbstraction(game, header["spec"], HOLDEM_SHAPES, streets,
                           info={**info, "converted_from": "format version 1"}, stored_hash=digest)


def _street_from_header(st: int, s: dict[str, Any], arrays: dict[str, np.ndarray], game: GameDef
                        ) -> StreetAbstraction:
    """One street of a file, checked so that no stored value can send a kernel outside its tables."""
    mode, buckets, slot = int(s["mode"]), int(s["num_buckets"]), int(s["slot"])
    if mode not in MODE_NAMES:
        raise ValueError(f"street {st} has unknown mode {mode}")
    if slot != st or not 1 <= buckets <= 1 << 16:
        raise ValueError(f"street {st} has slot {slot} and {buckets} buckets")
    street = StreetAbstraction(mode, buckets, slot)
    if mode == MODE_TABLE:
        table = arrays.get(f"table{st}")
        if table is None or table.ndim != 1 or table.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"street {st} has no uint8/uint16 index table")
        street.table = table
        values = table
    elif mode == MODE_BOARD:
        rows = arrays.get(f"rows{st}")
        k, hole = int(s["board_cards"]), int(s["hole_cards"])
        if rows is None or not (0 <= k <= MAX_BOARD and 1 <= hole <= MAX_HOLE):
            raise ValueError(f"street {st} has no rows for {k} board and {hole} hole cards")
        deck = game.num_ranks * game.num_suits
        want = (canonical_boards(game.num_ranks, game.num_suits, k), math.comb(deck - k, hole))
        if rows.shape != want or rows.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"street {st} rows are {rows.dtype} {rows.shape}, not one per canonical board and hole")
        street.rows, street.board_cards, street.hole_cards = rows, k, hole
        values = rows
    else:
        return street
    if values.size and int(values.max()) >= buckets:
        raise ValueError(f"street {st} holds bucket {int(values.max())} of {buckets}")
    return street


def canonical_boards(num_ranks: int, num_suits: int, k: int) -> int:
    """Number of suit-isomorphism classes of ``k``-card boards."""
    return 1 if k == 0 else HandIndexer.from_shapes(num_ranks, num_suits, [(k,)]).size(0)


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
        h.update(memoryview(a).cast("B") if a.size else b"")
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


def is_holdem_like_deal(game: GameDef) -> bool:
    """Two hole cards and a 3/1/1 board on any deck (short decks build quickly: tests use them)."""
    return game.num_hole_cards == 2 and tuple(game.num_board_cards) == (0, 3, 1, 1) and game.num_suits >= 2
