"""``holdem eval``: play one agent against another in the real game with duplicate dealing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from holdem.cli.reports import parse_count, write_json
from holdem.evaluation import AgentError, AgentSpecError, MatchResult, load_agent, run_match
from holdem.evaluation.match import ENGINES, groups_for, usable_cores
from holdem.evaluation.registry import BASELINES, BEST_RESPONSE_PREFIX
from holdem.evaluation.variance import VARIANCE_MODES
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
                    "br:PATH, the exact best response to that policy (Kuhn, Leduc), or lbr, local best response "
                    "(lbr:fcpa, lbr:fc/fcpa/fcpa/fcpa@50: menus of f fold, c call, h half pot, p pot, d 2x pot, "
                    "a all in, per round; @N runouts per equity). With --curve, POLICY is a run directory and "
                    "each of its snapshots and checkpoints plays OTHER (default lbr) and the final blueprint.",
    )
    parser.add_argument("policy", metavar="POLICY", help="the agent measured (a baseline name or a policy path)")
    parser.add_argument("--against", metavar="OTHER", default=None,
                        help="the agent in the other seats (required, except with --curve: default lbr)")
    parser.add_argument("--hands", metavar="N", required=True,
                        help="hands to play, rounded up to whole duplicate groups (one hand per seat)")
    parser.add_argument("--game", default=None,
                        help="game name or .game file (default: the policy's game, else hunl)")
    parser.add_argument("--seed", default="0", help="run seed; results depend on it only (default: 0)")
    parser.add_argument("--num-workers", "--workers", dest="workers", metavar="N", default=None,
                        help=f"worker processes (default: all usable cores, {usable_cores()} here); --workers is "
                             "the older spelling")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="compiled heads-up match, the rules engine, or compiled when possible (default)")
    parser.add_argument("--variance", choices=sorted(VARIANCE_MODES), default="none",
                        help="score hands by an unbiased lower-variance estimate: allin (equity after an all-in) "
                             "or aivat (control variates at every known decision and deal); default none")
    parser.add_argument("--curve", action="store_true",
                        help="strength over training: evaluate every snapshot and checkpoint of the run POLICY")
    parser.add_argument("--png", metavar="FILE", type=Path, help="with --curve, plot the curve to FILE "
                        "(needs matplotlib: pip install -e '.[plot]')")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the report as JSON to FILE (its folder "
                                                                   "must exist)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(func=main)
    return parser


def _chips(count: int) -> str:
    return f"{count} chip" if count == 1 else f"{count} chips"


def summary_line(result: MatchResult) -> str:
    """One line: win rate, interval, hands and speed."""
    unit = "mbb" if result.unit == "big blind" else f"milli-{result.unit}s"
    low, high = result.ci95
    reduced = "" if result.variance == "none" else f", {result.variance} variance reduction"
    return (f"{result.hero} vs {result.opponent} on {result.game}: {result.mbb_per_hand:+.1f} {unit}/hand, "
            f"95% CI [{low:+.1f}, {high:+.1f}] over {result.hands:,} hands ({result.groups:,} duplicate "
            f"deals, {result.unit} = {_chips(result.unit_chips)}{reduced}, {result.engine} engine, "
            f"{result.hands_per_second:,.0f} hands/s)")


def _default_game(*specs: str) -> GameDef:
    """The game of the first agent that is a policy path, else heads-up no-limit."""
    for spec in specs:
        path = spec.removeprefix(BEST_RESPONSE_PREFIX)
        if spec not in BASELINES and Path(path).exists():
            return policy_game(path)
    return load_game("hunl")


def main(args: argparse.Namespace) -> int:
    """Run the match (or the curve); bad input prints one line to stderr and returns 2."""
    if args.curve:
        from holdem.cli.curve import run_curve

        return run_curve(args)
    if args.against is None:
        print("holdem eval: --against OTHER is required (or --curve over a run directory)", file=sys.stderr)
        return 2
    if args.png is not None:
        print("holdem eval: --png goes with --curve", file=sys.stderr)
        return 2
    try:
        game = load_game(args.game) if args.game is not None else _default_game(args.policy, args.against)
        hands = parse_count(args.hands, "--hands", 1)
        seed = parse_count(args.seed, "--seed", 0)
        workers = usable_cores() if args.workers is None else parse_count(args.workers, "--num-workers", 1)
        if args.json is not None and not args.json.parent.is_dir():
            raise ValueError(f"--json: no such folder {args.json.parent} (create it first)")
        groups_for(game, hands)
        hero = load_agent(args.policy, game)
        opponent = load_agent(args.against, game)
    except (AgentSpecError, GameDefError, ValueError, OSError) as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 2
    try:
        result = run_match(game, hero, opponent, hands=hands, seed=seed, workers=workers, progress=not args.quiet,
                           engine=args.engine, variance=args.variance)
    except AgentError as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nholdem eval: interrupted", file=sys.stderr)
        return 130
    print(summary_line(result))
    if args.json is not None:
        report = {"policy": args.policy, "against": args.against, **result.to_json()}
        if not write_json(args.json, report):
            return 2
    return 0
