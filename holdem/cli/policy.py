"""``holdem policy``: ``query`` a blueprint at a real situation, draw its range ``grid``, ``export`` it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from holdem.policy import STREET_NAMES, Decision, Policy, PolicyError, format_hand, policy_file_of
from holdem.policy.action_text import ActionTextError, actions_to_acpc, describe_option

EXPORT_FORMATS = ("openspiel", "compact")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``policy`` with its ``query``, ``grid`` and ``export`` actions and return its parser."""
    parser = subparsers.add_parser("policy", help="query a trained policy, draw its ranges, or export it",
                                   description="Ask a trained policy what to do, draw its strategy over every "
                                               "hand, or export it.")
    actions = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    query = actions.add_parser(
        "query", help="action probabilities at a situation, with bet sizes in chips and big blinds",
        description="Print the policy's action probabilities for SEAT holding HOLE on BOARD after a betting "
                    "history. Bets the action menu does not hold are mapped by pseudo-harmonic translation, "
                    "and the output says so.")
    query.add_argument("source", metavar="RUN_OR_FILE", help="a run directory, blueprint file or compact policy")
    query.add_argument("--seat", required=True, type=int, help="the seat to act (0-based)")
    query.add_argument("--hole", required=True, help="the seat's hole cards, such as AhKh")
    query.add_argument("--board", default="", help="board cards dealt so far, such as 'Tc 7d 2s'")
    _add_betting(query)
    query.add_argument("--seed", type=int, help="draw two-way translations with this seed instead of taking "
                                                "the likelier size")
    query.add_argument("--buckets", help="bucket file to use when the recorded path has moved")
    query.add_argument("--json", action="store_true", help="print the answer as JSON")
    grid = actions.add_parser(
        "grid", help="draw the strategy over every hand: 13x13 grid, and a table per card bucket after the flop",
        description="Draw the policy's strategy for SEAT after a betting history on a board: the 13x13 "
                    "hold'em grid (pairs on the diagonal, suited hands above, each cell split by action "
                    "probability) and, after the flop or in small games, a table per card bucket with example "
                    "hands. FILE.html is one self-contained page; FILE.png needs matplotlib (the plot extra).")
    grid.add_argument("source", metavar="RUN_OR_FILE", help="a run directory, blueprint file or compact policy")
    grid.add_argument("--seat", type=int, help="the seat to act (default: whoever acts after the history)")
    grid.add_argument("--board", default="", help="board cards dealt so far, such as 'Tc 7d 2s'")
    _add_betting(grid)
    grid.add_argument("--buckets", help="bucket file to use when the recorded path has moved")
    grid.add_argument("--out", required=True, type=Path, metavar="FILE", help="FILE.html or FILE.png")
    export = actions.add_parser("export", help="write a policy compactly (8/16 bits) or in OpenSpiel's format",
                                description="compact: probabilities quantised to 8 or 16 bits with the "
                                            "betting tree embedded and the bucket file referenced by path "
                                            "and hash. openspiel: Kuhn and Leduc tabular policies.")
    export.add_argument("source", metavar="RUN_OR_FILE", help="a run directory or a policy .npz file")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="openspiel",
                        help="openspiel (Kuhn, Leduc: OpenSpiel's tabular policy JSON) or compact (8/16-bit npz)")
    export.add_argument("--bits", type=int, choices=(8, 16), default=8, help="compact: bits per probability")
    export.add_argument("--buckets", help="bucket file to use when the recorded path has moved")
    export.add_argument("--out", required=True, type=Path, metavar="FILE", help="the file to write")
    parser.set_defaults(func=main)
    return parser


def _add_betting(parser: argparse.ArgumentParser) -> None:
    history = parser.add_mutually_exclusive_group()
    history.add_argument("--history", default="", help="ACPC betting so far, such as r300c/ (amounts are "
                                                       "chips in the hand, blinds included)")
    history.add_argument("--betting", "--actions", dest="betting", metavar="WORDS",
                         help="betting so far in words, such as 'raise 300, call / check, bet 2.5bb' (amounts "
                              "are the street's bet in chips, or big blinds with bb); --actions is the older "
                              "spelling")


def _history(policy: Policy, args: argparse.Namespace) -> str:
    return actions_to_acpc(policy.game, args.betting) if args.betting is not None else args.history


def _street(decision: Decision, rounds: int) -> str:
    return f"on the {STREET_NAMES[decision.street]}" if rounds == 4 else f"in round {decision.street + 1}"


def report_lines(policy: Policy, decision: Decision, hole: str, board: str) -> list[str]:
    """The human-readable answer to a query."""
    lines = [f"policy {policy.describe()}",
             f"seat {decision.seat} holds {hole} {_street(decision, policy.game.num_rounds)}, board {board}, "
             f"history {decision.history or '(none)'}"]
    if decision.fallback:
        lines.append(f"the abstract tree cannot follow this history (it stops at {decision.abstract_history!r}, "
                     f"unmapped: {' '.join(decision.unmapped) or 'the current round'}): the answer falls back "
                     f"to check/call")
    else:
        lines.append(f"abstract history {decision.abstract_history or '(none)'}, card bucket {decision.bucket}")
    if decision.translated:
        for t in decision.translations:
            lines.append(f"translated: {t.real} -> {t.abstract} ({t.reason}; probability {t.probability:.3f})")
    else:
        lines.append("translated: no, the history is on the tree")
    width = max(len(describe_option(o, decision.unit, policy.unit_chips)) for o in decision.actions)
    for option in decision.actions:
        label = describe_option(option, decision.unit, policy.unit_chips)
        lines.append(f"  {label:<{width}}  {100.0 * option.probability:6.2f}%   [{option.acpc}, abstract "
                     f"{option.abstract}]")
    return lines


