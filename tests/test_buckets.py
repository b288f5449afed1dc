import itertools

import numpy as np
import pytest
from numba import njit

from holdem.abstraction.buckets import BucketFileError, CardAbstraction, bucket_of, lossless_for
from holdem.games import load_game


@njit(cache=True)
def _kernel_buckets(kd, street, hands, out):
    for i in range(hands.shape[0]):
        out[i] = bucket_of(kd, street, hands[i], hands.shape[1])


def _in_kernel(abst, street, hands):
    out = np.empty(len(hands), dtype=np.int32)
    _kernel_buckets(abst.kernel_data(), street, np.ascontiguousarray(hands, dtype=np.int32), out)
    return out


def test_kuhn_lossless():
    a = lossless_for("kuhn")
    assert a.num_buckets.tolist() == [3] and a.num_buckets.dtype == np.int32
    deck = np.array(load_game("kuhn").deck)[:, None]
    assert sorted(_in_kernel(a, 0, deck).tolist()) == [0, 1, 2]


def test_leduc_lossless_merges_suits():
    game = load_game("leduc")
    a = lossless_for(game)
    assert a.num_buckets.tolist() == [3, 9]
    deals = np.array(list(itertools.permutations(game.deck, 2)), dtype=np.int32)
    pre = _in_kernel(a, 0, deals[:, :1])
    post = _in_kernel(a, 1, deals)
    assert np.array_equal(post, a.bucket(1, deals))
    ranks = deals >> 2
    for i in range(len(deals)):
        for j in range(len(deals)):
            assert (post[i] == post[j]) == (tuple(ranks[i]) == tuple(ranks[j]))
            assert (pre[i] == pre[j]) == (ranks[i, 0] == ranks[j, 0])
    assert set(post.tolist()) == set(range(9))


def test_holdem_lossless_is_refused_beyond_int32():
    with pytest.raises(ValueError, match="too many"):
        lossless_for("hunl")


def test_file_round_trip(tmp_path):
    a = lossless_for("leduc")
    path = tmp_path / "leduc.npz"
    digest = a.save(path)
    b = CardAbstraction.load(path, load_game("leduc"))
    assert b.content_hash() == digest == a.content_hash()
    assert b.num_buckets.tolist() == [3, 9]
    for x, y in zip(a.kernel_data(), b.kernel_data()):
        assert np.array_equal(x, y)


def _rewrite(src, dst, **changes):
    with np.load(src, allow_pickle=False) as npz:
        files = dict(npz.items())
    files.update(changes)
    np.savez(dst, **files)


def test_bad_files(tmp_path):
    good = tmp_path / "good.npz"
    lossless_for("leduc").save(good)
    data = good.read_bytes()

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(BucketFileError, match="truncated"):
        CardAbstraction.load(truncated)

    with pytest.raises(BucketFileError, match="does not exist"):
        CardAbstraction.load(tmp_path / "missing.npz")

    version = tmp_path / "version.npz"
    _rewrite(good, version, format_version=np.array(99))
    with pytest.raises(BucketFileError, match="format version 99"):
        CardAbstraction.load(version)

    corrupt = tmp_path / "corrupt.npz"
    _rewrite(good, corrupt, table1=np.zeros(15, dtype=np.uint16))
    with pytest.raises(BucketFileError, match="checksum"):
        CardAbstraction.load(corrupt)

    with pytest.raises(BucketFileError, match="built for game 'leduc'"):
        CardAbstraction.load(good, load_game("hunl"))
    for exc_msg in (str(BucketFileError("x")),):
        assert "\n" not in exc_msg
