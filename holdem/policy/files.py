"""Policy files: the average-policy file a run writes, the compact export, and loading either with checks.

A policy file holds a table of action probabilities, one row per (abstract decision node, card bucket),
and names what it was trained on: the game definition, the betting tree and the card abstraction, each by
content hash. Loading checks kind, version, checksum, and that the tree and buckets at hand are those.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.actions import ActionMenu
from holdem.abstraction.buckets import BucketError, CardAbstraction, lossless_for
from holdem.abstraction.store import file_with_hash, trained_file_candidates
from holdem.abstraction.tree import BettingTree, TreeFileError, build_tree
from holdem.fileformat import HEADER_KEY, FileFormatError, load_arrays, save_arrays
from holdem.games import GameDef, GameDefError, format_gamedef, parse_gamedef

AVERAGE_KIND = "average_policy"
AVERAGE_VERSION = 1
COMPACT_KIND = "compact_policy"
COMPACT_VERSION = 1
RUN_POLICY_FILES = ("blueprint.npz", "policy.npz")
QUANTISE_CHUNK_ROWS = 1 << 20


class PolicyError(ValueError):
    """A policy that cannot be loaded or a question it cannot answer; the message is one line."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def save_average_policy(path: str | Path, probabilities: np.ndarray, num_actions: np.ndarray, *,
                        tree: BettingTree, abstraction: CardAbstraction, buckets_path: Path | None = None,
                        meta: dict[str, Any] | None = None) -> str:
    """Write an average policy with what it was trained on (game, tree, buckets); returns its checksum."""
    header = {**(meta or {}), **trained_on(tree, abstraction, None if buckets_path is None else str(buckets_path))}
    arrays = {"policy": probabilities.astype(np.float32), "num_actions": num_actions}
    return save_arrays(path, kind=AVERAGE_KIND, version=AVERAGE_VERSION, arrays=arrays, meta=header)


def trained_on(tree: BettingTree, abstraction: CardAbstraction, buckets_path: str | None) -> dict[str, Any]:
    """What a policy file records of what it was trained on, for loading checks: game, tree, buckets."""
    return {
        "game": tree.game.name,
        "gamedef": format_gamedef(tree.game),
        "menu": tree.menu.to_dict() if tree.menu is not None else None,
        "num_buckets": [int(x) for x in tree.num_buckets],
        "tree_hash": tree.content_hash(),
        "abstraction": abstraction.spec,
        "abstraction_hash": abstraction.content_hash(),
        "buckets_path": buckets_path,
    }


