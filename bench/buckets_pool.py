"""Blueprint strength over several trainings per bucket spec: every new blueprint against every old one.

One training per spec is not enough at 600 s: three trainings of ``quick`` gave LBR 1,422, 1,508 and 1,536
mbb/hand, a spread wider than one training's interval. This benchmark takes the trainings earlier
``bench.buckets_strength`` runs recorded (``--recorded FILE ...``, whose blueprints must still be on disk),
trains more of the new spec (``--seeds``), plays every new blueprint against every old one head to head, and
takes LBR against each training (reusing a recorded LBR figure of the same hands). An earlier result of this
benchmark can be recorded too: its trainings join the pool and its pairs played over the same hands and deals
are not played again, so a pool grows by a seed at a time. The new spec beats the old only if every pair's 95%
interval lies above zero and LBR wins less against it on average.

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


def read_recorded(files: list[Path], seconds: float, workers: int) -> list[tuple[Path, dict[str, Any]]]:
    """The recorded result files, each read once; exits naming one that is unreadable or trained to another
    budget."""
    out = []
    for path in files:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            sys.exit(f"--recorded: cannot read {path}: {exc}")
        settings = data.get("settings") or {}
        if settings.get("seconds") != seconds or settings.get("workers") != workers or settings.get("iterations"):
            sys.exit(f"--recorded: {path} trained {settings.get('seconds')} s x {settings.get('workers')} workers, "
                     f"not {seconds} s x {workers}")
        out.append((path, data))
    return out


def recorded_trainings(recorded: list[tuple[Path, dict[str, Any]]], specs: tuple[str, str], lbr_hands: int,
                       renamed: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The trainings of ``specs`` that earlier result files (:func:`read_recorded`) record, once per logdir:
    from a ``bench.buckets_strength`` file by label ``spec/file``, from an earlier pool by its own label; each
    with its LBR figure when it was taken over ``lbr_hands``. A spec recorded under a name ``renamed`` maps to
    another (``quick`` before it became ``quick-legacy``) counts as that one. Exits naming a blueprint that is
    gone."""
    renamed = renamed or {}
    out: dict[str, dict[str, Any]] = {}
    for path, data in recorded:
        settings = data["settings"]
        if "trainings" in data:
            lbr_taken = settings.get("lbr_hands")
            runs = {label: {**run, "lbr": run.get("lbr") if lbr_taken == lbr_hands else None}
                    for label, run in data["trainings"].items()}
        else:
            runs = {}
            for spec, run in (data.get("runs") or {}).items():
                lbr = (data.get("lbr") or {}).get(spec)
                runs[f"{spec}/{path.stem}"] = {**run, "seed": settings.get("seed"), "source": str(path),
                                               "lbr": lbr if lbr and lbr.get("hands") == lbr_hands else None}
        taken = {run["logdir"] for run in out.values()}
        for label, run in runs.items():
            if run.get("spec") in renamed:
                spec = renamed[run["spec"]]
                label, run = f"{spec}/{label.partition('/')[2]}", {**run, "spec": spec, "recorded_as": run["spec"]}
            if run.get("spec") not in specs or run.get("logdir") in taken:
                continue
            if not (Path(run.get("logdir", "")) / "blueprint.npz").is_file():
                sys.exit(f"--recorded: the {run['spec']} blueprint {path} records ({run.get('logdir')}) is gone")
            out[label] = run
    return out


def recorded_pairs(recorded: list[tuple[Path, dict[str, Any]]], hands: int, eval_seed: int
                   ) -> dict[tuple[str, str], dict[str, Any]]:
    """The head-to-head pairs earlier pools played over ``hands`` hands of the deals ``eval_seed``, by the
    logdirs of their (new, old) blueprints."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for _, data in recorded:
        settings = data["settings"]
        if "trainings" not in data or settings.get("hands") != hands or settings.get("eval_seed") != eval_seed:
            continue
        logdir = {label: run["logdir"] for label, run in data["trainings"].items()}
        for pair in data.get("pairs") or []:
            out[(logdir[pair["new"]], logdir[pair["old"]])] = pair
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
                        help="bench.buckets_strength or earlier bench.buckets_pool result files whose trainings of "
                             "either spec join the pool")
    parser.add_argument("--seconds", type=float, default=ACCEPTANCE_SECONDS, help="training seconds per blueprint")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="training and eval workers")
    parser.add_argument("--hands", type=int, default=20_000_000, help="head-to-head hands per pair")
    parser.add_argument("--lbr-hands", type=int, default=1_000_000, help="hands of LBR against each blueprint")
    parser.add_argument("--eval-seed", type=int, default=3, help="deals of every head-to-head match and LBR run")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where new trainings and eval reports go")
    parser.add_argument("--out", type=Path, default=None,
                        help="result file (default bench/results/buckets_pool_<new>.json)")
    parser.add_argument("--renamed", action="append", default=[], metavar="RECORDED=SPEC",
                        help="recorded trainings of spec RECORDED count as SPEC (a spec renamed since), repeatable")
    args = parser.parse_args()
    renamed = dict(item.split("=", 1) for item in args.renamed if "=" in item)
    if len(renamed) != len(args.renamed):
        sys.exit("--renamed takes RECORDED=SPEC, for example quick=quick-legacy")
    out_path = args.out or ROOT / "bench" / "results" / f"buckets_pool_{Path(args.new).stem}.json"
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]

    recorded = read_recorded(args.recorded, args.seconds, args.workers)
    trainings = recorded_trainings(recorded, (args.new, args.old), args.lbr_hands, renamed)
    again = [seed for seed in seeds if f"{args.new}/seed{seed}" in trainings]
    if again:
        sys.exit(f"--seeds: {args.new} was already trained with seed {again[0]} in a recorded pool")
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
    played = recorded_pairs(recorded, args.hands, args.eval_seed)
    pairs = []
    for i, hero in enumerate(news):
        for j, villain in enumerate(olds):
            earlier = played.get((trainings[hero]["logdir"], trainings[villain]["logdir"]))
            if earlier is not None:
                pairs.append({**earlier, "new": hero, "old": villain})
                continue
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
                     "renamed": renamed, "config": "configs/quickstart.yaml"},
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
