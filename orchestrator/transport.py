"""How workers are started and talked to: the seam between the supervisor and local subprocesses.

``SubprocessTransport`` runs each worker in its own session with three pipes besides stdin:
the protocol pipe (fd given in ``ORCH_PROTOCOL_FD``), stdout and stderr, all read without blocking
from the moment of spawn. Another backend (e.g. a cluster scheduler) implements the same two
protocols, ``WorkerTransport`` and ``WorkerHandle``, and delivers decoded messages to a ``WorkerSink``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .arena import ArenaReader
from .priority import place_worker
from .protocol import DEFAULT_MAX_FRAME_BYTES, FrameDecoder, ProtocolError

ENV_PROTOCOL_FD = "ORCH_PROTOCOL_FD"
ENV_PARENT_PID = "ORCH_PARENT_PID"
ENV_HEARTBEAT_S = "ORCH_HEARTBEAT_S"
ENV_WORKER_ID = "ORCH_WORKER_ID"
_MAX_LINE = 8192


@dataclass(frozen=True)
class WorkerSpec:
    """How to start one worker: command line, extra environment, working directory, and how much lower its
    CPU priority is than the supervisor's (``nice``: a busy machine then serves the loop first)."""

    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    inherit_env: bool = True
    nice: int = 0


class WorkerSink(Protocol):
    """What a transport reports about a worker, from the event loop, never blocking."""

    def on_messages(self, handle: WorkerHandle, messages: list[dict]) -> None: ...
    def on_protocol_error(self, handle: WorkerHandle, error: ProtocolError) -> None: ...
    def on_eof(self, handle: WorkerHandle) -> None: ...
    def on_output(self, handle: WorkerHandle, stream: str, line: str) -> None: ...


class WorkerHandle(Protocol):
    """One running worker as the supervisor sees it."""

    worker_id: int
    pid: int | None
    last_activity: float
    bytes_received: int
    frames_cpu_s: float
    """Loop-thread CPU seconds spent decoding this worker's frames and handling them (0 where not measured)."""

    def write(self, frame: bytes) -> None: ...
    async def send(self, frame: bytes) -> None: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def close_input(self) -> None: ...
    def signal(self, sig: int) -> None: ...
    async def wait(self) -> int: ...
    def close(self) -> None: ...


class WorkerTransport(Protocol):
    """Starts workers; each one reports to ``sink``."""

    async def spawn(
        self, worker_id: int, spec: WorkerSpec, sink: WorkerSink, *, heartbeat_s: float,
        env: Mapping[str, str] | None = None, arena: ArenaReader | None = None,
    ) -> WorkerHandle: ...


class _FrameReader(asyncio.Protocol):
    def __init__(self, handle: SubprocessHandle) -> None:
        self._handle = handle

    def data_received(self, data: bytes) -> None:
        self._handle._on_data(data)

    def eof_received(self) -> bool:
        self._handle._on_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._handle._on_eof()


class _LineReader(asyncio.Protocol):
    def __init__(self, handle: SubprocessHandle, stream: str) -> None:
        self._handle, self._stream, self._buf = handle, stream, bytearray()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while (nl := self._buf.find(b"\n")) >= 0 or len(self._buf) > _MAX_LINE:
            cut = nl if nl >= 0 else _MAX_LINE
            line = bytes(self._buf[:cut])
            del self._buf[: cut + (1 if nl >= 0 else 0)]
            self._handle._on_line(self._stream, line)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._buf:
            self._handle._on_line(self._stream, bytes(self._buf))
            self._buf.clear()


