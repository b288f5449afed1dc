"""Compiled betting trees: exact shapes of the limit games, array invariants, files and lookups."""

from __future__ import annotations

import numpy as np
import pytest

from holdem.abstraction.actions import ActionMenu, load_menu
from holdem.abstraction.tree import (
    CHANCE,
    DECISION,
    FOLD,
    SHOWDOWN,
    BettingTree,
    TreeError,
    TreeFileError,
    build_tree,
)
from holdem.games import Betting, GameDef, load_game


@pytest.fixture(scope="module")
def kuhn() -> BettingTree:
    return build_tree(load_game("kuhn"), None, [3])


@pytest.fixture(scope="module")
def leduc() -> BettingTree:
    return build_tree(load_game("leduc"), None, [6, 30])


def check_invariants(t: BettingTree) -> None:
    """Contract invariants every compiled tree satisfies."""
    n = t.num_nodes
    assert t.kind.dtype == np.int8 and t.player.dtype == np.int8 and t.street.dtype == np.int8
    assert t.first_child.dtype == np.int32 and t.num_children.dtype == np.int16
    assert t.contrib.dtype == np.int32 and t.contrib.shape == (n, t.game.num_players)
    assert t.active.dtype == np.int32 and t.row_offset.dtype == np.int64
    assert t.depth_in_street.dtype == np.int16 and t.edge_kind.dtype == np.int8
    assert t.edge_amount.dtype == np.int32
    assert t.kind[0] == DECISION and t.edge_kind[0] == -1
    dec = t.kind == DECISION
    term = (t.kind == FOLD) | (t.kind == SHOWDOWN)
    assert np.all(t.first_child[term] == -1) and np.all(t.num_children[term] == 0)
    assert np.all(t.num_children[t.kind == CHANCE] == 1)
    assert np.all(t.num_children[dec] >= 1)
    assert np.all(t.player[dec] >= 0) and np.all(t.player[~dec] == -1)
    parent = t.parents()
    assert np.all(parent[1:] < np.arange(1, n)) and parent[0] == -1
    assert np.count_nonzero(parent >= 0) == n - 1
    rows = np.where(dec, np.asarray(t.num_buckets)[t.street], 0)
    assert np.array_equal(t.row_offset[dec], (np.cumsum(rows) - rows)[dec])
    assert np.all(t.row_offset[~dec] == -1)
    assert t.num_rows == int(rows.sum())
    assert np.all(t.contrib <= np.asarray(t.game.stack))
    pc = t.contrib[parent[1:]]
    assert np.all(t.contrib[1:] >= pc)
    changed = (t.contrib[1:] != pc).sum(axis=1)
    assert np.all(changed <= 1)
    fold_nodes = np.nonzero(t.kind == FOLD)[0]
    assert all(bin(int(a)).count("1") == 1 for a in t.active[fold_nodes])


def test_kuhn_shape(kuhn: BettingTree) -> None:
    check_invariants(kuhn)
    assert kuhn.num_nodes == 9
    assert np.count_nonzero(kuhn.kind == DECISION) == 4
    assert kuhn.summary()["decisions_by_player"] == [2, 2]
    assert np.count_nonzero(kuhn.kind == FOLD) == 2 and np.count_nonzero(kuhn.kind == SHOWDOWN) == 3
    assert kuhn.num_rows == 12 and kuhn.max_actions == 2
    decisions = sorted(kuhn.history(int(i)) for i in np.nonzero(kuhn.kind == DECISION)[0])
    assert decisions == ["", "c", "cr2", "r2"]
    assert [kuhn.label(c) for c in kuhn.children(0)] == ["c", "r2"]
    assert kuhn.find("cr") == kuhn.find("cr2")
    assert [kuhn.label(c) for c in kuhn.children(kuhn.find("r"))] == ["f", "c"]
    assert kuhn.contrib[kuhn.find("crc")].tolist() == [2, 2]
    assert kuhn.contrib[kuhn.find("crf")].tolist() == [1, 2]
    assert kuhn.active[kuhn.find("crf")] == 0b10


