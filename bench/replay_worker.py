"""A worker that replays recorded real results at a fixed rate, for measuring what one supervisor can feed.

``python -m bench.replay_worker RECORDING_DIR SECONDS_PER_ITERATION RESULT_SECONDS``: answers tasks like a
training worker (several tasks to a result, into its arena) but, instead of computing, sleeps until its next
send time and copies a recorded result's rows and deltas. Each payload also says how late it was sent
(``replay_late_s``): waiting for a task or for a free arena slot makes it late; a fed worker is never late.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.worker_runtime import run_worker

FULL_SHARE = 0.95


class ReplayHandler:
    """Spends a task's recorded kernel time asleep, holds tasks like a training worker, and sends the next
    recorded result once ``result_seconds`` of (simulated) work is held."""

    def __init__(self, recording: dict[str, np.ndarray], seconds_per_iteration: float,
                 result_seconds: float) -> None:
        self.recording = recording
        self.fields = sorted(name.removesuffix("_offsets") for name in recording if name.endswith("_offsets"))
        self.count = int(recording["nodes"].shape[0])
        self.seconds_per_iteration = seconds_per_iteration
        self.result_seconds = result_seconds
        self.index = 0
        self.iterations = 0
        self.held_s = 0.0
        self.late_s = 0.0
        self.due = time.monotonic()

    def run(self, payload: dict[str, Any]) -> None:
        now = time.monotonic()
        self.late_s += max(0.0, now - self.due)
        work = int(payload["iterations"]) * self.seconds_per_iteration
        self.due = max(self.due, now) + work
        delay = self.due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.iterations += int(payload["iterations"])
        self.held_s += work

    def flush_due(self, next_payload: dict[str, Any]) -> bool:
        return self._full()

    def patience_s(self) -> float:
        return 0.0 if self._full() else 0.02

    def _full(self) -> bool:
        """Whether a result's worth is held (within 5%: tasks sized to ``result_seconds`` land just short of it,
        and waiting for a second one would halve the frame rate)."""
        return self.held_s >= FULL_SHARE * self.result_seconds

    def flush(self, allocate: Any) -> dict[str, Any]:
        """The next recording (its rows and deltas copied into the arena), with how late this worker ran."""
        i = self.index % self.count
        self.index += 1
        rec = self.recording
        payload: dict[str, Any] = {"iterations": self.iterations, "nodes": int(rec["nodes"][i]),
                                   "kernel_seconds": self.held_s, "replay_late_s": self.late_s}
        for name in self.fields:
            lo, hi = int(rec[f"{name}_offsets"][i]), int(rec[f"{name}_offsets"][i + 1])
            payload[name] = allocate(rec[name].dtype, (hi - lo,))
            payload[name][:] = rec[name][lo:hi]
        self.iterations, self.held_s, self.late_s = 0, 0.0, 0.0
        self.due = max(self.due, time.monotonic())
        return payload


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0])
    recording = {path.stem: np.load(path, mmap_mode="r", allow_pickle=False) for path in folder.glob("*.npy")}
    run_worker(ReplayHandler(recording, float(args[1]), float(args[2])), info={"kind": "replay"})


if __name__ == "__main__":
    main()
