"""Result arenas: one shared-memory file per worker where large result arrays are written once, read in place.

A worker with an arena writes a result's arrays into one of its slots and sends only their places in the
frame (``{"__shm__": [offset, dtype, shape]}``); the supervisor maps the same file read-only and hands
the job numpy views, so a multi-megabyte result costs the supervisor no copy and no decode. A slot stays
leased until the job releases it (the worker may then reuse it) or detaches it (its arrays copied out).

An arena may also end in a journal: bytes the worker writes while it applies a result itself (see the
``commit`` message), which the supervisor can still read after that worker is gone.

Files are plain files under ``/dev/shm`` named after the supervisor's pid, so a later supervisor can remove
those left by one that was killed. The supervisor creates and unlinks them; mappings outlive the name.
"""

from __future__ import annotations

import mmap
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_ARENA = "ORCH_ARENA"
ALIGN = 64
ARENA_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(os.environ.get("TMPDIR", "/tmp"))
_NAME = re.compile(r"^orch-arena-(\d+)-\d+-[0-9a-f]+$")


class ArenaError(ValueError):
    """An arena reference that points outside its slot, or a result larger than a slot."""


@dataclass(frozen=True)
class ArenaSpec:
    """Where an arena lives and how it is cut: ``slots`` slots of ``slot_bytes`` each, then ``journal_bytes``."""

    path: str
    slots: int
    slot_bytes: int
    journal_bytes: int = 0

    @property
    def size(self) -> int:
        return self.slots * self.slot_bytes + self.journal_bytes

    def to_env(self) -> str:
        return f"{self.slots}:{self.slot_bytes}:{self.journal_bytes}:{self.path}"

    @classmethod
    def from_env(cls, text: str) -> ArenaSpec:
        slots, slot_bytes, journal_bytes, path = text.split(":", 3)
        return cls(path=path, slots=int(slots), slot_bytes=int(slot_bytes), journal_bytes=int(journal_bytes))


def create_arena(worker_id: int, slots: int, slot_bytes: int, directory: Path = ARENA_DIR,
                 journal_bytes: int = 0) -> ArenaSpec:
    """A new sparse arena file (pages cost memory only once written)."""
    slot_bytes = -(-int(slot_bytes) // mmap.PAGESIZE) * mmap.PAGESIZE
    path = directory / f"orch-arena-{os.getpid()}-{worker_id}-{os.urandom(4).hex()}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    spec = ArenaSpec(str(path), slots, slot_bytes, int(journal_bytes))
    try:
        os.ftruncate(fd, spec.size)
    finally:
        os.close(fd)
    return spec


def _journal(spec: ArenaSpec, buffer: mmap.mmap) -> np.ndarray | None:
    if spec.journal_bytes <= 0:
        return None
    return np.frombuffer(buffer, dtype=np.uint8, count=spec.journal_bytes, offset=spec.slots * spec.slot_bytes)


def remove_stale_arenas(directory: Path = ARENA_DIR) -> list[Path]:
    """Delete arena files of supervisors that no longer exist."""
    removed = []
    for path in directory.glob("orch-arena-*"):
        match = _NAME.match(path.name)
        if match is None:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            removed.append(path)
        except PermissionError:
            pass
    return removed


class ArenaReader:
    """The supervisor's read-only map of a worker's arena; views stay valid after the file is unlinked."""

    def __init__(self, spec: ArenaSpec) -> None:
        self.spec = spec
        with open(spec.path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), spec.size, access=mmap.ACCESS_READ)

    def journal(self) -> np.ndarray | None:
        """The journal, read-only (None when the arena has none)."""
        return _journal(self.spec, self._map)

    def view(self, slot: int, offset: int, dtype: str, shape: list[int]) -> np.ndarray:
        """A read-only array at ``offset`` within ``slot``; ArenaError if it does not lie inside the slot."""
        kind = np.dtype(dtype)
        if kind.hasobject or not 0 <= slot < self.spec.slots:
            raise ArenaError(f"bad arena reference: slot {slot}, dtype {dtype}")
        count = int(np.prod(shape)) if shape else 1
        end = offset + count * kind.itemsize
        if offset < 0 or count < 0 or end > self.spec.slot_bytes:
            raise ArenaError(f"arena reference [{offset}, {end}) lies outside a {self.spec.slot_bytes}-byte slot")
        start = slot * self.spec.slot_bytes + offset
        return np.frombuffer(self._map, dtype=kind, count=count, offset=start).reshape(shape)


class ArenaWriter:
    """The worker's side: free slots (released by the supervisor) and a bump allocator per slot."""

    def __init__(self, spec: ArenaSpec) -> None:
        self.spec = spec
        fd = os.open(spec.path, os.O_RDWR)
        try:
            self._map = mmap.mmap(fd, spec.size)
        finally:
            os.close(fd)
        self._free = set(range(spec.slots))
        self._cond = threading.Condition()
        self.results: dict[int, dict] = {}
        """The payload sent from each leased slot (its arrays are views of the slot), for commits."""

    def journal(self) -> np.ndarray | None:
        """The journal, writable (None when the arena has none)."""
        return _journal(self.spec, self._map)

    def acquire(self, on_wait: Callable[[], None]) -> int:
        """The lowest free slot; when none is free, call ``on_wait`` once and block until one is released."""
        with self._cond:
            waiting = not self._free
        if waiting:
            on_wait()
        with self._cond:
            self._cond.wait_for(lambda: bool(self._free))
            slot = min(self._free)
            self._free.discard(slot)
            return slot

    def release(self, slot: int) -> None:
        """The supervisor is done with ``slot`` (called from the thread reading the supervisor's messages)."""
        with self._cond:
            if 0 <= slot < self.spec.slots:
                self.results.pop(slot, None)
                self._free.add(slot)
                self._cond.notify_all()

    def allocator(self, slot: int) -> SlotAllocator:
        return SlotAllocator(self, slot)


class SlotAllocator:
    """Hands out aligned arrays inside one slot and remembers where each lies, for encoding."""

    def __init__(self, writer: ArenaWriter, slot: int) -> None:
        self.writer = writer
        self.slot = slot
        self.used = 0
        self.places: dict[int, list] = {}

    def __call__(self, dtype: np.dtype | type | str, shape: tuple[int, ...]) -> np.ndarray:
        """A writable array of ``shape`` in this slot; ArenaError when the slot is too small."""
        kind = np.dtype(dtype)
        count = int(np.prod(shape)) if shape else 1
        offset = -(-self.used // ALIGN) * ALIGN
        end = offset + count * kind.itemsize
        if end > self.writer.spec.slot_bytes:
            raise ArenaError(f"result needs more than the {self.writer.spec.slot_bytes}-byte arena slot")
        start = self.slot * self.writer.spec.slot_bytes + offset
        array = np.frombuffer(self.writer._map, dtype=kind, count=count, offset=start).reshape(shape)
        self.used = end
        self.places[id(array)] = [offset, kind.str, list(shape)]
        return array
