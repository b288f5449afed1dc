"""Regenerate ``BENCHMARKS.md`` from ``bench/results/*.json`` only: one table per area, no hand-edited figures.

    python -m bench.report [--results DIR] [--out FILE]

Each table row is a figure of ours, the reference measured in the same run (when the benchmark has one), the
goal and whether it is met. A benchmark whose JSON has top-level ``goals`` and ``measured`` mappings (and
optionally ``met`` and ``reference``) gets a table without code here.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "BENCHMARKS.md"

Row = tuple[str, Any, Any, Any, Any]


def get(data: Any, path: str, default: Any = None) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``default`` when any step is missing."""
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def fmt(value: Any) -> str:
    """A table cell: thousands separators, three significant digits for small floats, n/a for missing."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def at_least(value: Any, goal: Any) -> bool | None:
    return None if value is None or goal is None else value >= goal


def below(value: Any, goal: Any) -> bool | None:
    return None if value is None or goal is None else value < goal


# ---- areas ------------------------------------------------------------------------------------------------------

def evaluator_rows(d: dict[str, Any]) -> list[Row]:
    goal = d.get("goal_evals_per_s_per_core")
    batch = d.get("batch_evals_per_s")
    return [
        ("7-card evals/s, one core (batch API)", batch, get(d, "eval7_python.evals_per_s"), f">= {fmt(goal)}",
         at_least(batch, goal)),
        ("7-card evals/s, one core (numba scalar loop)", d.get("numba_scalar_loop_evals_per_s"), None,
         f">= {fmt(goal)}", at_least(d.get("numba_scalar_loop_evals_per_s"), goal)),
        ("all 133,784,560 7-card hands: class counts match", get(d, "exhaustive_7card.matches_expected"), None,
         "exact", get(d, "exhaustive_7card.matches_expected")),
    ]


def abstraction_rows(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, tree in (d.get("trees") or {}).items():
        rows.append((f"{name}: tree build s ({fmt(tree.get('num_nodes'))} nodes, "
                     f"{fmt(tree.get('projected_table_bytes'))} table bytes)", tree.get("build_seconds"), None,
                     None, None))
    return rows


def buckets_rows(d: dict[str, Any]) -> list[Row]:
    goal = d.get("goal_lookups_per_s_per_core")
    build_goals = {"quick": 120, "mid": 600, "quick-pa": 120, "mid-pa": 600}
    rows: list[Row] = []
    for spec, streets in (d.get("lookups") or {}).items():
        for street, r in streets.items():
            rate = r.get("lookups_per_s_cpu")
            how = f"deals looked up {r.get('keys_ahead', 2)} ahead" if r.get("dealt_ahead") else "one deal at a time"
            single = r.get("single_deal_lookups_per_s_cpu")
            if street == "deal":
                rows.append((f"{spec}: bucket lookups/s per core over every street of a deal as the kernels do, {how} "
                             "(reference: one deal at a time)", rate, single, None, None))
                continue
            rows.append((f"{spec} {street}: bucket lookups/s per core, both seats of a deal as the kernels do, {how} "
                         "(reference: one deal at a time)", rate, single, f">= {fmt(goal)}", at_least(rate, goal)))
    for spec, b in (d.get("build") or {}).items():
        limit = build_goals.get(spec)
        wall = b.get("seconds_wall")
        rows.append((f"build {spec} buckets on {get(d, 'machine.cpus', '?')} cores, s wall (reference: CPU s)", wall,
                     b.get("seconds_cpu"), None if limit is None else f"<= {limit}",
                     None if limit is None or wall is None else wall <= limit))
        rows.append((f"build {spec} buckets projected on 64 cores, s (serial parts kept, the rest / 64)",
                     b.get("projected_64_cores_s"), None, None, None))
        rows.append((f"{spec} bucket tables, bytes", b.get("table_bytes"), None, None, None))
    return rows


def buckets_strength_rows(d: dict[str, Any]) -> list[Row]:
    s = d.get("settings") or {}
    new, old = s.get("new", "new"), s.get("old", "old")
    h2h = d.get("head_to_head") or {}
    low, high = (h2h.get("ci95") or [None, None])[:2]
    rows: list[Row] = [
        (f"{new} over {old} blueprint, {fmt(s.get('seconds'))} s x {fmt(s.get('workers'))} workers each: mbb/hand "
         f"over {fmt(h2h.get('hands'))} hands (reference: 95% interval low end)", h2h.get("mbb_per_hand"), low,
         "interval above 0", None if low is None else low > 0),
        (f"{new} over {old}: 95% interval high end", high, None, None, None),
    ]
    for spec in (new, old):
        run = (d.get("runs") or {}).get(spec) or {}
        rows.append((f"{spec} blueprint: training iterations", run.get("iterations"), None, None, None))
    lbr = d.get("lbr") or {}
    new_lbr, old_lbr = lbr.get(new) or {}, lbr.get(old) or {}
    lbr_new, lbr_old = new_lbr.get("lbr_wins_mbb_per_hand"), old_lbr.get("lbr_wins_mbb_per_hand")
    if lbr_new is not None and lbr_old is not None:
        (nl, nh), (ol, oh) = new_lbr["ci95"], old_lbr["ci95"]
        rows.append((f"LBR wins against the {new} blueprint, mbb/hand over {fmt(new_lbr.get('hands'))} hands, 95% "
                     f"interval [{fmt(nl)}, {fmt(nh)}] (reference: against {old}, [{fmt(ol)}, {fmt(oh)}])", lbr_new,
                     lbr_old, f"< against {old}, intervals apart", nh < ol))
    return rows


def buckets_pool_rows(d: dict[str, Any]) -> list[Row]:
    s = d.get("settings") or {}
    new, old = s.get("new", "new"), s.get("old", "old")
    trainings = d.get("trainings") or {}
    summary = d.get("summary") or {}
    rows: list[Row] = []
    for pair in d.get("pairs") or []:
        low, high = pair["ci95"]
        rows.append((f"{pair['new']} over {pair['old']}: mbb/hand over {fmt(pair['hands'])} hands, 95% interval "
                     f"[{fmt(low)}, {fmt(high)}] (reference: iterations of the two)", pair["mbb_per_hand"],
                     f"{fmt(trainings.get(pair['new'], {}).get('iterations'))} / "
                     f"{fmt(trainings.get(pair['old'], {}).get('iterations'))}", "interval above 0", low > 0))
    rows.append((f"{new} over {old}, {fmt(s.get('seconds'))} s x {fmt(s.get('workers'))} workers each: mean over "
                 f"{fmt(summary.get('pairs'))} pairs, mbb/hand (reference: pairs whose interval is above 0 / below 0)",
                 summary.get("mean_mbb_per_hand"),
                 f"{fmt(summary.get('pairs_above_zero'))} / {fmt(summary.get('pairs_below_zero'))}",
                 "every pair above 0", summary.get("every_pair_above_zero")))
    for label, t in trainings.items():
        lbr = t.get("lbr") or {}
        if lbr:
            low, high = lbr["ci95"]
            rows.append((f"LBR wins against {label}, mbb/hand over {fmt(lbr.get('hands'))} hands, 95% interval "
                         f"[{fmt(low)}, {fmt(high)}]", lbr.get("lbr_wins_mbb_per_hand"), None, None, None))
    means = summary.get("lbr_mean_wins") or {}
    counts = summary.get("lbr_trainings") or {}
    rows.append((f"LBR wins against {new}, mean over {fmt(counts.get(new))} trainings (reference: against {old}, "
                 f"{fmt(counts.get(old))} trainings)", means.get(new), means.get(old), f"< against {old}",
                 summary.get("lbr_lower_against_new")))
    return rows


def mccfr_rows(d: dict[str, Any]) -> list[Row]:
    goals = d.get("goals") or {}
    rows: list[Row] = []
    spiel = {round(p["cpu_seconds"]): p for p in get(d, "openspiel.points", [])}
    for run in d.get("runs") or []:
        if run.get("game") != "leduc" or run.get("algorithm") != "external":
            continue
        for p in run.get("points") or []:
            mark = str(round(p["cpu_seconds"]))
            ref = spiel.get(round(p["cpu_seconds"]), {})
            goal = get(goals, f"leduc_exploitability.{mark}")
            rows.append((f"Leduc exploitability after {mark} CPU-s (reference: OpenSpiel C++ ES)",
                         p.get("exploitability"), ref.get("exploitability"), None if goal is None else f"< {goal}",
                         below(p.get("exploitability"), goal)))
        last = (run.get("points") or [{}])[-1]
        rows.append(("Leduc it/s, one core (reference: OpenSpiel C++ ES)", last.get("it_per_s"),
                     (list(spiel.values()) or [{}])[-1].get("it_per_s"), f">= {fmt(goals.get('leduc_it_per_s'))}",
                     at_least(last.get("it_per_s"), goals.get("leduc_it_per_s"))))
    visits = get(d, "hunl.node_visits_per_s")
    goal = goals.get("hunl_node_visits_per_s")
    rows.append(("HUNL quick node visits/s, one core", visits, None, f">= {fmt(goal)}", at_least(visits, goal)))
    return rows


def eval_rows(d: dict[str, Any]) -> list[Row]:
    goals = d.get("goals") or {}
    rows: list[Row] = []
    blueprint = get(d, "speed_blueprint.label")
    for pair, r in (d.get("speed") or {}).items():
        kind = r.get("kind")
        goal = goals.get(kind)
        cpu = get(r, "compiled.cpu")
        name = pair.replace("blueprint", f"blueprint {blueprint}", 1) if blueprint and kind != "baseline" else pair
        if kind == "lbr":
            rows.append((f"{name}: LBR hands/s per core, CPU time", cpu, None, f">= {fmt(goal)}", at_least(cpu, goal)))
            continue
        rows.append((f"{name}: hands/s per core, CPU time, compiled (reference: rules engine)", cpu,
                     get(r, "rules.cpu"), None if goal is None else f">= {fmt(goal)}", at_least(cpu, goal)))
    rows.append(("rules engine alone, check/call hands/s per core", get(d, "engine_alone_hands_per_s.cpu"), None,
                 None, None))
    label = get(d, "variance_blueprint.label")
    for pair, modes in (d.get("variance") or {}).items():
        for mode, v in modes.items():
            rows.append((f"{pair.replace('blueprint', f'blueprint {label}', 1)}: per-deal variance with {mode}, "
                         f"share of plain duplicate's over {fmt(v.get('hands'))} hands (reference: 1)",
                         v.get("variance_ratio"), 1.0, None, None))
    return rows


def lbr_rows(d: dict[str, Any]) -> list[Row]:
    """LBR's take in mbb/hand: ours with its 95% interval, the published figures as references."""
    lbr = d.get("lbr") or {}
    published = lbr.get("published_mbb_per_hand") or {}
    rows: list[Row] = []
    fold = lbr.get("always_fold") or {}
    if fold:
        rows.append((f"always-fold: {fold.get('lbr')} takes, mbb/hand over {fmt(fold.get('hands'))} hands "
                     "(reference: published)", fold.get("lbr_mbb_per_hand"), published.get("always-fold"), None, None))
    for r in lbr.get("rows") or []:
        low, high = r.get("ci95") or (None, None)
        rows.append((f"{r.get('label')}: {r.get('lbr')} takes, mbb/hand, 95% CI [{fmt(low)}, {fmt(high)}] over "
                     f"{fmt(r.get('hands'))} hands with AIVAT", r.get("lbr_mbb_per_hand"), None, None, None))
    for name, value in published.items():
        if name != "always-fold":
            rows.append((f"published: LBR's take from {name}, mbb/game (Lisý and Bowling 2017)", "", value, None,
                         None))
    return rows