def decision_json(policy: Policy, decision: Decision, seconds: float) -> dict[str, Any]:
    """The answer to a query as plain data."""
    return {
        "policy": str(policy.source),
        "game": policy.game.name,
        "seat": decision.seat,
        "street": decision.street,
        "history": decision.history,
        "abstract_history": decision.abstract_history,
        "bucket": decision.bucket,
        "translated": decision.translated,
        "translations": [{"real": t.real, "abstract": t.abstract, "probability": t.probability,
                          "reason": t.reason} for t in decision.translations],
        "fallback": decision.fallback,
        "unit": decision.unit,
        "actions": [{"action": o.kind, "probability": o.probability, "to": o.to, "total": o.total,
                     "chips": o.chips, "units": o.units, "all_in": o.all_in, "acpc": o.acpc,
                     "abstract": o.abstract} for o in decision.actions],
        "query_seconds": seconds,
    }


def _query(args: argparse.Namespace) -> int:
    policy = Policy.load(args.source, buckets=args.buckets)
    history = _history(policy, args)
    started = time.perf_counter()
    decision = policy.action_probabilities(args.seat, args.hole, args.board, history, seed=args.seed)
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps(decision_json(policy, decision, seconds), indent=2))
        return 0
    state = policy.state(args.seat, args.hole, args.board, history)
    hole = format_hand(state.hole_cards[args.seat])
    board = format_hand(state.board)
    print("\n".join(report_lines(policy, decision, hole, board)))
    return 0


def _grid(args: argparse.Namespace) -> int:
    from holdem.policy.ranges import range_view

    suffix = args.out.suffix.lower()
    if suffix not in (".html", ".htm", ".png"):
        raise PolicyError(f"--out must end in .html or .png, got {args.out}")
    if not args.out.parent.is_dir():
        raise PolicyError(f"--out: no such folder {args.out.parent}")
    policy = Policy.load(args.source, buckets=args.buckets)
    history = _history(policy, args)
    seat = args.seat if args.seat is not None else _actor(policy, history)
    view = range_view(policy, seat, history, args.board)
    if suffix == ".png":
        from holdem.view.png import PlotUnavailable, render_png

        try:
            render_png(view, args.out, policy.unit, policy.unit_chips)
        except PlotUnavailable as exc:
            print(f"holdem policy grid: {exc}", file=sys.stderr)
            return 2
    else:
        from holdem.view.html import render_html

        args.out.write_text(render_html(view, policy.unit, policy.unit_chips))
    print(f"{view.title}: {len(view.actions)} actions over {sum(b.combos for b in view.buckets):,} hands in "
          f"{len(view.buckets)} buckets written to {args.out}")
    return 0


def _actor(policy: Policy, history: str) -> int:
    """The seat to act after ``history`` (cards do not matter for whose turn it is)."""
    from holdem.engine import HandState

    game = policy.game
    try:
        state = HandState.from_acpc(game=game, history=history, rng=np.random.default_rng(0))
    except ValueError as exc:
        raise PolicyError(f"impossible history {history!r}: {str(exc).splitlines()[0]}") from None
    if state.actor is None:
        raise PolicyError(f"the hand is over after {history!r}: nobody is to act")
    return state.actor


def _export(args: argparse.Namespace) -> int:
    if args.format == "openspiel":
        from holdem.policy.openspiel import ExportError, export_openspiel

        try:
            document = export_openspiel(policy_file_of(args.source), args.out)
        except ExportError as exc:
            print(f"holdem policy export: {exc}", file=sys.stderr)
            return 2
        print(f"{document['game']}: {len(document['policy'])} information states written to {args.out}")
        return 0
    policy = Policy.load(args.source, buckets=args.buckets)
    policy.export_compact(args.out, bits=args.bits)
    size = args.out.stat().st_size
    print(f"{policy.game.name}: {policy.tree.num_rows:,} rows at {args.bits} bits written to {args.out} "
          f"({size:,} bytes)")
    return 0


def main(args: argparse.Namespace) -> int:
    """Run a policy action; bad input prints one line to stderr and returns 2."""
    action = getattr(args, "policy_command", None)
    handler = {"query": _query, "grid": _grid, "export": _export}.get(action or "")
    if handler is None:
        print("holdem policy: choose an action: query, grid or export", file=sys.stderr)
        return 2
    try:
        return handler(args)
    except (PolicyError, ActionTextError, ValueError, OSError) as exc:
        text = str(exc).strip().splitlines()
        print(f"holdem policy {action}: {text[0] if text else type(exc).__name__}", file=sys.stderr)
        return 2
