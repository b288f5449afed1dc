"""Follow a training run's ``events.jsonl`` and show a live view: totals, per-worker speed and CPU, errors.

Survives rotation and truncation of the file (reopens on a new inode or a shrink), waits for it to appear,
and stops at ``run_end`` unless ``--follow-forever``. ``--once`` summarises the file so far and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

EVENTS_FILE = "events.jsonl"
ERROR_EVENTS = {"worker_error", "fatal", "restart", "hang", "protocol_error", "shutdown_timeout", "reap_timeout"}
NOTABLE_EVENTS = {"run_start", "start", "checkpoint", "snapshot", "signal", "stop_requested", "stop_forced",
                  "draining", "slot_retired", "blueprint", "run_end", "requeue"}
MAX_ERRORS_KEPT = 50
MIN_RATE_SPAN_S = 0.5


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


class LineFollower:
    """Complete lines appended to a file, across rotation (new inode) and truncation (size below offset)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        self._inode: int | None = None
        self._pending = b""
        self.reopened = 0

    def _open(self) -> bool:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            return False
        self._fh, self._inode, self._pending = fh, os.fstat(fh.fileno()).st_ino, b""
        return True

    def exists(self) -> bool:
        return self._fh is not None or self.path.exists()

    def poll(self) -> list[str]:
        """Lines completed since the last call (decoded, without the newline); [] when nothing new."""
        if self._fh is None and not self._open():
            return []
        assert self._fh is not None
        lines = self._drain()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return lines
        if st.st_ino != self._inode:
            lines += self._drain(final=True)
            self._fh.close()
            self._fh = None
            self.reopened += 1
            if self._open():
                lines += self._drain()
        elif st.st_size < self._fh.tell():
            self._fh.seek(0)
            self._pending = b""
            self.reopened += 1
            lines += self._drain()
        return lines

    def _drain(self, final: bool = False) -> list[str]:
        assert self._fh is not None
        data = self._pending + self._fh.read()
        *complete, self._pending = data.split(b"\n")
        if final and self._pending:
            complete.append(self._pending)
            self._pending = b""
        return [raw.decode("utf-8", "replace") for raw in complete if raw.strip()]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass
class WorkerRow:
    """What the log says about one worker slot."""

    slot: int
    worker_id: int | None = None
    pid: int | None = None
    state: str = "?"
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    batches_done: int = 0
    iterations: int = 0
    it_per_s: float | None = None


