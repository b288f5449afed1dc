"""Merging results in one canonical order: by first iteration, each once every iteration below it is in.

Results arrive in any order. Each waits until every iteration below its first one is applied, so the
master tables depend only on which results were merged, never on when they arrived, and each discount
boundary is a barrier (a result never spans one: workers send at boundaries). Between merges the merger
applies due discounts (all chunks, then counted) and captures checkpoints, so a checkpoint always holds a
state the run passed through. Merges and discounts run on a thread (the kernels release the GIL); the
event loop only keeps the books. With float32 tables the workers apply their own results instead, when their
turn comes, journaled (:mod:`holdem.mccfr.journal`): the supervisor then only hands out the turns, and finishes
from the journal a commit whose worker died.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from holdem.mccfr.journal import commit_args
from holdem.mccfr.tables import discount_chunks
from holdem.training.errors import OutputError
from holdem.training.housekeeping import Capture, Housekeeping
from holdem.training.ranges import IterationRanges, OverlapError
from holdem.training.state import NO_DISCOUNT, BlueprintRun
from orchestrator import EventLog
from orchestrator.job import Delivery
from orchestrator.priority import helper_pool

MAX_DETACHED = 4
"""At most this many results behind a gap may leave their arena slot (each is copied into private memory):
past it the merger is behind anyway, and workers waiting for a slot is the back-pressure that keeps it so."""
MAX_GROUP = 8
"""At most this many results in one hand-off to the merge thread (the loop records them together after)."""
COMMIT_GROUP_LIMIT = 4
"""With this many results in line at once the merger is behind, and merges them itself rather than having their
workers commit them one after another (two workers' results often arrive out of order, two at a time)."""
MERGE_NICE = 10
"""The merge threads run this far below the event loop (as workers do), and off its CPU: a loop thread that
wakes must not wait behind a merge."""


@dataclass(order=True)
class Unit:
    """One delivery waiting to merge: the batches it carries, ordered by their first iteration."""

    first: int
    tasks: list[dict[str, Any]] = field(compare=False)
    delivery: Delivery = field(compare=False)


class Merger:
    """The single writer of a parallel run's tables: merges, discounts and checkpoint captures, in order."""

    def __init__(self, run: BlueprintRun, housekeeping: Housekeeping, events: EventLog, *,
                 fail: Callable[[str], None], threads: int = 1,
                 restore: Callable[[Unit], None] | None = None, commits: bool = False) -> None:
        self.run = run
        self.housekeeping = housekeeping
        self.events = events
        self.fail = fail
        self.restore = restore
        self.parts = max(1, threads)
        self._thread = helper_pool(1, "merge", MERGE_NICE)
        self._parts_pool = helper_pool(self.parts, "merge-part", MERGE_NICE) if self.parts > 1 else None
        self._waiting: list[Unit] = []
        self._loose: list[Unit] = []
        self._received: IterationRanges | None = None
        self.detach_limit = min(MAX_DETACHED, max(2, run.config.workers))
        self._reissued: list[int] = []
        self._pinned_below = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._force = False
        self._writing: asyncio.Task | None = None
        self._task: asyncio.Task | None = None
        self.commits = commits
        self.merged_units = 0
        self.merge_seconds = 0.0
        self.merge_cpu_seconds = 0.0
        self.commit_seconds = 0.0
        self.commit_cpu_seconds = 0.0
        self.discount_cpu_seconds = 0.0
        self.committed_by_workers = 0

    @property
    def waiting(self) -> int:
        """Results received and not yet merged."""
        return len(self._waiting)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="merger")

    def add(self, unit: Unit) -> None:
        """Queue a result. Results with every iteration below them received are pinned: they wait only for the
        merge thread, so their worker waits for the slot (back-pressure) instead of the loop copying them out.
        Only results behind a gap (a predecessor still at a worker) may be detached to free a slot, and no more
        than ``detach_limit`` of them: past that the merger is behind and workers wait (memory stays bounded)."""
        if self._received is None:
            self._received = IterationRanges(self.run.applied.to_list())
        _receive(self._received, unit)
        heapq.heappush(self._waiting, unit)
        if not unit.delivery.pinned:
            self._loose.append(unit)
        in_line = self._received.prefix_end()
        if in_line > self._pinned_below:
            self._pinned_below = in_line
            for waiting in self._loose:
                if waiting.first < in_line:
                    waiting.delivery.pin()
        self._reissued = [first for first in self._reissued if first >= in_line]
        if not unit.delivery.pinned and not self._reissued and self._detachable_over(self.detach_limit):
            unit.delivery.pin()
        self._wake.set()

    def _detachable_over(self, limit: int) -> bool:
        """Whether more than ``limit`` waiting results may be detached (only those left unpinned are counted)."""
        self._loose = [u for u in self._loose if not u.delivery.pinned and not u.delivery.settled]
        return len(self._loose) > limit

    def reopen(self, first_iteration: int | None = None) -> None:
        """A batch goes out again (its worker died or its result was rejected): every result behind it may be
        detached, and stays detachable until the batch is back, so the worker that now computes it can always
        get a slot."""
        if first_iteration is not None:
            self._reissued.append(first_iteration)
        self._loose = [waiting for waiting in self._waiting if waiting.first >= self._pinned_below]
        for waiting in self._loose:
            waiting.delivery.unpin()

    def _recount_received(self) -> None:
        """After a rejected result (its batches go out again): results behind the reopened gap are unpinned,
        so a worker computing the gap can always get a slot."""
        self._received = IterationRanges(self.run.applied.to_list())
        for waiting in self._waiting:
            _receive(self._received, waiting)
        self._pinned_below = self._received.prefix_end()
        self.reopen()

    async def finish(self, force: bool) -> None:
        """Stop: merge what can still merge (or, forced, only end the step in progress), then return."""
        self._stopping, self._force = True, self._force or force
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._writing is not None:
            await self._writing
        self._thread.shutdown(wait=True)
        if self._parts_pool is not None:
            self._parts_pool.shutdown(wait=True)

    def abandon(self) -> list[Unit]:
        """Results that will never merge (their predecessors were lost at a stop); their arena slots freed."""
        left, self._waiting, self._loose = self._waiting, [], []
        for unit in left:
            unit.delivery.payload = {}
        return left

    async def _run(self) -> None:
        try:
            while True:
                while self._waiting and not self._force and self.run.mergeable(self._waiting[0].first):
                    await self._merge(self._next_group())
                    await self._discounts()
                    await self._maybe_checkpoint()
                if self._stopping:
                    return
                await self._wake.wait()
                self._wake.clear()
        except OutputError as exc:
            self.fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - a merge bug must stop the run with its message, not hang it
            self.fail(f"merging stopped: {type(exc).__name__}: {exc}")

    async def _offload(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _next_group(self) -> list[tuple[Unit, int]]:
        """The waiting results that merge next, in order, each with the iterations applied before it (its regret
        floor depends on them): every one whose predecessors are in or in the group, up to ``MAX_GROUP``, and
        none past a discount that falls due. One hand-off to the merge thread then merges them all."""
        run = self.run
        applied = IterationRanges(run.applied.to_list())
        discount_at = run.discount_due_at()
        group: list[tuple[Unit, int]] = []
        while self._waiting and len(group) < MAX_GROUP and self._waiting[0].first <= applied.prefix_end():
            unit = heapq.heappop(self._waiting)
            group.append((unit, applied.prefix_end()))
            for task in unit.tasks:
                first = int(task["first_iteration"])
                applied.add(first, first + int(task["iterations"]))
            if discount_at is not None and applied.prefix_end() >= discount_at:
                break
        return group

    async def _merge(self, group: list[tuple[Unit, int]]) -> None:
        """Merge a group in order, then record each result merged; the first one refused is rejected and those
        after it wait again. With :attr:`commits`, each result whose worker can apply it is committed by that worker
        in turn, unless ``COMMIT_GROUP_LIMIT`` or more are in line (the merger is behind): the merge thread takes
        those in one hand-off, faster than one commit after another. Results merged here go in runs."""
        for unit, _ in group:
            unit.delivery.pin()
        merged, problem = 0, None
        committing = self.commits and len(group) < COMMIT_GROUP_LIMIT
        try:
            while merged < len(group) and problem is None:
                done, problem = await self._commit(*group[merged]) if committing else (0, None)
                if not done and problem is None:
                    stop = merged + 1
                    while stop < len(group) and not (committing and group[stop][0].delivery.can_commit()):
                        stop += 1
                    done, problem = await self._merge_here(group[merged:stop])
                for unit, _ in group[merged:merged + done]:
                    self._record(unit)
                merged += done
        finally:
            for unit, _ in group:
                unit.delivery.unpin()
        if problem is None:
            return
        refused = group[merged][0]
        for unit, _ in group[merged + 1:]:
            heapq.heappush(self._waiting, unit)
        if self.restore is not None:
            self.restore(refused)
        refused.delivery.reject(problem)
        self._recount_received()

    async def _merge_here(self, group: list[tuple[Unit, int]]) -> tuple[int, str | None]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        merged, problem, cpu = await self._offload(self._timed_merge, [(u.delivery.payload, p) for u, p in group])
        self.merge_cpu_seconds += cpu
        self.merge_seconds += loop.time() - started
        return merged, problem

    async def _commit(self, unit: Unit, applied_before: int) -> tuple[int, str | None]:
        """Have the result's worker apply it (1, or 0 when it cannot be asked), journaled; if it dies first,
        finish its commit from the journal here. Returns the count committed and why the result was refused."""
        floor = self.run.regret_floor(applied_before)
        ticket = unit.first + 1
        future = unit.delivery.commit(commit_args(ticket, floor))
        if future is None:
            return 0, None
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await future
        self.commit_seconds += loop.time() - started
        if not answer.get("gone"):
            self.commit_cpu_seconds += float(answer.get("cpu_s") or 0.0)
            self.committed_by_workers += 1
            error = answer.get("error")
            return (0, str(error)) if error else (1, None)
        started = loop.time()
        chunks_done, problem, cpu = await self._offload(self._timed_complete, unit.delivery.payload,
                                                        unit.delivery.journal, floor, ticket)
        self.merge_cpu_seconds += cpu
        self.merge_seconds += loop.time() - started
        if problem is None:
            self.events.emit("commit_completed", worker=unit.delivery.worker.worker_id,
                             batches=unit.delivery.batch_ids, chunks_done_by_worker=chunks_done)
        return (0, problem) if problem is not None else (1, None)

    def _record(self, unit: Unit) -> None:
        try:
            self.run.record(unit.tasks, unit.delivery.payload)
        except OverlapError as exc:
            raise RuntimeError(f"batches {unit.delivery.batch_ids} were merged twice: {exc}") from None
        unit.delivery.complete()
        self.merged_units += 1

    def _timed_complete(self, payload: dict[str, Any], journal: Any, floor: float, ticket: int
                        ) -> tuple[int, str | None, float]:
        started = time.thread_time()
        chunks_done, problem = self.run.complete_commit(payload, journal, floor, ticket)
        return chunks_done, problem, time.thread_time() - started

    def _timed_merge(self, payloads: list[tuple[dict[str, Any], int]]) -> tuple[int, str | None, float]:
        """Merge on the merge thread, in order, until one is refused: how many merged, why the next was refused
        (or None), and the thread CPU seconds it took."""
        started = time.thread_time()
        for merged, (payload, applied_before) in enumerate(payloads):
            problem = self.run.merge(payload, parts=self.parts, executor=self._parts_pool, applied=applied_before)
            if problem is not None:
                return merged, problem, time.thread_time() - started
        return len(payloads), None, time.thread_time() - started

    def _timed_discount(self, factors: tuple[float, float, float], start: int, stop: int) -> float:
        started = time.thread_time()
        self.run.discount_chunk(factors, start, stop)
        return time.thread_time() - started

    async def _discounts(self) -> None:
        for factors in self.run.due_discounts():
            if factors == NO_DISCOUNT:
                self.run.discount_done()
                continue
            for start, stop in discount_chunks(self.run.tree.num_rows):
                self.discount_cpu_seconds += await self._offload(self._timed_discount, factors, start, stop)
            self.run.discount_done()
            self.events.emit("discount", iterations=self.run.iterations_applied, factors=list(factors))

    async def _maybe_checkpoint(self) -> None:
        if (self._writing is None or self._writing.done()) and self.housekeeping.checkpoint_due():
            self._write_later(await self.housekeeping.capture(), "interval")

    def _write_later(self, capture: Capture, reason: str) -> None:
        async def write() -> None:
            try:
                await self.housekeeping.write(capture, reason)
            except OutputError as exc:
                self.fail(str(exc))

        self._writing = asyncio.get_running_loop().create_task(write(), name="checkpoint-write")


def _receive(received: IterationRanges, unit: Unit) -> None:
    for task in unit.tasks:
        first = int(task["first_iteration"])
        try:
            received.add(first, first + int(task["iterations"]))
        except OverlapError:
            pass
