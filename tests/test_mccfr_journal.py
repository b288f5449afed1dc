"""Journaled commits: whatever step the writer dies at, finishing from the journal gives apply_deltas' bits."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from holdem.mccfr import journal as journal_mod
from holdem.mccfr.journal import JOURNAL_BYTES, STATE, TICKET, CommitPlan, commit, complete, journal_views
from holdem.mccfr.tables import PackedDeltas, Tables, apply_deltas


def _case(seed: int, num_rows: int = 3000, width: int = 4) -> tuple[Tables, PackedDeltas, np.ndarray]:
    rng = np.random.default_rng(seed)
    num_actions = rng.integers(1, width + 1, num_rows).astype(np.int32)
    tables = Tables(rng.normal(size=(num_rows, width)).astype(np.float32),
                    rng.random((num_rows, width)).astype(np.float32))
    halves = []
    for share in (0.6, 0.4):
        rows = np.flatnonzero(rng.random(num_rows) < share).astype(np.int32)
        halves.append((rows, rng.normal(size=int(num_actions[rows].sum())).astype(np.float32)))
    return tables, PackedDeltas(halves[0][0], halves[0][1], halves[1][0], halves[1][1]), num_actions


def _expected(tables: Tables, deltas: PackedDeltas, num_actions: np.ndarray, floor: float) -> Tables:
    out = tables.copy()
    apply_deltas(out, deltas, num_actions, floor)
    return out


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(journal_mod, "UNDO_VALUES", 500)


def test_a_whole_commit_equals_apply_deltas_bitwise(small_chunks):
    tables, deltas, num_actions = _case(1)
    expected = _expected(tables, deltas, num_actions, -0.5)
    journal = np.zeros(JOURNAL_BYTES, dtype=np.uint8)
    assert len(CommitPlan(tables, deltas, num_actions, -0.5)) > 6, "several chunks in each half"
    assert commit(tables, deltas, num_actions, -0.5, journal, ticket=7) is None
    assert tables.regret.tobytes() == expected.regret.tobytes()
    assert tables.strategy_sum.tobytes() == expected.strategy_sum.tobytes()
    header, _ = journal_views(journal)
    assert header[TICKET] == 7 and header[STATE] == 2 * len(CommitPlan(tables, deltas, num_actions, -0.5))
    assert complete(tables, deltas, num_actions, -0.5, journal, 7) == header[STATE] // 2, "a finished commit is " \
        "not applied again"
    assert tables.regret.tobytes() == expected.regret.tobytes()


def test_a_writer_killed_at_any_step_is_finished_from_the_journal_exactly_once(small_chunks):
    tables0, deltas, num_actions = _case(2)
    expected = _expected(tables0, deltas, num_actions, 0.0)
    chunks = len(CommitPlan(tables0, deltas, num_actions, 0.0))
    for stop_after in range(2 * chunks + 2):
        tables = tables0.copy()
        journal = np.zeros(JOURNAL_BYTES, dtype=np.uint8)
        header, _ = journal_views(journal)
        header[TICKET], header[STATE] = 3, 40
        commit(tables, deltas, num_actions, 0.0, journal, ticket=9, stop_after=stop_after)
        state = int(header[STATE])
        if header[TICKET] == 9 and state % 2:
            CommitPlan(tables, deltas, num_actions, 0.0).add(state // 2)
        done_by_writer = complete(tables, deltas, num_actions, 0.0, journal, 9)
        assert done_by_writer == (min(state // 2, chunks) if header[TICKET] == 9 else 0)
        assert tables.regret.tobytes() == expected.regret.tobytes(), stop_after
        assert tables.strategy_sum.tobytes() == expected.strategy_sum.tobytes(), stop_after


def test_a_result_never_journaled_is_applied_whole():
    tables, deltas, num_actions = _case(3)
    expected = _expected(tables, deltas, num_actions, -np.inf)
    journal = np.zeros(JOURNAL_BYTES, dtype=np.uint8)
    journal_views(journal)[0][TICKET] = 5
    assert complete(tables, deltas, num_actions, -np.inf, journal, 6) == 0
    assert complete(expected.copy(), deltas, num_actions, -np.inf, None, 6) == 0
    assert tables.regret.tobytes() == expected.regret.tobytes()


def test_bad_deltas_are_refused_before_anything_is_written():
    tables, deltas, num_actions = _case(4)
    before = tables.copy()
    bad = PackedDeltas(deltas.regret_rows[::-1].copy(), deltas.regret, deltas.strategy_rows, deltas.strategy)
    journal = np.zeros(JOURNAL_BYTES, dtype=np.uint8)
    assert "out of order" in commit(tables, bad, num_actions, 0.0, journal, ticket=1)
    assert journal_views(journal)[0][TICKET] == 0
    assert np.array_equal(tables.regret, before.regret)
    compact = Tables(tables.regret.astype(np.int16), tables.strategy_sum)
    with pytest.raises(ValueError, match="float32"):
        CommitPlan(compact, deltas, num_actions, 0.0)


WARM_THEN_MERGE = """
import sys
import numpy as np
from holdem.mccfr import compact, tables as t
from holdem.mccfr.journal import warm_up_merges
dtype = sys.argv[1]
warm_up_merges(dtype)
kernels = [t._check, t._add_rows, compact._apply_i16, compact._apply_i32]
before = [len(k.signatures) for k in kernels]
num_actions = np.array([3, 2, 3], dtype=np.int32)
tables = t.Tables(np.zeros((3, 3), dtype=dtype), np.zeros((3, 3), dtype=np.float32),
                  np.zeros(compact.scale_shape(dtype, 3), dtype=np.int8))
values = np.arange(6, dtype=np.float32)
t.apply_deltas(tables, t.PackedDeltas.both(np.array([0, 2], dtype=np.int32), values, values), num_actions, -5.0)
after = [len(k.signatures) for k in kernels]
assert after == before and sum(after) > 0, (before, after)
"""


@pytest.mark.parametrize("regret_dtype", ["float32", "int16", "int32"])
def test_warming_up_loads_every_kernel_a_merge_of_that_table_type_calls(regret_dtype: str) -> None:
    done = subprocess.run([sys.executable, "-c", WARM_THEN_MERGE, regret_dtype], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-800:]
