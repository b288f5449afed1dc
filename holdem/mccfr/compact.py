"""Compact regret storage: int32 with one scale and a floor (as Pluribus) or int16 with a scale per row (as
postflop-solver); strategy sums stay float32.

A regret table is ``values`` ``[rows, max_actions]`` (float32, int32 or int16) read with a float32 ``scale``:
regret = ``values[row, a] * scale[row]`` when there is one scale per row (int16: the row's largest magnitude
over 32767, recomputed at every merge), else ``values[row, a] * scale[0]`` (float32: 1.0; int32: a fixed
1/256 of a big blind, so values saturate at about 8.4 M big blinds). Merges and discounts decode a row, add
or scale in float64, apply the floor and encode it again, rounding to nearest. Batches still accumulate in
float64 (the delta buffer), so a row is rounded once per merged result, not once per visit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from holdem.mccfr.prefetch import prefetch_row

REGRET_DTYPES = ("float32", "int32", "int16")
PREFETCH_DISTANCE = 16
INT32_UNITS_PER_BIG_BLIND = 256.0
I16_MAX = 32767.0
I32_MAX = 2147483647.0
UNIT_SCALE = np.ones(1, dtype=np.float32)
"""The scale of a plain float32 regret table (kernels multiply by it: exact, so results are unchanged)."""


@njit(cache=True, nogil=True, inline="always")
def _nearest(x: float) -> float:
    return math.floor(x + 0.5)


def per_row_scale(dtype: str) -> bool:
    return dtype == "int16"


def scale_length(dtype: str, num_rows: int) -> int:
    """Entries of the scale array of a regret table of ``dtype``."""
    return int(num_rows) if per_row_scale(dtype) else 1


def initial_scale(dtype: str, big_blind: float, num_rows: int) -> np.ndarray:
    """The scale of a zeroed regret table."""
    if dtype == "int16":
        return np.zeros(int(num_rows), dtype=np.float32)
    if dtype == "int32":
        return np.full(1, big_blind / INT32_UNITS_PER_BIG_BLIND, dtype=np.float32)
    return UNIT_SCALE.copy()


def regret_bytes(dtype: str) -> int:
    return int(np.dtype(dtype).itemsize)


@njit(cache=True, nogil=True)
def _decode(values: np.ndarray, scale: np.ndarray, out: np.ndarray) -> None:
    per_row = scale.shape[0] > 1
    for row in range(values.shape[0]):
        s = float(scale[row] if per_row else scale[0])
        for a in range(values.shape[1]):
            out[row, a] = float(values[row, a]) * s


def decode(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The regrets as a new float32 table (a copy for a float32 table)."""
    if values.dtype == np.float32:
        return np.array(values)
    out = np.empty(values.shape, dtype=np.float32)
    _decode(values, scale, out)
    return out


@njit(cache=True, nogil=True)
def _encode_rows_i16(values: np.ndarray, scale: np.ndarray, source: np.ndarray) -> None:
    for row in range(values.shape[0]):
        m = 0.0
        for a in range(values.shape[1]):
            m = max(m, abs(float(source[row, a])))
        _store_row_i16(values, scale, row, source[row], values.shape[1], m)


@njit(cache=True, nogil=True, inline="always")
def _store_row_i16(values: np.ndarray, scale: np.ndarray, row: int, row_values: np.ndarray, n: int,
                   largest: float) -> None:
    """Write a row's float values at the finest scale that holds its largest magnitude."""
    s = np.float32(largest / I16_MAX)
    scale[row] = s
    if s > 0.0:
        inv = 1.0 / float(s)
        for a in range(n):
            q = _nearest(float(row_values[a]) * inv)
            values[row, a] = min(I16_MAX, max(-I16_MAX, q))
    else:
        for a in range(n):
            values[row, a] = 0


@njit(cache=True, nogil=True)
def _encode_i32(values: np.ndarray, unit: float, source: np.ndarray) -> None:
    inv = 1.0 / unit
    for row in range(values.shape[0]):
        for a in range(values.shape[1]):
            q = _nearest(float(source[row, a]) * inv)
            values[row, a] = min(I32_MAX, max(-I32_MAX, q))


def encode_into(values: np.ndarray, scale: np.ndarray, source: np.ndarray) -> None:
    """Store float regrets ``source`` into a table of ``values.dtype`` (and its scale), rounding to nearest."""
    if values.dtype == np.float32:
        values[:] = source
    elif values.dtype == np.int16:
        _encode_rows_i16(values, scale, np.ascontiguousarray(source, dtype=np.float64))
    else:
        _encode_i32(values, float(scale[0]), np.ascontiguousarray(source, dtype=np.float64))


