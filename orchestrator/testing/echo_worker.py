"""Test worker: returns a pure function of the batch id, and misbehaves on request.

``--fault KIND --fault-after N`` makes the N-th task of a worker misbehave; with ``--fault-once PATH``
only the first worker to create PATH does so, which gives "fails once, then recovers" scenarios.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable

import msgpack
import numpy as np

from orchestrator.protocol import PROTOCOL_VERSION
from orchestrator.testing.jobs import batch_values
from orchestrator.transport import ENV_PROTOCOL_FD
from orchestrator.worker_runtime import run_worker

FAULTS = ("garbage", "oversize", "unknown", "crash", "hang", "raise", "noise")


def _claim(path: str | None) -> bool:
    if path is None:
        return True
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    """Parse fault options, then serve tasks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--crash-at-boot", action="store_true")
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--fault-after", type=int, default=1)
    parser.add_argument("--fault-once")
    parser.add_argument("--batching", type=int, default=0, metavar="K",
                        help="hold up to K tasks and send their summed values as one result")
    args = parser.parse_args(argv)
    if args.crash_at_boot:
        print("echo_worker: cannot load tables (simulated boot crash)", file=sys.stderr)
        sys.exit(4)
    fd = int(os.environ[ENV_PROTOCOL_FD])
    count = 0
    blobs: dict[int, np.ndarray] = {}

    def handle(payload: dict) -> dict:
        nonlocal count
        count += 1
        if "blob_bytes" in payload:
            nbytes = payload["blob_bytes"]
            blob = blobs.setdefault(nbytes, np.full(nbytes, 7, dtype=np.uint8))
            return {"batch_id": payload["batch_id"], "blob": blob}
        if payload.get("work_s"):
            time.sleep(payload["work_s"])
        values = batch_values(payload["batch_id"], payload["n"])
        if args.fault and count == args.fault_after and _claim(args.fault_once):
            if args.fault == "garbage":
                os.write(fd, b"\xc1\xc1\xc1 garbage \xff\x00")
            elif args.fault == "unknown":
                os.write(fd, msgpack.packb({"v": PROTOCOL_VERSION, "t": "bogus"}))
            elif args.fault == "oversize":
                values = batch_values(payload["batch_id"], payload["n"] + (1 << 20))
            elif args.fault == "crash":
                os._exit(5)
            elif args.fault == "hang":
                os.kill(os.getpid(), signal.SIGSTOP)
            elif args.fault == "raise":
                raise RuntimeError(f"simulated failure in batch {payload['batch_id']}")
            elif args.fault == "noise":
                print("a stray print on stdout", flush=True)
        return {"batch_id": payload["batch_id"], "values": values}

    if args.batching:
        run_worker(SummingHandler(handle, args.batching), info={"kind": "echo", "batching": args.batching})
    run_worker(handle, info={"kind": "echo"})


class SummingHandler:
    """Holds up to ``limit`` tasks' values and sends their sum (in the arena when there is one)."""

    def __init__(self, handle: Callable[[dict], dict], limit: int) -> None:
        self.handle = handle
        self.limit = limit
        self.held: list[tuple[int, np.ndarray]] = []

    def run(self, payload: dict) -> None:
        result = self.handle(payload)
        self.held.append((result["batch_id"], result["values"]))

    def flush_due(self, next_payload: dict) -> bool:
        return len(self.held) >= self.limit or next_payload["n"] != self.held[0][1].shape[0]

    def patience_s(self) -> float:
        return 0.005

    def flush(self, allocate: Callable) -> dict:
        values = allocate(np.int64, self.held[0][1].shape)
        values[:] = sum(v for _, v in self.held)
        ids = [b for b, _ in self.held]
        self.held = []
        return {"batch_ids": ids, "values": values}


if __name__ == "__main__":
    main()