def _peek_kind(path: Path) -> str | None:
    """The ``kind`` in a holdem file's header, or None when it cannot be read (load reports why)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if HEADER_KEY not in npz.files:
                return None
            return json.loads(npz[HEADER_KEY].tobytes().decode()).get("kind")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError, AttributeError):
        return None


def policy_file_of(path: str | Path) -> Path:
    """The policy file of a run directory (``blueprint.npz``, else ``policy.npz``) or the file itself."""
    path = Path(path)
    if path.is_dir():
        for name in RUN_POLICY_FILES:
            if (path / name).is_file():
                return path / name
        raise PolicyError(f"{path} holds no policy ({' or '.join(RUN_POLICY_FILES)}): is it a finished run?")
    if not path.exists():
        raise PolicyError(f"{path} does not exist")
    return path


def policy_game(path: str | Path) -> GameDef:
    """The game a run directory or policy file was trained for (read from its header, nothing else loaded)."""
    file = policy_file_of(path)
    kind = _peek_kind(file)
    try:
        _, meta = load_arrays(file, kind=kind if kind in (AVERAGE_KIND, COMPACT_KIND) else AVERAGE_KIND,
                              versions=(AVERAGE_VERSION, COMPACT_VERSION))
    except FileFormatError as exc:
        raise PolicyError(one_line(exc)) from None
    return game_of(meta, file, None)


@dataclass(frozen=True)
class PolicyParts:
    """What a policy file holds once checked: its game, tree, abstraction and probability table."""

    game: GameDef
    tree: BettingTree
    abstraction: CardAbstraction
    probabilities: np.ndarray
    num_actions: np.ndarray
    meta: dict[str, Any]
    source: Path
    bits: int | None


def load_policy_parts(path: str | Path, *, game: GameDef | None = None, buckets: str | Path | None = None
                      ) -> PolicyParts:
    """Read a run directory, blueprint file or compact policy file; ``PolicyError`` if unusable.

    ``game``, when given, must be the game the policy was trained for. ``buckets`` overrides where the
    bucket file is looked for (it must still have the hash the policy records).
    """
    file = policy_file_of(path)
    kind = _peek_kind(file)
    try:
        if kind == COMPACT_KIND:
            arrays, meta = load_arrays(file, kind=COMPACT_KIND, versions=(COMPACT_VERSION,))
        else:
            arrays, meta = load_arrays(file, kind=AVERAGE_KIND, versions=(AVERAGE_VERSION,))
    except FileFormatError as exc:
        raise PolicyError(one_line(exc)) from None
    trained_game = game_of(meta, file, game)
    if kind == COMPACT_KIND:
        tree = _embedded_tree(arrays, meta, trained_game, file)
        bits: int | None = int(meta.get("bits", 0))
        levels = float((1 << bits) - 1)
        probabilities = arrays["q"].astype(np.float32) / np.float32(levels)
    else:
        tree = _tree_for(file, meta, trained_game)
        bits = None
        probabilities = arrays["policy"]
    abstraction = _abstraction_for(meta, trained_game, file, buckets)
    num_actions = arrays["num_actions"]
    want = (tree.num_rows, tree.max_actions)
    if probabilities.shape != want or num_actions.shape != (tree.num_rows,):
        raise PolicyError(f"{file}: policy table has shape {probabilities.shape}, its tree needs {want}")
    return PolicyParts(trained_game, tree, abstraction, probabilities, num_actions, meta, file, bits)


def game_of(meta: dict[str, Any], file: Path, game: GameDef | None) -> GameDef:
    """The game recorded in a policy's header, checked against ``game`` when one is asked for."""
    try:
        trained = parse_gamedef(meta["gamedef"], source=str(file), name=meta.get("game"))
    except (KeyError, GameDefError) as exc:
        raise PolicyError(f"{file}: the policy's game definition is unreadable ({one_line(exc)})") from None
    if game is not None and format_gamedef(game) != format_gamedef(trained):
        if game.name != trained.name:
            raise PolicyError(f"{file} is a policy for {trained.name}, not {game.name}")
        raise PolicyError(f"{file} was trained for another {game.name} definition "
                          f"(stacks, blinds or deck differ from the game asked for)")
    return trained


def _tree_for(file: Path, meta: dict[str, Any], game: GameDef) -> BettingTree:
    """The run's ``tree.npz`` next to the file (or one level up for snapshots), else rebuilt."""
    want = meta.get("tree_hash")
    for candidate in (file.parent / "tree.npz", file.parent.parent / "tree.npz"):
        if candidate.is_file():
            try:
                tree = BettingTree.load(candidate)
            except TreeFileError as exc:
                raise PolicyError(one_line(exc)) from None
            if tree.content_hash() != want:
                raise PolicyError(f"tree file {candidate} does not match the policy {file} "
                                  f"(tree hash {tree.content_hash()[:12]} != {str(want)[:12]})")
            return tree
    try:
        menu = None if meta.get("menu") is None else ActionMenu.from_dict(meta["menu"])
        tree = build_tree(game, menu, [int(x) for x in meta["num_buckets"]])
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"{file}: cannot rebuild the policy's betting tree ({one_line(exc)})") from None
    if tree.content_hash() != want:
        raise PolicyError(f"{file}: no tree.npz beside it and this build's tree for its game and menu "
                          f"differs (tree hash {tree.content_hash()[:12]} != {str(want)[:12]})")
    return tree


def _embedded_tree(arrays: dict[str, np.ndarray], meta: dict[str, Any], game: GameDef, file: Path) -> BettingTree:
    try:
        menu = None if meta.get("menu") is None else ActionMenu.from_dict(meta["menu"])
        tree = BettingTree(game=game, menu=menu, num_buckets=tuple(int(x) for x in meta["num_buckets"]),
                           **{name[5:]: a for name, a in arrays.items() if name.startswith("tree_")})
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"{file}: the embedded betting tree is incomplete ({one_line(exc)})") from None
    if tree.content_hash() != meta.get("tree_hash"):
        raise PolicyError(f"{file}: the embedded betting tree does not match its tree hash")
    return tree


