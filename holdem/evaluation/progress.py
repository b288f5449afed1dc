"""A one-line progress bar on stderr: done/total, rate and ETA, refreshed in place at most twice a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class ProgressBar:
    """``update(done)`` redraws ``label done/total unit pct rate ETA``; ``close()`` ends the line."""

    def __init__(self, total: int, *, label: str = "", unit: str = "hands", stream: TextIO | None = None,
                 min_interval_s: float = 0.5) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.min_interval_s = min_interval_s
        self.start = time.monotonic()
        self._last_draw = -float("inf")
        self._done = 0
        self._drawn = -1

    def update(self, done: int, *, force: bool = False) -> None:
        self._done = done
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval_s:
            return
        self._last_draw = now
        self._drawn = done
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        width = 24
        filled = int(width * done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        eta_text = _clock(eta) if eta == eta else "?"
        line = (f"\r{self.label} [{bar}] {done:,}/{self.total:,} {self.unit} {100 * done / self.total:5.1f}% "
                f"{rate:,.0f} {self.unit}/s ETA {eta_text}")
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self._drawn != self._done:
            self.update(self._done, force=True)
        self.stream.write("\n")
        self.stream.flush()
