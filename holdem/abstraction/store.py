"""Where named bucket specs are kept as files, and building one the first time it is asked for."""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:
    fcntl = None  # type: ignore[assignment]

from holdem.abstraction.buckets import FORMAT_VERSION, BucketFileError, is_holdem_deal
from holdem.games import GameDef

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets" / "buckets"


def default_bucket_path(game: GameDef, spec: str) -> Path:
    """Where a bucket file built from a named spec is kept; every game that deals hold'em cards (heads-up
    and 6-max alike) shares one file per spec. The name carries the file format version, so a build that
    reads another version builds its own file instead of tripping over an old one."""
    return ASSETS_DIR / f"{_family(game)}-{spec}.v{FORMAT_VERSION}.npz"


def legacy_bucket_path(game: GameDef, spec: str) -> Path:
    """Where a named spec's file was kept before the format version went into the name (format 1)."""
    return ASSETS_DIR / f"{_family(game)}-{spec}.npz"


def spec_paths(game: GameDef, spec: str) -> list[Path]:
    """Where a named spec's file may be: its own name, then the name before the format version (format 1)."""
    return [default_bucket_path(game, spec), legacy_bucket_path(game, spec)]


def trained_file_candidates(game: GameDef, spec: str) -> list[Path]:
    """Where to look, by content hash, for the file a run or policy of ``spec`` was trained on: the spec's own
    paths, then every other bucket file kept for the game's family (the spec may have been renamed since)."""
    own = spec_paths(game, spec)
    return own + [p for p in sorted(ASSETS_DIR.glob(f"{_family(game)}-*.npz")) if p not in own]


def _family(game: GameDef) -> str:
    """The file-name prefix of a game's bucket files: every game that deals hold'em cards shares one."""
    return "holdem" if is_holdem_deal(game) else game.name


def file_with_hash(paths: list[Path], want: str | None) -> Path | None:
    """The first of ``paths`` that records content hash ``want`` (read alone; loading verifies it)."""
    return next((p for p in paths if want is not None and _recorded(p, "content_hash") == want), None)


def _recorded(path: Path, name: str) -> str | None:
    """One field a bucket file records, read alone and not verified; None if there is no such readable file."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return str(npz[name])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None


def spec_path(game: GameDef, spec: str) -> Path:
    """Where a named spec's buckets are read from: its own file, or a version-1 file built from the same spec before
    the format changed (its buckets are the same; it is read converted), else where its file is to be built. A file
    of the spec's name built from another version of the spec is refused (its buckets are not the spec's), unless
    a shipped spec now holds that version under another name: then the file moves to that name."""
    from holdem.abstraction.specs import load_spec

    wanted = load_spec(spec).to_dict()
    path, legacy = spec_paths(game, spec)
    if path.is_file():
        recorded = recorded_spec(path)
        if recorded is not None and not _same_recipe(recorded, wanted):
            if _move_to_renamed_spec(game, path, recorded):
                return path
            raise BucketFileError(f"{path} was built from another {spec!r} spec than configs/buckets/{spec}.yaml "
                                  f"holds now: delete it to build the spec again, or pass it with --buckets FILE")
        return path
    return legacy if legacy.is_file() and _same_recipe(recorded_spec(legacy), wanted) else path


def _same_recipe(recorded: dict | None, wanted: dict) -> bool:
    """Whether a file was built from the wanted spec, under whatever name the spec had then (a file moved from
    ``quick`` to ``quick-legacy`` records the name ``quick``)."""
    return recorded is not None and {**recorded, "name": wanted.get("name")} == wanted


def _move_to_renamed_spec(game: GameDef, path: Path, recorded: dict) -> bool:
    """A file built from a shipped spec that now goes by another name (``quick`` before it became
    ``quick-legacy``) moves to that name, if free, so the spec's own name can be built; whether it moved."""
    from holdem.abstraction.specs import builtin_specs, load_spec

    same = [name for name in builtin_specs() if _same_recipe(recorded, load_spec(name).to_dict())]
    if len(same) != 1:
        return False
    target = default_bucket_path(game, same[0])
    if not target.exists():
        try:
            path.rename(target)
            print(f"{path.name} was built from the spec now called {same[0]!r}: moved to {target.name}",
                  file=sys.stderr)
        except FileNotFoundError:
            pass
    return not path.exists()


def recorded_spec(path: Path) -> dict | None:
    """The spec a bucket file records (read alone, not verified), or None if it cannot be read."""
    try:
        spec = json.loads(_recorded(path, "header") or "{}").get("spec")
    except (ValueError, AttributeError):
        return None
    return spec if isinstance(spec, dict) else None


def build_bucket_file(spec_name: str, game: GameDef, path: Path) -> None:
    """Build a named bucket spec into ``path`` with a progress bar (missing files are built, not refused).

    Under a lock beside the file: a second process asking for the same file waits for the first one's build
    and reads it, instead of building it again into the same temporary file. Finished stages are kept next to
    it (``path.partial``) until the file is written, so a build that was killed resumes where it stopped.
    """
    from holdem.abstraction.builder import build_abstraction
    from holdem.abstraction.buildstate import work_dir_for
    from holdem.abstraction.specs import load_spec

    spec = load_spec(spec_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "ab") as lock:
        if fcntl is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f"waiting for another process building {path}", file=sys.stderr)
                fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return
        print(f"building {spec_name} buckets for {game.name} into {path}", file=sys.stderr)
        work = work_dir_for(path)
        build_abstraction(spec, game, work_dir=work).save(path)
        shutil.rmtree(work, ignore_errors=True)