def test_leduc_shape(leduc: BettingTree) -> None:
    check_invariants(leduc)
    per_round = leduc.decisions_per_street().tolist()
    assert per_round == [6, 30]
    assert leduc.num_rows == 6 * 6 + 30 * 30 == 936
    assert leduc.max_actions == 3
    assert np.count_nonzero(leduc.kind == CHANCE) == 5
    assert leduc.num_nodes == 90
    node = leduc.find("rrc/crr")
    assert leduc.history(node) == "r3r5c/cr9r13"
    assert leduc.kind[node] == DECISION and leduc.player[node] == 1
    assert leduc.contrib[node].tolist() == [13, 9]
    assert [leduc.label(c) for c in leduc.children(node)] == ["f", "c"]
    assert leduc.kind[leduc.find("cc")] == CHANCE and leduc.street[leduc.find("cc")] == 1
    assert leduc.depth_in_street[leduc.find("cc/cr")] == 2
    assert leduc.depth_in_street[leduc.find("cc")] == 0 and leduc.depth_in_street[leduc.find("c")] == 1


def test_find_and_path_round_trip(leduc: BettingTree) -> None:
    for node in range(leduc.num_nodes):
        assert leduc.find(leduc.history(node)) == node


def test_find_rejects_bad_histories(leduc: BettingTree) -> None:
    with pytest.raises(TreeError, match="not in the abstraction"):
        leduc.find("rrr")
    with pytest.raises(TreeError, match="round is not over"):
        leduc.find("c/")
    with pytest.raises(TreeError, match="bad ACPC history"):
        leduc.find("cx")


def test_bucket_counts_validated() -> None:
    with pytest.raises(TreeError, match="num_buckets"):
        build_tree(load_game("leduc"), None, [6])
    with pytest.raises(TreeError, match="no-limit"):
        build_tree(load_game("hunl"), None, [1, 1, 1, 1])


def test_projected_bytes(leduc: BettingTree) -> None:
    assert leduc.projected_table_bytes() == 936 * 3 * 4 * 2
    assert leduc.projected_table_bytes([3, 9]) == (6 * 3 + 30 * 9) * 3 * 8


def test_save_load_round_trip(tmp_path, leduc: BettingTree) -> None:
    path = tmp_path / "leduc.tree.npz"
    leduc.save(path)
    back = BettingTree.load(path)
    assert back.content_hash() == leduc.content_hash()
    assert back.game == leduc.game and back.num_buckets == leduc.num_buckets
    for name, arr in leduc.arrays().items():
        assert np.array_equal(getattr(back, name), arr) and getattr(back, name).dtype == arr.dtype


def test_content_hash_depends_on_buckets(leduc: BettingTree) -> None:
    other = build_tree(load_game("leduc"), None, [3, 9])
    assert other.content_hash() != leduc.content_hash()
    assert build_tree(load_game("leduc"), None, [6, 30]).content_hash() == leduc.content_hash()


def test_truncated_file(tmp_path, leduc: BettingTree) -> None:
    path = tmp_path / "t.npz"
    leduc.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TreeFileError) as err:
        BettingTree.load(path)
    assert "\n" not in str(err.value)


def test_checksum_mismatch(tmp_path, leduc: BettingTree) -> None:
    path = tmp_path / "t.npz"
    arrays = leduc.arrays()
    arrays["contrib"] = arrays["contrib"].copy()
    arrays["contrib"][5, 0] += 1
    leduc.save(path)
    with np.load(path, allow_pickle=False) as data:
        meta = np.array(data["meta"])
    np.savez(path, meta=meta, **arrays)
    with pytest.raises(TreeFileError, match="checksum"):
        BettingTree.load(path)


def test_wrong_version_and_missing(tmp_path, leduc: BettingTree) -> None:
    import json

    path = tmp_path / "t.npz"
    leduc.save(path)
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
    meta["format_version"] = 99
    np.savez(path, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **leduc.arrays())
    with pytest.raises(TreeFileError, match="version 99"):
        BettingTree.load(path)
    with pytest.raises(TreeFileError, match="no such"):
        BettingTree.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(TreeFileError):
        BettingTree.load(tmp_path / "junk.npz")


