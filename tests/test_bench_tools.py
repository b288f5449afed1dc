"""Benchmark tooling: sawtooth and efficiency math, run plots, BENCHMARKS.md generation, the queue-pool baseline."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest

from bench import report as make_benchmarks_md
from bench.baselines.queue_pool import QueuePool
from bench.scaling import analysis as bench_scaling
from bench.scaling.analysis import analyze, feedable_workers, sawtooth_index, scaling_efficiency
from bench.scaling.plan import Launch
from bench.scaling.sampling import Trace
from holdem.training.config import build_config
from scripts import plot_run


def test_sawtooth_index_counts_samples_below_half_a_core() -> None:
    assert sawtooth_index([100, 98, 20, 100]) == 0.25
    assert sawtooth_index([50.0, 51, 99]) == 0.0
    assert sawtooth_index([0, 10, 49.9]) == 1.0
    assert math.isnan(sawtooth_index([]))


def test_efficiency_and_feedable_workers() -> None:
    assert scaling_efficiency(1.9e6, 2, 1.0e6) == pytest.approx(0.95)
    assert scaling_efficiency(1.0e6, 1, 1.0e6) == 1.0
    assert math.isnan(scaling_efficiency(1.0, 2, 0.0))
    assert feedable_workers(0.001, 10.0) == pytest.approx(100.0)
    assert feedable_workers(0.0, 10.0) == math.inf


def _trace(ts: list[float], cpu: list[float], wait: list[float] | None = None) -> Trace:
    trace = Trace()
    total = 0.0
    for i, (t, c) in enumerate(zip(ts, cpu)):
        total += c / 100 * 0.1
        trace.t.append(t)
        trace.cpu.append(c)
        trace.wait.append(0.0 if wait is None else wait[i])
        trace.cpu_s.append(total)
    return trace


def test_analyze_synthetic_run() -> None:
    ts = [100 + 0.1 * i for i in range(101)]
    steady = [100.0] * len(ts)
    sawtooth = [100.0 if (i // 5) % 2 == 0 else 0.0 for i in range(len(ts))]
    starved = [30.0] * len(ts)
    traces = {10: _trace(ts, [5.0] * len(ts)), 11: _trace(ts, steady), 12: _trace(ts, sawtooth, wait=[0.0] * len(ts)),
              13: _trace(ts, starved, wait=[70.0] * len(ts))}
    events = [{"ts": 99.0, "event": "run_start"}]
    events += [{"ts": 100.0, "event": "ready", "pid": pid} for pid in (11, 12, 13)]
    events += [{"ts": 101.0 + k, "event": "progress", "iterations": 1000 * k, "batches_done": 30 * k,
                "loop_lag": {"p50_ms": 0.1, "p99_ms": 2.0, "max_ms": 9.0}} for k in range(9)]
    events += [{"ts": 110.0, "event": "stop_requested"},
               {"ts": 110.1, "event": "run_end", "iterations": 9000, "seconds": 10.0, "reason": "time_budget"}]
    out = analyze(Launch("supervisor", "leduc", 3), events, traces, 10.0, root_pid=10)
    assert out["it_per_s"] == pytest.approx(1000.0)
    assert out["sawtooth_index"] == pytest.approx(0.5, abs=0.05)
    assert out["idle_index"] == pytest.approx(1 / 6, abs=0.05)
    assert out["batches_per_worker_per_s"] == pytest.approx(10.0)
    assert out["supervisor_cpu_ms_per_batch"] == pytest.approx(1e3 * 0.05 / 30, rel=0.05)
    assert out["feedable_workers"] == pytest.approx(1 / (0.05 / 30 * 10), rel=0.05)
    assert out["loop_lag"]["p99_ms"] == 2.0
    assert set(out["_traces"]) == {"supervisor", "worker 11", "worker 12", "worker 13"}


def test_summary_efficiency_uses_one_supervised_worker() -> None:
    runs = [
        {"game": "leduc", "design": "supervisor", "workers": 1, "batch": "auto", "it_per_s": 100.0},
        {"game": "leduc", "design": "supervisor", "workers": 2, "batch": "auto", "it_per_s": 190.0,
         "sawtooth_index": 0.0, "loop_lag": {"p99_ms": 1.0}, "feedable_workers": 100.0},
        {"game": "leduc", "design": "baseline", "workers": 1, "batch": "auto", "it_per_s": 100.0},
        {"game": "leduc", "design": "baseline", "workers": 2, "batch": "auto", "it_per_s": 95.0,
         "sawtooth_index": 0.5},
    ]
    summary = bench_scaling.summarize(runs, ["leduc"], 2)
    game = summary["per_game"]["leduc"]
    assert game["efficiency_at_2_workers"] == pytest.approx(0.95)
    assert game["baseline"]["it_per_s_ratio"] == pytest.approx(2.0)
    assert game["baseline"]["efficiency_at_2_workers"] == pytest.approx(0.475)
    assert summary["met"] == {"efficiency_at_2_workers": True, "sawtooth_index": True, "loop_lag_p99_ms": True,
                              "feedable_workers": True}


def _synthetic_events(path: Path) -> None:
    events = [{"ts": 0.0, "event": "run_start", "game": "leduc"}]
    for k in range(1, 8):
        workers = [{"slot": s, "pid": 100 + s, "cpu_percent": 95.0 + s} for s in range(2)]
        events.append({"ts": k - 0.5, "event": "progress", "workers": workers,
                       "loop_lag": {"p50_ms": 0.2, "p99_ms": 3.0, "max_ms": 8.0}})
        events.append({"ts": float(k), "event": "progress", "iterations": 1000 * k, "it_per_s": 1000.0,
                       "exploitability": 1.0 / k, "workers": workers,
                       "loop_lag": {"p50_ms": 0.2, "p99_ms": 3.0, "max_ms": 8.0}})
    events.append({"ts": 4.2, "event": "restart", "slot": 1})
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n{\"torn")


def test_plot_run_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _synthetic_events(tmp_path / "events.jsonl")
    out = tmp_path / "run.png"
    assert plot_run.main([str(tmp_path), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = plot_run.series(plot_run.load_events(tmp_path))
    assert data["restarts"] == [4.2]
    assert sorted(data["cpu"]) == ["slot 0 (pid 100)", "slot 1 (pid 101)"]
    assert len(data["cpu"]["slot 0 (pid 100)"]) == 7


def test_plot_run_without_matplotlib_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _synthetic_events(tmp_path / "events.jsonl")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert plot_run.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "matplotlib" in err


def test_make_benchmarks_md_from_synthetic_json(tmp_path: Path) -> None:
    scaling = {
        "machine": {"cpus": 2, "load_avg_start": [3.0, 2.0, 1.0]},
        "goals": {"efficiency_at_2_workers": 0.95, "sawtooth_index": 0.01, "loop_lag_p99_ms": 5.0,
                  "feedable_workers": 64},
        "settings": {"cores": 2},
        "per_game": {"leduc": {"efficiency_at_2_workers": 0.97, "sawtooth_index": 0.2, "loop_lag_p99_ms": 1.5,
                               "feedable_workers": 150.0, "baseline": {"sawtooth_index": 0.6, "it_per_s_ratio": 1.4}}},
        "kill": {"supervisor": {"lost_iterations": 0, "hung": False}, "baseline": {"lost_iterations": 5000,
                                                                                   "hung": True}},
    }
    (tmp_path / "scaling.json").write_text(json.dumps(scaling))
    (tmp_path / "custom.json").write_text(json.dumps({"goals": {"x": 1}, "measured": {"x": {"a": 2, "b": 0}},
                                                     "met": {"x": {"a": True, "b": False}}}))
    (tmp_path / "eval.json").write_text("{not json")
    out = tmp_path / "BENCHMARKS.md"
    assert make_benchmarks_md.main(["--results", str(tmp_path), "--out", str(out)]) == 0
    text = out.read_text()
    assert "| leduc: scaling efficiency at 2 workers, wall clock (reference: queue pool) | 0.97 |  | >= 0.95 | yes |" \
        in text
    assert "| leduc: sawtooth index at 2 workers, share of samples < 50% CPU (reference: queue pool) | 0.2 | 0.6 " \
           "| < 0.01 | **no** |" in text
    assert "| worker killed mid-run: iterations lost (reference: queue pool) | 0 | 5,000 | 0 | yes |" in text
    assert "| x (a) | 2 |  | 1 | yes |" in text and "| x (b) | 0 |  | 1 | **no** |" in text
    assert "evaluator.json` is missing: run `python -m bench.evaluator`" in text
    assert "`eval.json` could not be read" in text
    assert "load average at the time 3.0, 2.0, 1.0 on 2 cores" in text


def test_queue_pool_runs_a_small_leduc_job(tmp_path: Path) -> None:
    config = build_config({"game": "leduc", "iterations": 40_000, "num_workers": 2, "batch_size": 5_000,
                           "progress_interval_seconds": 0.0})
    fields = QueuePool(config, tmp_path).train()
    assert fields["iterations"] == 40_000
    assert fields["issued"] == 40_000 and fields["lost"] == 0
    assert fields["batches_done"] == 8 and fields["dead_workers"] == 0
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds.count("ready") == 2 and kinds[-1] == "run_end"
    assert events[-2]["event"] == "stop_requested"


def test_training_bench_reports_the_median_round_and_the_same_tables_ratio():
    from bench.training import _median_round, _same_tables_ratio

    def case(nodes: float, kernel: float, cpu: float = 95.0) -> dict:
        return {"node_visits_per_s": nodes, "worker_cpu_percent": [cpu, 99.0], "node_visits_per_worker_cpu_s": nodes,
                "kernel_node_visits_per_cpu_s_on_final_tables": kernel, "loop_lag_steady": {"p99_ms": 4.0},
                "worker_wait_share": {"task": 0.01 * (100 - cpu), "slot": 0.0}, "host_steal_share": 0.001 * nodes}

    two = _median_round([case(12.0, 8.0), case(9.0, 6.0, cpu=91.0), case(14.0, 10.0)])
    assert two["node_visits_per_s"] == 12.0, "the round with the median rate, whole"
    assert [r["node_visits_per_s"] for r in two["rounds"]] == [12.0, 9.0, 14.0], "every round kept, in order"
    rows = make_benchmarks_md.training_rows({"results": {"seed-supervisor-2": {"game": "seed", **two}}})
    lowest = [value for label, value, *_ in rows if "the round with the lowest worker CPU" in label]
    assert lowest == ["91.0 / 9.0% / 0.9%"], "a dip is shown with the workers' waits and the host's steal"
    one = _median_round([case(7.0, 10.0), case(6.0, 10.0), case(7.5, 10.0)])
    assert _same_tables_ratio(two, one) == round(sorted([12 / 8 / 0.7, 9 / 6 / 0.6, 14 / 10 / 0.75])[1], 3), \
        "round by round, each over its own kernel rate, median"
    assert _same_tables_ratio(case(10.0, 5.0), case(5.0, 5.0)) == 2.0, "a single run on equal tables: the raw ratio"
    assert "rounds" not in _median_round([case(1.0, 1.0)])


def test_training_bench_adds_two_runs_at_once_and_rates_each_run_against_its_own_kernel_reference():
    from bench.training import _efficiency, _together

    def run(nodes: float, cores: float, window: float) -> dict:
        return {"node_visits_per_s": nodes, "it_per_s": nodes * 10, "worker_cpu_cores": cores,
                "worker_cpu_percent": [100 * cores], "window_s": window, "mode": "inprocess", "game": "seed",
                "iterations": nodes * 10 * window, "node_visits_per_kernel_cpu_s": nodes / cores}

    pair = _together([run(9.0, 1.0, 20.0), run(6.0, 0.5, 10.0)])
    assert pair["mode"] == "pair" and pair["node_visits_per_s"] == 15.0 and pair["it_per_s"] == 150.0
    assert pair["worker_cpu_cores"] == 1.5 and pair["worker_cpu_percent"] == [100.0, 50.0]
    assert pair["iterations"] == 9 * 10 * 20 + 6 * 10 * 10, "both runs' iterations, not the first's"
    assert pair["node_visits_per_kernel_cpu_s"] == 10.5, "a rate per kernel CPU-second is averaged, not added"
    assert pair["node_visits_per_worker_cpu_s"] == round((9 * 20 + 6 * 10) / (1 * 20 + 0.5 * 10), 1), \
        "node visits per CPU-second over both runs, each over its own window"
    results = {"own": {"game": "leduc", "node_visits_per_worker_cpu_s": 50.0,
                       "kernel_node_visits_per_cpu_s_briefly_trained": 60.0},
               "final": {"game": "leduc", "node_visits_per_worker_cpu_s": 50.0,
                         "kernel_node_visits_per_cpu_s_on_final_tables": 100.0},
               "neither": {"game": "leduc", "node_visits_per_worker_cpu_s": 50.0}}
    assert _efficiency(results, {"leduc": 40.0}) == {"own": round(50 / 60, 3), "final": 0.5, "neither": 1.25}


def test_training_bench_rates_the_kernel_with_packing_at_the_run_s_span_between_packs():
    """A worker packs once per result, the in-process trainer once per batch: the packing reference runs the kernel
    that many iterations between packs, and the report sets it against the bare kernel and the run."""
    from bench.training import _iterations_per_pack

    supervised = {"iterations": 1_000_000, "results_merged": 8, "batch_size_end": 100}
    assert _iterations_per_pack(supervised) == 125_000, "a result of many 100-iteration batches packs once"
    assert _iterations_per_pack({"iterations": 500, "batch_size_end": 16_261}) == 16_261
    assert _iterations_per_pack({"iterations": 500}) == 1000
    run = {"game": "seed", "node_visits_per_worker_cpu_s": 9.0, "kernel_node_visits_per_cpu_s_on_final_tables": 15.0,
           "kernel_with_pack_node_visits_per_cpu_s": {"iterations_per_pack": 125_000, "rate": 12.0}}
    rows = make_benchmarks_md.training_rows({"results": {"seed-supervisor-2": run}})
    packing = [(label, value, reference) for label, value, reference, *_ in rows if "with packing" in label]
    assert packing == [(packing[0][0], 0.8, 0.75)] and "125,000 iterations per pack" in packing[0][0]


def test_strength_eval_only_replays_recorded_runs_and_refuses_other_settings(tmp_path: Path) -> None:
    """``bench.buckets_strength --eval-only`` plays the runs an earlier result file records, and stops with one line
    when that file was trained with other settings or its runs are gone."""
    import argparse

    from bench.buckets_strength import recorded_runs

    runs = {spec: {"spec": spec, "logdir": str(tmp_path / spec)} for spec in ("large", "quick")}
    for spec in runs:
        (tmp_path / spec).mkdir()
        (tmp_path / spec / "blueprint.npz").write_bytes(b"")
    out = tmp_path / "strength.json"
    settings = {"new": "large", "old": "quick", "seconds": 600.0, "iterations": None, "workers": 2, "seed": 1}
    out.write_text(json.dumps({"settings": settings, "runs": runs}))
    args = argparse.Namespace(out=out, **settings)
    assert recorded_runs(args) == runs
    with pytest.raises(SystemExit, match="other settings.*'seconds': \\(600.0, 300.0\\)"):
        recorded_runs(argparse.Namespace(**{**vars(args), "seconds": 300.0}))
    (tmp_path / "quick" / "blueprint.npz").unlink()
    with pytest.raises(SystemExit, match=r"the runs of \['quick'\].*are gone"):
        recorded_runs(args)
    with pytest.raises(SystemExit, match="cannot read the earlier results"):
        recorded_runs(argparse.Namespace(**{**vars(args), "out": tmp_path / "missing.json"}))


def test_scaling_one_supervised_worker_keeps_every_setting_the_training_gives() -> None:
    from bench.scaling.run import one_worker
    from holdem.training.job import supervisor_config

    config = build_config({"game": "leduc", "num_workers": 2})
    settings = one_worker(supervisor_config)(config, 1 << 20, 4096)
    assert settings.num_workers == 1
    assert settings == dataclasses.replace(supervisor_config(config, 1 << 20, 4096), num_workers=1)


def test_strength_pool_takes_recorded_trainings_and_needs_every_pair_above_zero(tmp_path: Path) -> None:
    """``bench.buckets_pool`` pools the trainings earlier result files record (with their LBR figure when taken
    over as many hands), refuses other budgets and vanished blueprints, and calls the new spec stronger only when
    every pair's interval is above zero."""
    from bench.buckets_pool import read_recorded, recorded_trainings, summarize

    files = []
    for seed in (1, 2):
        runs = {}
        for spec in ("quick-pa", "quick"):
            logdir = tmp_path / f"{spec}-{seed}"
            logdir.mkdir()
            (logdir / "blueprint.npz").write_bytes(b"")
            runs[spec] = {"spec": spec, "logdir": str(logdir), "iterations": 1000 * seed}
        lbr = {"quick-pa": {"lbr_wins_mbb_per_hand": 1500.0 + seed, "ci95": [1400.0, 1600.0], "hands": 1000},
               "quick": {"lbr_wins_mbb_per_hand": 1400.0 + seed, "ci95": [1300.0, 1500.0], "hands": 5}}
        path = tmp_path / f"strength{seed}.json"
        path.write_text(json.dumps({"settings": {"seconds": 600.0, "workers": 2, "iterations": None, "seed": seed},
                                    "runs": runs, "lbr": lbr}))
        files.append(path)
    pool = recorded_trainings(read_recorded(files, 600.0, 2), ("quick-pa", "quick"), 1000)
    assert sorted(pool) == ["quick-pa/strength1", "quick-pa/strength2", "quick/strength1", "quick/strength2"]
    assert pool["quick-pa/strength2"]["lbr"]["lbr_wins_mbb_per_hand"] == 1502.0
    assert pool["quick/strength1"]["lbr"] is None and pool["quick/strength1"]["seed"] == 1
    with pytest.raises(SystemExit, match="trained 600.0 s x 2 workers, not 300.0 s x 2"):
        read_recorded(files, 300.0, 2)
    pairs = [{"new": "quick-pa/strength1", "old": old, "mbb_per_hand": 5.0, "ci95": [1.0, 9.0], "hands": 10}
             for old in ("quick/strength1", "quick/strength2")]
    pool["quick/strength1"]["lbr"] = {"lbr_wins_mbb_per_hand": 1600.0}
    pool["quick/strength2"]["lbr"] = {"lbr_wins_mbb_per_hand": 1550.0}
    summary = summarize(pool, pairs, "quick-pa", "quick")
    assert summary["every_pair_above_zero"] and summary["lbr_lower_against_new"]
    assert summary["lbr_mean_wins"] == {"quick-pa": 1501.5, "quick": 1575.0}
    pairs[1]["ci95"] = [-1.0, 11.0]
    summary = summarize(pool, pairs, "quick-pa", "quick")
    assert not summary["every_pair_above_zero"] and summary["pairs_above_zero"] == 1
    (tmp_path / "quick-2" / "blueprint.npz").unlink()
    with pytest.raises(SystemExit, match="the quick blueprint .*strength2.json records .* is gone"):
        recorded_trainings(read_recorded(files, 600.0, 2), ("quick-pa", "quick"), 1000)


