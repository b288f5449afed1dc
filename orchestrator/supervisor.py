"""The supervisor: keeps N workers busy with a job's batches, exactly once, through crashes and hangs.

One asyncio task per worker slot owns that slot's life (spawn → ready → work → death → restart); the
supervisor issues tasks up to each worker's credits and routes what workers send; results go through
:class:`~orchestrator.results.ResultDesk`. Every wait is on an event (data, exit, a deadline); nothing
polls or sleeps to find out what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .arena import ENV_ARENA, ArenaReader, create_arena, remove_stale_arenas
from .config import SupervisorConfig
from .events import EventLog, LoopLagMonitor, ProcessSampler
from .job import Job, Summary, WorkerInfo
from .ledger import BatchLedger
from .policy import RestartIntensity
from .priority import pin_loop_thread, unpin_loop_thread
from .protocol import MessageType, ProtocolError, encode, make_packer
from .results import ResultDesk
from .transport import SubprocessTransport, WorkerHandle, WorkerSpec, WorkerTransport, describe_exit
from .worker_state import WorkerState

_EOF_WAIT_S = 1.0
SAMPLES_PER_REPORT = 32
"""Worker processes read afresh (CPU, RSS) per progress report: the rest keep their last reading."""
_REAP_WAIT_S = 5.0


class Supervisor:
    """Runs ``job`` on ``config.num_workers`` workers started from ``spec`` until done or stopped."""

    def __init__(self, job: Job, spec: WorkerSpec, config: SupervisorConfig | None = None, *,
                 events: EventLog | None = None, transport: WorkerTransport | None = None) -> None:
        self.job, self.spec = job, spec
        self.config = config or SupervisorConfig()
        self.events = events or EventLog(None)
        self.ledger = BatchLedger()
        self._transport = transport or SubprocessTransport(self.config.max_frame_bytes)
        self._intensity = RestartIntensity(self.config.restart)
        self._lag = LoopLagMonitor(self.config.lag_interval_s)
        self._hungry: dict[int, None] = {}
        self._sampler = ProcessSampler()
        self._report_offset = 0
        self._packer = make_packer()
        self._workers: dict[int, WorkerState] = {}
        self._next_worker_id = 0
        self._issuing = True
        self._stop_reason: str | None = None
        self._error: str | None = None
        self._force = False
        self._signals_seen = 0
        self._bp_total = 0.0
        self._frames_cpu_gone_s = 0.0
        self._started = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_fut: asyncio.Future | None = None
        self._ladder_fut: asyncio.Future | None = None
        self._drained = asyncio.Event()
        self._results = ResultDesk(job, self.ledger, self.events, self._workers, call_job=self._call_job,
                                   protocol_error=self.on_protocol_error, after=self._after_result,
                                   resume=self._resume, max_buffered_results=self.config.max_buffered_results,
                                   log_batches=self.config.log_batches)
        self.signal: str | None = None
        self.credits = self.config.credits

    # ---- public control -------------------------------------------------------------------------

    def request_stop(self, reason: str = "requested", *, force: bool = False) -> None:
        """Stop issuing and shut down: in-flight batches get ``grace_s`` unless ``force``."""
        self._issuing = False
        if self._stop_reason is None:
            self._stop_reason = reason
            self.events.emit("stop_requested", reason=reason, force=force)
        if force and not self._force:
            self._force = True
            self.events.emit("stop_forced", reason=reason)
        if self._stop_fut is not None and not self._stop_fut.done():
            self._stop_fut.set_result(None)
        if force:
            self._drained.set()

    def fail(self, reason: str, message: str) -> None:
        """Stop the run now because of an error the job found (logged as ``fatal``)."""
        self._fail(reason, message)

    @property
    def forced(self) -> bool:
        """Whether the stop was forced (a second signal, an error): in-flight work was abandoned."""
        return self._force

    def wake(self) -> None:
        """The job has new tasks to offer: fill free credits now."""
        self._pump()

    def set_credits(self, credits: int) -> None:
        """Queue up to ``credits`` tasks per worker from now on (at least the configured number): a job whose
        tasks turn out short raises it, so a worker never waits on the loop between tasks."""
        credits = max(self.config.credits, int(credits))
        if credits != self.credits:
            self.credits = credits
            self.events.emit("credits", credits=credits)
            self._pump()

    def reset_loop_lag(self) -> None:
        """Start a fresh loop-lag window (e.g. after warm-up)."""
        self._lag.reset()

    def record_loop_lag(self, timeline: list[tuple[float, float]]) -> None:
        """Append every loop-lag sample from now on to ``timeline`` as (wall time, lag in ms)."""
        self._lag.record_to(timeline)

    def workers(self) -> list[WorkerInfo]:
        """Live workers (a snapshot)."""
        return [w.info for w in self._workers.values()]

    def stats(self) -> dict[str, Any]:
        """Counters, loop lag, back-pressure and per-worker CPU%/RSS, for progress reports."""
        now = self._now()
        workers = []
        paused = 0.0
        self._sampler.begin_report(SAMPLES_PER_REPORT)
        live = list(self._workers.values())
        self._report_offset = (self._report_offset + SAMPLES_PER_REPORT) % max(1, len(live))
        for w in live[self._report_offset:] + live[:self._report_offset]:
            row = asdict(w.info)
            row.update(self._sampler.sample(w.info.pid) if w.info.pid else {})
            row["in_flight"] = self.ledger.in_flight_count(w.info.worker_id)
            row["paused"] = w.paused_since is not None
            if w.paused_since is not None:
                paused += now - w.paused_since
            workers.append(row)
        counts = self.ledger.counts()
        return {
            "workers": workers, "batches_done": counts["done"], "requeued": counts["requeued"],
            "in_flight": counts["in_flight"], "delivering": counts["delivering"],
            "pending": counts["pending"],
            "restarts": self._intensity.total, "loop_lag": self._lag.snapshot(),
            "backpressure_s": round(self._bp_total + paused, 6), "deliver_s": round(self._results.deliver_s, 6),
            "frames_cpu_s": round(self.frames_cpu_s(), 6),
            "elapsed_s": round(now - self._started, 3),
        }

    def frames_cpu_s(self) -> float:
        """Loop-thread CPU seconds spent decoding and handling every worker's frames so far: what results, commits
        and task hand-outs cost the loop, apart from its timers (progress, lag sampling, watchdogs)."""
        live = sum(w.handle.frames_cpu_s for w in self._workers.values() if w.handle is not None)
        return self._frames_cpu_gone_s + live

    async def run(self) -> Summary:
        """Run until the job is done, a stop is requested, or a fatal error; always reaps every worker."""
        loop = self._loop = asyncio.get_running_loop()
        self._started = loop.time()
        if self.config.arena_slots > 0:
            remove_stale_arenas()
        self.events.on_failure(lambda message: self._fail("event_log", message))
        self._stop_fut, self._ladder_fut = loop.create_future(), loop.create_future()
        if self._stop_reason is not None:
            self._stop_fut.set_result(None)
        installed = self._install_signals()
        switch_interval = sys.getswitchinterval()
        if self.config.gil_switch_interval_s > 0:
            sys.setswitchinterval(self.config.gil_switch_interval_s)
        pinned = pin_loop_thread() if self.config.pin_loop_cpu else None
        self._lag.start()
        deliverer = loop.create_task(self._results.deliver_forever(), name="deliver")
        progress = loop.create_task(self._progress_loop(), name="progress")
        slots = [loop.create_task(self._slot_loop(s), name=f"slot-{s}")
                 for s in range(self.config.num_workers)]
        for task in slots:
            task.add_done_callback(self._on_slot_end)
        self.events.emit("start", num_workers=self.config.num_workers, credits=self.config.credits,
                         argv=list(self.spec.argv))
        try:
            await self._stop_fut
            await self._shutdown(slots, deliverer)
        finally:
            self._emergency_kill()
            for task in (*slots, deliverer, progress):
                task.cancel()
            await asyncio.gather(*slots, deliverer, progress, return_exceptions=True)
            await self._end_commits()
            await self._lag.stop()
            for sig in installed:
                loop.remove_signal_handler(sig)
            sys.setswitchinterval(switch_interval)
            unpin_loop_thread(pinned)
            await self._results.close()
        summary = Summary(
            reason=self._stop_reason or "unknown", error=self._error, batches_done=self.ledger.done,
            requeued=self.ledger.requeued, restarts=self._intensity.total, abandoned=self.ledger.unfinished(),
            elapsed_s=round(loop.time() - self._started, 3), backpressure_s=round(self._bp_total, 6),
            loop_lag=self._lag.snapshot(),
        )
        self.events.emit("shutdown", **asdict(summary))
        return summary

    # ---- lifecycle ------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._loop.time() if self._loop is not None else time.monotonic()

    @property
    def _stopping(self) -> bool:
        return self._stop_reason is not None

    def _fail(self, reason: str, message: str) -> None:
        if self._error is None:
            self._error = message
            self.events.emit("fatal", reason=reason, error=message)
        self.request_stop(reason, force=True)

    def _on_slot_end(self, task: asyncio.Task) -> None:
        """A slot's task ended: if by an exception, stop the run with it (nothing else would notice it, and a run
        whose slots are gone waits for ever)."""
        if task.cancelled() or (exc := task.exception()) is None:
            return
        self._fail("supervisor_error", f"{task.get_name()} stopped: {type(exc).__name__}: {exc}")

    def _install_signals(self) -> list[int]:
        installed: list[int] = []
        if not self.config.handle_signals:
            return installed
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._loop.add_signal_handler(sig, self._on_signal, sig)  # type: ignore[union-attr]
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        return installed

    def _on_signal(self, sig: int) -> None:
        """Record the signal and stop (a second one forces); never raises, whatever the disk does."""
        self._signals_seen += 1
        name = signal.Signals(sig).name
        self.signal = name
        try:
            self.events.emit("signal", signal=name, count=self._signals_seen)
            self.request_stop(f"signal {name}", force=self._signals_seen > 1)
        except Exception:  # noqa: BLE001 - a signal must always stop the run
            self._issuing = False
            self._force = self._force or self._signals_seen > 1
            if self._stop_fut is not None and not self._stop_fut.done():
                self._stop_fut.set_result(None)

    async def _shutdown(self, slots: list[asyncio.Task], deliverer: asyncio.Task) -> None:
        if not self._force and self._active_batches():
            self._drained.clear()
            self._check_drained()
            self.events.emit("draining", in_flight=self._active_batches(), grace_s=self.config.grace_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), self.config.grace_s)
        self._ladder_fut.set_result(None)  # type: ignore[union-attr]
        bound = 3 * self.config.shutdown_timeout_s + _EOF_WAIT_S + _REAP_WAIT_S
        _, late = await asyncio.wait(slots, timeout=bound)
        if late:
            self.events.emit("shutdown_timeout", slots=len(late))
        if not self._force and not deliverer.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._results.delivered(), self.config.grace_s)

    async def _end_commits(self) -> None:
        """Workers a cancelled slot left unburied: once each has exited (a bounded wait), its commits are gone."""
        for w in list(self._workers.values()):
            if w.commits and w.exit_task is not None:
                await asyncio.wait({w.exit_task}, timeout=_REAP_WAIT_S)
            w.end_commits()

    def _emergency_kill(self) -> None:
        for w in list(self._workers.values()):
            if w.handle is not None:
                w.handle.signal(signal.SIGKILL)

    async def _slot_loop(self, slot: int) -> None:
        while not self._stopping:
            w = await self._start(slot)
            if w is None:
                return
            await asyncio.wait({w.dead, self._ladder_fut}, return_when=asyncio.FIRST_COMPLETED)
            if not w.dead.done():
                await self._ladder(w)
            reason = w.dead.result()
            abnormal = await self._bury(w, reason)
            if self._stopping:
                return
            if not self.config.restart.restart.should_restart(abnormal):
                self._slot_gone(slot)
                return
            if not self._intensity.record():
                policy = self.config.restart
                self._fail("restart_intensity",
                           f"more than {policy.max_restarts} restarts within {policy.restart_window_s} s "
                           f"(last: worker {w.info.worker_id} slot {slot}, {reason})")
                return
            delay = self._intensity.backoff_s()
            self.events.emit("restart", slot=slot, after=w.info.worker_id, reason=reason, delay_s=delay,
                             recent=self._intensity.recent())
            if delay > 0:
                await asyncio.wait({self._ladder_fut}, timeout=delay)

    def _slot_gone(self, slot: int) -> None:
        self.events.emit("slot_retired", slot=slot)
        if not self._workers and not self._stopping:
            self._fail("no_workers", "every worker exited and none is to be restarted")

    async def _start(self, slot: int) -> WorkerState | None:
        loop = self._loop
        assert loop is not None
        info = WorkerInfo(worker_id=self._next_worker_id, slot=slot, started_at=time.time())
        self._next_worker_id += 1
        w = self._workers[info.worker_id] = WorkerState(info, loop)
        t0 = loop.time()
        env: dict[str, str] = {}
        reader: ArenaReader | None = None
        try:
            if self.config.arena_slots > 0:
                w.arena = create_arena(info.worker_id, self.config.arena_slots, self.config.arena_slot_bytes,
                                       journal_bytes=self.config.arena_journal_bytes)
                reader = ArenaReader(w.arena)
                w.journal = reader.journal()
                env[ENV_ARENA] = w.arena.to_env()
            w.handle = await self._transport.spawn(info.worker_id, self.spec, self,
                                                   heartbeat_s=self.config.heartbeat_interval_s, env=env,
                                                   arena=reader)
        except Exception as exc:  # noqa: BLE001 - any failure to spawn ends the run with its message
            self._unlink_arena(w)
            del self._workers[info.worker_id]
            self._fail("boot_failure", f"cannot start worker {list(self.spec.argv)}: {type(exc).__name__}: {exc}")
            return None
        info.pid = w.handle.pid
        self.events.emit("spawn", worker=info.worker_id, slot=slot, pid=info.pid)
        w.exit_task = loop.create_task(self._watch_exit(w), name=f"exit-{info.worker_id}")
        boot_timer = loop.call_later(self.config.boot_timeout_s, w.die, "boot_timeout")
        await asyncio.wait({w.ready, w.dead, self._ladder_fut}, return_when=asyncio.FIRST_COMPLETED)
        boot_timer.cancel()
        if w.ready.done() and not w.dead.done():
            info.state, info.ready_at = "ready", time.time()
            self.events.emit("ready", worker=info.worker_id, slot=slot, pid=info.pid,
                             boot_s=round(loop.time() - t0, 4))
            self._arm_watchdog(w, loop.time() + self.config.heartbeat_timeout_s)
            self._pump()
            return w
        if not w.dead.done():
            await self._ladder(w)
        reason = w.dead.result()
        await self._bury(w, reason)
        if not self._stopping:
            tail = " | ".join(w.last_lines) or "no output"
            self._fail("boot_failure", f"worker {info.worker_id} (slot {slot}, pid {info.pid}) failed before "
                       f"ready: {reason}, {describe_exit(w.returncode)}; last output: {tail}")
        return None

    async def _watch_exit(self, w: WorkerState) -> None:
        assert w.handle is not None
        w.returncode = await w.handle.wait()
        w.die("exit")

    async def _ladder(self, w: WorkerState) -> None:
        """Close stdin, then SIGTERM, then SIGKILL, each with a bounded wait."""
        assert w.handle is not None
        w.info.state = "stopping"
        steps: list[int | None] = [signal.SIGKILL] if self._force else [None, signal.SIGTERM, signal.SIGKILL]
        for sig in steps:
            if sig is None:
                w.handle.write(encode(MessageType.SHUTDOWN, self._packer))
                w.handle.close_input()
            else:
                w.handle.signal(sig)
            await asyncio.wait({w.dead}, timeout=self.config.shutdown_timeout_s)
            if w.dead.done():
                return
        w.die("unkillable")

    async def _bury(self, w: WorkerState, reason: str) -> bool:
        """Kill the worker's group, reap it, read its last complete frames, re-queue the rest."""
        handle, info = w.handle, w.info
        assert handle is not None and w.exit_task is not None
        info.state = "dead"
        handle.signal(signal.SIGKILL)
        if reason == "exit" and not w.eof.done():
            if w.paused_since is not None:
                self._resume(w)
            await asyncio.wait({w.eof}, timeout=_EOF_WAIT_S)
        done, _ = await asyncio.wait({w.exit_task}, timeout=_REAP_WAIT_S)
        if not done:
            self.events.emit("reap_timeout", worker=info.worker_id, pid=info.pid)
        w.accepting = False
        w.end_commits()
        if w.paused_since is not None:
            self._resume(w)
        handle.close()
        self._unlink_arena(w)
        w.unfinished = 0
        w.done_ids.clear()
        requeued = self.ledger.requeue_worker(info.worker_id)
        self.events.emit("exit", worker=info.worker_id, slot=info.slot, pid=info.pid, reason=reason,
                         status=describe_exit(w.returncode), requeued=requeued,
                         partial_frame=bool(getattr(handle, "partial_frame", False)))
        for batch_id in requeued:
            self.events.emit("requeue", batch=batch_id, worker=info.worker_id, reason=reason)
            self._call_job(self.job.on_requeue, batch_id, reason)
        self._frames_cpu_gone_s += handle.frames_cpu_s
        self._workers.pop(info.worker_id, None)
        self._hungry.pop(info.worker_id, None)
        if info.pid:
            self._sampler.forget(info.pid)
        self._check_drained()
        self._pump()
        return not (reason in ("exit", "eof") and w.returncode == 0)

    # ---- watchdog and back-pressure ---------------------------------------------------------------

    def _arm_watchdog(self, w: WorkerState, at: float) -> None:
        w.watchdog = self._loop.call_at(at, self._watchdog, w)  # type: ignore[union-attr]

    def _watchdog(self, w: WorkerState) -> None:
        if w.dead.done() or w.handle is None:
            return
        now, timeout = self._now(), self.config.heartbeat_timeout_s
        if w.paused_since is not None:
            self._arm_watchdog(w, now + timeout)
            return
        silent = now - w.handle.last_activity
        if silent >= timeout:
            self.events.emit("hang", worker=w.info.worker_id, pid=w.info.pid, silent_s=round(silent, 3))
            w.die("hang")
        else:
            self._arm_watchdog(w, w.handle.last_activity + timeout)

    def _pause(self, w: WorkerState) -> None:
        if w.paused_since is None and w.handle is not None:
            w.handle.pause_reading()
            w.paused_since = self._now()

    def _resume(self, w: WorkerState) -> None:
        if w.paused_since is None or w.handle is None:
            return
        now = self._now()
        waited = now - w.paused_since
        w.info.backpressure_s += waited
        self._bp_total += waited
        w.paused_since = None
        w.handle.last_activity = now
        w.handle.resume_reading()

    # ---- WorkerSink: called by the transport from the loop ----------------------------------------

    def on_messages(self, handle: WorkerHandle, messages: list[dict]) -> None:
        """Route decoded frames: ready, heartbeat, done, result (to the ledger and the job), error."""
        w = self._workers.get(handle.worker_id)
        if w is None or not w.accepting:
            return
        for msg in messages:
            mtype = msg["t"]
            if mtype == MessageType.HEARTBEAT:
                continue
            if mtype == MessageType.READY:
                if w.info.pid is None and isinstance(msg.get("pid"), int):
                    w.info.pid = msg["pid"]
                w.commits_results = msg.get("commits") is True and w.journal is not None
                if not w.ready.done():
                    w.ready.set_result(msg)
                continue
            if mtype == MessageType.RESULT:
                if not self._results.on_result_frame(w, handle, msg):
                    return
                continue
            if mtype == MessageType.DONE:
                batch_id = msg.get("batch_id")
                if batch_id not in self.ledger.in_flight_on(w.info.worker_id) or batch_id in w.done_ids:
                    self.on_protocol_error(handle, ProtocolError(f"done for batch {batch_id} it does not hold"))
                    return
                w.done_ids.add(batch_id)
                w.unfinished -= 1
                continue
            if mtype == MessageType.NEED_SLOT:
                self._results.free_a_slot(w)
                continue
            if mtype == MessageType.COMMITTED:
                if not self._results.on_committed(w, handle, msg):
                    return
                continue
            if mtype == MessageType.ERROR:
                self.events.emit("worker_error", worker=w.info.worker_id, batch=msg.get("batch_id"),
                                 message=msg.get("message"), traceback=msg.get("traceback"))
                w.die("error")
                return
            self.on_protocol_error(handle, ProtocolError(f"unexpected message type {mtype!r} from worker"))
            return
        if w.queued > self.config.max_buffered_results:
            self._pause(w)
        self._pump((w,))

    def on_protocol_error(self, handle: WorkerHandle, error: ProtocolError) -> None:
        """The worker's stream is corrupt: kill it, its in-flight batches will be re-issued."""
        w = self._workers.get(handle.worker_id)
        if w is None or w.dead.done():
            return
        self.events.emit("protocol_error", worker=w.info.worker_id, pid=w.info.pid, error=str(error))
        w.die("protocol_error")

    def on_eof(self, handle: WorkerHandle) -> None:
        """The protocol pipe closed: the worker is gone or going."""
        w = self._workers.get(handle.worker_id)
        if w is None:
            return
        if not w.eof.done():
            w.eof.set_result(None)
        w.die("eof")

    def on_output(self, handle: WorkerHandle, stream: str, line: str) -> None:
        """One line of the worker's stdout/stderr, into the event log."""
        w = self._workers.get(handle.worker_id)
        if w is not None:
            w.last_lines.append(line)
        self.events.emit("worker_output", worker=handle.worker_id, stream=stream, line=line)

    # ---- issuing and delivering ----------------------------------------------------------------------

    def _active_batches(self) -> int:
        """Batches a stop waits for: in flight, and with a plain job also those being delivered (a job with
        ``accept`` settles what it was handed itself, after the supervisor returns if need be)."""
        counts = self.ledger.counts()
        return counts["in_flight"] + (0 if self._results.accepts else counts["delivering"])

    def _unlink_arena(self, w: WorkerState) -> None:
        """Remove the arena's name; the job's views keep the mapping until they are released."""
        if w.arena is not None:
            Path(w.arena.path).unlink(missing_ok=True)

    def _check_drained(self) -> None:
        if self._stopping and self._active_batches() == 0:
            self._drained.set()

    def _call_job(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - a broken job stops the run with its message
            self._fail("job_error", f"{getattr(fn, '__qualname__', fn)} raised {type(exc).__name__}: {exc}")
            return None

    def _pump(self, among: Iterable[WorkerState] | None = None) -> None:
        """Fill every ready worker (or those ``among``) up to ``credits`` unfinished tasks,
        round-robin (a task reported ``done`` no longer counts, though its result is still in flight). Workers
        left short because the job had nothing to issue are remembered as hungry."""
        if not self._issuing or self._loop is None:
            return
        credits, now = self.credits, self._now()
        candidates = self._workers.values() if among is None else among
        ready = [w for w in candidates if w.info.state == "ready" and not w.dead.done()]
        for level in range(credits):
            for w in ready:
                if w.unfinished > level:
                    continue
                batch = self.ledger.next_pending()
                if batch is None:
                    payload = None
                    if not self._call_job(self.job.finished):
                        payload = self._call_job(self.job.next_task, self.ledger.new_batch_id())
                    if payload is None or not self._issuing:
                        self._hungry.update((x.info.worker_id, None) for x in ready if x.unfinished < credits)
                        self._check_finished()
                        return
                    batch = self.ledger.add(payload)
                self.ledger.issue(batch.batch_id, w.info.worker_id, now)
                w.unfinished += 1
                w.handle.write(encode(MessageType.TASK, self._packer, batch_id=batch.batch_id,  # type: ignore
                                      payload=batch.payload))
        for w in ready:
            self._hungry.pop(w.info.worker_id, None)

    def _after_result(self) -> None:
        """A result was settled (or a plain job failed on one): stop if need be, fill the credits of workers the
        job left short (the others are filled as they report), maybe finish."""
        if self._results.failure is not None:
            self._fail("job_error", self._results.failure)
            return
        self._check_drained()
        if self._hungry:
            self._pump([self._workers[i] for i in list(self._hungry) if i in self._workers])
        self._check_finished()

    def _check_finished(self) -> None:
        if self._issuing and self.ledger.outstanding() == 0 and self._call_job(self.job.finished):
            self.request_stop("completed")

    async def _progress_loop(self) -> None:
        """A progress event every interval, unless the job emitted a fuller one within it (a training job reports
        progress with its results: the supervisor's own would repeat its figures)."""
        interval = self.config.progress_interval_s
        while True:
            await asyncio.sleep(interval)
            last = self.events.last_ts.get("progress")
            if last is None or self.events.clock() - last >= 0.9 * interval:
                self.events.emit("progress", **self.stats())
