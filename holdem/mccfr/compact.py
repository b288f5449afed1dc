"""Compact regret storage: int32 with one fixed unit and a floor (as Pluribus) or int16 with scales per row (as
postflop-solver); strategy sums stay float32.

A regret table is ``values`` ``[rows, max_actions]`` (float32, int32 or int16) read with ``scale``, int8
power-of-two exponents ``[r, 2]``: a value q means ``q * 2**scale[r, 0]`` when positive and
``q * 2**scale[r, 1]`` when negative. For int16, r is the row: its positive regrets and its negative ones are
each stored at the finest power of two that holds the row's largest of them (at least 14 bits each), so a row's
large negative regrets never cost its positive ones (which alone set the strategy) their precision; 2 bytes per
row. Otherwise r is 0: float32 reads with 2**0 (exact: results are unchanged), int32 with the power of two
nearest 1/256 big blind, saturating at +-2**31 units. Merges and discounts decode a row, add or scale in
float64, apply the floor and encode it again, rounding to nearest. Batches still accumulate in float64 (the
delta buffer), so a row is rounded once per merged result, not once per visit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from holdem.prefetch import prefetch_row

REGRET_DTYPES = ("float32", "int32", "int16")
PREFETCH_DISTANCE = 16
INT32_UNITS_PER_BIG_BLIND = 256.0
I16_MAX = 32767.0
I32_MAX = 2147483647.0
EXPONENT_BIAS = 128
MIN_EXPONENT, MAX_EXPONENT = -127, 127
POW2 = np.ldexp(1.0, np.arange(-EXPONENT_BIAS, EXPONENT_BIAS))
"""``POW2[e + EXPONENT_BIAS] == 2.0 ** e`` for every int8 exponent (a table: kernels read it per visited row)."""
UNIT_SCALE = np.zeros((1, 2), dtype=np.int8)
"""The scale of a plain float32 regret table: 2**0 for both signs."""


def per_row_scale(dtype: str) -> bool:
    return dtype == "int16"


def scale_shape(dtype: str, num_rows: int) -> tuple[int, int]:
    """Shape of the exponent array of a regret table of ``dtype``."""
    return (int(num_rows), 2) if per_row_scale(dtype) else (1, 2)


def initial_scale(dtype: str, big_blind: float, num_rows: int) -> np.ndarray:
    """The exponents of a zeroed regret table."""
    if dtype == "int32":
        exponent = round(math.log2(big_blind / INT32_UNITS_PER_BIG_BLIND))
        return np.full((1, 2), max(MIN_EXPONENT, min(MAX_EXPONENT, exponent)), dtype=np.int8)
    return np.zeros(scale_shape(dtype, num_rows), dtype=np.int8)


@njit(cache=True, nogil=True, inline="always")
def _nearest(x: float) -> float:
    return math.floor(x + 0.5)


@njit(cache=True, nogil=True, inline="always")
def _exponent(largest: float) -> int:
    """The smallest power of two ``e`` with ``largest / 2**e`` below I16_MAX (0 for an empty side)."""
    if largest <= 0.0:
        return 0
    _, e = math.frexp(largest / I16_MAX)
    return min(MAX_EXPONENT, max(MIN_EXPONENT, e))


@njit(cache=True, nogil=True)
def _decode(values: np.ndarray, scale: np.ndarray, out: np.ndarray) -> None:
    per_row = scale.shape[0] > 1
    for row in range(values.shape[0]):
        r = row if per_row else 0
        up = POW2[scale[r, 0] + EXPONENT_BIAS]
        down = POW2[scale[r, 1] + EXPONENT_BIAS]
        for a in range(values.shape[1]):
            q = float(values[row, a])
            out[row, a] = q * up if q > 0.0 else q * down


def decode(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The regrets as a new float32 table (a copy for a float32 table)."""
    if values.dtype == np.float32:
        return np.array(values)
    out = np.empty(values.shape, dtype=np.float32)
    _decode(values, scale, out)
    return out


@njit(cache=True, nogil=True, inline="always")
def _store_row_i16(values: np.ndarray, scale: np.ndarray, row: int, row_values: np.ndarray, n: int) -> None:
    """Write a row's float values, its positive and its negative ones each at the finest scale that holds them."""
    positive = 0.0
    negative = 0.0
    for a in range(n):
        v = float(row_values[a])
        positive = max(positive, v)
        negative = max(negative, -v)
    up = _exponent(positive)
    down = _exponent(negative)
    scale[row, 0] = up
    scale[row, 1] = down
    inv_up = POW2[EXPONENT_BIAS - up]
    inv_down = POW2[EXPONENT_BIAS - down]
    for a in range(n):
        v = float(row_values[a])
        q = _nearest(v * inv_up) if v > 0.0 else _nearest(v * inv_down)
        values[row, a] = min(I16_MAX, max(-I16_MAX, q))


