"""Action menus: validation, YAML round trips, and the sizes they put into no-limit trees."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from holdem.abstraction.actions import ActionMenu, builtin_menus, load_menu
from holdem.abstraction.tree import DECISION, EDGE_CALL, EDGE_FOLD, EDGE_RAISE, build_tree
from holdem.games import load_game

BASE = {
    "name": "t",
    "bet_sizes": {"preflop": [[1.0]], "flop": [[0.5, 1.0], [1.0]], "turn": [[1.0]], "river": [[1.0]]},
}


def menu(**over: object) -> ActionMenu:
    return ActionMenu.from_dict({**BASE, **over})


def raise_labels(tree, history: str) -> list[int]:
    node = tree.find(history)
    return [int(tree.edge_amount[c]) for c in tree.children(node) if tree.edge_kind[c] == EDGE_RAISE]


def test_shipped_menus_load_and_round_trip() -> None:
    assert {"tiny", "quick", "mid"} <= set(builtin_menus())
    for name in builtin_menus():
        m = load_menu(name)
        assert m.name == name
        assert ActionMenu.from_dict(m.to_dict()) == m


def test_defaults_and_normalisation() -> None:
    m = menu(preflop_open_bb=[3, 2.5, 3], max_raises=[3, 2])
    assert m.preflop_open_bb == (2.5, 3.0)
    assert m.max_raises == (3, 2, 2, 2)
    assert m.all_in and m.limp and m.max_callers == (None,) * 4
    assert m.sizes(1, 0) == (0.5, 1.0) and m.sizes(1, 1) == (1.0,) and m.sizes(1, 7) == (1.0,)
    flat = ActionMenu.from_dict({**BASE, "bet_sizes": {**BASE["bet_sizes"], "turn": [0.75, 0.33, 0.75]}})
    assert flat.sizes(2, 0) == (0.33, 0.75)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.all_in = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"colour": 1}, "colour"),
        ({"bet_sizes": {"preflop": [[1.0]]}}, "missing streets"),
        ({"bet_sizes": {**BASE["bet_sizes"], "flopp": [[1.0]]}}, "flopp"),
        ({"bet_sizes": {**BASE["bet_sizes"], "flop": [[-0.5]]}}, "bet_sizes.flop[0]"),
        ({"bet_sizes": {**BASE["bet_sizes"], "river": [["big"]]}}, "'big'"),
        ({"bet_sizes": {**BASE["bet_sizes"], "river": "pot"}}, "bet_sizes.river"),
        ({"max_raises": -1}, "max_raises"),
        ({"max_raises": {"flop": 2}}, "missing streets"),
        ({"max_raises": [1, 2, 3, 4, 5]}, "max_raises"),
        ({"max_raises": True}, "max_raises"),
        ({"all_in": "yes"}, "all_in"),
        ({"limp": 1}, "limp"),
        ({"preflop_open_bb": [0.5]}, "preflop_open_bb"),
        ({"max_callers": 0}, "max_callers"),
        ({"max_depth": {"sunday": 3}}, "sunday"),
    ],
)
def test_from_dict_rejects_bad_input(bad: dict, needle: str) -> None:
    with pytest.raises(ValueError) as err:
        ActionMenu.from_dict({**BASE, **bad})
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_from_dict_needs_a_mapping_and_bet_sizes() -> None:
    with pytest.raises(ValueError, match="mapping"):
        ActionMenu.from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bet_sizes"):
        ActionMenu.from_dict({"name": "x"})


def test_unknown_menu_and_bad_yaml(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown action menu 'nope'"):
        load_menu("nope")
    path = tmp_path / "bad.yaml"
    path.write_text("bet_sizes: {preflop: [[1.0]], flop: [[1.0]], turn: [[1.0]], river: [[x]]}\n")
    with pytest.raises(ValueError, match="bad.yaml.*river"):
        load_menu(path)


def test_pot_fraction_semantics_and_open_sizes() -> None:
    game = load_game("hunl")
    tree = build_tree(game, menu(preflop_open_bb=[2.5], max_raises=3), [1, 1, 1, 1])
    assert raise_labels(tree, "") == [250, 20000]
    assert raise_labels(tree, "r250") == [750, 20000]
    assert raise_labels(tree, "r250c/") == [500, 750, 20000]
    assert raise_labels(tree, "r250c/r500") == [1500, 20000]
    no_open = build_tree(game, menu(max_raises=3), [1, 1, 1, 1])
    assert raise_labels(no_open, "") == [300, 20000]


def test_min_raise_clamp_all_in_and_dedup() -> None:
    game = load_game("hunl")
    small = {**BASE, "bet_sizes": {**BASE["bet_sizes"], "flop": [[0.01, 0.02, 1.0]]}}
    tree = build_tree(game, ActionMenu.from_dict({**small, "max_raises": 3}), [1, 1, 1, 1])
    assert raise_labels(tree, "r300c/") == [400, 900, 20000]
    huge = {**BASE, "bet_sizes": {**BASE["bet_sizes"], "flop": [[50.0, 80.0]]}}
    tree = build_tree(game, ActionMenu.from_dict({**huge, "all_in": False}), [1, 1, 1, 1])
    assert raise_labels(tree, "r300c/") == [20000]
    tree = build_tree(game, menu(all_in=False), [1, 1, 1, 1])
    assert raise_labels(tree, "") == [300]


def test_raise_cap_and_depth_limit() -> None:
    game = load_game("hunl")
    tree = build_tree(game, menu(max_raises=[2, 1, 1, 1]), [1, 1, 1, 1])
    node = tree.find("r300r900")
    assert [tree.edge_kind[c] for c in tree.children(node)] == [EDGE_FOLD, EDGE_CALL]
    node = tree.find("r300c/r600")
    assert [tree.label(c) for c in tree.children(node)] == ["f", "c"]
    deep = build_tree(game, menu(max_raises=4, max_depth=[None, 1, None, None]), [1, 1, 1, 1])
    assert raise_labels(deep, "r300c/") == [600, 900, 20000] and raise_labels(deep, "r300c/c") == []
    flop = (deep.kind == DECISION) & (deep.street == 1)
    for node in np.nonzero(flop)[0]:
        if deep.depth_in_street[node] >= 1:
            assert all(deep.edge_kind[c] != EDGE_RAISE for c in deep.children(int(node)))


def test_no_limp_and_callers_cap() -> None:
    game = load_game("6max")
    tree = build_tree(game, menu(limp=False, max_raises=1, max_callers=[1, 1, 1, 1], all_in=False),
                      [1, 1, 1, 1])
    assert [tree.label(c) for c in tree.children(0)] == ["f", "r350"]
    assert [tree.label(c) for c in tree.children(tree.find("ffff"))] == ["f", "r300"]
    assert [tree.label(c) for c in tree.children(tree.find("ffffr300"))] == ["f", "c"]
    assert [tree.label(c) for c in tree.children(tree.find("r350c"))] == ["f"]
    limp = build_tree(game, menu(max_raises=1, max_callers=1, all_in=False), [1, 1, 1, 1])
    assert [limp.label(c) for c in limp.children(0)] == ["f", "c", "r350"]
    assert [limp.label(c) for c in limp.children(limp.find("ffffc"))] == ["c", "r300"]


def test_limit_games_reject_a_menu() -> None:
    with pytest.raises(ValueError, match="limit game"):
        build_tree(load_game("leduc"), load_menu("tiny"), [6, 30])
