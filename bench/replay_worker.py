"""A worker that replays recorded real results at a fixed rate, for measuring what one supervisor can feed.

``python -m bench.replay_worker RECORDING_DIR SECONDS_PER_ITERATION [paced] [commit=TABLES.json]``: answers tasks like a
training worker
(several tasks to a result, into its arena) but, instead of computing, sleeps until its next send time and copies a
recorded result's rows and deltas, once it holds that result's recorded kernel time. The recording holds one
folder per result length (``0``: the shortest, ``1``: twice that, ...); a ``paced`` worker sends the length nearest
the one its tasks ask for (the run's result pacer, :mod:`holdem.training.pacing`), else always the first. Each payload
also says how late it was sent (``replay_late_s``): waiting for a task or for a free arena slot makes it late; a
fed worker is never late. With ``commit=TABLES.json`` (the master tables' specs and the rows' action counts) it also
applies its results to the master tables when the supervisor asks, as a training worker does.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from holdem.mccfr.journal import commit_payload, warm_up_commits
from holdem.mccfr.tables import Tables
from holdem.training.shared_tables import TableSpec, attach_writable
from orchestrator.worker_runtime import run_worker

FULL_SHARE = 0.95


class Recording:
    """The recorded results of one length: each field's values end to end, with offsets per result."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.fields = sorted(name.removesuffix("_offsets") for name in arrays if name.endswith("_offsets"))
        self.count = int(arrays["nodes"].shape[0])
        self.seconds = float(np.mean(arrays["seconds"]))
        self.next = 0

    @classmethod
    def load(cls, folder: Path) -> Recording:
        return cls({path.stem: np.load(path, mmap_mode="r", allow_pickle=False) for path in folder.glob("*.npy")})

    def take(self, allocate: Any) -> tuple[int, float, dict[str, np.ndarray]]:
        """The next result's node visits, recorded kernel seconds and fields, copied into ``allocate``'d arrays (in
        turn, cycling)."""
        i = self.next % self.count
        self.next += 1
        out = {}
        for name in self.fields:
            lo, hi = int(self.arrays[f"{name}_offsets"][i]), int(self.arrays[f"{name}_offsets"][i + 1])
            out[name] = allocate(self.arrays[name].dtype, (hi - lo,))
            out[name][:] = self.arrays[name][lo:hi]
        return int(self.arrays["nodes"][i]), float(self.arrays["seconds"][i]), out


class ReplayHandler:
    """Spends a task's recorded kernel time asleep, holds tasks like a training worker, and sends the next
    recorded result once its length of (simulated) work is held."""

    def __init__(self, levels: list[Recording], seconds_per_iteration: float, paced: bool = False,
                 commit_spec: dict[str, Any] | None = None) -> None:
        self.levels = levels
        self.tables: Tables | None = None
        if commit_spec is not None:
            self.tables = Tables(attach_writable(TableSpec.from_dict(commit_spec["regret"])),
                                 attach_writable(TableSpec.from_dict(commit_spec["strategy_sum"])))
            self.num_actions = np.load(commit_spec["row_actions"], allow_pickle=False)
            warm_up_commits()
        self.seconds_per_iteration = seconds_per_iteration
        self.paced = paced
        self.level = 0
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
        if self.paced:
            asked = max(float(payload.get("result_seconds") or 0.0), self.levels[0].seconds)
            self.level = min(range(len(self.levels)), key=lambda j: abs(math.log(self.levels[j].seconds / asked)))

    def commit(self, payload: dict[str, Any], journal: np.ndarray, args: dict[str, Any]) -> str | None:
        """Apply a sent result to the master tables, journaled, as a training worker does."""
        if self.tables is None:
            return "this replay worker does not commit"
        return commit_payload(self.tables, payload, self.num_actions, journal, args)

    def flush_due(self, next_payload: dict[str, Any]) -> bool:
        return self._full()

    def patience_s(self) -> float:
        return 0.0 if self._full() else 0.02

    def _full(self) -> bool:
        """Whether a result's worth is held (within 5%: tasks sized to the result's length land just short of it,
        and waiting for a second one would halve the frame rate)."""
        return self.held_s >= FULL_SHARE * self.levels[self.level].seconds

    def flush(self, allocate: Any) -> dict[str, Any]:
        """The next recording of the current length (its rows and deltas copied into the arena), with how late
        this worker ran."""
        nodes, seconds, fields = self.levels[self.level].take(allocate)
        payload: dict[str, Any] = {"iterations": self.iterations, "nodes": nodes, "kernel_seconds": self.held_s,
                                   "replay_late_s": self.late_s, "replay_content_s": seconds, **fields}
        self.iterations, self.held_s, self.late_s = 0, 0.0, 0.0
        self.due = max(self.due, time.monotonic())
        return payload


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    folders = sorted((p for p in Path(args[0]).iterdir() if p.is_dir()), key=lambda p: int(p.name))
    commit = next((arg.removeprefix("commit=") for arg in args[2:] if arg.startswith("commit=")), None)
    handler = ReplayHandler([Recording.load(folder) for folder in folders], float(args[1]), paced="paced" in args[2:],
                            commit_spec=None if commit is None else json.loads(Path(commit).read_text()))
    run_worker(handler, info={"kind": "replay"})


if __name__ == "__main__":
    main()
