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
    assert np.array_equal(a.kernel_data(), b.kernel_data())


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


# Hold'em clustering on the `tiny` spec.

HOLDEM_CARDS = (2, 5, 6, 7)


TINY_GROUP = pytest.mark.xdist_group("tiny_buckets")
"""Tests of the freshly built ``tiny`` buckets run on one worker of a parallel suite, which builds them once (9 s)."""


@pytest.fixture(scope="module")
def tiny():
    from holdem.abstraction.builder import build_abstraction
    from holdem.abstraction.specs import load_spec

    return build_abstraction(load_spec("tiny"), progress=False, log=lambda msg: None)


def _random_deals(rng, n, k):
    return np.array([rng.choice(52, size=k, replace=False) for _ in range(n)], dtype=np.int32)


@TINY_GROUP
def test_tiny_shape_and_quality(tiny):
    assert tiny.num_buckets.tolist() == [169, 8, 8, 8]
    for street in ("flop", "turn", "river"):
        assert 0 < tiny.info["quality"][street] < 0.05


@TINY_GROUP
def test_tiny_kernel_matches_vector_and_suit_symmetry(tiny):
    rng = np.random.default_rng(5)
    for st, k in enumerate(HOLDEM_CARDS):
        deals = _random_deals(rng, 3000, k)
        got = _in_kernel(tiny, st, deals)
        assert np.array_equal(got, tiny.bucket(st, deals))
        assert got.min() >= 0 and got.max() < tiny.num_buckets[st]
        perm = np.array([rng.permutation(4) for _ in range(len(deals))])
        moved = (deals & ~3) | np.take_along_axis(perm, deals & 3, axis=1)
        moved[:, :2] = moved[:, [1, 0]]
        assert np.array_equal(_in_kernel(tiny, st, moved), got)
    assert len(set(_in_kernel(tiny, 3, _random_deals(rng, 3000, 7)).tolist())) == 8


@TINY_GROUP
def test_tiny_deal_buckets_as_the_kernels_compute_them(tiny):
    """deal_buckets_of (every round's board entry first, for the 52-card deal) agrees with bucket_of."""
    from holdem.abstraction.buckets import deal_buckets_of

    rng = np.random.default_rng(4)
    kd = tiny.kernel_data()
    counts = np.array([0, 3, 4, 5], dtype=np.int32)
    for players in (2, 6):
        deals = _random_deals(rng, 300, 2 * players + 5)
        out = np.empty((players, 4), dtype=np.int32)
        hand = np.empty(52, dtype=np.int32)
        for deal in deals:
            deal_buckets_of(kd, deal, players, 2, counts, hand, out)
            for seat in range(players):
                for st, k in enumerate(counts):
                    cards = np.concatenate([deal[2 * seat : 2 * seat + 2], deal[2 * players : 2 * players + k]])
                    assert out[seat, st] == _in_kernel(tiny, st, cards[None])[0]


@TINY_GROUP
def test_deals_looked_up_ahead_get_the_buckets_and_ranks_of_deals_looked_up_one_at_a_time(tiny):
    """The kernels' deal ring (keys of deal t + 16, bucket offsets of t + 8, buckets of t) changes no result: each
    iteration's buckets and showdown ranks are those of dealing it alone, from any first iteration."""
    from holdem.mccfr.kernels_common import deal_ahead, deal_from_deck, deal_layout, new_deal_ring, rng_for

    kd = tiny.kernel_data()
    for players, game in ((2, "hunl"), (6, "6max")):
        layout, deck = deal_layout(load_game(game)), np.array(load_game(game).deck, dtype=np.int32)
        ring_cards, ring_keys, ring_cells = new_deal_ring(len(deck), players)
        scratch, hand, cards = (np.empty(len(deck), dtype=np.int32) for _ in range(3))
        ahead_buckets, alone_buckets = (np.empty((players, 4), dtype=np.int32) for _ in range(2))
        ahead_ranks, alone_ranks = (np.empty(players, dtype=np.int32) for _ in range(2))
        for t in range(1000, 1200):
            deal_ahead(deck, layout, kd, 9, t, t == 1000, ring_cards, ring_keys, ring_cells, scratch, hand,
                       ahead_buckets, ahead_ranks)
            deal_from_deck(deck, layout, kd, np.uint64(rng_for(9, t, 0)), cards, scratch, hand, alone_buckets,
                           alone_ranks)
            assert np.array_equal(ahead_buckets, alone_buckets) and np.array_equal(ahead_ranks, alone_ranks), t


