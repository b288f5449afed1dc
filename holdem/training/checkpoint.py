"""Checkpoints: the run's identity, writing the tables atomically (keeping the last K), finding and
reading one back with every check a resume needs."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction
from holdem.abstraction.tree import BettingTree
from holdem.fileformat import HEADER_KEY, FileFormatError, load_arrays, save_arrays
from holdem.games import format_gamedef
from holdem.training.errors import RunError

CHECKPOINT_KIND = "checkpoint"
CHECKPOINT_VERSION = 1
IDENTITY_CHECKS = {"game": "game", "abstraction_hash": "card abstraction (bucket file)",
                   "tree_hash": "betting tree (action menu)", "algorithm": "algorithm"}
"""Checked in this order: buckets before the tree, since other bucket counts also change the tree."""
IDENTITY_NAMES = {"abstraction_hash": "abstraction_name", "tree_hash": "menu_name"}


def run_identity(tree: BettingTree, abstraction: CardAbstraction, algorithm: str) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: game, tree and buckets (by content hash), algorithm."""
    return {
        "game": tree.game.name,
        "gamedef": format_gamedef(tree.game),
        "tree_hash": tree.content_hash(),
        "abstraction_hash": abstraction.content_hash(),
        "algorithm": algorithm,
        "abstraction_name": describe_abstraction(abstraction),
        "menu_name": tree.menu.name if tree.menu is not None else "none (limit game)",
    }


def describe_abstraction(abstraction: CardAbstraction) -> str:
    """``tiny, buckets [169, 8, 8, 8]``: how a person tells two card abstractions apart."""
    spec = (abstraction.spec or {}).get("name", "lossless") if isinstance(abstraction.spec, dict) else "lossless"
    return f"{spec}, buckets {[int(n) for n in abstraction.num_buckets]}"


def write_checkpoint(directory: Path, regret: np.ndarray, strategy_sum: np.ndarray, state: dict[str, Any],
                     elapsed: float, keep: int) -> Path:
    """Atomically write a checkpoint (temp file, fsync, rename) and delete all but the newest ``keep``."""
    path = directory / f"checkpoint-{state['iterations']:012d}.npz"
    save_arrays(path, kind=CHECKPOINT_KIND, version=CHECKPOINT_VERSION,
                arrays={"regret": regret, "strategy_sum": strategy_sum},
                meta={**state, "elapsed_seconds": elapsed})
    for old in _newest_first(directory.glob("checkpoint-*.npz"))[keep:]:
        old.unlink(missing_ok=True)
    return path


def _newest_first(paths: Iterable[Path]) -> list[Path]:
    """Checkpoints by the time they were written, newest first (names order them by iteration only)."""
    def written(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    return sorted(paths, key=lambda p: (written(p), p.name), reverse=True)


def find_checkpoint(path: Path) -> Path:
    """A checkpoint file as given, or the newest one in a run directory (or a checkpoints directory)."""
    if path.is_dir():
        found = _newest_first(path.glob("checkpoints/checkpoint-*.npz")) or _newest_first(path.glob("checkpoint-*.npz"))
        if not found:
            raise RunError(f"no checkpoint in {path}")
        return found[0]
    if not path.exists():
        raise RunError(f"checkpoint {path} does not exist")
    return path


def checkpoint_meta(path: Path) -> dict[str, Any]:
    """A checkpoint's recorded fields alone (not verified: :func:`read_checkpoint` does that), {} if unreadable."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return dict(json.loads(npz[HEADER_KEY].tobytes().decode()).get("meta") or {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile, EOFError):
        return {}


def read_checkpoint(path: Path, identity: dict[str, Any], shape: tuple[int, ...]
                    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Tables and counters of a checkpoint, refusing one of another game, tree, abstraction or shape."""
    try:
        arrays, meta = load_arrays(path, kind=CHECKPOINT_KIND, versions=(CHECKPOINT_VERSION,))
    except FileFormatError as exc:
        raise RunError(str(exc)) from None
    for key, what in IDENTITY_CHECKS.items():
        if meta.get(key) != identity[key]:
            name = IDENTITY_NAMES.get(key)
            theirs = meta.get(name, "not recorded") if name else meta.get(key)
            ours = identity[name] if name else identity[key]
            if name and theirs == ours:
                theirs, ours = f"{theirs}, content {str(meta.get(key))[:12]}", f"{ours}, content {identity[key][:12]}"
            raise RunError(f"checkpoint {path} was made with another {what}: it has {theirs}, this run has {ours}; "
                           f"resume with the same --buckets, --actions and game it was trained with")
    if arrays["regret"].shape != shape:
        raise RunError(f"checkpoint {path} tables have shape {arrays['regret'].shape}, this run needs {shape}")
    return arrays, meta