@dataclass
class RunView:
    """Run state folded from events: the numbers the live line, the table and the summary show."""

    events: int = 0
    bad_lines: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    game: str | None = None
    num_workers: int | None = None
    iterations: int = 0
    it_per_s: float = 0.0
    nodes_per_s: float = 0.0
    elapsed_s: float | None = None
    time_left_s: float | None = None
    exploitability: float | None = None
    batch_size: int | None = None
    table_fill: float | None = None
    loop_lag: dict[str, float] = field(default_factory=dict)
    lag_p99_max_ms: float = 0.0
    restarts: int = 0
    restart_events: int = 0
    requeues: int = 0
    stderr_lines: int = 0
    checkpoints: int = 0
    last_checkpoint: dict[str, Any] | None = None
    snapshots: int = 0
    workers: dict[int, WorkerRow] = field(default_factory=dict)
    errors: list[tuple[float, str]] = field(default_factory=list)
    error_count: int = 0
    run_end: dict[str, Any] | None = None
    _last_job_progress: tuple[float, dict[int, int]] | None = None
    _first_job_progress: tuple[float, int, dict[int, int]] | None = None
    _latest_job_progress: tuple[float, int, dict[int, int]] | None = None

    def worker(self, slot: int) -> WorkerRow:
        return self.workers.setdefault(slot, WorkerRow(slot))

    def apply(self, ev: dict[str, Any]) -> None:
        """Fold one event into the view."""
        self.events += 1
        ts = _num(ev.get("ts"))
        if ts is not None:
            self.first_ts = ts if self.first_ts is None else self.first_ts
            self.last_ts = ts
        name = ev.get("event")
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(ev, ts)
        text = error_text(ev)
        if text is not None:
            self.error_count += 1
            self.errors.append((ts or 0.0, text))
            del self.errors[:-MAX_ERRORS_KEPT]

    def _on_run_start(self, ev: dict[str, Any], ts: float | None) -> None:
        self.game = ev.get("game")
        self.num_workers = ev.get("workers")
        self.iterations = int(ev.get("iterations") or 0)
        self.run_end = None
        self.workers.clear()
        self._last_job_progress = self._first_job_progress = self._latest_job_progress = None

    def _on_progress(self, ev: dict[str, Any], ts: float | None) -> None:
        for row in ev.get("workers") or []:
            if not isinstance(row, dict) or row.get("slot") is None:
                continue
            w = self.worker(int(row["slot"]))
            w.worker_id, w.pid = row.get("worker_id", w.worker_id), row.get("pid", w.pid)
            w.state = row.get("state", w.state)
            w.batches_done = int(row.get("batches_done") or w.batches_done)
            w.cpu_percent, w.rss_bytes = row.get("cpu_percent"), row.get("rss_bytes")
        if isinstance(ev.get("loop_lag"), dict):
            self.loop_lag = ev["loop_lag"]
            self.lag_p99_max_ms = max(self.lag_p99_max_ms, float(self.loop_lag.get("p99_ms") or 0.0))
        if ev.get("restarts") is not None:
            self.restarts = max(self.restarts, int(ev["restarts"]))
        if "iterations" not in ev:
            return
        self.iterations = int(ev["iterations"])
        for key in ("elapsed_s", "time_left_s", "exploitability", "batch_size", "table_fill"):
            if key in ev:
                setattr(self, key, ev[key])
        counts = {int(k): int(v) for k, v in (ev.get("worker_iterations") or {}).items()}
        for slot, total in counts.items():
            self.worker(slot).iterations = total
        if ts is not None:
            self._latest_job_progress = (ts, self.iterations, counts)
            if self._first_job_progress is None:
                self._first_job_progress = self._latest_job_progress
        previous = self._last_job_progress
        if ts is None or (previous is not None and ts - previous[0] < MIN_RATE_SPAN_S):
            return
        self.it_per_s = float(ev.get("it_per_s") or 0.0)
        self.nodes_per_s = float(ev.get("nodes_per_s") or 0.0)
        if previous is not None:
            for slot, total in counts.items():
                self.worker(slot).it_per_s = max(0.0, total - previous[1].get(slot, 0)) / (ts - previous[0])
        self._last_job_progress = (ts, counts)

    def _on_spawn(self, ev: dict[str, Any], ts: float | None) -> None:
        if ev.get("slot") is not None:
            w = self.worker(int(ev["slot"]))
            w.worker_id, w.pid, w.state = ev.get("worker"), ev.get("pid"), "starting"
            w.cpu_percent = w.rss_bytes = w.it_per_s = None

    def _on_ready(self, ev: dict[str, Any], ts: float | None) -> None:
        if ev.get("slot") is not None:
            self.worker(int(ev["slot"])).state = "ready"

    def _on_exit(self, ev: dict[str, Any], ts: float | None) -> None:
        if ev.get("slot") is not None:
            w = self.worker(int(ev["slot"]))
            if w.worker_id in (None, ev.get("worker")):
                w.state = str(ev.get("status") or "exited")

    def _on_restart(self, ev: dict[str, Any], ts: float | None) -> None:
        self.restart_events += 1
        self.restarts = max(self.restarts, self.restart_events)

    def _on_requeue(self, ev: dict[str, Any], ts: float | None) -> None:
        self.requeues += 1

    def _on_worker_output(self, ev: dict[str, Any], ts: float | None) -> None:
        if ev.get("stream") == "stderr":
            self.stderr_lines += 1

    def _on_checkpoint(self, ev: dict[str, Any], ts: float | None) -> None:
        self.checkpoints += 1
        self.last_checkpoint = ev

    def _on_snapshot(self, ev: dict[str, Any], ts: float | None) -> None:
        self.snapshots += 1

    def _on_run_end(self, ev: dict[str, Any], ts: float | None) -> None:
        self.run_end = ev
        if ev.get("iterations") is not None:
            self.iterations = int(ev["iterations"])
        if ev.get("restarts") is not None:
            self.restarts = max(self.restarts, int(ev["restarts"]))

    def average_rates(self) -> tuple[float | None, dict[int, float]]:
        """Iterations per second between the first and the latest progress of this run: total and per slot."""
        first, last = self._first_job_progress, self._latest_job_progress
        if first is None or last is None or last[0] - first[0] < MIN_RATE_SPAN_S:
            return None, {}
        span = last[0] - first[0]
        slots = {slot: (total - first[2].get(slot, 0)) / span for slot, total in last[2].items()}
        return (last[1] - first[1]) / span, slots

    def checkpoint_age(self, now: float) -> float | None:
        if self.last_checkpoint is None or _num(self.last_checkpoint.get("ts")) is None:
            return None
        return max(0.0, now - float(self.last_checkpoint["ts"]))


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def error_text(ev: dict[str, Any]) -> str | None:
    """A one-line description if the event reports a failure (worker error, fatal, bad exit, restart...)."""
    name = ev.get("event")
    who = f"worker {ev['worker']}" if ev.get("worker") is not None else ""
    if name == "worker_error":
        message = str(ev.get("message") or "").strip().splitlines()
        return f"worker_error {who} batch {ev.get('batch')}: {message[0] if message else '?'}"
    if name == "fatal":
        return f"fatal ({ev.get('reason')}): {ev.get('error')}"
    if name == "exit":
        status = str(ev.get("status") or "")
        if status != "exit 0":
            return f"exit {who} slot {ev.get('slot')}: {status or '?'} ({ev.get('reason')})"
        return None
    if name == "restart":
        return f"restart slot {ev.get('slot')} after worker {ev.get('after')}: {ev.get('reason')}"
    if name == "run_end" and ev.get("error"):
        return f"run_end error: {ev.get('error')}"
    if name in ERROR_EVENTS:
        fields = " ".join(f"{k}={v}" for k, v in ev.items() if k not in ("ts", "event"))
        return f"{name} {fields}".strip()
    return None