class SubprocessHandle:
    """A local worker process: stdin for tasks, a dedicated pipe for frames, stdout/stderr as lines."""

    def __init__(self, worker_id: int, sink: WorkerSink, max_frame_bytes: int,
                 arena: ArenaReader | None = None) -> None:
        self.worker_id = worker_id
        self.pid: int | None = None
        self.child_protocol_fd = -1
        self.last_activity = 0.0
        self.bytes_received = 0
        self.frames_cpu_s = 0.0
        self._sink = sink
        self._decoder = FrameDecoder(max_frame_bytes, arena)
        self._proc: asyncio.subprocess.Process | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self._frames: asyncio.ReadTransport | None = None
        self._broken = False
        self._eof = False
        self._closed = False
        self._loop = asyncio.get_running_loop()

    def _on_data(self, data: bytes) -> None:
        if self._broken:
            return
        started_cpu = time.thread_time()
        self.last_activity = self._loop.time()
        self.bytes_received += len(data)
        try:
            messages = self._decoder.feed(data)
        except ProtocolError as exc:
            self._broken = True
            self.pause_reading()
            if exc.messages:
                self._sink.on_messages(self, exc.messages)
            self._sink.on_protocol_error(self, exc)
            return
        else:
            if messages:
                self._sink.on_messages(self, messages)
        finally:
            self.frames_cpu_s += time.thread_time() - started_cpu

    def _on_eof(self) -> None:
        if not self._eof:
            self._eof = True
            self._sink.on_eof(self)

    def _on_line(self, stream: str, line: bytes) -> None:
        self._sink.on_output(self, stream, line.decode("utf-8", "replace").rstrip("\r"))

    @property
    def partial_frame(self) -> bool:
        """True if the stream ended (or was cut) in the middle of a frame."""
        return self._decoder.buffered

    def write(self, frame: bytes) -> None:
        """Queue one frame for the worker's stdin without waiting (callers bound what is queued)."""
        assert self._proc is not None and self._proc.stdin is not None
        if not self._proc.stdin.is_closing():
            self._proc.stdin.write(frame)

    async def send(self, frame: bytes) -> None:
        """Write one frame to the worker's stdin and wait until the pipe accepts it."""
        self.write(frame)
        assert self._proc is not None and self._proc.stdin is not None
        await self._proc.stdin.drain()

    def pause_reading(self) -> None:
        """Stop reading frames: the pipe fills and the worker's writes wait."""
        if self._frames is not None and not self._frames.is_closing():
            self._frames.pause_reading()

    def resume_reading(self) -> None:
        """Read frames again."""
        if self._frames is not None and not self._frames.is_closing() and not self._broken:
            self._frames.resume_reading()

    def close_input(self) -> None:
        """Close the worker's stdin: the polite way to ask it to exit."""
        if self._proc is not None and self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.close()

    def signal(self, sig: int) -> None:
        """Signal the worker's whole process group (it leads its own session)."""
        if self.pid is None or self._closed:
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    async def wait(self) -> int:
        """Reap the worker; returns its exit code (negative signal number if killed)."""
        assert self._proc is not None
        return await self._proc.wait()

    @property
    def returncode(self) -> int | None:
        """Exit code once reaped, else None."""
        return None if self._proc is None else self._proc.returncode

    def close(self) -> None:
        """Close every pipe of this worker (after it has been reaped or given up)."""
        self._broken = self._closed = True
        for transport in self._transports:
            transport.close()
        if self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()


class SubprocessTransport:
    """Spawns workers as local subprocesses from the event-loop thread (so PDEATHSIG binds to it)."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes

    async def spawn(
        self, worker_id: int, spec: WorkerSpec, sink: WorkerSink, *, heartbeat_s: float,
        env: Mapping[str, str] | None = None, arena: ArenaReader | None = None,
    ) -> SubprocessHandle:
        """Start one worker; its pipes are being read when this returns."""
        loop = asyncio.get_running_loop()
        handle = SubprocessHandle(worker_id, sink, self.max_frame_bytes, arena)
        frames_r, frames_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        full_env = dict(os.environ) if spec.inherit_env else {}
        full_env.update(spec.env)
        full_env.update(env or {})
        full_env.update({
            ENV_PROTOCOL_FD: str(frames_w),
            ENV_PARENT_PID: str(os.getpid()),
            ENV_HEARTBEAT_S: repr(heartbeat_s),
            ENV_WORKER_ID: str(worker_id),
        })
        readers = [(frames_r, _FrameReader(handle)), (out_r, _LineReader(handle, "stdout")),
                   (err_r, _LineReader(handle, "stderr"))]
        try:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv, stdin=asyncio.subprocess.PIPE, stdout=out_w, stderr=err_w,
                pass_fds=(frames_w,), start_new_session=True, env=full_env, cwd=spec.cwd,
            )
        except BaseException:
            for fd, _ in readers:
                os.close(fd)
            raise
        finally:
            for fd in (frames_w, out_w, err_w):
                os.close(fd)
        handle._proc, handle.pid, handle.child_protocol_fd = proc, proc.pid, frames_w
        place_worker(proc.pid, spec.nice)
        handle.last_activity = loop.time()
        for fd, protocol in readers:
            transport, _ = await loop.connect_read_pipe(lambda p=protocol: p, open(fd, "rb", buffering=0))
            handle._transports.append(transport)
        handle._frames = handle._transports[0]  # type: ignore[assignment]
        return handle


def describe_exit(returncode: int | None) -> str:
    """Human form of an exit status: ``exit 3`` or ``signal SIGKILL``."""
    if returncode is None:
        return "running"
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"
