"""Batch ledger: every batch is pending, in flight on one worker, being delivered, or done — never two."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field


class BatchState(enum.StrEnum):
    """Life of a batch in the ledger."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERING = "delivering"


class LedgerError(Exception):
    """A result that does not match the ledger (unknown batch, wrong worker, already received)."""


@dataclass
class Batch:
    """One unit of work and where it currently is."""

    batch_id: int
    payload: dict
    state: BatchState = BatchState.PENDING
    worker: int | None = None
    attempts: int = 0
    issued_at: float = 0.0


@dataclass
class BatchLedger:
    """Tracks batches from issue to delivery so each result reaches the job exactly once."""

    _batches: dict[int, Batch] = field(default_factory=dict)
    _pending: deque[int] = field(default_factory=deque)
    _by_worker: dict[int, dict[int, None]] = field(default_factory=dict)
    _next_id: int = 0
    done: int = 0
    requeued: int = 0

    def new_batch_id(self) -> int:
        """The id the next new batch will get (not consumed until ``add``)."""
        return self._next_id

    def add(self, payload: dict) -> Batch:
        """Register a new batch with the next id, pending."""
        batch = Batch(self._next_id, payload)
        self._next_id += 1
        self._batches[batch.batch_id] = batch
        self._pending.append(batch.batch_id)
        return batch

    def next_pending(self) -> Batch | None:
        """The oldest pending batch (re-queued ones first), without removing it."""
        return self._batches[self._pending[0]] if self._pending else None

    def issue(self, batch_id: int, worker: int, now: float) -> Batch:
        """Move a pending batch to ``worker``."""
        batch = self._batches[batch_id]
        if batch.state is not BatchState.PENDING:
            raise LedgerError(f"batch {batch_id} is {batch.state}, not pending")
        self._pending.remove(batch_id)
        batch.state, batch.worker, batch.issued_at = BatchState.IN_FLIGHT, worker, now
        batch.attempts += 1
        self._by_worker.setdefault(worker, {})[batch_id] = None
        return batch

    def receive(self, batch_id: int, worker: int) -> Batch:
        """A complete result frame arrived from ``worker``: the batch is no longer at risk."""
        batch = self._batches.get(batch_id)
        if batch is None or batch.state is not BatchState.IN_FLIGHT or batch.worker != worker:
            state = "unknown" if batch is None else f"{batch.state} on worker {batch.worker}"
            raise LedgerError(f"result for batch {batch_id} from worker {worker}, but batch is {state}")
        del self._by_worker[worker][batch_id]
        batch.state = BatchState.DELIVERING
        return batch

    def complete(self, batch_id: int) -> None:
        """The job has consumed the result; forget the batch."""
        batch = self._batches.pop(batch_id)
        if batch.state is not BatchState.DELIVERING:
            raise LedgerError(f"batch {batch_id} completed while {batch.state}")
        self.done += 1

    def reject(self, batch_id: int) -> None:
        """The job refused a delivered result: the batch goes back to the front of the queue."""
        batch = self._batches[batch_id]
        if batch.state is not BatchState.DELIVERING:
            raise LedgerError(f"batch {batch_id} rejected while {batch.state}")
        batch.state, batch.worker = BatchState.PENDING, None
        self._pending.appendleft(batch_id)
        self.requeued += 1

    def requeue_worker(self, worker: int) -> list[int]:
        """Everything in flight on a lost worker goes back to the front of the queue, in order."""
        ids = list(self._by_worker.pop(worker, {}))
        for batch_id in reversed(ids):
            batch = self._batches[batch_id]
            batch.state, batch.worker = BatchState.PENDING, None
            self._pending.appendleft(batch_id)
        self.requeued += len(ids)
        return ids

    def in_flight_on(self, worker: int) -> list[int]:
        """Batch ids currently issued to ``worker``."""
        return list(self._by_worker.get(worker, ()))

    def in_flight_count(self, worker: int) -> int:
        """How many batches ``worker`` currently holds."""
        return len(self._by_worker.get(worker, ()))

    def counts(self) -> dict[str, int]:
        """Number of batches per state plus done and re-queued totals."""
        out = {state.value: 0 for state in BatchState}
        for batch in self._batches.values():
            out[batch.state.value] += 1
        out["done"], out["requeued"] = self.done, self.requeued
        return out

    def outstanding(self) -> int:
        """Batches not yet done."""
        return len(self._batches)

    def unfinished(self) -> list[int]:
        """Ids of every batch not done (for the shutdown summary)."""
        return sorted(self._batches)
