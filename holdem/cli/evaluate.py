"""``holdem eval``: play one agent against another in the real game with duplicate dealing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from holdem.evaluation import AgentError, AgentSpecError, MatchResult, load_agent, run_match
from holdem.evaluation.match import groups_for, usable_cores
from holdem.evaluation.registry import BASELINES, BEST_RESPONSE_PREFIX
from holdem.games import GameDef, GameDefError, load_game
from holdem.policy import policy_game


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``eval`` and return its parser."""
    parser = subparsers.add_parser(
        "eval",
        help="play an agent against another with duplicate dealing; mbb/hand with a 95%% interval",
        description="Play POLICY against OTHER in the real game through the rules engine. Each deal is "
                    "replayed with POLICY in every seat (the other seats play OTHER) so card luck cancels. "
                    f"Agents: a baseline ({', '.join(sorted(BASELINES))}), a run directory or policy file, "
                    "or br:PATH, the exact best response to that policy (Kuhn, Leduc).",
    )
    parser.add_argument("policy", metavar="POLICY", help="the agent measured (a baseline name or a policy path)")
    parser.add_argument("--against", metavar="OTHER", required=True, help="the agent in the other seats")
    parser.add_argument("--hands", metavar="N", required=True,
                        help="hands to play, rounded up to whole duplicate groups (one hand per seat)")
    parser.add_argument("--game", default=None,
                        help="game name or .game file (default: the policy's game, else hunl)")
    parser.add_argument("--seed", default="0", help="run seed; results depend on it only (default: 0)")
    parser.add_argument("--num-workers", "--workers", dest="workers", metavar="N", default=None,
                        help=f"worker processes (default: all usable cores, {usable_cores()} here); --workers is "
                             "the older spelling")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the report as JSON to FILE (its folder "
                                                                   "must exist)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(func=main)
    return parser


def _count(text: str, what: str, minimum: int) -> int:
    try:
        value = int(str(text).replace("_", ""))
    except ValueError:
        raise ValueError(f"{what} must be an integer, got {text!r}") from None
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")
    return value


def _chips(count: int) -> str:
    return f"{count} chip" if count == 1 else f"{count} chips"


def summary_line(result: MatchResult) -> str:
    """One line: win rate, interval, hands and speed."""
    unit = "mbb" if result.unit == "big blind" else f"milli-{result.unit}s"
    low, high = result.ci95
    return (f"{result.hero} vs {result.opponent} on {result.game}: {result.mbb_per_hand:+.1f} {unit}/hand, "
            f"95% CI [{low:+.1f}, {high:+.1f}] over {result.hands:,} hands ({result.groups:,} duplicate "
            f"deals, {result.unit} = {_chips(result.unit_chips)}, {result.hands_per_second:,.0f} hands/s")


def _default_game(*specs: str) -> GameDef:
    """The game of the first agent that is a policy path, else heads-up no-limit."""
    for spec in specs:
        path = spec.removeprefix(BEST_RESPONSE_PREFIX)
        if spec not in BASELINES and Path(path).exists():
            return policy_game(path)
    return load_game("hunl")


def main(args: argparse.Namespace) -> int:
    """Run the match; bad input prints one line to stderr and returns 2."""
    try:
        game = load_game(args.game) if args.game is not None else _default_game(args.policy, args.against)
        hands = _count(args.hands, "--hands", 1)
        seed = _count(args.seed, "--seed", 0)
        workers = usable_cores() if args.workers is None else _count(args.workers, "--num-workers", 1)
        if args.json is not None and not args.json.parent.is_dir():
            raise ValueError(f"--json: no such folder {args.json.parent} (create it first)")
        groups_for(game, hands)
        hero = load_agent(args.policy, game)
        opponent = load_agent(args.against, game)
    except (AgentSpecError, GameDefError, ValueError, OSError) as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 2
    try:
        result = run_match(game, hero, opponent, hands=hands, seed=seed, workers=workers,
                           progress=not args.quiet)
    except AgentError as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nholdem eval: interrupted", file=sys.stderr)
        return 130
    print(summary_line(result))
    if args.json is not None:
        report = {"policy": args.policy, "against": args.against, **result.to_json()}
        try:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as exc:
            print(f"holdem eval: cannot write {args.json}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    return 0
