"""Tables: delta packing and applying, discounting factors, memory report."""

import numpy as np
import pytest

from holdem.mccfr.tables import (
    REGRET_HALF,
    STRATEGY_HALF,
    DeltaBuffer,
    PackedDeltas,
    TableError,
    Tables,
    allocate_tables,
    apply_deltas,
    check_deltas,
    dcfr_factors,
    discount,
    discount_chunks,
    filled_share,
    linear_discount_factor,
    memory_report,
    pack_deltas,
)


def _fill(buffer: DeltaBuffer, rows: list[int], rng: np.random.Generator) -> dict[int, np.ndarray]:
    expected: dict[int, np.ndarray] = {}
    for row in rows:
        slot = buffer.slot_of_row[row]
        if slot < 0:
            slot = buffer.count
            buffer.counters[0] += 1
            buffer.slot_of_row[row] = slot
            buffer.touched_rows[slot] = row
        values = rng.normal(size=buffer.max_actions)
        buffer.regret[slot] += values
        buffer.strategy[slot] += 2 * values
        buffer.halves[slot] = REGRET_HALF | STRATEGY_HALF
        expected[row] = expected.get(row, 0) + values
    return expected


NUM_ACTIONS = np.array([3, 2] * 25, dtype=np.int32)


def test_pack_round_trip_sorted_unique_and_buffer_reset():
    rng = np.random.default_rng(0)
    buffer = DeltaBuffer(num_rows=50, max_actions=3)
    expected = _fill(buffer, [7, 3, 41, 3, 0, 7, 7], rng)
    packed = pack_deltas(buffer, NUM_ACTIONS, dtype=np.float64)
    assert packed.regret_rows.tolist() == packed.strategy_rows.tolist() == [0, 3, 7, 41]
    assert packed.regret_rows.dtype == np.int32 and packed.regret.shape == packed.strategy.shape == (3 + 2 + 2 + 2,)
    at = 0
    for row in packed.regret_rows:
        n = int(NUM_ACTIONS[row])
        np.testing.assert_allclose(packed.regret[at:at + n], expected[int(row)][:n])
        np.testing.assert_allclose(packed.strategy[at:at + n], 2 * expected[int(row)][:n])
        at += n
    assert buffer.count == 0
    assert (buffer.slot_of_row == -1).all()
    assert not buffer.regret.any() and not buffer.strategy.any()
    tables = allocate_tables(50, 3)
    single = PackedDeltas.both(packed.regret_rows, packed.regret.astype(np.float32), packed.strategy.astype(np.float32))
    apply_deltas(tables, single, NUM_ACTIONS)
    apply_deltas(tables, single, NUM_ACTIONS)
    np.testing.assert_allclose(tables.regret[7, :2], 2 * expected[7][:2], rtol=1e-6)
    assert tables.regret[7, 2] == 0.0, "values of actions a row does not have are never written"
    assert not tables.regret[[1, 2, 40]].any()


def test_pack_by_scan_and_by_sort_and_after_growth():
    """Many touched rows are packed by scanning the table's slot map, few by sorting them; both keep every row's
    sums, and a buffer grown on the way packs the same bytes as one that never grew."""
    num_rows = 4_000
    actions = np.random.default_rng(5).integers(1, 4, size=num_rows).astype(np.int32)
    for touched in (3_000, 20):
        rows = np.random.default_rng(touched).choice(num_rows, size=touched).tolist()
        whole, grown = DeltaBuffer(num_rows, 3), DeltaBuffer(num_rows, 3, capacity=8)
        expected = _fill(whole, rows, np.random.default_rng(1))
        rng = np.random.default_rng(1)
        for at in range(0, len(rows), 8):
            grown.grow(grown.count + 8)
            _fill(grown, rows[at:at + 8], rng)
        assert grown.capacity > 8 or touched <= 8
        packed, again = pack_deltas(whole, actions, dtype=np.float64), pack_deltas(grown, actions, dtype=np.float64)
        assert packed.regret_rows.tolist() == packed.strategy_rows.tolist() == sorted(expected)
        assert packed.regret.tobytes() == again.regret.tobytes()
        assert packed.strategy.tobytes() == again.strategy.tobytes()
        at = 0
        for row in packed.regret_rows:
            n = int(actions[row])
            np.testing.assert_allclose(packed.regret[at:at + n], expected[int(row)][:n])
            at += n
        for buffer in (whole, grown):
            assert buffer.count == 0 and (buffer.slot_of_row == -1).all() and not buffer.halves.any()
            assert not buffer.regret.any() and not buffer.strategy.any()


