"""Workers as Ray actors, behind the same ``WorkerTransport`` seam as local subprocesses.

The supervisor writes task frames to a :class:`RayHandle` exactly as to a pipe; the handle calls its actor
once per task (one call in flight, the next queued task passed along so a batching handler can decide to hold
its work) and awaits the returned ObjectRef on the event loop, never ``ray.get``. Replies are ordinary protocol
messages (``ready``, ``done``, ``result``, ``error``) handed to the ``WorkerSink``, so the supervisor's ledger,
credits, restarts and shutdown ladder work unchanged. Result arrays come back through Ray's object store (no
arena). A dead actor (its process killed, its node gone) fails the awaited call: the handle reports EOF and
exit, and the supervisor re-issues its batches.

:meth:`RayTransport.publish` puts a versioned value (e.g. a table snapshot) into the object store; each actor
gets the newest version with its next call and hands it to its handler's ``update(name, value, version)``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal as signals
import socket
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import msgpack
import numpy as np

from .arena import ArenaReader
from .protocol import PROTOCOL_VERSION, MessageType
from .transport import WorkerSink, WorkerSpec
from .worker_runtime import BatchingHandler

_ACTOR_GONE_EXIT = -int(signals.SIGKILL)
MAX_HOLD_S = 0.2
"""A batching actor sends what it holds once this much wall time has passed since its oldest held task began,
whatever its handler says: each task costs a round trip here, so tiny tasks would otherwise wait for long."""


def load_factory(path: str) -> Callable[..., Any]:
    """``"package.module:function"`` → the function."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _message(mtype: MessageType, **fields: Any) -> dict:
    return {"v": PROTOCOL_VERSION, "t": str(mtype), **fields}


def _payload_bytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(_payload_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_payload_bytes(v) for v in value)
    return 8


def _as_arguments(published: Mapping[str, tuple[int, Any]]) -> list[Any]:
    """``[[(name, version), ...], ref, ...]``: the refs as top-level arguments, which Ray resolves before the actor
    method runs (so the actor never blocks in ``ray.get``)."""
    return [[(name, int(version)) for name, (version, _) in published.items()],
            *(ref for _, ref in published.values())]


class RayWorker:
    """The actor body: builds the handler from ``factory(*args)``, runs tasks, holds or sends their results."""

    def __init__(self, factory: str, worker_id: int, driver_host: str, *args: Any) -> None:
        self.worker_id = worker_id
        self.driver_host = driver_host
        self.handler: Any = load_factory(factory)(*args)
        self.held: list[int] = []
        self.held_s = 0.0
        self.held_since = 0.0
        self.versions: dict[str, int] = {}

    def boot(self, versions: list[tuple[str, int]], *values: Any) -> dict:
        """Take the published values, then say ready (with a pid only when it is a process on the driver's host)."""
        import ray

        self._update(versions, values)
        local = socket.gethostname() == self.driver_host
        node = ray.get_runtime_context().get_node_id()
        return _message(MessageType.READY, pid=os.getpid() if local else None, worker_id=self.worker_id,
                        info={"node": node, "host": socket.gethostname(), "os_pid": os.getpid()})

    def _update(self, versions: list[tuple[str, int]], values: tuple[Any, ...]) -> None:
        """New published values; Ray resolved them before the call (object refs passed as top-level arguments)."""
        for (name, version), value in zip(versions, values):
            version = int(version)
            self.versions[name] = version
            update = getattr(self.handler, "update", None)
            if update is not None:
                update(name, value, version)

    def run(self, msg: dict, upcoming: dict | None, versions: list[tuple[str, int]], *values: Any) -> list[dict]:
        """One task; returns ``[done]`` while the handler holds its work, else ``[result]`` (or ``[error]``)."""
        batch_id = msg["batch_id"]
        start = time.perf_counter()
        try:
            self._update(versions, values)
            if not isinstance(self.handler, BatchingHandler):
                payload = self.handler(msg["payload"])
                return [_message(MessageType.RESULT, batch_ids=[batch_id], payload=payload,
                                 stats=self._stats(time.perf_counter() - start))]
            if not self.held:
                self.held_since = start
            self.handler.run(msg["payload"])
            self.held.append(batch_id)
            self.held_s += time.perf_counter() - start
            patient = time.perf_counter() - self.held_since < MAX_HOLD_S
            if upcoming is not None and patient and not self.handler.flush_due(upcoming):
                return [_message(MessageType.DONE, batch_id=batch_id)]
            payload = self.handler.flush(lambda dtype, shape: np.empty(shape, dtype=dtype))
            ids, seconds = self.held, self.held_s
            self.held, self.held_s = [], 0.0
            return [_message(MessageType.RESULT, batch_ids=ids, payload=payload, stats=self._stats(seconds))]
        except Exception as exc:  # noqa: BLE001 - reported to the supervisor, which kills this actor
            return [_message(MessageType.ERROR, batch_id=batch_id, message=f"{type(exc).__name__}: {exc}",
                             traceback=traceback.format_exc())]

    def _stats(self, seconds: float) -> dict:
        return {"seconds": seconds, "versions": dict(self.versions)}