def test_strength_pool_grows_from_an_earlier_pool_without_playing_its_pairs_again(tmp_path: Path) -> None:
    """An earlier pool's result joins the pool: its trainings once each (also when a strength file records the
    same one), their LBR figures when taken over as many hands, under a spec's new name when it was renamed, and
    its pairs only over the same hands and deals."""
    from bench.buckets_pool import read_recorded, recorded_pairs, recorded_trainings

    logdirs = {}
    for name in ("new-1", "old-1", "old-2"):
        logdirs[name] = tmp_path / name
        logdirs[name].mkdir()
        (logdirs[name] / "blueprint.npz").write_bytes(b"")
    lbr = {"lbr_wins_mbb_per_hand": 1400.0, "ci95": [1300.0, 1500.0], "hands": 1000}
    trainings = {"quick-b25/seed1": {"spec": "quick-b25", "logdir": str(logdirs["new-1"]), "seed": 1, "lbr": lbr},
                 "quick/strength1": {"spec": "quick", "logdir": str(logdirs["old-1"]), "seed": 1, "lbr": None},
                 "quick/strength2": {"spec": "quick", "logdir": str(logdirs["old-2"]), "seed": 2, "lbr": lbr}}
    pairs = [{"new": "quick-b25/seed1", "old": old, "mbb_per_hand": 4.0, "ci95": [1.0, 7.0], "hands": 20}
             for old in ("quick/strength1", "quick/strength2")]
    pool = tmp_path / "pool.json"
    pool.write_text(json.dumps({"settings": {"seconds": 600.0, "workers": 2, "hands": 20, "lbr_hands": 1000,
                                             "eval_seed": 3},
                                "trainings": trainings, "pairs": pairs}))
    strength = tmp_path / "strength1.json"
    strength.write_text(json.dumps({"settings": {"seconds": 600.0, "workers": 2, "iterations": None, "seed": 1},
                                    "runs": {"quick": {"spec": "quick", "logdir": str(logdirs["old-1"])}}}))

    pooled = recorded_trainings(read_recorded([pool, strength], 600.0, 2), ("quick-b25", "quick"), 1000)
    assert sorted(pooled) == ["quick-b25/seed1", "quick/strength1", "quick/strength2"]
    assert pooled["quick-b25/seed1"]["lbr"] == lbr and pooled["quick/strength1"]["lbr"] is None
    assert all(run["lbr"] is None
               for run in recorded_trainings(read_recorded([pool], 600.0, 2), ("quick-b25", "quick"), 500).values())
    legacy = recorded_trainings(read_recorded([pool, strength], 600.0, 2), ("quick-b25", "quick-legacy"), 1000,
                                {"quick": "quick-legacy"})
    assert sorted(legacy) == ["quick-b25/seed1", "quick-legacy/strength1", "quick-legacy/strength2"]
    assert legacy["quick-legacy/strength2"]["spec"] == "quick-legacy"
    assert legacy["quick-legacy/strength2"]["recorded_as"] == "quick"
    played = recorded_pairs(read_recorded([pool, strength], 600.0, 2), 20, 3)
    assert played[(str(logdirs["new-1"]), str(logdirs["old-2"]))]["mbb_per_hand"] == 4.0
    assert len(played) == 2
    alone = read_recorded([pool], 600.0, 2)
    assert recorded_pairs(alone, 40, 3) == {} and recorded_pairs(alone, 20, 4) == {}


