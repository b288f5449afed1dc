"""Fixtures shared by several test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from holdem.training import train
from holdem.training.config import build_config

TINY_HUNL_ITERATIONS = (10_000, 100_000)


@pytest.fixture(scope="session")
def tiny_hunl_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """One seeded heads-up run (tiny menu and buckets, one worker) stopped at two iteration counts."""
    root = tmp_path_factory.mktemp("tiny-hunl")
    runs = {}
    for iterations in TINY_HUNL_ITERATIONS:
        config = build_config({"game": "hunl", "actions": "tiny", "buckets": "tiny", "iterations": iterations,
                               "num_workers": 1, "seed": 5})
        train(config, root / f"it{iterations}")
        runs[iterations] = root / f"it{iterations}"
    return runs


@pytest.fixture(scope="session")
def small_game_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Briefly trained Kuhn and Leduc runs (clearly exploitable), one worker, seeded."""
    root = tmp_path_factory.mktemp("small-games")
    runs = {}
    for name, iterations in (("kuhn", 200), ("leduc", 2000)):
        train(build_config({"game": name, "iterations": iterations, "num_workers": 1, "seed": 3}), root / name)
        runs[name] = root / name
    return runs
