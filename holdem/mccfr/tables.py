"""Regret and strategy-sum tables, the deltas a batch produces, and discounting.

Both tables are float32 ``(rows, max_actions)`` with ``row = row_offset[node] + bucket``: 8 bytes per
infoset-action. Batches accumulate in float64 locally (:class:`DeltaBuffer`), so the float32 master
only ever receives whole-batch sums and linear weighting loses nothing to rounding per visit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from holdem.abstraction.tree import DECISION, BettingTree
from holdem.mccfr.compact import apply_compact
from holdem.mccfr.memory import large_full, large_zeros
from holdem.prefetch import prefetch_row

TABLE_DTYPE = np.float32
DELTA_DTYPE = np.float64
BYTES_PER_ENTRY = 4
TABLES = 2
REGRET_HALF = 1
STRATEGY_HALF = 2
PREFETCH_DISTANCE = 16


class TableError(ValueError):
    """Deltas or table shapes that do not fit together."""


@dataclass
class Tables:
    """The two master tables of a run (plain arrays or shared-memory maps); a compact regret table is read with
    its ``regret_scale`` (see :mod:`holdem.mccfr.compact`)."""

    regret: np.ndarray
    strategy_sum: np.ndarray
    regret_scale: np.ndarray = field(default_factory=lambda: np.zeros((1, 2), dtype=np.int8))

    def __post_init__(self) -> None:
        if self.regret.shape != self.strategy_sum.shape or self.regret.ndim != 2:
            raise TableError(f"regret {self.regret.shape} and strategy_sum {self.strategy_sum.shape} differ")

    @property
    def num_rows(self) -> int:
        return int(self.regret.shape[0])

    @property
    def max_actions(self) -> int:
        return int(self.regret.shape[1])

    @property
    def compact(self) -> bool:
        return self.regret.dtype != np.float32

    def copy(self) -> Tables:
        return Tables(self.regret.copy(), self.strategy_sum.copy(), self.regret_scale.copy())


def memory_report(num_rows: int, max_actions: int, *, workers: int = 1, delta_capacity: int | None = None,
                  regret_dtype: str = "float32", legal_actions: int | None = None, lazy: bool = False,
                  shared_memory: bool = False) -> dict[str, Any]:
    """Bytes the tables (and each worker's delta buffer) will take, computed before allocating.

    ``bytes_per_infoset_action`` counts every table entry (rows are padded to ``max_actions``);
    ``bytes_per_legal_action`` divides by the ``legal_actions`` the rows really have. Lazy tables are not
    touched before training: a page costs memory once a row in it is first written (in ``shared_memory``,
    files under /dev/shm, a read takes a page too), so ``table_bytes`` is the most they can take.
    ``delta_capacity`` (rows) is where a worker's delta buffer starts (it grows
    with what a batch touches, to the table's row count at most)."""
    regret_entry = int(np.dtype(regret_dtype).itemsize)
    scale_bytes = 2 * int(num_rows) if regret_dtype == "int16" else 0
    entries = int(num_rows) * int(max_actions)
    tables = entries * (regret_entry + BYTES_PER_ENTRY) + scale_bytes
    cap = int(num_rows if delta_capacity is None else min(delta_capacity, num_rows))
    per_row = 8 + delta_slot_bytes(max_actions)
    delta = int(num_rows) * 4 + cap * per_row
    delta_max = int(num_rows) * (4 + per_row)
    return {
        "rows": int(num_rows),
        "max_actions": int(max_actions),
        "regret_dtype": regret_dtype,
        "table_bytes": tables,
        "bytes_per_infoset_action": round(tables / max(1, entries), 3),
        "bytes_per_legal_action": None if not legal_actions else round(tables / legal_actions, 3),
        "allocation": ("prefaulted: every page touched before training" if not lazy else
                       "lazy: a page is taken when a row in it is first written" if not shared_memory else
                       "lazy: in /dev/shm a page is taken when a row in it is first written or read, and the "
                       "supervisor's full passes (table fill, checkpoints, discounts) read every page"),
        "delta_buffer_bytes_per_worker": delta,
        "delta_buffer_bytes_per_worker_max": delta_max,
        "total_bytes": tables + delta * max(1, workers),
    }


def allocate_tables(num_rows: int, max_actions: int) -> Tables:
    """Zeroed in-process tables."""
    shape = (int(num_rows), int(max_actions))
    return Tables(large_zeros(shape, TABLE_DTYPE), large_zeros(shape, TABLE_DTYPE))


def row_num_actions(tree: BettingTree) -> np.ndarray:
    """Legal actions of every table row (int16 [num_rows])."""
    out = np.zeros(tree.num_rows, dtype=np.int16)
    for node in np.nonzero(tree.kind == DECISION)[0]:
        start = int(tree.row_offset[node])
        out[start : start + tree.num_buckets[int(tree.street[node])]] = tree.num_children[node]
    return out


@njit(cache=True)
def _normalise_rows(values: np.ndarray, num_actions: np.ndarray, positive_only: bool) -> np.ndarray:
    rows, width = values.shape
    out = np.zeros((rows, width), dtype=np.float64)
    for r in range(rows):
        n = num_actions[r]
        total = 0.0
        for a in range(n):
            v = float(values[r, a])
            if positive_only and v < 0.0:
                v = 0.0
            out[r, a] = v
            total += v
        if total > 0.0:
            for a in range(n):
                out[r, a] /= total
        else:
            for a in range(n):
                out[r, a] = 1.0 / n
    return out


def regret_matching(regret: np.ndarray, num_actions: np.ndarray) -> np.ndarray:
    """Current strategy of every row: positive regrets normalised, uniform when none is positive."""
    return _normalise_rows(regret, num_actions.astype(np.int16), True)


def average_strategy(strategy_sum: np.ndarray, num_actions: np.ndarray) -> np.ndarray:
    """Average strategy of every row (uniform for rows never reached)."""
    return _normalise_rows(strategy_sum, num_actions.astype(np.int16), False)


def delta_slot_bytes(max_actions: int) -> int:
    """Bytes of one delta-buffer slot: a row's regret and strategy deltas, and which of them it has written."""
    return 2 * int(max_actions) * np.dtype(DELTA_DTYPE).itemsize + 1


class DeltaBuffer:
    """A batch's local changes: regret and strategy-sum deltas for the rows it touched.

    ``slot_of_row`` (int32 per table row, -1 when untouched) maps a row to its local slot, so the
    buffer costs 4 bytes per table row plus ``capacity`` local rows. ``halves`` says which deltas a slot has
    had written (:data:`REGRET_HALF`, :data:`STRATEGY_HALF`): packing sends a row only in those halves.
    """

    def __init__(self, num_rows: int, max_actions: int, capacity: int | None = None) -> None:
        cap = num_rows if capacity is None else max(1, min(int(capacity), num_rows))
        self.num_rows = int(num_rows)
        self.max_actions = int(max_actions)
        self.slot_of_row = large_full(num_rows, -1, np.int32)
        self.counters = np.zeros(1, dtype=np.int64)
        self._allocate(cap, 0)

    def _allocate(self, capacity: int, keep: int) -> None:
        """Slots for ``capacity`` rows, keeping the first ``keep``."""
        arrays = (large_zeros(capacity, np.int64), large_zeros((capacity, self.max_actions), DELTA_DTYPE),
                  large_zeros((capacity, self.max_actions), DELTA_DTYPE), large_zeros(capacity, np.uint8))
        if keep:
            for new, old in zip(arrays, (self.touched_rows, self.regret, self.strategy, self.halves)):
                new[:keep] = old[:keep]
        self.touched_rows, self.regret, self.strategy, self.halves = arrays
        self.capacity = capacity

    @property
    def count(self) -> int:
        return int(self.counters[0])

    def grow(self, capacity: int) -> None:
        """Room for ``capacity`` local rows (at most the table's), keeping what the buffer holds."""
        cap = max(self.capacity, min(int(capacity), self.num_rows))
        if cap != self.capacity:
            self._allocate(cap, self.count)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What the kernels write into, in their argument order."""
        return self.slot_of_row, self.touched_rows, self.regret, self.strategy, self.halves, self.counters

    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.arrays())


@dataclass
class PackedDeltas:
    """A batch's changes, one half per table. In each half a row appears only if the batch changed that table's
    row (a batch changes the regrets where its traverser acted and the strategy sums where the opponent did, so
    most rows travel in one half only): strictly increasing int32 rows, and for each row its values for its
    legal actions only, concatenated in row order (row ``r`` contributes ``num_actions[r]`` values). Both ends
    know ``num_actions`` from the tree, so nothing else travels."""

    regret_rows: np.ndarray
    regret: np.ndarray
    strategy_rows: np.ndarray
    strategy: np.ndarray

    FIELDS = ("regret_rows", "regret", "strategy_rows", "strategy")

    def __post_init__(self) -> None:
        if any(array.ndim != 1 for array in (self.regret_rows, self.regret, self.strategy_rows, self.strategy)):
            raise TableError(f"packed deltas are not flat: rows {self.regret_rows.shape} and "
                             f"{self.strategy_rows.shape}, values {self.regret.shape} and {self.strategy.shape}")

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> PackedDeltas:
        """The deltas a result payload carries under :attr:`FIELDS` (KeyError when one is missing)."""
        return cls(*(fields[name] for name in cls.FIELDS))

    def fields(self) -> dict[str, np.ndarray]:
        """The arrays by name, as a result payload carries them."""
        return {name: getattr(self, name) for name in self.FIELDS}

    @classmethod
    def both(cls, rows: np.ndarray, regret: np.ndarray, strategy: np.ndarray) -> PackedDeltas:
        """Deltas changing both tables on the same ``rows``."""
        return cls(rows, regret, rows, strategy)

    @property
    def nbytes(self) -> int:
        return int(self.regret_rows.nbytes + self.regret.nbytes + self.strategy_rows.nbytes + self.strategy.nbytes)

    def halves(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``(rows, values)`` of the regret half, then of the strategy half."""
        return (self.regret_rows, self.regret), (self.strategy_rows, self.strategy)

    def rows(self) -> np.ndarray:
        """Every row either half changes, sorted."""
        return np.union1d(self.regret_rows, self.strategy_rows).astype(np.int32)

    def dense(self, num_actions: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows either half changes, and the regret and strategy deltas on them as ``[rows, width]`` arrays
        (zeros past each row's actions and where a half leaves a row unchanged)."""
        rows = self.rows()
        dense = []
        for half_rows, values in self.halves():
            out = np.zeros((rows.shape[0], width), dtype=values.dtype)
            counts = num_actions[half_rows]
            mask = np.arange(width)[None, :] < counts[:, None]
            block = np.zeros((half_rows.shape[0], width), dtype=values.dtype)
            block[mask] = values
            out[np.searchsorted(rows, half_rows)] = block
            dense.append(out)
        return rows, dense[0], dense[1]


def packed_bytes(num_rows: int, num_values: int) -> int:
    """The most bytes packed deltas take when ``num_rows`` rows holding ``num_values`` action values in all
    may each change both tables."""
    return 2 * (4 * int(num_rows) + 4 * int(num_values))


SCAN_SHARE = 96


@njit(cache=True, nogil=True)
def _packed_sizes(touched_rows: np.ndarray, halves: np.ndarray, counters: np.ndarray, num_actions: np.ndarray,
                  sizes: np.ndarray) -> None:
    """``sizes``: rows and values of the regret half, then of the strategy half."""
    regret_rows = regret_values = strategy_rows = strategy_values = 0
    for slot in range(counters[0]):
        n = num_actions[touched_rows[slot]]
        in_regret = (halves[slot] & REGRET_HALF) != 0
        in_strategy = (halves[slot] & STRATEGY_HALF) != 0
        regret_rows += in_regret
        regret_values += in_regret * n
        strategy_rows += in_strategy
        strategy_values += in_strategy * n
    sizes[0], sizes[1], sizes[2], sizes[3] = regret_rows, regret_values, strategy_rows, strategy_values


@njit(cache=True, nogil=True)
def _pack(slot_of_row: np.ndarray, touched_rows: np.ndarray, regret: np.ndarray, strategy: np.ndarray,
          halves: np.ndarray, counters: np.ndarray, num_actions: np.ndarray, out_regret_rows: np.ndarray,
          out_regret: np.ndarray, out_strategy_rows: np.ndarray, out_strategy: np.ndarray,
          offsets: np.ndarray) -> None:
    """Two passes, so the slots (float64, the buffer's bulk) are read in their own order, not the table's. The
    first walks the touched rows in table order (a scan of ``slot_of_row`` when they are a fair share of the
    table, cheaper than sorting them; else sorted), writes the row lists, unmarks each row and notes in
    ``offsets[slot]`` where the slot's values go in each half (-1: not in it). The second streams the slots
    into those places; the buffer's slots are then zeroed in one sweep."""
    count = counters[0]
    num_rows = slot_of_row.shape[0]
    scan = count * SCAN_SHARE >= num_rows
    order = touched_rows[:0]
    if not scan:
        order = np.sort(touched_rows[:count])
    regret_row = regret_at = strategy_row = strategy_at = 0
    for i in range(num_rows if scan else count):
        row = i if scan else order[i]
        slot = slot_of_row[row]
        if slot < 0:
            continue
        slot_of_row[row] = -1
        n = num_actions[row]
        offsets[slot, 0] = offsets[slot, 1] = -1
        if halves[slot] & REGRET_HALF:
            out_regret_rows[regret_row] = row
            offsets[slot, 0] = regret_at
            regret_row += 1
            regret_at += n
        if halves[slot] & STRATEGY_HALF:
            out_strategy_rows[strategy_row] = row
            offsets[slot, 1] = strategy_at
            strategy_row += 1
            strategy_at += n
    for slot in range(count):
        n = num_actions[touched_rows[slot]]
        at = offsets[slot, 0]
        if at >= 0:
            for a in range(n):
                out_regret[at + a] = regret[slot, a]
        at = offsets[slot, 1]
        if at >= 0:
            for a in range(n):
                out_strategy[at + a] = strategy[slot, a]
    _empty(regret, strategy, halves, counters)


@njit(cache=True, nogil=True)
def _empty(regret: np.ndarray, strategy: np.ndarray, halves: np.ndarray, counters: np.ndarray) -> None:
    """Zero a buffer's used slots and its count, once they are packed or applied (``slot_of_row`` is reset row
    by row on the way)."""
    count = counters[0]
    regret[:count] = 0.0
    strategy[:count] = 0.0
    halves[:count] = 0
    counters[0] = 0


def private_array(dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised array in this process's memory (the default place packed deltas go)."""
    return np.empty(shape, dtype=dtype)


def pack_deltas(buffer: DeltaBuffer, num_actions: np.ndarray, allocate: Any = private_array,
                dtype: Any = np.float32) -> PackedDeltas:
    """Move a buffer's contents into packed form (rows sorted, unique; only legal actions' values; a row in a
    half only if the batch wrote its deltas there) and leave the buffer empty. ``allocate(dtype, shape)``
    provides the output arrays (e.g. in a result arena)."""
    sizes = np.zeros(4, dtype=np.int64)
    _packed_sizes(buffer.touched_rows, buffer.halves, buffer.counters, num_actions, sizes)
    regret_rows, strategy_rows = allocate(np.int32, (int(sizes[0]),)), allocate(np.int32, (int(sizes[2]),))
    regret, strategy = allocate(dtype, (int(sizes[1]),)), allocate(dtype, (int(sizes[3]),))
    _pack(*buffer.arrays(), num_actions, regret_rows, regret, strategy_rows, strategy,
          np.empty((buffer.count, 2), dtype=np.int64))
    return PackedDeltas(regret_rows, regret, strategy_rows, strategy)


@njit(cache=True, nogil=True)
def _check(rows: np.ndarray, bits: np.ndarray, exponent: Any, num_actions: np.ndarray, num_rows: int) -> int:
    """0 if one half fits the table; 1 rows out of order/repeated/out of range, 2 wrong value count, 3 a value
    that is not finite. Values are read as their bits: a float is not finite when its exponent bits
    (``exponent``) are all set, a test without branches that the compiler vectorises."""
    prev = -1
    total = 0
    for i in range(rows.shape[0]):
        row = rows[i]
        if row <= prev or row >= num_rows:
            return 1
        prev = row
        total += num_actions[row]
    if total != bits.shape[0]:
        return 2
    bad = False
    for j in range(total):
        bad |= (bits[j] & exponent) == exponent
    return 3 if bad else 0


_CHECK_ERRORS = {1: "rows are out of order, repeated or out of range", 2: "the value count does not match the rows",
                 3: "a value is not finite"}
_EXPONENT_BITS = {np.dtype(np.float32): (np.uint32, np.uint32(0x7F800000)),
                  np.dtype(np.float64): (np.uint64, np.uint64(0x7FF0000000000000))}


def check_deltas(deltas: PackedDeltas, num_actions: np.ndarray) -> str | None:
    """Why packed deltas do not fit a table with these ``num_actions`` per row, or None when they do."""
    for name, (rows, values) in zip(("regret", "strategy"), deltas.halves()):
        bits = _EXPONENT_BITS.get(values.dtype)
        if bits is None:
            return f"{name} values are {values.dtype}, not float32 or float64"
        if rows.dtype != np.int32:
            return f"{name} rows are {rows.dtype}, not int32"
        unsigned, exponent = bits
        code = int(_check(rows, values.view(unsigned), exponent, num_actions, num_actions.shape[0]))
        if code:
            return f"{name} half: {_CHECK_ERRORS[code]}"
    return None


@njit(cache=True, nogil=True)
def _add_rows(table: np.ndarray, rows: np.ndarray, values: np.ndarray, num_actions: np.ndarray, floor: float,
              first: int, stop: int, at: int) -> None:
    """Add the values of rows[first:stop] (which start at ``at``) to ``table``, none below ``floor``; rows
    already checked. Rows a few places ahead are prefetched: the tables are far larger than the cache."""
    for i in range(first, stop):
        ahead = i + PREFETCH_DISTANCE
        if ahead < stop:
            prefetch_row(table, rows[ahead])
        row = rows[i]
        n = num_actions[row]
        for a in range(n):
            value = table[row, a] + values[at + a]
            table[row, a] = value if value > floor else floor
        at += n


def add_rows(table: np.ndarray, rows: np.ndarray, values: np.ndarray, num_actions: np.ndarray,
             floor: float = -np.inf) -> None:
    """Add one checked half of packed deltas to a float table (e.g. a worker's private regrets)."""
    _add_rows(table, rows, values, num_actions, floor, 0, rows.shape[0], 0)


def apply_deltas(tables: Tables, deltas: PackedDeltas, num_actions: np.ndarray, regret_floor: float | None = None,
                 *, checked: bool = False, parts: int = 1, executor: Any = None) -> None:
    """Add a batch's deltas to the tables (checked first unless ``checked``); TableError when they do not fit.
    A compact regret table takes its half through :func:`apply_compact`.

    With ``parts > 1`` and an ``executor``, disjoint row ranges of the float tables are merged in parallel (the
    kernel releases the GIL).
    """
    if num_actions.shape[0] != tables.num_rows:
        raise TableError(f"num_actions covers {num_actions.shape[0]} rows, the tables {tables.num_rows}")
    if not checked:
        problem = check_deltas(deltas, num_actions)
        if problem is not None:
            raise TableError(f"packed deltas do not fit the tables: {problem}")
    floor = -np.inf if regret_floor is None else float(regret_floor)
    halves = [(tables.strategy_sum, deltas.strategy_rows, deltas.strategy, -np.inf)]
    if tables.compact:
        apply_compact(tables.regret, tables.regret_scale, deltas.regret_rows, deltas.regret, num_actions, floor)
    else:
        halves.insert(0, (tables.regret, deltas.regret_rows, deltas.regret, floor))
    parallel = parts > 1 and executor is not None
    jobs = []
    for table, rows, values, half_floor in halves:
        k = rows.shape[0]
        pieces = parts if parallel and k >= 2 * parts else 1
        cuts = [k * j // pieces for j in range(pieces + 1)]
        offsets = np.concatenate(([0], np.cumsum(num_actions[rows], dtype=np.int64))) if pieces > 1 else [0]
        jobs.extend((table, rows, values, num_actions, half_floor, cuts[j], cuts[j + 1], int(offsets[cuts[j]]))
                    for j in range(pieces))
    if not parallel:
        for job in jobs:
            _add_rows(*job)
        return
    for future in [executor.submit(_add_rows, *job) for job in jobs]:
        future.result()


@njit(cache=True, nogil=True)
def _apply_buffer(regret_table: np.ndarray, strategy_table: np.ndarray, slot_of_row: np.ndarray,
                  touched_rows: np.ndarray, regret: np.ndarray, strategy: np.ndarray, halves: np.ndarray,
                  counters: np.ndarray, num_actions: np.ndarray, floor: float) -> bool:
    """Add every slot's sums to the float32 tables in slot order, each rounded to float32 first and the regrets
    floored, exactly as packing and :func:`apply_deltas` would; then empty the buffer. False, with nothing
    written, when a sum is not finite (``x - x`` is 0 only for finite x: a test the compiler vectorises).
    (Walking the rows in table order instead, by a scan of ``slot_of_row``, measured slower: 2.4x on heads-up
    quick, 1.25x on mid.)"""
    count = counters[0]
    bad = False
    for slot in range(count):
        for a in range(regret.shape[1]):
            bad |= (regret[slot, a] - regret[slot, a] != 0.0) | (strategy[slot, a] - strategy[slot, a] != 0.0)
    if bad:
        return False
    for slot in range(count):
        ahead = slot + PREFETCH_DISTANCE
        if ahead < count:
            prefetch_row(regret_table, touched_rows[ahead])
            prefetch_row(strategy_table, touched_rows[ahead])
        row = touched_rows[slot]
        n = num_actions[row]
        if halves[slot] & REGRET_HALF:
            for a in range(n):
                value = regret_table[row, a] + np.float32(regret[slot, a])
                regret_table[row, a] = value if value > floor else floor
        if halves[slot] & STRATEGY_HALF:
            for a in range(n):
                strategy_table[row, a] = strategy_table[row, a] + np.float32(strategy[slot, a])
        slot_of_row[row] = -1
    _empty(regret, strategy, halves, counters)
    return True


def apply_buffer(tables: Tables, buffer: DeltaBuffer, num_actions: np.ndarray, regret_floor: float | None = None
                 ) -> None:
    """Add a delta buffer straight to float32 tables and empty it: what packing then :func:`apply_deltas` do,
    bitwise, without building the packed arrays (the in-process path, which never sends them). TableError, with
    the tables untouched, when a sum is not finite."""
    if tables.compact:
        raise TableError("a compact regret table merges packed deltas (apply_deltas), not a buffer")
    if num_actions.shape[0] != tables.num_rows or buffer.num_rows != tables.num_rows:
        raise TableError(f"the buffer covers {buffer.num_rows} rows, num_actions {num_actions.shape[0]}, "
                         f"the tables {tables.num_rows}")
    floor = -np.inf if regret_floor is None else float(regret_floor)
    if not _apply_buffer(tables.regret, tables.strategy_sum, *buffer.arrays(), num_actions, floor):
        raise TableError("the delta buffer holds a value that is not finite")


@njit(cache=True, nogil=True)
def _discount(regret: np.ndarray, strategy_sum: np.ndarray, pos: float, neg: float, strat: float,
              start: int, stop: int) -> None:
    width = regret.shape[1]
    for row in range(start, stop):
        for a in range(width):
            r = regret[row, a]
            regret[row, a] = r * pos if r > 0 else r * neg
            strategy_sum[row, a] *= strat


def discount(tables: Tables, factor_regret_pos: float, factor_regret_neg: float, factor_strategy: float,
             row_start: int = 0, row_stop: int | None = None) -> None:
    """Multiply positive regrets, negative regrets and strategy sums of rows [start, stop) by factors."""
    stop = tables.num_rows if row_stop is None else min(int(row_stop), tables.num_rows)
    _discount(tables.regret, tables.strategy_sum, float(factor_regret_pos), float(factor_regret_neg),
              float(factor_strategy), int(row_start), stop)


@njit(cache=True, nogil=True)
def _count_filled(strategy_sum: np.ndarray, step: int) -> int:
    filled = 0
    for row in range(0, strategy_sum.shape[0], step):
        for a in range(strategy_sum.shape[1]):
            if strategy_sum[row, a] != 0.0:
                filled += 1
                break
    return filled


def filled_share(strategy_sum: np.ndarray, max_rows: int) -> float:
    """Share of rows with a non-zero strategy sum (visited at least once), over an even sample of at most
    ``max_rows`` rows. Compiled, with no temporary arrays and without the GIL: on ``mid`` numpy took 3.5 ms of the
    supervisor's CPU each progress event, this 1.0-1.4 ms, most of it waiting on memory."""
    step = max(1, strategy_sum.shape[0] // max(1, int(max_rows)))
    return _count_filled(strategy_sum, step) / max(1, len(range(0, strategy_sum.shape[0], step)))


def discount_chunks(num_rows: int, chunk_rows: int = 1 << 18) -> Iterator[tuple[int, int]]:
    """Row ranges covering a table, for discounting a little at a time between other work."""
    for start in range(0, num_rows, chunk_rows):
        yield start, min(start + chunk_rows, num_rows)


def dcfr_factors(t: float, alpha: float, beta: float, gamma: float) -> tuple[float, float, float]:
    """Discounted CFR after t (>= 1) iterations: positive regrets t^a/(t^a+1), negative t^b/(t^b+1),
    strategy sums (t/(t+1))^g."""
    ta = t**alpha
    tb = t**beta
    return ta / (ta + 1.0), tb / (tb + 1.0), (t / (t + 1.0)) ** gamma


def linear_discount_factor(completed_intervals: int) -> float:
    """Pluribus' linear-CFR discount after the T-th interval: T / (T + 1) on every table."""
    t = float(completed_intervals)
    return t / (t + 1.0)
