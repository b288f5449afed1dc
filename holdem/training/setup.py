"""Building a run the way data flows: ``create(config, logdir)`` for a new run, ``resume(checkpoint, ...)``
to continue one. Each is a short list of named steps; any step that fails raises :class:`RunError`."""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np

from holdem.abstraction.actions import ActionMenu, load_menu
from holdem.abstraction.buckets import BucketError, CardAbstraction, lossless_for
from holdem.abstraction.store import (
    build_bucket_file,
    default_bucket_path,
    file_with_hash,
    spec_path,
    trained_file_candidates,
)
from holdem.abstraction.tree import BettingTree, build_tree
from holdem.games import GameDef, chip_unit, load_game
from holdem.mccfr.compact import initial_scale
from holdem.mccfr.tables import Tables
from holdem.training.checkpoint import checkpoint_meta, find_checkpoint
from holdem.training.config import TrainConfig
from holdem.training.errors import RunError
from holdem.training.paths import RunPaths, prepare_logdir
from holdem.training.shared_tables import SharedTables, remove_stale_tables
from holdem.training.state import BlueprintRun, exact_evaluator


def create(config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
           shared: bool = False, overwrite: bool = False) -> BlueprintRun:
    """A new run: logdir, game, action menu, card abstraction, betting tree, master tables, evaluator.

    A directory that holds another run is refused unless ``overwrite``, which deletes that run's files.
    """
    claim_logdir(Path(logdir), overwrite)
    return _build(config, Path(logdir), buckets_path, shared)


def _build(config: TrainConfig, logdir: Path, buckets_path: str | None, shared: bool) -> BlueprintRun:
    """The named steps; the run's identity (tree and bucket hashes, 60+ ms for large buckets) is taken here,
    before any event loop runs, so no checkpoint ever hashes on the loop."""
    paths = prepare_logdir(logdir)
    game = load_game(config.game)
    menu = action_menu(config, game)
    abstraction, bucket_file = card_abstraction(config, game, buckets_path)
    tree = betting_tree(game, menu, abstraction, paths)
    tables, shared_tables = master_tables(tree, shared, config.regret_dtype, float(chip_unit(game)[0]))
    run = BlueprintRun(config, tree, abstraction, tables, paths=paths, buckets_path=bucket_file,
                       evaluator=exact_evaluator(tree, abstraction), shared=shared_tables)
    run.identity()
    return run


def resume(checkpoint: str | Path, config: TrainConfig, logdir: str | Path, *, buckets_path: str | None = None,
           shared: bool = False) -> BlueprintRun:
    """A run continued from a checkpoint (file or run directory): built as new, then its tables and counters
    restored; a checkpoint of another game, tree or abstraction is refused."""
    path = find_checkpoint(Path(checkpoint))
    target = Path(logdir)
    if target.resolve() not in (path.parent.resolve(), path.parent.parent.resolve()):
        claim_logdir(target, overwrite=False)
    run = _build(config, target, buckets_path or _trained_bucket_file(path, config), shared)
    try:
        run.restore(path)
    except BaseException:
        run.close()
        raise
    return run


def _trained_bucket_file(checkpoint: Path, config: TrainConfig) -> str | None:
    """The spec's bucket file the checkpoint was trained on (its hash matches), in either format and under any
    kept name: a run started before the format changed, or before its spec was edited or renamed, resumes on the
    buckets it was trained with."""
    spec = config.buckets
    if not spec or spec == "lossless" or spec.endswith(".npz"):
        return None
    want = checkpoint_meta(checkpoint).get("abstraction_hash")
    found = file_with_hash(trained_file_candidates(load_game(config.game), spec), want)
    return None if found is None else str(found)


def claim_logdir(logdir: Path, overwrite: bool) -> None:
    """Refuse a directory that already holds a run (or, with ``overwrite``, delete that run's files)."""
    found = run_files(logdir)
    if not found:
        return
    if not overwrite:
        raise RunError(f"{logdir} already holds a run ({found[0].name}): continue it with --resume-from {logdir}, "
                       f"or start over with --overwrite")
    for path in found:
        if path.is_dir():
            for child in path.glob("*.npz"):
                child.unlink(missing_ok=True)
        else:
            path.unlink(missing_ok=True)


def run_files(logdir: Path) -> list[Path]:
    """The files of a run in ``logdir`` (events, blueprint, checkpoints, snapshots), if any."""
    paths = RunPaths(logdir)
    found = [p for p in (paths.events, paths.blueprint) if p.is_file()]
    found += [d for d in (paths.checkpoints, paths.snapshots) if d.is_dir() and any(d.glob("*.npz"))]
    return found


def action_menu(config: TrainConfig, game: GameDef) -> ActionMenu | None:
    """The bet sizes of a no-limit game (``quick`` unless the config names another); None for limit games."""
    return None if game.is_limit else load_menu(config.actions or "quick")


PICKLE_SUFFIXES = (".pkl", ".pickle", ".pck")


def card_abstraction(config: TrainConfig, game: GameDef, buckets_path: str | None
                     ) -> tuple[CardAbstraction, Path | None]:
    """Lossless buckets for small games, else a bucket file (a named spec is built when its file is missing)."""
    source = buckets_path or config.buckets
    if source is None or source == "lossless":
        return lossless_for(game), None
    path = Path(source)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise RunError(f"bucket file {source} is a pickle: pickle files are refused because loading one can run "
                       f"any code; pass a bucket spec name instead, such as --buckets mid (built once into "
                       f"{default_bucket_path(game, 'mid')}), or a .npz file from holdem buckets build")
    if path.suffix != ".npz":
        try:
            path = spec_path(game, source)
            if not path.is_file():
                build_bucket_file(source, game, path)
        except BucketError as exc:
            raise RunError(str(exc).splitlines()[0]) from None
    elif not path.is_file():
        raise RunError(f"bucket file {path} does not exist (build it with: holdem buckets build)")
    try:
        return CardAbstraction.load(path, game), path
    except ValueError as exc:
        raise RunError(str(exc).splitlines()[0]) from None


def betting_tree(game: GameDef, menu: ActionMenu | None, abstraction: CardAbstraction, paths: RunPaths
                 ) -> BettingTree:
    """The abstract betting tree, saved into the run directory for workers and policy readers."""
    tree = build_tree(game, menu, [int(x) for x in abstraction.num_buckets])
    tree.save(paths.tree)
    return tree


def master_tables(tree: BettingTree, shared: bool, regret_dtype: str = "float32", big_blind: float = 1.0
                  ) -> tuple[Tables, SharedTables | None]:
    """Zeroed regret and strategy-sum tables: in ``/dev/shm`` for workers to map, or in this process.

    Float32 shared tables are prefaulted (every page touched before training); compact ones are lazy: a page
    takes memory once a row in it is reached, as in-process tables (``np.zeros``) always are."""
    shape = (tree.num_rows, tree.max_actions)
    scale = initial_scale(regret_dtype, big_blind, tree.num_rows)
    if not shared:
        return Tables(np.zeros(shape, regret_dtype), np.zeros(shape, np.float32), scale), None
    remove_stale_tables()
    tables = SharedTables(secrets.token_hex(4))
    prefault = regret_dtype == "float32"
    shared_scale = tables.create("regret_scale", scale.shape, "int8", prefault=prefault)
    shared_scale[:] = scale
    return Tables(tables.create("regret", shape, regret_dtype, prefault=prefault),
                  tables.create("strategy_sum", shape, prefault=prefault), shared_scale), tables
