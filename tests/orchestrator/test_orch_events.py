"""JSON-lines events and lag statistics."""

from __future__ import annotations

import asyncio
import io
import json

import numpy as np

from orchestrator.events import EventLog, LoopLagMonitor, percentile, summarize_ms


def test_one_json_object_per_line_with_ts_and_event() -> None:
    sink = io.StringIO()
    log = EventLog(sink, clock=lambda: 12.5)
    seen: list[dict] = []
    unsubscribe = log.subscribe(seen.append)
    log.emit("spawn", worker=1, pid=np.int64(42), arr=np.float32(0.5))
    unsubscribe()
    log.emit("exit", worker=1)
    lines = sink.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"ts": 12.5, "event": "spawn", "worker": 1, "pid": 42, "arr": 0.5},
        {"ts": 12.5, "event": "exit", "worker": 1},
    ]
    assert len(seen) == 1


def test_percentiles() -> None:
    values = sorted(float(i) for i in range(1, 101))
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0 and percentile([], 50) == 0.0
    assert summarize_ms([0.001, 0.002, 0.010])["max_ms"] == 10.0


async def test_lag_monitor_sees_a_blocked_loop() -> None:
    monitor = LoopLagMonitor(interval_s=0.005)
    monitor.start()
    await asyncio.sleep(0.03)
    import time

    time.sleep(0.05)  # deliberately block the loop to create lag
    await asyncio.sleep(0.02)
    await monitor.stop()
    assert monitor.snapshot()["max_ms"] >= 40


async def test_lag_monitor_timeline_places_the_block_in_wall_time() -> None:
    import time

    timeline: list[tuple[float, float]] = []
    monitor = LoopLagMonitor(interval_s=0.005)
    monitor.record_to(timeline)
    monitor.start()
    await asyncio.sleep(0.03)
    blocked_from = time.time()
    time.sleep(0.05)  # deliberately block the loop to create lag
    blocked_to = time.time()
    await asyncio.sleep(0.02)
    await monitor.stop()
    assert len(timeline) == monitor.snapshot()["samples"]
    assert any(lag >= 40 and blocked_to <= ts for ts, lag in timeline)
    assert all(blocked_from - 60 < ts < time.time() for ts, _ in timeline)
