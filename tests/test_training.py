import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from holdem.fileformat import load_arrays
from holdem.training import RunError, resume, train
from holdem.training.config import ConfigError, build_config

REPO = Path(__file__).resolve().parents[1]


def _events(logdir: Path) -> list[dict]:
    return [json.loads(line) for line in (logdir / "events.jsonl").read_text().splitlines()]


def _leduc(**overrides):
    raw = {"game": "leduc", "seed": 3, "progress_interval_seconds": 0.2, "exploitability_interval_seconds": 0.5}
    raw.update(overrides)
    return build_config(raw)


def test_sequential_run_is_bitwise_reproducible(tmp_path):
    config = _leduc(iterations=30_000, num_workers=1, batch_size=1000)
    first = train(config, tmp_path / "a")
    second = train(config, tmp_path / "b")
    assert first.iterations == second.iterations == 30_000
    a, _ = load_arrays(tmp_path / "a" / "blueprint.npz", kind="average_policy")
    b, _ = load_arrays(tmp_path / "b" / "blueprint.npz", kind="average_policy")
    assert np.array_equal(a["policy"], b["policy"])
    assert first.exploitability is not None and first.exploitability < 0.5


def test_parallel_run_applies_every_iteration_once_and_logs_progress(tmp_path):
    config = _leduc(iterations=400_000, num_workers=2, batch_size=5_000)
    outcome = train(config, tmp_path)
    assert outcome.error is None and outcome.reason == "iterations"
    assert outcome.iterations == 400_000
    events = _events(tmp_path)
    progress = [e for e in events if e["event"] == "progress"]
    assert progress and {"iterations", "it_per_s", "nodes_per_s", "exploitability", "table_fill",
                         "workers", "loop_lag"} <= set(progress[-1])
    waited = progress[-1]["worker_wait_task_s"]
    assert waited > 0 and progress[-1]["worker_wait_slot_s"] >= 0, "where the workers' idle time went"
    assert events[-1]["event"] == "run_end" and events[-1]["iterations"] == 400_000
    _, meta = load_arrays(outcome.checkpoint, kind="checkpoint")
    assert meta["iterations"] == 400_000 and meta["batches_applied"] == 80
    assert outcome.exploitability < 1.0


def test_resume_restores_tables_bitwise_and_continues_counting(tmp_path):
    first = train(_leduc(iterations=20_000, num_workers=1, batch_size=1000), tmp_path / "a")
    arrays, meta = load_arrays(first.checkpoint, kind="checkpoint")
    resumed = resume(tmp_path / "a", _leduc(iterations=40_000, num_workers=1, batch_size=1000), tmp_path / "b")
    assert np.array_equal(resumed.tables.regret, arrays["regret"])
    assert np.array_equal(resumed.tables.strategy_sum, arrays["strategy_sum"])
    assert resumed.iterations_applied == meta["iterations"] == 20_000
    outcome = train(_leduc(iterations=40_000, num_workers=1, batch_size=1000), tmp_path / "b",
                    resume_from=str(first.checkpoint))
    assert outcome.iterations == 40_000
    straight = train(_leduc(iterations=40_000, num_workers=1, batch_size=1000), tmp_path / "c")
    a, _ = load_arrays(tmp_path / "b" / "blueprint.npz", kind="average_policy")
    b, _ = load_arrays(tmp_path / "c" / "blueprint.npz", kind="average_policy")
    assert np.array_equal(a["policy"], b["policy"]), "resume must continue the same iterations"
    assert straight.iterations == 40_000


def test_resume_refuses_a_checkpoint_of_another_game(tmp_path):
    kuhn = train(build_config({"game": "kuhn", "iterations": 1000, "num_workers": 1}), tmp_path / "kuhn")
    with pytest.raises(RunError, match="another game"):
        resume(kuhn.checkpoint, _leduc(iterations=10), tmp_path / "leduc")


def test_resume_refuses_a_corrupt_checkpoint(tmp_path):
    bad = tmp_path / "checkpoint-000000000001.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RunError, match="truncated or corrupt"):
        resume(bad, _leduc(iterations=10), tmp_path / "run")


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ({"time_budget_secnds": 5}, "unknown config key 'time_budget_secnds' (did you mean 'time_budget_seconds'?)"),
        ({"num_workers": "two"}, "num_workers must be a number"),
        ({"pruning_probability": 2}, "pruning_probability"),
        ({"algorithm": "vanilla"}, "algorithm"),
    ],
)
def test_bad_config_values_get_one_line(raw, fragment):
    with pytest.raises(ConfigError) as info:
        build_config({"game": "leduc", **raw})
    assert fragment in str(info.value) and "\n" not in str(info.value)


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "holdem.cli.train_blueprint", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_cli_bad_inputs_exit_2_with_one_line(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("game: leduc\nnum_iterations: 100\ntime_budget_secnds: 3\n")
    cases = [
        ("--config", str(cfg), "--logdir", str(tmp_path / "r1")),
        ("--config", "leduc", "--logdir", str(tmp_path / "r2"), "--buckets", str(tmp_path / "missing.npz"),
         "--game", "hunl"),
        ("--config", "leduc", "--logdir", "/proc/forbidden/run"),
        ("--config", "leduc", "--logdir", str(tmp_path / "r3"), "--resume-from", str(tmp_path / "nothing")),
        ("--config", "leduc", "--logdir", str(tmp_path / "r4"), "--batch-size", "many"),
    ]
    for args in cases:
        done = _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_cli_trains_leduc_in_process(tmp_path):
    done = _cli("--config", "leduc", "--logdir", str(tmp_path), "--iters", "20000", "--num-workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "blueprint.npz").is_file() and "blueprint:" in done.stderr


def test_two_workers_match_sequential_exploitability_for_the_same_iterations(tmp_path):
    sequential = train(_leduc(iterations=2_000_000, num_workers=1, batch_size=20_000), tmp_path / "seq")
    parallel = train(_leduc(iterations=2_000_000, num_workers=2), tmp_path / "par")
    starts = [e for e in _events(tmp_path / "par") if e["event"] == "run_start"]
    assert starts[-1]["regret_mode"] == "independent"
    assert parallel.iterations == sequential.iterations == 2_000_000
    assert sequential.exploitability < 0.02
    assert parallel.exploitability < 2.5 * sequential.exploitability, (parallel.exploitability,
                                                                       sequential.exploitability)


def test_shared_regret_mode_is_still_available(tmp_path):
    outcome = train(_leduc(iterations=200_000, num_workers=2, regret_sharing="shared", batch_size=10_000), tmp_path)
    assert outcome.iterations == 200_000
    assert [e for e in _events(tmp_path) if e["event"] == "run_start"][-1]["regret_mode"] == "shared"


def test_tensorboard_scalars_when_installed(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from holdem.cli.train_blueprint import main as train_main

    assert train_main(["--config", "leduc", "--logdir", str(tmp_path), "--iters", "50000", "--num-workers", "1",
                       "--tensorboard", "--quiet"]) == 0
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    assert events.Scalars("train/exploitability")[-1].step == 50_000


def test_tensorboard_missing_is_a_notice_not_a_failure(tmp_path, monkeypatch, capsys):
    from holdem.cli import train_blueprint

    monkeypatch.setattr(train_blueprint.TensorBoardLog, "available", staticmethod(lambda: False))
    assert train_blueprint.main(["--config", "leduc", "--logdir", str(tmp_path), "--iters", "1000",
                                 "--num-workers", "1", "--tensorboard", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "tensorboard is not installed" in err and not (tmp_path / "tensorboard").exists()
