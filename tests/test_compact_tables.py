"""Compact regret tables (int32 with one scale, int16 with a scale per row): encoding, merging, discounting and
kernels reading them agree with float arithmetic within the rounding they promise; lazy shared tables stay sparse;
delta buffers grow with what a batch touches."""

from __future__ import annotations

import os

import numpy as np
import pytest

from holdem.abstraction.buckets import lossless_for
from holdem.abstraction.tree import build_tree
from holdem.games import load_game
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.compact import (
    I16_MAX,
    UNIT_SCALE,
    decode,
    discount_compact,
    encode_into,
    initial_scale,
)
from holdem.mccfr.config import MCCFRConfig
from holdem.mccfr.tables import DeltaBuffer, PackedDeltas, Tables, apply_deltas, memory_report, row_num_actions
from holdem.training import train
from holdem.training.config import build_config
from holdem.training.setup import master_tables
from holdem.training.shared_tables import SharedTables

ROWS, WIDTH = 300, 4


def _table(rng: np.random.Generator, dtype: str, big_blind: float = 2.0,
           num_actions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random table spanning six orders of magnitude; entries past a row's actions are zero, as in training."""
    source = rng.normal(0, 50, (ROWS, WIDTH)) * rng.choice([1e-3, 1.0, 1e3], (ROWS, 1))
    if num_actions is not None:
        source[np.arange(WIDTH)[None, :] >= num_actions[:, None]] = 0.0
    values = np.zeros((ROWS, WIDTH), dtype=dtype)
    scale = initial_scale(dtype, big_blind, ROWS)
    encode_into(values, scale, source)
    return source, values, scale


def _bound(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Largest rounding error of each value: half a unit of its row's scale for its sign."""
    per_row = scale if scale.shape[0] == values.shape[0] else np.repeat(scale, values.shape[0], axis=0)
    unit = np.where(values > 0, np.ldexp(1.0, per_row[:, :1]), np.ldexp(1.0, per_row[:, 1:]))
    return unit * 0.5 * (1 + 1e-6) + 1e-12


@pytest.mark.parametrize("dtype", ["int16", "int32"])
def test_encoding_rounds_each_value_to_its_row_scale(dtype):
    rng = np.random.default_rng(1)
    source, values, scale = _table(rng, dtype)
    assert np.all(np.abs(decode(values, scale) - source) <= _bound(values, scale) + 1e-6 * np.abs(source))
    if dtype == "int16":
        for sign in (1, -1):
            side = np.where(sign * values > 0, sign * values.astype(np.int64), 0).max(axis=1)
            has = (sign * source > 0).any(axis=1)
            assert np.all(side[has] >= I16_MAX // 2), "positive and negative regrets each keep 14 bits or more"


@pytest.mark.parametrize("dtype", ["int16", "int32"])
def test_merge_and_discount_match_float_arithmetic_within_rounding(dtype):
    rng = np.random.default_rng(2)
    num_actions = rng.integers(2, WIDTH + 1, ROWS).astype(np.uint8)
    source, values, scale = _table(rng, dtype, num_actions=num_actions)
    exact = decode(values, scale).astype(np.float64)
    strategy = rng.random((ROWS, WIDTH)).astype(np.float32)
    rows = np.sort(rng.choice(ROWS, 120, replace=False)).astype(np.int32)
    count = int(num_actions[rows].sum())
    d_regret = rng.normal(0, 40, count).astype(np.float32)
    d_strategy = rng.random(count).astype(np.float32)
    floor = -30.0
    expected_strategy = strategy.copy()
    at = 0
    for row in rows:
        n = int(num_actions[row])
        exact[row, :n] = np.maximum(exact[row, :n] + d_regret[at:at + n], floor)
        expected_strategy[row, :n] += d_strategy[at:at + n]
        at += n
    apply_deltas(Tables(values, strategy, scale), PackedDeltas.both(rows, d_regret, d_strategy), num_actions, floor)
    assert np.all(np.abs(decode(values, scale) - exact) <= _bound(values, scale) + 1e-5 * np.abs(exact))
    np.testing.assert_array_equal(strategy, expected_strategy)
    exact = decode(values, scale).astype(np.float64)
    exact = np.where(exact > 0, exact * 0.5, exact * 0.25)
    discount_compact(values, scale, strategy, 0.5, 0.25, 0.75, 0, ROWS)
    assert np.all(np.abs(decode(values, scale) - exact) <= _bound(values, scale) + 1e-5 * np.abs(exact))
    np.testing.assert_allclose(strategy, expected_strategy * np.float32(0.75), rtol=1e-6)


def _leduc_runner(capacity: int | None = None) -> tuple[BatchRunner, object]:
    game = load_game("leduc")
    abstraction = lossless_for(game)
    tree = build_tree(game, None, [int(x) for x in abstraction.num_buckets])
    return BatchRunner(tree, abstraction, "external", capacity), tree


@pytest.mark.parametrize("dtype", ["int16", "int32"])
def test_kernels_read_a_compact_table_as_its_decoded_floats(dtype):
    runner, tree = _leduc_runner()
    rng = np.random.default_rng(3)
    values = rng.integers(-20000, 20000, (tree.num_rows, tree.max_actions)).astype(dtype)
    scale = rng.integers(-12, 4, (tree.num_rows if dtype == "int16" else 1, 2)).astype(np.int8)
    floats = decode(values, scale)
    params = MCCFRConfig(seed=5).kernel_params(0)
    compact = runner.run(values, 0, 200, 5, params, scale).deltas
    plain = runner.run(floats, 0, 200, 5, params, UNIT_SCALE).deltas
    _assert_same_deltas(compact, plain)


def test_a_growing_delta_buffer_gives_the_same_deltas_as_a_table_sized_one():
    full, tree = _leduc_runner(capacity=10**9)
    small, _ = _leduc_runner()
    small.buffer = DeltaBuffer(tree.num_rows, tree.max_actions, 40)
    regret = np.zeros((tree.num_rows, tree.max_actions), np.float32)
    params = MCCFRConfig(seed=2).kernel_params(0)
    a = full.run(regret, 0, 300, 2, params).deltas
    b = small.run(regret, 0, 300, 2, params).deltas
    assert small.buffer.capacity > 40 and not small._spilled
    _assert_same_deltas(a, b)


def test_a_full_fixed_size_delta_buffer_spills_and_sums_its_parts():
    """A buffer given a capacity packs aside what it holds when full and sums the parts at the end (row action
    counts come as bytes there, as the kernels keep them). Room for one leduc iteration at a time: the same as
    packing after every iteration (later iterations no longer see the packed deltas, as across batches)."""
    from holdem.mccfr.batch import merge_deltas

    fixed, tree = _leduc_runner(capacity=40)
    regret = np.zeros((tree.num_rows, tree.max_actions), np.float32)
    params = MCCFRConfig(seed=2).kernel_params(0)
    fixed.accumulate(regret, 0, 300, 2, params)
    assert len(fixed._spilled) == 299 and fixed.num_actions.dtype == np.uint8
    spilled = fixed.pack()
    one_by_one, _ = _leduc_runner()
    parts = []
    for iteration in range(300):
        one_by_one.accumulate(regret, iteration, 1, 2, params)
        parts.append(one_by_one.pack())
    want = merge_deltas(parts, one_by_one.num_actions.astype(np.int64))
    for name in ("regret_rows", "strategy_rows"):
        np.testing.assert_array_equal(getattr(spilled, name), getattr(want, name))
    np.testing.assert_allclose(spilled.regret, want.regret, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(spilled.strategy, want.strategy, rtol=1e-6, atol=1e-6)



def _assert_same_deltas(a: PackedDeltas, b: PackedDeltas) -> None:
    for name in PackedDeltas.FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_memory_report_counts_bytes_per_entry_and_per_legal_action():
    assert memory_report(1000, 4)["bytes_per_infoset_action"] == 8
    int16 = memory_report(1000, 4, regret_dtype="int16", legal_actions=2500, lazy=True)
    assert int16["bytes_per_infoset_action"] == 2 + 4 + 2 / 4
    assert int16["bytes_per_legal_action"] == round((1000 * 4 * 6 + 2000) / 2500, 3)
    assert int16["allocation"].startswith("lazy")


def test_lazy_shared_tables_take_memory_only_where_written():
    with SharedTables("lazytest") as tables:
        lazy = tables.create("lazy", (1 << 20, 4), "int16", prefault=False)
        tables.create("dense", (1 << 20, 4), "int16")
        lazy[1000:1010] = 7
        blocks = {name: os.stat(spec.path).st_blocks * 512 for name, spec in tables.specs.items()}
        assert blocks["dense"] >= lazy.nbytes
        assert blocks["lazy"] <= 4 * 4096, blocks


def test_master_tables_store_regrets_as_configured():
    _, tree = _leduc_runner()
    for dtype in ("float32", "int32", "int16"):
        tables, shared = master_tables(tree, True, dtype, 2.0)
        try:
            assert tables.regret.dtype == np.dtype(dtype) and tables.strategy_sum.dtype == np.float32
            assert tables.regret_scale.shape == ((tree.num_rows, 2) if dtype == "int16" else (1, 2))
        finally:
            shared.close()


def test_row_num_actions_fit_the_legal_action_count():
    _, tree = _leduc_runner()
    assert int(row_num_actions(tree).sum()) <= tree.num_rows * tree.max_actions


def test_leduc_with_compact_regrets_learns_as_well_as_float32(tmp_path):
    """Mean exploitability over two seeds at 1 M iterations; rounding changes each run's trajectory, so single runs
    differ by sampling noise alone (about 20% at this length)."""
    results = {}
    for kind in ("float32", "int16", "int32"):
        values = []
        for seed in (1, 2):
            config = build_config({"game": "leduc", "num_workers": 1, "iterations": 1_000_000, "seed": seed,
                                   "regret_dtype": kind})
            values.append(train(config, tmp_path / f"{kind}-{seed}").exploitability)
        results[kind] = sum(values) / len(values)
    assert results["int16"] <= 1.25 * results["float32"] and results["int32"] <= 1.25 * results["float32"], results


def test_compact_regrets_merge_from_shared_workers_exactly_once(tmp_path):
    runs = []
    config = build_config({"game": "leduc", "num_workers": 2, "iterations": 200_000, "seed": 4,
                           "regret_dtype": "int16", "regret_sharing": "shared", "batch_size": 10_000})
    outcome = train(config, tmp_path, on_start=runs.append)
    assert outcome.error is None and outcome.iterations == 200_000
    assert runs[0].applied.to_list() == [[0, 200_000]]
    assert outcome.exploitability is not None and outcome.exploitability < 0.5


def test_large_negative_regrets_leave_the_positive_ones_their_precision():
    values = np.zeros((1, 3), np.int16)
    scale = initial_scale("int16", 1.0, 1)
    encode_into(values, scale, np.array([[-1e6, 10.0, 20.0]]))
    decoded = decode(values, scale)[0]
    np.testing.assert_allclose(decoded[1:], [10.0, 20.0], rtol=1e-4)
    np.testing.assert_allclose(decoded[0], -1e6, rtol=1e-4)
