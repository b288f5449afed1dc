"""Master tables in shared memory: plain files under ``/dev/shm`` mapped with ``numpy.memmap``.

The run creates and owns them; workers attach read-only and see its writes at once, and, when they apply
their own results, writable too (the merger gives one commit the turn at a time). ``multiprocessing.shared_memory``
is avoided: on Python 3.11 an attaching process unlinks the segment when it exits.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHM_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(os.environ.get("TMPDIR", "/tmp"))
_NAME = re.compile(r"^holdem-(\d+)-[0-9a-f]+-\w+\.tbl$")


@dataclass(frozen=True)
class TableSpec:
    """Where a shared table lives and its layout: enough for a worker to attach."""

    path: str
    dtype: str
    shape: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"path": self.path, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, data: dict) -> TableSpec:
        shape = tuple(int(x) for x in data["shape"])
        return cls(path=str(data["path"]), dtype=str(data["dtype"]), shape=shape)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_tables(directory: Path = SHM_DIR) -> list[Path]:
    """Delete table files left by runs whose owning process no longer exists."""
    removed = []
    for path in directory.glob("holdem-*.tbl"):
        match = _NAME.match(path.name)
        if match and not _pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class SharedTables:
    """Named float tables created by the owning run, removed by :meth:`close`."""

    def __init__(self, run_token: str, directory: Path = SHM_DIR) -> None:
        self._prefix = f"holdem-{os.getpid()}-{run_token}"
        self._directory = directory
        self.arrays: dict[str, np.memmap] = {}
        self.specs: dict[str, TableSpec] = {}

    def create(self, name: str, shape: tuple[int, ...], dtype: str = "float32", prefault: bool = True) -> np.memmap:
        """A zeroed table, every page touched now (before training) so merges never fault a page in; or, not
        ``prefault``, a sparse file whose pages cost memory only once written (lazy allocation)."""
        path = self._directory / f"{self._prefix}-{name}.tbl"
        array = np.memmap(path, dtype=dtype, mode="w+", shape=shape)
        if prefault:
            array.fill(0)
        self.arrays[name] = array
        self.specs[name] = TableSpec(str(path), np.dtype(dtype).str, tuple(shape))
        return array

    def close(self) -> None:
        """Unlink the files; memory is freed once every mapping (ours and workers') is gone."""
        for spec in self.specs.values():
            Path(spec.path).unlink(missing_ok=True)
        self.arrays.clear()

    def __enter__(self) -> SharedTables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach_readonly(spec: TableSpec) -> np.memmap:
    """Map a shared table read-only (never copy-on-write, which would hide the owner's updates)."""
    return np.memmap(spec.path, dtype=np.dtype(spec.dtype), mode="r", shape=spec.shape)


def attach_writable(spec: TableSpec) -> np.memmap:
    """Map a shared table for writing in place (a worker committing its own results)."""
    return np.memmap(spec.path, dtype=np.dtype(spec.dtype), mode="r+", shape=spec.shape)