def _p2_on_board(board):
    """Doubled percentile of every hole pair on a board, by brute force with the evaluator."""
    from holdem.evaluator import rank_hands

    rest = [c for c in range(52) if c not in set(board.tolist())]
    pairs = np.array(list(itertools.combinations(rest, 2)), dtype=np.int32)
    hands = np.concatenate([pairs, np.repeat(board[None, :], len(pairs), axis=0)], axis=1)
    ranks = rank_hands(hands)
    below = np.searchsorted(np.sort(ranks), ranks, side="left")
    ties = np.searchsorted(np.sort(ranks), ranks, side="right") - below
    return hands, 2 * below + ties - 1


@TINY_GROUP
@pytest.mark.parametrize("street", [1, 2, 3])
def test_tiny_buckets_are_a_monotone_function_of_exact_strength(tiny, street):
    rng = np.random.default_rng(6 + street)
    lo = np.full(8, 10**9)
    hi = np.full(8, -1)
    for _ in range(6):
        board = rng.choice(52, size=2 + street, replace=False).astype(np.int32)
        hands, p2 = _p2_on_board(board)
        b = tiny.bucket(street, hands)
        np.minimum.at(lo, b, p2)
        np.maximum.at(hi, b, p2)
    seen = hi >= 0
    assert seen.sum() >= 4
    assert (lo[seen][1:] > hi[seen][:-1]).all()


@TINY_GROUP
def test_tiny_file_round_trip(tiny, tmp_path):
    path = tmp_path / "tiny.npz"
    digest = tiny.save(path)
    back = CardAbstraction.load(path, load_game("6max"))
    assert back.content_hash() == digest
    rng = np.random.default_rng(8)
    for st, k in enumerate(HOLDEM_CARDS):
        deals = _random_deals(rng, 500, k)
        assert np.array_equal(_in_kernel(back, st, deals), _in_kernel(tiny, st, deals))


def test_spec_errors(tmp_path):
    from holdem.abstraction.buckets import BucketSpecError
    from holdem.abstraction.builder import build_abstraction
    from holdem.abstraction.specs import load_spec

    with pytest.raises(BucketSpecError, match="unknown bucket spec"):
        load_spec("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("game: hunl\nflop: {buckets: 1, feature: hs}\n")
    with pytest.raises(BucketSpecError, match="flop.buckets"):
        load_spec(bad)
    bad.write_text("flop: {buckets: 8, feature: hs}\nturn: {buckets: 8, feature: hs}\n"
                   "river: {buckets: 8, feature: hist}\n")
    with pytest.raises(BucketSpecError, match="river.feature"):
        load_spec(bad)
    with pytest.raises(BucketSpecError, match="hold'em deal"):
        build_abstraction(load_spec("tiny"), load_game("leduc"))


def _one_error_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in text


def test_cli_bad_input_exit_2(tmp_path, capsys):
    from holdem.cli.build_buckets import main as build_main
    from holdem.cli.main import main as holdem_main

    assert build_main(["--spec", "nope", "--out", str(tmp_path / "x.npz")]) == 2
    _one_error_line(capsys.readouterr().err)
    good = tmp_path / "leduc.npz"
    lossless_for("leduc").save(good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:100])
    cases = [
        ["buckets", "info", str(tmp_path / "missing.npz")],
        ["buckets", "info", str(truncated)],
        ["buckets", "info", str(good), "--game", "hunl"],
        ["buckets", "build", "--spec", "nope", "--out", str(tmp_path / "y.npz")],
        ["buckets", "build", "--spec", "tiny", "--game", "leduc", "--out", str(tmp_path / "z.npz")],
    ]
    for argv in cases:
        assert holdem_main(argv) == 2, argv
        _one_error_line(capsys.readouterr().err)
    assert holdem_main(["buckets", "info", str(good)]) == 0
    out = capsys.readouterr().out
    assert "sha256" in out and "9 buckets" in out


