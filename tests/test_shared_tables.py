import json
import subprocess
import sys

import numpy as np
import pytest

from holdem.training.shared_tables import SharedTables, TableSpec, attach_readonly, remove_stale_tables


def test_reader_sees_writes_and_cannot_write(tmp_path):
    with SharedTables("t1", directory=tmp_path) as tables:
        regret = tables.create("regret", (4, 3))
        spec = TableSpec.from_dict(tables.specs["regret"].to_dict())
        view = attach_readonly(spec)
        regret[2, 1] = 5.0
        assert view[2, 1] == 5.0
        with pytest.raises(ValueError):
            view[0, 0] = 1.0
        path = spec.path
    assert not (tmp_path / path).exists()


def test_another_process_attaches_read_only(tmp_path):
    with SharedTables("t2", directory=tmp_path) as tables:
        table = tables.create("strategy_sum", (8,), "float64")
        table[:] = np.arange(8)
        code = (
            "import sys, json; from holdem.training.shared_tables import TableSpec, attach_readonly;"
            "a = attach_readonly(TableSpec.from_dict(json.loads(sys.argv[1]))); print(float(a.sum()))"
        )
        out = subprocess.run([sys.executable, "-c", code, json.dumps(tables.specs["strategy_sum"].to_dict())],
                             capture_output=True, text=True, check=True)
        assert float(out.stdout) == 28.0
        assert table.sum() == 28.0


def test_stale_files_of_dead_owners_are_removed(tmp_path):
    code = "import os; print(os.getpid())"
    dead = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    stale = tmp_path / f"holdem-{int(dead.stdout)}-abc-regret.tbl"
    stale.write_bytes(b"\0" * 16)
    with SharedTables("live", directory=tmp_path) as tables:
        tables.create("regret", (2,))
        removed = remove_stale_tables(tmp_path)
        assert removed == [stale]
        assert len(list(tmp_path.glob("*.tbl"))) == 1
