"""Reading bucket files of format version 1 (index tables and river rank thresholds) as board rows.

Version 1 kept hold'em's flop and turn as tables over the canonical index of (hole cards, board as one set)
and the river as a row of hand-rank thresholds per canonical board. Blueprints and checkpoints name their
bucket file by content hash, so such a file must keep working: it is converted at load into the board rows
the kernels read (each cell's bucket is exactly what version 1 gave that hand) and keeps its recorded hash.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange

from holdem.abstraction.boards import board_hands, board_rows
from holdem.abstraction.isomorphism import HandIndexer
from holdem.evaluator import eval7
from holdem.games import GameDef, format_gamedef, parse_gamedef

V1_SHAPES = [(2,), (2, 3), (2, 4), (2, 5), (5,)]
V1_IDENTITY, V1_TABLE, V1_BOARD_RANK = 0, 1, 2
ROWS_PER_CHUNK = 2048


class V1Street(NamedTuple):
    """A version-1 street converted: its bucket count, board rows (None: the lossless preflop), board cards."""

    num_buckets: int
    rows: np.ndarray | None
    board_cards: int


def v1_arrays(files: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays a version-1 file's checksum covers."""
    return {k: v for k, v in files.items() if k.startswith(("table", "thresholds"))}


def v1_streets(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[GameDef, list[V1Street]]:
    """A version-1 hold'em file's game and streets as board rows (checksum already verified): each street's
    bucket count and rows (None for the lossless preflop), every hand keeping its version-1 bucket."""
    game = parse_gamedef(header["game"])
    if [tuple(s) for s in header["shapes"]] != V1_SHAPES or len(header["streets"]) != 4 or (
            game.num_ranks, game.num_suits, game.num_hole_cards) != (13, 4, 2):
        raise ValueError(f"shapes {header['shapes']} are not version 1's hold'em layout")
    indexer = HandIndexer.from_shapes(13, 4, V1_SHAPES)
    streets = []
    for st, s in enumerate(header["streets"]):
        mode, buckets = int(s["mode"]), int(s["num_buckets"])
        if not 1 <= buckets <= 1 << 16:
            raise ValueError(f"street {st} has {buckets} buckets")
        if st == 0 and mode == V1_IDENTITY:
            streets.append(V1Street(buckets, None, 0))
        elif st in (1, 2) and mode == V1_TABLE:
            rows = _table_rows(indexer, st, np.asarray(arrays[f"table{st}"]), st + 2, buckets)
            streets.append(V1Street(buckets, rows, st + 2))
        elif st == 3 and mode == V1_BOARD_RANK and int(s["board_slot"]) == 4:
            rows = _river_rows(indexer, 4, np.asarray(arrays[f"thresholds{st}"]), buckets)
            streets.append(V1Street(buckets, rows, 5))
        else:
            raise ValueError(f"street {st} has mode {mode}, which version 1 never wrote there")
    return game, streets


def v1_lossless_header(game: GameDef, cards: dict[str, Any], spec: dict[str, Any], shapes: list[tuple[int, ...]],
                       streets: list[tuple[int, int, int]]) -> str:
    """The header version 1 wrote for lossless buckets (``streets``: mode, bucket count, slot), which their
    content hash covers: kept, so checkpoints and blueprints of Kuhn, Leduc and other small games still match."""
    return json.dumps({"format_version": 1, "game": format_gamedef(game), "game_name": game.name, "cards": cards,
                       "spec": spec, "shapes": [list(s) for s in shapes],
                       "streets": [{"mode": mode, "num_buckets": n, "slot": slot, "board_slot": -1}
                                   for mode, n, slot in streets]}, sort_keys=True)


def _table_rows(indexer: HandIndexer, slot: int, table: np.ndarray, k: int, buckets: int) -> np.ndarray:
    if table.ndim != 1 or table.size != indexer.size(slot) or int(table.max()) >= buckets:
        raise ValueError(f"table{slot} is not {indexer.size(slot)} buckets below {buckets}")
    br = board_rows(13, 4, k)
    rows = np.empty((br.num_rows, br.stride(2)), dtype=np.uint8 if buckets <= 256 else np.uint16)
    for lo in range(0, br.num_rows, ROWS_PER_CHUNK):
        ids = np.arange(lo, min(lo + ROWS_PER_CHUNK, br.num_rows))
        hands = board_hands(13, 4, k, 2, ids)
        rows[ids] = table[indexer.index(slot, hands, check=False)].reshape(len(ids), -1)
    return rows


def _river_rows(indexer: HandIndexer, board_slot: int, thresholds: np.ndarray, buckets: int) -> np.ndarray:
    """Each river cell's bucket: how many of its board's ``buckets - 1`` rank thresholds its hand reaches."""
    br = board_rows(13, 4, 5)
    if thresholds.shape != (indexer.size(board_slot), buckets - 1):
        raise ValueError(f"river thresholds are {thresholds.shape}, not one row of {buckets - 1} per canonical board")
    board_index = indexer.index(board_slot, br.reps, check=False)
    rows = np.empty((br.num_rows, br.stride(2)), dtype=np.uint8 if buckets <= 256 else np.uint16)
    _fill_river(br.reps, br.free_cards(), board_index, thresholds.astype(np.int32), rows)
    return rows


@njit(cache=True, parallel=True)
def _fill_river(reps: np.ndarray, free: np.ndarray, board_index: np.ndarray, thresholds: np.ndarray,
                rows: np.ndarray) -> None:
    """``rows[b, colex(i, j)]`` = how many of board b's thresholds are at or below the rank of free cards i, j."""
    n_thr = thresholds.shape[1]
    for b in prange(reps.shape[0]):
        thr = thresholds[board_index[b]]
        cell = 0
        for j in range(1, free.shape[1]):
            for i in range(j):
                rank = eval7(free[b, i], free[b, j], reps[b, 0], reps[b, 1], reps[b, 2], reps[b, 3], reps[b, 4])
                lo, hi = 0, n_thr
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if thr[mid] <= rank:
                        lo = mid + 1
                    else:
                        hi = mid
                rows[b, cell] = lo
                cell += 1

