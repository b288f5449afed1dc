"""The ``holdem`` console command: one subcommand per module, mounted lazily."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from holdem.cli.help import Parser

SUBCOMMAND_MODULES = (
    "holdem.cli.train",
    "holdem.cli.buckets",
    "holdem.cli.tree_info",
    "holdem.cli.policy",
    "holdem.cli.evaluate",
    "holdem.cli.acpc",
    "holdem.cli.play",
    "holdem.cli.config_doc",
)


def build_parser() -> argparse.ArgumentParser:
    """Parser with every subcommand whose module is present.

    Each module has ``add_parser(subparsers)`` returning its parser and ``main(args) -> int``.
    """
    from holdem import __version__

    parser = Parser(prog="holdem", description="Train and use poker blueprints with MCCFR.")
    parser.add_argument("--version", action="version", version=f"holdem {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        sub = module.add_parser(subparsers)
        if sub is not None and sub.get_default("func") is None:
            sub.set_defaults(func=module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