class RayHandle:
    """One actor as the supervisor sees it: frames in, protocol messages out, death reported as EOF and exit."""

    def __init__(self, transport: RayTransport, worker_id: int, sink: WorkerSink, actor: Any) -> None:
        self.worker_id = worker_id
        self.pid: int | None = None
        self.bytes_received = 0
        self.frames_cpu_s = 0.0
        self.node: str | None = None
        self.versions: dict[str, int] = {}
        self.computing = False
        self._transport = transport
        self._sink = sink
        self._actor = actor
        self._loop = asyncio.get_running_loop()
        self._queue: deque[dict] = deque()
        self._owed_since: float | None = None
        self._idle_since = self._loop.time()
        self._paused = False
        self._held: list[list[dict]] = []
        self._exit: asyncio.Future[int] = self._loop.create_future()
        self._closed = False
        self._calls: set[asyncio.Task] = set()

    @property
    def last_activity(self) -> float:
        """Now while the actor owes nothing (an idle actor is not silent), else when the owed call was made."""
        return self._loop.time() if self._owed_since is None else self._owed_since

    @last_activity.setter
    def last_activity(self, value: float) -> None:
        if self._owed_since is not None:
            self._owed_since = value

    def start(self, published: Mapping[str, tuple[int, Any]]) -> None:
        self.versions = {name: version for name, (version, _) in published.items()}
        self._call(self._actor.boot.remote(*_as_arguments(published)), booting=True)

    def _call(self, ref: Any, booting: bool = False) -> None:
        self._owed_since = self._loop.time()
        task = self._loop.create_task(self._await(ref, booting))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _await(self, ref: Any, booting: bool) -> None:
        import ray.exceptions as rex

        try:
            reply = await ref
        except (rex.RayActorError, rex.ActorUnavailableError, rex.WorkerCrashedError,
                rex.ObjectLostError, rex.OwnerDiedError, rex.RaySystemError) as exc:
            self._gone(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")
            return
        except rex.RayTaskError as exc:
            reply = [_message(MessageType.ERROR, batch_id=None, message=str(exc).splitlines()[0],
                              traceback=str(exc))]
        except asyncio.CancelledError:
            raise
        self._owed_since = None
        self.computing = False
        if self._closed:
            return
        messages = [reply] if booting else list(reply)
        if booting:
            self.pid = reply.get("pid")
            self.node = (reply.get("info") or {}).get("node")
        for msg in messages:
            if msg.get("t") == MessageType.RESULT:
                self.bytes_received += _payload_bytes(msg.get("payload"))
        if self._paused:
            self._held.append(messages)
        else:
            self._sink.on_messages(self, messages)
        self._dispatch()

    def _gone(self, why: str) -> None:
        self._owed_since = None
        if not self._closed:
            self._sink.on_output(self, "stderr", f"actor gone: {why}")
            self._sink.on_eof(self)
        if not self._exit.done():
            self._exit.set_result(_ACTOR_GONE_EXIT)

    def _dispatch(self) -> None:
        if self._owed_since is not None or not self._queue or self._closed or self._exit.done():
            return
        msg = self._queue.popleft()
        upcoming = self._queue[0]["payload"] if self._queue else None
        self.computing = True
        self._call(self._actor.run.remote(msg, upcoming, *_as_arguments(self._transport.updates_for(self))))

    # ---- WorkerHandle ------------------------------------------------------------------------------
    def write(self, frame: bytes) -> None:
        """Take one frame the supervisor wrote: a task is queued for the actor; release is meaningless here."""
        msg = msgpack.unpackb(frame, raw=False, strict_map_key=False)
        kind = msg.get("t")
        if kind == MessageType.TASK:
            self._queue.append(msg)
            self._dispatch()
        elif kind == MessageType.SHUTDOWN:
            self.close_input()

    async def send(self, frame: bytes) -> None:
        self.write(frame)

    def pause_reading(self) -> None:
        self._paused = True

    def resume_reading(self) -> None:
        self._paused = False
        while self._held and not self._paused:
            self._sink.on_messages(self, self._held.pop(0))

    def close_input(self) -> None:
        """The polite stop: the actor is ended once it owes nothing (at once when idle)."""
        if self._owed_since is None:
            self._end(0)
        else:
            self._queue.clear()
            self._loop.create_task(self._end_when_idle())

    async def _end_when_idle(self) -> None:
        while self._owed_since is not None and not self._exit.done():
            await asyncio.wait(set(self._calls), return_when=asyncio.FIRST_COMPLETED)
        self._end(0)

    def signal(self, sig: int) -> None:
        """Any signal ends the actor (Ray has no gentler way to stop one mid-call)."""
        self._end(-int(sig))

    def _end(self, code: int) -> None:
        if self._exit.done():
            return
        import ray

        try:
            ray.kill(self._actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone: nothing to kill
            pass
        self._exit.set_result(code)
        if not self._closed:
            self._sink.on_eof(self)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    @property
    def returncode(self) -> int | None:
        return self._exit.result() if self._exit.done() else None

    def close(self) -> None:
        self._closed = True
        self._queue.clear()
        self._held.clear()
        self._end(_ACTOR_GONE_EXIT)
        self._transport.handles.pop(self.worker_id, None)


class RayTransport:
    """Starts each worker as a Ray actor running ``factory(*args)`` (a ``"module:function"`` building a task
    handler); ``actor_options`` go to ``.options()`` (default one CPU, spread over the nodes)."""

    def __init__(self, factory: str, args: tuple = (), *, actor_options: Mapping[str, Any] | None = None) -> None:
        import ray

        self.factory = factory
        self.args = tuple(args)
        self.actor_options = {"num_cpus": 1, "scheduling_strategy": "SPREAD", "max_restarts": 0,
                              "max_task_retries": 0, **(actor_options or {})}
        self._actor_class = ray.remote(RayWorker)
        self._published: dict[str, tuple[int, Any]] = {}
        self.handles: dict[int, RayHandle] = {}
        self.host = socket.gethostname()

    async def spawn(self, worker_id: int, spec: WorkerSpec, sink: WorkerSink, *, heartbeat_s: float,
                    env: Mapping[str, str] | None = None, arena: ArenaReader | None = None) -> RayHandle:
        """Create the actor (placement and boot proceed in the background; ``ready`` comes as a message)."""
        options = dict(self.actor_options)
        extra_env = {**dict(spec.env), **dict(env or {})}
        if extra_env:
            options["runtime_env"] = {"env_vars": extra_env}
        actor = self._actor_class.options(**options).remote(self.factory, worker_id, self.host, *self.args)
        handle = RayHandle(self, worker_id, sink, actor)
        self.handles[worker_id] = handle
        handle.start(self._published)
        return handle

    async def publish(self, name: str, value: Any, version: int) -> None:
        """Put ``value`` into the object store (off the loop) as the newest version of ``name``."""
        import ray

        ref = await asyncio.get_running_loop().run_in_executor(None, ray.put, value)
        if name not in self._published or self._published[name][0] <= version:
            self._published[name] = (int(version), ref)

    def published_version(self, name: str) -> int | None:
        entry = self._published.get(name)
        return None if entry is None else entry[0]

    def updates_for(self, handle: RayHandle) -> dict[str, tuple[int, Any]]:
        """The published values newer than what ``handle``'s actor holds (and mark them sent)."""
        out = {}
        for name, (version, ref) in self._published.items():
            if handle.versions.get(name, -1) < version:
                out[name] = (version, ref)
                handle.versions[name] = version
        return out

    def live_versions(self, name: str) -> list[int]:
        """The version of ``name`` each actor computing a task works with (for staleness reports; an actor
        booting or idle takes the newest with its next task, so the version it was handed earlier is not
        counted)."""
        return [h.versions[name] for h in self.handles.values()
                if h.computing and name in h.versions and not h._exit.done()]
