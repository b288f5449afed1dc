"""Worker side of the protocol: say ready, heartbeat, run tasks, send results; die with the parent.

A worker program calls ``run_worker(handle_task)``. Tasks arrive on stdin; frames go out on the
dedicated pipe named by ``ORCH_PROTOCOL_FD``, so stray prints on stdout are harmless. The worker
exits when stdin closes, when a ``shutdown`` message arrives, or when the supervisor dies
(PR_SET_PDEATHSIG plus a parent-pid check). A task handler that raises sends an ``error`` frame
and exits non-zero: the supervisor re-issues the batch and restarts the worker.

Heartbeats come from a thread: a task handler that holds the GIL longer than the supervisor's
``heartbeat_timeout_s`` (e.g. a numba kernel without ``nogil=True``) looks hung and is killed.
"""

from __future__ import annotations

import ctypes
import os
import queue
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import msgpack

from .protocol import PROTOCOL_VERSION, MessageType, make_packer, validate
from .transport import ENV_HEARTBEAT_S, ENV_PARENT_PID, ENV_PROTOCOL_FD, ENV_WORKER_ID

ENV_CHAOS_SIGNALS = "ORCH_CHAOS_SIGNALS"
CHAOS_GARBAGE = b"\xc1\xc1 not a frame \xc1"
_PR_SET_PDEATHSIG = 1
_EXIT_ERROR = 3


def die_with_parent(parent_pid: int | None) -> None:
    """Ask the kernel to SIGKILL us when the parent goes; exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


class Channel:
    """Thread-safe writer of whole frames to the protocol fd (blocking: the worker has nothing else to do)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._packer = make_packer(autoreset=False)
        self.corrupt_next = False

    def send(self, mtype: MessageType, **fields: Any) -> int:
        """Encode and write one frame (from the packer's own buffer, no extra copy); returns its size."""
        with self._lock:
            try:
                self._packer.pack({"v": PROTOCOL_VERSION, "t": str(mtype), **fields})
                frame = self._packer.getbuffer()
                if self.corrupt_next:
                    self.corrupt_next = False
                    self._write(CHAOS_GARBAGE)
                self._write(frame)
                size = len(frame)
                frame.release()
                return size
            finally:
                self._packer.reset()

    def _write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]


def _heartbeat(channel: Channel, interval_s: float) -> None:
    tick = threading.Event()
    while not tick.wait(interval_s):
        try:
            channel.send(MessageType.HEARTBEAT)
        except OSError:
            os._exit(1)


def _exit_now(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _read_tasks(tasks: queue.SimpleQueue) -> None:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    while True:
        try:
            chunk = os.read(0, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            _exit_now(0)
        unpacker.feed(chunk)
        try:
            for raw in unpacker:
                msg = validate(raw)
                if msg["t"] == MessageType.SHUTDOWN:
                    _exit_now(0)
                tasks.put(msg)
        except Exception as exc:  # noqa: BLE001 - any bad input from the supervisor ends this worker
            print(f"worker: bad task stream: {exc}", file=sys.stderr)
            _exit_now(2)


def run_worker(handle_task: Callable[[dict], dict], *, info: dict | None = None) -> NoReturn:
    """Serve tasks until stdin closes: ``handle_task(payload) -> result payload`` (may hold numpy arrays)."""
    fd = int(os.environ[ENV_PROTOCOL_FD])
    parent = os.environ.get(ENV_PARENT_PID)
    die_with_parent(int(parent) if parent else None)
    heartbeat_s = float(os.environ.get(ENV_HEARTBEAT_S, "1.0"))
    channel = Channel(fd)
    if os.environ.get(ENV_CHAOS_SIGNALS) == "1":
        signal.signal(signal.SIGUSR1, lambda *_: setattr(channel, "corrupt_next", True))
    tasks: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_read_tasks, args=(tasks,), name="tasks", daemon=True).start()
    channel.send(MessageType.READY, pid=os.getpid(), worker_id=int(os.environ.get(ENV_WORKER_ID, "-1")),
                 info=info or {})
    if heartbeat_s > 0:
        beat = threading.Thread(target=_heartbeat, args=(channel, heartbeat_s), name="heartbeat", daemon=True)
        beat.start()
    while True:
        msg = tasks.get()
        batch_id = msg["batch_id"]
        start = time.perf_counter()
        try:
            result = handle_task(msg["payload"])
        except Exception as exc:  # noqa: BLE001 - reported to the supervisor, then this worker exits
            channel.send(MessageType.ERROR, batch_id=batch_id, message=f"{type(exc).__name__}: {exc}",
                         traceback=traceback.format_exc())
            _exit_now(_EXIT_ERROR)
        seconds = time.perf_counter() - start
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        channel.send(MessageType.RESULT, batch_id=batch_id, payload=result,
                     stats={"seconds": seconds, "max_rss_bytes": max_rss})
