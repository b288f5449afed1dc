"""Figures of a run from its events and CPU traces: throughput, CPU flatness, supervisor cost, loop lag,
and the summary over runs with the goals met."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bench.scaling import BUSY_CPU_PERCENT
from bench.scaling.plan import Launch
from bench.scaling.sampling import Trace


def sawtooth_index(cpu_percents: Iterable[float], threshold: float = BUSY_CPU_PERCENT) -> float:
    """Share of samples of busy workers in which the worker ran below ``threshold`` % of a core."""
    values = list(cpu_percents)
    return sum(1 for v in values if v < threshold) / len(values) if values else float("nan")


def scaling_efficiency(rate: float, workers: int, rate_one: float) -> float:
    """Speed-up over one worker divided by the worker count (1.0 is perfect linear scaling)."""
    return rate / (workers * rate_one) if rate_one > 0 and workers > 0 else float("nan")


def feedable_workers(cpu_s_per_batch: float, batches_per_worker_per_s: float) -> float:
    """Workers one supervisor core could keep fed: 1 core / (CPU per merged batch x batches per worker per s)."""
    load = cpu_s_per_batch * batches_per_worker_per_s
    return 1.0 / load if load > 0 else float("inf")


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 99)) -> dict[str, float]:
    """Nearest-rank percentiles plus the max (empty input gives NaN)."""
    ordered = sorted(values)
    out: dict[str, float] = {}
    for q in qs:
        k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.4999)) - 1))
        out[f"p{q:g}"] = ordered[k] if ordered else float("nan")
    out["max"] = ordered[-1] if ordered else float("nan")
    return out


def training_start(launch: Launch, events: list[dict[str, Any]]) -> float | None:
    if launch.design == "inprocess":
        for e in events:
            if e["event"] == "progress" and "iterations" in e:
                return e["ts"] - e.get("elapsed_s", 0.0)
        return None
    ready = [e["ts"] for e in events if e["event"] == "ready"]
    return max(ready[: launch.workers]) if len(ready) >= launch.workers else None


def _job_progress(events: list[dict[str, Any]], lo: float, hi: float) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "progress" and "iterations" in e and lo <= e["ts"] <= hi]


def analyze(launch: Launch, events: list[dict[str, Any]], traces: dict[int, Trace], seconds: float, *,
            root_pid: int, kill: dict[str, Any] | None = None, hung: bool = False) -> dict[str, Any]:
    """Throughput, CPU flatness, supervisor cost and loop lag of one run from its events and CPU traces."""
    out: dict[str, Any] = {"name": launch.name, "design": launch.design, "game": launch.game,
                           "workers": launch.workers, "batch": launch.batch, "hung": hung}
    start = training_start(launch, events)
    if start is None:
        out["error"] = "no training started"
        return out
    stops = [e["ts"] for e in events if e["event"] in ("stop_requested", "run_end")]
    stop = min(stops) if stops else max((t.t[-1] for t in traces.values() if t.t), default=start)
    settle = min(1.0, 0.15 * seconds)
    lo, hi = start + settle, stop - 0.1
    ready = {e["pid"]: e["ts"] for e in events if e["event"] == "ready"}
    workers = {root_pid: start} if launch.design == "inprocess" else ready
    cpu, idle = [], []
    for pid, ready_ts in workers.items():
        trace = traces.get(pid)
        if trace is None:
            continue
        for t, c, w in zip(trace.t, trace.cpu, trace.wait):
            if max(lo, ready_ts + 0.2) <= t <= hi:
                cpu.append(c)
                idle.append(c + w)
    out["samples"] = len(cpu)
    out["sawtooth_index"] = round(sawtooth_index(cpu), 4) if cpu else None
    out["idle_index"] = round(sawtooth_index(idle), 4) if idle else None
    out["mean_worker_cpu_percent"] = round(sum(cpu) / len(cpu), 1) if cpu else None
    progress = _job_progress(events, lo, hi)
    end = next((e for e in events if e["event"] == "run_end"), None)
    if len(progress) >= 2:
        first, last = progress[0], progress[-1]
        span = last["ts"] - first["ts"]
        out["it_per_s"] = round((last["iterations"] - first["iterations"]) / span, 1)
        out["window_s"] = round(span, 2)
        worker_cpu = sum(traces[p].cpu_seconds_at(last["ts"]) - traces[p].cpu_seconds_at(first["ts"])
                         for p in workers if p in traces)
        out["it_per_worker_cpu_s"] = round((last["iterations"] - first["iterations"]) / worker_cpu, 1) \
            if worker_cpu > 0 else None
        if launch.design != "inprocess" and "batches_done" in last:
            batches = last["batches_done"] - first["batches_done"]
            sup = traces.get(root_pid)
            sup_cpu = sup.cpu_seconds_at(last["ts"]) - sup.cpu_seconds_at(first["ts"]) if sup else 0.0
            if batches > 0:
                per_batch = sup_cpu / batches
                per_worker = batches / span / launch.workers
                out["batches_per_worker_per_s"] = round(per_worker, 2)
                out["supervisor_cpu_percent"] = round(100 * sup_cpu / span, 1)
                waits = [w for t, w in zip(sup.t, sup.wait) if first["ts"] <= t <= last["ts"]] if sup else []
                out["supervisor_runqueue_wait_percent"] = round(sum(waits) / len(waits), 1) if waits else None
                out["supervisor_cpu_ms_per_batch"] = round(per_batch * 1e3, 3)
                feedable = feedable_workers(per_batch, per_worker)
                out["feedable_workers"] = round(feedable, 1) if feedable != float("inf") else None
        if "loop_lag" in last:
            out["loop_lag"] = {k: last["loop_lag"][k] for k in ("p50_ms", "p99_ms", "max_ms") if k in last["loop_lag"]}
        out["batch_size_end"] = last.get("batch_size")
    elif end is not None and end.get("seconds"):
        out["it_per_s"] = round(end["iterations"] / end["seconds"], 1)
    if end is not None:
        out["iterations"] = end["iterations"]
        out["reason"] = end.get("reason")
        if end.get("error"):
            out["error"] = end["error"]
    if kill is not None:
        out["kill"] = _kill_outcome(launch, events, kill, hung, end)
    out["_traces"] = _trim_traces(traces, workers, root_pid, start, stop)
    return out


def _trim_traces(traces: dict[int, Trace], workers: dict[int, float], root_pid: int, start: float, stop: float
                 ) -> dict[str, list[list[float]]]:
    out = {}
    for pid, trace in traces.items():
        if pid in workers:
            label = f"worker {pid}"
        elif pid == root_pid:
            label = "supervisor"
        else:
            continue
        out[label] = [[round(t - start, 2), round(c, 1), round(w, 1)] for t, c, w in zip(trace.t, trace.cpu, trace.wait)
                      if start - 1 <= t <= stop]
    return out


def _kill_outcome(launch: Launch, events: list[dict[str, Any]], kill: dict[str, Any], hung: bool,
                  end: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"killed_pid": kill["pid"], "hung": hung, "finished": end is not None}
    if launch.design == "baseline":
        died = next((e for e in events if e["event"] == "worker_died"), None)
        if end is not None:
            out["lost_iterations"] = end.get("lost", 0)
        elif died is not None:
            out["lost_iterations"] = died["issued"] - died["merged"]
        out["detected_s"] = round(died["ts"] - kill["ts"], 3) if died else None
        out["replaced"] = False
        return out
    after = [e for e in events if e["event"] == "ready" and e["ts"] > kill["ts"]]
    shutdown = next((e for e in events if e["event"] == "shutdown"), {})
    abandoned = shutdown.get("abandoned") or []
    out["requeued_batches"] = sum(1 for e in events if e["event"] == "batch_requeued")
    out["abandoned_batches"] = len(abandoned)
    out["lost_iterations"] = 0 if end is not None and not abandoned and not (end or {}).get("error") else None
    out["replaced"] = bool(after)
    out["replacement_ready_s"] = round(after[0]["ts"] - kill["ts"], 3) if after else None
    return out


def find_run(results: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    for r in results:
        if all(r.get(k) == v for k, v in match.items()) and "kill" not in r:
            return r
    return None


def summarize(results: list[dict[str, Any]], games: Sequence[str], cores: int) -> dict[str, Any]:
    """Efficiencies, goals met, and ours/baseline ratios from the list of runs."""
    per_game: dict[str, Any] = {}
    for game in games:
        one = find_run(results, game=game, design="supervisor", workers=1, batch="auto")
        base_one = find_run(results, game=game, design="baseline", workers=1, batch="auto")
        for r in results:
            if r["game"] != game or r["batch"] != "auto" or "kill" in r or not r.get("it_per_s"):
                continue
            ref = one if r["design"] != "baseline" else base_one
            if ref and ref.get("it_per_s"):
                r["efficiency"] = round(scaling_efficiency(r["it_per_s"], r["workers"], ref["it_per_s"]), 3)
                if r.get("it_per_worker_cpu_s") and ref.get("it_per_worker_cpu_s"):
                    r["cpu_efficiency"] = round(r["it_per_worker_cpu_s"] / ref["it_per_worker_cpu_s"], 3)
        ours = find_run(results, game=game, design="supervisor", workers=cores, batch="auto") or {}
        base = find_run(results, game=game, design="baseline", workers=cores, batch="auto") or {}
        over = find_run(results, game=game, design="supervisor", workers=2 * cores, batch="auto") or {}
        inproc = find_run(results, game=game, design="inprocess", workers=1) or {}
        two = find_run(results, game=game, design="supervisor", workers=2, batch="auto") or {}
        sweep: dict[str, list[dict[str, Any]]] = {"supervisor": [], "baseline": []}
        for r in sorted(_sweep_runs(results, game), key=lambda r: int(r["batch"])):
            sweep[r["design"]].append({"batch": int(r["batch"]), **{k: r.get(k) for k in (
                "it_per_s", "sawtooth_index", "idle_index", "feedable_workers", "supervisor_cpu_ms_per_batch")}})
        per_game[game] = {
            "efficiency_at_2_workers": two.get("efficiency"),
            "cpu_efficiency_at_2_workers": two.get("cpu_efficiency"),
            "efficiency_vs_inprocess_at_2_workers": round(two["it_per_s"] / (2 * inproc["it_per_s"]), 3)
            if two.get("it_per_s") and inproc.get("it_per_s") else None,
            "sawtooth_index": ours.get("sawtooth_index"),
            "idle_index": ours.get("idle_index"),
            "mean_worker_cpu_percent": ours.get("mean_worker_cpu_percent"),
            "loop_lag_p99_ms": (ours.get("loop_lag") or {}).get("p99_ms"),
            "feedable_workers": ours.get("feedable_workers"),
            "supervisor_cpu_ms_per_batch": ours.get("supervisor_cpu_ms_per_batch"),
            "supervisor_runqueue_wait_percent": ours.get("supervisor_runqueue_wait_percent"),
            "oversubscribed_over_cores_it_per_s": round(over["it_per_s"] / ours["it_per_s"], 3)
            if over.get("it_per_s") and ours.get("it_per_s") else None,
            "batch_sweep": sweep,
            "baseline": {
                "it_per_s_ratio": _ratio(ours.get("it_per_s"), base.get("it_per_s")),
                "it_per_worker_cpu_s_ratio": _ratio(ours.get("it_per_worker_cpu_s"), base.get("it_per_worker_cpu_s")),
                "mean_worker_cpu_percent": base.get("mean_worker_cpu_percent"),
                "sawtooth_index": base.get("sawtooth_index"),
                "idle_index": base.get("idle_index"),
                "efficiency_at_2_workers": (find_run(results, game=game, design="baseline", workers=2,
                                                  batch="auto") or {}).get("efficiency"),
            },
        }
    kills = {r["design"]: r["kill"] for r in results if "kill" in r}
    measured = {
        "efficiency_at_2_workers": {g: v["efficiency_at_2_workers"] for g, v in per_game.items()},
        "sawtooth_index": {g: v["sawtooth_index"] for g, v in per_game.items()},
        "loop_lag_p99_ms": {g: v["loop_lag_p99_ms"] for g, v in per_game.items()},
        "feedable_workers": {g: v["feedable_workers"] for g, v in per_game.items()},
    }
    met = {
        "efficiency_at_2_workers": _all(measured["efficiency_at_2_workers"], lambda v: v >= 0.95),
        "sawtooth_index": _all(measured["sawtooth_index"], lambda v: v < 0.01),
        "loop_lag_p99_ms": _all(measured["loop_lag_p99_ms"], lambda v: v < 5.0),
        "feedable_workers": _all(measured["feedable_workers"], lambda v: v >= 64),
    }
    return {"per_game": per_game, "measured": measured, "met": met, "kill": kills}


def _sweep_runs(results: list[dict[str, Any]], game: str) -> list[dict[str, Any]]:
    return [r for r in results if r["game"] == game and r["batch"] != "auto" and "kill" not in r]


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _all(values: dict[str, Any], ok: Any) -> bool | None:
    present = [v for v in values.values() if v is not None]
    return all(ok(v) for v in present) if present else None
