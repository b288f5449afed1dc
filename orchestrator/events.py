"""Structured JSON-lines events, an event-loop lag monitor and a per-process CPU/RSS sampler."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import psutil

Subscriber = Callable[[dict], None]


def _json_default(obj: Any) -> Any:
    item = getattr(obj, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    return str(obj)


class EventLog:
    """Writes one JSON object per line (``ts``, ``event``, fields) and fans events out to subscribers.

    Writing never raises: the first failure (a full disk, an I/O error, a deleted directory) is kept in
    ``failure`` as one line naming the file, further lines are dropped, and ``on_failure`` callbacks are
    told once, so whoever owns the run can end it. Signal handlers may therefore emit safely.
    """

    def __init__(self, sink: IO[str] | str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._path = sink if isinstance(sink, str) else None
        self._fd: int | None = None
        self._stream: IO[str] | None = None if isinstance(sink, str) else sink
        if self._path is not None:
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.clock = clock
        self._subscribers: list[Subscriber] = []
        self.last_ts: dict[str, float] = {}
        """When each kind of event was last emitted (clock seconds)."""
        self._failure_listeners: list[Callable[[str], None]] = []
        self.failure: str | None = None

    @classmethod
    def stderr(cls) -> EventLog:
        """An event log printing to the process's stderr."""
        return cls(sys.stderr)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event_dict)`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def on_failure(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(message)`` once if writing ever fails (at once if it already has)."""
        self._failure_listeners.append(callback)
        if self.failure is not None:
            callback(self.failure)

    def emit(self, event: str, **fields: Any) -> dict:
        """Record one event now and return it."""
        now = self.clock()
        self.last_ts[event] = now
        record = {"ts": round(now, 6), "event": event, **fields}
        if self.failure is None and (self._fd is not None or self._stream is not None):
            line = json.dumps(record, default=_json_default, separators=(",", ":")) + "\n"
            try:
                if self._fd is not None:
                    data = line.encode()
                    while data:
                        data = data[os.write(self._fd, data):]
                else:
                    assert self._stream is not None
                    self._stream.write(line)
                    self._stream.flush()
            except (OSError, ValueError) as exc:
                self._failed(exc)
        for callback in tuple(self._subscribers):
            callback(record)
        return record

    def _failed(self, exc: BaseException) -> None:
        where = self._path or "the event stream"
        self.failure = f"cannot write events to {where}: {getattr(exc, 'strerror', None) or exc}"
        for callback in tuple(self._failure_listeners):
            callback(self.failure)

    def close(self) -> None:
        """Close the file if this log opened it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_events(path: str | Path) -> list[dict]:
    """Every event of a JSON-lines log, oldest first (blank lines skipped)."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100.0 * len(sorted_values)) - 1))
    return sorted_values[k]


def summarize_ms(values: Iterable[float]) -> dict[str, float]:
    """p50/p99/max of durations in seconds, reported in milliseconds."""
    ordered = sorted(values)
    return {
        "p50_ms": round(percentile(ordered, 50) * 1e3, 3),
        "p99_ms": round(percentile(ordered, 99) * 1e3, 3),
        "max_ms": round((ordered[-1] if ordered else 0.0) * 1e3, 3),
        "samples": len(ordered),
    }


class LoopLagMonitor:
    """Measures how late a periodic timer fires: the event loop's responsiveness.

    The timer is a bare callback (``loop.call_at``), not a task sleeping: a task's wakeup costs its loop a third
    more CPU (its future and its step take a second pass of the loop; ``bench.loop_wake``), and both see the same
    lag."""

    def __init__(self, interval_s: float = 0.02, window: int = 4096) -> None:
        self.interval_s = interval_s
        self._recent: deque[float] = deque(maxlen=window)
        self._all_max = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._timeline: list[tuple[float, float]] | None = None

    def start(self) -> None:
        """Start sampling on the running loop."""
        if self._timer is None:
            self._arm(asyncio.get_running_loop())

    async def stop(self) -> None:
        """Stop sampling."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        due = time.perf_counter() + self.interval_s  # uvloop's loop.time() only has millisecond resolution
        self._timer = loop.call_at(loop.time() + self.interval_s, self._fire, loop, due)

    def _fire(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        lag = max(0.0, time.perf_counter() - due)
        self._recent.append(lag)
        self._all_max = max(self._all_max, lag)
        if self._timeline is not None:
            self._timeline.append((time.time(), lag * 1e3))
        self._arm(loop)

    def record_to(self, timeline: list[tuple[float, float]]) -> None:
        """Also append each later sample to ``timeline`` as (wall time, lag in ms), for a benchmark to cut its
        own window from, without a second timer waking the loop."""
        self._timeline = timeline

    def reset(self) -> None:
        """Forget samples (e.g. after warm-up)."""
        self._recent.clear()
        self._all_max = 0.0

    def snapshot(self) -> dict[str, float]:
        """Lag p50/p99/max over the recent window, plus the max since start."""
        out = summarize_ms(self._recent)
        out["max_ever_ms"] = round(self._all_max * 1e3, 3)
        return out


class ProcessSampler:
    """CPU% and RSS of a set of processes, without blocking.

    CPU% is measured over at least ``min_interval_s``: a caller asking sooner gets the last
    reading, so several readers (progress loop, job) do not shrink each other's windows to noise. A report
    over many workers reads at most ``budget`` processes afresh (see :meth:`begin_report`), so the cost on
    the event loop stays bounded whatever the worker count.
    """

    def __init__(self, min_interval_s: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self._last: dict[int, tuple[float, dict[str, float | int | None]]] = {}
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._budget: int | None = None

    def begin_report(self, budget: int | None) -> None:
        """The next reads may refresh at most ``budget`` processes (None: all); the others keep their last."""
        self._budget = budget

    def sample(self, pid: int) -> dict[str, float | int | None]:
        """``{"cpu_percent", "rss_bytes"}`` for ``pid``; None values when it is gone."""
        now = self._clock()
        last = self._last.get(pid)
        if last is not None and (now - last[0] < self._min_interval_s or self._budget == 0):
            return last[1]
        if self._budget is not None:
            self._budget -= 1
        proc = self._procs.get(pid)
        try:
            if proc is None:
                proc = self._procs[pid] = psutil.Process(pid)
                proc.cpu_percent(None)
            reading = {"cpu_percent": proc.cpu_percent(None), "rss_bytes": proc.memory_info().rss}
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            self._procs.pop(pid, None)
            self._last.pop(pid, None)
            return {"cpu_percent": None, "rss_bytes": None}
        if last is not None:
            self._last[pid] = (now, reading)
        else:
            self._last[pid] = (now - self._min_interval_s, reading)
        return reading

    def forget(self, pid: int) -> None:
        """Drop a process that has been reaped."""
        self._procs.pop(pid, None)
        self._last.pop(pid, None)
