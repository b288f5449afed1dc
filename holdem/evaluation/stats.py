"""Per-hand win rates in milli-units (mbb) with a normal-approximation 95% interval over duplicate groups."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class WinRate:
    """Mean of per-group results in milli-units per hand, its standard error and the 95% interval."""

    mean: float
    stderr: float
    ci95: tuple[float, float]
    groups: int


def win_rate(group_chips: np.ndarray, hands_per_group: int, unit_chips: int) -> WinRate:
    """Milli-units per hand from each duplicate group's total chips (``hands_per_group`` hands each)."""
    per_hand = np.asarray(group_chips, dtype=np.float64) * (1000.0 / (hands_per_group * unit_chips))
    groups = int(per_hand.size)
    if groups < 2:
        raise ValueError("a confidence interval needs at least two duplicate groups")
    mean = float(per_hand.mean())
    stderr = float(per_hand.std(ddof=1)) / math.sqrt(groups)
    half = Z95 * stderr
    return WinRate(mean, stderr, (mean - half, mean + half), groups)
