"""Regenerate ``BENCHMARKS.md`` from ``bench/results/*.json`` only: one table per area, no hand-edited figures.

    python -m bench.report [--results DIR] [--out FILE]

Each table row is a figure of ours, the reference measured in the same run (when the benchmark has one), the
goal and whether it is met. A benchmark whose JSON has top-level ``goals`` and ``measured`` mappings (and
optionally ``met`` and ``reference``) gets a table without code here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report_cells import Row, fmt, get
from bench.report_domain import (
    abstraction_rows,
    acpc_rows,
    buckets_pool_rows,
    buckets_rows,
    buckets_strength_rows,
    compact_rows,
    eval_rows,
    evaluator_rows,
    lbr_rows,
    mccfr_rows,
    policy_rows,
)
from bench.report_runs import (
    capacity_rows,
    cluster_rows,
    kernel_sharing_rows,
    kernel_span_rows,
    loop_wake_rows,
    orchestrator_rows,
    ray_rows,
    scaling_rows,
    training_rows,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "BENCHMARKS.md"


# ---- areas ------------------------------------------------------------------------------------------------------


def generic_rows(d: dict[str, Any]) -> list[Row]:
    """Rows from top-level ``goals``/``measured``/``met``/``reference`` mappings."""
    goals, measured = d.get("goals") or {}, d.get("measured") or {}
    met, reference = d.get("met") or {}, d.get("reference") or {}
    rows: list[Row] = []
    for key in dict.fromkeys([*measured, *goals]):
        value = measured.get(key)
        if not isinstance(value, dict):
            rows.append((key, value, reference.get(key), goals.get(key), met.get(key)))
            continue
        for part, part_value in value.items():
            pick = [x.get(part) if isinstance(x, dict) else x for x in (reference.get(key), goals.get(key),
                                                                        met.get(key))]
            rows.append((f"{key} ({part})", part_value, *pick))
    return rows


@dataclass(frozen=True)
class Area:
    title: str
    name: str
    script: str
    rows: Callable[[dict[str, Any]], list[Row]]


AREAS = [
    Area("Hand evaluator", "evaluator", "python -m bench.evaluator", evaluator_rows),
    Area("Abstraction: betting trees", "abstraction", "python -m bench.abstraction", abstraction_rows),
    Area("Card buckets", "buckets", "python -m bench.buckets", buckets_rows),
    Area("Card buckets: quick (run as quick-b25) against quick-legacy at equal compute, every training against "
         "every other (seeds 1, 3, 4, 5 and 6 of each)", "buckets_pool_quick",
         "python -m bench.buckets_pool --new quick-b25 --old quick-legacy --renamed quick=quick-legacy --workers 2 "
         "--recorded bench/results/buckets_pool_quick-b25.json bench/results/buckets_strength_quick_seed5.json "
         "bench/results/buckets_strength_quick_seed6.json --out bench/results/buckets_pool_quick.json",
         buckets_pool_rows),
    Area("Card buckets: quick (run as quick-b25) against quick-legacy trained beside it (seed 6)",
         "buckets_strength_quick_seed6",
         "python -m bench.buckets_strength --new quick-b25 --old quick-legacy --seed 6 --seconds 600 --workers 2 "
         "--hands 20000000 --lbr-hands 1000000 --out bench/results/buckets_strength_quick_seed6.json",
         buckets_strength_rows),
    Area("Card buckets: quick (run as quick-b25) against quick-legacy trained beside it (seed 5)",
         "buckets_strength_quick_seed5",
         "python -m bench.buckets_strength --new quick-b25 --old quick-legacy --seed 5 --seconds 600 --workers 2 "
         "--hands 20000000 --lbr-hands 1000000 --out bench/results/buckets_strength_quick_seed5.json",
         buckets_strength_rows),
    Area("Card buckets: quick-r100 (run as quick-split) against quick-legacy (run as quick) at "
         "equal compute", "buckets_strength_quick_split",
         "python -m bench.buckets_strength --new quick-split --old quick --seconds 600 --workers 2 --hands 20000000 "
         "--lbr-hands 1000000 --out bench/results/buckets_strength_quick_split.json", buckets_strength_rows),
    Area("Card buckets: quick-r100 (run as quick-split) against quick-legacy (run as quick), a second "
         "training (seed 2; not equal compute: another process took CPU during the new spec's first ~400 s, so it "
         "trained 49 M iterations against 72 M)", "buckets_strength_quick_split_seed2",
         "python -m bench.buckets_strength --new quick-split --old quick --seed 2 --seconds 600 --workers 2 "
         "--hands 20000000 --lbr-hands 1000000 --out bench/results/buckets_strength_quick_split_seed2.json",
         buckets_strength_rows),
    Area("Card buckets: quick-r100 (run as quick-split) against quick-legacy (run as quick), a third "
         "training (seed 3)", "buckets_strength_quick_split_seed3",
         "python -m bench.buckets_strength --new quick-split --old quick --seed 3 --seconds 600 --workers 2 "
         "--hands 20000000 --lbr-hands 1000000 --out bench/results/buckets_strength_quick_split_seed3.json",
         buckets_strength_rows),
    Area("Card buckets: quick-r100 (run as quick) against quick-legacy, a fourth training (seed 4)",
         "buckets_strength_quick_split_seed4",
         "python -m bench.buckets_strength --new quick-r100 --old quick-legacy --seed 4 --seconds 600 --workers 2 "
         "--hands 20000000 --lbr-hands 1000000 --out bench/results/buckets_strength_quick_split_seed4.json",
         buckets_strength_rows),
    Area("Card buckets: quick-r100 (run as quick-split) against quick-legacy (run as quick), every "
         "training against every other", "buckets_pool_quick-split",
         "python -m bench.buckets_pool --new quick-split --old quick --workers 2 --recorded "
         "bench/results/buckets_strength_quick_split.json bench/results/buckets_strength_quick_split_seed2.json",
         buckets_pool_rows),
    Area("Card buckets: quick-r100 (run as quick-split) against quick-legacy (run as quick), every "
         "equal-compute training (seeds 1, 3 and 4) against every other, on other deals (seed 4's result file with its "
         "specs named as in the earlier ones)", "buckets_pool_quick-split_seeds134",
         "python -m bench.buckets_pool --new quick-split --old quick --workers 2 --recorded "
         "bench/results/buckets_strength_quick_split.json bench/results/buckets_strength_quick_split_seed3.json "
         "SEED4.json --out bench/results/buckets_pool_quick-split_seeds134.json (SEED4.json: "
         "buckets_strength_quick_split_seed4.json with its specs renamed quick-split and quick)", buckets_pool_rows),
    Area("Card buckets: quick (run as quick-b25), three trainings against the three equal-compute quick-legacy "
         "ones (run as quick)",
         "buckets_pool_quick-b25",
         "python -m bench.buckets_pool --new quick-b25 --old quick --seeds 1 --workers 2 --recorded "
         "bench/results/buckets_strength_quick_split.json bench/results/buckets_strength_quick_split_seed3.json "
         "SEED4.json --out bench/results/buckets_pool_quick-b25.json (SEED4.json as above), then grown with --seeds "
         "3,4 --recorded bench/results/buckets_pool_quick-b25.json", buckets_pool_rows),
    Area("Card buckets: blueprint strength at equal compute (quick-pa against quick-legacy, run as quick)",
         "buckets_strength", "python -m bench.buckets_strength --new quick-pa --old quick-legacy",
         buckets_strength_rows),
    Area("Card buckets: blueprint strength at equal compute, a second training (seed 2)", "buckets_strength_seed2",
         "python -m bench.buckets_strength --new quick-pa --old quick-legacy --seed 2 --seconds 600 --workers 2 "
         "--hands 20000000 --lbr-hands 1000000 "
         "--out bench/results/buckets_strength_seed2.json", buckets_strength_rows),
    Area("Card buckets: the banded OCHS river against quick over several trainings", "buckets_pool_quick-bands",
         "python -m bench.buckets_pool --new quick-bands --old quick --seeds 1,2 --workers 2 --recorded "
         "bench/results/buckets_strength.json bench/results/buckets_strength_seed2.json "
         "bench/results/buckets_strength_quick_ochs.json", buckets_pool_rows),
    Area("Card buckets: quick-pa against quick over several trainings", "buckets_pool_quick-pa",
         "python -m bench.buckets_pool --new quick-pa --old quick --workers 2 --recorded "
         "bench/results/buckets_strength.json bench/results/buckets_strength_seed2.json "
         "bench/results/buckets_strength_quick_ochs.json", buckets_pool_rows),
    Area("Card buckets: the OCHS river against quick at equal compute", "buckets_strength_quick_ochs",
         "python -m bench.buckets_strength --new quick-ochs --seconds 600 --workers 2 --hands 20000000 "
         "--lbr-hands 1000000 --out bench/results/buckets_strength_quick_ochs.json",
         buckets_strength_rows),
    Area("Card buckets: large (200 per postflop street) against quick at equal compute", "buckets_strength_large",
         "python -m bench.buckets_strength --new large --old quick --out bench/results/buckets_strength_large.json, "
         "then the same with --eval-only --hands 20000000 --lbr-hands 300000", buckets_strength_rows),
    Area("MCCFR kernels", "mccfr", "python -m bench.mccfr", mccfr_rows),
    Area("Orchestrator", "orchestrator", "python -m bench.orchestrator", orchestrator_rows),
    Area("Training as users run it", "training", "python -m bench.training", training_rows),
    Area("Training as users run it: the 5-hour config again, with the kernel's packing as a reference",
         "training_seed", "python -m bench.training --games seed --repeat 3 --out bench/results/training_seed.json",
         training_rows),
    Area("Supervisor capacity (replay workers)", "capacity", "python -m bench.capacity", capacity_rows),
    Area("The bare kernel alone and two at once (what sharing the machine costs)", "kernel_sharing",
         "python -m bench.kernel_sharing", kernel_sharing_rows),
    Area("The bare kernel against the iterations between packs (where per-core efficiency goes)", "kernel_span",
         "python -m bench.kernel_span", kernel_span_rows),
    Area("One wake of an idle event loop (the floor under the supervisor's cost per result)", "loop_wake",
         "python -m bench.loop_wake", loop_wake_rows),
    Area("Scaling and CPU flatness against a queue-polling pool", "scaling", "python -m bench.scaling",
         scaling_rows),
    Area("Evaluation (holdem eval)", "eval", "python -m bench.eval", eval_rows),
    Area("Local best response against published anchors", "eval", "python -m bench.eval", lbr_rows),
    Area("Using a blueprint: load, query, compact files", "policy", "python -m bench.policy", policy_rows),
    Area("Seated at the ACPC dealer (holdem acpc)", "acpc", "python -m bench.acpc", acpc_rows),
    Area("Ray backend against the local one", "ray", "python -m bench.ray", ray_rows),
    Area("Compact regret tables", "compact", "python -m bench.compact", compact_rows),
    Area("Cluster sizing from measured per-batch figures (docs/cluster.md)", "cluster",
         "python -m bench.cluster --capacity FILE", cluster_rows),
]


# ---- rendering --------------------------------------------------------------------------------------------------

def load_avg(d: dict[str, Any]) -> Any:
    for path in ("machine.load_avg", "machine.load_average", "machine.load_avg_start", "machine.load_avg_end",
                 "load_avg", "load_average"):
        value = get(d, path)
        if value is not None:
            return value
    return None


def render_area(area: Area, results: Path) -> list[str]:
    """Markdown lines of one area: its table, or a line saying its JSON is missing or unreadable."""
    path = results / f"{area.name}.json"
    lines = [f"## {area.title}", ""]
    if not path.is_file():
        return lines + [f"_`{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}` is missing: run "
                        f"`{area.script}`._", ""]
    try:
        data = json.loads(path.read_text())
        rows = area.rows(data)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        return lines + [f"_`{path.name}` could not be read: {type(exc).__name__}: {exc}._", ""]
    source = f"From `{path.name}` (`{area.script}`)"
    load = load_avg(data)
    if load is not None:
        source += f"; load average at the time {', '.join(f'{x:.1f}' for x in load)} on " \
                  f"{get(data, 'machine.cpus', '?')} cores"
    lines.append(source + ".")
    if data.get("note"):
        lines.append(f"Note: {data['note']}")
    lines.append("")
    if not rows:
        return lines + ["_No figures with a known layout in this file._", ""]
    lines += ["| figure | ours | reference (same run) | goal | met |", "|---|---:|---:|---|---|"]
    for name, ours, ref, goal, met in rows:
        verdict = "" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {name} | {fmt(ours)} | {'' if ref is None else fmt(ref)} | {'' if goal is None else goal} "
                     f"| {verdict} |")
    lines.append("")
    for plot in data.get("plots") or []:
        plot_path = Path(plot)
        lines += [f"![{plot_path.stem.replace('_', ' ')}]({plot_path.as_posix()})", ""]
    return lines


def render(results: Path) -> str:
    """The whole of BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/report.py` from `bench/results/*.json` (`make bench` runs every",
        "benchmark, then this). Do not edit by hand. Measured on a shared 2-core machine: other jobs compete for",
        "the cores, so read wall-clock figures as noisy and compare each with the reference measured in the same",
        "run.",
        "",
    ]
    for area in AREAS:
        lines += render_area(area, results)
    known = {a.name for a in AREAS}
    extra = sorted(p for p in results.glob("*.json") if p.stem not in known)
    for path in extra:
        lines += render_area(Area(path.stem, path.stem, f"python -m bench.{path.stem}", generic_rows), results)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make_benchmarks_md", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        print(f"error: {args.results} is not a directory", file=sys.stderr)
        return 2
    args.out.write_text(render(args.results))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
