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

from holdem.fileformat import FileFormatError
from holdem.games import GameDefError
from holdem.training.config import ConfigError, TrainConfig, build_config, load_config_file
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
    "seed": "seed",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="quickstart", help="YAML file, or a name in configs/")
    parser.add_argument("--logdir", required=True, help="run directory (events, checkpoints, blueprint)")
    parser.add_argument("--buckets", help="bucket file (.npz) or bucket spec name; built when missing")
    parser.add_argument("--iters", type=int, help="the run's total iterations (a resume trains up to it)")
    parser.add_argument("--time-budget", type=float,
                        help="training seconds of this invocation (a resume trains this much more)")
    parser.add_argument("--checkpoint-interval", type=int, help="checkpoint every N iterations")
    parser.add_argument("--checkpoint-seconds", type=float, help="checkpoint every S seconds")
    parser.add_argument("--snapshot-interval", type=float, help="average-policy snapshot every S seconds")
    parser.add_argument("--discount-interval", type=int, help="discount every N iterations")
    parser.add_argument("--num-players", type=int, help="accepted for compatibility; the game fixes it")
    parser.add_argument("--epsilon", type=float, help="outcome-sampling exploration epsilon")
    parser.add_argument("--num-workers", type=int, help="0 = every core, 1 = in-process sequential")
    parser.add_argument("--batch-size", help="iterations per task, or 'auto' (about 0.1 s per batch)")
    parser.add_argument("--game", help="game name or .game file (overrides the config)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--resume-from", help="checkpoint file or run directory to continue (a directory: its "
                                              "newest checkpoint)")
    parser.add_argument("--overwrite", action="store_true",
                        help="start over in a logdir that holds a run (its files are deleted)")
    parser.add_argument("--tensorboard", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--quiet", action="store_true", help="no live progress line")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The validated config of a command line: the YAML file named by ``--config`` with the flags applied."""
    raw = load_config_file(args.config)
    raw.update(_overrides(args))
    return build_config(raw)


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
    parser = argparse.ArgumentParser(prog="python -m holdem.cli.train_blueprint", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