def test_cli_module_subprocess_bad_spec(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "holdem.cli.build_buckets", "--spec", "nope", "--out", str(tmp_path / "x")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    _one_error_line(proc.stderr)


def test_kmeans_is_deterministic_for_a_seed():
    from holdem.abstraction.kmeans import kmeans, kmeans_1d

    rng = np.random.default_rng(0)
    X = np.cumsum(rng.integers(0, 5, size=(5000, 6)), axis=1).astype(np.uint16)
    w = rng.integers(1, 25, size=5000)
    a = kmeans(X, 1 / 30, w, 12, 20, 2000, seed=3)
    b = kmeans(X, 1 / 30, w, 12, 20, 2000, seed=3)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.centroids, b.centroids)
    assert a.ratio < 0.3
    assert (np.diff(a.centroids.sum(axis=1)) <= 0).all()
    hist = rng.integers(0, 100, size=2161)
    c = kmeans_1d(hist, 8, 50)
    assert c.k == 8 and (np.diff(c.labels) >= 0).all() and c.ratio < 0.05


def test_a_missing_bucket_file_asked_for_twice_at_once_is_built_once(tmp_path, monkeypatch):
    """The second asker waits on the first one's build and reads its file (one build, one temporary file)."""
    import threading

    import holdem.abstraction.builder as builder
    from holdem.abstraction.store import build_bucket_file

    started, release, builds = threading.Event(), threading.Event(), []

    class Built:
        def save(self, path):
            path.write_bytes(b"built once")

    def slow_build(spec, game, **options):
        builds.append(spec)
        started.set()
        assert release.wait(60)
        return Built()

    monkeypatch.setattr(builder, "build_abstraction", slow_build)
    path = tmp_path / "holdem-tiny.npz"
    game = load_game("hunl")
    first = threading.Thread(target=build_bucket_file, args=("tiny", game, path))
    first.start()
    assert started.wait(60)
    second = threading.Thread(target=build_bucket_file, args=("tiny", game, path))
    second.start()
    release.set()
    first.join(60)
    second.join(60)
    assert len(builds) == 1 and path.read_bytes() == b"built once"


def _write_v1_file(path, rng, buckets=12, spec=None):
    """A format-version-1 hold'em bucket file as that version wrote it: random index tables and river thresholds."""
    import json

    from holdem.abstraction.buckets import _hash
    from holdem.abstraction.isomorphism import HandIndexer
    from holdem.abstraction.legacy_file import V1_SHAPES
    from holdem.games import format_gamedef

    indexer = HandIndexer.from_shapes(13, 4, V1_SHAPES)
    arrays = {
        "table1": rng.integers(0, buckets, indexer.size(1)).astype(np.uint8),
        "table2": rng.integers(0, buckets, indexer.size(2)).astype(np.uint8),
        "thresholds3": np.sort(rng.integers(1, 7463, (indexer.size(4), buckets - 1)), axis=1).astype(np.uint16),
    }
    header = json.dumps({
        "format_version": 1, "game": format_gamedef(load_game("hunl")), "game_name": "hunl",
        "cards": {"num_ranks": 13, "num_suits": 4, "num_hole_cards": 2, "num_board_cards": [0, 3, 1, 1]},
        "spec": spec or {"name": "v1-test"}, "shapes": [list(s) for s in V1_SHAPES],
        "streets": [{"mode": 0, "num_buckets": 169, "slot": 0, "board_slot": -1},
                    {"mode": 1, "num_buckets": buckets, "slot": 1, "board_slot": -1},
                    {"mode": 1, "num_buckets": buckets, "slot": 2, "board_slot": -1},
                    {"mode": 2, "num_buckets": buckets, "slot": 3, "board_slot": 4}],
    }, sort_keys=True)
    digest = _hash(header, arrays)
    with open(path, "wb") as fh:
        np.savez(fh, format_version=np.array(1, dtype=np.int64), header=np.array(header), info=np.array("{}"),
                 content_hash=np.array(digest), **arrays)
    return indexer, arrays, digest


