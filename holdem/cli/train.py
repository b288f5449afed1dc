"""``holdem train``: the same run as ``python -m holdem.cli.train_blueprint``, as a subcommand.

``--num-workers 1`` trains in this process (bitwise reproducible); more workers go through the
supervisor. A config's bucket file is built (with a progress bar) when it is missing.
"""

from __future__ import annotations

import argparse

from holdem.cli.train_blueprint import add_arguments, run


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("train", help="train a blueprint with MCCFR", description=__doc__)
    add_arguments(parser)
    return parser


def main(args: argparse.Namespace) -> int:
    return run(args)