def training_rows(d: dict[str, Any]) -> list[Row]:
    goals, measured, met = d.get("goals") or {}, d.get("measured") or {}, d.get("met") or {}
    results = d.get("results") or {}
    efficiency = measured.get("per_core_efficiency") or {}
    rows: list[Row] = []
    for name, r in results.items():
        cpu = r.get("worker_cpu_percent") or []
        label = f"{name} ({r.get('batch', 'auto')} batch)"
        final = r.get("kernel_node_visits_per_cpu_s_on_final_tables")
        kernel = final or r.get("kernel_node_visits_per_cpu_s_briefly_trained") \
            or get(d, f"kernel_node_visits_per_cpu_s.{r.get('game')}")
        tables = "on the run's final tables" if final else "on briefly trained tables"
        rows.append((f"{label}: node visits/s (reference: bare kernel per CPU-s {tables})", r.get("node_visits_per_s"),
                     kernel, None, None))
        rows.append((f"{label}: node visits per worker CPU-s", r.get("node_visits_per_worker_cpu_s"), None, None,
                     None))
        rows.append((f"{label}: each worker's CPU %, lowest", min(cpu) if cpu else None, None, None, None))
        split = r.get("worker_cpu_split")
        if split:
            parts = " / ".join(f"{part} {100 * share:.1f}%" for part, share in split.items())
            rows.append((f"{label}: where worker CPU went ({'/'.join(split)})", parts, None, None, None))
            rows.append((f"{label}: node visits per kernel CPU-s inside the run (reference: bare kernel, final "
                         "tables)", r.get("node_visits_per_kernel_cpu_s"), final, None, None))
        waits = r.get("worker_wait_share")
        if waits:
            rows.append((f"{label}: share of each worker's time waiting for a task / for an arena slot",
                         f"{100 * waits['task']:.1f}% / {100 * waits['slot']:.1f}%", None, None, None))
        if r.get("rounds"):
            spread = sorted(x["node_visits_per_s"] for x in r["rounds"])
            rows.append((f"{label}: node visits/s over {len(spread)} rounds, lowest to highest",
                         " / ".join(fmt(x) for x in spread), None, None, None))
            lowest = min(r["rounds"], key=lambda x: min(x["worker_cpu_percent"] or [0.0]))
            if lowest.get("host_steal_share") is not None:
                waits = lowest.get("worker_wait_share") or {}
                rows.append((f"{label}: the round with the lowest worker CPU: lowest worker's CPU %, the workers' "
                             "waits (task + slot), the host's steal of all cores",
                             f"{min(lowest['worker_cpu_percent']):.1f} / "
                             f"{100 * (waits.get('task', 0.0) + waits.get('slot', 0.0)):.1f}% / "
                             f"{100 * lowest['host_steal_share']:.1f}%", None, None, None))
        if name in efficiency:
            rows.append((f"{label}: node visits per worker CPU-s over the bare kernel's", efficiency[name], None,
                         f">= {goals.get('per_core_efficiency')}", at_least(efficiency[name],
                                                                           goals.get("per_core_efficiency"))))
        packed = r.get("kernel_with_pack_node_visits_per_cpu_s")
        if packed and final and r.get("node_visits_per_worker_cpu_s"):
            rows.append((f"{label}: the bare kernel with packing, {packed['iterations_per_pack']:,} iterations per "
                         "pack as in the run, node visits per CPU-s over the bare kernel's (the cost of packing "
                         "once per result; reference: the run over it)", round(packed["rate"] / final, 3),
                         round(r["node_visits_per_worker_cpu_s"] / packed["rate"], 3), None, None))
        if r.get("supervisor_cpu_ms_per_result") is not None:
            rows.append((f"{label}: supervisor CPU per merged result, ms (reference: merge alone)",
                         r["supervisor_cpu_ms_per_result"], r.get("merge_cpu_ms_per_result"),
                         f"<= {goals.get('supervisor_cpu_ms_per_result')}",
                         at_least(goals.get("supervisor_cpu_ms_per_result"), r["supervisor_cpu_ms_per_result"])))
            if r.get("frames_cpu_ms_per_result") is not None:
                rows.append((f"{label}: of that, the loop reading and handling frames, ms per result (reference: the "
                             "rest besides merges and discounts, ms per second: lag sampling, progress, timers)",
                             r["frames_cpu_ms_per_result"], r.get("supervisor_other_cpu_ms_per_s"), None, None))
            if r.get("discount_cpu_ms_per_s"):
                rows.append((f"{label}: of that, discounting the tables, ms per second", r["discount_cpu_ms_per_s"],
                             None, None, None))
            rows.append((f"{label}: batches per result", r.get("batches_per_result"), None, None, None))
        lag = (r.get("loop_lag_steady") or {}).get("p99_ms")
        if lag is not None:
            rows.append((f"{label}: loop lag p99, ms", lag, None, f"< {goals.get('loop_lag_p99_ms')}",
                         below(lag, goals.get("loop_lag_p99_ms"))))
    for game, value in (measured.get("speedup_2_vs_1") or {}).items():
        rows.append((f"{game}: node visits/s, 2 workers over 1 in-process", value, None,
                     f">= {goals.get('speedup_2_vs_1')}", get(met, f"speedup_2_vs_1.{game}")))
    for game, value in (measured.get("speedup_2_vs_1_same_tables") or {}).items():
        if value is not None:
            rows.append((f"{game}: the same, each over the bare kernel on the tables it ended with (median round)",
                         value, None, None, None))
    for game, value in (measured.get("speedup_2_vs_1_paired") or {}).items():
        if value is not None:
            rows.append((f"{game}: the same, round by round (each round's runs minutes apart; median)", value, None,
                         f">= {goals.get('speedup_2_vs_1')}", at_least(value, goals.get("speedup_2_vs_1"))))
    if measured.get("seed_speedup_batch_100_paired") is not None:
        value = measured["seed_speedup_batch_100_paired"]
        rows.append(("seed's command at --batch-size 100: 2 workers over 1 in-process, round by round (median)",
                     value, None, f">= {goals.get('speedup_2_vs_1')}", at_least(value, goals.get("speedup_2_vs_1"))))
    if measured.get("seed_speedup_batch_100_same_tables") is not None:
        rows.append(("seed's command at --batch-size 100: the same, each over the bare kernel on its final tables",
                     measured["seed_speedup_batch_100_same_tables"], None, None, None))
    if measured.get("seed_speedup_batch_100") is not None:
        rows.append(("seed's command at --batch-size 100: node visits/s, 2 workers over 1 in-process",
                     measured["seed_speedup_batch_100"], None, f">= {goals.get('speedup_2_vs_1')}",
                     at_least(measured["seed_speedup_batch_100"], goals.get("speedup_2_vs_1"))))
    for key, text in (("seed_two_inprocess_runs_vs_1", "two in-process trainings at once (independent processes, "
                                                       "the most two cores give two copies) over one alone"),
                      ("seed_two_inprocess_runs_vs_1_paired", "the same, round by round (median)"),
                      ("seed_supervisor_2_vs_two_inprocess_runs", "2 workers (auto) over those two trainings"),
                      ("seed_supervisor_2_vs_two_inprocess_runs_paired", "the same, round by round (median)")):
        if measured.get(key) is not None:
            rows.append((f"seed's command: {text}", measured[key], None, None, None))
    for key in ("worker_cpu_percent_batch_100", "worker_cpu_percent_auto"):
        if measured.get(key) is not None:
            rows.append((f"seed's command, {key.replace('_', ' ')}", measured[key], None, f">= {goals.get(key)}",
                         met.get(key)))
    if measured.get("checkpoint_loop_lag_p99_ms") is not None:
        rows.append(("loop lag p99 near checkpoints (every second), ms", measured["checkpoint_loop_lag_p99_ms"],
                     None, f"< {goals.get('checkpoint_loop_lag_p99_ms')}", met.get("checkpoint_loop_lag_p99_ms")))
    return rows


