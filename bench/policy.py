"""Benchmark using a trained policy: load time, query latency after loading, compact file sizes, and
``holdem eval`` hands per second per core with a blueprint seated (HUNL against random and itself, Leduc
against its exact best response).

Trains the small runs it needs into a temporary directory unless ``--hunl`` / ``--leduc`` name existing
ones. Writes bench/results/policy.json. Latencies are per query in microseconds (median and 99th
percentile over the situations, each asked repeatedly, by wall clock and by thread CPU time, which holds
up when other jobs share the cores); "cold" asks a history the policy has not seen (translation walks
the tree), "warm" repeats it (the translation is cached).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from holdem.evaluation import load_agent, run_match
from holdem.games import load_game
from holdem.policy import Policy
from holdem.training import train
from holdem.training.config import build_config

GOAL_QUERY_MS = 1.0
RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "policy.json"
SITUATIONS = (
    (0, "AsAd", "", ""),
    (1, "7h2c", "", "r250"),
    (1, "AhKh", "", "r300"),
    (1, "QcJc", "Tc7d2s", "r300c/"),
    (0, "9s9h", "Tc7d2s", "r250c/r700"),
    (1, "AhKh", "Tc7d2s4h", "r250c/cc/"),
    (0, "5d4d", "Tc7d2s4h3c", "r250c/cc/cc/r500"),
)


def train_run(root: Path, name: str, raw: dict) -> Path:
    logdir = root / name
    train(build_config({**raw, "num_workers": 1, "seed": 1}), logdir)
    return logdir


def _timed(policy: Policy, situation: tuple[int, str, str, str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    policy.action_probabilities(*situation)
    return (time.perf_counter() - wall) * 1e6, (time.thread_time() - cpu) * 1e6


def query_latency(policy: Policy, repeats: int) -> dict[str, float]:
    """Microseconds per query by wall clock and thread CPU: cold (a history not seen before) and warm."""
    cold: list[tuple[float, float]] = []
    warm: list[tuple[float, float]] = []
    for situation in SITUATIONS:
        policy.forget_translations()
        cold.append(_timed(policy, situation))
        warm.extend(_timed(policy, situation) for _ in range(repeats))
    out = {}
    for label, samples in (("cold", cold), ("warm", warm)):
        for index, clock in ((0, "wall"), (1, "cpu")):
            values = sorted(s[index] for s in samples)
            out[f"{label}_{clock}_median_us"] = statistics.median(values)
            out[f"{label}_{clock}_p99_us"] = values[int(0.99 * (len(values) - 1))]
    return out


def match_rate(game_name: str, hero: str, opponent: str, hands: int) -> dict[str, float]:
    """Hands per second (wall and this process's CPU) for one in-process match after a warm-up."""
    game = load_game(game_name)
    a, b = load_agent(hero, game), load_agent(opponent, game)
    run_match(game, a, b, hands=200, seed=0)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_match(game, a, b, hands=hands, seed=1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"hands": result.hands, "wall": result.hands / wall, "cpu": result.hands / cpu,
            "mbb_per_hand": result.mbb_per_hand, "ci95": list(result.ci95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hunl", type=Path, help="a HUNL run directory (default: train HUNL-tiny for 20 s)")
    parser.add_argument("--leduc", type=Path, help="a Leduc run directory (default: train 200k iterations)")
    parser.add_argument("--hands", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=200, help="warm queries per situation")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hunl = args.hunl or train_run(root, "hunl", {"game": "hunl", "actions": "tiny", "buckets": "tiny",
                                                      "time_budget_seconds": 20})
        leduc = args.leduc or train_run(root, "leduc", {"game": "leduc", "iterations": 200_000})
        result: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                        "goal_query_ms": GOAL_QUERY_MS, "runs": {"hunl": str(hunl), "leduc": str(leduc)}}
        Policy.load(leduc)
        started = time.perf_counter()
        policy = Policy.load(hunl)
        result["load_seconds"] = time.perf_counter() - started
        result["policy"] = policy.describe()
        result["query"] = query_latency(policy, args.repeats)
        sizes = {"float32": policy.source.stat().st_size}
        for bits in (8, 16):
            out = root / f"compact-{bits}.npz"
            policy.export_compact(out, bits=bits)
            sizes[f"compact_{bits}"] = out.stat().st_size
            started = time.perf_counter()
            compact = Policy.load(out)
            result[f"compact_{bits}_load_seconds"] = time.perf_counter() - started
            result[f"compact_{bits}_query"] = query_latency(compact, args.repeats // 4)
        result["file_bytes"] = sizes
        result["hands_per_s_per_core"] = {
            "hunl blueprint vs random": match_rate("hunl", str(hunl), "random", args.hands),
            "hunl blueprint vs itself": match_rate("hunl", str(hunl), str(hunl), args.hands),
            "leduc blueprint vs best response": match_rate("leduc", str(leduc), f"br:{leduc}", args.hands),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
