"""Real-process faults on real training: killed workers, a killed run, resume."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
from waiting import wait_for

from holdem.fileformat import load_arrays

REPO = Path(__file__).resolve().parents[1]


def test_chaos_on_leduc_training_loses_and_doubles_nothing(tmp_path):
    done = subprocess.run(
        [sys.executable, "scripts/chaos.py", "--job", "holdem.training.job:chaos_job",
         "--job-arg", "iterations=2000000",
         "--job-arg", "batch_size=10000", "--job-arg", f'logdir="{tmp_path}"', "--every-batches", "12",
         "--duration", "600", "--stop-prob", "0", "--corrupt-prob", "0.2", "--seed", "5"],
        capture_output=True, text=True, cwd=REPO, timeout=240,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["kills"] >= 2 and report["lost"] == 0 and report["duplicated"] == 0 and report["exact"] is True
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    applied = [e for e in events if e["event"] == "progress"]
    assert applied[-1]["iterations"] >= 1_000_000
    assert applied[-1]["batches_applied"] > applied[-1]["results_merged"] > 0, "results carried several batches"
    assert applied[-1]["exploitability"] < 0.3


def test_killed_run_leaves_no_worker_and_resumes_from_its_checkpoint(tmp_path):
    argv = [sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--logdir", str(tmp_path),
            "--time-budget", "60", "--num-workers", "2", "--checkpoint-seconds", "0.3", "--batch-size", "20000",
            "--quiet"]
    run = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        parent = psutil.Process(run.pid)
        workers = wait_for(lambda: [p for p in parent.children(recursive=True)
                                     if "holdem.training.worker" in " ".join(p.cmdline())], 60, "two workers")
        wait_for(lambda: len(list((tmp_path / "checkpoints").glob("checkpoint-*.npz"))) >= 2, 60,
                  "two checkpoints")
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        gone, alive = psutil.wait_procs(workers, timeout=2.0)
        assert not alive, f"workers survived the run: {[p.pid for p in alive]}"
    finally:
        if run.poll() is None:
            run.kill()
    last = sorted((tmp_path / "checkpoints").glob("checkpoint-*.npz"))[-1]
    _, meta = load_arrays(last, kind="checkpoint")
    start = meta["iterations"]
    assert start > 0
    resumed = subprocess.run(
        [sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--logdir", str(tmp_path),
         "--resume-from", str(tmp_path), "--iters", str(start + 100_000), "--num-workers", "1", "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    starts = [e for e in events if e["event"] == "run_start"]
    assert starts[-1]["iterations"] == start
    already = max(stop for _, stop in meta.get("applied_ranges") or [[0, start]])
    assert events[-1]["event"] == "run_end" and events[-1]["iterations"] == max(start + 100_000, already), (
        "the gaps below the checkpoint's last merged iteration are filled, and nothing past the target is added")


def test_a_worker_killed_in_the_middle_of_its_own_commit_is_finished_by_the_supervisor(tmp_path, monkeypatch):
    """Worker 0 writes one chunk of its first commit, its journal saying so, and SIGKILLs itself: the supervisor
    puts the chunk back and applies the result from the journal, so every iteration lands exactly once."""
    from holdem.training import train
    from holdem.training.config import build_config
    from holdem.training.worker import ENV_DIE_IN_COMMIT

    monkeypatch.setenv(ENV_DIE_IN_COMMIT, "1")
    config = build_config({"game": "leduc", "seed": 3, "iterations": 4_000_000, "num_workers": 2,
                           "batch_size": 20_000, "regret_sharing": "shared", "progress_interval_seconds": 0.2})
    outcome = train(config, tmp_path)
    assert outcome.error is None and outcome.iterations == 4_000_000 and outcome.restarts == 1
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    finished = [e for e in events if e["event"] == "commit_completed"]
    assert len(finished) == 1 and finished[0]["worker"] == 0 and finished[0]["chunks_done_by_worker"] == 0
    progress = [e for e in events if e["event"] == "progress"][-1]
    assert progress["results_merged"] > progress["results_committed_by_workers"] > 0
    _, meta = load_arrays(outcome.checkpoint, kind="checkpoint")
    assert meta["iterations"] == 4_000_000 and meta["batches_applied"] == 200
    assert outcome.exploitability < 1.0
