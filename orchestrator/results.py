"""Results from workers to the job: ledger checks on each result frame, handing it over, settling it.

A job with ``accept`` gets a :class:`~orchestrator.job.Delivery` at once and settles it later (complete or
reject); arena slots are leased to deliveries and released, or detached when a worker runs out of them. A
plain job's results are delivered one at a time by :meth:`ResultDesk.deliver_forever`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .events import EventLog
from .job import Delivery, Job, private_copy, view_bytes
from .ledger import Batch, BatchLedger, LedgerError
from .priority import helper_pool
from .protocol import MessageType, ProtocolError, encode, make_packer
from .transport import WorkerHandle
from .worker_state import WorkerState

COPY_ON_LOOP_BYTES = 1 << 20
"""A result smaller than this leaves its arena slot by a copy on the loop (well under a millisecond); a larger
one is copied on a thread."""


class ResultDesk:
    """Settles results with the ledger and the job; the supervisor calls it, it calls back ``after``."""

    def __init__(self, job: Job, ledger: BatchLedger, events: EventLog, workers: dict[int, WorkerState], *,
                 call_job: Callable[..., Any], protocol_error: Callable[[WorkerHandle, ProtocolError], None],
                 after: Callable[[], None], resume: Callable[[WorkerState], None], max_buffered_results: int,
                 log_batches: bool) -> None:
        self.job = job
        self.ledger = ledger
        self.events = events
        self._workers = workers
        self._call_job = call_job
        self._protocol_error = protocol_error
        self._after = after
        self._resume = resume
        self._max_buffered = max_buffered_results
        self._log_batches = log_batches
        self._packer = make_packer()
        self._deliveries: asyncio.Queue[tuple[WorkerState, Batch, dict, int]] = asyncio.Queue()
        self.accepts = hasattr(job, "accept")
        self.closed = False
        self.deliver_s = 0.0
        self.failure: str | None = None
        self._copier: ThreadPoolExecutor | None = None
        self._copying: set[asyncio.Task] = set()

    async def delivered(self) -> None:
        """Wait until every result queued for a plain job has been handed over."""
        await self._deliveries.join()

    def on_result_frame(self, w: WorkerState, handle: WorkerHandle, msg: dict) -> bool:
        """Settle a result frame with the ledger and hand it to the job; False when the frame is bad."""
        try:
            ids = [int(i) for i in msg["batch_ids"]]
            held = set(self.ledger.in_flight_on(w.info.worker_id))
            if not ids or len(set(ids)) != len(ids) or not held.issuperset(ids):
                raise LedgerError(f"result for batches {ids}, worker {w.info.worker_id} holds {sorted(held)}")
            slot = msg.get("slot")
            if slot is not None and (w.arena is None or slot in w.leases or not 0 <= slot < w.arena.slots):
                raise LedgerError(f"result in arena slot {slot}, which is not free on this worker")
            if not self.accepts and (len(ids) != 1 or slot is not None):
                raise LedgerError("a result for several batches or in an arena needs a job with accept()")
            batches = [self.ledger.receive(i, w.info.worker_id) for i in ids]
        except (LedgerError, KeyError, TypeError, ValueError) as exc:
            self._protocol_error(handle, ProtocolError(f"bad result frame: {exc}"))
            return False
        w.unfinished -= sum(1 for i in ids if i not in w.done_ids)
        w.done_ids.difference_update(ids)
        size = handle.bytes_received - w.bytes_mark
        w.bytes_mark = handle.bytes_received
        if not self.accepts:
            w.queued += 1
            self._deliveries.put_nowait((w, batches[0], msg, size))
            return True
        delivery = Delivery(self, w.info, ids, msg.get("payload") or {}, msg.get("stats") or {}, size, slot)
        if w.commits_results:
            delivery.journal = w.journal
        if slot is not None:
            w.leases[slot] = delivery
        w.info.bytes_received += size
        self._call_job(self.job.accept, delivery)  # type: ignore[attr-defined]
        return True

    # ---- DeliveryOwner: how a job settles what it was handed --------------------------------------

    def settle(self, delivery: Delivery, reason: str | None) -> None:
        """Complete (``reason`` None) or reject a delivery, exactly once."""
        if delivery.settled:
            raise LedgerError(f"delivery of batches {delivery.batch_ids} settled twice")
        delivery.settled = True
        self.release_slot(delivery)
        w = self._workers.get(delivery.worker.worker_id)
        if reason is None:
            for batch_id in delivery.batch_ids:
                self.ledger.complete(batch_id)
            delivery.worker.batches_done += len(delivery.batch_ids)
        else:
            for batch_id in delivery.batch_ids:
                self.ledger.reject(batch_id)
            self.events.emit("result_rejected", worker=delivery.worker.worker_id, batches=delivery.batch_ids,
                             reason=reason)
            for batch_id in delivery.batch_ids:
                self._call_job(self.job.on_requeue, batch_id, f"rejected: {reason}")
            if w is not None and not w.dead.done():
                w.die("bad_result")
        if not self.closed:
            self._after()

    def commit(self, delivery: Delivery, args: dict) -> asyncio.Future | None:
        """Ask the delivery's worker to apply it from its arena slot; a future of the ``committed`` message (or
        ``GONE``), or None when it cannot: the worker does not commit, is gone, or the result left its slot."""
        if not self.can_commit(delivery):
            return None
        w, slot = self._workers[delivery.worker.worker_id], delivery.slot
        assert w.handle is not None and slot is not None
        future = w.commits[slot] = asyncio.get_running_loop().create_future()
        w.handle.write(encode(MessageType.COMMIT, self._packer, slot=slot, args=args))
        return future

    def can_commit(self, delivery: Delivery) -> bool:
        """Whether the delivery's worker can be asked to commit it: it commits, is alive, and the result is still in
        its arena slot (not asked already)."""
        w = self._workers.get(delivery.worker.worker_id)
        slot = delivery.slot
        return not (w is None or not w.commits_results or w.dead.done() or w.handle is None or slot is None
                    or w.leases.get(slot) is not delivery or slot in w.commits)

    def on_committed(self, w: WorkerState, handle: WorkerHandle, msg: dict) -> bool:
        """A worker says it applied (or refused) the result in a slot; False when it was not asked to."""
        future = w.commits.pop(msg.get("slot"), None)  # type: ignore[arg-type]
        if future is None:
            self._protocol_error(handle, ProtocolError(f"committed slot {msg.get('slot')!r}, which was not asked"))
            return False
        if not future.done():
            future.set_result(msg)
        return True

    def release_slot(self, delivery: Delivery) -> None:
        """Give the delivery's arena slot back to its worker (if that worker is still there)."""
        slot, delivery.slot = delivery.slot, None
        if slot is None:
            return
        w = self._workers.get(delivery.worker.worker_id)
        if w is None or w.leases.get(slot) is not delivery:
            return
        del w.leases[slot]
        w.needs_slot = False
        if w.handle is not None and not w.dead.done():
            w.handle.write(encode(MessageType.RELEASE, self._packer, slot=slot))

    def free_a_slot(self, w: WorkerState) -> None:
        """The worker has no free slot: detach the oldest lease the job is not reading right now. A large result
        is copied out on a thread (the loop must not spend milliseconds copying); if it was settled or pinned
        meanwhile the copy is dropped, and another lease is tried while the worker still waits."""
        w.needs_slot = True
        if w.detaching:
            return
        for delivery in list(w.leases.values()):
            if not delivery.detachable():
                continue
            if view_bytes(delivery.payload) < COPY_ON_LOOP_BYTES:
                delivery.detach()
                self.events.emit("detach", worker=w.info.worker_id, batches=delivery.batch_ids)
            else:
                w.detaching = True
                self._copying.add(asyncio.get_running_loop().create_task(self._detach_off_loop(w, delivery)))
            return

    async def _detach_off_loop(self, w: WorkerState, delivery: Delivery) -> None:
        try:
            if self._copier is None:
                self._copier = helper_pool(1, "detach")
            private = await asyncio.get_running_loop().run_in_executor(self._copier, private_copy, delivery.payload)
        finally:
            w.detaching = False
            self._copying.discard(asyncio.current_task())  # type: ignore[arg-type]
        if not w.needs_slot or self.closed:
            return
        if delivery.adopt(private):
            self.events.emit("detach", worker=w.info.worker_id, batches=delivery.batch_ids)
        else:
            self.free_a_slot(w)

    async def close(self) -> None:
        """The supervisor is done: copies under way are dropped (the arena views they read stay mapped until
        their thread lets go of them)."""
        self.closed = True
        copying = list(self._copying)
        for task in copying:
            task.cancel()
        await asyncio.gather(*copying, return_exceptions=True)
        if self._copier is not None:
            self._copier.shutdown(wait=False, cancel_futures=True)

    async def deliver_forever(self) -> None:
        """Hand a plain job its results one at a time, in arrival order; stops at the first job failure."""
        loop = asyncio.get_running_loop()
        while True:
            w, batch, msg, size = await self._deliveries.get()
            try:
                t0 = loop.time()
                try:
                    await self.job.on_result(batch.batch_id, msg.get("payload") or {}, w.info)
                except Exception as exc:  # noqa: BLE001 - a broken job stops the run with its message
                    self.failure = f"on_result({batch.batch_id}) raised {type(exc).__name__}: {exc}"
                    self._after()
                    return
                spent = loop.time() - t0
                self.deliver_s += spent
                self.ledger.complete(batch.batch_id)
                w.info.batches_done += 1
                w.info.bytes_received += size
                if self._log_batches:
                    stats = msg.get("stats") or {}
                    self.events.emit("batch_done", worker=w.info.worker_id, batch=batch.batch_id,
                                     attempts=batch.attempts, seconds=stats.get("seconds"), bytes=size,
                                     deliver_s=round(spent, 6))
                w.queued -= 1
                if w.queued <= self._max_buffered:
                    self._resume(w)
                self._after()
            finally:
                self._deliveries.task_done()
