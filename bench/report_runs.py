"""``BENCHMARKS.md`` rows for training runs and the machinery under them: training as users run it, supervisor
capacity, the kernel beside another and between packs, loop wakes, the orchestrator, scaling, Ray, cluster sizing."""

from __future__ import annotations

from typing import Any

from bench.report_cells import Row, at_least, below, fmt, get


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
