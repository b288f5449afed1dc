"""The Python API: every example of docs/python-api.md runs, and the package's lazy names resolve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "python-api.md"


def test_every_example_in_the_python_api_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "python_api_examples"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"{DOC.name} example {number}", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "runs" / "leduc-notebook" / "blueprint.npz").is_file()


def test_importing_holdem_loads_no_training_machinery() -> None:
    code = ("import sys, holdem; assert 'holdem.training' not in sys.modules and 'numba' not in sys.modules; "
            "from holdem import Policy, train; assert train.__module__ == 'holdem.training.run'; "
            "print(holdem.__version__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\d+\.\d+\.\d+", done.stdout.strip())
    with pytest.raises(AttributeError):
        import holdem

        holdem.no_such_name  # noqa: B018
