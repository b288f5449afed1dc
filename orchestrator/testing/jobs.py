"""A deterministic job whose every result is a pure function of its batch id, so totals are exact."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from typing import Any

import numpy as np

from orchestrator.transport import WorkerSpec

_MOD = 1_000_003


def batch_values(batch_id: int, n: int) -> np.ndarray:
    """The result array of batch ``batch_id``: int64, length ``n``."""
    return (np.arange(n, dtype=np.int64) * 7 + batch_id * 13) % _MOD


class ExactSumJob:
    """Issues ``n_batches`` batches and sums their arrays; knows the exact expected total."""

    def __init__(self, n_batches: int, size: int = 1024, work_s: float = 0.0, consume_s: float = 0.0,
                 consume_gate: asyncio.Event | None = None) -> None:
        self.n_batches, self.size, self.work_s, self.consume_s = n_batches, size, work_s, consume_s
        self.consume_gate = consume_gate
        self.issued: list[int] = []
        self.seen: Counter[int] = Counter()
        self.requeues: Counter[int] = Counter()
        self.total = np.zeros(size, dtype=np.int64)
        self.supervisor: Any = None

    def next_task(self, batch_id: int) -> dict | None:
        """Next batch until ``n_batches`` have been issued."""
        if len(self.issued) >= self.n_batches:
            return None
        self.issued.append(batch_id)
        return {"batch_id": batch_id, "n": self.size, "work_s": self.work_s}

    async def on_result(self, batch_id: int, result: dict, worker: Any) -> None:
        """Add the batch's array to the total (after ``consume_gate`` opens, or slowly: to exercise back-pressure)."""
        if result.get("batch_id") != batch_id:
            raise ValueError(f"result of batch {result.get('batch_id')} delivered as {batch_id}")
        self.seen[batch_id] += 1
        values = result["values"]
        self.total += values[: self.size] if len(values) >= self.size else values
        if self.consume_gate is not None:
            await self.consume_gate.wait()
        if self.consume_s:
            await asyncio.sleep(self.consume_s)

    def on_requeue(self, batch_id: int, reason: str) -> None:
        """Count re-issues; they must not change the total."""
        self.requeues[batch_id] += 1

    def finished(self) -> bool:
        """All batches issued."""
        return len(self.issued) >= self.n_batches

    def expected(self) -> np.ndarray:
        """The exact total over the batches issued so far."""
        ids = np.asarray(self.issued, dtype=np.int64)
        return ((np.arange(self.size, dtype=np.int64)[None, :] * 7 + ids[:, None] * 13) % _MOD).sum(axis=0)

    def lost(self) -> list[int]:
        """Issued batches never delivered."""
        return [b for b in self.issued if self.seen[b] == 0]

    def duplicated(self) -> list[int]:
        """Batches delivered more than once."""
        return [b for b, n in self.seen.items() if n > 1]

    def exact(self) -> bool:
        """Whether the running total equals the sum of exactly the delivered batches' arrays."""
        return not self.duplicated() and not self.lost() and bool(np.array_equal(self.total, self.expected()))


class ExactSumAcceptJob(ExactSumJob):
    """The exact-sum job taking results through ``accept``: several batches per result, arena arrays, and
    settlement when the job chooses (``hold`` deliveries are kept unsettled until more have arrived)."""

    def __init__(self, n_batches: int, size: int = 1024, work_s: float = 0.0, hold: int = 0,
                 reject_once: frozenset[int] = frozenset()) -> None:
        super().__init__(n_batches, size=size, work_s=work_s)
        self.hold = hold
        self.reject_once = set(reject_once)
        self.rejected: list[int] = []
        self.held: list[Any] = []
        self.multi_batch_results = 0
        self.arena_results = 0
        self.received = 0
        self.wait_slot_s = 0.0

    def accept(self, delivery: Any) -> None:
        payload = delivery.payload
        self.wait_slot_s += float(delivery.stats.get("wait_slot_s") or 0.0)
        if sorted(payload.get("batch_ids", [])) != sorted(delivery.batch_ids):
            delivery.reject(f"payload names batches {payload.get('batch_ids')}, frame {delivery.batch_ids}")
            return
        refused = self.reject_once.intersection(delivery.batch_ids)
        if refused:
            self.reject_once -= refused
            self.rejected.extend(delivery.batch_ids)
            delivery.reject(f"batches {sorted(refused)} refused once on purpose")
            return
        self.multi_batch_results += len(delivery.batch_ids) > 1
        self.arena_results += delivery.slot is not None
        self.held.append(delivery)
        self.received += len(delivery.batch_ids)
        while len(self.held) > self.hold or (self.held and self.received >= self.n_batches):
            self._settle(self.held.pop(0))

    def _settle(self, delivery: Any) -> None:
        for batch_id in delivery.batch_ids:
            self.seen[batch_id] += 1
        self.total += delivery.payload["values"][: self.size]
        delivery.complete()


def echo_spec(*worker_args: str, env: dict[str, str] | None = None) -> WorkerSpec:
    """Command line of the test worker with fault options."""
    argv = [sys.executable, "-m", "orchestrator.testing.echo_worker", *worker_args]
    return WorkerSpec(argv=argv, env=env or {})


def chaos_job(n_batches: int = 400, size: int = 4096, work_s: float = 0.02) -> tuple[ExactSumJob, WorkerSpec]:
    """Factory for ``scripts/chaos.py``: the exact-sum job on the echo worker."""
    return ExactSumJob(n_batches, size=size, work_s=work_s), echo_spec()
