"""A training run's edges from outside: reused logdirs, resumes with nothing to do, stop signals, full disks."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from waiting import wait_for

from holdem.training import RunError, build_config, train
from holdem.training.setup import create

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--quiet", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=timeout)


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def _events(logdir: Path) -> list[dict]:
    return [json.loads(line) for line in (logdir / "events.jsonl").read_text().splitlines() if line.strip()]


def _event_seen(logdir: Path, name: str):
    def seen():
        try:
            return [e for e in _events(logdir) if e["event"] == name]
        except (FileNotFoundError, json.JSONDecodeError):
            return None
    return seen


def test_a_fresh_run_into_a_used_logdir_is_refused_and_overwrite_starts_over(tmp_path):
    assert _cli("--logdir", str(tmp_path), "--iters", "3000", "--num-workers", "1").returncode == 0
    again = _cli("--logdir", str(tmp_path), "--iters", "3000", "--num-workers", "1")
    assert again.returncode == 2 and "already holds a run" in _one_error_line(again)
    assert "--resume-from" in again.stderr and "--overwrite" in again.stderr
    over = _cli("--logdir", str(tmp_path), "--iters", "2000", "--num-workers", "1", "--overwrite")
    assert over.returncode == 0, over.stderr
    starts = [e for e in _events(tmp_path) if e["event"] == "run_start"]
    assert len(starts) == 1 and [p.name for p in (tmp_path / "checkpoints").glob("*.npz")] == \
        ["checkpoint-000000002000.npz"]


def test_resume_from_a_directory_takes_its_newest_checkpoint_and_iters_is_the_total(tmp_path):
    assert _cli("--logdir", str(tmp_path), "--iters", "3000", "--num-workers", "1").returncode == 0
    more = _cli("--logdir", str(tmp_path), "--resume-from", str(tmp_path), "--iters", "5000", "--num-workers", "1")
    assert more.returncode == 0, more.stderr
    ends = [e for e in _events(tmp_path) if e["event"] == "run_end"]
    assert ends[-1]["iterations"] == 5000
    nothing = _cli("--logdir", str(tmp_path), "--resume-from", str(tmp_path), "--iters", "4000", "--num-workers", "1")
    assert nothing.returncode == 2 and "nothing to do" in _one_error_line(nothing)


def test_a_time_budget_on_resume_trains_that_much_more(tmp_path):
    first = train(build_config({"game": "leduc", "time_budget_seconds": 0.5, "num_workers": 1}), tmp_path)
    assert first.iterations > 0
    again = train(build_config({"game": "leduc", "time_budget_seconds": 0.5, "num_workers": 1}), tmp_path,
                  resume_from=str(tmp_path))
    assert again.iterations > first.iterations, "the budget counts this invocation, not the run's total"


def test_make_train_continues_the_previous_run_the_second_time(tmp_path):
    run_dir = tmp_path / "qs"
    dry = subprocess.run(["make", "-n", "train", f"RUN={run_dir}"], capture_output=True, text=True, cwd=REPO)
    line = dry.stdout.replace("\\\n", " ")
    assert "train_blueprint" in line and "--resume-from" not in line
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "checkpoint-000000001000.npz").write_bytes(b"")
    dry = subprocess.run(["make", "-n", "train", f"RUN={run_dir}"], capture_output=True, text=True, cwd=REPO)
    assert f"--resume-from {run_dir}" in dry.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_stops_with_a_final_checkpoint_and_exit_130(tmp_path, workers):
    argv = [sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--logdir", str(tmp_path),
            "--time-budget", "300", "--num-workers", workers, "--quiet"]
    run = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: [e for e in (_event_seen(tmp_path, "progress")() or []) if e.get("iterations")], 120,
                  "iterations applied")
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    events = _events(tmp_path)
    final = [e for e in events if e["event"] == "checkpoint" and e["reason"] == "final"]
    assert final and events[-1]["event"] == "run_end" and events[-1]["reason"] == "signal SIGINT"
    assert "Traceback" not in stderr


def test_a_failing_event_log_ends_a_parallel_run_with_the_error_and_no_worker_left(tmp_path, monkeypatch):
    import orchestrator.events as events_module

    real_write = os.write
    budget = {"writes": 25}

    def failing_write(fd: int, data: bytes) -> int:
        budget["writes"] -= 1
        if budget["writes"] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(events_module.os, "write", failing_write)
    outcome = train(build_config({"game": "leduc", "time_budget_seconds": 600, "num_workers": 2,
                                  "progress_interval_seconds": 0.05}), tmp_path)
    assert outcome.error is not None and "cannot write events" in outcome.error
    assert "No space left on device" in outcome.error
    pids = [e["pid"] for e in _events(tmp_path) if e["event"] == "spawn"]
    assert pids and not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                            for pid in pids)


def test_a_disk_that_fills_after_a_checkpoint_ends_the_run_naming_that_checkpoint(tmp_path, monkeypatch):
    import holdem.training.housekeeping as housekeeping_module
    import orchestrator.events as events_module

    real_write, real_checkpoint = os.write, housekeeping_module.write_checkpoint
    disk = {"full": False}

    def write_until_a_checkpoint_is_logged(fd: int, data: bytes) -> int:
        if disk["full"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        disk["full"] = b'"event":"checkpoint"' in data
        return real_write(fd, data)

    def write_checkpoint_unless_full(*args, **kwargs):
        if disk["full"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_checkpoint(*args, **kwargs)

    def one_interval_checkpoint(self) -> bool:
        return self.last_written is None

    monkeypatch.setattr(events_module.os, "write", write_until_a_checkpoint_is_logged)
    monkeypatch.setattr(housekeeping_module, "write_checkpoint", write_checkpoint_unless_full)
    monkeypatch.setattr(housekeeping_module.Housekeeping, "checkpoint_due", one_interval_checkpoint)
    outcome = train(build_config({"game": "leduc", "time_budget_seconds": 600, "num_workers": 2,
                                  "progress_interval_seconds": 0.05}), tmp_path)
    assert outcome.error is not None and "No space left on device" in outcome.error
    assert outcome.checkpoint is not None and Path(outcome.checkpoint).is_file()


def test_a_full_disk_ends_the_run_in_one_line_and_keeps_the_last_checkpoint(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {made.stderr.decode().strip()}")
    try:
        logdir = mount / "run"
        argv = [sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--logdir", str(logdir),
                "--time-budget", "300", "--num-workers", "2", "--checkpoint-seconds", "0.2", "--quiet"]
        run = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(_event_seen(logdir, "checkpoint"), 120, "a first checkpoint")
            with open(mount / "filler", "wb") as filler:
                try:
                    while True:
                        filler.write(b"\0" * 65536)
                        filler.flush()
                except OSError:
                    pass
            _, stderr = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
        assert run.returncode not in (0, None)
        assert "Traceback" not in stderr and "No space left on device" in stderr, stderr
        kept = re.search(r"last complete checkpoint: (\S+)", stderr)
        assert kept and Path(kept.group(1)).is_file(), stderr
        spawned = [json.loads(line)["pid"] for line in (logdir / "events.jsonl").read_text().splitlines()
                   if line.strip().endswith("}") and '"event":"spawn"' in line]
        assert spawned and not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                                   for pid in spawned)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        shutil.rmtree(mount, ignore_errors=True)


def test_the_run_identity_is_hashed_before_any_loop_runs(tmp_path):
    run = create(build_config({"game": "leduc"}), tmp_path)
    try:
        assert "_identity" in run.__dict__
    finally:
        run.close()


def test_a_bad_logdir_is_a_run_error_not_a_traceback():
    with pytest.raises(RunError):
        create(build_config({"game": "leduc"}), "/proc/forbidden/run")
