"""Reading a growing ``events.jsonl``: complete lines across rotation and truncation, decoded one by one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

EVENTS_FILE = "events.jsonl"


class LineFollower:
    """Complete lines appended to a file, across rotation (new inode) and truncation (size below offset)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        self._inode: int | None = None
        self._pending = b""
        self.reopened = 0

    def _open(self) -> bool:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            return False
        self._fh, self._inode, self._pending = fh, os.fstat(fh.fileno()).st_ino, b""
        return True

    def exists(self) -> bool:
        return self._fh is not None or self.path.exists()

    def poll(self) -> list[str]:
        """Lines completed since the last call (decoded, without the newline); [] when nothing new."""
        if self._fh is None and not self._open():
            return []
        assert self._fh is not None
        lines = self._drain()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return lines
        if st.st_ino != self._inode:
            lines += self._drain(final=True)
            self._fh.close()
            self._fh = None
            self.reopened += 1
            if self._open():
                lines += self._drain()
        elif st.st_size < self._fh.tell():
            self._fh.seek(0)
            self._pending = b""
            self.reopened += 1
            lines += self._drain()
        return lines

    def _drain(self, final: bool = False) -> list[str]:
        assert self._fh is not None
        data = self._pending + self._fh.read()
        *complete, self._pending = data.split(b"\n")
        if final and self._pending:
            complete.append(self._pending)
            self._pending = b""
        return [raw.decode("utf-8", "replace") for raw in complete if raw.strip()]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def decode_event(line: str) -> dict[str, Any] | None:
    """One JSON-lines event, or None for an unreadable line."""
    try:
        ev = json.loads(line)
    except ValueError:
        return None
    return ev if isinstance(ev, dict) else None


def resolve_events_path(target: str) -> Path:
    """``LOGDIR`` → ``LOGDIR/events.jsonl``; a path ending in ``.jsonl`` is used as is."""
    path = Path(target)
    if path.suffix == ".jsonl" or path.is_file():
        return path
    return path / EVENTS_FILE
