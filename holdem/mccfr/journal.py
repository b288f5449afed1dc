"""Journaled commits: a process adds packed deltas to shared master tables chunk by chunk, keeping the old
values of the chunk it is writing in a small undo area, so that whoever finds it dead mid-commit can put that
chunk back and apply the rest. Every result then lands exactly once, in the very bits :func:`apply_deltas`
gives (each row is written once, by the same float32 add and floor).

The journal is a byte buffer (shared memory that outlives the writer): a header of int64 words, ``ticket``
(which commit it describes) and ``state``, then the undo area. ``state`` counts steps: ``2c`` while chunk
``c``'s old values are being saved (the table is not yet touched there), ``2c + 1`` while chunk ``c`` is being
added (its old values are saved), ``2n`` when all ``n`` chunks are in. The header words are stored between
compiled calls, so each store lands after the table writes it describes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from holdem.mccfr.compact import scale_shape
from holdem.mccfr.tables import (
    PREFETCH_DISTANCE,
    PackedDeltas,
    TableError,
    Tables,
    _add_rows,
    apply_deltas,
    check_deltas,
)
from holdem.prefetch import prefetch_row

TICKET, STATE = 0, 1
HEADER_WORDS = 8
UNDO_VALUES = 1 << 16
"""Values one chunk holds at most: 256 KiB of undo, which stays in cache while the chunk is added."""
JOURNAL_BYTES = 8 * HEADER_WORDS + 4 * UNDO_VALUES


def journal_views(journal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The header words and the undo area of a ``JOURNAL_BYTES`` uint8 buffer."""
    if journal.dtype != np.uint8 or journal.shape != (JOURNAL_BYTES,):
        raise TableError(f"a journal is {JOURNAL_BYTES} bytes, not {journal.dtype} {journal.shape}")
    header = journal[:8 * HEADER_WORDS].view(np.int64)
    undo = journal[8 * HEADER_WORDS:].view(np.float32)
    return header, undo


@njit(cache=True, nogil=True)
def _chunks(rows: np.ndarray, num_actions: np.ndarray, max_values: int) -> np.ndarray:
    """``[first, stop, at]`` of consecutive row ranges holding at most ``max_values`` values each."""
    out = np.empty((rows.shape[0] + 1, 3), dtype=np.int64)
    count = 0
    first = 0
    start_at = 0
    at = 0
    for i in range(rows.shape[0]):
        n = num_actions[rows[i]]
        if at + n - start_at > max_values:
            out[count, 0], out[count, 1], out[count, 2] = first, i, start_at
            count += 1
            first, start_at = i, at
        at += n
    if rows.shape[0] > first:
        out[count, 0], out[count, 1], out[count, 2] = first, rows.shape[0], start_at
        count += 1
    return out[:count]


@njit(cache=True, nogil=True)
def _save_rows(table: np.ndarray, rows: np.ndarray, num_actions: np.ndarray, first: int, stop: int,
               undo: np.ndarray) -> None:
    at = 0
    for i in range(first, stop):
        ahead = i + PREFETCH_DISTANCE
        if ahead < stop:
            prefetch_row(table, rows[ahead])
        row = rows[i]
        for a in range(num_actions[row]):
            undo[at] = table[row, a]
            at += 1


@njit(cache=True, nogil=True)
def _restore_rows(table: np.ndarray, rows: np.ndarray, num_actions: np.ndarray, first: int, stop: int,
                  undo: np.ndarray) -> None:
    """:func:`_save_rows` backwards, kept apart: the supervisor reads ``undo`` from a read-only map, which a kernel
    that might also write it cannot take."""
    at = 0
    for i in range(first, stop):
        row = rows[i]
        for a in range(num_actions[row]):
            table[row, a] = undo[at]
            at += 1


class CommitPlan:
    """The chunks of one result, in commit order: the regret half's, then the strategy half's."""

    def __init__(self, tables: Tables, deltas: PackedDeltas, num_actions: np.ndarray, regret_floor: float) -> None:
        if tables.compact:
            raise TableError("journaled commits need float32 tables")
        self.steps: list[tuple[np.ndarray, np.ndarray, np.ndarray, float, int, int, int]] = []
        halves = ((tables.regret, deltas.regret_rows, deltas.regret, float(regret_floor)),
                  (tables.strategy_sum, deltas.strategy_rows, deltas.strategy, -np.inf))
        for table, rows, values, floor in halves:
            for first, stop, at in _chunks(rows, num_actions, UNDO_VALUES):
                self.steps.append((table, rows, values, floor, int(first), int(stop), int(at)))
        self.num_actions = num_actions

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, chunk: int) -> None:
        table, rows, values, floor, first, stop, at = self.steps[chunk]
        _add_rows(table, rows, values, self.num_actions, floor, first, stop, at)

    def save(self, chunk: int, undo: np.ndarray) -> None:
        table, rows, _, _, first, stop, _ = self.steps[chunk]
        _save_rows(table, rows, self.num_actions, first, stop, undo)

    def restore(self, chunk: int, undo: np.ndarray) -> None:
        table, rows, _, _, first, stop, _ = self.steps[chunk]
        _restore_rows(table, rows, self.num_actions, first, stop, undo)


