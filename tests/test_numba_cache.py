"""Numba's on-disk cache keyed by the package's sources: an edited inlined helper is never served stale."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from holdem import numba_cache
from holdem.numba_cache import KEEP, source_key, use_source_keyed_cache

KERNEL = """
from numba import njit
from pkg.helper import bump

@njit(cache=True)
def kernel(x):
    return bump(x)
"""
HELPER = """
from numba import njit

@njit(cache=True, inline="always")
def bump(x):
    return x + {step}
"""
RUN = """
import importlib.util, sys
from pathlib import Path
sys.path.insert(0, {parent!r})
if {keyed}:
    spec = importlib.util.spec_from_file_location("numba_cache", {module!r})
    numba_cache = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(numba_cache)
    numba_cache.use_source_keyed_cache(Path({package!r}), Path({root!r}))
from pkg.kernel import kernel
print(kernel(10))
"""


def _package(tmp_path: Path, step: int) -> Path:
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "kernel.py").write_text(KERNEL)
    (package / "helper.py").write_text(HELPER.format(step=step))
    return package


def _run(package: Path, root: Path, keyed: bool) -> int:
    """``pkg.kernel(10)`` in a fresh process that imports nothing of holdem's package (whose import keys the cache
    by holdem's own sources), with the cache keyed by ``package``'s sources or numba's own."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    code = RUN.format(parent=str(package.parent), keyed=keyed, module=str(Path(numba_cache.__file__)),
                      package=str(package), root=str(root))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


def test_an_edited_helper_in_another_module_compiles_afresh(tmp_path):
    package = _package(tmp_path, 1)
    keyed_root, plain_root = tmp_path / "keyed", tmp_path / "plain"
    assert _run(package, keyed_root, True) == 11
    assert _run(package, plain_root, False) == 11
    (package / "helper.py").write_text(HELPER.format(step=2))
    assert _run(package, plain_root, False) == 11, "numba alone serves the old inlined helper"
    assert _run(package, keyed_root, True) == 12


def test_the_key_covers_every_source_file_and_nothing_else(tmp_path):
    package = _package(tmp_path, 1)
    key = source_key(package)
    assert source_key(package) == key
    (package / "notes.txt").write_text("not a source")
    assert source_key(package) == key
    (package / "sub").mkdir()
    (package / "sub" / "deep.py").write_text("X = 1\n")
    deeper = source_key(package)
    assert deeper != key
    (package / "sub" / "deep.py").write_text("X = 2\n")
    assert source_key(package) not in (key, deeper)


def test_the_users_cache_dir_stands_and_old_directories_are_pruned(tmp_path):
    package = _package(tmp_path, 1)
    root = tmp_path / "cache"
    mine = {"NUMBA_CACHE_DIR": "/somewhere/chosen"}
    assert use_source_keyed_cache(package, root, mine) is None
    assert mine["NUMBA_CACHE_DIR"] == "/somewhere/chosen" and not root.exists()
    made = []
    for step in range(KEEP + 3):
        (package / "helper.py").write_text(HELPER.format(step=step))
        environ: dict[str, str] = {}
        target = use_source_keyed_cache(package, root, environ)
        assert target is not None and environ["NUMBA_CACHE_DIR"] == str(target) and target.is_dir()
        os.utime(target, (1_000_000 + step, 1_000_000 + step))
        made.append(target)
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in made[-(KEEP + 1):])
    again: dict[str, str] = {}
    assert use_source_keyed_cache(package, root, again) == made[-1]


def test_importing_the_package_points_numba_at_a_keyed_directory():
    code = textwrap.dedent("""
        import os, holdem
        from numba.core import config
        from holdem.numba_cache import CACHE_ROOT, source_key
        print(os.environ["NUMBA_CACHE_DIR"] == str(CACHE_ROOT / source_key()) == config.CACHE_DIR)
    """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "True"
