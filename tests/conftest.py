"""Fixtures shared by several test modules: small trained runs, paid for once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from holdem.policy import Policy
from holdem.training import train
from holdem.training.config import build_config

TINY_HUNL_ITERATIONS = (10_000, 100_000)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give tests marked ``xdist_group`` the ``@group`` suffix that ``--dist loadgroup`` schedules by, where
    pytest-xdist did not: 3.8.0 writes it to ``item._nodeid``, which pytest 9.2 no longer reads, so grouped tests
    were spread over the workers (two Ray tests at once, the ``tiny`` buckets built once per worker)."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                        for mark in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small trained runs: Kuhn and Leduc (briefly, so their exploitability is clearly above zero), HUNL-tiny."""
    root = tmp_path_factory.mktemp("policy-runs")
    plans = {
        "kuhn": {"game": "kuhn", "iterations": 200},
        "leduc": {"game": "leduc", "iterations": 2000},
        "hunl": {"game": "hunl", "actions": "tiny", "buckets": "tiny", "iterations": 200_000},
    }
    out = {}
    for name, raw in plans.items():
        train(build_config({**raw, "num_workers": 1, "seed": 3}), root / name)
        out[name] = root / name
    return out


@pytest.fixture(scope="session")
def small_game_runs(runs: dict[str, Path]) -> dict[str, Path]:
    """Briefly trained Kuhn and Leduc runs (clearly exploitable), one worker, seeded."""
    return {name: runs[name] for name in ("kuhn", "leduc")}


@pytest.fixture(scope="session")
def hunl_policy(runs: dict[str, Path]) -> Policy:
    return Policy.load(runs["hunl"])


@pytest.fixture(scope="session")
def tiny_hunl_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """One seeded heads-up run (tiny menu and buckets, one worker) stopped at two iteration counts."""
    root = tmp_path_factory.mktemp("tiny-hunl")
    out = {}
    for iterations in TINY_HUNL_ITERATIONS:
        config = build_config({"game": "hunl", "actions": "tiny", "buckets": "tiny", "iterations": iterations,
                               "num_workers": 1, "seed": 5})
        train(config, root / f"it{iterations}")
        out[iterations] = root / f"it{iterations}"
    return out
