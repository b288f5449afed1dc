"""``BENCHMARKS.md`` rows for the poker domain: evaluator, abstraction and buckets, MCCFR kernels, evaluation and
local best response, blueprint files, the ACPC dealer, compact tables."""

from __future__ import annotations

from typing import Any

from bench.report_cells import Row, at_least, below, fmt, get


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
