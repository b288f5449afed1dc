"""``holdem acpc``: play a blueprint against other programs through the ACPC dealer's protocol."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from holdem.games import GameDefError, read_gamedef
from holdem.play.acpc import ACPCClient, ACPCError, map_seats, play_match
from holdem.play.player import PolicyPlayer
from holdem.policy import Policy, PolicyError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``acpc`` and return its parser."""
    parser = subparsers.add_parser(
        "acpc", help="play a blueprint through the ACPC protocol (connect to a dealer)",
        description="Connect to an ACPC dealer (protocol 2.0.0) and play POLICY in the seat behind PORT until "
                    "the match ends. The dealer's game must be the policy's game, possibly with the seats in "
                    "another order (the dealer's holdem.nolimit.2p.reverse_blinds.game is hunl with the blinds "
                    "swapped): pass its game file with --game. Off-tree bets are translated as in 'policy query'.")
    parser.add_argument("policy", metavar="POLICY", help="a run directory, blueprint file or compact policy")
    parser.add_argument("--host", default="localhost", help="the dealer's host")
    parser.add_argument("--port", type=int, required=True, help="the port the dealer printed for this seat")
    parser.add_argument("--game", metavar="FILE",
                        help="the dealer's game definition (default: the policy's own game, seats as trained)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the policy's draws (per hand: seed, hand no.)")
    parser.add_argument("--buckets", help="bucket file to use when the recorded path has moved")
    parser.add_argument("--json", metavar="FILE", type=Path,
                        help="also write the closing summary (hands, chips, response times in ms) to FILE")
    parser.add_argument("--quiet", action="store_true", help="no closing summary on stderr")
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    """Play the match; bad input prints one line and returns 2, a broken connection returns 1."""
    try:
        policy = Policy.load(args.policy, buckets=args.buckets)
        dealer_game = read_gamedef(args.game) if args.game else policy.game
        seats = map_seats(dealer_game, policy.game)
        player = PolicyPlayer(policy, np.random.default_rng(args.seed))
        policy.action_probabilities(*_warm_up_query(policy))
        if args.json is not None and not args.json.parent.is_dir():
            raise ACPCError(f"--json: no such folder {args.json.parent}")
    except (PolicyError, GameDefError, ACPCError) as exc:
        print(f"holdem acpc: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    client = ACPCClient(player, seats, seed=args.seed,
                        warn=lambda text: print(f"holdem acpc: warning: {text}", file=sys.stderr))
    try:
        tally = play_match(client, args.host, args.port)
    except ACPCError as exc:
        print(f"holdem acpc: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"holdem acpc: connection to {args.host}:{args.port} failed: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"holdem acpc: {tally.summary(policy.unit_chips)}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(tally.to_json(policy.unit_chips), indent=2) + "\n")
    return 0


def _warm_up_query(policy: Policy) -> tuple[int, list[int]]:
    """A first query before connecting, so compiled bucket lookups are loaded before the clock runs."""
    game = policy.game
    first = game.first_player[0]
    return first, list(game.deck[: game.num_hole_cards])
