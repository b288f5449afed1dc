"""The supervisor with real worker processes: exactly-once through kills, corruption, hangs and stops."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from orchestrator.config import SupervisorConfig
from orchestrator.events import EventLog
from orchestrator.job import Summary
from orchestrator.policy import RestartPolicy
from orchestrator.results import COPY_ON_LOOP_BYTES
from orchestrator.supervisor import Supervisor
from orchestrator.testing.jobs import ExactSumAcceptJob, ExactSumJob, echo_spec
from orchestrator.transport import SubprocessTransport, WorkerHandle

FAST = dict(heartbeat_interval_s=0.1, heartbeat_timeout_s=1.0, boot_timeout_s=15.0, grace_s=3.0,
            shutdown_timeout_s=1.0, progress_interval_s=0.5, handle_signals=False,
            restart=RestartPolicy(max_restarts=20, restart_window_s=30.0, backoff_initial_s=0.0))


class Harness:
    """A supervisor plus the events it emitted, and helpers to wait on them."""

    def __init__(self, job: ExactSumJob, *worker_args: str, **config: object) -> None:
        self.events: list[dict] = []
        log = EventLog(None)
        log.subscribe(self.events.append)
        self.job = job
        config = {**FAST, **config}
        self.sup = Supervisor(job, echo_spec(*worker_args), SupervisorConfig(**config), events=log)
        job.supervisor = self.sup

    def named(self, name: str) -> list[dict]:
        return [e for e in self.events if e["event"] == name]

    async def run(self) -> Summary:
        return await self.sup.run()


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for a condition (checked every 10 ms) up to a deadline."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
    assert predicate(), what


def assert_exact(job: ExactSumJob) -> None:
    assert job.lost() == [] and job.duplicated() == [], (job.lost(), job.duplicated())
    assert job.exact()


async def test_completes_exactly() -> None:
    h = Harness(ExactSumJob(60, size=512, work_s=0.005))
    async with asyncio.timeout(20):
        summary = await h.run()
    assert summary.ok and summary.reason == "completed" and summary.batches_done == 60
    assert_exact(h.job)
    assert not summary.abandoned and len(h.named("ready")) == len(h.named("exit")) >= 1


class InFlightJob(ExactSumJob):
    """Records the most batches one worker held at once (issued, result not yet in)."""

    most_in_flight = 0

    async def on_result(self, batch_id: int, result: dict, worker: object) -> None:
        held = max(self.supervisor.ledger.in_flight_count(w.worker_id) for w in self.supervisor.workers())
        self.most_in_flight = max(self.most_in_flight, held)
        await super().on_result(batch_id, result, worker)


async def test_a_job_can_raise_the_credits_so_short_tasks_queue_deeper() -> None:
    plain = Harness(InFlightJob(30, size=64, work_s=0.01), num_workers=1)
    async with asyncio.timeout(30):
        assert (await plain.run()).ok
    deeper = Harness(InFlightJob(30, size=64, work_s=0.01), num_workers=1)
    deeper.sup.set_credits(6)
    deeper.sup.set_credits(1)
    assert deeper.sup.credits == 2, "never below the configured credits"
    deeper.sup.set_credits(6)
    async with asyncio.timeout(30):
        assert (await deeper.run()).ok
    assert plain.job.most_in_flight <= 2 < 5 <= deeper.job.most_in_flight <= 6
    assert_exact(deeper.job)
    assert [e["credits"] for e in deeper.named("credits")] == [6, 2, 6]


class GatedJob(ExactSumJob):
    """Has a next task only once every earlier one's result is in (a job that plans from its results)."""

    def next_task(self, batch_id: int) -> dict | None:
        if len(self.issued) > sum(self.seen.values()):
            return None
        return super().next_task(batch_id)