def _leaves(t: BettingTree) -> np.ndarray:
    return np.nonzero((t.kind == FOLD) | (t.kind == SHOWDOWN))[0]


def _replay(t: BettingTree, leaf: int, rng: np.random.Generator) -> None:
    """Replay the path to ``leaf`` in the rules engine, comparing every node on the way."""
    from holdem.engine import HandState

    parent = t.parents()
    path = [int(leaf)]
    while path[-1] != 0:
        path.append(int(parent[path[-1]]))
    path.reverse()
    hand = HandState(game=t.game, rng=rng)
    for i, node in enumerate(path):
        if i > 0 and t.kind[path[i - 1]] == DECISION:
            hand.apply_acpc(t.label(node))
        where = f"{t.game.name} node {node}"
        assert hand.contributions == tuple(t.contrib[node].tolist()), where
        assert hand.in_hand == tuple(bool(t.active[node] >> s & 1) for s in range(t.game.num_players)), where
        kind = t.kind[node]
        if kind == DECISION:
            assert hand.actor == t.player[node] and hand.street == t.street[node], where
            assert hand.history_acpc() == t.history(node), where
            labels = [t.label(c) for c in t.children(node)]
            assert ("f" in labels) == hand.can_fold(), where
            raises = [int(t.edge_amount[c]) for c in t.children(node) if t.edge_kind[c] == 2]
            if t.game.is_limit:
                assert "c" in labels and bool(raises) == hand.can_bet_or_raise(), where
            elif raises:
                assert hand.can_bet_or_raise(), where
        elif kind == CHANCE:
            assert hand.street >= t.street[node], where
        else:
            assert hand.is_finished, where
            assert hand.history_acpc() == t.history(node), where
    replay = HandState.from_acpc(game=t.game, history=t.history(int(leaf)), rng=rng)
    assert replay.is_finished and replay.contributions == tuple(t.contrib[leaf].tolist())


def _menu_all_in_offered(t: BettingTree, rng: np.random.Generator, nodes: np.ndarray) -> None:
    """Where the engine allows a raise and the menu's caps do not apply, the tree offers all-in."""
    from holdem.engine import HandState

    menu = t.menu
    assert menu is not None and menu.all_in
    for node in nodes:
        node = int(node)
        hist = t.history(node)
        hand = HandState.from_acpc(game=t.game, history=hist, rng=rng)
        s = int(t.street[node])
        raises_so_far = hist.split("/")[-1].count("r")
        capped = raises_so_far >= menu.max_raises[s] or (
            menu.max_depth[s] is not None and t.depth_in_street[node] >= menu.max_depth[s]
        )
        if hand.can_bet_or_raise() and not capped:
            amounts = [int(t.edge_amount[c]) for c in t.children(node) if t.edge_kind[c] == 2]
            all_in = hand.max_raise_to() + hand.contributions[hand.actor] - hand.bets[hand.actor]
            assert all_in in amounts, f"node {node} {hist!r}: all-in {all_in} missing from {amounts}"


@pytest.mark.parametrize("name", ["kuhn", "leduc"])
def test_limit_paths_replay_in_engine(name: str, kuhn: BettingTree, leduc: BettingTree) -> None:
    t = kuhn if name == "kuhn" else leduc
    rng = np.random.default_rng(1)
    for leaf in _leaves(t):
        _replay(t, int(leaf), rng)


@pytest.fixture(scope="module")
def hunl_tiny() -> BettingTree:
    return build_tree(load_game("hunl"), load_menu("tiny"), [169, 8, 8, 8])


@pytest.fixture(scope="module")
def hunl_quick() -> BettingTree:
    return build_tree(load_game("hunl"), load_menu("quick"), [169, 50, 50, 50])


@pytest.fixture(scope="module")
def sixmax_tiny() -> BettingTree:
    return build_tree(load_game("6max"), load_menu("tiny"), [169, 8, 8, 8])


def test_hunl_tiny_every_path_replays(hunl_tiny: BettingTree) -> None:
    check_invariants(hunl_tiny)
    rng = np.random.default_rng(2)
    for leaf in _leaves(hunl_tiny):
        _replay(hunl_tiny, int(leaf), rng)
    _menu_all_in_offered(hunl_tiny, rng, np.nonzero(hunl_tiny.kind == DECISION)[0])


