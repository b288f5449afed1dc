"""Benchmark the ACPC client against the real dealer: response times and results in 1,000-hand matches.

Builds the dealer from ``../shared/acpc_server`` into a temporary directory, trains the small blueprints it
needs there (HUNL with the tiny menu and buckets, three-player Kuhn) unless ``--hunl`` names a run, and plays:
the HUNL blueprint against the example player and against itself, and three-player Kuhn against two example
players. Response times are the client's own (dealer line in to answer out), against the time limits the
dealer announces. Writes bench/results/acpc.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from holdem.play.dealer import build_dealer, play_match
from holdem.training import train
from holdem.training.config import build_config

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "acpc.json"
GOAL_SHARE_OF_LIMIT = 0.01
"""Goal: a hand's answers take under 1% of the dealer's per-hand average limit, the slowest answer under 1% of
its per-response limit."""


def _client(policy: Path, stats: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "holdem.cli.main", "acpc", str(policy), "--game", "{game}", "--port", "{port}",
            "--seed", str(seed), "--json", str(stats), "--quiet"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "acpc_server")
    parser.add_argument("--hunl", type=Path, help="a HUNL run directory to seat (default: train a tiny one)")
    parser.add_argument("--hands", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-acpc-") as tmp:
        work = Path(tmp)
        build = build_dealer(args.source, work)
        hunl = args.hunl
        if hunl is None:
            hunl = work / "hunl"
            train(build_config({"game": "hunl", "actions": "tiny", "buckets": "tiny", "iterations": 200_000,
                                "num_workers": 1, "seed": 3}), hunl)
        kuhn3 = work / "kuhn3"
        train(build_config({"game": "kuhn3", "iterations": 20_000, "num_workers": 1, "seed": 3}), kuhn3)
        example = ["../example_player", "{game}", "localhost", "{port}"]
        matches = {
            "hunl_vs_example": ("holdem.nolimit.2p.reverse_blinds.game",
                                [("blueprint", _client(hunl, work / "a.json", 1)), ("example", example)]),
            "hunl_self_play": ("holdem.nolimit.2p.reverse_blinds.game",
                               [("blueprint", _client(hunl, work / "b.json", 1)),
                                ("other", _client(hunl, work / "c.json", 2))]),
            "kuhn3_vs_two_examples": ("kuhn.limit.3p.game",
                                      [("blueprint", _client(kuhn3, work / "d.json", 1)), ("example1", example),
                                       ("example2", example)]),
        }
        measured: dict[str, dict[str, float]] = {}
        goals: dict[str, str] = {}
        met: dict[str, bool] = {}
        limits: dict[str, int] = {}
        for seed, (name, (game, players)) in enumerate(matches.items(), start=21):
            record = play_match(build, build / game, players, hands=args.hands, seed=seed, name=name)
            limits = record.time_limits_ms()
            stats = json.loads((work / players[0][1][players[0][1].index("--json") + 1]).read_text())
            measured[name] = {
                "hands_in_log": len(record.states),
                "dealer_problems": len(record.problems()),
                "score_chips": record.score["blueprint"],
                "mbb_per_hand": stats["mbb_per_hand"],
                "response_ms_median": round(stats["response_ms_median"], 3),
                "response_ms_p99": round(stats["response_ms_p99"], 3),
                "response_ms_max": round(stats["response_ms_max"], 3),
                "response_ms_per_hand": round(stats["response_ms_per_hand"], 3),
            }
            per_hand, per_response = limits.get("t_per_hand", 0), limits.get("t_response", 0)
            goals[name] = (f"per hand < {GOAL_SHARE_OF_LIMIT:.0%} of the dealer's {per_hand:,} ms average, slowest "
                           f"answer < {GOAL_SHARE_OF_LIMIT:.0%} of its {per_response:,} ms, no dealer complaint")
            met[name] = (stats["response_ms_per_hand"] < GOAL_SHARE_OF_LIMIT * per_hand
                         and stats["response_ms_max"] < GOAL_SHARE_OF_LIMIT * per_response and not record.problems())
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg": list(os.getloadavg())},
        "note": f"{args.hands:,} hands per match; dealer limits in ms: {limits}",
        "measured": measured, "goals": goals, "met": met,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