async def test_workers_left_without_a_task_get_one_as_soon_as_a_result_makes_one() -> None:
    h = Harness(GatedJob(24, size=64, work_s=0.002), num_workers=2, heartbeat_interval_s=20.0,
                heartbeat_timeout_s=120.0)
    async with asyncio.timeout(60):
        summary = await h.run()
    assert summary.ok and summary.reason == "completed" and summary.batches_done == 24
    assert_exact(h.job)
    assert len(h.job.issued) == 24


class NiceJob(ExactSumJob):
    """Records, at its first result, the workers' niceness and the interpreter's GIL switch interval."""

    seen_nice: list[int] = []
    seen_cpus: list[set[int]] = []
    switch_interval = 0.0

    async def on_result(self, batch_id: int, result: dict, worker: object) -> None:
        if not self.seen_nice:
            workers = [psutil.Process(w.pid) for w in self.supervisor.workers() if w.pid]
            self.seen_nice = [p.nice() for p in workers]
            self.seen_cpus = [set(p.cpu_affinity()) for p in workers]
            self.switch_interval = sys.getswitchinterval()
        await super().on_result(batch_id, result, worker)


async def test_workers_run_below_the_supervisor_and_the_gil_is_handed_over_sooner_during_a_run() -> None:
    before = sys.getswitchinterval()
    job = NiceJob(6, size=64)
    h = Harness(job, num_workers=2, pin_loop_cpu=True)
    h.sup.spec = dataclasses.replace(h.sup.spec, nice=7)
    async with asyncio.timeout(30):
        assert (await h.run()).ok
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert job.seen_nice and all(n == min(19, base + 7) for n in job.seen_nice), job.seen_nice
    assert all(cpus == os.sched_getaffinity(0) for cpus in job.seen_cpus), "workers use every CPU, not the loop's"
    assert job.switch_interval == pytest.approx(SupervisorConfig().gil_switch_interval_s)
    assert sys.getswitchinterval() == before, "restored after the run"


async def kill_busy_workers_after(h: Harness, thresholds: range | tuple[int, ...]) -> int:
    """Kill a busy worker once the n-th batch of each threshold is done: faults follow results, not the clock."""
    def busy() -> list[int]:
        return [w.pid for w in h.sup.workers()
                if w.state == "ready" and w.pid and h.sup.ledger.in_flight_count(w.worker_id)]

    kills = 0
    for threshold in thresholds:
        await wait_until(lambda t=threshold: h.sup.ledger.done >= t and bool(busy()), 60, "a busy worker")
        os.kill(busy()[0], signal.SIGKILL)
        kills += 1
    return kills


async def test_sigkill_mid_batch_repeatedly_loses_and_duplicates_nothing() -> None:
    h = Harness(ExactSumJob(300, size=2048, work_s=0.01))
    async with asyncio.timeout(120):
        killing = asyncio.create_task(kill_busy_workers_after(h, range(30, 210, 30)))
        summary = await h.run()
        kills = await killing
    assert summary.ok and summary.batches_done == 300
    assert kills >= 3 and summary.restarts == kills
    assert sum(len(e["requeued"]) for e in h.named("exit")) == summary.requeued >= 1
    assert_exact(h.job)


async def test_frame_handling_cpu_counts_every_worker_and_keeps_the_dead_ones() -> None:
    """The loop CPU spent on frames only grows, through kills (a dead worker's share is kept), and is part of
    the loop thread's CPU."""
    import time

    h = Harness(ExactSumJob(120, size=2048, work_s=0.01))
    seen: list[float] = []

    async def watch() -> None:
        while True:
            seen.append(h.sup.frames_cpu_s())
            await asyncio.sleep(0.005)

    started_cpu = time.thread_time()
    async with asyncio.timeout(60):
        watching = asyncio.create_task(watch())
        killing = asyncio.create_task(kill_busy_workers_after(h, (30, 60)))
        summary = await h.run()
        kills = await killing
        watching.cancel()
    loop_cpu = time.thread_time() - started_cpu
    assert summary.ok and kills == 2 and summary.restarts == 2
    total = h.sup.frames_cpu_s()
    assert 0 < total <= loop_cpu
    assert all(b >= a for a, b in zip(seen, seen[1:])) and seen[-1] <= total
    assert h.sup.stats()["frames_cpu_s"] == round(total, 6)
    assert_exact(h.job)


