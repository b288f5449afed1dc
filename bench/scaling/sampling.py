"""Sampling a training from outside: per-thread CPU and run-queue wait from /proc at a fixed rate, and the
events its run directory grows."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.scaling import SAMPLE_HZ


@dataclass
class Trace:
    """One process's samples: wall time, CPU% and run-queue wait% over the interval before, cumulative CPU s."""

    t: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    wait: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)

    def cpu_seconds_at(self, when: float) -> float:
        """Cumulative CPU seconds at ``when`` (linear between samples, clamped at the ends)."""
        if not self.t:
            return 0.0
        if when <= self.t[0]:
            return self.cpu_s[0]
        for i in range(1, len(self.t)):
            if self.t[i] >= when:
                span = self.t[i] - self.t[i - 1]
                frac = (when - self.t[i - 1]) / span if span > 0 else 1.0
                return self.cpu_s[i - 1] + frac * (self.cpu_s[i] - self.cpu_s[i - 1])
        return self.cpu_s[-1]


def _thread_times(pid: int) -> dict[int, tuple[int, int]] | None:
    """Per-thread (ns on CPU, ns runnable but waiting for a CPU) from ``/proc/PID/task/*/schedstat``."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                run_ns, wait_ns, _ = fh.read().split()
            out[int(tid)] = (int(run_ns), int(wait_ns))
        except (OSError, ValueError):
            continue
    return out


class CpuSampler:
    """Samples a process and its children at ``hz`` in a thread; one :class:`Trace` per pid."""

    def __init__(self, root_pid: int, hz: float = SAMPLE_HZ) -> None:
        import psutil

        self.root_pid = root_pid
        self.period = 1.0 / hz
        self.traces: dict[int, Trace] = {}
        self._root = psutil.Process(root_pid)
        self._prev: dict[int, tuple[float, dict[int, tuple[int, int]]]] = {}
        self._pids = [root_pid]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[int, Trace]:
        self._stop.set()
        self._thread.join()
        return self.traces

    def _children(self) -> None:
        try:
            self._pids = [self.root_pid] + [c.pid for c in self._root.children()]
        except Exception:  # noqa: BLE001 - the root may be gone; keep the last list
            pass

    def _loop(self) -> None:
        tick = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            if tick % 3 == 0:
                self._children()
            for pid in self._pids:
                self._sample(pid)
            tick += 1
            next_at += self.period
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _sample(self, pid: int) -> None:
        threads = _thread_times(pid)
        now = time.time()
        if not threads:
            return
        prev = self._prev.get(pid)
        self._prev[pid] = (now, threads)
        if prev is None:
            return
        then, old = prev
        dt = now - then
        if dt <= 0:
            return
        run = sum(max(0, r - old.get(tid, (0, 0))[0]) for tid, (r, _) in threads.items())
        wait = sum(max(0, w - old.get(tid, (0, 0))[1]) for tid, (_, w) in threads.items())
        trace = self.traces.setdefault(pid, Trace())
        trace.t.append(now)
        trace.cpu.append(100.0 * run / 1e9 / dt)
        trace.wait.append(100.0 * wait / 1e9 / dt)
        trace.cpu_s.append((trace.cpu_s[-1] if trace.cpu_s else 0.0) + run / 1e9)


class EventTail:
    """Reads new complete lines of a growing ``events.jsonl``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return self.events
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].splitlines():
            try:
                self.events.append(json.loads(line))
            except ValueError:
                continue
        return self.events
