"""What the Ray tests share: loopback-only Ray, a Leduc config, reading a run's events, killing once."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from orchestrator.ray_cluster import ACTOR_NICENESS_ENV, LOOPBACK_ENV, START_PATIENCE_ENV, ensure_ray_token

os.environ.update({**START_PATIENCE_ENV, **ACTOR_NICENESS_ENV, **os.environ, **LOOPBACK_ENV})
ensure_ray_token()

from holdem.training.config import build_config  # noqa: E402


def leduc_config(iterations: int, workers: int = 2, **extra: Any):
    return build_config({"game": "leduc", "num_workers": workers, "iterations": iterations, "seed": 7,
                         "backend": "ray", "progress_interval_seconds": 0.0,
                         "exploitability_interval_seconds": 1e9, "checkpoint_interval_seconds": 1e9,
                         "snapshot_interval_seconds": 1e9, **extra})


def events(logdir: Path) -> list[dict]:
    return [json.loads(line) for line in (logdir / "events.jsonl").read_text().splitlines()]


class KillOnce:
    """A progress listener that, once iterations are being applied, SIGKILLs the process of a live worker."""

    def __init__(self) -> None:
        self.killed: int | None = None

    def __call__(self, fields: dict[str, Any]) -> None:
        if self.killed is not None or not fields.get("iterations"):
            return
        pids = [w["pid"] for w in fields.get("workers") or [] if w.get("pid") and w.get("state") == "ready"]
        if pids:
            self.killed = pids[0]
            os.kill(pids[0], signal.SIGKILL)
