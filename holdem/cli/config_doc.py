"""``holdem config-doc``: write (or check) docs/configuration.md from the config classes and the train flags."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from holdem.cli.train_blueprint import _FLAG_KEYS, add_arguments
from holdem.training.config_doc import config_reference, missing_docs

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def train_flags() -> dict[str, list[str]]:
    """Config key -> the ``holdem train`` flags that set it."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    keys = {**_FLAG_KEYS, "buckets": "buckets"}
    out: dict[str, list[str]] = {}
    for action in parser._actions:
        key = keys.get(action.dest)
        if key is not None:
            out.setdefault(key, []).extend(action.option_strings)
    return out


def reference() -> str:
    """The page as it should read now."""
    return config_reference(train_flags())


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``config-doc`` and return its parser."""
    parser = subparsers.add_parser("config-doc", help="write docs/configuration.md (every config key) or check it",
                                   description=__doc__)
    parser.add_argument("--out", type=Path, default=DOC_PATH, help="where to write the page")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the page is stale")
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    missing = missing_docs()
    if missing:
        print("holdem config-doc: " + "\n".join(missing), file=sys.stderr)
        return 1
    text = reference()
    if args.check:
        current = args.out.read_text() if args.out.is_file() else ""
        if current != text:
            print(f"holdem config-doc: {args.out} is stale: run holdem config-doc", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0
