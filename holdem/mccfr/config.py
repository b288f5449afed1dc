"""Typed MCCFR parameters, validated once; schedules (epsilon, pruning, discounting) by iteration.

Keys are flat and accept the seed project's names (``use_linear_weighting``, ``discount_interval``,
``regret_discount_alpha``, ``strategy_discount_beta``, ``exploration_epsilon``, ``epsilon_schedule``,
``enable_pruning``, ``pruning_threshold``, ``pruning_probability``).

Regret thresholds can be given in units that do not depend on the weighting: big blinds per effective
iteration (``pruning_threshold_bb_per_iteration``, ``regret_floor_bb_per_iteration``). A regret sums its
per-iteration changes, each weighted by the schedule (linear weighting, discounts), so the same average
badness shows as a larger sum later; the kernel threshold is the given figure times the big blind times
the effective iterations so far (:meth:`MCCFRConfig.effective_iterations`).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from holdem.mccfr.tables import dcfr_factors, linear_discount_factor

ALGORITHMS = ("external", "outcome")
DISCOUNT_MODES = ("none", "static", "dcfr", "pluribus")

P_LINEAR, P_PRUNE_PROB, P_PRUNE_THRESHOLD, P_REGRET_FLOOR, P_EPSILON = range(5)
NUM_PARAMS = 5
DEFAULT_PRUNING_THRESHOLD = -300_000_000.0
"""Pluribus' fixed threshold, used when neither pruning_threshold nor the per-big-blind form is set."""
"""Layout of the float64 parameter vector a kernel batch reads (see :meth:`MCCFRConfig.kernel_params`)."""
NO_BOUNDARY = int(np.iinfo(np.int64).max)


class ConfigError(ValueError):
    """An MCCFR configuration that cannot run; the message is one line naming the key at fault."""


