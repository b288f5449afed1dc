"""Benchmark ``holdem eval`` heads-up: speed of the compiled match against the rules engine, variance reduction,
and local best response (LBR) against a trained blueprint beside the published anchors.

Writes bench/results/eval.json (``python -m bench.report`` renders it):

- speed: hands per second per core (this process's CPU time, best of ``--repeats``) for baseline pairs and a
  blueprint, compiled and through the rules engine, and LBR's; goals 50,000 for a blueprint against a
  baseline, 20,000 blueprint against blueprint, 500 for LBR;
- variance: the spread of per-deal results with all-in equity scoring and AIVAT-style control variates
  against plain duplicate, on the same 20,000 hands;
- lbr: LBR's take from always-fold (published: exactly 750 mbb/hand) and from the run's blueprint for each
  LBR setting, with its 95% interval, merged by label so several runs keep their rows.

The blueprint is ``--run`` (default runs/quickstart, which ``make train`` writes). The LBR row of any other run
directory, such as the 5-hour config's, is added beside the existing rows with one command:

    nice -n 10 .venv/bin/python -m bench.eval --only lbr --run RUN_DIR --workers 2 && .venv/bin/python -m bench.report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from holdem.engine import HandState
from holdem.evaluation import AlwaysFold, load_agent, run_match
from holdem.evaluation.match import deal, usable_cores
from holdem.games import GameDef, load_game
from holdem.policy import Policy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "eval.json"
DEFAULT_RUN = ROOT / "runs" / "quickstart"
GOALS = {"blueprint_vs_baseline": 50_000, "blueprint_vs_blueprint": 20_000, "lbr": 500}
BASELINE_PAIRS = (("always-call", "always-call"), ("random", "always-call"), ("heuristic", "random"))
LBR_SPECS = ("lbr", "lbr:fchpa", "lbr:fc/fcpa/fcpa/fcpa", "lbr:fc/fchpa/fchpa/fchpa")
# mbb/game: Lisý and Bowling (2017), "Equilibrium approximation quality of current no-limit poker bots".
PUBLISHED_LBR = {
    "always-fold": 750,
    "Act1 (2016)": 3_302,
    "Slumbot (2016)": 4_020,
    "Hyperborean (2014)": 4_675,
}
BLUEPRINT = "BLUEPRINT"
NOTE = ("CPU time of one process; LBR rows of another run (such as the 5-hour config's) are added by "
        "`python -m bench.eval --only lbr --run RUN_DIR --workers 2` then `python -m bench.report`.")


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


def describe_run(run: Path, label: str | None = None) -> dict[str, Any]:
    """What the report says of a run: its menu, buckets, iterations and training time, and a label."""
    policy = Policy.load(run)
    menu = policy.tree.menu.name if policy.tree.menu is not None else None
    buckets = (policy.abstraction.spec or {}).get("name")
    iterations = int(policy.meta.get("iterations", 0))
    seconds = policy.meta.get("elapsed_seconds")
    text = f"{run.name} ({menu} menu, {buckets} buckets, {iterations:,} iterations"
    text += f", {seconds / 60:.0f} min)" if isinstance(seconds, int | float) else ")"
    return {"run": str(run), "label": text if label is None else label, "menu": menu, "buckets": buckets,
            "iterations": iterations, "train_seconds": seconds}


def speed(game: GameDef, run: Path | None, hands: int, repeats: int, lbr_hands: int) -> dict[str, Any]:
    """Hands/s per core of each pairing, compiled and through the rules engine."""
    pairs: list[tuple[str, str, str]] = [(h, o, "baseline") for h, o in BASELINE_PAIRS]
    if run is not None:
        pairs += [(BLUEPRINT, "random", "blueprint_vs_baseline"), (BLUEPRINT, "always-call", "blueprint_vs_baseline"),
                  (BLUEPRINT, BLUEPRINT, "blueprint_vs_blueprint")]
    out: dict[str, Any] = {}
    for hero_spec, opp_spec, kind in pairs:
        hero, opponent = (load_agent(str(run) if s == BLUEPRINT else s, game) for s in (hero_spec, opp_spec))
        run_match(game, hero, opponent, hands=200)
        compiled = rates(hands, repeats, lambda r, a=hero, b=opponent: run_match(game, a, b, hands=hands, seed=r))
        few = max(2, hands // 10)
        rules = rates(few, 1, lambda r, a=hero, b=opponent, n=few: run_match(game, a, b, hands=n, seed=r,
                                                                            engine="rules"))
        name = f"{hero_spec.lower()} vs {opp_spec.lower()}"
        out[name] = {"kind": kind, "compiled": compiled, "rules": rules}
        print(f"{name}: compiled {compiled['cpu']:,.0f} hands/s per CPU s, rules engine {rules['cpu']:,.0f}",
              flush=True)
    if run is not None:
        hero, lbr = load_agent(str(run), game), load_agent(LBR_SPECS[0], game)
        run_match(game, hero, lbr, hands=20)
        compiled = rates(lbr_hands, 1, lambda r: run_match(game, hero, lbr, hands=lbr_hands, seed=r))
        out[f"blueprint vs {LBR_SPECS[0]}"] = {"kind": "lbr", "compiled": compiled}
        print(f"blueprint vs {LBR_SPECS[0]}: {compiled['cpu']:,.0f} hands/s per CPU s", flush=True)
    return out


def variance(game: GameDef, run: Path, hands: int, workers: int) -> dict[str, Any]:
    """Per-deal variance with each reduction against plain duplicate on the same hands."""
    out: dict[str, Any] = {}
    for opp_spec in (BLUEPRINT, "random"):
        hero = load_agent(str(run), game)
        opponent = load_agent(str(run) if opp_spec == BLUEPRINT else opp_spec, game)
        name = f"blueprint vs {opp_spec.lower()}"
        out[name] = {}
        for mode in ("allin", "aivat"):
            result = run_match(game, hero, opponent, hands=hands, seed=11, workers=workers, variance=mode)
            assert result.plain is not None
            out[name][mode] = {"hands": result.hands, "mbb_per_hand": result.mbb_per_hand, "ci95": list(result.ci95),
                               "stderr_mbb": result.stderr, "plain_mbb_per_hand": result.plain.mean,
                               "plain_ci95": list(result.plain.ci95), "plain_stderr_mbb": result.plain.stderr,
                               "variance_ratio": (result.stderr / result.plain.stderr) ** 2,
                               "hands_per_s": result.hands_per_second}
            print(f"{name} [{mode}]: variance {out[name][mode]['variance_ratio']:.3f} of plain duplicate "
                  f"({result.hands:,} hands)", flush=True)
    return out


def lbr_rows(game: GameDef, run: Path, label: str | None, hands: int, workers: int, specs: tuple[str, ...]
             ) -> list[dict[str, Any]]:
    """LBR's take from the run's blueprint for each setting, with AIVAT-style variance reduction."""
    info = describe_run(run, label)
    rows = []
    for spec in specs:
        result = run_match(game, load_agent(str(run), game), load_agent(spec, game), hands=hands, seed=17,
                           workers=workers, variance="aivat")
        low, high = result.ci95
        assert result.plain is not None
        rows.append({**info, "lbr": spec, "lbr_mbb_per_hand": -result.mbb_per_hand,
                     "ci95": [-high, -low], "hands": result.hands, "variance_reduction": "aivat",
                     "variance_ratio": (result.stderr / result.plain.stderr) ** 2,
                     "plain_lbr_mbb_per_hand": -result.plain.mean, "hands_per_s": result.hands_per_second,
                     "workers": result.workers, "measured": time.strftime("%Y-%m-%d")})
        print(f"{rows[-1]['label']}: {spec} takes {-result.mbb_per_hand:+,.0f} mbb/hand "
              f"[{-high:+,.0f}, {-low:+,.0f}] over {result.hands:,} hands", flush=True)
    return rows


def always_fold(game: GameDef, hands: int) -> dict[str, Any]:
    result = run_match(game, AlwaysFold(), load_agent(LBR_SPECS[0], game), hands=hands, seed=3)
    low, high = result.ci95
    return {"lbr": LBR_SPECS[0], "lbr_mbb_per_hand": -result.mbb_per_hand, "ci95": [-high, -low],
            "hands": result.hands}


def merge_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The old rows with those of the same label and setting replaced by the new ones."""
    keys = {(r["label"], r["lbr"]) for r in new}
    return [r for r in old if (r.get("label"), r.get("lbr")) not in keys] + new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=DEFAULT_RUN, help="run directory of the blueprint measured")
    parser.add_argument("--label", default=None, help="name of the run's LBR rows (default: from the run)")
    parser.add_argument("--only", choices=("speed", "variance", "lbr"), default=None, help="one section only")
    parser.add_argument("--hands", type=int, default=20_000, help="hands per speed measurement")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--variance-hands", type=int, default=20_000)
    parser.add_argument("--lbr-hands", type=int, default=20_000, help="hands per LBR setting")
    parser.add_argument("--lbr", action="append", default=None, help=f"LBR setting (repeatable; default {LBR_SPECS})")
    parser.add_argument("--workers", type=int, default=usable_cores())
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    game = load_game("hunl")
    run = args.run if (args.run / "blueprint.npz").is_file() else None
    if run is None:
        print(f"no blueprint in {args.run}: the blueprint figures are skipped (make train writes one)")
    previous: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    result = previous if args.only is not None else {"lbr": {"rows": (previous.get("lbr") or {}).get("rows", [])}}
    result.update(game="hunl", goals=GOALS, note=NOTE)
    if args.only in (None, "speed"):
        floor = rates(args.hands, args.repeats, lambda r: engine_only(game, args.hands, r))
        print(f"engine alone (check/call, no agents): {floor['cpu']:,.0f} hands/s per CPU s")
        result["engine_alone_hands_per_s"] = floor
        result["speed"] = speed(game, run, args.hands, args.repeats, min(args.lbr_hands, 2000))
        result["speed_blueprint"] = None if run is None else describe_run(run, args.label)
        result["hands_per_run"] = args.hands
    if args.only in (None, "variance") and run is not None:
        result["variance"] = variance(game, run, args.variance_hands, args.workers)
        result["variance_blueprint"] = describe_run(run, args.label)
    if args.only in (None, "lbr"):
        lbr = result.get("lbr") or {}
        lbr["published_mbb_per_hand"] = PUBLISHED_LBR
        lbr["always_fold"] = always_fold(game, 2000)
        if run is not None:
            specs = tuple(args.lbr) if args.lbr else LBR_SPECS
            lbr["rows"] = merge_rows(lbr.get("rows") or [],
                                     lbr_rows(game, run, args.label, args.lbr_hands, args.workers, specs))
        result["lbr"] = lbr
    result["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                         "cpus": usable_cores(), "load_avg": list(os.getloadavg())}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
