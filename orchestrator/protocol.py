"""Wire protocol between supervisor and workers: versioned msgpack maps, streamed and size-capped.

Every message is a msgpack map ``{"v": PROTOCOL_VERSION, "t": <type>, ...}``. Frames follow each
other on a pipe with no extra header: msgpack is self-delimiting, and the streaming ``Unpacker``
keeps a partial frame buffered until the rest arrives. numpy arrays travel as
``{"__nd__": [dtype, shape, raw bytes]}`` and decode with ``np.frombuffer`` (read-only, no copy), or,
when the worker has a result arena, as ``{"__shm__": [slot, offset, dtype, shape]}`` and decode as a
read-only view of the arena (see :mod:`orchestrator.arena`).
"""

from __future__ import annotations

import enum
import functools
from typing import Any

import msgpack
import numpy as np

from .arena import ArenaReader

PROTOCOL_VERSION = 2
DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024
_ND = "__nd__"
SHM = "__shm__"
READ_SLACK = 256 * 1024  # one pipe read: a frame is refused within this much of the cap


class MessageType(enum.StrEnum):
    """Message kinds.

    Worker → supervisor: ``ready``; ``result`` (``batch_ids``, ``payload``, ``stats``, and ``slot`` when its
    arrays are in the arena); ``done`` (a task is computed but its result is held for a later ``result``,
    so the worker may be given another); ``need_slot`` (every arena slot is leased); ``committed`` (``slot``,
    and ``error`` when it refused); ``heartbeat``; ``error``. Supervisor → worker: ``task``, ``release`` (an
    arena slot is free again), ``commit`` (``slot``, ``args``: apply the result held there yourself, journaled),
    ``shutdown``.
    """

    READY = "ready"
    TASK = "task"
    RESULT = "result"
    DONE = "done"
    NEED_SLOT = "need_slot"
    RELEASE = "release"
    COMMIT = "commit"
    COMMITTED = "committed"
    HEARTBEAT = "heartbeat"
    ERROR = "error"
    SHUTDOWN = "shutdown"


_TYPES = frozenset(t.value for t in MessageType)


class ProtocolError(Exception):
    """A peer sent bytes that are not a valid frame: the channel can no longer be trusted.

    ``messages`` holds the valid messages decoded before the bad bytes, in order.
    """

    def __init__(self, message: str, messages: list[dict] | None = None) -> None:
        super().__init__(message)
        self.messages = messages or []


def _encode_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        arr = obj if obj.flags.c_contiguous else np.ascontiguousarray(obj)
        if arr.dtype.hasobject:
            raise TypeError("object arrays cannot be sent")
        return {_ND: [arr.dtype.str, list(arr.shape), memoryview(arr).cast("B")]}
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _decode_hook(obj: dict, arena: ArenaReader | None = None) -> Any:
    spec = obj.get(_ND)
    if spec is not None and len(obj) == 1:
        dtype, shape, data = spec
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape)
    place = obj.get(SHM)
    if place is not None and len(obj) == 1:
        if arena is None:
            raise ValueError("an arena reference from a worker without an arena")
        slot, offset, dtype, shape = place
        return arena.view(slot, offset, dtype, shape)
    return obj


def arena_ref(slot: int, offset: int, dtype: str, shape: list[int]) -> dict:
    """How an array that lies in an arena slot is written into a frame."""
    return {SHM: [slot, offset, dtype, shape]}


def make_packer(autoreset: bool = True) -> msgpack.Packer:
    """A packer that understands numpy arrays and scalars; one per thread."""
    return msgpack.Packer(default=_encode_default, use_bin_type=True, autoreset=autoreset)


def encode(mtype: MessageType | str, packer: msgpack.Packer | None = None, **fields: Any) -> bytes:
    """One complete frame for a message of type ``mtype`` carrying ``fields``."""
    msg = {"v": PROTOCOL_VERSION, "t": str(mtype), **fields}
    return (packer or make_packer()).pack(msg)


def validate(msg: Any) -> dict:
    """Check version and type of a decoded message; raise ProtocolError otherwise."""
    if not isinstance(msg, dict):
        raise ProtocolError(f"frame is not a map but {type(msg).__name__}")
    version = msg.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version {version!r}, expected {PROTOCOL_VERSION}")
    mtype = msg.get("t")
    if mtype not in _TYPES:
        raise ProtocolError(f"unknown message type {mtype!r}")
    return msg


class FrameDecoder:
    """Incremental decoder: ``feed`` any slice of the byte stream, get back the complete messages.

    A frame larger than ``max_frame_bytes`` (plus at most one read chunk of slack) raises
    ProtocolError as soon as its header or the buffered bytes reveal it, so memory stays bounded.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES, arena: ArenaReader | None = None) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._unpacker = msgpack.Unpacker(
            raw=False,
            object_hook=functools.partial(_decode_hook, arena=arena),
            max_buffer_size=max_frame_bytes + READ_SLACK,
            max_bin_len=max_frame_bytes,
            max_str_len=max_frame_bytes,
            strict_map_key=False,
        )
        self.bytes_fed = 0
        self._complete = 0

    def feed(self, data: bytes) -> list[dict]:
        """Consume ``data`` and return every message it completes, validated."""
        self.bytes_fed += len(data)
        out: list[dict] = []
        try:
            self._unpacker.feed(data)
            for msg in self._unpacker:
                self._complete = self._unpacker.tell()
                out.append(validate(msg))
        except ProtocolError as exc:
            exc.messages = out
            raise
        except msgpack.BufferFull as exc:
            raise ProtocolError(f"frame exceeds {self.max_frame_bytes} bytes", out) from exc
        except (ValueError, TypeError, msgpack.UnpackException, msgpack.StackError) as exc:
            raise ProtocolError(f"undecodable frame: {exc}", out) from exc
        return out

    @property
    def buffered(self) -> bool:
        """True while a partial frame is waiting for more bytes."""
        return self._complete < self.bytes_fed
