"""A run's state folded from its events: totals, rates, per-worker rows, checkpoints and the errors seen."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

ERROR_EVENTS = {"worker_error", "fatal", "restart", "hang", "protocol_error", "shutdown_timeout", "reap_timeout"}
MAX_ERRORS_KEPT = 50
MIN_RATE_SPAN_S = 0.5


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
    """Run state folded from events: the numbers the live line, the table and the summary show.

    Several runs appended to one file (resumed into the same directory) are told apart by ``run_start``:
    the view then shows the latest run only, and ``runs`` counts them.
    """

    events: int = 0
    bad_lines: int = 0
    runs: int = 0
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
        ts = num(ev.get("ts"))
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
        """A run appended to the file (a resume into the same directory) starts a fresh view of its own."""
        runs, bad_lines = self.runs + 1, self.bad_lines
        for f in fields(self):
            setattr(self, f.name, f.default_factory() if f.default_factory is not MISSING else f.default)
        self.runs, self.bad_lines, self.events = runs, bad_lines, 1
        self.first_ts = self.last_ts = ts
        self.game = ev.get("game")
        self.num_workers = ev.get("workers")
        self.iterations = int(ev.get("iterations") or 0)

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
        if self.last_checkpoint is None or num(self.last_checkpoint.get("ts")) is None:
            return None
        return max(0.0, now - float(self.last_checkpoint["ts"]))


def num(value: Any) -> float | None:
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
