"""The compiled heads-up match against its oracles: the rules engine, the Python policy and translation,
the Python baselines; variance reduction is unbiased; the 7-card shortcut equals the evaluator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from holdem.abstraction.tree import DECISION
from holdem.engine import HandState
from holdem.engine.seat import CHECK_OR_CALL, FOLD, Move, SeatView
from holdem.evaluation import HeuristicAgent, RandomAgent, load_agent, run_match
from holdem.evaluation.best_response import best_response
from holdem.evaluation.blueprint import BlueprintAgent
from holdem.evaluation.compiled_match import (
    LOG_BUCKET,
    LOG_KIND,
    LOG_NODE,
    LOG_SEAT,
    LOG_STREET,
    LOG_TO,
    CompiledMatch,
    MatchSetupError,
)
from holdem.evaluator import board_key, eval7, eval_on_board
from holdem.games import load_game
from holdem.policy import Policy
from holdem.policy.translation import translate_history


class _Replay:
    """Stands in for the translation's generator: hands back the draws the compiled walk made."""

    def __init__(self, draws: list[float]) -> None:
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0)


def _move(kind: int, to: int) -> Move:
    return FOLD if kind == 0 else CHECK_OR_CALL if kind == 1 else Move.raise_to(int(to))


def replay(game, hero_spec: str, opponent_spec: str, groups: int, seed: int) -> dict[str, int]:
    """Play ``groups`` compiled duplicate groups and replay every hand through the engine and Python agents."""
    hero, opponent = load_agent(hero_spec, game), load_agent(opponent_spec, game)
    result = CompiledMatch.build(game, hero, opponent).run(seed, 0, groups, log_hands=2 * groups)
    assert result.illegal == -1
    assert np.array_equal(result.estimates, result.chips.astype(np.float64))
    agents = (hero, opponent)
    k = game.num_hole_cards
    counts = {"hands": 0, "policy_decisions": 0, "translated": 0, "checked_moves": 0}
    for group in range(groups):
        total = 0
        for hero_seat in (0, 1):
            hand = 2 * group + hero_seat
            cards = result.log_cards[hand].tolist()
            holes = [tuple(cards[:k]), tuple(cards[k:2 * k])]
            state = HandState(game=game, hole_cards=holes, board=tuple(cards[2 * k:]))
            draws: dict[int, list[float]] = {0: [], 1: []}
            for i in range(result.log_count[hand]):
                row = result.log[hand, i]
                seat, street = int(row[LOG_SEAT]), int(row[LOG_STREET])
                assert state.actor == seat and state.street == street
                agent = agents[0 if seat == hero_seat else 1]
                move = _move(int(row[LOG_KIND]), int(row[LOG_TO]))
                view = SeatView(state, seat)
                if isinstance(agent, BlueprintAgent):
                    policy = agent.policy
                    located = translate_history(policy.tree, state.history_acpc(), rng=_Replay(draws[seat]))
                    if located.complete and policy.tree.kind[located.node] == DECISION:
                        assert row[LOG_NODE] == located.node
                        assert row[LOG_BUCKET] == policy.bucket(street, holes[seat] + state.board)
                        moves, probs = policy.moves(view, located)
                        assert any(m == move and p > 0 for m, p in zip(moves, probs))
                        counts["policy_decisions"] += 1
                        counts["translated"] += bool(located.translations)
                    else:
                        assert row[LOG_NODE] == -1 and move == CHECK_OR_CALL
                elif isinstance(agent, HeuristicAgent):
                    assert move == agent.act(view, np.random.default_rng(0))
                    counts["checked_moves"] += 1
                elif isinstance(agent, RandomAgent):
                    assert move in agent._moves(view)
                    counts["checked_moves"] += 1
                state.apply_acpc(move.kind.value if move.kind.value != "r" else
                                 f"r{state.contributions[seat] - state.bets[seat] + move.to}")
                for s in (0, 1):
                    u = result.log_u[hand, i, s]
                    if u == u:
                        draws[s].append(float(u))
            assert state.is_finished
            total += state.payoffs()[hero_seat]
            counts["hands"] += 1
        assert total == result.chips[group]
    return counts


