"""``holdem play``: play a blueprint yourself in the terminal, or feed it a script on stdin."""

from __future__ import annotations

import argparse
import sys

from holdem.play.terminal import HELP, TerminalGame
from holdem.policy import Policy, PolicyError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``play`` and return its parser."""
    parser = subparsers.add_parser(
        "play", help="play against a blueprint in the terminal (reads actions from stdin)",
        description="Play hands against POLICY: it fills every other seat and you change seats each hand. "
                    "Each decision shows your cards, the board, the pot, the stacks and the legal actions with "
                    "their sizes; the bot's moves and a running result in mbb/hand follow. " + HELP + ". "
                    "Input may come from a file or a pipe; its end ends the session.")
    parser.add_argument("policy", metavar="POLICY", help="a run directory, blueprint file or compact policy")
    parser.add_argument("--hands", type=int, default=0, help="hands to play (0: until you quit)")
    parser.add_argument("--seat", type=int, default=0, help="your seat in the first hand (0-based)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the cards and of the bot's draws")
    parser.add_argument("--buckets", help="bucket file to use when the recorded path has moved")
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    """Play the session; bad input prints one line and returns 2."""
    try:
        policy = Policy.load(args.policy, buckets=args.buckets)
    except PolicyError as exc:
        print(f"holdem play: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.seat < policy.game.num_players:
        print(f"holdem play: --seat must be 0..{policy.game.num_players - 1}, got {args.seat}", file=sys.stderr)
        return 2
    print(f"playing {policy.describe()}\n{HELP}")
    TerminalGame(policy, stdin=sys.stdin, stdout=sys.stdout, hands=args.hands, seed=args.seed,
                 first_seat=args.seat).run()
    return 0
