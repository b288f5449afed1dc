"""``holdem tree info``: nodes per round, table rows and projected memory of an abstraction."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from holdem.abstraction.actions import ActionMenu, load_menu
from holdem.abstraction.tree import BettingTree, TreeError, TreeFileError, build_tree
from holdem.games import GameDef, GameDefError, load_game

ROUND_NAMES = ("preflop", "flop", "turn", "river")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def resolve_buckets(game: GameDef, text: str | None) -> tuple[int, ...]:
    """Bucket counts per round from ``"169,50,50,50"``, a bucket spec name, ``lossless``, or a default."""
    if text is None:
        text = "lossless" if game.is_limit else "quick"
    if text[:1].isdigit():
        try:
            counts = tuple(int(x) for x in text.split(","))
        except ValueError:
            raise ValueError(f"--buckets {text!r}: expected integers separated by commas") from None
        if len(counts) != game.num_rounds:
            raise ValueError(f"--buckets {text!r}: {game.name} has {game.num_rounds} rounds")
        return counts
    from holdem.abstraction.buckets import lossless_for
    from holdem.abstraction.specs import load_spec

    if text == "lossless":
        return tuple(int(x) for x in lossless_for(game).num_buckets)
    spec = load_spec(text)
    if game.num_rounds != 4:
        raise ValueError(f"bucket spec {text!r} is for hold'em; give counts for {game.name}'s rounds")
    return (169, spec.flop.buckets, spec.turn.buckets, spec.river.buckets)


def human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def format_summary(tree: BettingTree, seconds: float | None = None) -> str:
    """Text report of a tree: nodes per round and kind, seats, rows and projected table memory."""
    s: dict[str, Any] = tree.summary()
    kinds = s["nodes_by_kind"]
    built = f", built in {seconds:.2f}s" if seconds is not None else ""
    lines = [
        f"tree {s['game']} / menu {s['menu'] or '(limit game)'}: {s['num_nodes']:,} nodes "
        f"({kinds['decision']:,} decision, {kinds['chance']:,} chance, {kinds['fold']:,} fold, "
        f"{kinds['showdown']:,} showdown){built}",
        f"{'round':<8} {'decision':>10} {'chance':>9} {'fold':>9} {'showdown':>9} {'buckets':>8} "
        f"{'rows':>13}",
    ]
    for r, counts in s["nodes_by_street"].items():
        nb = s["num_buckets"][r]
        name = ROUND_NAMES[r] if tree.game.num_rounds == 4 else f"round {r}"
        lines.append(f"{name:<8} {counts['decision']:>10,} {counts['chance']:>9,} {counts['fold']:>9,} "
                     f"{counts['showdown']:>9,} {nb:>8,} {counts['decision'] * nb:>13,}")
    lines.append("decisions per seat: " + " ".join(f"{x:,}" for x in s["decisions_by_player"]))
    tables, arrays = human_bytes(s["projected_table_bytes"]), human_bytes(s["tree_bytes"])
    lines.append(
        f"max actions {s['max_actions']}; table rows {s['num_rows']:,}; projected regret + strategy-sum "
        f"tables {tables} (float32); tree arrays {arrays}"
    )
    lines.append(f"content hash {tree.content_hash()}")
    return "\n".join(lines)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("tree", help="size a betting-tree abstraction before training")
    sub = parser.add_subparsers(dest="tree_command", metavar="ACTION")
    info = sub.add_parser("info", help="print node counts, table rows and projected memory")
    info.add_argument("--game", default="hunl", help="game name or .game file (default: hunl)")
    info.add_argument("--actions", "--menu", dest="menu", metavar="MENU", default=None,
                      help="action menu (tiny, quick, mid) or .yaml path, as the config key actions; default "
                           "quick, none in limit games (--menu is the older spelling)")
    info.add_argument("--buckets", default=None,
                      help="buckets per round: '169,50,50,50', a bucket spec name, or 'lossless'")
    info.add_argument("--file", type=Path, default=None, help="describe a saved tree file instead")
    info.add_argument("--save", type=Path, default=None, help="also write the tree to this .npz file")
    info.set_defaults(func=run_info)
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    func = getattr(args, "func", None)
    if func is None or func is main:
        return _fail("choose an action: holdem tree info [--game G] [--menu M] [--buckets B]")
    return int(func(args) or 0)


def run_info(args: argparse.Namespace) -> int:
    try:
        if args.file is not None:
            tree = BettingTree.load(args.file)
            print(format_summary(tree))
            return 0
        game = load_game(args.game)
        menu: ActionMenu | None = None
        if not game.is_limit:
            menu = load_menu(args.menu or "quick")
        elif args.menu is not None:
            return _fail(f"{game.name} is a limit game: its bets come from the game file, drop --menu")
        num_buckets = resolve_buckets(game, args.buckets)
        start = time.perf_counter()
        tree = build_tree(game, menu, num_buckets)
        seconds = time.perf_counter() - start
        print(format_summary(tree, seconds))
        if args.save is not None:
            tree.save(args.save)
            print(f"wrote {args.save}")
    except (TreeFileError, TreeError, GameDefError, ValueError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    return 0


if __name__ == "__main__":
    from holdem.cli.main import main as holdem_main

    sys.exit(holdem_main(["tree", *sys.argv[1:]]))
