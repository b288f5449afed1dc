"""Duplicate matches through the engine: baselines, intervals, duplicate sums, determinism, CLI errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from holdem.cli.main import main as holdem_main
from holdem.engine import HandState
from holdem.evaluation import (
    CHECK_OR_CALL,
    FOLD,
    Agent,
    AgentError,
    AgentSpecError,
    AlwaysCall,
    AlwaysMinRaise,
    HeuristicAgent,
    Move,
    RandomAgent,
    SeatView,
    Strategy,
    StrategyAgent,
    load_agent,
    play_duplicate_group,
    run_match,
)
from holdem.games import GameDef, chip_unit, load_game


@pytest.fixture(scope="module")
def hunl() -> GameDef:
    return load_game("hunl")


@pytest.fixture(scope="module")
def heuristic() -> HeuristicAgent:
    return HeuristicAgent()


def test_heuristic_beats_random(hunl: GameDef, heuristic: HeuristicAgent) -> None:
    result = run_match(hunl, heuristic, RandomAgent(), hands=600, seed=1)
    assert result.hands == 600 and result.groups == 300
    assert result.ci95[0] > 0


def test_heuristic_beats_always_call(hunl: GameDef, heuristic: HeuristicAgent) -> None:
    result = run_match(hunl, heuristic, AlwaysCall(), hands=1000, seed=2)
    assert result.ci95[0] > 0


def test_always_call_against_random(hunl: GameDef) -> None:
    result = run_match(hunl, AlwaysCall(), RandomAgent(), hands=400, seed=3)
    low, high = result.ci95
    assert low < result.mbb_per_hand < high and result.unit == "big blind" and result.unit_chips == 100


def test_agent_against_itself_includes_zero(hunl: GameDef, heuristic: HeuristicAgent) -> None:
    mixed = run_match(hunl, RandomAgent(), RandomAgent(), hands=600, seed=4)
    assert mixed.ci95[0] < 0 < mixed.ci95[1]
    pure = run_match(hunl, heuristic, heuristic, hands=200, seed=4)
    assert not pure.group_chips.any() and pure.ci95 == (0.0, 0.0)


def test_duplicate_group_payoffs(hunl: GameDef, heuristic: HeuristicAgent) -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        rows = play_duplicate_group(hunl, heuristic, RandomAgent(), rng)
        assert len(rows) == 2 and all(sum(row) == 0 for row in rows)
        same = play_duplicate_group(hunl, AlwaysCall(), AlwaysCall(), rng)
        assert same[0][0] + same[1][1] == 0 and same[0] == same[1]


def test_result_adds_up(hunl: GameDef) -> None:
    result = run_match(hunl, AlwaysMinRaise(), RandomAgent(), hands=300, seed=6)
    per_hand = result.group_chips.mean() / result.seats / result.unit_chips * 1000
    assert result.mbb_per_hand == pytest.approx(per_hand)
    assert np.mean(result.mbb_by_hero_seat) == pytest.approx(result.mbb_per_hand)
    report = result.to_json()
    assert {"mbb_per_hand", "ci95", "hands"} <= report.keys() and report["hands"] == 300


def test_same_result_for_any_worker_count(hunl: GameDef, heuristic: HeuristicAgent) -> None:
    one = run_match(hunl, heuristic, RandomAgent(), hands=900, seed=7, workers=1)
    two = run_match(hunl, heuristic, RandomAgent(), hands=900, seed=7, workers=2)
    assert two.workers == 2
    assert np.array_equal(one.group_chips, two.group_chips) and one.ci95 == two.ci95
    other_seed = run_match(hunl, heuristic, RandomAgent(), hands=900, seed=8, workers=1)
    assert not np.array_equal(one.group_chips, other_seed.group_chips)


def test_six_max(heuristic: HeuristicAgent) -> None:
    game = load_game("6max")
    result = run_match(game, heuristic, RandomAgent(), hands=120, seed=9)
    assert result.seats == 6 and result.groups == 20 and len(result.mbb_by_hero_seat) == 6
    rows = play_duplicate_group(game, heuristic, RandomAgent(), np.random.default_rng(9))
    assert len(rows) == 6 and all(sum(row) == 0 for row in rows)


def test_small_games_report_in_antes(heuristic: HeuristicAgent) -> None:
    for name in ("kuhn", "leduc"):
        game = load_game(name)
        assert chip_unit(game) == (1, "ante")
        result = run_match(game, heuristic, RandomAgent(), hands=400, seed=10)
        assert result.unit == "ante" and result.ci95[0] > 0


class FoldWhenFacing(StrategyAgent):
    """A strategy stated as probabilities, as a blueprint will be: folds to any bet, else checks."""

    name = "fold-when-facing"

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        return ((FOLD, 1.0),) if view.can_fold() else ((CHECK_OR_CALL, 1.0),)


def test_strategies_plug_in(hunl: GameDef) -> None:
    for agent in (FoldWhenFacing(), RandomAgent(), AlwaysCall(), AlwaysMinRaise(), HeuristicAgent()):
        assert isinstance(agent, Agent) and isinstance(agent, Strategy)
    result = run_match(hunl, AlwaysMinRaise(), FoldWhenFacing(), hands=20, seed=11)
    assert result.mbb_per_hand == pytest.approx(1000 * (50 + 100) / 2 / 100)


def test_random_agent_offers_legal_moves(hunl: GameDef) -> None:
    rng = np.random.default_rng(12)
    for history in ("", "r300", "r300r20000", "c", "r250c/"):
        state = HandState.from_acpc(game=hunl, history=history, rng=rng)
        view = SeatView(state, state.actor)
        options = RandomAgent().action_probabilities(view)
        assert sum(p for _, p in options) == pytest.approx(1.0)
        for move, _ in options:
            if move.to:
                assert state.can_bet_or_raise(move.to)
        assert (FOLD in [m for m, _ in options]) == state.can_fold()


class Cheater(StrategyAgent):
    name = "cheater"

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        return Move.raise_to(1)


def test_illegal_move_names_the_agent(hunl: GameDef) -> None:
    with pytest.raises(AgentError, match="cheater"):
        run_match(hunl, Cheater(), AlwaysCall(), hands=4)


def test_bad_counts_and_specs(hunl: GameDef) -> None:
    with pytest.raises(ValueError, match="positive"):
        run_match(hunl, AlwaysCall(), AlwaysCall(), hands=0)
    with pytest.raises(ValueError, match="two duplicate groups"):
        run_match(hunl, AlwaysCall(), AlwaysCall(), hands=2)
    with pytest.raises(AgentSpecError, match="unknown agent 'nobody'"):
        load_agent("nobody", hunl)


@pytest.mark.parametrize("argv, expected", [
    (["eval", "nobody", "--against", "random", "--hands", "100"], "unknown agent 'nobody'"),
    (["eval", "random", "--against", "always-call", "--hands", "lots"], "--hands must be an integer"),
    (["eval", "random", "--against", "always-call", "--hands", "0"], "--hands must be at least 1"),
    (["eval", "random", "--against", "always-call", "--hands", "100", "--game", "nope"], "unknown game"),
    (["eval", "random", "--against", ".", "--hands", "100"], "holds no policy"),
])
def test_cli_bad_input_is_one_line(argv: list[str], expected: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert holdem_main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_cli_writes_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    argv = ["eval", "heuristic", "--against", "random", "--hands", "200", "--seed", "3", "--workers", "1",
            "--json", str(out)]
    assert holdem_main(argv) == 0
    captured = capsys.readouterr()
    assert "mbb/hand" in captured.out and "95% CI" in captured.out and "hands" in captured.err
    report = json.loads(out.read_text())
    assert report["hands"] == 200 and len(report["ci95"]) == 2 and report["policy"] == "heuristic"
    assert report["ci95"][0] <= report["mbb_per_hand"] <= report["ci95"][1]
