"""Run the exact-sum job under a supervisor in this process, events on stdout (for process-level tests).

``python -m orchestrator.testing.demo --workers 2 --batches 100000 --work-s 0.05``: exits 0 after a
clean run or a graceful stop (SIGINT/SIGTERM), 1 after a failed one.
"""

from __future__ import annotations

import argparse
import sys

from orchestrator.config import SupervisorConfig
from orchestrator.events import EventLog
from orchestrator.loop import run_async
from orchestrator.supervisor import Supervisor
from orchestrator.testing.jobs import ExactSumJob, echo_spec


async def _main(args: argparse.Namespace) -> int:
    job = ExactSumJob(args.batches, size=args.size, work_s=args.work_s)
    config = SupervisorConfig(num_workers=args.workers, heartbeat_interval_s=0.2, heartbeat_timeout_s=2.0,
                              grace_s=args.grace_s, shutdown_timeout_s=1.0, progress_interval_s=1.0,
                              log_batches=False)
    summary = await Supervisor(job, echo_spec(), config, events=EventLog(sys.stdout)).run()
    return 0 if summary.ok and not job.duplicated() else 1


def main() -> None:
    """Parse options and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--work-s", type=float, default=0.05)
    parser.add_argument("--grace-s", type=float, default=2.0)
    parser.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto")
    args = parser.parse_args()
    sys.exit(run_async(_main(args), args.loop))


if __name__ == "__main__":
    main()