def test_scaling_replot_draws_beside_the_json_it_reads(tmp_path: Path) -> None:
    """Redrawing (or running to another ``--out``) writes the PNGs beside that JSON, not over the shipped ones."""
    pytest.importorskip("matplotlib")
    from bench.scaling.run import main as scaling_main

    shipped = Path(bench_scaling.__file__).resolve().parents[1] / "results"
    before = {p.name: p.stat().st_mtime_ns for p in shipped.glob("scaling_*.png")}
    copy = tmp_path / "scaling.json"
    copy.write_text((shipped / "scaling.json").read_text())
    assert scaling_main(["--replot", str(copy)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(before)
    assert {p.name: p.stat().st_mtime_ns for p in shipped.glob("scaling_*.png")} == before


def test_kernel_span_bench_runs_each_span_in_turn_and_packing_and_merging_only_add_cpu():
    """Real kernels on Leduc, merging into the tables: every span gets a median of its rounds, packing and then
    merging never make the rate higher, and the report holds the best spans against the kernel alone at the
    shortest."""
    from bench.kernel_span import measure
    from bench.training import _configs

    out = measure(_configs("quick")["leduc"], [50, 500], seconds=0.05, rounds=2, warmup_s=0.1)
    assert sorted(out["spans"]) == ["50", "500"] and out["iterations_trained_before"] > 0
    for span in out["spans"].values():
        assert len(span["rounds"]) == 2
        assert all(0 < with_merge <= with_pack <= alone for alone, with_pack, with_merge in span["rounds"])
        assert 0 <= span["pack_share"] < 1 and 0 <= span["merge_share"] < 1
    shortest = out["spans"]["50"]["kernel_node_visits_per_cpu_s"]
    best = max(s["with_pack_and_merge_node_visits_per_cpu_s"] for s in out["spans"].values())
    assert out["best_with_merge_over_shortest_kernel"] == round(best / shortest, 3)
    assert out["best_with_merge_over_shortest_kernel"] <= out["best_with_pack_over_shortest_kernel"]
    rows = make_benchmarks_md.kernel_span_rows({"games": {"leduc": out}})
    ceiling = [row for row in rows if "packing and merging over" in row[0]]
    assert ceiling == [(ceiling[0][0], out["best_with_merge_over_shortest_kernel"], None, ">= 0.9",
                        out["best_with_merge_over_shortest_kernel"] >= 0.9)]


def test_loop_wake_bench_measures_timer_callback_and_pipe_frame_wakes():
    """A few real wakes of each kind: a positive CPU cost per wake, reported beside each other."""
    from bench.loop_wake import callback_wakes, frame_wakes, timer_wakes
    from orchestrator.loop import run_async

    timer_us = run_async(timer_wakes(0.001, 5))
    callback_us = run_async(callback_wakes(0.001, 5))
    frame_us = run_async(frame_wakes(0.001, 5))
    assert timer_us > 0 and callback_us > 0 and frame_us > 0
    case = {"timer_us_per_wake": timer_us, "callback_us_per_wake": round(callback_us, 1), "frame_us_per_wake": 12.5}
    rows = make_benchmarks_md.loop_wake_rows({"cases": {"idle/0.001": case}})
    assert rows == [("idle, a wake every 0.001 s: loop CPU per wake, µs, for a pipe frame / a call_at callback "
                     "(reference: an asyncio.sleep task)", f"12.5 / {make_benchmarks_md.fmt(round(callback_us, 1))}",
                     timer_us, None, None)]
