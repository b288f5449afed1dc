"""What one wake of an idle event loop costs in CPU on this machine: the floor under the supervisor's cost per
result, whatever it does once awake.

The loop sleeps in ``epoll_wait`` and wakes every ``interval`` seconds, for a task's timer (``asyncio.sleep``), a
bare timer callback (``loop.call_at``, as the loop-lag sampler does), or a small frame on a pipe from another
process (as a result or a commit's answer arrives), and does nothing else. The CPU of the loop's thread per wake
is measured with both cores idle, and with two processes at ``nice 10`` scattering writes over 400 MB each (as
two workers' kernels do). The longer the loop sleeps, the colder its caches when it wakes. Writes
``bench/results/loop_wake.json``::

    python -m bench.loop_wake [--wakes 200] [--intervals 0.001,0.01,0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import write_result
from orchestrator.events import LoopLagMonitor
from orchestrator.loop import run_async

ROOT = Path(__file__).resolve().parents[1]
FRAME = b"\x82\xa1v\x02\xa1t\xa9heartbeat"
WORKER_CODE = """
import numpy as np
table = np.zeros(50_000_000)
rows = np.random.default_rng(0).integers(0, table.size, 5_000_000)
while True:
    table[rows] += 1.0
"""
WRITER_CODE = f"""
import os, sys, time
fd, interval, count = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for _ in range(count):
    time.sleep(interval)
    os.write(fd, {FRAME!r})
"""


async def timer_wakes(interval_s: float, wakes: int) -> float:
    """Loop-thread CPU microseconds per ``asyncio.sleep`` wake (a task's: its future, then its step)."""
    await asyncio.sleep(interval_s)
    started = time.thread_time()
    for _ in range(wakes):
        await asyncio.sleep(interval_s)
    return (time.thread_time() - started) / wakes * 1e6


async def callback_wakes(interval_s: float, wakes: int) -> float:
    """Loop-thread CPU microseconds per wake of the loop-lag sampler (:class:`~orchestrator.events.LoopLagMonitor`,
    a bare ``call_at`` callback), with nothing else on the loop but one sleep for the whole span."""
    monitor = LoopLagMonitor(interval_s)
    started = time.thread_time()
    monitor.start()
    await asyncio.sleep(wakes * interval_s)
    await monitor.stop()
    return (time.thread_time() - started) / max(1, monitor.snapshot()["samples"]) * 1e6


class _Frames(asyncio.Protocol):
    def __init__(self, wakes: int, done: asyncio.Future) -> None:
        self.left, self.done, self.started = wakes + 1, done, 0.0

    def data_received(self, data: bytes) -> None:
        self.left -= len(data) // len(FRAME)
        if self.started == 0.0:
            self.started = time.thread_time()
        elif self.left <= 0 and not self.done.done():
            self.done.set_result(time.thread_time() - self.started)


async def frame_wakes(interval_s: float, wakes: int) -> float:
    """Loop-thread CPU microseconds per wake for a small frame another process writes to a pipe."""
    loop = asyncio.get_running_loop()
    read_fd, write_fd = os.pipe()
    writer = subprocess.Popen([sys.executable, "-c", WRITER_CODE, str(write_fd), str(interval_s), str(wakes + 1)],
                              pass_fds=(write_fd,))
    os.close(write_fd)
    done: asyncio.Future = loop.create_future()
    transport, _ = await loop.connect_read_pipe(lambda: _Frames(wakes, done), os.fdopen(read_fd, "rb", 0))
    try:
        cpu_s = await asyncio.wait_for(done, timeout=60 + 4 * wakes * interval_s)
    finally:
        transport.close()
        writer.kill()
        writer.wait()
    return cpu_s / wakes * 1e6


def _workers(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", WORKER_CODE]) for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wakes", type=int, default=200, help="wakes per case (capped at 30 s a case)")
    parser.add_argument("--intervals", default="0.001,0.01,0.1", help="seconds between wakes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "loop_wake.json")
    args = parser.parse_args()
    intervals = [float(x) for x in args.intervals.split(",")]
    started = time.time()
    cases: dict[str, Any] = {}
    for background in ("idle", "two_busy_workers"):
        workers = _workers(2) if background == "two_busy_workers" else []
        try:
            if workers:
                time.sleep(3.0)
            for interval in intervals:
                wakes = max(20, min(args.wakes, int(30 / interval)))
                row = {"wakes": wakes,
                       "timer_us_per_wake": round(run_async(timer_wakes(interval, wakes)), 1),
                       "callback_us_per_wake": round(run_async(callback_wakes(interval, wakes)), 1),
                       "frame_us_per_wake": round(run_async(frame_wakes(interval, wakes)), 1)}
                cases[f"{background}/{interval:g}"] = row
                print(f"{background}, every {interval:g} s: {json.dumps(row)}", file=sys.stderr, flush=True)
        finally:
            for worker in workers:
                worker.kill()
                worker.wait()
    write_result(args.out, {"wakes": args.wakes, "intervals": intervals, "total_s": round(time.time() - started, 1)},
                 cases=cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