def test_a_version_1_file_loads_with_the_buckets_and_hash_it_was_written_with(tmp_path):
    """Blueprints name their bucket file by hash: a version-1 file gives every hand the bucket version 1 gave it
    (index tables on the flop and turn, rank thresholds on the river) and keeps its recorded hash."""
    from holdem.evaluator import eval7

    rng = np.random.default_rng(11)
    path = tmp_path / "holdem-old.npz"
    indexer, arrays, digest = _write_v1_file(path, rng)
    abst = CardAbstraction.load(path, load_game("hunl"))
    assert abst.content_hash() == digest
    for street, n in enumerate((2, 5, 6, 7)):
        hands = np.array([rng.permutation(52)[:n] for _ in range(3000)], dtype=np.int32)
        if street == 0:
            want = indexer.index(0, hands)
        elif street < 3:
            want = arrays[f"table{street}"][indexer.index(street, hands)]
        else:
            thr = arrays["thresholds3"][indexer.index(4, hands[:, 2:])]
            ranks = np.array([eval7(*map(int, h)) for h in hands])
            want = (thr <= ranks[:, None]).sum(axis=1)
        assert (_in_kernel(abst, street, hands) == want).all(), street
        assert (abst.bucket(street, hands) == want).all(), street
    with np.load(path, allow_pickle=False) as npz:
        files = dict(npz.items())
    files["table2"] = files["table2"].copy()
    files["table2"][12345] ^= 1
    np.savez(path, **files)
    with pytest.raises(BucketFileError, match="checksum"):
        CardAbstraction.load(path, load_game("hunl"))


def test_lossless_buckets_keep_the_hash_blueprints_and_checkpoints_recorded():
    """Lossless buckets are not stored in files: their hash stays version 1's, so earlier Kuhn and Leduc runs
    resume and their blueprints load."""
    assert lossless_for("kuhn").content_hash() == "3885df6db8fb0e519b0c53dfcf2cb31d6f5ef68bbe90552778344a5a41a1c94d"
    assert lossless_for("leduc").content_hash() == "2be664fbf692417f5865c6a05ca87b8571bd5beca8d1f3648ab99714e257fd89"


def test_a_run_trained_on_a_version_1_file_resumes_by_its_spec_name(tmp_path, monkeypatch):
    """A run started before the format changed (its ``--buckets tiny`` file is version 1, under the old name)
    resumes on that file, found by the checkpoint's hash, instead of building the current spec."""
    import holdem.abstraction.store as store
    import holdem.training.setup as setup
    from holdem.training import resume, train
    from holdem.training.config import build_config

    assets = tmp_path / "assets"
    assets.mkdir()
    monkeypatch.setattr(store, "ASSETS_DIR", assets)
    _, _, digest = _write_v1_file(assets / "holdem-tiny.npz", np.random.default_rng(3))

    def no_build(*args, **kwargs):
        raise AssertionError("the run's own bucket file is there: nothing is built")

    monkeypatch.setattr(setup, "build_bucket_file", no_build)
    settings = {"game": "hunl", "actions": "tiny", "buckets": "tiny", "num_workers": 1, "seed": 2}
    train(build_config({**settings, "iterations": 40}), tmp_path / "run", buckets_path=str(assets / "holdem-tiny.npz"))
    run = resume(tmp_path / "run", build_config({**settings, "iterations": 80}), tmp_path / "run")
    try:
        assert run.abstraction.content_hash() == digest and run.iterations_applied == 40
    finally:
        run.close()


def test_a_file_of_a_renamed_spec_moves_to_its_new_name_and_its_runs_still_find_it(tmp_path, monkeypatch, capsys):
    """A file built when ``quick-legacy`` was called ``quick`` moves aside the first time ``quick`` is asked for
    (so the new ``quick`` can be built); a run and a blueprint trained on it find it there by hash. So does one
    built when ``quick-r100`` was called ``quick``."""
    import holdem.abstraction.store as store
    import holdem.training.setup as setup
    from holdem.abstraction.specs import load_spec
    from holdem.policy.files import load_policy_parts
    from holdem.training import resume, train
    from holdem.training.config import build_config

    assets = tmp_path / "assets"
    assets.mkdir()
    monkeypatch.setattr(store, "ASSETS_DIR", assets)
    game = load_game("hunl")
    old_path = store.default_bucket_path(game, "quick")
    _, _, digest = _write_v1_file(old_path, np.random.default_rng(5), buckets=50,
                                  spec={**load_spec("quick-legacy").to_dict(), "name": "quick"})
    original = old_path.read_bytes()
    settings = {"game": "hunl", "actions": "tiny", "buckets": "quick", "num_workers": 1, "seed": 2}
    train(build_config({**settings, "iterations": 40}), tmp_path / "run", buckets_path=str(old_path))

    assert store.spec_path(game, "quick") == old_path and not old_path.exists()
    moved = store.default_bucket_path(game, "quick-legacy")
    assert moved.read_bytes() == original
    assert "now called 'quick-legacy'" in capsys.readouterr().err

    def no_build(*args, **kwargs):
        raise AssertionError("the run's bucket file is kept under its spec's new name: nothing is built")

    monkeypatch.setattr(setup, "build_bucket_file", no_build)
    run = resume(tmp_path / "run", build_config({**settings, "iterations": 80}), tmp_path / "run")
    try:
        assert run.abstraction.content_hash() == digest and run.iterations_applied == 40
    finally:
        run.close()
    assert load_policy_parts(tmp_path / "run").abstraction.content_hash() == digest
    assert store.spec_path(game, "quick-legacy") == moved, "the moved file is quick-legacy's, asked for by name"
    assert CardAbstraction.load(moved, game).content_hash() == digest

    _write_v1_file(old_path, np.random.default_rng(6), buckets=50,
                   spec={**load_spec("quick-legacy").to_dict(), "name": "quick"})
    with pytest.raises(BucketFileError, match="built from another 'quick' spec"):
        store.spec_path(game, "quick")

    _write_v1_file(old_path, np.random.default_rng(7), buckets=50,
                   spec={**load_spec("quick-r100").to_dict(), "name": "quick"})
    original = old_path.read_bytes()
    assert store.spec_path(game, "quick") == old_path and not old_path.exists()
    assert store.default_bucket_path(game, "quick-r100").read_bytes() == original
    assert "now called 'quick-r100'" in capsys.readouterr().err