@dataclass(frozen=True)
class EventFilter:
    """Which events to show: by name (any of) and by worker id (the ``worker`` field, or in ``workers``)."""

    names: frozenset[str] = frozenset()
    worker: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.names) or self.worker is not None

    def matches(self, ev: dict[str, Any]) -> bool:
        if self.names and ev.get("event") not in self.names:
            return False
        if self.worker is None:
            return True
        if ev.get("worker") == self.worker:
            return True
        rows = ev.get("workers")
        return isinstance(rows, list) and any(isinstance(r, dict) and r.get("worker_id") == self.worker
                                              for r in rows)


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
    ts = _num(ev.get("ts"))
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
        out.append(f"checkpoints {view.checkpoints}, last {_fmt_age(view.checkpoint_age(now))} ago: it "
                   f"{ck.get('iterations', 0):,}, {_fmt_bytes(ck.get('bytes'))}, written in {ck.get('seconds', '?')} s "
                   f"-> {ck.get('path')}")
    else:
        out.append("checkpoints 0")
    style = style or Style(False)
    out.append(f"errors {view.error_count}")
    out.extend(f"  {time.strftime('%H:%M:%S', time.localtime(ts))} {style.error(text)}"
               for ts, text in view.errors[-10:])
    return out


def decode_event(line: str) -> dict[str, Any] | None:
    """One JSON-lines event, or None for an unreadable line."""
    try:
        ev = json.loads(line)
    except ValueError:
        return None
    return ev if isinstance(ev, dict) else None


def resolve_events_path(target: str) -> Path:
    """``LOGDIR`` → ``LOGDIR/events.jsonl``; a path ending in ``.jsonl`` is used as is."""
    path = Path(target)
    if path.suffix == ".jsonl" or path.is_file():
        return path
    return path / EVENTS_FILE