@pytest.mark.parametrize("fault", ["garbage", "oversize", "unknown"])
async def test_protocol_violation_restarts_worker_and_reissues_batch(fault: str, tmp_path: Path) -> None:
    h = Harness(ExactSumJob(30, size=1024), "--fault", fault, "--fault-after", "3",
                "--fault-once", str(tmp_path / "once"), max_frame_bytes=1 << 20)
    async with asyncio.timeout(20):
        summary = await h.run()
    assert summary.ok and summary.batches_done == 30 and summary.restarts == 1
    [error] = h.named("protocol_error")
    expected = {"oversize": "exceeds", "garbage": "undecodable", "unknown": "unknown message"}[fault]
    assert expected in error["error"]
    assert h.named("requeue") and summary.requeued >= 1
    assert_exact(h.job)


async def test_task_exception_is_reported_and_batch_reissued(tmp_path: Path) -> None:
    h = Harness(ExactSumJob(20), "--fault", "raise", "--fault-after", "2",
                "--fault-once", str(tmp_path / "x"))
    async with asyncio.timeout(20):
        summary = await h.run()
    [err] = h.named("worker_error")
    assert "simulated failure" in err["message"] and "Traceback" in err["traceback"]
    assert summary.ok and summary.restarts == 1
    assert_exact(h.job)


async def test_stray_prints_do_not_corrupt_the_protocol_and_are_logged() -> None:
    h = Harness(ExactSumJob(10), "--fault", "noise", "--fault-after", "1")
    async with asyncio.timeout(20):
        summary = await h.run()
    assert summary.ok and summary.restarts == 0
    assert any(e["stream"] == "stdout" and "stray print" in e["line"] for e in h.named("worker_output"))
    assert_exact(h.job)


async def test_crash_at_boot_fails_fast_with_one_clear_message() -> None:
    h = Harness(ExactSumJob(10), "--crash-at-boot")
    async with asyncio.timeout(15):
        summary = await h.run()
    assert not summary.ok and summary.reason == "boot_failure" and summary.restarts == 0
    assert "failed before ready" in summary.error and "exit 4" in summary.error
    assert "simulated boot crash" in summary.error
    assert len(h.named("fatal")) == 1


async def test_missing_executable_is_a_boot_failure() -> None:
    job = ExactSumJob(1)
    from orchestrator.transport import WorkerSpec

    sup = Supervisor(job, WorkerSpec(argv=["/nonexistent/worker"]), SupervisorConfig(**FAST))
    async with asyncio.timeout(10):
        summary = await sup.run()
    assert summary.reason == "boot_failure" and "/nonexistent/worker" in summary.error


class RefusingTransport(SubprocessTransport):
    """Spawns nothing: raises as an event loop does when it refuses a spawn argument (uvloop's ``process_group``)."""

    async def spawn(self, *args: object, **kwargs: object) -> WorkerHandle:
        raise ValueError("unexpected kwargs: process_group")


async def test_a_spawn_that_raises_anything_is_a_boot_failure_not_a_run_left_starting() -> None:
    log = EventLog(None)
    events: list[dict] = []
    log.subscribe(events.append)
    sup = Supervisor(ExactSumJob(5), echo_spec(), SupervisorConfig(**FAST), events=log,
                     transport=RefusingTransport(1 << 20))
    async with asyncio.timeout(30):
        summary = await sup.run()
    assert summary.reason == "boot_failure"
    assert "ValueError: unexpected kwargs: process_group" in summary.error
    assert [e["reason"] for e in events if e["event"] == "fatal"] == ["boot_failure"]


