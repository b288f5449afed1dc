"""Restart policy as data: OTP-style intensity (max restarts in a sliding window) and backoff."""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class Restart(enum.StrEnum):
    """When a worker that exited is replaced (OTP child restart types)."""

    PERMANENT = "permanent"  # always
    TRANSIENT = "transient"  # only after an abnormal exit
    TEMPORARY = "temporary"  # never

    def should_restart(self, abnormal: bool) -> bool:
        """Whether an exit (``abnormal`` or clean) leads to a replacement."""
        return self is Restart.PERMANENT or (self is Restart.TRANSIENT and abnormal)


@dataclass(frozen=True)
class RestartPolicy:
    """More than ``max_restarts`` within ``restart_window_s`` stops the run; delays grow exponentially."""

    max_restarts: int = 5
    restart_window_s: float = 30.0
    backoff_initial_s: float = 0.05
    backoff_max_s: float = 2.0
    restart: Restart = Restart.PERMANENT


class RestartIntensity:
    """Sliding window of restart times on a monotonic clock (injectable for tests)."""

    def __init__(self, policy: RestartPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._times: deque[float] = deque()
        self.total = 0

    def _trim(self, now: float) -> None:
        horizon = now - self.policy.restart_window_s
        while self._times and self._times[0] <= horizon:
            self._times.popleft()

    def record(self) -> bool:
        """Record one restart now; False when it exceeds the intensity (the run must stop)."""
        now = self._clock()
        self._trim(now)
        self._times.append(now)
        self.total += 1
        return len(self._times) <= self.policy.max_restarts

    def recent(self) -> int:
        """Restarts still inside the window."""
        self._trim(self._clock())
        return len(self._times)

    def backoff_s(self) -> float:
        """Delay before the next restart: doubles with each restart still in the window, capped."""
        n = self.recent()
        if n <= 1:
            return 0.0
        return min(self.policy.backoff_max_s, self.policy.backoff_initial_s * 2 ** (n - 2))
