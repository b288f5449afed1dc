"""``holdem train``: run MCCFR from a YAML config; ``--num-workers 1`` trains in this process."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Any

import yaml

from holdem.mccfr.config import ConfigError, MCCFRConfig

CONFIGS_DIR = Path(__file__).resolve().parents[2] / "configs"
RUN_KEYS = {
    "game": str,
    "actions": str,
    "buckets": str,
    "time_budget_seconds": float,
    "iterations": int,
    "num_workers": int,
    "batch_size": int,
    "exploitability_interval_seconds": float,
    "progress_interval_seconds": float,
}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("train", help="train a strategy with MCCFR",
                                   description="Train a strategy with Monte Carlo CFR from a YAML config.")
    parser.add_argument("--config", required=True, metavar="FILE", help="YAML config (or a name in configs/)")
    parser.add_argument("--logdir", required=True, type=Path, metavar="DIR",
                        help="where events.jsonl and policy.npz are written")
    parser.add_argument("--time-budget", type=float, metavar="S",
                        help="wall-clock seconds (overrides the file)")
    parser.add_argument("--iters", type=int, metavar="N", help="iteration budget (overrides the file)")
    parser.add_argument("--num-workers", type=int, metavar="N", help="1 = sequential in this process")
    parser.add_argument("--seed", type=int, metavar="S", help="run seed (overrides the file)")
    parser.add_argument("--batch-size", type=int, metavar="N", help="iterations per kernel call")
    parser.set_defaults(func=main)
    return parser


def load_config(path_or_name: str) -> dict[str, Any]:
    """The YAML mapping of a config file given by path or by name in ``configs/``."""
    path = Path(path_or_name)
    if not path.is_file():
        path = CONFIGS_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        raise ConfigError(f"config file {path_or_name} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        raise ConfigError(f"{path} is not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of keys to values")
    return data


def split_config(raw: dict[str, Any]) -> tuple[dict[str, Any], MCCFRConfig]:
    """Run settings and a validated MCCFRConfig from one flat mapping; one line on the first error."""
    run: dict[str, Any] = {}
    algo: dict[str, Any] = {}
    valid = sorted(set(RUN_KEYS) | set(MCCFRConfig.keys()))
    for key, value in raw.items():
        if key in RUN_KEYS:
            kind = RUN_KEYS[key]
            if value is None:
                run[key] = None
            elif kind is str:
                if not isinstance(value, str):
                    raise ConfigError(f"{key} must be a name, got {value!r}")
                run[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ConfigError(f"{key} must be a non-negative number, got {value!r}")
                run[key] = kind(value)
        elif key in MCCFRConfig.keys():
            algo[key] = value
        else:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown config key {key!r}{hint}")
    return run, MCCFRConfig.from_dict(algo)


def main(args: argparse.Namespace) -> int:
    from holdem.abstraction.buckets import BucketError
    from holdem.abstraction.tree import TreeError
    from holdem.games import GameDefError
    from holdem.mccfr.trainer import Trainer

    try:
        raw = load_config(args.config)
        overrides = (("time_budget_seconds", args.time_budget), ("iterations", args.iters),
                     ("num_workers", args.num_workers), ("seed", args.seed), ("batch_size", args.batch_size))
        for key, value in overrides:
            if value is not None:
                raw[key] = value
        run, config = split_config(raw)
        workers = run.get("num_workers", 1)
        if workers not in (None, 1):
            raise ConfigError(f"--num-workers {workers}: only 1 (sequential, in this process) is available")
        budget = run.get("time_budget_seconds")
        iterations = run.get("iterations")
        if budget is None and iterations is None:
            budget = 60.0
        if run.get("actions") or run.get("buckets"):
            raise ConfigError("actions/buckets (no-limit abstractions) train through the parallel runner")
        trainer = Trainer.for_game(
            run.get("game", "leduc"), config, logdir=args.logdir,
            batch_size=run.get("batch_size") or 20_000,
            exploitability_interval_seconds=run.get("exploitability_interval_seconds", 5.0),
            progress_interval_seconds=run.get("progress_interval_seconds", 1.0),
        )
    except (ConfigError, GameDefError, TreeError, BucketError) as exc:
        print(f"holdem train: {exc}", file=sys.stderr)
        return 2
    try:
        args.logdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"holdem train: cannot write {args.logdir}: {exc.strerror}", file=sys.stderr)
        return 2
    result = trainer.run(iterations=iterations, time_budget=budget)
    expl = "n/a" if result.exploitability is None else f"{result.exploitability:.6f}"
    print(f"{trainer.tree.game.name}: {result.iterations} iterations in {result.seconds:.1f} s "
          f"({result.iterations / max(result.seconds, 1e-9):,.0f} it/s), exploitability {expl}, "
          f"policy {result.policy_path}")
    return 130 if result.reason == "interrupted" else 0
