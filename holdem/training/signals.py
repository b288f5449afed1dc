"""Stop signals for the in-process loop: SIGINT and SIGTERM only record themselves, read between batches."""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

from orchestrator import EventLog


class StopSignals:
    """While active, SIGINT/SIGTERM set ``signal`` (a second one raises KeyboardInterrupt to force the exit)."""

    def __init__(self, events: EventLog) -> None:
        self.events = events
        self.signal: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signal is not None:
            raise KeyboardInterrupt(name)
        self.signal = name
        self.events.emit("signal", signal=name, count=1)

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
