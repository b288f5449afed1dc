"""A run's state as text: the refreshed status line, table rows, one line per event, and the summary."""

from __future__ import annotations

import json
import time
from typing import Any

from holdem.runlog.view import RunView, WorkerRow, error_text, num


class Style:
    """ANSI emphasis on a terminal (unless NO_COLOR), plain text elsewhere."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def error(self, text: str) -> str:
        return self._wrap("1;31", text) if self.enabled else f"!! {text}"

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


def _fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _fmt_bytes(size: Any) -> str:
    if not isinstance(size, int | float):
        return "?"
    return f"{size / 1e6:.2f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"


def _fmt_cpu(w: WorkerRow) -> str:
    return "-" if w.cpu_percent is None else f"{w.cpu_percent:.0f}%"


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def status_line(view: RunView, now: float, worker: int | None = None) -> str:
    """The one refreshed line: iterations, it/s, per-worker it/s and CPU, lag, restarts, checkpoint age."""
    parts = [f"it {view.iterations:,}", f"{view.it_per_s:,.0f} it/s"]
    rows = [w for _, w in sorted(view.workers.items()) if worker is None or w.worker_id == worker]
    if rows:
        parts.append(" ".join(f"w{w.worker_id if w.worker_id is not None else '?'}:{_fmt_rate(w.it_per_s)}/"
                              f"{_fmt_cpu(w)}" for w in rows))
    if view.loop_lag:
        parts.append(f"lag p99 {float(view.loop_lag.get('p99_ms') or 0.0):.1f}ms")
    parts.append(f"restarts {view.restarts}")
    parts.append(f"ckpt {_fmt_age(view.checkpoint_age(now))} ago" if view.last_checkpoint else "ckpt -")
    if view.exploitability is not None:
        parts.append(f"expl {float(view.exploitability):.4f}")
    if view.time_left_s is not None:
        parts.append(f"{float(view.time_left_s):.0f}s left")
    if view.error_count:
        parts.append(f"errors {view.error_count}")
    return " | ".join(parts)




def table_header() -> str:
    return f"{'time':>8}  {'iterations':>14}  {'it/s':>11}  {'workers it/s @cpu':<30}  {'lag p99':>8}  " \
           f"{'rst':>3}  {'ckpt':>5}"


def table_row(view: RunView, now: float, worker: int | None = None) -> str:
    """One row of the compact table printed when stdout is not a terminal."""
    clock = time.strftime("%H:%M:%S", time.localtime(view.last_ts or now))
    rows = [w for _, w in sorted(view.workers.items()) if worker is None or w.worker_id == worker]
    per = " ".join(f"{_fmt_rate(w.it_per_s)}@{_fmt_cpu(w)}" for w in rows) or "-"
    lag = f"{float(view.loop_lag.get('p99_ms') or 0.0):.1f}ms" if view.loop_lag else "-"
    ckpt = _fmt_age(view.checkpoint_age(now)) if view.last_checkpoint else "-"
    return f"{clock:>8}  {view.iterations:>14,}  {view.it_per_s:>11,.0f}  {per:<30}  {lag:>8}  " \
           f"{view.restarts:>3}  {ckpt:>5}"


def event_line(ev: dict[str, Any], style: Style) -> str:
    """A readable one-line rendering of any event; failures emphasised."""
    ts = num(ev.get("ts"))
    clock = time.strftime("%H:%M:%S", time.localtime(ts)) if ts is not None else "--:--:--"
    text = error_text(ev)
    if text is not None:
        return f"{clock} {style.error(text)}"
    name = str(ev.get("event"))
    if name == "checkpoint":
        return (f"{clock} checkpoint {ev.get('reason', '')} it {ev.get('iterations', 0):,} "
                f"{_fmt_bytes(ev.get('bytes'))} in {ev.get('seconds', '?')} s -> {ev.get('path')}")
    if name == "worker_output":
        return f"{clock} " + style.dim(f"worker {ev.get('worker')} {ev.get('stream')}: {ev.get('line')}")
    if name == "run_end":
        return f"{clock} " + style.bold(f"run_end {ev.get('reason')}: {ev.get('iterations', 0):,} iterations in "
                                        f"{ev.get('seconds', '?')} s")
    skip = {"ts", "event", "config", "memory", "workers", "argv", "traceback"}
    fields = " ".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in ev.items() if k not in skip)
    return f"{clock} {name} {fields}".rstrip()


def summary_lines(view: RunView, now: float, worker: int | None = None, style: Style | None = None) -> list[str]:
    """The ``--once`` report (and the closing report of a followed run)."""
    out = []
    span = (view.last_ts - view.first_ts) if view.first_ts is not None and view.last_ts is not None else 0.0
    head = f"{view.events} events over {span:.1f} s"
    if view.runs > 1:
        head = f"run {view.runs} of this file (earlier runs left out): " + head
    if view.game:
        head += f", game {view.game}, {view.num_workers} worker(s)"
    if view.bad_lines:
        head += f", {view.bad_lines} unreadable line(s) skipped"
    out.append(head)
    state = "running"
    if view.run_end is not None:
        state = f"ended: {view.run_end.get('reason')}" + (f" (error: {view.run_end['error']})"
                                                          if view.run_end.get("error") else "")
    out.append(f"state: {state}")
    average, per_slot = view.average_rates()
    totals = f"iterations {view.iterations:,}  it/s {view.it_per_s:,.0f} last"
    if average is not None:
        totals += f", {average:,.0f} average"
    totals += f"  nodes/s {view.nodes_per_s:,.0f}"
    if view.elapsed_s is not None:
        totals += f"  elapsed {float(view.elapsed_s):.1f} s"
    if view.time_left_s is not None:
        totals += f"  left {float(view.time_left_s):.0f} s"
    if view.exploitability is not None:
        totals += f"  exploitability {float(view.exploitability):.5f}"
    out.append(totals)
    rows = [w for _, w in sorted(view.workers.items()) if worker is None or w.worker_id == worker]
    if rows:
        out.append(f"  {'slot':>4} {'worker':>6} {'pid':>7} {'state':<16} {'iterations':>14} {'it/s':>11} "
                   f"{'avg it/s':>11} {'cpu':>5} {'rss MB':>7}")
        for w in rows:
            rss = "-" if w.rss_bytes is None else f"{w.rss_bytes / 1e6:.0f}"
            out.append(f"  {w.slot:>4} {w.worker_id if w.worker_id is not None else '-':>6} "
                       f"{w.pid if w.pid is not None else '-':>7} {w.state:<16} {w.iterations:>14,} "
                       f"{_fmt_rate(w.it_per_s):>11} {_fmt_rate(per_slot.get(w.slot)):>11} {_fmt_cpu(w):>5} {rss:>7}")
    lag = view.loop_lag
    lag_s = (f"p50 {float(lag.get('p50_ms') or 0):.2f} ms, p99 {float(lag.get('p99_ms') or 0):.2f} ms, "
             f"worst p99 seen {view.lag_p99_max_ms:.2f} ms, max {float(lag.get('max_ever_ms') or 0):.1f} ms"
             if lag else "-")
    out.append(f"loop lag: {lag_s}")
    out.append(f"restarts {view.restarts}  requeued {view.requeues}  worker stderr lines {view.stderr_lines}")
    if view.last_checkpoint is not None:
        ck = view.last_checkpoint
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(num(ck.get("ts")) or now)))
        out.append(f"checkpoints {view.checkpoints}, last {_fmt_age(view.checkpoint_age(now))} ago ({at}): it "
                   f"{ck.get('iterations', 0):,}, {_fmt_bytes(ck.get('bytes'))}, written in {ck.get('seconds', '?')} s "
                   f"-> {ck.get('path')}")
    else:
        out.append("checkpoints 0")
    style = style or Style(False)
    out.append(f"errors {view.error_count}")
    out.extend(f"  {time.strftime('%H:%M:%S', time.localtime(ts))} {style.error(text)}"
               for ts, text in view.errors[-10:])
    return out
