"""Scaling and CPU-flatness benchmark: holdem's supervisor against the queue-polling pool our users had.

Trains Leduc and heads-up no-limit for a fixed wall time with 1..cores workers (and twice the cores), in a
subprocess sampled from outside at 10 Hz (CPU% and run-queue wait of every worker and of the supervisor), then
sweeps ``--batch-size`` at the core count and kills a worker mid-run; ``bench/baselines/queue_pool.py`` runs
the same kernel the same way in the same session. Writes ``bench/results/scaling.json`` and PNGs of CPU
traces, it/s against workers and the batch-size sweep::

    python -m bench.scaling [--quick] [--seconds S] [--buckets tiny|quick] [--games leduc,hunl]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
GOALS = {"efficiency_at_2_workers": 0.95, "sawtooth_index": 0.01, "loop_lag_p99_ms": 5.0, "feedable_workers": 64}
BUSY_CPU_PERCENT = 50.0
SAMPLE_HZ = 10.0
BOOT_TIMEOUT_S = 240.0
GAME_CONFIGS = {"leduc": "leduc", "hunl": "quickstart"}
CONFIG_OVERRIDES: dict[str, Any] = {"progress_interval_seconds": 1.0, "checkpoint_interval_seconds": 3600,
                                    "snapshot_interval_seconds": 3600}
HUNL_OVERRIDES: dict[str, Any] = {"pruning_warmup": 0}
SWEEP_BATCHES = {"leduc": [64, 4096, 262144], "hunl": [16, 1024, 65536]}