async def test_an_error_escaping_a_slot_stops_the_run_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_bury(self: Supervisor, w: object, reason: str) -> bool:
        raise RuntimeError(f"cannot bury after {reason}")

    monkeypatch.setattr(Supervisor, "_bury", broken_bury)
    h = Harness(ExactSumJob(1000), "--fault", "crash", "--fault-after", "1")
    async with asyncio.timeout(30):
        summary = await h.run()
    assert summary.reason == "supervisor_error"
    assert "stopped: RuntimeError: cannot bury after" in summary.error
    assert len(h.named("fatal")) == 1


async def test_crash_loop_stops_at_the_intensity_limit() -> None:
    h = Harness(ExactSumJob(1000), "--fault", "crash", "--fault-after", "1",
                restart=RestartPolicy(max_restarts=3, restart_window_s=30.0, backoff_initial_s=0.01))
    async with asyncio.timeout(30):
        summary = await h.run()
    assert not summary.ok and summary.reason == "restart_intensity"
    assert "more than 3 restarts" in summary.error and summary.restarts == 4
    assert h.job.duplicated() == []


async def test_hung_worker_is_detected_killed_and_its_batch_reissued(tmp_path: Path) -> None:
    h = Harness(ExactSumJob(30, work_s=0.005), "--fault", "hang", "--fault-after", "2",
                "--fault-once", str(tmp_path / "h"), heartbeat_timeout_s=0.6)
    async with asyncio.timeout(25):
        summary = await h.run()
    [hang] = h.named("hang")
    assert hang["silent_s"] >= 0.6
    stopped = [e for e in h.named("exit") if e["reason"] == "hang"]
    assert stopped and stopped[0]["status"] == "signal SIGKILL" and stopped[0]["requeued"]
    assert summary.ok and summary.restarts == 1
    assert_exact(h.job)


async def test_slow_consumer_with_large_frames_bounded_memory_and_backpressure() -> None:
    size = 1 << 20  # 8 MiB of int64 per result
    gate = asyncio.Event()
    h = Harness(ExactSumJob(16, size=size, consume_gate=gate))
    me = psutil.Process()
    base = me.memory_info().rss
    peak = base

    def sample(_: dict) -> None:
        nonlocal peak
        peak = max(peak, me.memory_info().rss)

    def every_worker_paused() -> bool:
        rows = h.sup.stats()["workers"]
        return len(rows) == 2 and all(row["paused"] for row in rows)

    async def open_gate_once_reading_is_paused() -> None:
        await wait_until(every_worker_paused, 60, "both workers paused by back-pressure")
        sample({})
        gate.set()

    h.sup.events.subscribe(sample)
    async with asyncio.timeout(90):
        opener = asyncio.create_task(open_gate_once_reading_is_paused())
        summary = await h.run()
        await opener
    assert summary.ok and summary.batches_done == 16
    assert summary.backpressure_s > 0
    # per worker: at most max_buffered_results + 1 decoded frames, one partial frame and the unpacker buffer
    assert peak - base < 160 * 2**20, (peak - base) / 2**20
    assert_exact(h.job)


async def test_graceful_stop_lets_in_flight_batches_finish() -> None:
    h = Harness(ExactSumJob(10_000, work_s=0.05))
    async with asyncio.timeout(20):
        running = asyncio.create_task(h.run())
        await wait_until(lambda: h.sup.ledger.done >= 10, 15, "some progress")
        h.sup.request_stop("budget reached")
        summary = await running
    assert summary.ok and summary.reason == "budget reached" and summary.abandoned == []
    assert summary.batches_done == len(h.job.issued)
    assert_exact(h.job)
    assert all(e["status"] == "exit 0" for e in h.named("exit"))


async def test_forced_stop_abandons_in_flight_and_kills() -> None:
    h = Harness(ExactSumJob(10_000, work_s=0.5))
    async with asyncio.timeout(20):
        running = asyncio.create_task(h.run())
        await wait_until(lambda: len(h.named("ready")) == 2 and h.sup.stats()["in_flight"] == 4, 15, "busy")
        h.sup.request_stop("operator", force=True)
        summary = await running
    assert summary.reason == "operator" and len(summary.abandoned) == 4
    assert h.job.duplicated() == [] and h.job.seen.total() == summary.batches_done
    assert all(e["status"] == "signal SIGKILL" for e in h.named("exit"))


