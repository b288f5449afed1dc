"""Local best response: the always-fold anchor, a lower bound on the exact best response, weaker against more
training; its spec errors; strength over a run's snapshots and checkpoints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from holdem.cli.main import main as holdem_main
from holdem.evaluation import AgentSpecError, AlwaysFold, load_agent, run_match
from holdem.evaluation.best_response import best_response
from holdem.evaluation.blueprint import BlueprintAgent
from holdem.evaluation.curve import point_table, run_points
from holdem.games import load_game
from holdem.policy import Policy


@pytest.mark.parametrize("spec", ["lbr", "lbr:fcp/c/c/c@20"])
def test_always_fold_loses_exactly_750_mbb_per_hand(spec: str) -> None:
    game = load_game("hunl")
    result = run_match(game, AlwaysFold(), load_agent(spec, game), hands=400, seed=1)
    low, high = result.ci95
    assert low <= -750.0 <= high and result.mbb_per_hand == pytest.approx(-750.0)
    assert result.engine == "compiled"


@pytest.mark.parametrize("game_name", ["kuhn", "leduc"])
def test_lbr_is_a_lower_bound_on_the_best_response_and_beats_uniform_play(small_game_runs: dict[str, Path],
                                                                         game_name: str) -> None:
    game = load_game(game_name)
    run = small_game_runs[game_name]
    policy = Policy.load(run)
    scale = 1000.0 / game.ante[0]
    best = scale * float(best_response(policy).values.mean())
    lbr = load_agent("lbr", game)
    trained = run_match(game, load_agent(str(run), game), lbr, hands=30_000, seed=2)
    lbr_low = -trained.ci95[1]
    assert lbr_low <= best, (lbr_low, best)
    uniform_table = np.zeros_like(policy.probabilities)
    for row, count in enumerate(policy.num_actions):
        uniform_table[row, :count] = 1.0 / count
    uniform = BlueprintAgent(run, game, name="uniform", probabilities=uniform_table)
    against_uniform = run_match(game, uniform, lbr, hands=30_000, seed=3)
    assert against_uniform.ci95[1] < 0, "LBR must beat uniform play"
    uniform_policy = Policy.load(run)
    uniform_policy.probabilities = uniform_table
    assert -against_uniform.ci95[1] <= scale * float(best_response(uniform_policy).values.mean())


def test_lbr_wins_less_against_a_longer_trained_blueprint(tiny_hunl_runs: dict[int, Path]) -> None:
    game = load_game("hunl")
    lbr = load_agent("lbr:fc/fcpa/fcpa/fcpa@50", game)
    taken = {}
    for iterations, path in tiny_hunl_runs.items():
        result = run_match(game, load_agent(str(path), game), lbr, hands=600, seed=5, variance="aivat")
        taken[iterations] = (-result.ci95[1], -result.ci95[0])
    (short_low, _), (_, long_high) = taken[10_000], taken[100_000]
    assert long_high < short_low, taken


@pytest.mark.parametrize("spec, fragment", [("lbr:fcx", "letters"), ("lbr:fpa", "needs 'c'"),
                                            ("lbr:fc/fc", "2 menus"), ("lbr@x", "integer"), ("lbr@0", "at least")])
def test_bad_lbr_specs_are_one_line(spec: str, fragment: str) -> None:
    with pytest.raises(AgentSpecError, match=fragment) as info:
        load_agent(spec, load_game("hunl"))
    assert "\n" not in str(info.value)


def test_lbr_needs_a_strategy_it_can_read(capsys: pytest.CaptureFixture[str]) -> None:
    code = holdem_main(["eval", "heuristic", "--against", "lbr", "--hands", "20", "--quiet", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "reads its opponent" in err


def test_eval_cli_reports_lbr_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "lbr.json"
    code = holdem_main(["eval", "always-fold", "--against", "lbr", "--hands", "200", "--quiet", "--workers", "1",
                        "--json", str(report)])
    assert code == 0 and "-750.0 mbb/hand" in capsys.readouterr().out
    document = json.loads(report.read_text())
    assert document["mbb_per_hand"] == pytest.approx(-750.0) and document["engine"] == "compiled"


def test_strength_curve_over_checkpoints_and_the_blueprint(tiny_hunl_runs: dict[int, Path], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_hunl_runs[100_000], run)
    early = next((tiny_hunl_runs[10_000] / "checkpoints").glob("checkpoint-*.npz"))
    shutil.copy(early, run / "checkpoints" / early.name)
    points = run_points(run)
    assert [(its, kind) for its, kind, _ in points] == [(10_000, "checkpoint"), (100_000, "blueprint")]
    final = Policy.load(run)
    early_blueprint = Policy.load(tiny_hunl_runs[10_000])
    assert np.allclose(point_table("checkpoint", points[0][2], final), early_blueprint.probabilities, atol=1e-6)
    report = tmp_path / "curve.json"
    argv = ["eval", str(run), "--curve", "--against", "lbr:fc/fcpa/fcpa/fcpa@20", "--hands", "300", "--quiet",
            "--workers", "1", "--json", str(report)]
    png = tmp_path / "curve.png"
    plotting = True
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        plotting = False
    if plotting:
        argv += ["--png", str(png)]
    assert holdem_main(argv) == 0
    out = capsys.readouterr().out
    assert "10,000 it (checkpoint)" in out and "100,000 it (blueprint)" in out
    document = json.loads(report.read_text())
    first, last = document["points"]
    assert first["vs_final_mbb_per_hand"] is not None and last["vs_final_mbb_per_hand"] is None
    assert first["lbr_mbb_per_hand"] > last["lbr_mbb_per_hand"]
    assert png.is_file() == plotting
