"""``python -m holdem.cli.build_buckets --spec quick --out FILE [--game hunl] [--seed N]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from holdem.cli.buckets import add_build_arguments, run_build


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m holdem.cli.build_buckets",
                                     description="Build hold'em card buckets from a named spec.")
    add_build_arguments(parser)
    return run_build(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