def test_a_file_with_a_valid_checksum_but_out_of_range_buckets_is_refused(tmp_path):
    """A bucket above the street's count would send a kernel outside its tables: refused at load, in one line."""
    import json

    from holdem.abstraction.buckets import _hash

    good = tmp_path / "good.npz"
    lossless_for("leduc").save(good)
    with np.load(good, allow_pickle=False) as npz:
        files = dict(npz.items())
    header = json.loads(str(files["header"]))
    header["streets"][1]["num_buckets"] = 4
    files["header"] = np.array(json.dumps(header, sort_keys=True))
    files["content_hash"] = np.array(_hash(str(files["header"]), {"table1": files["table1"]}))
    np.savez(tmp_path / "bad.npz", **files)
    with pytest.raises(BucketFileError, match="holds bucket 8 of 4"):
        CardAbstraction.load(tmp_path / "bad.npz")
    del header["spec"]
    files["header"] = np.array(json.dumps(header, sort_keys=True))
    files["content_hash"] = np.array(_hash(str(files["header"]), {"table1": files["table1"]}))
    np.savez(tmp_path / "no-spec.npz", **files)
    with pytest.raises(BucketFileError, match="malformed header"):
        CardAbstraction.load(tmp_path / "no-spec.npz")


def test_a_version_1_file_of_the_same_spec_is_used_instead_of_building_the_spec_again(tmp_path, monkeypatch):
    """A spec's buckets are built as before the format changed: a version-1 file recording the same spec holds
    them, so a run asking for the spec reads it (converted) instead of building a new file; another spec's file
    is not used."""
    import holdem.abstraction.store as store
    import holdem.training.setup as setup
    from holdem.abstraction.specs import load_spec
    from holdem.training.config import build_config

    assets = tmp_path / "assets"
    assets.mkdir()
    monkeypatch.setattr(store, "ASSETS_DIR", assets)
    built = []
    monkeypatch.setattr(setup, "build_bucket_file", lambda spec, game, path: built.append(spec))
    _, _, digest = _write_v1_file(assets / "holdem-quick.npz", np.random.default_rng(1), buckets=50,
                                  spec=load_spec("quick").to_dict())
    config = build_config({"game": "hunl", "actions": "tiny", "buckets": "quick", "iterations": 10})
    abstraction, path = setup.card_abstraction(config, load_game("hunl"), None)
    assert path == assets / "holdem-quick.npz" and abstraction.content_hash() == digest and built == []
    (assets / "holdem-quick.npz").rename(assets / "holdem-quick-pa.npz")
    other = build_config({"game": "hunl", "actions": "tiny", "buckets": "quick-pa", "iterations": 10})
    with pytest.raises(setup.RunError, match="does not exist"):
        setup.card_abstraction(other, load_game("hunl"), None)
    assert built == ["quick-pa"]
    _write_v1_file(store.default_bucket_path(load_game("hunl"), "quick"), np.random.default_rng(2), buckets=50,
                   spec={**load_spec("quick").to_dict(), "kmeans_iterations": 3})
    with pytest.raises(setup.RunError, match="built from another 'quick' spec"):
        setup.card_abstraction(config, load_game("hunl"), None)
