"""A dependency-free progress line with an ETA: refreshed in place on a terminal, plain lines in a log file."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _fmt(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:4.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class Progress:
    """``update(done, total)`` redraws ``label  42.0%  elapsed 3.1s  ETA 4.2s`` at most 5 times a second.

    When the stream is not a terminal (a log file, a pipe) it writes whole lines instead, one per quarter of
    the work, so logs get no carriage returns.
    """

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.start = time.perf_counter()
        self._last = 0.0
        self._width = 0
        self._quarter = 0

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        frac = done / total if total else 1.0
        if self.tty:
            if done < total and now - self._last < 0.2:
                return
        elif frac < 1.0 and int(4 * frac) <= self._quarter:
            return
        self._last = now
        elapsed = now - self.start
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        text = f"{self.label:<28} {100 * frac:5.1f}%  elapsed {_fmt(elapsed)}  ETA {_fmt(eta)}"
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        elif frac < 1.0:
            self._quarter = int(4 * frac)
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, note: str = "") -> float:
        """Finish the line (replacing it with ``note`` if given); returns the elapsed seconds."""
        elapsed = time.perf_counter() - self.start
        if self.enabled:
            text = f"{self.label:<28} done in {_fmt(elapsed)}" + (f"  {note}" if note else "")
            self.stream.write(("\r" + text.ljust(self._width) if self.tty else text) + "\n")
            self.stream.flush()
        return elapsed