def test_ten_thousand_compiled_hands_agree_with_the_engine_and_the_python_policy(tiny_hunl_runs) -> None:
    game = load_game("hunl")
    strong, weak = str(tiny_hunl_runs[100_000]), str(tiny_hunl_runs[10_000])
    pairings = [(strong, "random", 1500), (strong, "heuristic", 1000), (strong, weak, 1000), ("lbr", strong, 500),
                ("always-min-raise", "random", 500), ("always-fold", "always-call", 500)]
    totals = {"hands": 0, "policy_decisions": 0, "translated": 0, "checked_moves": 0}
    for seed, (hero, opponent, groups) in enumerate(pairings):
        for key, value in replay(game, hero, opponent, groups, seed).items():
            totals[key] += value
    assert totals["hands"] == 10_000
    assert totals["translated"] > 500 and totals["policy_decisions"] > 10_000 and totals["checked_moves"] > 5_000


def test_limit_games_agree_with_the_engine(small_game_runs: dict[str, Path]) -> None:
    game = load_game("leduc")
    leduc = small_game_runs["leduc"]
    counts = replay(game, str(leduc), "random", 400, 1)
    counts_br = replay(game, str(leduc), f"br:{leduc}", 200, 2)
    assert counts["policy_decisions"] > 500 and counts_br["policy_decisions"] > 300


def test_aivat_is_unbiased_and_narrower_on_leduc(small_game_runs: dict[str, Path]) -> None:
    game = load_game("leduc")
    leduc = small_game_runs["leduc"]
    exact = -1000.0 * float(best_response(Policy.load(leduc)).values.mean()) / game.ante[0]
    result = run_match(game, load_agent(str(leduc), game), load_agent(f"br:{leduc}", game), hands=40_000, seed=3,
                       variance="aivat")
    assert result.ci95[0] <= exact <= result.ci95[1], (exact, result.ci95)
    assert result.plain is not None and result.stderr < 0.9 * result.plain.stderr


@pytest.mark.parametrize("variance", ["allin", "aivat"])
def test_hold_em_estimates_agree_with_the_dealt_chips_and_vary_less(tiny_hunl_runs, variance: str) -> None:
    game = load_game("hunl")
    match = CompiledMatch.build(game, load_agent(str(tiny_hunl_runs[100_000]), game), RandomAgent(), variance=variance)
    result = match.run(4, 0, 4000)
    difference = result.estimates - result.chips
    assert abs(difference.mean()) < 4.0 * difference.std(ddof=1) / np.sqrt(difference.size)
    assert result.estimates.var() < (0.9 if variance == "allin" else 0.7) * result.chips.var()


def test_engine_choice_and_errors(tiny_hunl_runs) -> None:
    game = load_game("hunl")
    hero = load_agent(str(tiny_hunl_runs[100_000]), game)
    compiled = run_match(game, hero, RandomAgent(), hands=400, seed=1)
    rules = run_match(game, hero, RandomAgent(), hands=400, seed=1, engine="rules")
    assert (compiled.engine, rules.engine) == ("compiled", "rules")
    with pytest.raises(MatchSetupError, match="compiled"):
        run_match(load_game("6max"), HeuristicAgent(), RandomAgent(), hands=12, engine="compiled")
    with pytest.raises(MatchSetupError, match="variance"):
        run_match(game, hero, RandomAgent(), hands=40, engine="rules", variance="aivat")
    with pytest.raises(MatchSetupError, match="heads-up"):
        run_match(load_game("6max"), load_agent("lbr", load_game("6max")), RandomAgent(), hands=12)


def test_seven_cards_on_a_summarised_board_rank_as_the_evaluator() -> None:
    rng = np.random.default_rng(9)
    masks = np.zeros(4, dtype=np.int64)
    for _ in range(3000):
        cards = rng.permutation(52)[:7]
        key = board_key(cards[2:], 5, masks)
        assert eval_on_board(key, masks, cards[0], cards[1]) == eval7(*cards)
