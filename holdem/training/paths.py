"""The files of a run directory, and making sure it can be written before anything starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from holdem.training.errors import RunError


@dataclass(frozen=True)
class RunPaths:
    """Files of a run directory."""

    logdir: Path

    @property
    def events(self) -> Path:
        return self.logdir / "events.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.logdir / "checkpoints"

    @property
    def snapshots(self) -> Path:
        return self.logdir / "snapshots"

    @property
    def tree(self) -> Path:
        return self.logdir / "tree.npz"

    @property
    def worker_spec(self) -> Path:
        return self.logdir / "worker.json"

    @property
    def blueprint(self) -> Path:
        return self.logdir / "blueprint.npz"


def prepare_logdir(logdir: Path) -> RunPaths:
    """Create the run directory tree, failing with one line if it cannot be written."""
    paths = RunPaths(Path(logdir))
    try:
        for directory in (paths.logdir, paths.checkpoints, paths.snapshots):
            directory.mkdir(parents=True, exist_ok=True)
        probe = paths.logdir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"cannot write to logdir {logdir}: {exc.strerror}") from None
    return paths