class Tail:
    """Prints what ``args`` asks for from a followed event file; the run's view is folded along the way."""

    def __init__(self, args: argparse.Namespace, out: IO[str], clock: Callable[[], float] = time.time) -> None:
        self.args = args
        self.out = out
        self.clock = clock
        self.view = RunView()
        self.filter = EventFilter(frozenset(args.event or ()), args.worker)
        self.tty = out.isatty() if not args.no_tty else False
        self.style = Style(self.tty and not os.environ.get("NO_COLOR"))
        self._status_shown = False
        self._last_row_ts: float | None = None
        self._rows = 0

    def write(self, text: str) -> None:
        if self._status_shown:
            self.out.write("\r\033[K")
            self._status_shown = False
        self.out.write(text + "\n")

    def feed(self, lines: list[str]) -> bool:
        """Handle new lines; returns True once ``run_end`` has been seen (and it is time to stop)."""
        ended = False
        for raw in lines:
            ev = decode_event(raw)
            if ev is None:
                self.view.bad_lines += 1
                continue
            self.view.apply(ev)
            if ev.get("event") == "run_end":
                ended = True
            elif ev.get("event") == "run_start":
                ended = False
            if self.args.json:
                if self.filter.matches(ev):
                    self.write(raw)
                continue
            if self.args.once:
                if self.filter.active and self.filter.matches(ev):
                    self.write(event_line(ev, self.style))
                continue
            self._live(ev)
        if not self.args.json and not self.args.once and self.tty and self.view.events:
            self.out.write("\r\033[K" + status_line(self.view, self.clock(), self.args.worker))
            self._status_shown = True
        self.out.flush()
        return ended

    def _live(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        if self.filter.active:
            if self.filter.matches(ev) and name != "progress":
                self.write(event_line(ev, self.style))
        elif name in NOTABLE_EVENTS or error_text(ev) is not None:
            self.write(event_line(ev, self.style))
        if self.tty or name != "progress" or "iterations" not in ev:
            return
        ts = _num(ev.get("ts")) or self.clock()
        if self._last_row_ts is not None and ts - self._last_row_ts < self.args.every:
            return
        if self._rows % 20 == 0:
            self.write(table_header())
        self._rows += 1
        self._last_row_ts = ts
        self.write(table_row(self.view, self.clock(), self.args.worker))

    def finish(self) -> None:
        """Close the live line; the closing summary unless passing JSON through."""
        if self._status_shown:
            self.out.write("\n")
            self._status_shown = False
        if not self.args.json:
            now = self.view.last_ts if self.args.once and self.view.last_ts is not None else self.clock()
            for line in summary_lines(self.view, now, self.args.worker, self.style):
                self.out.write(line + "\n")
        self.out.flush()


def follow(args: argparse.Namespace, out: IO[str], sleep: Callable[[float], None] = time.sleep) -> int:
    """Run the tail until ``run_end`` (or forever / once); returns the exit status."""
    path = resolve_events_path(args.logdir)
    follower = LineFollower(path)
    tail = Tail(args, out)
    try:
        if args.once:
            if not path.is_file():
                raise UsageError(f"no event file at {path}")
            tail.feed(follower.poll())
            tail.finish()
            return 0
        if not follower.exists():
            print(f"waiting for {path} ...", file=sys.stderr, flush=True)
        while True:
            lines = follower.poll()
            if lines and tail.feed(lines) and not args.follow_forever:
                tail.finish()
                return 0
            sleep(args.poll)
    except KeyboardInterrupt:
        tail.finish()
        return 130
    finally:
        follower.close()


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="tail_logs.py", description=__doc__)
    parser.add_argument("logdir", help="run directory (or an events .jsonl file)")
    parser.add_argument("--json", action="store_true", help="print matching events as raw JSON lines")
    parser.add_argument("--event", action="append", metavar="NAME",
                        help="show only these events (repeat, or comma-separated)")
    parser.add_argument("--worker", type=int, metavar="N", help="show only events of worker id N")
    parser.add_argument("--once", action="store_true", help="summarise the file so far and exit")
    parser.add_argument("--follow-forever", action="store_true", help="keep following after run_end")
    parser.add_argument("--poll", type=float, default=0.25, metavar="S", help="seconds between file polls")
    parser.add_argument("--every", type=float, default=5.0, metavar="S",
                        help="seconds between table rows when output is not a terminal")
    parser.add_argument("--no-tty", action="store_true", help="table rows instead of a refreshed line")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.event:
        args.event = [name for item in args.event for name in item.split(",") if name.strip()]
    if not 0.01 <= args.poll <= 60:
        parser.error(f"--poll must be between 0.01 and 60 seconds, got {args.poll}")
    if args.every < 0:
        parser.error(f"--every must not be negative, got {args.every}")
    if args.worker is not None and args.worker < 0:
        parser.error(f"--worker must be a worker id (0 or more), got {args.worker}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return follow(args, sys.stdout)
    except UsageError as exc:
        print(f"tail_logs.py: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