def capacity_rows(d: dict[str, Any]) -> list[Row]:
    goals = d.get("goals") or {}
    goal = goals.get("feedable_workers_quick")
    rows: list[Row] = []
    for spec, v in (d.get("specs") or {}).items():
        rate = get(v, "recording.real_frames_per_worker_per_s")
        for r in v.get("runs") or []:
            n = r.get("workers")
            if r.get("skipped"):
                rows.append((f"{spec}, {n} replay workers: not run ({r['skipped']})", None, None, None, None))
                continue
            if v.get("paced"):
                rows += [(f"{spec}, {n} replay workers: result length the pacer asked for at the end, s (reference: "
                          "its merge budget, cores)", get(r, "pacer.result_seconds"), get(r, "pacer.budget"), None,
                          None),
                         (f"{spec}, {n} replay workers: kernel seconds in the results sent, mean",
                          r.get("result_seconds_sent"), None, None, None),
                         (f"{spec}, {n} replay workers: pacer settled (unchanged 6 s) before the window",
                          get(r, "pacer.settled"), None, None, None)]
            rows += [
                (f"{spec}, {n} replay workers: merged results/s (reference: offered)", r.get("frames_per_s_merged"),
                 r.get("frames_per_s_offered"), None, None),
                (f"{spec}, {n} replay workers: supervisor CPU per result, ms (reference: merge alone)",
                 r.get("supervisor_cpu_ms_per_frame"), r.get("merge_cpu_ms_per_frame"),
                 f"<= {goals.get('supervisor_cpu_ms_per_result')}",
                 at_least(goals.get("supervisor_cpu_ms_per_result"), r.get("supervisor_cpu_ms_per_frame"))),
                (f"{spec}, {n} replay workers: loop lag p99, ms", r.get("loop_lag_p99_ms"), None, None, None),
                (f"{spec}, {n} replay workers: share of time they waited (for a task or a slot)",
                 r.get("wait_share", r.get("late_share")), None, None, None),
            ]
            if v.get("workers_commit"):
                rows.append((f"{spec}, {n} replay workers: results committed by workers (reference: wall ms per "
                             "commit, turn to answer)", r.get("frames_committed_by_workers"),
                             r.get("commit_wall_ms_per_frame"), None, None))
            if "fed" in r:
                rows.append((f"{spec}, {n} replay workers: fed (95% of their rate, waiting at most 5%)",
                             r["fed"], None, None, None))
        quick = v.get("spec", spec) == "quick" and (v.get("paced") or spec.removesuffix(", workers commit") == "quick")
        if v.get("paced"):
            best = v.get("workers_fed")
            rows.append((f"{spec}: most replay workers fed, at the result length the pacer chose", best, None,
                         f">= {goal}" if quick and goal else None, at_least(best, goal) if quick and goal else None))
            continue
        best = v.get("feedable_real_workers")
        rows.append((f"{spec}: real workers one supervisor feeds at {fmt(rate)} results/s each (projected)", best,
                     None, f">= {goal}" if quick and goal else None, at_least(best, goal) if quick and goal else None))
    return rows


