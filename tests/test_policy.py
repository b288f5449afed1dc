"""Trained policies in use: query with translation, compact export, one-line errors, evaluation acceptance."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from holdem.cli.main import main as holdem_main
from holdem.engine import HandState
from holdem.evaluation import AgentSpecError, AlwaysCall, RandomAgent, SeatView, load_agent, run_match
from holdem.evaluation.best_response import best_response
from holdem.evaluation.blueprint import BlueprintAgent
from holdem.games import load_game
from holdem.mccfr.exploitability import ExactEvaluator
from holdem.policy import Policy, PolicyError, quantise


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = holdem_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- query -------------------------------------------------------------------------------------
def test_query_leduc_reads_the_table_row(runs: dict[str, Path]) -> None:
    policy = Policy.load(runs["leduc"])
    decision = policy.action_probabilities(1, "Kc", "Qd", "r3c/r7")
    node = policy.tree.find("r3c/r7")
    assert decision.node == node and decision.complete and not decision.translated
    row = policy.row(node, decision.bucket)
    assert [o.probability for o in decision.actions] == pytest.approx(row.tolist())
    assert [o.kind for o in decision.actions] == ["fold", "call", "raise"]
    call, raise_ = decision.actions[1:]
    assert (call.chips, call.units, raise_.to, raise_.acpc) == (4, 4.0, 8, "r11")


def test_query_hunl_on_the_tree_and_translated(hunl_policy: Policy) -> None:
    on_tree = hunl_policy.action_probabilities(1, "AhKh", "", "r250")
    assert not on_tree.translated and on_tree.abstract_history == "r250"
    off_tree = hunl_policy.action_probabilities(1, "AhKh", "", "r300")
    assert off_tree.translated and off_tree.abstract_history == "r250"
    (translation,) = off_tree.translations
    assert (translation.real, translation.abstract) == ("r300", "r250") and 0.5 < translation.probability < 1
    assert [o.probability for o in off_tree.actions] == pytest.approx([o.probability for o in on_tree.actions])
    calls = [o for o in off_tree.actions if o.kind == "call"]
    assert calls and (calls[0].chips, calls[0].to, calls[0].units) == (200, 300, 3.0)
    flop = hunl_policy.action_probabilities(1, "AhKh", "Tc7d2s", "r300c/")
    bets = {o.abstract: o for o in flop.actions if o.kind == "bet"}
    assert bets["r750"].to == 600, "a pot-size abstract bet plays as a pot-size bet of the real pot"
    assert sum(o.probability for o in flop.actions) == pytest.approx(1.0, abs=1e-5)


def test_query_cli_reports_sizes_and_translation(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "policy", "query", str(runs["hunl"]), "--seat", "1", "--hole", "AhKh",
                        "--actions", "raise 300")
    assert code == 0
    assert "translated: r300 -> r250" in out and "call 200 (2 bb)" in out and "%" in out
    code, words, _ = _cli(capsys, "policy", "query", str(runs["hunl"]), "--seat", "1", "--hole", "AhKh",
                          "--history", "r300")
    assert code == 0 and words == out
    code, out, _ = _cli(capsys, "policy", "query", str(runs["leduc"]), "--seat", "0", "--hole", "Kc", "--json")
    document = json.loads(out)
    assert code == 0 and document["translated"] is False and len(document["actions"]) == 2
    assert sum(a["probability"] for a in document["actions"]) == pytest.approx(1.0, abs=1e-5)


def test_unfollowable_history_falls_back_to_check_or_call(hunl_policy: Policy) -> None:
    decision = hunl_policy.action_probabilities(1, "AhKh", "Tc7d2s", "r250c/r700r20000")
    assert decision.fallback and [o.kind for o in decision.actions] == ["call"]


# --- compact export ----------------------------------------------------------------------------
def test_quantise_sums_exactly_and_bounds_the_error() -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=500).astype(np.float32)
    counts = rng.integers(1, 5, size=500)
    p[np.arange(4)[None, :] >= counts[:, None]] = 0
    p /= p.sum(axis=1, keepdims=True)
    for bits in (8, 16):
        levels = (1 << bits) - 1
        q = quantise(p, counts, bits)
        assert (q.sum(axis=1) == levels).all()
        assert np.abs(q / levels - p).max() < 1.0 / levels
        assert (q[np.arange(4)[None, :] >= counts[:, None]] == 0).all()


@pytest.mark.parametrize("bits", [8, 16])
def test_compact_round_trip(runs: dict[str, Path], hunl_policy: Policy, tmp_path: Path, bits: int,
                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"hunl-{bits}.npz"
    code, printed, _ = _cli(capsys, "policy", "export", str(runs["hunl"]), "--format", "compact", "--bits",
                            str(bits), "--out", str(out))
    assert code == 0 and f"{bits} bits" in printed
    elsewhere = tmp_path / "moved" / "policy.npz"
    elsewhere.parent.mkdir()
    shutil.move(out, elsewhere)
    compact = Policy.load(elsewhere, game=load_game("hunl"))
    assert compact.bits == bits and compact.tree.content_hash() == hunl_policy.tree.content_hash()
    error = np.abs(compact.probabilities.astype(np.float64) - hunl_policy.probabilities).max()
    assert error < 1.0 / ((1 << bits) - 1)
    a = hunl_policy.action_probabilities(0, "7h2c", "", "")
    b = compact.action_probabilities(0, "7h2c", "", "")
    assert [o.move for o in a.actions] == [o.move for o in b.actions]
    assert [o.probability for o in b.actions] == pytest.approx([o.probability for o in a.actions],
                                                              abs=1.0 / ((1 << bits) - 1))


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("extra, expected", [
    (["--hole", "AhAh"], "card Ah appears twice"),
    (["--hole", "AhKh", "--board", "Ah7d2s", "--history", "r250c/"], "card Ah appears twice"),
    (["--hole", "AhKh", "--history", "r50"], "impossible history 'r50'"),
    (["--hole", "AhKh", "--history", "r250c/"], "shows 3 board cards; 0 given"),
    (["--hole", "AhKh", "--history", "r250f"], "the hand is over"),
    (["--hole", "AhKh", "--actions", "raise 300, dance"], "action 2 'dance'"),
    (["--hole", "AhKx"], "suit 'x'"),
])
def test_query_bad_input_is_one_line(runs: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                     extra: list[str], expected: str) -> None:
    code, _, err = _cli(capsys, "policy", "query", str(runs["hunl"]), "--seat", "1", *extra)
    assert code == 2 and expected in err and err.count("\n") == 1, err


def test_policy_of_another_game(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PolicyError, match="is a policy for leduc, not hunl"):
        Policy.load(runs["leduc"], game=load_game("hunl"))
    with pytest.raises(AgentSpecError, match="is a policy for leduc, not hunl"):
        load_agent(str(runs["leduc"]), load_game("hunl"))
    code, _, err = _cli(capsys, "eval", str(runs["leduc"]), "--against", "random", "--game", "hunl",
                        "--hands", "100")
    assert code == 2 and "is a policy for leduc, not hunl" in err and err.count("\n") == 1


def test_corrupt_truncated_and_mismatched_files(runs: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray((runs["leduc"] / "blueprint.npz").read_bytes())
    corrupt = tmp_path / "corrupt" / "blueprint.npz"
    corrupt.parent.mkdir()
    data[len(data) // 3] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    mismatched = tmp_path / "mismatched"
    mismatched.mkdir()
    shutil.copy(runs["leduc"] / "blueprint.npz", mismatched / "blueprint.npz")
    shutil.copy(runs["kuhn"] / "tree.npz", mismatched / "tree.npz")
    for path, expected in ((corrupt, "corrupt"), (truncated, "corrupt"), (mismatched, "does not match"),
                           (tmp_path / "missing", "does not exist"), (tmp_path, "holds no policy")):
        code, _, err = _cli(capsys, "policy", "query", str(path), "--seat", "0", "--hole", "Kc")
        assert code == 2 and expected in err and err.count("\n") == 1, (path, err)


# --- agents and acceptance ---------------------------------------------------------------------
def test_agent_pickles_as_its_path(runs: dict[str, Path]) -> None:
    game = load_game("hunl")
    agent = load_agent(str(runs["hunl"]), game)
    assert isinstance(agent, BlueprintAgent)
    blob = pickle.dumps(agent)
    assert len(blob) < 4000
    clone = pickle.loads(blob)
    state = HandState(game=game, rng=np.random.default_rng(1))
    view = SeatView(state, state.actor)
    assert clone.action_probabilities(view) == agent.action_probabilities(view)


def test_hunl_blueprint_beats_random_and_itself_is_even(runs: dict[str, Path]) -> None:
    game = load_game("hunl")
    hero = load_agent(str(runs["hunl"]), game)
    against_random = run_match(game, hero, RandomAgent(), hands=10_000, seed=11)
    assert against_random.ci95[0] > 0, against_random
    against_call = run_match(game, hero, AlwaysCall(), hands=10_000, seed=12)
    assert against_call.ci95[0] > 0, against_call
    itself = run_match(game, hero, load_agent(str(runs["hunl"]), game), hands=40_000, seed=13)
    assert itself.ci95[0] < 0 < itself.ci95[1], itself


@pytest.mark.parametrize("name, hands", [("kuhn", 6000), ("leduc", 6000)])
def test_eval_against_best_response_matches_exact_exploitability(runs: dict[str, Path], name: str,
                                                                 hands: int) -> None:
    game = load_game(name)
    policy = Policy.load(runs[name])
    response = best_response(policy)
    exact = ExactEvaluator(policy.tree, policy.abstraction).exploitability(policy.probabilities)
    assert response.exploitability == pytest.approx(exact, abs=1e-12)
    result = run_match(game, load_agent(str(runs[name]), game), load_agent(f"br:{runs[name]}", game),
                       hands=hands, seed=7)
    expected = -1000.0 * exact / result.unit_chips
    low, high = result.ci95
    assert low <= expected <= high, (expected, result.ci95)
    assert high < 0, "the exploitability of a briefly trained policy must show"


def test_eval_cli_reads_the_game_from_the_policy(runs: dict[str, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    code, out, _ = _cli(capsys, "eval", str(runs["kuhn"]), "--against", f"br:{runs['kuhn']}", "--hands", "400",
                        "--workers", "1", "--quiet", "--json", str(report))
    assert code == 0 and "on kuhn" in out
    document = json.loads(report.read_text())
    assert document["hands"] == 400 and document["game"] == "kuhn"


def test_best_response_needs_a_small_game(runs: dict[str, Path]) -> None:
    with pytest.raises(AgentSpecError, match="too large"):
        load_agent(f"br:{runs['hunl']}", load_game("hunl"))


def test_a_seeded_translation_is_the_same_at_every_later_decision(hunl_policy: Policy) -> None:
    chosen = set()
    for seed in range(20):
        first = hunl_policy.locate("r300", seed=seed).translations[0].abstract
        later = hunl_policy.locate("r300c/r500", seed=seed).translations[0].abstract
        assert first == later
        chosen.add(first)
    assert chosen == {"r250", "r20000"}, "pseudo-harmonic mapping draws both neighbours"