def test_rows_travel_only_in_the_halves_whose_table_they_change():
    """A row the batch wrote no regret (or strategy) deltas for is left out of that half, and the packed deltas
    change the tables exactly as the full ones would; a half-only row in a spilled and merged result too."""
    from holdem.mccfr.batch import merge_deltas

    num_rows = 2_000
    actions = np.random.default_rng(2).integers(1, 4, size=num_rows).astype(np.int32)
    for touched in (1_500, 30):
        rng = np.random.default_rng(touched)
        buffer = DeltaBuffer(num_rows, 3)
        rows = rng.choice(num_rows, size=touched, replace=False)
        _fill(buffer, rows.tolist(), rng)
        kind = rng.integers(0, 3, size=touched)
        for row, k in zip(rows, kind):
            slot = buffer.slot_of_row[row]
            if k == 1:
                buffer.regret[slot] = 0.0
                buffer.halves[slot] = STRATEGY_HALF
            elif k == 2:
                buffer.strategy[slot] = 0.0
                buffer.halves[slot] = REGRET_HALF
        full_regret, full_strategy = buffer.regret.copy(), buffer.strategy.copy()
        slots = buffer.slot_of_row.copy()
        packed = pack_deltas(buffer, actions, dtype=np.float64)
        assert packed.regret_rows.tolist() == sorted(rows[kind != 1].tolist())
        assert packed.strategy_rows.tolist() == sorted(rows[kind != 2].tolist())
        tables = allocate_tables(num_rows, 3)
        apply_deltas(tables, packed, actions)
        want_regret, want_strategy = np.zeros((num_rows, 3)), np.zeros((num_rows, 3))
        for row in rows:
            n = actions[row]
            want_regret[row, :n] = full_regret[slots[row], :n]
            want_strategy[row, :n] = full_strategy[slots[row], :n]
        np.testing.assert_array_equal(tables.regret, want_regret.astype(np.float32))
        np.testing.assert_array_equal(tables.strategy_sum, want_strategy.astype(np.float32))
        merged = merge_deltas([packed, packed], actions)
        assert merged.regret_rows.tolist() == packed.regret_rows.tolist()
        assert merged.strategy_rows.tolist() == packed.strategy_rows.tolist()
        np.testing.assert_allclose(merged.strategy, 2 * packed.strategy)


