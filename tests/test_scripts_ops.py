"""Operations scripts: ``tail_logs.py`` on synthetic event files (rotation, filters, JSON) and
``supervise.py --detach`` on a tiny Leduc run (pid file, clean exit, refusals, one-line errors)."""

from __future__ import annotations

import importlib.util
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TAIL = ROOT / "scripts" / "tail_logs.py"
SUPERVISE = ROOT / "scripts" / "supervise.py"
T0 = 1_800_000_000.0


def _load_tail_module() -> Any:
    spec = importlib.util.spec_from_file_location("tail_logs_under_test", TAIL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tail_logs = _load_tail_module()


def _ev(dt: float, event: str, **fields: Any) -> str:
    return json.dumps({"ts": T0 + dt, "event": event, **fields}, separators=(",", ":"))


def _worker(wid: int, slot: int, cpu: float) -> dict[str, Any]:
    return {"worker_id": wid, "slot": slot, "pid": 1000 + wid, "state": "ready", "batches_done": 3,
            "cpu_percent": cpu, "rss_bytes": 200_000_000, "in_flight": 2}


def synthetic_run() -> list[str]:
    """A two-worker run: progress, a checkpoint, a worker killed and restarted, then the end."""
    lag = {"p50_ms": 0.2, "p99_ms": 7.5, "max_ms": 30.0, "samples": 100, "max_ever_ms": 240.0}
    return [
        _ev(0.0, "run_start", game="leduc", workers=2, rows=288, iterations=0),
        _ev(0.1, "start", num_workers=2, credits=2),
        _ev(0.2, "spawn", worker=0, slot=0, pid=1000),
        _ev(0.2, "spawn", worker=1, slot=1, pid=1001),
        _ev(1.0, "ready", worker=0, slot=0, pid=1000, boot_s=0.8),
        _ev(1.1, "ready", worker=1, slot=1, pid=1001, boot_s=0.9),
        _ev(2.0, "progress", iterations=1000, it_per_s=1000.0, nodes_per_s=5e4, elapsed_s=1.0, batch_size=100,
            worker_iterations={"0": 500, "1": 500}, workers=[_worker(0, 0, 95.0), _worker(1, 1, 90.0)],
            restarts=0, loop_lag=lag),
        _ev(3.0, "progress", workers=[_worker(0, 0, 97.0), _worker(1, 1, 93.0)], restarts=0, loop_lag=lag),
        _ev(4.0, "progress", iterations=5000, it_per_s=2000.0, nodes_per_s=1e5, elapsed_s=3.0, batch_size=400,
            worker_iterations={"0": 2500, "1": 2500}, workers=[_worker(0, 0, 98.0), _worker(1, 1, 96.0)],
            restarts=0, loop_lag=lag),
        _ev(4.5, "checkpoint", path="/x/checkpoints/checkpoint-000000005000.npz", iterations=5000,
            reason="interval", bytes=12_250_927, copy_s=0.03, seconds=0.19),
        _ev(5.0, "worker_error", worker=1, batch=17, message="ValueError: boom\nsecond line", traceback="tb"),
        _ev(5.1, "exit", worker=1, slot=1, pid=1001, reason="error", status="signal SIGKILL", requeued=[17]),
        _ev(5.1, "requeue", batch=17, worker=1, reason="error"),
        _ev(5.2, "restart", slot=1, after=1, reason="error", delay_s=0.0, recent=1),
        _ev(5.3, "spawn", worker=2, slot=1, pid=1002),
        _ev(5.4, "worker_output", worker=2, stream="stderr", line="warming up"),
        _ev(6.0, "ready", worker=2, slot=1, pid=1002, boot_s=0.7),
        _ev(7.0, "progress", iterations=9000, it_per_s=1333.0, nodes_per_s=7e4, elapsed_s=6.0, batch_size=400,
            worker_iterations={"0": 6000, "1": 3000}, workers=[_worker(0, 0, 99.0), _worker(2, 1, 50.0)],
            restarts=1, loop_lag={**lag, "p99_ms": 12.25}),
        _ev(7.5, "exit", worker=0, slot=0, pid=1000, reason="eof", status="exit 0", requeued=[]),
        _ev(7.5, "exit", worker=2, slot=1, pid=1002, reason="eof", status="exit 0", requeued=[]),
        _ev(7.6, "checkpoint", path="/x/checkpoints/checkpoint-000000009000.npz", iterations=9000,
            reason="final", bytes=12_250_927, copy_s=0.03, seconds=0.2),
        _ev(7.7, "blueprint", path="/x/blueprint.npz", checksum="ab", iterations=9000),
        _ev(7.7, "run_end", iterations=9000, seconds=6.5, reason="time_budget", exploitability=None, restarts=1,
            error=None),
    ]


def run_tail(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TAIL), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    (tmp_path / "events.jsonl").write_text("\n".join(synthetic_run()) + "\n")
    return tmp_path


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


# ---- tail_logs --------------------------------------------------------------------------------------


def test_once_summarises_totals_workers_lag_checkpoints_and_errors(run_dir: Path) -> None:
    proc = run_tail(str(run_dir), "--once")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "state: ended: time_budget" in out
    assert "iterations 9,000" in out
    assert "p99 12.25 ms" in out
    assert "restarts 1  requeued 1  worker stderr lines 1" in out
    assert "checkpoints 2" in out and "12.25 MB" in out
    assert "errors 3" in out
    assert "!! worker_error worker 1 batch 17: ValueError: boom" in out
    assert "!! exit worker 1 slot 1: signal SIGKILL (error)" in out
    assert "!! restart slot 1 after worker 1: error" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("     ")}
    assert rows["0"][1:5] == ["0", "1000", "exit", "0"] and rows["0"][5] == "6,000"
    assert rows["1"][1:3] == ["2", "1002"] and rows["1"][5] == "3,000"