def _abstraction_for(meta: dict[str, Any], game: GameDef, file: Path, override: str | Path | None
                     ) -> CardAbstraction:
    """The card abstraction the policy was trained on, found by path and checked by hash."""
    want = meta.get("abstraction_hash")
    spec = meta.get("abstraction") or {}
    if override is None and spec.get("name") == "lossless":
        try:
            abstraction = lossless_for(game)
        except BucketError as exc:
            raise PolicyError(one_line(exc)) from None
        if abstraction.content_hash() != want:
            raise PolicyError(f"{file}: this build's lossless {game.name} buckets differ from the policy's")
        return abstraction
    candidates: list[Path] = []
    if override is not None:
        candidates.append(Path(override))
    else:
        if meta.get("buckets_path"):
            candidates.append(Path(meta["buckets_path"]))
        if spec.get("name"):
            candidates += [p for p in trained_file_candidates(game, str(spec["name"])) if p not in candidates]
    existing = [c for c in candidates if c.is_file()]
    found = file_with_hash(existing, want) or (existing[0] if existing else None)
    if found is None:
        where = candidates[0] if candidates else "(none recorded)"
        raise PolicyError(f"{file}: its bucket file {where} does not exist (pass the file with --buckets)")
    try:
        abstraction = CardAbstraction.load(found, game)
    except BucketError as exc:
        raise PolicyError(one_line(exc)) from None
    if abstraction.content_hash() != want:
        raise PolicyError(f"bucket file {found} is not the one {file} was trained on "
                          f"(hash {abstraction.content_hash()[:12]} != {str(want)[:12]})")
    return abstraction


def quantise(probabilities: np.ndarray, num_actions: np.ndarray, bits: int) -> np.ndarray:
    """Rows of probabilities as integers summing to ``2**bits - 1`` (largest remainders), error < 1 / that."""
    if bits not in (8, 16):
        raise PolicyError(f"bits must be 8 or 16, got {bits}")
    levels = (1 << bits) - 1
    rows, width = probabilities.shape
    valid = np.arange(width)[None, :] < np.asarray(num_actions)[:, None]
    p = np.where(valid, np.clip(probabilities.astype(np.float64), 0.0, None), 0.0)
    sums = p.sum(axis=1, keepdims=True)
    uniform = valid / np.maximum(valid.sum(axis=1, keepdims=True), 1)
    p = np.where(sums > 0, p / np.where(sums > 0, sums, 1.0), uniform)
    scaled = p * levels
    base = np.floor(scaled)
    remainder = np.where(valid, scaled - base, -1.0)
    deficit = levels - base.sum(axis=1).astype(np.int64)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(width)[None, :].repeat(rows, axis=0), axis=1)
    q = base + (rank < deficit[:, None])
    return q.astype(np.uint8 if bits == 8 else np.uint16)


def save_compact(parts: PolicyParts, path: str | Path, bits: int = 8) -> str:
    """Write a policy quantised to ``bits`` (8 or 16) per entry, with its tree embedded.

    The bucket file is referenced by path and hash (it can be 100+ MB). Returns the file checksum.
    """
    if bits not in (8, 16):
        raise PolicyError(f"bits must be 8 or 16, got {bits}")
    q = np.empty(parts.probabilities.shape, dtype=np.uint8 if bits == 8 else np.uint16)
    for start in range(0, q.shape[0], QUANTISE_CHUNK_ROWS):
        stop = start + QUANTISE_CHUNK_ROWS
        q[start:stop] = quantise(parts.probabilities[start:stop], parts.num_actions[start:stop], bits)
    tree, abstraction = parts.tree, parts.abstraction
    arrays = {"q": q, "num_actions": np.asarray(parts.num_actions, dtype=np.int16)}
    arrays.update({f"tree_{name}": array for name, array in tree.arrays().items()})
    buckets_path = None
    if abstraction.spec.get("name") != "lossless":
        recorded = parts.meta.get("buckets_path")
        buckets_path = str(Path(recorded).resolve()) if recorded else None
    meta = {
        **trained_on(tree, abstraction, buckets_path),
        "bits": bits,
        "strategy": "average",
        "iterations": parts.meta.get("iterations"),
        "source_checksum": parts.meta.get("checksum"),
    }
    try:
        return save_arrays(path, kind=COMPACT_KIND, version=COMPACT_VERSION, arrays=arrays, meta=meta)
    except OSError as exc:
        raise PolicyError(f"cannot write {path}: {exc.strerror or exc}") from None
