"""What a job sees of the supervisor: the ``Job`` protocol it implements, deliveries, worker info, the summary."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class Job(Protocol):
    """What the supervisor runs. Called from the event loop only; ``on_result`` calls never overlap.

    A job may instead define ``accept(delivery: Delivery) -> None``: each result is then handed over at
    once (on the loop, so it must be quick) and the job settles it later, exactly once, with
    ``delivery.complete()`` or ``delivery.reject(reason)``. Results that acknowledge several batches, and
    arrays lying in a worker's arena, come only this way.
    """

    def next_task(self, batch_id: int) -> dict | None:
        """Payload of a new batch with this id, or None if there is nothing to issue right now."""
        ...

    async def on_result(self, batch_id: int, result: dict, worker: WorkerInfo) -> None:
        """Consume one result, exactly once per batch; while it lags, workers with results queued wait."""
        ...

    def on_requeue(self, batch_id: int, reason: str) -> None:
        """A batch lost with its worker will be issued again (same id and payload): do not count it twice."""
        ...

    def finished(self) -> bool:
        """True once no new task will ever come; the run completes when every issued batch is done."""
        ...


@dataclass
class WorkerInfo:
    """Public view of one worker incarnation (``worker_id`` is never reused; ``slot`` is)."""

    worker_id: int
    slot: int
    pid: int | None = None
    state: str = "starting"
    started_at: float = 0.0
    ready_at: float | None = None
    batches_done: int = 0
    bytes_received: int = 0
    backpressure_s: float = 0.0


@dataclass
class Summary:
    """How a run ended."""

    reason: str
    error: str | None
    batches_done: int
    requeued: int
    restarts: int
    abandoned: list[int]
    elapsed_s: float
    backpressure_s: float
    loop_lag: dict[str, float]

    @property
    def ok(self) -> bool:
        """True unless the run stopped on an error (boot failure, restart intensity, job error)."""
        return self.error is None


class DeliveryOwner(Protocol):
    """The supervisor's side of a delivery (see :class:`Delivery`)."""

    def settle(self, delivery: Delivery, reason: str | None) -> None: ...
    def release_slot(self, delivery: Delivery) -> None: ...
    def commit(self, delivery: Delivery, args: dict) -> asyncio.Future | None: ...
    def can_commit(self, delivery: Delivery) -> bool: ...


class Delivery:
    """One result handed to a job: the batches it settles, its payload, and the lease on its arena slot.

    Arrays in ``payload`` may be read-only views of the worker's arena: valid until the delivery is
    settled or detached. While another thread reads them, ``pin()`` it so the supervisor does not detach
    it; ``detach()`` copies the arrays into private memory and frees the slot for the worker.
    """

    def __init__(self, owner: DeliveryOwner, worker: WorkerInfo, batch_ids: list[int], payload: dict,
                 stats: dict, nbytes: int, slot: int | None) -> None:
        self._owner = owner
        self.worker = worker
        self.batch_ids = batch_ids
        self.payload = payload
        self.stats = stats
        self.nbytes = nbytes
        self.slot = slot
        self.pinned = False
        self.settled = False
        self.journal: np.ndarray | None = None

    def can_commit(self) -> bool:
        """Whether :meth:`commit` would ask the worker now."""
        return self._owner.can_commit(self)

    def commit(self, args: dict) -> asyncio.Future | None:
        """Ask the worker to apply this result itself, from its arena slot, journaled in ``journal`` (job-defined
        ``args``): a future of its ``committed`` message (``error`` set when it refused, nothing written) or of
        ``GONE`` (it died: the job finishes the commit from the journal); None when the worker cannot be asked,
        and the job applies the result itself. Pin the delivery until the future is done."""
        return self._owner.commit(self, args)

    def pin(self) -> None:
        self.pinned = True

    def unpin(self) -> None:
        self.pinned = False

    def complete(self) -> None:
        """Consumed: every batch it carries is done, exactly once."""
        self._owner.settle(self, None)

    def reject(self, reason: str) -> None:
        """Not consumed (a bad result): its batches are issued again and the worker that sent it restarted."""
        self._owner.settle(self, reason)

    def detachable(self) -> bool:
        """Whether its arrays may leave the arena now: leased, not settled, and no other thread reading them."""
        return not self.pinned and self.slot is not None and not self.settled

    def detach(self) -> bool:
        """Copy arena arrays into private memory and free the slot; False while pinned or already private."""
        if not self.detachable():
            return False
        return self.adopt(private_copy(self.payload))

    def adopt(self, private: dict) -> bool:
        """Take ``private`` (a copy of the payload made elsewhere, e.g. on a thread) and free the slot; False,
        keeping the arena payload, when it is no longer detachable (it was settled or pinned meanwhile)."""
        if not self.detachable():
            return False
        self.payload = private
        self._owner.release_slot(self)
        return True


def view_bytes(value: Any) -> int:
    """Bytes of the arrays in ``value`` that are views (of an arena): what :func:`private_copy` would copy."""
    if isinstance(value, dict):
        return sum(view_bytes(v) for v in value.values())
    if isinstance(value, list):
        return sum(view_bytes(v) for v in value)
    if isinstance(value, np.ndarray) and not value.flags.owndata:
        return int(value.nbytes)
    return 0


def private_copy(value: Any) -> Any:
    """``value`` with every array that is a view (of an arena) copied into memory of its own."""
    if isinstance(value, dict):
        return {k: private_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [private_copy(v) for v in value]
    if isinstance(value, np.ndarray) and not value.flags.owndata:
        return np.array(value)
    return value