def test_once_json_filters_by_event_and_worker(run_dir: Path) -> None:
    lines = synthetic_run()
    proc = run_tail(str(run_dir), "--once", "--json", "--event", "checkpoint,exit")
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == [line for line in lines if json.loads(line)["event"] in ("checkpoint", "exit")]
    proc = run_tail(str(run_dir / "events.jsonl"), "--once", "--json", "--worker", "2")
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["event"] for e in got] == ["spawn", "worker_output", "ready", "progress", "exit"]
    proc = run_tail(str(run_dir), "--once", "--json", "--event", "exit", "--worker", "1")
    assert [json.loads(line)["status"] for line in proc.stdout.splitlines()] == ["signal SIGKILL"]


def test_once_readable_filter_prints_matching_events_then_summary(run_dir: Path) -> None:
    proc = run_tail(str(run_dir), "--once", "--event", "restart")
    assert proc.returncode == 0
    out = proc.stdout.splitlines()
    assert "!! restart slot 1 after worker 1: error" in out[0]
    assert out[1].startswith(f"{len(synthetic_run())} events over 7.7 s")


def test_unreadable_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    lines = synthetic_run()
    (tmp_path / "events.jsonl").write_text("\n".join([lines[0], "{not json", "[1, 2]", *lines[1:]]) + "\n")
    proc = run_tail(str(tmp_path), "--once")
    assert proc.returncode == 0
    assert "2 unreadable line(s) skipped" in proc.stdout and "iterations 9,000" in proc.stdout


def test_follower_survives_rotation_truncation_and_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    follower = tail_logs.LineFollower(path)
    assert follower.poll() == []
    path.write_text("a\nb")
    assert follower.poll() == ["a"]
    with open(path, "a") as fh:
        fh.write("c\nd\n")
    assert follower.poll() == ["bc", "d"]
    with open(path, "a") as fh:
        fh.write("e\n")
    path.rename(tmp_path / "events.jsonl.1")
    assert follower.poll() == ["e"]
    path.write_text("f\nff\n")
    assert follower.poll() == ["f", "ff"]
    path.write_text("g\n")
    assert follower.poll() == ["g"]
    follower.close()


class PipeLines:
    """Lines from a child's pipe, read with a deadline (select on the raw fd, no text buffering)."""

    def __init__(self, stream: Any) -> None:
        self.fd = stream.fileno()
        self.buffer = b""

    def read(self, count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while self.buffer.count(b"\n") < count:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"timed out after {timeout} s waiting for {count} lines: {self.buffer!r}")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n", count)
        return [line.decode() for line in lines]


