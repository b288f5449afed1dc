"""Compiled betting trees: exact shapes of the limit games, array invariants, files and lookups."""

from __future__ import annotations

import numpy as np
import pytest

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
from holdem.games import load_game


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
    assert decisions == ["", "c", "cr", "r"]
    assert [kuhn.label(c) for c in kuhn.children(0)] == ["c", "r"]
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
    assert leduc.kind[node] == DECISION and leduc.player[node] == 1
    assert leduc.contrib[node].tolist() == [13, 9]
    assert [leduc.label(c) for c in leduc.children(node)] == ["f", "c"]
    assert leduc.kind[leduc.find("cc")] == CHANCE and leduc.street[leduc.find("cc")] == 1
    assert leduc.depth_in_street[leduc.find("cc/cr")] == 2


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
