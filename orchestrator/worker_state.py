"""What the supervisor tracks per worker incarnation (``worker_id`` is never reused; ``slot`` is)."""

from __future__ import annotations

import asyncio
from collections import deque

import numpy as np

from .arena import ArenaSpec
from .job import Delivery, WorkerInfo
from .transport import WorkerHandle

GONE = {"gone": True}
"""How a commit resolves when its worker died before saying it was done."""


class WorkerState:
    """The supervisor's record of one worker incarnation: its handle, lifecycle futures, credits and leases."""

    def __init__(self, info: WorkerInfo, loop: asyncio.AbstractEventLoop) -> None:
        self.info = info
        self.handle: WorkerHandle | None = None
        self.ready: asyncio.Future = loop.create_future()
        self.dead: asyncio.Future = loop.create_future()
        self.eof: asyncio.Future = loop.create_future()
        self.exit_task: asyncio.Task | None = None
        self.watchdog: asyncio.TimerHandle | None = None
        self.accepting = True
        self.queued = 0
        self.unfinished = 0
        self.done_ids: set[int] = set()
        self.arena: ArenaSpec | None = None
        self.journal: np.ndarray | None = None
        """The arena's journal (read-only), when it has one."""
        self.commits_results = False
        self.commits: dict[int, asyncio.Future] = {}
        self.leases: dict[int, Delivery] = {}
        self.needs_slot = False
        self.detaching = False
        self.paused_since: float | None = None
        self.bytes_mark = 0
        self.returncode: int | None = None
        self.last_lines: deque[str] = deque(maxlen=5)

    def end_commits(self) -> None:
        """The worker is gone (reaped, or past saving): every commit it was asked for resolves as ``gone``, for
        whoever waits on it to finish from the journal."""
        commits, self.commits = self.commits, {}
        for future in commits.values():
            if not future.done():
                future.set_result(GONE)

    def die(self, reason: str) -> None:
        """Mark the worker dead (first reason wins) and stop its watchdog."""
        if not self.dead.done():
            self.dead.set_result(reason)
        if self.watchdog is not None:
            self.watchdog.cancel()
