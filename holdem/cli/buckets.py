"""``holdem buckets build|info``: build card buckets from a named spec, or validate and describe a file."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from holdem.games import GameDefError

STREET_LABELS = ("preflop", "flop", "turn", "river")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", default="quick",
                        help="spec in configs/buckets (tiny, quick, mid, quick-legacy, mid-legacy, quick-pa, large, "
                        "...) or a .yaml path (default: quick)")
    parser.add_argument("--out", required=True, type=Path, help="output .npz file")
    parser.add_argument("--game", default=None, help="game name or .game file (default: the spec's game)")
    parser.add_argument("--seed", type=int, default=None, help="override the spec's seed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--restart", action="store_true",
                        help="discard the finished stages an interrupted build left in OUT.partial")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("buckets", help="build or inspect card-abstraction bucket files")
    sub = parser.add_subparsers(dest="buckets_command", metavar="ACTION")
    build = sub.add_parser("build", help="build buckets from a spec and write an .npz file")
    add_build_arguments(build)
    build.set_defaults(func=run_build)
    info = sub.add_parser("info", help="validate a bucket file and print its spec, buckets and hash")
    info.add_argument("file", type=Path)
    info.add_argument("--game", default=None, help="also check the file was built for this game")
    info.set_defaults(func=run_info)
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    func = getattr(args, "func", None)
    if func is None or func is main:
        return _fail("choose an action: holdem buckets build ... | holdem buckets info FILE")
    return int(func(args) or 0)


def run_build(args: argparse.Namespace) -> int:
    from holdem.abstraction.buckets import BucketError, CardAbstraction
    from holdem.abstraction.builder import build_abstraction
    from holdem.abstraction.buildstate import work_dir_for
    from holdem.abstraction.specs import load_spec
    from holdem.games import load_game

    try:
        spec = load_spec(args.spec)
        game = load_game(args.game if args.game else spec.game)
        if args.out.is_dir() or not args.out.parent.exists():
            return _fail(f"cannot write {str(args.out)!r}: not a file in an existing directory")
        work = work_dir_for(args.out)
        if args.restart:
            shutil.rmtree(work, ignore_errors=True)
        abst: CardAbstraction = build_abstraction(spec, game, seed=args.seed, progress=not args.quiet,
                                                  work_dir=work)
        digest = abst.save(args.out)
        shutil.rmtree(work, ignore_errors=True)
    except (BucketError, GameDefError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {str(args.out)!r}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print(f"interrupted: run the same command again to resume from {work_dir_for(args.out)}", file=sys.stderr)
        return 130
    buckets = " ".join(str(int(n)) for n in abst.num_buckets)
    secs = abst.info.get("seconds", {}).get("total", 0.0)
    print(f"wrote {args.out} (buckets per street {buckets}; sha256 {digest[:16]}; {secs:.1f}s)")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from holdem.abstraction.buckets import MODE_NAMES, BucketError, CardAbstraction
    from holdem.games import load_game

    try:
        game = load_game(args.game) if args.game else None
        abst = CardAbstraction.load(args.file, game)
    except (BucketError, GameDefError) as exc:
        return _fail(str(exc))
    spec = abst.spec
    print(f"file:    {args.file}")
    print(f"game:    {abst.game.name} ({abst.game.num_ranks}x{abst.game.num_suits} deck, "
          f"{abst.game.num_hole_cards} hole cards, board {'/'.join(map(str, abst.game.num_board_cards))})")
    print(f"spec:    {spec.get('name')}  " + "  ".join(
        f"{k}={v}" for k, v in sorted(spec.items()) if k not in ("name",)))
    quality = abst.info.get("quality", {})
    for st, s in enumerate(abst.streets):
        label = STREET_LABELS[st] if abst.game.num_rounds == 4 else f"round {st}"
        q = quality.get(label)
        extra = f"  within/total {q:.3g}" if q is not None else ""
        size = f", {s.rows.nbytes / 1e6:.1f} MB" if s.rows is not None else ""
        print(f"  {label:<8} {s.num_buckets:>7} buckets  ({MODE_NAMES.get(s.mode, s.mode)}{size}){extra}")
    secs = abst.info.get("seconds", {}).get("total")
    if secs is not None:
        print(f"built in {secs:.1f}s on {abst.info.get('threads')} threads")
    print(f"sha256:  {abst.content_hash()}")
    return 0