@njit(cache=True, nogil=True)
def _apply_i16(values: np.ndarray, scale: np.ndarray, strategy_sum: np.ndarray, rows: np.ndarray,
               d_regret: np.ndarray, d_strategy: np.ndarray, num_actions: np.ndarray, floor: float,
               first: int, stop: int, at: int) -> None:
    row_values = np.empty(values.shape[1], dtype=np.float64)
    for i in range(first, stop):
        ahead = i + PREFETCH_DISTANCE
        if ahead < stop:
            prefetch_row(values, rows[ahead])
            prefetch_row(scale, rows[ahead])
            prefetch_row(strategy_sum, rows[ahead])
        row = rows[i]
        n = num_actions[row]
        s = float(scale[row])
        largest = 0.0
        for a in range(n):
            r = float(values[row, a]) * s + d_regret[at + a]
            r = r if r > floor else floor
            row_values[a] = r
            largest = max(largest, abs(r))
            strategy_sum[row, a] += d_strategy[at + a]
        _store_row_i16(values, scale, row, row_values, n, largest)
        at += n


@njit(cache=True, nogil=True)
def _apply_i32(values: np.ndarray, unit: float, strategy_sum: np.ndarray, rows: np.ndarray, d_regret: np.ndarray,
               d_strategy: np.ndarray, num_actions: np.ndarray, floor: float, first: int, stop: int,
               at: int) -> None:
    inv = 1.0 / unit
    for i in range(first, stop):
        ahead = i + PREFETCH_DISTANCE
        if ahead < stop:
            prefetch_row(values, rows[ahead])
            prefetch_row(strategy_sum, rows[ahead])
        row = rows[i]
        n = num_actions[row]
        for a in range(n):
            r = float(values[row, a]) * unit + d_regret[at + a]
            r = r if r > floor else floor
            values[row, a] = min(I32_MAX, max(-I32_MAX, _nearest(r * inv)))
            strategy_sum[row, a] += d_strategy[at + a]
        at += n


def apply_compact(values: np.ndarray, scale: np.ndarray, strategy_sum: np.ndarray, rows: np.ndarray,
                  d_regret: np.ndarray, d_strategy: np.ndarray, num_actions: np.ndarray, floor: float) -> None:
    """Add checked packed deltas to an int16 or int32 regret table and the strategy sums."""
    if values.dtype == np.int16:
        _apply_i16(values, scale, strategy_sum, rows, d_regret, d_strategy, num_actions, floor, 0, rows.shape[0], 0)
    else:
        _apply_i32(values, float(scale[0]), strategy_sum, rows, d_regret, d_strategy, num_actions, floor, 0,
                   rows.shape[0], 0)


@njit(cache=True, nogil=True)
def _discount_i16(values: np.ndarray, scale: np.ndarray, strategy_sum: np.ndarray, pos: float, neg: float,
                  strat: float, start: int, stop: int) -> None:
    width = values.shape[1]
    row_values = np.empty(width, dtype=np.float64)
    for row in range(start, stop):
        s = float(scale[row])
        largest = 0.0
        for a in range(width):
            r = float(values[row, a]) * s
            r = r * pos if r > 0 else r * neg
            row_values[a] = r
            largest = max(largest, abs(r))
            strategy_sum[row, a] *= strat
        if s > 0.0:
            _store_row_i16(values, scale, row, row_values, width, largest)


@njit(cache=True, nogil=True)
def _discount_i32(values: np.ndarray, unit: float, strategy_sum: np.ndarray, pos: float, neg: float, strat: float,
                  start: int, stop: int) -> None:
    for row in range(start, stop):
        for a in range(values.shape[1]):
            q = float(values[row, a])
            values[row, a] = _nearest(q * pos if q > 0 else q * neg)
            strategy_sum[row, a] *= strat


def discount_compact(values: np.ndarray, scale: np.ndarray, strategy_sum: np.ndarray, pos: float, neg: float,
                     strat: float, start: int, stop: int) -> None:
    """Multiply positive and negative regrets and the strategy sums of rows [start, stop) by their factors."""
    if values.dtype == np.int16:
        _discount_i16(values, scale, strategy_sum, pos, neg, strat, start, stop)
    else:
        _discount_i32(values, float(scale[0]), strategy_sum, pos, neg, strat, start, stop)
