"""The exact set of iterations a run has applied, kept as sorted disjoint half-open ranges.

Checkpoints record it (not a count), so a resume issues exactly the gaps; adding an iteration twice is an
error, which is how exactly-once is checked per iteration rather than by a total.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable


class OverlapError(ValueError):
    """An iteration range that is already (partly) applied."""


class IterationRanges:
    """Sorted, disjoint, non-adjacent ``[start, stop)`` ranges of iteration numbers."""

    def __init__(self, ranges: Iterable[Iterable[int]] = ()) -> None:
        self._starts: list[int] = []
        self._stops: list[int] = []
        for start, stop in ranges:
            self.add(int(start), int(stop))

    def add(self, start: int, stop: int) -> None:
        """Record ``[start, stop)``; OverlapError if any of it is already recorded."""
        if stop <= start:
            if stop == start:
                return
            raise OverlapError(f"empty or reversed range [{start}, {stop})")
        i = bisect.bisect_right(self._starts, start)
        if (i > 0 and self._stops[i - 1] > start) or (i < len(self._starts) and self._starts[i] < stop):
            raise OverlapError(f"iterations [{start}, {stop}) overlap ranges already applied")
        joins_left = i > 0 and self._stops[i - 1] == start
        joins_right = i < len(self._starts) and self._starts[i] == stop
        if joins_left and joins_right:
            self._stops[i - 1] = self._stops[i]
            del self._starts[i], self._stops[i]
        elif joins_left:
            self._stops[i - 1] = stop
        elif joins_right:
            self._starts[i] = start
        else:
            self._starts.insert(i, start)
            self._stops.insert(i, stop)

    def prefix_end(self) -> int:
        """The first iteration not applied: every iteration below it is."""
        return self._stops[0] if self._starts and self._starts[0] == 0 else 0

    def end(self) -> int:
        """One past the highest iteration applied (0 when empty)."""
        return self._stops[-1] if self._stops else 0

    def total(self) -> int:
        """How many iterations are applied."""
        return sum(b - a for a, b in zip(self._starts, self._stops))

    def gaps(self, upto: int | None = None) -> list[tuple[int, int]]:
        """Ranges below ``upto`` (default: the highest applied) that are not applied, in order."""
        limit = self.end() if upto is None else upto
        out, cursor = [], 0
        for start, stop in zip(self._starts, self._stops):
            if start >= limit:
                break
            if start > cursor:
                out.append((cursor, start))
            cursor = stop
        if cursor < limit:
            out.append((cursor, limit))
        return out

    def to_list(self) -> list[list[int]]:
        return [[a, b] for a, b in zip(self._starts, self._stops)]

    def __len__(self) -> int:
        return len(self._starts)

    def __repr__(self) -> str:
        return f"IterationRanges({self.to_list()})"