def commit(tables: Tables, deltas: PackedDeltas, num_actions: np.ndarray, regret_floor: float,
           journal: np.ndarray, ticket: int, *, stop_after: int | None = None) -> str | None:
    """Check ``deltas`` and add them to float32 ``tables`` under ``journal`` as commit ``ticket`` (nonzero);
    why not, with nothing written, or None. ``stop_after`` (tests) leaves off after that many header stores, as
    a process killed there would."""
    problem = check_deltas(deltas, num_actions)
    if problem is not None:
        return problem
    plan = CommitPlan(tables, deltas, num_actions, regret_floor)
    header, undo = journal_views(journal)
    steps = 0

    def step(state: int) -> bool:
        nonlocal steps
        header[STATE] = state
        steps += 1
        return stop_after is not None and steps > stop_after

    if step(0):
        return None
    header[TICKET] = ticket
    for chunk in range(len(plan)):
        plan.save(chunk, undo)
        if step(2 * chunk + 1):
            return None
        plan.add(chunk)
        if step(2 * chunk + 2):
            return None
    return None


def commit_args(ticket: int, regret_floor: float) -> dict[str, float | int]:
    """What a process asked to commit a result is told (see :func:`commit_payload`)."""
    return {"ticket": int(ticket), "floor": float(regret_floor)}


def commit_payload(tables: Tables, payload: dict[str, Any], num_actions: np.ndarray, journal: np.ndarray,
                   args: dict[str, Any], *, stop_after: int | None = None) -> str | None:
    """:func:`commit` for a result payload (its packed deltas under :attr:`PackedDeltas.FIELDS`) and the
    :func:`commit_args` it was asked with."""
    return commit(tables, PackedDeltas.from_fields(payload), num_actions, float(args["floor"]), journal,
                  int(args["ticket"]), stop_after=stop_after)


def complete(tables: Tables, deltas: PackedDeltas, num_actions: np.ndarray, regret_floor: float,
             journal: np.ndarray | None, ticket: int) -> int:
    """Finish commit ``ticket`` whose writer is gone (or never began): put back the chunk it was writing, add
    the chunks it had not; returns how many chunks it had added. Deltas are checked first (TableError)."""
    problem = check_deltas(deltas, num_actions)
    if problem is not None:
        raise TableError(f"packed deltas do not fit the tables: {problem}")
    plan = CommitPlan(tables, deltas, num_actions, regret_floor)
    start = 0
    if journal is not None:
        header, undo = journal_views(journal)
        if int(header[TICKET]) == ticket:
            state = int(header[STATE])
            start = min(state // 2, len(plan))
            if state % 2 and start < len(plan):
                plan.restore(start, undo)
    for chunk in range(start, len(plan)):
        plan.add(chunk)
    return start


def _scratch(regret_dtype: str = "float32") -> tuple[Tables, PackedDeltas, np.ndarray]:
    """One-row tables of a regret type, deltas for that row and its action count: what warming up merges into."""
    tables = Tables(np.zeros((1, 2), dtype=regret_dtype), np.zeros((1, 2), dtype=np.float32),
                    np.zeros(scale_shape(regret_dtype, 1), dtype=np.int8))
    rows, values = np.zeros(1, dtype=np.int32), np.ones(2, dtype=np.float32)
    return tables, PackedDeltas.both(rows, values, values), np.array([2], dtype=np.int32)


def warm_up_commits() -> None:
    """Load (or compile) the commit kernels, on scratch tables."""
    tables, deltas, num_actions = _scratch()
    journal = np.zeros(JOURNAL_BYTES, dtype=np.uint8)
    commit(tables, deltas, num_actions, -np.inf, journal, 1, stop_after=1)
    complete(tables, deltas, num_actions, -np.inf, journal, 1)


def warm_up_merges(regret_dtype: str = "float32") -> None:
    """Load (or compile) the kernels that check and merge results and finish a dead worker's commit, on scratch
    tables of the run's regret type. The first call of each loads it from numba's cache holding the GIL (a
    quarter of a second for the first): done before the workers start, no running event loop waits for it."""
    apply_deltas(*_scratch(regret_dtype), -1.0)
    warm_up_commits()
