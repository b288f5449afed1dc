"""What users hit, each fixed and held: OpenSpiel loading, small games' buckets, tail_logs ages and appended runs,
plot_run panels, chaos.py --duration, eval's up-front checks, resume and bucket messages, log-friendly progress."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from holdem.abstraction.buckets import CardAbstraction, StreetAbstraction, lossless_for
from holdem.abstraction.progress import Progress
from holdem.cli.main import main as holdem_main
from holdem.policy import Policy
from holdem.policy.openspiel import ExportError, fill_tabular, openspiel_tabular_policy
from holdem.training import RunError, train
from holdem.training.config import build_config

REPO = Path(__file__).resolve().parents[1]


def _script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- OpenSpiel loader --------------------------------------------------------------------------------
def test_fill_tabular_writes_rows_by_state_and_refuses_other_states() -> None:
    document = {"game": "kuhn_poker", "policy": {"0": [[0, 0.25], [1, 0.75]], "1pb": [[0, 1.0], [1, 0.0]]}}
    table = np.full((2, 2), 9.0)
    fill_tabular(document, {"1pb": 0, "0": 1}, table)
    assert table.tolist() == [[1.0, 0.0], [0.25, 0.75]]
    with pytest.raises(ExportError, match="1 missing and 0 unknown"):
        fill_tabular(document, {"0": 0, "1pb": 1, "2": 2}, np.zeros((3, 2)))


def test_openspiel_tabular_policy_from_a_run_and_from_its_export(runs: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("pyspiel")
    out = tmp_path / "kuhn.json"
    assert holdem_main(["policy", "export", str(runs["kuhn"]), "--format", "openspiel", "--out", str(out)]) == 0
    ours = Policy.load(runs["kuhn"])
    for source in (runs["kuhn"], out):
        tabular = openspiel_tabular_policy(source)
        row = tabular.action_probability_array[tabular.state_lookup["2"]]
        query = ours.action_probabilities(0, "Ac")
        assert row.tolist() == pytest.approx([o.probability for o in query.actions], abs=1e-6)


# --- small games pick lossless buckets ---------------------------------------------------------------
def test_train_with_game_leduc_picks_lossless_buckets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = holdem_main(["train", "--game", "leduc", "--iters", "2000", "--num-workers", "1", "--quiet",
                        "--logdir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    policy = Policy.load(tmp_path)
    assert policy.abstraction.spec["name"] == "lossless" and policy.game.name == "leduc"


# --- pickle bucket files ------------------------------------------------------------------------------
def test_the_seeds_pickle_bucket_file_is_refused_with_what_to_pass(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = holdem_main(["train", "--config", "blueprint_training_5h_parallel", "--time-budget", "3600",
                        "--buckets", "assets/abstraction/buckets_mid.pkl", "--logdir", str(tmp_path),
                        "--num-workers", "2", "--batch-size", "100"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "is a pickle: pickle files are refused because loading one can run any code" in err
    assert "--buckets mid" in err


# --- resume with another bucket file ------------------------------------------------------------------
def _merged_leduc_buckets(path: Path, *, merge: bool) -> Path:
    """Leduc's lossless buckets with the flop's last two classes merged (``merge``), or two classes swapped
    under the same name and counts (only the content tells them apart)."""
    base = lossless_for("leduc")
    streets = list(base.streets)
    flop = streets[1]
    table = np.asarray(flop.table).astype(np.int64)
    n = flop.num_buckets
    if merge:
        table, n = np.minimum(table, n - 2), n - 1
    else:
        table = np.where(table == 0, 1, np.where(table == 1, 0, table))
    streets[1] = StreetAbstraction(flop.mode, n, flop.slot, table=table.astype(np.uint16))
    name = "leduc-edited" if merge else "lossless"
    CardAbstraction(base.game, {"name": name, "game": "leduc"}, base.shapes, streets).save(path)
    return path


def test_resume_with_other_buckets_blames_the_buckets_in_words(tmp_path: Path) -> None:
    config = build_config({"game": "leduc", "iterations": 1000, "num_workers": 1})
    train(config, tmp_path / "first")
    for merge in (True, False):
        buckets = _merged_leduc_buckets(tmp_path / f"edited-{merge}.npz", merge=merge)
        with pytest.raises(RunError) as caught:
            train(config, tmp_path / f"second-{merge}", buckets_path=str(buckets), resume_from=str(tmp_path / "first"))
        message = str(caught.value)
        assert "another card abstraction (bucket file)" in message and "action menu" not in message
        if merge:
            assert "it has lossless, buckets [3, 9], this run has leduc-edited, buckets [3, 8]" in message
        else:
            assert re.search(r"it has lossless, buckets \[3, 9\], content [0-9a-f]{12}, this run has lossless, "
                             r"buckets \[3, 9\], content [0-9a-f]{12};", message)
        assert not re.search(r"[0-9a-f]{20}", message), "no raw hashes"


# --- tail_logs ----------------------------------------------------------------------------------------
def _ev(ts: float, event: str, **fields: Any) -> str:
    return json.dumps({"ts": ts, "event": event, **fields})


def test_tail_logs_ages_by_the_clock_and_shows_only_the_latest_of_appended_runs(tmp_path: Path) -> None:
    tail_logs = _script("tail_logs")
    t0 = 1_700_000_000.0
    first = [_ev(t0, "run_start", game="leduc", workers=1, iterations=0),
             _ev(t0 + 1, "worker_error", worker=0, batch=1, message="boom"),
             _ev(t0 + 2, "checkpoint", path="/x/checkpoint-1.npz", iterations=100, bytes=1000, seconds=0.1),
             _ev(t0 + 3, "run_end", iterations=100, seconds=3.0, reason="iterations", restarts=0, error=None)]
    second = [_ev(t0 + 100, "run_start", game="leduc", workers=1, iterations=100),
              _ev(t0 + 101, "progress", iterations=500, it_per_s=400.0, elapsed_s=4.0),
              _ev(t0 + 102, "checkpoint", path="/x/checkpoint-2.npz", iterations=500, bytes=1000, seconds=0.1),
              _ev(t0 + 103, "run_end", iterations=500, seconds=4.0, reason="iterations", restarts=0, error=None)]
    (tmp_path / "events.jsonl").write_text("\n".join(first + second) + "\n")
    out = io.StringIO()
    args = tail_logs.parse_args([str(tmp_path), "--once"])
    tail = tail_logs.Tail(args, out, clock=lambda: t0 + 102 + 15 * 60)
    tail.feed(tail_logs.LineFollower(tmp_path / "events.jsonl").poll())
    tail.finish()
    text = out.getvalue()
    assert "run 2 of this file (earlier runs left out): 4 events over 3.0 s" in text
    assert "checkpoints 1, last 15m ago (" in text and "checkpoint-2.npz" in text
    assert "errors 0" in text and "boom" not in text


# --- plot_run ----------------------------------------------------------------------------------------
def test_plot_run_draws_only_panels_with_data_and_each_exploitability_once(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.image

    plot_run = _script("plot_run")
    events = [{"ts": 0.0, "event": "run_start", "game": "leduc"}]
    for i, expl in enumerate([None, 0.5, 0.5, 0.5, 0.2, 0.2]):
        events.append({"ts": 1.0 + i, "event": "progress", "iterations": 1000 * i, "it_per_s": 1e6,
                       "exploitability": expl})
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    data = plot_run.series(plot_run.load_events(tmp_path))
    assert data["exploitability"] == [(2.0, 0.5), (5.0, 0.2)]
    assert plot_run.panels_of(data) == ["it", "expl"], "a one-worker run has no CPU or loop-lag panel"
    out = tmp_path / "run.png"
    assert plot_run.main([str(tmp_path), "--out", str(out)]) == 0
    assert matplotlib.image.imread(out).shape[0] == round(2.6 * 2 * 80)
    (tmp_path / "events.jsonl").write_text(json.dumps(events[0]) + "\n")
    assert plot_run.main([str(tmp_path), "--out", str(out)]) == 2


# --- chaos.py --duration ------------------------------------------------------------------------------
def test_chaos_cut_short_by_its_duration_still_judges_the_result_exact() -> None:
    done = subprocess.run([sys.executable, "scripts/chaos.py", "--job-arg", "n_batches=1000000", "--job-arg",
                           "work_s=0.01", "--duration", "1.5", "--seed", "4", "--min-interval", "0.1",
                           "--max-interval", "0.3"], capture_output=True, text=True, cwd=REPO, timeout=120)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["cut_short"] is True and report["exact"] is True
    assert report["lost"] == 0 and report["duplicated"] == 0


# --- eval's up-front checks ---------------------------------------------------------------------------
def test_eval_checks_the_json_folder_and_paths_before_playing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import holdem.cli.evaluate as evaluate

    def must_not_play(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("hands were played before the arguments were checked")

    monkeypatch.setattr(evaluate, "run_match", must_not_play)
    code = holdem_main(["eval", "random", "--against", "always-call", "--hands", "1000", "--game", "leduc",
                        "--json", str(tmp_path / "missing" / "report.json")])
    assert code == 2 and f"--json: no such folder {tmp_path / 'missing'}" in capsys.readouterr().err
    code = holdem_main(["eval", str(tmp_path / "no-such-run"), "--against", "random", "--hands", "10"])
    err = capsys.readouterr().err
    assert code == 2 and "no such file or directory" in err and "unknown agent" not in err
    code = holdem_main(["eval", "randm", "--against", "random", "--hands", "10"])
    assert code == 2 and "unknown agent 'randm'" in capsys.readouterr().err


# --- progress in logs ---------------------------------------------------------------------------------
def test_bucket_progress_writes_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    bar = Progress("river strength", out)
    for done in range(0, 1001):
        bar.update(done, 1000)
    bar.done("ok")
    text = out.getvalue()
    assert "\r" not in text
    assert [line.split()[2] for line in text.splitlines()[:-1]] == ["25.0%", "50.0%", "75.0%"]
    assert text.splitlines()[-1].startswith("river strength") and text.endswith("ok\n")
