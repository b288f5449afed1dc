"""Pseudo-harmonic translation: the formula's properties, sampling, and real histories on HUNL trees."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from holdem.abstraction.actions import load_menu
from holdem.abstraction.tree import DECISION, EDGE_RAISE, BettingTree, build_tree
from holdem.engine import HandState
from holdem.engine.seat import pot_fraction, real_raise_to
from holdem.games import load_game
from holdem.policy.translation import (
    TranslationError,
    abstract_raise_fraction,
    harmonic_probability,
    translate_history,
    translate_size,
    translation_probabilities,
)


@pytest.fixture(scope="module")
def quick() -> BettingTree:
    return build_tree(load_game("hunl"), load_menu("quick"), (1, 1, 1, 1))


@pytest.fixture(scope="module")
def tiny() -> BettingTree:
    return build_tree(load_game("hunl"), load_menu("tiny"), (1, 1, 1, 1))


def test_endpoints_map_to_themselves() -> None:
    assert harmonic_probability(0.5, 0.5, 1.0) == 1.0
    assert harmonic_probability(1.0, 0.5, 1.0) == 0.0
    assert harmonic_probability(0.0, 0.0, 2.0) == 1.0


def test_known_values() -> None:
    assert harmonic_probability(0.75, 0.5, 1.0) == pytest.approx(3 / 7)
    assert harmonic_probability(1.0, 0.5, 2.0) == pytest.approx(0.5)
    assert harmonic_probability(0.5, 0.0, 1.0) == pytest.approx(1 / 3)
    assert harmonic_probability(1.0, 0.75, 99.5) == pytest.approx(98.5 * 1.75 / (98.75 * 2.0))


@given(st.floats(0.0, 10.0), st.floats(0.01, 10.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_monotone_decreasing_between_sizes(low: float, width: float, u: float, v: float) -> None:
    high = low + width
    x, y = sorted((low + u * width, low + v * width))
    px, py = harmonic_probability(x, low, high), harmonic_probability(y, low, high)
    assert 0.0 <= py <= px <= 1.0
    assert px + (1 - px) == pytest.approx(1.0)


def test_bad_ranges_rejected() -> None:
    with pytest.raises(ValueError, match="low < high"):
        harmonic_probability(1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="outside"):
        harmonic_probability(3.0, 0.5, 1.0)


def test_probabilities_over_a_menu() -> None:
    sizes = [0.5, 1.0, 2.0]
    assert translation_probabilities(1.0, sizes) == [(1, 1.0)]
    assert translation_probabilities(0.2, sizes) == [(0, 1.0)]
    assert translation_probabilities(5.0, sizes) == [(2, 1.0)]
    (low, p_low), (high, p_high) = translation_probabilities(0.75, sizes)
    assert (low, high) == (0, 1) and p_low == pytest.approx(3 / 7) and p_low + p_high == pytest.approx(1.0)
    with pytest.raises(ValueError):
        translation_probabilities(1.0, [])


def test_sampler_is_seeded_and_matches_the_probability() -> None:
    sizes = [0.5, 1.0]
    draws = [translate_size(0.75, sizes, np.random.default_rng(7))[0] for _ in range(3)]
    assert len(set(draws)) == 1
    rng = np.random.default_rng(11)
    picks = np.array([translate_size(0.75, sizes, rng)[0] for _ in range(20_000)])
    assert np.mean(picks == 0) == pytest.approx(3 / 7, abs=0.015)
    assert translate_size(0.75, sizes, None) == (1, pytest.approx(4 / 7))


def test_pot_fraction_of_preflop_open() -> None:
    assert pot_fraction(250, [50, 100], 0) == pytest.approx(0.75)
    assert pot_fraction(300, [50, 100], 0) == pytest.approx(1.0)


def test_exact_history_needs_no_translation(quick: BettingTree) -> None:
    for history in ("", "r250", "r250c/", "r250c/r500c/", "r20000", "cc/", "r250r750c/cc/"):
        out = translate_history(quick, history)
        assert out.complete and not out.translated and out.abstract_history == history
        assert out.node == quick.find(history)


def test_off_menu_open_maps_to_the_likelier_size(quick: BettingTree) -> None:
    out = translate_history(quick, "r300")
    assert out.abstract_history == "r250" and out.node == quick.find("r250")
    (t,) = out.translations
    assert (t.index, t.street, t.real, t.abstract) == (0, 0, "r300", "r250")
    assert t.probability == pytest.approx(98.5 * 1.75 / (98.75 * 2.0))


def test_sampled_history_mapping_is_seeded(quick: BettingTree) -> None:
    def mapped(seed: int) -> str:
        return translate_history(quick, "r2000", rng=np.random.default_rng(seed)).abstract_history

    assert {mapped(s) for s in range(40)} == {"r250", "r20000"}
    assert len({mapped(3) for _ in range(3)}) == 1


def test_later_streets_use_the_real_pot(quick: BettingTree) -> None:
    out = translate_history(quick, "r300c/r450")
    assert out.abstract_history == "r250c/r500"
    assert [t.real for t in out.translations] == ["r300", "r450"]
    assert out.complete and quick.kind[out.node] == DECISION and quick.street[out.node] == 1
    ended = translate_history(quick, "r300c/")
    assert ended.abstract_history == "r250c/" and quick.street[ended.node] == 1


def test_raise_past_the_cap_becomes_a_call_and_the_tree_ends(tiny: BettingTree) -> None:
    out = translate_history(tiny, "r250c/r500r1500")
    assert out.abstract_history.startswith("r250c/r750c")
    assert out.translations[-1].real == "r1500" and "no more raises" in out.translations[-1].reason
    assert not out.complete


def test_impossible_history_is_one_clear_line(quick: BettingTree) -> None:
    with pytest.raises(TranslationError) as info:
        translate_history(quick, "r250c/r300")
    assert "minimum bet" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(TranslationError):
        translate_history(quick, "x")


def test_abstract_raises_play_back_to_their_exact_chips(quick: BettingTree) -> None:
    rng = np.random.default_rng(0)
    checked = 0
    for node in np.nonzero(quick.kind == DECISION)[0][:400]:
        node = int(node)
        state = HandState.from_acpc(game=quick.game, history=quick.history(node), rng=rng)
        for child in quick.children(node):
            if quick.edge_kind[child] != EDGE_RAISE:
                continue
            to_street = real_raise_to(abstract_raise_fraction(quick, node, child), state)
            already = state.contributions[state.actor] - state.bets[state.actor]
            assert to_street + already == quick.edge_amount[child]
            checked += 1
    assert checked > 300
    with pytest.raises(ValueError, match="not a bet or raise child"):
        abstract_raise_fraction(quick, 0, int(quick.first_child[0]))