def test_large_arrays_are_zeroed_writable_and_aligned_to_huge_pages():
    from holdem.mccfr.memory import HUGE_PAGE_BYTES, MIN_HUGE_BYTES, large_full, large_zeros

    small = large_zeros((10, 3), np.float32)
    assert small.shape == (10, 3) and small.dtype == np.float32 and not small.any()
    big = large_zeros((MIN_HUGE_BYTES // 8 + 7, 2), np.float64)
    assert big.shape == (MIN_HUGE_BYTES // 8 + 7, 2) and not big.any() and big.flags.writeable
    big[-1, -1] = 3.0
    assert big.sum() == 3.0
    filled = large_full(MIN_HUGE_BYTES, -1, np.int32)
    assert (filled == -1).all()
    import mmap
    if hasattr(mmap, "MADV_HUGEPAGE"):
        assert big.ctypes.data % HUGE_PAGE_BYTES == 0


def test_apply_in_parallel_parts_equals_one_part():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(3)
    rows = np.sort(rng.choice(50, size=30, replace=False)).astype(np.int32)
    values = int(NUM_ACTIONS[rows].sum())
    deltas = PackedDeltas.both(rows, rng.normal(size=values).astype(np.float32),
                               rng.random(size=values).astype(np.float32))
    one, two = allocate_tables(50, 3), allocate_tables(50, 3)
    apply_deltas(one, deltas, NUM_ACTIONS)
    with ThreadPoolExecutor(3) as pool:
        apply_deltas(two, deltas, NUM_ACTIONS, parts=3, executor=pool)
    assert one.regret.tobytes() == two.regret.tobytes() and one.strategy_sum.tobytes() == two.strategy_sum.tobytes()


def test_apply_refuses_duplicate_unsorted_or_out_of_range_rows():
    tables = allocate_tables(10, 2)
    actions = np.full(10, 2, dtype=np.int32)
    ones = np.ones(4, dtype=np.float32)
    for rows in ([3, 3], [4, 2], [1, 10]):
        with pytest.raises(TableError, match="out of order, repeated or out of range"):
            apply_deltas(tables, PackedDeltas.both(np.array(rows, dtype=np.int32), ones, ones), actions)
    with pytest.raises(TableError, match="value count"):
        apply_deltas(tables, PackedDeltas.both(np.array([1, 2], dtype=np.int32), ones[:3], ones[:3]), actions)
    bad = ones.copy()
    bad[2] = np.nan
    with pytest.raises(TableError, match="not finite"):
        apply_deltas(tables, PackedDeltas.both(np.array([1, 2], dtype=np.int32), bad, ones), actions)
    rows = np.array([1, 2], dtype=np.int32)
    for dtype, value in ((np.float32, np.inf), (np.float32, -np.inf), (np.float64, np.nan), (np.float64, -np.inf)):
        bad = np.ones(4, dtype=dtype)
        bad[3] = value
        with pytest.raises(TableError, match="not finite"):
            apply_deltas(tables, PackedDeltas.both(rows, np.ones(4, dtype=dtype), bad), actions)
    big = np.full(4, np.finfo(np.float32).max, dtype=np.float32)
    assert check_deltas(PackedDeltas.both(rows, big, -big), actions) is None, "the largest finite values pass"
    with pytest.raises(TableError, match="strategy half: the value count"):
        apply_deltas(tables, PackedDeltas.both(rows, ones, ones[:3]), actions)
    with pytest.raises(TableError, match="regret values are int32, not float32 or float64"):
        apply_deltas(tables, PackedDeltas.both(rows, ones.astype(np.int32), ones), actions)
    with pytest.raises(TableError, match="strategy rows are int64"):
        apply_deltas(tables, PackedDeltas(rows, ones, rows.astype(np.int64), ones), actions)
    with pytest.raises(TableError, match="not flat"):
        PackedDeltas.both(rows, ones.reshape(2, 2), ones)
    assert not tables.regret.any()


def test_apply_clamps_to_regret_floor():
    tables = allocate_tables(4, 2)
    deltas = PackedDeltas.both(np.array([1], np.int32), np.array([-50.0, 5.0], np.float32), np.zeros(2, np.float32))
    apply_deltas(tables, deltas, np.full(4, 2, dtype=np.int32), regret_floor=-10.0)
    assert tables.regret[1].tolist() == [-10.0, 5.0]


def test_discount_multiplies_by_exactly_the_factors_in_chunks():
    rng = np.random.default_rng(1)
    regret = rng.normal(size=(1000, 4)).astype(np.float32)
    strategy = rng.random(size=(1000, 4)).astype(np.float32)
    tables = Tables(regret.copy(), strategy.copy())
    pos, neg, strat = dcfr_factors(7.0, 1.5, 0.0, 2.0)
    for start, stop in discount_chunks(1000, chunk_rows=128):
        discount(tables, pos, neg, strat, start, stop)
    want = np.where(regret > 0, regret.astype(np.float64) * pos, regret.astype(np.float64) * neg)
    np.testing.assert_array_equal(tables.regret, want.astype(np.float32))
    np.testing.assert_array_equal(tables.strategy_sum, (strategy.astype(np.float64) * strat).astype(np.float32))
    partial = Tables(regret.copy(), strategy.copy())
    discount(partial, 0.5, 0.5, 0.5, 100, 200)
    np.testing.assert_array_equal(partial.regret[:100], regret[:100])
    np.testing.assert_array_equal(partial.regret[100:200], regret[100:200] * np.float32(0.5))


def test_discount_factor_formulas():
    assert dcfr_factors(1.0, 1.5, 0.0, 2.0) == (0.5, 0.5, 0.25)
    pos, neg, strat = dcfr_factors(3.0, 1.0, 1.0, 1.0)
    assert pos == neg == strat == 0.75
    assert linear_discount_factor(3) == 0.75


def test_memory_report_is_eight_bytes_per_infoset_action():
    report = memory_report(1000, 4)
    assert report["table_bytes"] == 1000 * 4 * 8
    assert report["bytes_per_infoset_action"] == 8


@pytest.mark.parametrize(("num_rows", "touched", "floor"), [(2_000, 1_500, None), (2_000, 30, -0.5)])
def test_a_buffer_applied_in_place_changes_the_tables_bitwise_as_packing_and_merging(num_rows, touched, floor):
    """The in-process path adds the buffer straight to the tables: the same bits as packed deltas merged, with
    the floor, rows in one half only, and the buffer left empty."""
    from holdem.mccfr.tables import apply_buffer

    actions = np.random.default_rng(3).integers(1, 4, size=num_rows).astype(np.uint8)
    start = allocate_tables(num_rows, 3)
    start.regret[:] = np.random.default_rng(4).normal(size=(num_rows, 3)).astype(np.float32)
    start.strategy_sum[:] = np.random.default_rng(6).random(size=(num_rows, 3)).astype(np.float32)
    buffers = []
    for _ in range(2):
        rng = np.random.default_rng(touched)
        buffer = DeltaBuffer(num_rows, 3)
        rows = rng.choice(num_rows, size=touched, replace=False)
        _fill(buffer, rows.tolist(), rng)
        for row, kind in zip(rows, rng.integers(0, 3, size=touched)):
            if kind:
                buffer.halves[buffer.slot_of_row[row]] = STRATEGY_HALF if kind == 1 else REGRET_HALF
        buffers.append(buffer)
    merged, in_place = start.copy(), start.copy()
    apply_deltas(merged, pack_deltas(buffers[0], actions), actions, floor)
    apply_buffer(in_place, buffers[1], actions, floor)
    assert merged.regret.tobytes() == in_place.regret.tobytes()
    assert merged.strategy_sum.tobytes() == in_place.strategy_sum.tobytes()
    assert merged.regret.tobytes() != start.regret.tobytes()
    if floor is not None:
        assert (in_place.regret == np.float32(floor)).any(), "the floor held some regrets"
    buffer = buffers[1]
    assert buffer.count == 0 and (buffer.slot_of_row == -1).all() and not buffer.halves.any()
    assert not buffer.regret.any() and not buffer.strategy.any()
    _fill(buffer, [5, 9], np.random.default_rng(1))
    buffer.strategy[buffer.slot_of_row[9], 1] = np.nan
    with pytest.raises(TableError, match="not finite"):
        apply_buffer(in_place, buffer, actions, floor)
    assert in_place.regret.tobytes() == merged.regret.tobytes(), "a refused buffer writes nothing"
    assert in_place.strategy_sum.tobytes() == merged.strategy_sum.tobytes()


@pytest.mark.parametrize("max_rows", [1, 7, 64, 1000, 5000])
def test_filled_share_counts_the_sampled_rows_numpy_would(max_rows: int) -> None:
    rng = np.random.default_rng(3)
    table = np.zeros((1000, 4), dtype=np.float32)
    visited = rng.random(1000) < 0.4
    columns = rng.integers(0, 4, size=1000)
    table[np.flatnonzero(visited), columns[visited]] = rng.choice([-2.5, 1e-30, 3.0], size=int(visited.sum()))
    sample = table[::max(1, 1000 // max_rows)]
    assert filled_share(table, max_rows) == np.count_nonzero(np.any(sample != 0, axis=1)) / sample.shape[0]
    assert filled_share(np.zeros((0, 4), dtype=np.float32), max_rows) == 0.0
