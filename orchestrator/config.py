"""The supervisor's knobs: worker count, credits, restart policy, timeouts, frame and arena sizes."""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy import RestartPolicy
from .protocol import DEFAULT_MAX_FRAME_BYTES


@dataclass(frozen=True)
class SupervisorConfig:
    """Knobs of one run; defaults suit long training runs, tests shorten the timeouts.

    ``gil_switch_interval_s`` is set for the run (0: left alone): a job's threads (e.g. a merge thread between
    compiled calls) otherwise keep the event loop waiting up to Python's default 5 ms for the GIL.
    ``pin_loop_cpu`` keeps the loop thread on one CPU and the job's helper threads (``priority.helper_thread``)
    off it, for jobs whose helper threads are busy. ``arena_journal_bytes`` end each arena in a journal, for
    workers that apply their own results (``Delivery.commit``).
    """

    num_workers: int = 2
    credits: int = 2
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    heartbeat_interval_s: float = 1.0
    heartbeat_timeout_s: float = 10.0
    boot_timeout_s: float = 60.0
    grace_s: float = 10.0
    shutdown_timeout_s: float = 3.0
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_buffered_results: int = 1
    arena_slots: int = 0
    arena_slot_bytes: int = 0
    arena_journal_bytes: int = 0
    progress_interval_s: float = 5.0
    lag_interval_s: float = 0.02
    gil_switch_interval_s: float = 0.0005
    pin_loop_cpu: bool = False
    handle_signals: bool = True
    log_batches: bool = True
