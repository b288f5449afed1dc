"""Blueprint strength at equal training compute: one bucket spec against another (by default the
potential-aware `quick` against `quick-legacy`).

Trains one blueprint per bucket spec from ``configs/quickstart.yaml`` through ``holdem.training.train`` with
the same seed, workers and seconds (bucket files are built first, outside the budget), then plays them head
to head with ``holdem eval NEW --against OLD`` (duplicate deals, 95% interval), and, where this build has
local best response (``holdem eval RUN --against lbr``), how much LBR wins against each (less is better). Writes
``bench/results/buckets_strength.json``; a run shorter than the acceptance budget (600 s) is marked partial.

    python -m bench.buckets_strength [--seconds 600 | --iterations N] [--workers 2] [--hands 1000000]

``--eval-only`` plays the blueprints an earlier run recorded in ``--out`` again (more hands, same training).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "buckets_strength.json"
RUNS = ROOT / "runs" / "buckets_strength"
ACCEPTANCE_SECONDS = 600
QUIET = {"checkpoint_interval_seconds": 1e6, "snapshot_interval_seconds": 1e6, "progress_interval_seconds": 5.0}


def ensure_buckets(spec: str) -> Path:
    """The spec's bucket file (a named spec's, built now if missing so its build time is not training
    time, or a given ``.npz`` file)."""
    from holdem.abstraction.store import build_bucket_file, spec_path
    from holdem.games import load_game

    if spec.endswith(".npz"):
        return Path(spec)
    game = load_game("hunl")
    path = spec_path(game, spec)
    if not path.is_file():
        build_bucket_file(spec, game, path)
    return path


def train_blueprint(spec: str, seconds: float, iterations: int | None, workers: int, seed: int, logdir: Path
                    ) -> dict[str, Any]:
    """Train the quickstart configuration on ``spec`` buckets for ``seconds`` (or ``iterations``); returns
    what the run did."""
    from holdem.training import train
    from holdem.training.config import build_config, load_config_file

    raw = {**load_config_file("quickstart"), **QUIET, "buckets": spec, "seed": seed, "num_workers": workers,
           "time_budget_seconds": seconds if iterations is None else None, "iterations": iterations}
    t0 = time.perf_counter()
    outcome = train(build_config(raw), logdir)
    return {"spec": spec, "logdir": str(logdir), "iterations": outcome.iterations, "seconds": outcome.seconds,
            "wall_s": time.perf_counter() - t0, "reason": outcome.reason, "workers": workers}


def holdem_eval(hero: str, against: str, hands: int, seed: int, workers: int, out: Path) -> dict[str, Any]:
    """``holdem eval HERO --against AGAINST``; the JSON report it writes."""
    cmd = [sys.executable, "-m", "holdem.cli.main", "eval", hero, "--against", against, "--hands", str(hands),
           "--seed", str(seed), "--workers", str(workers), "--json", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    print(proc.stdout.strip(), flush=True)
    return json.loads(out.read_text())


def lbr_figure(logdir: str, hands: int, seed: int, workers: int, out: Path) -> dict[str, Any]:
    """How much LBR wins against one blueprint (mbb/hand, 95% interval): less is better."""
    report = holdem_eval(logdir, "lbr", hands, seed, workers, out)
    low, high = report["ci95"]
    return {"lbr_wins_mbb_per_hand": -report["mbb_per_hand"], "ci95": [-high, -low], "hands": report["hands"]}


def lbr_figures(runs: dict[str, dict[str, Any]], hands: int, seed: int, workers: int,
                tmp: Path) -> dict[str, Any]:
    """:func:`lbr_figure` for each spec's run."""
    return {spec: lbr_figure(run["logdir"], hands, seed, workers, tmp / f"lbr-{spec}.json")
            for spec, run in runs.items()}


def recorded_runs(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The training runs an earlier result file records, checked against the settings asked for now."""
    try:
        previous = json.loads(args.out.read_text())
    except (OSError, ValueError) as exc:
        sys.exit(f"--eval-only: cannot read the earlier results {args.out}: {exc}")
    settings = previous.get("settings") or {}
    asked = {"new": args.new, "old": args.old, "seconds": args.seconds, "iterations": args.iterations,
             "workers": args.workers, "seed": args.seed}
    differ = {k: (settings.get(k), v) for k, v in asked.items() if settings.get(k) != v}
    if differ:
        sys.exit(f"--eval-only: {args.out} was trained with other settings (recorded, asked): {differ}")
    runs = previous.get("runs") or {}
    missing = [spec for spec in (args.new, args.old)
               if not (Path((runs.get(spec) or {}).get("logdir", "")) / "blueprint.npz").is_file()]
    if missing:
        sys.exit(f"--eval-only: the runs of {missing} recorded in {args.out} are gone; train them again")
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--new", default="quick", help="bucket spec measured (default quick)")
    parser.add_argument("--old", default="quick-legacy", help="bucket spec compared against (default quick-legacy)")
    parser.add_argument("--seconds", type=float, default=ACCEPTANCE_SECONDS, help="training seconds per blueprint")
    parser.add_argument("--iterations", type=int, default=None,
                        help="train for this many iterations instead of seconds (equal compute on a noisy machine)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="training and eval workers")
    parser.add_argument("--hands", type=int, default=1_000_000,
                        help="head-to-head hands (300,000 gave a 95%% interval of +-48 mbb/hand here)")
    parser.add_argument("--lbr-hands", type=int, default=20_000, help="hands of LBR against each blueprint")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=Path, default=RUNS, help="where the two training runs go")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--eval-only", action="store_true",
                        help="play the two blueprints that --out records (trained by an earlier run of the same "
                             "--new, --old and settings) again, e.g. with more hands, instead of training new ones")
    args = parser.parse_args()

    specs = [args.new, args.old]
    budget = f"{args.seconds:.0f} s" if args.iterations is None else f"{args.iterations:,} iterations"
    if args.eval_only:
        runs = recorded_runs(args)
    else:
        for spec in specs:
            print(f"bucket file for {spec}: {ensure_buckets(spec)}", flush=True)
        runs = {}
        for spec in specs:
            print(f"training on {spec} for {budget} with {args.workers} worker(s)", flush=True)
            runs[spec] = train_blueprint(spec, args.seconds, args.iterations, args.workers, args.seed,
                                         args.runs / Path(spec).stem)
    args.runs.mkdir(parents=True, exist_ok=True)
    report = holdem_eval(runs[args.new]["logdir"], runs[args.old]["logdir"], args.hands, args.seed, args.workers,
                         args.runs / "head_to_head.json")
    low, high = report["ci95"]
    results: dict[str, Any] = {
        "settings": {"new": args.new, "old": args.old, "seconds": args.seconds, "iterations": args.iterations,
                     "workers": args.workers,
                     "seed": args.seed, "config": "configs/quickstart.yaml", "hands": args.hands},
        "machine": {"cpus": os.cpu_count(), "load_avg": list(os.getloadavg())},
        "partial": args.iterations is not None or args.seconds < ACCEPTANCE_SECONDS,
        "runs": runs,
        "head_to_head": {"hero": args.new, "opponent": args.old, "mbb_per_hand": report["mbb_per_hand"],
                         "ci95": [low, high], "hands": report["hands"], "new_wins": low > 0},
        "lbr": lbr_figures(runs, args.lbr_hands, args.seed, args.workers, args.runs),
    }
    if results["partial"]:
        results["note"] = (f"partial: {budget} of training per blueprint, not the {ACCEPTANCE_SECONDS} s of "
                           "the acceptance test")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
