"""Run a job while killing, stopping and corrupting random workers; check nothing is lost or doubled.

    python scripts/chaos.py                                   # the orchestrator's exact-sum test job
    python scripts/chaos.py --job pkg.module:factory --job-arg n_batches=200 --duration 60
    python scripts/chaos.py --every-batches 10                # strike after every 10 batches (no clock)

Strikes come after every N delivered batches (``--every-batches``), so a run's faults do not depend on the
machine's speed, or at random wall-clock intervals (``--min-interval``/``--max-interval``).

The factory is called with the ``--job-arg`` values (JSON-decoded when possible) and returns
``(job, worker_spec)``; a job with an ``exact()`` method reports whether its final result is exact.
The last line printed is ``{"kills": n, "restarts": n, "lost": n, "duplicated": n, "exact": ..., "cut_short": ...}``;
the exit code is non-zero when anything was lost or duplicated, the result is inexact or the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.config import SupervisorConfig  # noqa: E402
from orchestrator.events import EventLog  # noqa: E402
from orchestrator.job import WorkerInfo  # noqa: E402
from orchestrator.loop import run_async  # noqa: E402
from orchestrator.policy import RestartPolicy  # noqa: E402
from orchestrator.supervisor import Supervisor  # noqa: E402
from orchestrator.worker_runtime import ENV_CHAOS_SIGNALS  # noqa: E402


class CountingJob:
    """Wraps a job and keeps its own books: which batches were issued and how often each was delivered."""

    def __init__(self, job: Any) -> None:
        self.job = job
        self.issued: set[int] = set()
        self.delivered: Counter[int] = Counter()
        self.batches = 0
        self.result_arrived = asyncio.Event()
        self.draining = False
        if hasattr(job, "accept"):
            self.accept = self._accept

    def _accept(self, delivery: Any) -> None:
        for batch_id in delivery.batch_ids:
            self.delivered[batch_id] += 1
        self._count(len(delivery.batch_ids))
        self.job.accept(delivery)

    def _count(self, batches: int = 1) -> None:
        self.batches += batches
        self.result_arrived.set()

    def drain(self) -> None:
        """Issue nothing new: the run ends once the batches already out are delivered."""
        self.draining = True

    def next_task(self, batch_id: int) -> dict | None:
        if self.draining:
            return None
        task = self.job.next_task(batch_id)
        if task is not None:
            self.issued.add(batch_id)
        return task

    async def on_result(self, batch_id: int, result: dict, worker: WorkerInfo) -> None:
        self.delivered[batch_id] += 1
        self._count()
        await self.job.on_result(batch_id, result, worker)

    def on_requeue(self, batch_id: int, reason: str) -> None:
        hook = getattr(self.job, "on_requeue", None)
        if hook is not None:
            hook(batch_id, reason)

    def finished(self) -> bool:
        return self.draining or self.job.finished()


def _load_factory(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name or "factory")


def _job_args(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


async def _next_strike(counting: CountingJob, args: argparse.Namespace, rng: random.Random) -> None:
    """Wait for the next strike: the next multiple of ``--every-batches`` delivered batches, or a random
    interval."""
    if not args.every_batches:
        await asyncio.sleep(rng.uniform(args.min_interval, args.max_interval))
        return
    target = (counting.batches // args.every_batches + 1) * args.every_batches
    while counting.batches < target:
        counting.result_arrived.clear()
        await counting.result_arrived.wait()


async def _chaos(sup: Supervisor, counting: CountingJob, args: argparse.Namespace, tally: Counter[str]) -> None:
    rng = random.Random(args.seed)
    stopped: set[int] = set()
    while True:
        await _next_strike(counting, args, rng)
        busy = [w for w in sup.workers()
                if w.state == "ready" and w.pid and w.pid not in stopped
                and sup.ledger.in_flight_count(w.worker_id)]
        if not busy:
            await asyncio.sleep(0)
            continue
        victim = rng.choice(busy)
        roll = rng.random()
        if roll < args.stop_prob:
            action, sig = "stops", signal.SIGSTOP
        elif roll < args.stop_prob + args.corrupt_prob:
            action, sig = "corruptions", signal.SIGUSR1
        else:
            action, sig = "kills", signal.SIGKILL
        try:
            os.kill(victim.pid, sig)  # type: ignore[arg-type]
        except ProcessLookupError:
            continue
        tally[action] += 1
        if sig == signal.SIGSTOP:
            stopped.add(victim.pid)  # type: ignore[arg-type]
        sup.events.emit("chaos", action=action, worker=victim.worker_id, pid=victim.pid)


async def main(args: argparse.Namespace) -> int:
    job, spec = _load_factory(args.job)(**_job_args(args.job_arg))
    spec = dataclasses.replace(spec, env={**spec.env, ENV_CHAOS_SIGNALS: "1"})
    counting = CountingJob(job)
    events = EventLog(args.events) if args.events else EventLog(None)
    config = SupervisorConfig(
        num_workers=args.workers, heartbeat_interval_s=0.2, heartbeat_timeout_s=args.hang_timeout_s,
        grace_s=10.0, shutdown_timeout_s=2.0, progress_interval_s=2.0,
        restart=RestartPolicy(max_restarts=10_000, restart_window_s=60.0, backoff_initial_s=0.0),
        **getattr(job, "supervisor_settings", {}),
    )
    sup = Supervisor(counting, spec, config, events=events)
    if hasattr(job, "supervisor"):
        job.supervisor = sup
    tally: Counter[str] = Counter()
    chaos = asyncio.create_task(_chaos(sup, counting, args, tally))
    loop = asyncio.get_running_loop()
    timers: list[asyncio.TimerHandle] = []

    def cut_short() -> None:
        counting.drain()
        chaos.cancel()
        sup.events.emit("chaos_duration", seconds=args.duration, drain_timeout_s=args.drain_timeout_s)
        timers.append(loop.call_later(args.drain_timeout_s, sup.request_stop, "duration"))

    timers.append(loop.call_later(args.duration, cut_short))
    summary = await sup.run()
    for timer in timers:
        timer.cancel()
    chaos.cancel()
    if hasattr(job, "finish"):
        await job.finish(force=False)
    abandoned = set(summary.abandoned)
    lost = sorted(b for b in counting.issued if counting.delivered[b] == 0 and b not in abandoned)
    duplicated = sorted(b for b, n in counting.delivered.items() if n > 1)
    exact = job.exact() if hasattr(job, "exact") else None
    print(f"run: {summary.reason} after {summary.elapsed_s:.1f} s, {summary.batches_done} batches done, "
          f"{summary.requeued} re-issued, {len(abandoned)} abandoned at stop, error: {summary.error}")
    print(f"chaos: {tally['kills']} kills, {tally['stops']} stops, {tally['corruptions']} corruptions; "
          f"{summary.restarts} restarts; lost {lost[:10]}; duplicated {duplicated[:10]}")
    print(json.dumps({"kills": tally["kills"], "restarts": summary.restarts, "lost": len(lost),
                      "duplicated": len(duplicated), "exact": exact, "cut_short": counting.draining}))
    return 1 if lost or duplicated or exact is False or not summary.ok else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--job", default="orchestrator.testing.jobs:chaos_job",
                   help="module:factory returning (job, worker_spec)")
    p.add_argument("--job-arg", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--duration", type=float, default=60.0,
                   help="after this many seconds stop the chaos and issue no new batch; the run ends when the "
                        "batches already out are delivered, so the result can still be judged exact")
    p.add_argument("--drain-timeout-s", type=float, default=30.0,
                   help="stop the run anyway this long after --duration if batches are still out")
    p.add_argument("--every-batches", type=int, default=0, metavar="N",
                   help="strike after every N delivered batches instead of at random intervals")
    p.add_argument("--min-interval", type=float, default=0.15)
    p.add_argument("--max-interval", type=float, default=0.6)
    p.add_argument("--stop-prob", type=float, default=0.1, help="share of SIGSTOP (hang) among actions")
    p.add_argument("--corrupt-prob", type=float, default=0.1, help="share of corrupted streams (SIGUSR1)")
    p.add_argument("--hang-timeout-s", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--events", help="write the JSON-lines event log here")
    p.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto")
    return p.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    sys.exit(run_async(main(options), options.loop))
