"""Versioned, checksummed ``.npz`` files written atomically; the only on-disk format we load.

Each file holds named numpy arrays plus a JSON header (kind, format version, metadata, and a
sha256 over every array's name, dtype, shape and bytes). Loading never unpickles.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

HEADER_KEY = "__header__"


class FileFormatError(ValueError):
    """A file that is missing, truncated, of another kind or version, or fails its checksum."""


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """sha256 over the arrays' names, dtypes, shapes and contents, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file so that readers see the old contents or the new, never half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_arrays(
    path: str | Path,
    *,
    kind: str,
    version: int,
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any] | None = None,
) -> str:
    """Write ``arrays`` and ``meta`` atomically as a checksummed npz; returns the content hash."""
    if HEADER_KEY in arrays:
        raise ValueError(f"array name {HEADER_KEY!r} is reserved")
    checksum = arrays_digest(arrays)
    header = {"kind": kind, "version": version, "checksum": checksum, "meta": dict(meta or {})}
    payload = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    payload[HEADER_KEY] = np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)
    atomic_write(path, lambda handle: _write_npz(handle, payload))
    return checksum


def _write_npz(handle: BinaryIO, payload: Mapping[str, np.ndarray]) -> None:
    """An uncompressed npz that ``np.load`` reads, written from each array's own buffer.

    ``np.savez`` copies arrays through Python-level buffers while holding the GIL; writing the
    memory view lets the checksum and the file write release it, so a checkpoint written from a
    thread does not stall the event loop.
    """
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in payload.items():
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(member, np.lib.format.header_data_from_array_1_0(array))
                if array.size:
                    member.write(memoryview(array).cast("B"))


def load_arrays(
    path: str | Path, *, kind: str, versions: tuple[int, ...] = (1,)
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a file written by :func:`save_arrays`, checking kind, version and checksum."""
    path = Path(path)
    label = f"{kind} file {path}"
    if not path.is_file():
        raise FileFormatError(f"{label} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if HEADER_KEY not in npz.files:
                raise FileFormatError(f"{label} has no header: not a holdem file")
            header = json.loads(npz[HEADER_KEY].tobytes().decode())
            arrays = {name: npz[name] for name in npz.files if name != HEADER_KEY}
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{label} is truncated or corrupt ({type(exc).__name__})") from None
    if header.get("kind") != kind:
        raise FileFormatError(f"{label} holds a {header.get('kind')!r}, not a {kind!r}")
    if header.get("version") not in versions:
        raise FileFormatError(
            f"{label} has format version {header.get('version')}, this build reads {list(versions)}"
        )
    if arrays_digest(arrays) != header.get("checksum"):
        raise FileFormatError(f"{label} fails its checksum: the contents were altered or damaged")
    meta = header.get("meta", {})
    meta["checksum"] = header["checksum"]
    return arrays, meta