@njit(cache=True, nogil=True)
def _encode_rows_i16(values: np.ndarray, scale: np.ndarray, source: np.ndarray) -> None:
    for row in range(values.shape[0]):
        _store_row_i16(values, scale, row, source[row], values.shape[1])


@njit(cache=True, nogil=True)
def _encode_i32(values: np.ndarray, exponent: int, source: np.ndarray) -> None:
    inv = POW2[EXPONENT_BIAS - exponent]
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
        _encode_i32(values, int(scale[0, 0]), np.ascontiguousarray(source, dtype=np.float64))


@njit(cache=True, nogil=True)
def _apply_i16(values: np.ndarray, scale: np.ndarray, rows: np.ndarray, d_regret: np.ndarray,
               num_actions: np.ndarray, floor: float) -> None:
    row_values = np.empty(values.shape[1], dtype=np.float64)
    at = 0
    for i in range(rows.shape[0]):
        ahead = i + PREFETCH_DISTANCE
        if ahead < rows.shape[0]:
            prefetch_row(values, rows[ahead])
            prefetch_row(scale, rows[ahead])
        row = rows[i]
        n = num_actions[row]
        up = POW2[scale[row, 0] + EXPONENT_BIAS]
        down = POW2[scale[row, 1] + EXPONENT_BIAS]
        for a in range(n):
            q = float(values[row, a])
            r = (q * up if q > 0.0 else q * down) + d_regret[at + a]
            row_values[a] = r if r > floor else floor
        _store_row_i16(values, scale, row, row_values, n)
        at += n


@njit(cache=True, nogil=True)
def _apply_i32(values: np.ndarray, exponent: int, rows: np.ndarray, d_regret: np.ndarray, num_actions: np.ndarray,
               floor: float) -> None:
    unit = POW2[exponent + EXPONENT_BIAS]
    inv = POW2[EXPONENT_BIAS - exponent]
    at = 0
    for i in range(rows.shape[0]):
        ahead = i + PREFETCH_DISTANCE
        if ahead < rows.shape[0]:
            prefetch_row(values, rows[ahead])
        row = rows[i]
        n = num_actions[row]
        for a in range(n):
            r = float(values[row, a]) * unit + d_regret[at + a]
            r = r if r > floor else floor
            values[row, a] = min(I32_MAX, max(-I32_MAX, _nearest(r * inv)))
        at += n


def apply_compact(values: np.ndarray, scale: np.ndarray, rows: np.ndarray, d_regret: np.ndarray,
                  num_actions: np.ndarray, floor: float) -> None:
    """Add the checked regret half of packed deltas to an int16 or int32 regret table."""
    if values.dtype == np.int16:
        _apply_i16(values, scale, rows, d_regret, num_actions, floor)
    else:
        _apply_i32(values, int(scale[0, 0]), rows, d_regret, num_actions, floor)


@njit(cache=True, nogil=True, inline="always")
def _untouched(values: np.ndarray, strategy_sum: np.ndarray, row: int) -> bool:
    """A row never reached: nothing to discount, and not writing it keeps its page unallocated."""
    for a in range(values.shape[1]):
        if values[row, a] != 0 or strategy_sum[row, a] != 0.0:
            return False
    return True


@njit(cache=True, nogil=True)
def _discount_i16(values: np.ndarray, scale: np.ndarray, strategy_sum: np.ndarray, pos: float, neg: float,
                  strat: float, start: int, stop: int) -> None:
    width = values.shape[1]
    row_values = np.empty(width, dtype=np.float64)
    for row in range(start, stop):
        if _untouched(values, strategy_sum, row):
            continue
        up = POW2[scale[row, 0] + EXPONENT_BIAS]
        down = POW2[scale[row, 1] + EXPONENT_BIAS]
        for a in range(width):
            q = float(values[row, a])
            row_values[a] = q * up * pos if q > 0.0 else q * down * neg
            strategy_sum[row, a] *= strat
        _store_row_i16(values, scale, row, row_values, width)


@njit(cache=True, nogil=True)
def _discount_i32(values: np.ndarray, strategy_sum: np.ndarray, pos: float, neg: float, strat: float,
                  start: int, stop: int) -> None:
    for row in range(start, stop):
        if _untouched(values, strategy_sum, row):
            continue
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
        _discount_i32(values, strategy_sum, pos, neg, strat, start, stop)