async def test_stats_report_workers_lag_and_counts() -> None:
    h = Harness(ExactSumJob(10_000, work_s=0.02))
    async with asyncio.timeout(20):
        running = asyncio.create_task(h.run())
        await wait_until(lambda: len(h.named("progress")) >= 2, 15, "two progress events")
        stats = h.sup.stats()
        h.sup.request_stop("enough")
        await running
    assert len(stats["workers"]) == 2 and stats["batches_done"] > 0
    for row in stats["workers"]:
        assert row["rss_bytes"] > 0 and row["cpu_percent"] is not None and row["pid"]
    assert set(stats["loop_lag"]) >= {"p50_ms", "p99_ms", "max_ms"}
    assert {"backpressure_s", "restarts", "in_flight", "pending", "requeued"} <= set(stats)


async def test_a_jobs_own_progress_events_stand_in_for_the_supervisors() -> None:
    log = EventLog(None, clock=lambda: 1000.0)
    events: list[dict] = []
    log.subscribe(events.append)
    job = ExactSumJob(100, work_s=0.01)
    sup = Supervisor(job, echo_spec(), SupervisorConfig(**{**FAST, "progress_interval_s": 0.02}), events=log)
    job.supervisor = sup
    log.emit("progress", source="job")
    async with asyncio.timeout(20):
        summary = await sup.run()
    assert summary.ok and summary.batches_done == 100
    assert [e for e in events if e["event"] == "progress"] == [{"ts": 1000.0, "event": "progress", "source": "job"}], \
        "the job's progress is never older than the interval here: the supervisor adds none of its own"


async def test_stop_requested_before_run_returns_at_once() -> None:
    h = Harness(ExactSumJob(100))
    h.sup.request_stop("budget already spent")
    async with asyncio.timeout(15):
        summary = await h.run()
    assert summary.reason == "budget already spent" and summary.batches_done == 0


@pytest.mark.parametrize("size", [4096, (COPY_ON_LOOP_BYTES // 8) * 9 // 8], ids=["copied-on-loop", "copied-on-thread"])
async def test_results_carrying_several_batches_in_arenas_are_exact_through_kills(size: int) -> None:
    """A batching worker acknowledges several batch ids per result, its arrays in a shared-memory arena;
    a job settling late forces slot detaches (large results are copied out on a thread); kills after every
    20th result lose and double nothing."""
    job = ExactSumAcceptJob(240, size=size, work_s=0.002, hold=4)
    h = Harness(job, "--batching", "4", arena_slots=2, arena_slot_bytes=size * 8 + 4096, credits=3)
    async with asyncio.timeout(120):
        killing = asyncio.create_task(kill_busy_workers_after(h, (20, 40, 60)))
        summary = await h.run()
        kills = await killing
    assert summary.ok and summary.batches_done == 240 and kills == 3
    assert job.multi_batch_results > 0 and job.arena_results > 0
    assert h.named("detach"), "a job holding results must not starve a worker of arena slots"
    assert job.wait_slot_s > 0, "workers say how long they waited for a slot"
    assert_exact(job)


async def test_a_rejected_result_restarts_its_worker_and_its_batches_are_issued_again() -> None:
    job = ExactSumAcceptJob(60, size=1024, reject_once=frozenset({7}))
    h = Harness(job, "--batching", "2")
    async with asyncio.timeout(60):
        summary = await h.run()
    assert summary.ok and summary.batches_done == 60 and summary.restarts == 1
    [rejected] = h.named("result_rejected")
    assert 7 in rejected["batches"] and [e["reason"] for e in h.named("exit")].count("bad_result") == 1
    assert job.rejected and all(job.seen[b] == 1 for b in job.rejected)
    assert_exact(job)