@dataclass(frozen=True, kw_only=True)
class MCCFRConfig:
    """Algorithm parameters of a training run.

    ``discount_mode``: ``static`` multiplies regrets by ``regret_discount_alpha`` and strategy sums by
    ``strategy_discount_beta`` every ``discount_interval`` iterations; ``dcfr`` applies Discounted
    CFR factors with T = completed intervals; ``pluribus`` multiplies both tables by T/(T+1). Either
    stops after ``discount_cutoff`` iterations when that is set.
    """

    algorithm: str = "external"
    seed: int = 0
    exploration_epsilon: float = 0.6
    epsilon_schedule: tuple[tuple[int, float], ...] | None = None
    use_linear_weighting: bool = False
    discount_mode: str = "none"
    discount_interval: int = 1000
    discount_cutoff: int | None = None
    regret_discount_alpha: float = 1.0
    strategy_discount_beta: float = 1.0
    dcfr_alpha: float = 1.5
    dcfr_beta: float = 0.0
    dcfr_gamma: float = 2.0
    enable_pruning: bool = False
    pruning_warmup: int = 0
    pruning_threshold: float | None = None
    pruning_threshold_bb_per_iteration: float | None = None
    pruning_probability: float = 0.95
    regret_floor: float | None = None
    regret_floor_bb_per_iteration: float | None = None

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MCCFRConfig:
        """Validate a flat mapping; raises :class:`ConfigError` with one line on the first problem."""
        valid = cls.keys()
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in valid:
                close = difflib.get_close_matches(str(key), valid, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"unknown MCCFR key {key!r}{hint}")
            values[key] = _check(key, value)
        for raw, scaled in (("pruning_threshold", "pruning_threshold_bb_per_iteration"),
                            ("regret_floor", "regret_floor_bb_per_iteration")):
            if values.get(raw) is not None and values.get(scaled) is not None:
                raise ConfigError(f"give {raw} or {scaled}, not both")
        config = cls(**values)
        if config.use_linear_weighting and config.discount_mode == "pluribus":
            raise ConfigError("use_linear_weighting with discount_mode pluribus weights iterations twice (about t^2):"
                              " Pluribus' discount alone is linear CFR; set use_linear_weighting: false")
        threshold, floor = config.thresholds(1.0, 1)
        if floor > -np.inf and config.enable_pruning and floor > threshold:
            raise ConfigError(
                f"the regret floor ({floor:g} at the first iteration) is above the pruning threshold "
                f"({threshold:g}): nothing could ever be pruned"
            )
        return config

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.epsilon_schedule is not None:
            out["epsilon_schedule"] = [[int(i), float(e)] for i, e in self.epsilon_schedule]
        return out

    def epsilon_at(self, iteration: int) -> float:
        """Exploration epsilon in force at an iteration (last schedule entry at or before it)."""
        if not self.epsilon_schedule:
            return self.exploration_epsilon
        eps = self.epsilon_schedule[0][1]
        for start, value in self.epsilon_schedule:
            if iteration >= start:
                eps = value
        return eps

    def pruning_probability_at(self, iteration: int) -> float:
        if not self.enable_pruning or iteration < self.pruning_warmup:
            return 0.0
        return self.pruning_probability

    def kernel_params(self, iteration: int, big_blind: float = 1.0) -> np.ndarray:
        """The float64 parameter vector a kernel batch starting at ``iteration`` reads (``big_blind`` in
        chips scales thresholds given per big blind)."""
        threshold, floor = self.thresholds(big_blind, iteration)
        params = np.zeros(NUM_PARAMS, dtype=np.float64)
        params[P_LINEAR] = 1.0 if self.use_linear_weighting else 0.0
        params[P_PRUNE_PROB] = self.pruning_probability_at(iteration)
        params[P_PRUNE_THRESHOLD] = threshold
        params[P_REGRET_FLOOR] = floor
        params[P_EPSILON] = self.epsilon_at(iteration)
        return params

    def thresholds(self, big_blind: float, iteration: int) -> tuple[float, float]:
        """(pruning threshold, regret floor) in regret units once ``iteration`` iterations are done."""
        weight = None
        threshold = DEFAULT_PRUNING_THRESHOLD if self.pruning_threshold is None else self.pruning_threshold
        if self.pruning_threshold_bb_per_iteration is not None:
            weight = self.effective_iterations(iteration)
            threshold = self.pruning_threshold_bb_per_iteration * big_blind * weight
        floor = -np.inf if self.regret_floor is None else self.regret_floor
        if self.regret_floor_bb_per_iteration is not None:
            weight = self.effective_iterations(iteration) if weight is None else weight
            floor = self.regret_floor_bb_per_iteration * big_blind * weight
        return float(threshold), float(floor)

    def effective_iterations(self, iteration: int) -> float:
        """The summed weight of ``iteration`` iterations in a regret (at least 1): plain CFR counts each
        once, linear weighting by t, and discounts shrink what came before them (negative regrets' factor)."""
        t = max(1, int(iteration))
        if self.discount_mode == "none":
            return t * (t + 1) / 2.0 if self.use_linear_weighting else float(t)
        interval = self.discount_interval
        done = t // interval
        if self.discount_cutoff is not None:
            done = min(done, self.discount_cutoff // interval)
        weight = _discounted_weight(self._discount_key(), done) if done else 0.0
        return max(1.0, weight + (t - done * interval) * (1.0 if not self.use_linear_weighting else t))

    def next_boundary(self, iteration: int) -> int:
        """First iteration after ``iteration`` at which a schedule changes: a batch must end there."""
        stops = []
        if self.discount_mode != "none":
            stop = (iteration // self.discount_interval + 1) * self.discount_interval
            if self.discount_cutoff is None or stop <= self.discount_cutoff:
                stops.append(stop)
        if self.epsilon_schedule:
            stops += [start for start, _ in self.epsilon_schedule if start > iteration]
        if self.enable_pruning and self.pruning_warmup > iteration:
            stops.append(self.pruning_warmup)
        return min(stops) if stops else NO_BOUNDARY

    def discount_limit(self) -> int | None:
        """How many discounts the schedule holds (one per interval up to ``discount_cutoff``; None: no end)."""
        if self.discount_mode == "none":
            return 0
        return None if self.discount_cutoff is None else self.discount_cutoff // self.discount_interval

    def discount_interval_index(self, iteration: int) -> int:
        """Which discount interval ``iteration`` lies in, counting only those a discount ends (after the cutoff all
        iterations share one): iterations of different indexes never share a batch or a result."""
        index = iteration // self.discount_interval
        limit = self.discount_limit()
        return index if limit is None else min(index, limit)

    def _discount_key(self) -> tuple:
        return (self.discount_mode, self.discount_interval, self.regret_discount_alpha, self.dcfr_beta,
                self.use_linear_weighting)

    def discount_factors(self, iterations_done: int) -> tuple[float, float, float] | None:
        """(positive regret, negative regret, strategy) factors due once ``iterations_done`` are
        applied, or None when no discount falls due at that count."""
        if self.discount_mode == "none" or iterations_done <= 0 or iterations_done % self.discount_interval:
            return None
        if self.discount_cutoff is not None and iterations_done > self.discount_cutoff:
            return None
        intervals = iterations_done // self.discount_interval
        if self.discount_mode == "static":
            a, b = self.regret_discount_alpha, self.strategy_discount_beta
            return a, a, b
        if self.discount_mode == "pluribus":
            d = linear_discount_factor(intervals)
            return d, d, d
        return dcfr_factors(float(intervals), self.dcfr_alpha, self.dcfr_beta, self.dcfr_gamma)


_WEIGHTS: dict[tuple, list[float]] = {}


def _discounted_weight(key: tuple, intervals: int) -> float:
    """Weight of ``intervals`` whole discount intervals after their discounts (negative regrets' factor),
    computed once per schedule and extended as runs grow."""
    mode, interval, alpha, beta, linear = key
    weights = _WEIGHTS.setdefault(key, [0.0])
    while len(weights) <= intervals:
        k = len(weights)
        if mode == "pluribus":
            factor = k / (k + 1.0)
        elif mode == "static":
            factor = alpha
        else:
            factor = float(k) ** beta / (float(k) ** beta + 1.0)
        added = interval * ((k - 0.5) * interval if linear else 1.0)
        weights.append((weights[-1] + added) * factor)
    return weights[intervals]


def _number(key: str, value: Any, kind: type, low: float | None = None, high: float | None = None) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if kind is int and float(value) != int(value):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    if low is not None and value < low:
        raise ConfigError(f"{key} must be at least {low}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{key} must be at most {high}, got {value!r}")
    return kind(value)


def _check(key: str, value: Any) -> Any:
    if key == "algorithm":
        if value not in ALGORITHMS:
            raise ConfigError(f"unknown algorithm {value!r}: expected one of {', '.join(ALGORITHMS)}")
        return value
    if key == "discount_mode":
        if value not in DISCOUNT_MODES:
            raise ConfigError(f"unknown discount_mode {value!r}: expected one of {', '.join(DISCOUNT_MODES)}")
        return value
    if key in ("use_linear_weighting", "enable_pruning"):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if key == "epsilon_schedule":
        return _schedule(value)
    if key == "exploration_epsilon":
        return _number(key, value, float, 0.0, 1.0)
    if key == "pruning_probability":
        if isinstance(value, int | float) and not isinstance(value, bool) and not 0.0 <= value <= 1.0:
            raise ConfigError(f"pruning_probability must be in [0, 1], got {value!r}")
        return _number(key, value, float, 0.0, 1.0)
    if key in ("seed", "pruning_warmup"):
        return _number(key, value, int, 0)
    if key == "discount_interval":
        return _number(key, value, int, 1)
    if key == "discount_cutoff":
        return None if value is None else _number(key, value, int, 1)
    if key in ("regret_discount_alpha", "strategy_discount_beta"):
        return _number(key, value, float, 0.0, 1.0)
    if key in ("dcfr_alpha", "dcfr_beta", "dcfr_gamma"):
        return _number(key, value, float)
    if key == "regret_floor":
        return None if value is None else _number(key, value, float, None, 0.0)
    if key == "pruning_threshold":
        return None if value is None else _number(key, value, float)
    if key in ("pruning_threshold_bb_per_iteration", "regret_floor_bb_per_iteration"):
        return None if value is None else _number(key, value, float, None, 0.0)
    return _number(key, value, float)


def _schedule(value: Any) -> tuple[tuple[int, float], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise ConfigError(f"epsilon_schedule must be a list of [iteration, epsilon] pairs, got {value!r}")
    if not value:
        raise ConfigError("epsilon_schedule is empty: give at least one [iteration, epsilon] pair")
    out: list[tuple[int, float]] = []
    for i, entry in enumerate(value):
        if not isinstance(entry, list | tuple) or len(entry) != 2:
            raise ConfigError(f"epsilon_schedule entry {i} must be [iteration, epsilon], got {entry!r}")
        start = _number(f"epsilon_schedule entry {i} iteration", entry[0], int, 0)
        eps = entry[1]
        if isinstance(eps, int | float) and not isinstance(eps, bool) and eps < 0:
            raise ConfigError(f"epsilon_schedule entry {i}: epsilon must not be negative, got {eps!r}")
        eps = _number(f"epsilon_schedule entry {i} epsilon", eps, float, 0.0, 1.0)
        if out and start <= out[-1][0]:
            raise ConfigError(
                f"epsilon_schedule entry {i}: iterations must increase, got {start} after {out[-1][0]}"
            )
        out.append((start, eps))
    return tuple(out)
