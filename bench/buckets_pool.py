"""Blueprint strength over several trainings per bucket spec: every new blueprint against every old one.

One training per spec is not enough at 600 s: three trainings of ``quick`` gave LBR 1,422, 1,508 and 1,536
mbb/hand, a spread wider than one training's interval. This benchmark takes the trainings earlier
``bench.buckets_strength`` runs recorded (``--recorded FILE ...``, whose blueprints must still be on disk),
trains more of the new spec (``--seeds``), plays every new blueprint against every old one head to head, and
takes LBR against each training (reusing a recorded LBR figure of the same hands). The new spec beats the old
only if every pair's 95% interval lies above zero and LBR wins less against it on average.

    python -m bench.buckets_pool --new quick-bands --old quick --seeds 1,2 \\
        --recorded bench/results/buckets_strength.json bench/results/buckets_strength_seed2.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.buckets_strength import ACCEPTANCE_SECONDS, ensure_buckets, holdem_eval, lbr_figure, train_blueprint

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "buckets_pool"


def recorded_trainings(files: list[Path], specs: tuple[str, str], seconds: float, workers: int, lbr_hands: int
                       ) -> dict[str, dict[str, Any]]:
    """The trainings of ``specs`` that earlier result files record (same seconds and workers), by label
    ``spec/file``; each with its LBR figure when it was taken over ``lbr_hands``. Exits naming a file that
    cannot be read or a blueprint that is gone."""
    out: dict[str, dict[str, Any]] = {}
    for path in files:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            sys.exit(f"--recorded: cannot read {path}: {exc}")
        settings = data.get("settings") or {}
        if settings.get("seconds") != seconds or settings.get("workers") != workers or settings.get("iterations"):
            sys.exit(f"--recorded: {path} trained {settings.get('seconds')} s x {settings.get('workers')} workers, "
                     f"not {seconds} s x {workers}")
        for spec, run in (data.get("runs") or {}).items():
            if spec not in specs:
                continue
            if not (Path(run.get("logdir", "")) / "blueprint.npz").is_file():
                sys.exit(f"--recorded: the {spec} blueprint {path} records ({run.get('logdir')}) is gone")
            lbr = (data.get("lbr") or {}).get(spec)
            out[f"{spec}/{path.stem}"] = {**run, "seed": settings.get("seed"), "source": str(path),
                                          "lbr": lbr if lbr and lbr.get("hands") == lbr_hands else None}
    return out


def summarize(trainings: dict[str, dict[str, Any]], pairs: list[dict[str, Any]], new: str, old: str
              ) -> dict[str, Any]:
    """Over every pair and training: the mean head-to-head result, whether every pair's interval is above
    zero, and LBR's mean win against each spec."""
    lbr = {spec: [t["lbr"]["lbr_wins_mbb_per_hand"] for t in trainings.values() if t["spec"] == spec and t["lbr"]]
           for spec in (new, old)}
    mean_lbr = {spec: statistics.fmean(v) if v else None for spec, v in lbr.items()}
    return {
        "pairs": len(pairs),
        "mean_mbb_per_hand": statistics.fmean(p["mbb_per_hand"] for p in pairs) if pairs else None,
        "pairs_above_zero": sum(p["ci95"][0] > 0 for p in pairs),
        "pairs_below_zero": sum(p["ci95"][1] < 0 for p in pairs),
        "every_pair_above_zero": bool(pairs) and all(p["ci95"][0] > 0 for p in pairs),
        "lbr_trainings": {spec: len(v) for spec, v in lbr.items()},
        "lbr_mean_wins": mean_lbr,
        "lbr_lower_against_new": None if None in mean_lbr.values() else mean_lbr[new] < mean_lbr[old],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--new", default="quick", help="bucket spec measured")
    parser.add_argument("--old", default="quick-legacy", help="bucket spec compared against")
    parser.add_argument("--seeds", default="", help="train the new spec once per seed, comma-separated")
    parser.add_argument("--recorded", type=Path, nargs="*", default=[],
                        help="bench.buckets_strength result files whose trainings of either spec join the pool")
    parser.add_argument("--seconds", type=float, default=ACCEPTANCE_SECONDS, help="training seconds per blueprint")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="training and eval workers")
    parser.add_argument("--hands", type=int, default=20_000_000, help="head-to-head hands per pair")
    parser.add_argument("--lbr-hands", type=int, default=1_000_000, help="hands of LBR against each blueprint")
    parser.add_argument("--eval-seed", type=int, default=3, help="deals of every head-to-head match and LBR run")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where new trainings and eval reports go")
    parser.add_argument("--out", type=Path, default=None,
                        help="result file (default bench/results/buckets_pool_<new>.json)")
    args = parser.parse_args()
    out_path = args.out or ROOT / "bench" / "results" / f"buckets_pool_{Path(args.new).stem}.json"
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]

    trainings = recorded_trainings(args.recorded, (args.new, args.old), args.seconds, args.workers, args.lbr_hands)
    if seeds:
        print(f"bucket file for {args.new}: {ensure_buckets(args.new)}", flush=True)
    for seed in seeds:
        label = f"{args.new}/seed{seed}"
        print(f"training {label} for {args.seconds:.0f} s with {args.workers} worker(s)", flush=True)
        logdir = args.runs / f"{Path(args.new).stem}-{seed}"
        run = train_blueprint(args.new, args.seconds, None, args.workers, seed, logdir)
        trainings[label] = {**run, "seed": seed, "source": "trained here", "lbr": None}
    news = [label for label, t in trainings.items() if t["spec"] == args.new]
    olds = [label for label, t in trainings.items() if t["spec"] == args.old]
    if not news or not olds:
        sys.exit(f"need at least one training of each spec: {args.new} has {len(news)}, {args.old} {len(olds)}")

    args.runs.mkdir(parents=True, exist_ok=True)
    pairs = []
    for i, hero in enumerate(news):
        for j, villain in enumerate(olds):
            report = holdem_eval(trainings[hero]["logdir"], trainings[villain]["logdir"], args.hands, args.eval_seed,
                                 args.workers, args.runs / f"h2h-{i}-{j}.json")
            pairs.append({"new": hero, "old": villain, "mbb_per_hand": report["mbb_per_hand"],
                          "ci95": list(report["ci95"]), "hands": report["hands"]})
    for label, training in trainings.items():
        if training["lbr"] is None:
            training["lbr"] = lbr_figure(training["logdir"], args.lbr_hands, args.eval_seed, args.workers,
                                         args.runs / f"lbr-{label.replace('/', '-')}.json")

    results = {
        "settings": {"new": args.new, "old": args.old, "seconds": args.seconds, "workers": args.workers,
                     "hands": args.hands, "lbr_hands": args.lbr_hands, "eval_seed": args.eval_seed,
                     "config": "configs/quickstart.yaml"},
        "machine": {"cpus": os.cpu_count(), "load_avg": list(os.getloadavg())},
        "trainings": trainings,
        "pairs": pairs,
        "summary": summarize(trainings, pairs, args.new, args.old),
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results["summary"], indent=1))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