def test_hunl_quick_every_path_replays(hunl_quick: BettingTree) -> None:
    check_invariants(hunl_quick)
    rng = np.random.default_rng(3)
    for leaf in _leaves(hunl_quick):
        _replay(hunl_quick, int(leaf), rng)
    decisions = np.nonzero(hunl_quick.kind == DECISION)[0]
    _menu_all_in_offered(hunl_quick, rng, rng.choice(decisions, size=500, replace=False))


def test_sixmax_tiny_every_path_replays(sixmax_tiny: BettingTree) -> None:
    check_invariants(sixmax_tiny)
    rng = np.random.default_rng(4)
    for leaf in _leaves(sixmax_tiny):
        _replay(sixmax_tiny, int(leaf), rng)
    decisions = np.nonzero(sixmax_tiny.kind == DECISION)[0]
    _menu_all_in_offered(sixmax_tiny, rng, rng.choice(decisions, size=500, replace=False))


def test_sixmax_quick_sampled_paths_replay() -> None:
    t = build_tree(load_game("6max"), load_menu("quick"), [169, 50, 50, 50])
    check_invariants(t)
    rng = np.random.default_rng(5)
    for leaf in rng.choice(_leaves(t), size=2000, replace=False):
        _replay(t, int(leaf), rng)
    decisions = np.nonzero(t.kind == DECISION)[0]
    _menu_all_in_offered(t, rng, rng.choice(decisions, size=300, replace=False))


UNEVEN_MENU = {
    "name": "uneven",
    "bet_sizes": {"preflop": [[0.5, 1.0]], "flop": [[0.5]], "turn": [[1.0]], "river": [[0.75]]},
    "max_raises": [3, 2, 2, 2],
}


@pytest.mark.parametrize("seed", range(6))
def test_uneven_stacks_short_all_ins_replay(seed: int) -> None:
    """Unequal stacks and antes exercise short all-ins and the no-reopen rule against the engine."""
    rng = np.random.default_rng(100 + seed)
    n = 2 + seed % 2
    stacks = [int(x) for x in rng.integers(120, 1500, size=n)]
    antes = [int(rng.integers(0, 20))] * n
    blinds = [50, 100] + [0] * (n - 2)
    game = GameDef(name=f"uneven{seed}", betting=Betting.NOLIMIT, num_players=n, num_rounds=4,
                   stack=tuple(stacks), blind=tuple(blinds), ante=tuple(antes),
                   first_player=(2 % n, 0, 0, 0), num_suits=4, num_ranks=13, num_hole_cards=2,
                   num_board_cards=(0, 3, 1, 1))
    t = build_tree(game, ActionMenu.from_dict(UNEVEN_MENU), [1, 1, 1, 1])
    check_invariants(t)
    leaves = _leaves(t)
    for leaf in rng.choice(leaves, size=min(len(leaves), 800), replace=False):
        _replay(t, int(leaf), rng)
    decisions = np.nonzero(t.kind == DECISION)[0]
    _menu_all_in_offered(t, rng, rng.choice(decisions, size=min(len(decisions), 300), replace=False))


def test_tree_info_cli(tmp_path, capsys) -> None:
    from holdem.cli.main import main

    assert main(["tree", "info", "--game", "leduc", "--buckets", "6,30"]) == 0
    out = capsys.readouterr().out
    assert "90 nodes" in out and "table rows 936" in out
    path = tmp_path / "t.npz"
    assert main(["tree", "info", "--game", "hunl", "--menu", "tiny", "--buckets", "169,8,8,8",
                 "--save", str(path)]) == 0
    assert main(["tree", "info", "--file", str(path)]) == 0
    assert "menu tiny" in capsys.readouterr().out
    path.write_bytes(path.read_bytes()[:200])
    for argv in (["--file", str(path)], ["--menu", "nope"], ["--game", "leduc", "--buckets", "3"],
                 ["--game", "leduc", "--menu", "tiny"]):
        assert main(["tree", "info", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
