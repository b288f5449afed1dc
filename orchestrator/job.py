"""What a job sees of the supervisor: the ``Job`` protocol it implements, worker info and the run summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Job(Protocol):
    """What the supervisor runs. Called from the event loop only; ``on_result`` calls never overlap."""

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
