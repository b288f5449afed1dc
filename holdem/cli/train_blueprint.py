"""``python -m holdem.cli.train_blueprint``: train a blueprint with the seed project's flags.

Flags override the YAML file; bad input gets one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from holdem.cli.help import Parser
from holdem.fileformat import FileFormatError
from holdem.games import GameDefError
from holdem.training.config import ConfigError, TrainConfig, build_config, load_config_file
from holdem.training.config_doc import flag_help
from holdem.training.tensorboard import TensorBoardLog

SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}
"""Exit statuses after a stop by signal, as shells and supervisors expect (128 + the signal number)."""

_FLAG_KEYS = {
    "iters": "iterations",
    "time_budget": "time_budget_seconds",
    "checkpoint_interval": "checkpoint_interval_iterations",
    "checkpoint_seconds": "checkpoint_interval_seconds",
    "snapshot_interval": "snapshot_interval_seconds",
    "discount_interval": "discount_interval",
    "epsilon": "exploration_epsilon",
    "num_workers": "num_workers",
    "batch_size": "batch_size",
    "tensorboard": "tensorboard",
    "num_players": "num_players",
    "game": "game",
    "actions": "actions",
    "seed": "seed",
    "backend": "backend",
    "ray_address": "ray_address",
}
"""Flag destination -> config key: each flag overrides that key of the YAML file."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="quickstart", help="YAML file, or a name in configs/ (quickstart, "
                                                               "leduc, kuhn, 6max, ...)")
    parser.add_argument("--logdir", required=True, help="run directory (events, checkpoints, blueprint)")
    parser.add_argument("--game", help=flag_help("game") + "; a game that is not hold'em gets lossless buckets "
                                                           "unless --buckets says otherwise")
    parser.add_argument("--actions", metavar="MENU", help=flag_help("actions"))
    parser.add_argument("--buckets", help="bucket spec name (tiny, quick, mid) or .npz bucket file; a spec's "
                                          "file is built when missing; config key buckets")
    parser.add_argument("--iters", "--iterations", dest="iters", type=int, metavar="N", help=flag_help("iterations"))
    parser.add_argument("--time-budget", type=float, metavar="S", help=flag_help("time_budget_seconds"))
    parser.add_argument("--checkpoint-interval", type=int, metavar="N",
                        help=flag_help("checkpoint_interval_iterations"))
    parser.add_argument("--checkpoint-seconds", type=float, metavar="S", help=flag_help("checkpoint_interval_seconds"))
    parser.add_argument("--snapshot-interval", type=float, metavar="S", help=flag_help("snapshot_interval_seconds"))
    parser.add_argument("--discount-interval", type=int, metavar="N", help=flag_help("discount_interval"))
    parser.add_argument("--num-players", type=int, help="accepted for the seed's command lines; the game fixes it")
    parser.add_argument("--epsilon", type=float, help=flag_help("exploration_epsilon"))
    parser.add_argument("--num-workers", type=int, metavar="N", help=flag_help("num_workers"))
    parser.add_argument("--batch-size", metavar="N|auto", help=flag_help("batch_size"))
    parser.add_argument("--seed", type=int, help=flag_help("seed"))
    parser.add_argument("--backend", choices=("local", "ray"), help=flag_help("backend"))
    parser.add_argument("--ray-address", metavar="ADDR", help=flag_help("ray_address"))
    parser.add_argument("--resume-from", metavar="PATH", help="checkpoint file, or run directory (its newest "
                                                             "checkpoint), to continue; it must match the game, "
                                                             "action menu and buckets")
    parser.add_argument("--overwrite", action="store_true",
                        help="start over in a logdir that already holds a run (its files are deleted)")
    parser.add_argument("--tensorboard", action=argparse.BooleanOptionalAction, default=None,
                        help=flag_help("tensorboard") + "; scalars go to LOGDIR/tensorboard")
    parser.add_argument("--quiet", action="store_true", help="no live progress line")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The validated config of a command line: the YAML file named by ``--config`` with the flags applied."""
    raw = load_config_file(args.config)
    overrides = _overrides(args)
    if "game" in overrides and args.buckets is None and "buckets" in raw and not _deals_holdem(overrides["game"]):
        del raw["buckets"]
    raw.update(overrides)
    return build_config(raw)


def _deals_holdem(game: str) -> bool:
    """Whether a game deals hold'em cards (so a hold'em bucket spec applies); unknown games say yes."""
    from holdem.abstraction.buckets import is_holdem_deal
    from holdem.games import load_game

    try:
        return is_holdem_deal(load_game(game))
    except GameDefError:
        return True


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for flag, key in _FLAG_KEYS.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        if flag == "batch_size" and value != "auto":
            try:
                value = int(value)
            except ValueError:
                raise ConfigError(f"--batch-size must be a whole number or 'auto', got {value!r}") from None
        out[key] = value
    return out


class ProgressLine:
    """One refreshed stderr line: iterations, speed, per-worker CPU, restarts, time left."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, fields: dict[str, Any]) -> None:
        for notice in fields.get("notices") or ():
            self.stream.write(("\r\033[K" if self.tty else "") + f"note: {notice}\n")
        workers = fields.get("workers") or {}
        cpu = " ".join(f"{w.get('cpu_percent', 0):.0f}%" for w in (workers.values() if isinstance(workers, dict)
                                                                  else workers))
        parts = [f"it {fields['iterations']:,}", f"{fields['it_per_s']:,.0f} it/s"]
        if cpu:
            parts.append(f"cpu {cpu}")
        if fields.get("restarts"):
            parts.append(f"restarts {fields['restarts']}")
        if fields.get("exploitability") is not None:
            parts.append(f"expl {fields['exploitability']:.4f}")
        if fields.get("time_left_s") is not None:
            parts.append(f"{fields['time_left_s']:.0f}s left")
        line = " | ".join(parts)
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _say_where_it_starts(run: Any) -> None:
    if run.iterations_applied:
        gaps = f", {len(run.gaps)} gap(s) first" if run.gaps else ""
        print(f"continuing {run.paths.logdir} from {run.iterations_applied:,} iterations{gaps}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from holdem.training import RunError, train

    try:
        config = config_from_args(args)
        listeners: list[Any] = [] if args.quiet else [ProgressLine()]
        if config.tensorboard:
            if TensorBoardLog.available():
                listeners.append(TensorBoardLog(Path(args.logdir)))
            else:
                print("tensorboard is not installed (pip install -e '.[tensorboard]'): scalars go to "
                      "events.jsonl only", file=sys.stderr)
        started = time.monotonic()
        try:
            outcome = train(config, args.logdir, buckets_path=args.buckets, resume_from=args.resume_from,
                            on_progress=lambda fields: [listen(fields) for listen in listeners],
                            overwrite=args.overwrite, on_start=_say_where_it_starts)
        finally:
            for listener in listeners:
                listener.close()
    except (ConfigError, RunError, GameDefError, FileFormatError, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(f"{outcome.reason}: {outcome.iterations:,} iterations in {outcome.seconds:.1f} s "
          f"({time.monotonic() - started:.1f} s wall)", file=sys.stderr)
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        if outcome.checkpoint is not None:
            print(f"last complete checkpoint: {outcome.checkpoint}", file=sys.stderr)
        return 1
    if outcome.reason.endswith("(forced)"):
        where = f"; last checkpoint: {outcome.checkpoint}" if outcome.checkpoint is not None else ""
        print(f"stopped at once by a second signal, no final checkpoint{where}", file=sys.stderr)
        return SIGNAL_EXIT.get(outcome.signal or "", 1)
    print(f"blueprint: {outcome.blueprint}", file=sys.stderr)
    print(f"query it:  holdem policy query {args.logdir} --seat 0 --hole CARDS    "
          f"(evaluate: holdem eval {args.logdir} --against random --hands 20000)", file=sys.stderr)
    if outcome.checkpoint is not None:
        print(f"last checkpoint: {outcome.checkpoint} (continue with --resume-from {args.logdir})", file=sys.stderr)
    return SIGNAL_EXIT.get(outcome.signal or "", 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="python -m holdem.cli.train_blueprint", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
