"""Table cells for ``BENCHMARKS.md``: a row's shape, reading nested JSON, formatting figures, checking goals."""

from __future__ import annotations

import math
from typing import Any

Row = tuple[str, Any, Any, Any, Any]
"""A table row: the figure's label, ours, the reference measured in the same run, the goal, whether it is met."""


def get(data: Any, path: str, default: Any = None) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``default`` when any step is missing."""
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def fmt(value: Any) -> str:
    """A table cell: thousands separators, three significant digits for small floats, n/a for missing."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def at_least(value: Any, goal: Any) -> bool | None:
    return None if value is None or goal is None else value >= goal


def below(value: Any, goal: Any) -> bool | None:
    return None if value is None or goal is None else value < goal
