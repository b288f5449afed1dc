"""Random numbers for the compiled evaluation kernels: xorshift64* kept in a one-element uint64 array.

The state lives in an array so nested kernel functions can draw without threading it through returns.
Seeds come from ``numpy.random.SeedSequence`` in Python, so a chunk's stream depends on (seed, chunk) only.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_STAR = np.uint64(0x2545F4914F6CDD1D)
_S11 = np.uint64(11)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S32 = np.uint64(32)
_INV53 = 1.0 / 9007199254740992.0


def rng_state(seed: int, *stream: int) -> np.ndarray:
    """A nonzero one-element state for the kernel stream named by ``seed`` and ``stream``."""
    word = np.random.SeedSequence([seed, *stream]).generate_state(1, dtype=np.uint64)
    return np.array([word[0] | np.uint64(1)], dtype=np.uint64)


@njit(cache=True)
def next_u64(state: np.ndarray) -> np.uint64:
    x = state[0]
    x ^= x >> _S12
    x ^= x << _S25
    x ^= x >> _S27
    state[0] = x
    return x * _STAR


@njit(cache=True)
def uniform(state: np.ndarray) -> float:
    """Uniform float in [0, 1)."""
    return float(next_u64(state) >> _S11) * _INV53


@njit(cache=True)
def below(state: np.ndarray, bound: int) -> int:
    """Uniform int in [0, bound) (multiply-shift on the high 32 bits)."""
    return int(((next_u64(state) >> _S32) * np.uint64(bound)) >> _S32)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S31 = np.uint64(31)


@njit(cache=True)
def substream(seed: np.uint64, stream: int) -> np.ndarray:
    """A state derived from ``seed`` and ``stream`` alone (splitmix64), so equal inputs replay equal draws."""
    z = seed + _GOLDEN * np.uint64(stream + 1)
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    out = np.empty(1, dtype=np.uint64)
    out[0] = z | np.uint64(1)
    return out
