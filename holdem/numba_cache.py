"""Numba's on-disk cache, keyed by every source file of the package.

Numba checks only the file of the function it loads from its cache, so a kernel whose inlined helpers
changed in another module (after an update, say) would keep running their old machine code. The package
therefore points ``NUMBA_CACHE_DIR`` at ``.numba-cache/<hash of all its sources>`` beside itself: any change
compiles afresh. Only the last few such directories are kept. A ``NUMBA_CACHE_DIR`` the user set is left alone,
and so is numba's default where the directory cannot be written (a read-only install).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import MutableMapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CACHE_ROOT = PACKAGE.parent / ".numba-cache"
KEEP = 3
"""Cache directories kept besides the current one (other checkouts' versions, a run still going on an old one)."""


def source_key(package: Path = PACKAGE) -> str:
    """A short hash over every ``.py`` file under ``package``: their paths and bytes."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def use_source_keyed_cache(package: Path = PACKAGE, root: Path = CACHE_ROOT,
                           environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Point numba's cache at ``root/<source_key(package)>`` (workers inherit it through ``environ``); the
    directory, or None when the user chose one or it cannot be made."""
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    target = root / source_key(package)
    try:
        made = not target.is_dir()
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    environ["NUMBA_CACHE_DIR"] = str(target)
    config = sys.modules.get("numba.core.config")
    if config is not None and environ is os.environ:
        config.CACHE_DIR = str(target)
    if made:
        _prune(root, target)
    return target


def _prune(root: Path, current: Path) -> None:
    """Remove all but the ``KEEP`` most recently changed cache directories besides ``current``."""
    try:
        others = sorted((p for p in root.iterdir() if p.is_dir() and p != current),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for stale in others[KEEP:]:
        shutil.rmtree(stale, ignore_errors=True)
