"""Worker side of the protocol: say ready, heartbeat, run tasks, send results; die with the parent.

A worker program calls ``run_worker(handler)``. Tasks arrive on stdin; frames go out on the
dedicated pipe named by ``ORCH_PROTOCOL_FD``, so stray prints on stdout are harmless. The worker
exits when stdin closes, when a ``shutdown`` message arrives, or when the supervisor dies
(PR_SET_PDEATHSIG plus a parent-pid check). A task handler that raises sends an ``error`` frame
and exits non-zero: the supervisor re-issues the batch and restarts the worker.

A handler is either a function (one task in, one result out) or a :class:`BatchingHandler`, which
may hold several tasks' work and send it as one result acknowledging all their batch ids; each task
it holds is reported ``done`` so the supervisor keeps the worker's queue full. With an arena
(``ORCH_ARENA``), a batching handler writes its result arrays straight into shared memory; a
:class:`CommittingHandler` with an arena journal may also be asked to apply a result it sent itself, which it
does on a thread of its own while the next tasks run.

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
from collections import deque
from collections.abc import Callable
from typing import Any, NoReturn, Protocol, runtime_checkable

import msgpack
import numpy as np

from .arena import ENV_ARENA, ArenaSpec, ArenaWriter, SlotAllocator
from .protocol import PROTOCOL_VERSION, MessageType, arena_ref, make_packer, validate
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
        self.last_sent = time.monotonic()

    def send(self, mtype: MessageType, *, placed: SlotAllocator | None = None, **fields: Any) -> int:
        """Encode and write one frame (from the packer's own buffer, no extra copy); returns its size.

        Arrays that ``placed`` handed out are written as references to their arena slot.
        """
        with self._lock:
            try:
                if placed is not None:
                    fields = _with_arena_refs(fields, placed)
                self._packer.pack({"v": PROTOCOL_VERSION, "t": str(mtype), **fields})
                frame = self._packer.getbuffer()
                if self.corrupt_next:
                    self.corrupt_next = False
                    self._write(CHAOS_GARBAGE)
                self._write(frame)
                self.last_sent = time.monotonic()
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
    """Say alive whenever nothing else was sent for ``interval_s``: any frame is proof of life to the supervisor,
    and a busy worker's frames spare it a wakeup a second."""
    tick = threading.Event()
    wait_s = interval_s
    while not tick.wait(wait_s):
        silent_s = time.monotonic() - channel.last_sent
        if silent_s < interval_s:
            wait_s = interval_s - silent_s
            continue
        wait_s = interval_s
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


def _with_arena_refs(value: Any, placed: SlotAllocator) -> Any:
    """``value`` with every array ``placed`` allocated replaced by its arena reference."""
    if isinstance(value, dict):
        return {k: _with_arena_refs(v, placed) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_with_arena_refs(v, placed) for v in value]
    where = placed.places.get(id(value))
    return value if where is None else arena_ref(placed.slot, *where)


@runtime_checkable
class BatchingHandler(Protocol):
    """A worker's task handler that may hold several tasks' work and send it as one result."""

    def run(self, payload: dict) -> None:
        """Compute one task and hold its result."""
        ...

    def flush_due(self, next_payload: dict) -> bool:
        """Whether to send what is held now rather than run ``next_payload`` (the next queued task) first."""
        ...

    def patience_s(self) -> float:
        """How long to wait for another task before sending what is held (0: send at once when idle)."""
        ...

    def flush(self, allocate: Callable[[Any, tuple[int, ...]], Any]) -> dict:
        """The held result as a payload, its arrays obtained from ``allocate(dtype, shape)``; then forget it."""
        ...


@runtime_checkable
class CommittingHandler(Protocol):
    """A batching handler that can apply a result it sent (its arrays still in the arena slot) itself."""

    def commit(self, payload: dict, journal: np.ndarray, args: dict) -> str | None:
        """Apply ``payload`` journaled in ``journal``; why not, with nothing applied, or None."""
        ...


class TaskQueue:
    """Tasks from the supervisor in arrival order, with a look at the next one without taking it."""

    def __init__(self) -> None:
        self._items: deque[dict] = deque()
        self._cond = threading.Condition()

    def put(self, msg: dict) -> None:
        with self._cond:
            self._items.append(msg)
            self._cond.notify()

    def get(self) -> dict:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._items))
            return self._items.popleft()

    def peek(self, wait_s: float = 0.0) -> dict | None:
        """The next task without taking it, waiting up to ``wait_s`` for one to arrive."""
        with self._cond:
            if not self._items and wait_s > 0:
                self._cond.wait_for(lambda: bool(self._items), timeout=wait_s)
            return self._items[0] if self._items else None


def _read_tasks(tasks: TaskQueue, arena: ArenaWriter | None, commits: queue.SimpleQueue) -> None:
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
                if msg["t"] == MessageType.RELEASE:
                    if arena is not None:
                        arena.release(int(msg["slot"]))
                    continue
                if msg["t"] == MessageType.COMMIT:
                    commits.put(msg)
                    continue
                tasks.put(msg)
        except Exception as exc:  # noqa: BLE001 - any bad input from the supervisor ends this worker
            print(f"worker: bad task stream: {exc}", file=sys.stderr)
            _exit_now(2)