def kernel_sharing_rows(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for game, v in (d.get("games") or {}).items():
        alone, paired = v.get("alone_node_visits_per_cpu_s") or [], v.get("paired_node_visits_per_cpu_s") or []
        rows.append((f"{game}: bare kernel node visits per CPU-s, two at once (reference: one alone), mean",
                     sum(paired) / len(paired) if paired else None, sum(alone) / len(alone) if alone else None,
                     None, None))
        rows.append((f"{game}: each of two kernels at once over one alone", v.get("paired_over_alone"), None, None,
                     None))
    return rows


def kernel_span_rows(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for game, v in (d.get("games") or {}).items():
        for span, r in (v.get("spans") or {}).items():
            head = f"{game}, {int(span):,} iterations between packs"
            rows.append((f"{head}: node visits per CPU-s with packing (reference: the kernel alone)",
                         r.get("with_pack_node_visits_per_cpu_s"), r.get("kernel_node_visits_per_cpu_s"), None, None))
            rows.append((f"{head}: node visits per CPU-s with packing and merging (reference: packing's share of "
                         "the kernel and packing, merging's of all three)",
                         r.get("with_pack_and_merge_node_visits_per_cpu_s"),
                         f"{fmt(r.get('pack_share'))} / {fmt(r.get('merge_share'))}", None, None))
        ceilings = (("best_with_pack_over_shortest_kernel", "with packing", "whose results the supervisor merges"),
                    ("best_with_merge_over_shortest_kernel", "with packing and merging",
                     "that commits, or the in-process trainer,"))
        for key, what, who in ceilings:
            rows.append((f"{game}: the best span {what} over the kernel alone at the shortest (the most a worker "
                         f"{who} can reach of the per-core reference)", v.get(key), None, ">= 0.9",
                         at_least(v.get(key), 0.9)))
        rows.append((f"{game}: iterations the tables had trained before", v.get("iterations_trained_before"), None,
                     None, None))
    return rows


def loop_wake_rows(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for case, r in (d.get("cases") or {}).items():
        background, interval = case.split("/")
        rows.append((f"{background.replace('_', ' ')}, a wake every {interval} s: loop CPU per wake, µs, for a pipe "
                     "frame / a call_at callback (reference: an asyncio.sleep task)",
                     f"{fmt(r.get('frame_us_per_wake'))} / {fmt(r.get('callback_us_per_wake'))}",
                     r.get("timer_us_per_wake"), None, None))
    return rows


def policy_rows(d: dict[str, Any]) -> list[Row]:
    goal_ms = d.get("goal_query_ms")
    goal_us = None if goal_ms is None else 1000.0 * goal_ms
    rows: list[Row] = [("load a blueprint, s", d.get("load_seconds"), None, None, None)]
    kinds = (("float32", "query"), ("8-bit compact", "compact_8_query"), ("16-bit compact", "compact_16_query"))
    for label, key in kinds:
        q = d.get(key) or {}
        for temp in ("warm", "cold"):
            median, p99 = q.get(f"{temp}_wall_median_us"), q.get(f"{temp}_wall_p99_us")
            rows.append((f"{label} query, {temp} cache: median µs (reference: p99)", median, p99,
                         None if goal_us is None else f"< {fmt(goal_us)} µs", below(p99, goal_us)))
    sizes = d.get("file_bytes") or {}
    for name, size in sizes.items():
        rows.append((f"policy file bytes, {name}", size, None, None, None))
    for pair, r in (d.get("hands_per_s_per_core") or {}).items():
        rows.append((f"{pair}: hands/s per core, CPU time", r.get("cpu"), None, None, None))
    return rows


def orchestrator_rows(d: dict[str, Any]) -> list[Row]:
    goals, measured, met = d.get("goals") or {}, d.get("measured") or {}, d.get("met") or {}
    raw = get(d, "results.uvloop.raw_pipe_1mib.throughput_gb_s")
    return [
        ("loop lag p99 with 2 workers streaming 1 MiB frames, ms", measured.get("loop_lag_p99_ms"), None,
         f"< {fmt(goals.get('loop_lag_p99_ms'))}", met.get("loop_lag_p99_ms")),
        ("1 MiB numpy frames through the supervisor, GB/s (reference: raw pipe)", measured.get("throughput_gb_s"),
         raw, f">= {fmt(goals.get('throughput_gb_s'))}", met.get("throughput_gb_s")),
        ("killed worker's replacement ready, s (max)", measured.get("replacement_ready_s"), None,
         f"< {fmt(goals.get('replacement_ready_s'))}", met.get("replacement_ready_s")),
    ]


def scaling_rows(d: dict[str, Any]) -> list[Row]:
    goals = d.get("goals") or {}
    cores = get(d, "settings.cores")
    rows: list[Row] = []
    for game, g in (d.get("per_game") or {}).items():
        base = g.get("baseline") or {}
        rows += [
            (f"{game}: scaling efficiency at 2 workers, wall clock (reference: queue pool)",
             g.get("efficiency_at_2_workers"), base.get("efficiency_at_2_workers"),
             f">= {goals.get('efficiency_at_2_workers')}", at_least(g.get("efficiency_at_2_workers"),
                                                                    goals.get("efficiency_at_2_workers"))),
            (f"{game}: efficiency at 2 workers per worker CPU-second", g.get("cpu_efficiency_at_2_workers"), None,
             None, None),
            (f"{game}: sawtooth index at {cores} workers, share of samples < 50% CPU (reference: queue pool)",
             g.get("sawtooth_index"), base.get("sawtooth_index"), f"< {goals.get('sawtooth_index')}",
             below(g.get("sawtooth_index"), goals.get("sawtooth_index"))),
            (f"{game}: idle index, samples where the worker was not even runnable (reference: queue pool)",
             g.get("idle_index"), base.get("idle_index"), None, None),
            (f"{game}: mean worker CPU % at {cores} workers (reference: queue pool)",
             g.get("mean_worker_cpu_percent"), base.get("mean_worker_cpu_percent"), None, None),
            (f"{game}: loop lag p99, ms", g.get("loop_lag_p99_ms"), None, f"< {goals.get('loop_lag_p99_ms')}",
             below(g.get("loop_lag_p99_ms"), goals.get("loop_lag_p99_ms"))),
            (f"{game}: supervisor's time runnable but waiting for a core, %", g.get("supervisor_runqueue_wait_percent"),
             None, None, None),
            (f"{game}: supervisor CPU per merged batch, ms", g.get("supervisor_cpu_ms_per_batch"), None, None, None),
            (f"{game}: workers one supervisor core could feed", g.get("feedable_workers"), None,
             f">= {goals.get('feedable_workers')}", at_least(g.get("feedable_workers"), goals.get("feedable_workers"))),
            (f"{game}: it/s ours over queue pool at {cores} workers, wall clock", base.get("it_per_s_ratio"), None,
             None, None),
            (f"{game}: it per worker CPU-second, ours over queue pool", base.get("it_per_worker_cpu_s_ratio"), None,
             None, None),
            (f"{game}: it/s at {2 * cores if cores else '2x'} workers over {cores} (oversubscription)",
             g.get("oversubscribed_over_cores_it_per_s"), None, None, None),
        ]
        sweep = g.get("batch_sweep") or {}
        base_by_batch = {int(x["batch"]): x for x in sweep.get("baseline") or []}
        for x in sweep.get("supervisor") or []:
            batch = int(x["batch"])
            ref = base_by_batch.get(batch, {})
            rows += [
                (f"{game}, batch {batch:,}: it/s (reference: queue pool)", x.get("it_per_s"), ref.get("it_per_s"),
                 None, None),
                (f"{game}, batch {batch:,}: idle index (reference: queue pool)", x.get("idle_index"),
                 ref.get("idle_index"), None, None),
                (f"{game}, batch {batch:,}: workers one supervisor could feed (reference: queue pool main)",
                 x.get("feedable_workers"), ref.get("feedable_workers"), None, None),
            ]
    kill = d.get("kill") or {}
    ours, base = kill.get("supervisor") or {}, kill.get("baseline") or {}
    if ours or base:
        rows += [
            ("worker killed mid-run: iterations lost (reference: queue pool)", ours.get("lost_iterations"),
             base.get("lost_iterations"), "0", None if ours.get("lost_iterations") is None
             else ours.get("lost_iterations") == 0),
            ("worker killed mid-run: run hung (reference: queue pool)", ours.get("hung"), base.get("hung"), "no",
             None if ours.get("hung") is None else not ours.get("hung")),
            ("worker killed mid-run: replacement ready, s", ours.get("replacement_ready_s"), None, None, None),
        ]
    return rows


def acpc_rows(d: dict[str, Any]) -> list[Row]:
    """Per match: the answer times against the dealer's limits, the log's completeness and the result."""
    rows: list[Row] = []
    for match, m in (d.get("measured") or {}).items():
        met = (d.get("met") or {}).get(match)
        rows += [
            (f"{match}: answer ms per hand (median answer {fmt(m.get('response_ms_median'))} ms, slowest "
             f"{fmt(m.get('response_ms_max'))} ms)", m.get("response_ms_per_hand"), None,
             (d.get("goals") or {}).get(match), met),
            (f"{match}: hands in the dealer's log, dealer errors or warnings",
             f"{m.get('hands_in_log')}, {m.get('dealer_problems')}", None, None, None),
            (f"{match}: result by the dealer's SCORE (mbb/hand)", m.get("mbb_per_hand"), None, None, None),
        ]
    return rows


def ray_rows(d: dict[str, Any]) -> list[Row]:
    goals, measured, met = d.get("goals") or {}, d.get("measured") or {}, d.get("met") or {}
    results = d.get("results") or {}
    local = [r.get("node_visits_per_s") for k, r in results.items() if k.startswith("hunl-local")]
    ray = [r.get("node_visits_per_s") for k, r in results.items() if k.startswith("hunl-ray")]
    rows: list[Row] = [
        ("heads-up quick node visits/s, Ray / local backend (2 workers each, alternated)",
         measured.get("ray_vs_local_node_visits"), None, f">= {fmt(goals.get('ray_vs_local_node_visits'))}",
         met.get("ray_vs_local_node_visits")),
    ]
    for label, values in (("local", local), ("Ray", ray)):
        if values and None not in values:
            rows.append((f"heads-up quick node visits/s through the {label} backend (mean of {len(values)})",
                         sum(values) / len(values), None, None, None))
    cpu = measured.get("ray_vs_local_nodes_per_worker_cpu_s")
    if cpu is not None:
        rows.append(("heads-up quick node visits per worker CPU-second, Ray / local", cpu, None, None, None))
    rows.append(("Leduc through Ray (2 workers) after 20 training seconds: exploitability",
                 measured.get("leduc_ray_20s_exploitability"), None,
                 f"< {fmt(goals.get('leduc_ray_20s_exploitability'))}", met.get("leduc_ray_20s_exploitability")))
    return rows


def compact_rows(d: dict[str, Any]) -> list[Row]:
    goals, measured, met = d.get("goals") or {}, d.get("measured") or {}, d.get("met") or {}
    rows: list[Row] = []
    per_entry, per_legal = measured.get("bytes_per_infoset_action") or {}, measured.get("bytes_per_legal_action") or {}
    for spec, by_dtype in per_entry.items():
        for dtype in ("int16", "int32"):
            goal = f"<= {fmt(goals.get('bytes_per_infoset_action'))}" if dtype == "int16" else None
            verdict = get(met, f"bytes_per_infoset_action.{spec}") if dtype == "int16" else None
            rows.append((f"{spec}: bytes per infoset-action (table entry), {dtype} regrets (reference: float32)",
                         by_dtype.get(dtype), by_dtype.get("float32"), goal, verdict))
            rows.append((f"{spec}: bytes per legal action, {dtype} regrets", get(per_legal, f"{spec}.{dtype}"),
                         get(per_legal, f"{spec}.float32"), None, None))
    merge = d.get("merge") or {}
    if merge:
        rows.append(("heads-up quick: merge CPU per result into an int16 table, ms (reference: float32)",
                     get(merge, "int16.merge_cpu_ms_per_result"), get(merge, "float32.merge_cpu_ms_per_result"),
                     None, None))
        rows.append(("heads-up quick: kernel node visits per CPU-second reading an int16 table (reference: float32)",
                     get(merge, "kernel_int16.node_visits_per_cpu_s"),
                     get(merge, "kernel_float32.node_visits_per_cpu_s"), None, None))
    for dtype, ratio in (measured.get("leduc_exploitability_vs_float32") or {}).items():
        seconds = get(d, "settings.leduc_seconds")
        rows.append((f"Leduc after {fmt(seconds)} s: exploitability with {dtype} / with float32", ratio, None,
                     f"<= {fmt(goals.get('leduc_exploitability_vs_float32'))}",
                     get(met, f"leduc_exploitability_vs_float32.{dtype}")))
    play = measured.get("hunl_int16_vs_float32_mbb")
    if play:
        low, high = play.get("ci95") or (None, None)
        rows.append((f"heads-up quick, {fmt(get(d, 'settings.hunl_seconds'))} s each: int16 blueprint vs float32, "
                     f"mbb/hand [95% interval {fmt(low)} .. {fmt(high)}]", play.get("mean"), None,
                     "interval holds 0", met.get("hunl_ci_holds_zero")))
    equal = measured.get("hunl_int16_vs_float32_mbb_equal_iterations")
    if equal:
        low, high = equal.get("ci95") or (None, None)
        iterations = get(d, "settings.hunl_iterations")
        rows.append((f"heads-up quick, {fmt(iterations)} iterations each: int16 blueprint vs float32, mbb/hand "
                     f"[95% interval {fmt(low)} .. {fmt(high)}]", equal.get("mean"), None, None, None))
    return rows


def cluster_rows(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for spec, by_seconds in (d.get("specs") or {}).items():
        for seconds, figures in by_seconds.items():
            for dtype, f in (figures.get("feedable") or {}).items():
                rows.append((f"{spec}, results of {seconds} s, {dtype} tables: workers one head feeds (limit: "
                             f"{f['limit']})", f["workers"], None, None, None))
            for p in get(figures, "projections.int16") or []:
                rows.append((f"{spec}, results of {seconds} s, {p['workers']} workers (int16): supervisor loop / "
                             f"merge cores; first to run out: {p['next_bottleneck']}",
                             f"{fmt(p['supervisor_loop_cores'])} / {fmt(p['merge_thread_cores'])}", None, None, None))
    return rows


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