def test_follow_waits_for_the_file_rides_a_rotation_and_stops_at_run_end(tmp_path: Path) -> None:
    lines = synthetic_run()
    path = tmp_path / "events.jsonl"
    tail = subprocess.Popen([sys.executable, str(TAIL), str(tmp_path), "--json", "--poll", "0.05"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = PipeLines(tail.stdout), PipeLines(tail.stderr)
    try:
        assert err.read(1, 10)[0].startswith("waiting for")
        path.write_text("\n".join(lines[:10]) + "\n")
        first = out.read(10, 10)
        path.rename(tmp_path / "events.jsonl.1")
        path.write_text("\n".join(lines[10:]) + "\n")
        rest = out.read(len(lines) - 10, 10)
        assert tail.wait(timeout=10) == 0
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    assert first + rest == lines
    assert out.buffer + tail.stdout.read() == b""


def test_follow_table_when_not_a_terminal(run_dir: Path) -> None:
    proc = run_tail(str(run_dir), "--every", "0")
    assert proc.returncode == 0
    out = proc.stdout
    assert "iterations" in out.splitlines()[2] and "lag p99" in out.splitlines()[2]
    assert "     9,000" in out and "!! restart slot 1" in out
    assert "run_end time_budget: 9,000 iterations" in out


@pytest.mark.parametrize("args", [["/nonexistent/run", "--once"], ["x", "--worker", "abc"], ["x", "--poll", "0"],
                                  ["--once"]])
def test_tail_bad_input_is_one_line_and_exit_2(args: list[str]) -> None:
    proc = run_tail(*args)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "error" in proc.stderr
    assert proc.stdout == ""


# ---- supervise --------------------------------------------------------------------------------------


def run_supervise(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SUPERVISE), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_detach_writes_pid_file_finishes_and_removes_it(tmp_path: Path) -> None:
    logdir = tmp_path / "run"
    logdir.mkdir()
    pidfile = logdir / "supervise.pid"
    pidfile.write_text(f"{_dead_pid()}\n")
    parent = subprocess.Popen([sys.executable, str(SUPERVISE), "--config", "leduc", "--logdir", str(logdir),
                               "--iters", "20000", "--num-workers", "1", "--quiet", "--detach"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while parent.poll() is None and time.monotonic() < deadline:
        try:
            seen.add(pidfile.read_text().strip())
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    out, err = parent.communicate(timeout=5)
    assert parent.returncode == 0, err
    pid = int(out.split("training pid ")[1].split()[0])
    assert str(pid) in seen
    assert "tail_logs.py" in out
    log = logdir / "supervise.log"
    wait_for(lambda: '"launcher_exit"' in log.read_text(), 60, "the detached run to finish")
    exit_record = json.loads([line for line in log.read_text().splitlines() if "launcher_exit" in line][-1])
    assert exit_record["pid"] == pid and exit_record["status"] == 0
    assert not pidfile.exists()
    last = json.loads((logdir / "events.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "run_end" and last["iterations"] == 20000 and last["reason"] == "iterations"
    assert (logdir / "blueprint.npz").is_file()
    summary = run_tail(str(logdir), "--once")
    assert "state: ended: iterations" in summary.stdout and "iterations 20,000" in summary.stdout


def test_detach_refuses_a_pid_file_naming_a_live_launcher(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "supervise.py"])
    try:
        (tmp_path / "supervise.pid").write_text(f"{holder.pid}\n")
        proc = run_supervise("--config", "leduc", "--logdir", str(tmp_path), "--iters", "100", "--detach")
        assert proc.returncode == 2
        assert len(proc.stderr.strip().splitlines()) == 1 and f"pid {holder.pid}" in proc.stderr
        assert (tmp_path / "supervise.pid").read_text().strip() == str(holder.pid)
        assert not (tmp_path / "supervise.log").exists()
    finally:
        holder.kill()
        holder.wait()


def test_detached_run_failing_at_startup_reports_one_line(tmp_path: Path) -> None:
    proc = run_supervise("--config", "leduc", "--logdir", str(tmp_path / "run"), "--iters", "100", "--num-workers",
                         "1", "--resume-from", str(tmp_path / "missing.npz"), "--detach")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "missing.npz" in proc.stderr
    assert not (tmp_path / "run" / "supervise.pid").exists()


@pytest.mark.parametrize("case", ["unknown_key", "batch_size", "unknown_flag", "logdir_under_file"])
def test_supervise_bad_input_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("game: leduc\niterations: 100\nbogus_key: 1\n")
    (tmp_path / "afile").write_text("")
    args = {
        "unknown_key": ["--config", str(config), "--logdir", str(tmp_path / "run")],
        "batch_size": ["--config", "leduc", "--logdir", str(tmp_path / "run"), "--batch-size", "abc"],
        "unknown_flag": ["--config", "leduc", "--logdir", str(tmp_path / "run"), "--nope"],
        "logdir_under_file": ["--config", "leduc", "--logdir", str(tmp_path / "afile" / "run")],
    }[case]
    proc = run_supervise(*args, "--detach")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "error" in proc.stderr
    if case == "unknown_key":
        assert "bogus_key" in proc.stderr
    assert not (tmp_path / "run").exists()
