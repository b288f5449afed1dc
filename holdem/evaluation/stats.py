"""Per-hand win rates in milli-units (mbb) with a normal-approximation 95% interval over duplicate groups."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from holdem.games import GameDef

Z95 = 1.959963984540054


@dataclass(frozen=True)
class WinRate:
    """Mean of per-group results in milli-units per hand, its standard error and the 95% interval."""

    mean: float
    stderr: float
    ci95: tuple[float, float]
    groups: int


def chip_unit(game: GameDef) -> tuple[int, str]:
    """Chips in the unit results are reported in, and its name: the big blind, or the ante without blinds."""
    if game.big_blind > 0:
        return game.big_blind, "big blind"
    ante = max(game.ante)
    if ante > 0:
        return ante, "ante"
    return 1, "chip"


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
