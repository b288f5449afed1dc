"""Resumable bucket builds: finished stages saved as checksummed npz files in a work directory.

Every stage file records the build's fingerprint (spec, deck, builder version); a stage whose file is
missing, damaged or from another build is computed again. Files are written atomically, so a build
killed at any moment resumes from its last finished stage and ends with the same content hash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from holdem.fileformat import FileFormatError, load_arrays, save_arrays

STAGE_KIND = "bucket-build-stage"
STAGE_VERSION = 1


class BuildState:
    """Saved stages of one build (no directory: nothing is saved, every stage is computed)."""

    def __init__(self, work_dir: str | Path | None, fingerprint: dict[str, Any]) -> None:
        self.dir = Path(work_dir) if work_dir is not None else None
        self.fingerprint = json.dumps(fingerprint, sort_keys=True)
        self.resumed: list[str] = []
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        assert self.dir is not None
        return self.dir / f"{name}.npz"

    def load(self, name: str) -> dict[str, np.ndarray] | None:
        """A finished stage's arrays, or None when it must be computed."""
        if self.dir is None or not self._path(name).is_file():
            return None
        try:
            arrays, meta = load_arrays(self._path(name), kind=STAGE_KIND, versions=(STAGE_VERSION,))
        except FileFormatError:
            self._path(name).unlink(missing_ok=True)
            return None
        if meta.get("fingerprint") != self.fingerprint or meta.get("stage") != name:
            self._path(name).unlink(missing_ok=True)
            return None
        self.resumed.append(name)
        return arrays

    def save(self, name: str, arrays: dict[str, np.ndarray]) -> None:
        if self.dir is not None:
            save_arrays(self._path(name), kind=STAGE_KIND, version=STAGE_VERSION, arrays=arrays,
                        meta={"fingerprint": self.fingerprint, "stage": name})


def work_dir_for(out: str | Path) -> Path:
    """Where a build writing ``out`` keeps its finished stages until it is done."""
    out = Path(out)
    return out.with_name(out.name + ".partial")
