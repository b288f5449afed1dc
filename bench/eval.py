"""Benchmark ``holdem eval`` heads-up: hands per second per core for baseline pairings, the rules-engine floor
(the same hands driven with no agents), a multi-process run, and where the time goes (cProfile by module).

Writes bench/results/eval.json. Rates are best of ``--repeats`` runs after a warm-up, by wall clock and by
this process's CPU time (the per-core figure that holds up when other jobs share the cores).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from holdem.engine import HandState
from holdem.evaluation import load_agent, run_match
from holdem.evaluation.match import deal, usable_cores
from holdem.games import GameDef, load_game

GOAL_HANDS_PER_S_PER_CORE = 20_000
RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "eval.json"
PAIRS = (("always-call", "always-call"), ("random", "always-call"), ("random", "random"),
         ("heuristic", "random"), ("heuristic", "always-call"))
EVALUATION = "evaluation (agents, runner)"
MODULE_GROUPS = (("holdem/engine/", "rules engine"), ("holdem/showdown", "rules engine"),
                 ("holdem/evaluation/", EVALUATION), ("holdem/translation", EVALUATION))


def engine_only(game: GameDef, hands: int, seed: int = 1) -> None:
    """The hands a check/call match plays, driven straight through the engine with no agent layer."""
    rng = np.random.default_rng(seed)
    for _ in range(hands // game.num_players):
        holes, board = deal(game, rng)
        for _ in range(game.num_players):
            state = HandState(game=game, hole_cards=holes, board=board)
            while state.actor is not None:
                state.check_or_call()
            state.payoffs()


def rates(hands: int, repeats: int, run: Callable[[int], object]) -> dict[str, float]:
    """Best hands/s over ``repeats`` calls of ``run(repeat)``, by wall clock and by this process's CPU."""
    wall, cpu = [], []
    for r in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        run(r)
        wall.append(hands / (time.perf_counter() - w))
        cpu.append(hands / (time.process_time() - c))
    return {"wall": max(wall), "cpu": max(cpu)}


def match_rates(game: GameDef, hero: str, opponent: str, hands: int, repeats: int) -> dict[str, float]:
    agents = load_agent(hero, game), load_agent(opponent, game)
    return rates(hands, repeats, lambda r: run_match(game, *agents, hands=hands, seed=r))


def profile(label: str, run: Callable[[], object]) -> dict:
    """Share of profiled time per module group and the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values())
    groups: dict[str, float] = {}
    top = []
    for (filename, line, func), (_, calls, tottime, _, _) in stats.items():
        path = filename.replace(os.sep, "/")
        group = next((name for prefix, name in MODULE_GROUPS if prefix in path), "numpy, numba, python")
        groups[group] = groups.get(group, 0.0) + tottime
        top.append((tottime, f"{path.split('holdem/')[-1]}:{line}({func})", calls))
    top.sort(reverse=True)
    return {
        "run": label,
        "share_by_module": {k: round(v / total, 3) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "top_own_time": [{"function": name, "calls": calls, "share": round(t / total, 3)}
                         for t, name, calls in top[:10]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hands", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    game = load_game("hunl")
    run_match(game, load_agent("heuristic", game), load_agent("random", game), hands=200)
    floor = rates(args.hands, args.repeats, lambda r: engine_only(game, args.hands, r))
    print(f"engine alone (check/call, no agents): {floor['wall']:,.0f} hands/s wall, "
          f"{floor['cpu']:,.0f} per CPU s")
    pairs = {}
    for hero, opponent in PAIRS:
        pair = pairs[f"{hero} vs {opponent}"] = match_rates(game, hero, opponent, args.hands, args.repeats)
        print(f"{hero} vs {opponent}: {pair['wall']:,.0f} hands/s wall, {pair['cpu']:,.0f} per CPU s")
    cores = usable_cores()
    agents = load_agent("random", game), load_agent("always-call", game)
    parallel = run_match(game, *agents, hands=args.hands * cores, workers=cores).hands_per_second
    print(f"random vs always-call on {cores} workers: {parallel:,.0f} hands/s "
          f"({parallel / cores:,.0f} per core)")
    profiles = [
        profile("engine alone", lambda: engine_only(game, args.hands // 4)),
        profile("random vs always-call", lambda: run_match(game, *agents, hands=args.hands // 4)),
        profile("heuristic vs random", lambda: run_match(game, load_agent("heuristic", game),
                                                         load_agent("random", game), hands=args.hands // 4)),
    ]
    for p in profiles:
        print(f"profile {p['run']}: {p['share_by_module']}")
    result = {
        "game": "hunl",
        "goal_hands_per_s_per_core": GOAL_HANDS_PER_S_PER_CORE,
        "hands_per_run": args.hands,
        "repeats": args.repeats,
        "engine_alone_hands_per_s": floor,
        "hands_per_s_per_core": pairs,
        "goal_met_per_cpu_second": {pair: r["cpu"] >= GOAL_HANDS_PER_S_PER_CORE for pair, r in pairs.items()},
        "parallel": {"pair": "random vs always-call", "workers": cores, "hands_per_s": parallel,
                     "hands_per_s_per_core": parallel / cores},
        "profiles": profiles,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "usable_cores": cores, "load_average_1min_at_end": os.getloadavg()[0]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