def _serve_commits(handler: CommittingHandler, commits: queue.SimpleQueue, channel: Channel,
                   arena: ArenaWriter) -> NoReturn:
    """Apply results the supervisor asks this worker to commit, one at a time, and say so (with the CPU
    seconds it took). A commit that raises ends the worker: the supervisor finishes it from the journal."""
    journal = arena.journal()
    assert journal is not None
    while True:
        msg = commits.get()
        slot = msg.get("slot")
        payload = arena.results.get(slot) if isinstance(slot, int) else None
        started = time.thread_time()
        try:
            error = "no result is held in that slot" if payload is None \
                else handler.commit(payload, journal, msg.get("args") or {})
        except Exception as exc:  # noqa: BLE001 - reported to the supervisor, then this worker exits
            _fail(channel, None, exc)
        channel.send(MessageType.COMMITTED, slot=slot, error=error, cpu_s=time.thread_time() - started)


def _fail(channel: Channel, batch_id: int | None, exc: Exception) -> NoReturn:
    channel.send(MessageType.ERROR, batch_id=batch_id, message=f"{type(exc).__name__}: {exc}",
                 traceback=traceback.format_exc())
    _exit_now(_EXIT_ERROR)


def _stats(seconds: float) -> dict[str, Any]:
    return {"seconds": seconds, "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def _serve_one_by_one(handle_task: Callable[[dict], dict], tasks: TaskQueue, channel: Channel) -> NoReturn:
    while True:
        msg = tasks.get()
        batch_id = msg["batch_id"]
        start = time.perf_counter()
        try:
            result = handle_task(msg["payload"])
        except Exception as exc:  # noqa: BLE001 - reported to the supervisor, then this worker exits
            _fail(channel, batch_id, exc)
        channel.send(MessageType.RESULT, batch_ids=[batch_id], payload=result,
                     stats=_stats(time.perf_counter() - start))


def _serve_batching(handler: BatchingHandler, tasks: TaskQueue, channel: Channel,
                    arena: ArenaWriter | None) -> NoReturn:
    """Run tasks and send what is held when the handler says so. Each result's stats say how long this worker
    waited since the last one: for a task (``wait_task_s``) and for a free arena slot (``wait_slot_s``)."""
    held: list[int] = []
    seconds = wait_task_s = wait_slot_s = 0.0
    while True:
        asked = time.perf_counter()
        msg = tasks.get()
        batch_id = msg["batch_id"]
        start = time.perf_counter()
        wait_task_s += start - asked
        try:
            handler.run(msg["payload"])
            held.append(batch_id)
            peeked = time.perf_counter()
            upcoming = tasks.peek(handler.patience_s())
            wait_task_s += time.perf_counter() - peeked
            if upcoming is not None and not handler.flush_due(upcoming["payload"]):
                seconds += time.perf_counter() - start
                channel.send(MessageType.DONE, batch_id=batch_id)
                continue
            placed = None
            if arena is not None:
                acquiring = time.perf_counter()
                placed = arena.allocator(arena.acquire(lambda: channel.send(MessageType.NEED_SLOT)))
                wait_slot_s += time.perf_counter() - acquiring
            payload = handler.flush(placed if placed is not None else _private_array)
        except Exception as exc:  # noqa: BLE001 - reported to the supervisor, then this worker exits
            _fail(channel, batch_id, exc)
        seconds += time.perf_counter() - start
        extra = {} if placed is None else {"slot": placed.slot}
        if placed is not None:
            placed.writer.results[placed.slot] = payload
        stats = _stats(seconds) | {"wait_task_s": wait_task_s, "wait_slot_s": wait_slot_s}
        channel.send(MessageType.RESULT, placed=placed, batch_ids=held, payload=payload, stats=stats, **extra)
        held, seconds, wait_task_s, wait_slot_s = [], 0.0, 0.0, 0.0


def _private_array(dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.empty(shape, dtype=dtype)


def run_worker(handler: Callable[[dict], dict] | BatchingHandler, *, info: dict | None = None) -> NoReturn:
    """Serve tasks until stdin closes, one result per task (a function) or as the handler batches them."""
    fd = int(os.environ[ENV_PROTOCOL_FD])
    parent = os.environ.get(ENV_PARENT_PID)
    die_with_parent(int(parent) if parent else None)
    heartbeat_s = float(os.environ.get(ENV_HEARTBEAT_S, "1.0"))
    arena = ArenaWriter(ArenaSpec.from_env(os.environ[ENV_ARENA])) if os.environ.get(ENV_ARENA) else None
    channel = Channel(fd)
    if os.environ.get(ENV_CHAOS_SIGNALS) == "1":
        signal.signal(signal.SIGUSR1, lambda *_: setattr(channel, "corrupt_next", True))
    tasks = TaskQueue()
    commits: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_read_tasks, args=(tasks, arena, commits), name="tasks", daemon=True).start()
    committing = isinstance(handler, CommittingHandler) and arena is not None and arena.journal() is not None
    if committing:
        threading.Thread(target=_serve_commits, args=(handler, commits, channel, arena), name="commits",
                         daemon=True).start()
    channel.send(MessageType.READY, pid=os.getpid(), worker_id=int(os.environ.get(ENV_WORKER_ID, "-1")),
                 info=info or {}, commits=committing)
    if heartbeat_s > 0:
        beat = threading.Thread(target=_heartbeat, args=(channel, heartbeat_s), name="heartbeat", daemon=True)
        beat.start()
    if isinstance(handler, BatchingHandler):
        _serve_batching(handler, tasks, channel, arena)
    _serve_one_by_one(handler, tasks, channel)
